package reference

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// docCase is one line of internal/simulate/testdata/doccases/*.jsonl: a request written from the IAM User
// Guide, with the answer the page gives.
type docCase struct {
	Note    string          `json:"note"`
	Source  string          `json:"source"`
	Input   json.RawMessage `json:"input"`
	Pending string          `json:"pending"` // a known disagreement of the engine; the reference must still pass
	Want    struct {
		Decision string  `json:"decision"`
		DeniedBy *string `json:"deniedBy"`
		Message  *string `json:"message"`
	} `json:"want"`
}

const docCasesDir = "../../simulate/testdata/doccases"

func loadDocCases(t testing.TB) map[string][]docCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(docCasesDir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no doc cases under %s (err %v)", docCasesDir, err)
	}
	out := map[string][]docCase{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for line := 1; sc.Scan(); line++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			var c docCase
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				// matchedSids is for the engine, which reports statements; the reference does not.
				var loose docCase
				if err2 := json.Unmarshal(sc.Bytes(), &loose); err2 != nil {
					t.Fatalf("%s:%d: %v", f, line, err)
				}
				c = loose
			}
			if c.Note == "" || c.Source == "" {
				t.Fatalf("%s:%d: every case needs a note and a source", f, line)
			}
			out[filepath.Base(f)] = append(out[filepath.Base(f)], c)
		}
	}
	return out
}

// TestDocCases: the reference gives the documented answer on every case written from the User Guide.
func TestDocCases(t *testing.T) {
	for file, cases := range loadDocCases(t) {
		for i, c := range cases {
			got, err := Evaluate(c.Input)
			if err != nil {
				t.Errorf("%s #%d (%s): %v", file, i+1, c.Note, err)
				continue
			}
			wantBy := ""
			if c.Want.DeniedBy != nil {
				wantBy = *c.Want.DeniedBy
			}
			if got.Decision != c.Want.Decision || got.DeniedBy != wantBy {
				t.Errorf("%s #%d (%s): got %s/%q, want %s/%q\n  source: %s", file, i+1, c.Note, got.Decision, got.DeniedBy, c.Want.Decision, wantBy, c.Source)
			}
			if c.Want.Message != nil && got.Message != *c.Want.Message {
				t.Errorf("%s #%d (%s): message\n got %q\nwant %q", file, i+1, c.Note, got.Message, *c.Want.Message)
			}
		}
	}
}

// FuzzEvaluate: the reference never panics, whatever the input.
func FuzzEvaluate(f *testing.F) {
	for _, cases := range loadDocCases(f) {
		for _, c := range cases {
			f.Add([]byte(c.Input))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Evaluate(data)
		if err == nil {
			switch res.Decision {
			case Allowed, ExplicitDeny, ImplicitDeny:
			default:
				t.Fatalf("decision %q", res.Decision)
			}
		}
	})
}
