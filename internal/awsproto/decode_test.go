package awsproto_test

import (
	"encoding/json"
	"net/url"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/iamapi"
)

// decodeCase is one entry of testdata/decode.json: a request body as a client sends it,
// and either the operation and input it decodes to (Go field names; absent members left
// out) or AWS's error.
type decodeCase struct {
	Note    string         `json:"note"`
	Service string         `json:"service"`
	Body    string         `json:"body"`
	Op      string         `json:"op"`
	Input   map[string]any `json:"input"`
	Code    string         `json:"code"`
	Status  int            `json:"status"`
	Message string         `json:"message"`
}

var servicesByName = map[string]*awsproto.Service{"iam": awsproto.IAM, "sts": awsproto.STS, "ec2": awsproto.EC2}

func TestDecodeRequest(t *testing.T) {
	raw, err := os.ReadFile("testdata/decode.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []decodeCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Note, func(t *testing.T) {
			params, err := url.ParseQuery(c.Body)
			if err != nil {
				t.Fatal(err)
			}
			op, in, err := servicesByName[c.Service].DecodeRequest(params)
			if c.Code != "" {
				ae, ok := awserr.As(err)
				if !ok {
					t.Fatalf("got %v, want %s", err, c.Code)
				}
				if ae.Code != c.Code || ae.Status != c.Status || ae.Message != c.Message {
					t.Fatalf("got %d %s %q\nwant %d %s %q", ae.Status, ae.Code, ae.Message, c.Status, c.Code, c.Message)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if op.Name != c.Op {
				t.Errorf("got operation %s, want %s", op.Name, c.Op)
			}
			// Compare through JSON so numbers have one type on both sides.
			b, _ := json.Marshal(normalize(reflect.ValueOf(in)))
			var got map[string]any
			_ = json.Unmarshal(b, &got)
			if got == nil {
				got = map[string]any{}
			}
			want := c.Input
			if want == nil {
				want = map[string]any{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decoded input (-want +got):\n%s", diff)
			}
		})
	}
}

// An explicitly empty list ("Tags=", as botocore sends []) decodes to an empty, non-nil
// slice; an absent one stays nil. The domain can tell "clear" from "leave alone".
func TestDecodeEmptyList(t *testing.T) {
	for _, c := range []struct {
		body    string
		wantNil bool
	}{
		{"UserName=a&Tags=", false},
		{"UserName=a", true},
	} {
		params, _ := url.ParseQuery(c.body)
		var in iamapi.CreateUserInput
		if err := awsproto.Decode(params, &in); err != nil {
			t.Fatal(err)
		}
		if (in.Tags == nil) != c.wantNil || len(in.Tags) != 0 {
			t.Errorf("%s: got Tags=%#v, want nil=%v and empty", c.body, in.Tags, c.wantNil)
		}
	}
}

func TestDecodeRejectsNonPointer(t *testing.T) {
	if err := awsproto.Decode(url.Values{}, iamapi.CreateUserInput{}); err == nil {
		t.Fatal("got nil, want an error for a non-pointer input")
	}
}

// Timestamps arrive as ISO 8601 (with or without fraction and offset) or epoch seconds.
func TestDecodeTimestamp(t *testing.T) {
	type in struct {
		When *time.Time `q:"When"`
	}
	want := time.Date(2026, 11, 30, 9, 15, 2, 0, time.UTC)
	for _, s := range []string{"2026-11-30T09:15:02Z", "2026-11-30T09:15:02.000Z", "2026-11-30T10:15:02+01:00", "1796030102"} {
		var v in
		if err := awsproto.Decode(url.Values{"When": {s}}, &v); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if v.When == nil || !v.When.Equal(want) {
			t.Errorf("%s: got %v, want %v", s, v.When, want)
		}
	}
	var v in
	err := awsproto.Decode(url.Values{"When": {"yesterday"}}, &v)
	if ae, ok := awserr.As(err); !ok || ae.Code != "InvalidParameterValue" {
		t.Errorf("got %v, want InvalidParameterValue", err)
	}
}
