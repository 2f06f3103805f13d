package simulate

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type evalCase struct {
	Note, Source string
	Input        json.RawMessage
	Want         map[string]json.RawMessage
}

func TestEval(t *testing.T) {
	f, err := os.Open("testdata/eval.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var c evalCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		in, err := Decode(c.Input)
		if err != nil {
			t.Errorf("%s: Decode: %v", c.Note, err)
			continue
		}
		out, err := Run(in)
		if err != nil {
			t.Errorf("%s: Run: %v", c.Note, err)
			continue
		}
		b, _ := json.Marshal(out)
		var got map[string]json.RawMessage
		_ = json.Unmarshal(b, &got)
		// Compare only the fields the case states.
		for k, want := range c.Want {
			var g, w any
			_ = json.Unmarshal(got[k], &g)
			_ = json.Unmarshal(want, &w)
			if d := cmp.Diff(w, g); d != "" {
				t.Errorf("%s (line %d): %s mismatch (-want +got):\n%s", c.Note, n, k, d)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, c := range []struct{ note, in, want string }{
		{"unknown field", `{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"*","bogus":1}`, "unknown field"},
		{"missing action", `{"principal":"arn:aws:iam::111122223333:user/a","resource":"*"}`, `"action" is required`},
		{"policy not an object", `{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"*","identityPolicies":[1]}`, "policy must be"},
		{"trailing data", `{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"*"} {}`, "after the JSON"},
		{"trailing brace", `{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"*"}}`, "after the JSON"},
	} {
		_, err := Decode([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Decode error = %v, want one containing %q", c.note, err, c.want)
		}
	}
}

func TestRunRejects(t *testing.T) {
	for _, c := range []struct{ note, in string }{
		{"not a principal", `{"principal":"alice","action":"s3:GetObject","resource":"*"}`},
		{"unreadable policy", `{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"*","identityPolicies":["{"]}`},
	} {
		in, err := Decode([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: Decode: %v", c.note, err)
		}
		if out, err := Run(in); err == nil {
			t.Errorf("%s: Run = %+v, want an error", c.note, out)
		}
	}
}
