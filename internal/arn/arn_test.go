package arn

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

func TestParse(t *testing.T) {
	var cases []struct {
		Note, Source, In string
		Want             ARN
		Err              bool
	}
	data, err := os.ReadFile("testdata/parse.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		got, err := Parse(c.In)
		if c.Err {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: Parse(%q) error = %v, want ErrMalformed", c.Note, c.In, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", c.Note, c.In, err)
			continue
		}
		if got != c.Want {
			t.Errorf("%s: Parse(%q) = %+v, want %+v", c.Note, c.In, got, c.Want)
		}
		if s := got.String(); s != c.In {
			t.Errorf("%s: String() = %q, want %q", c.Note, s, c.In)
		}
	}
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-west-2": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "": "aws",
	} {
		if got := PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%q) = %q, want %q", region, got, want)
		}
	}
}

func FuzzARN(f *testing.F) {
	for _, s := range []string{"arn:aws:s3:::b/k", "arn:aws:iam::123456789012:user/x", "arn:::::", "arn:a:b:c:d:e:f:g", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) error %v is not ErrMalformed", s, err)
			}
			return
		}
		if a.String() != s {
			t.Fatalf("round trip: Parse(%q).String() = %q", s, a.String())
		}
		b, err := Parse(a.String())
		if err != nil || b != a {
			t.Fatalf("reparse of %q = %+v, %v; want %+v", s, b, err, a)
		}
	})
}
