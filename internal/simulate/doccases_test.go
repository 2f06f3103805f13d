package simulate_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"gatehouse/internal/simulate"
)

// docCase is one line of testdata/doccases/*.jsonl: a request written from the IAM User Guide, the page it
// comes from, and the answer the page gives. Pending marks a known disagreement of the engine, listed in
// testdata/doccases/KNOWN_DISAGREEMENTS.md.
type docCase struct {
	Note    string          `json:"note"`
	Source  string          `json:"source"`
	Input   json.RawMessage `json:"input"`
	Pending string          `json:"pending"`
	Want    struct {
		Decision    string   `json:"decision"`
		DeniedBy    *string  `json:"deniedBy"`
		MatchedSids []string `json:"matchedSids"`
		Message     *string  `json:"message"`
	} `json:"want"`
}

// output is the contract's JSON output (DESIGN.md, "Policy tool"), read back from simulate.Output so the
// test depends on the wire shape, not on Go field names.
type output struct {
	Decision          string `json:"decision"`
	MatchedStatements []struct {
		Policy string `json:"policy"`
		Sid    string `json:"sid"`
		Effect string `json:"effect"`
	} `json:"matchedStatements"`
	DeniedBy *string `json:"deniedBy"`
	Message  *string `json:"message"`
}

func run(input []byte) (output, error) {
	in, err := simulate.Decode(input)
	if err != nil {
		return output{}, err
	}
	out, err := simulate.Run(in)
	if err != nil {
		return output{}, err
	}
	data, err := json.Marshal(out)
	if err != nil {
		return output{}, err
	}
	var o output
	err = json.Unmarshal(data, &o)
	return o, err
}

func loadDocCases(t testing.TB) map[string][]docCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "doccases", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no doc cases (err %v)", err)
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
				t.Fatalf("%s:%d: %v", f, line, err)
			}
			out[filepath.Base(f)] = append(out[filepath.Base(f)], c)
		}
	}
	return out
}

// mismatch describes how got differs from the case's want; "" when it does not.
func (c docCase) mismatch(got output) string {
	wantBy, gotBy := "", ""
	if c.Want.DeniedBy != nil {
		wantBy = *c.Want.DeniedBy
	}
	if got.DeniedBy != nil {
		gotBy = *got.DeniedBy
	}
	if got.Decision != c.Want.Decision || gotBy != wantBy {
		return "got " + got.Decision + "/" + gotBy + ", want " + c.Want.Decision + "/" + wantBy
	}
	if c.Want.Message != nil && (got.Message == nil || *got.Message != *c.Want.Message) {
		g := "null"
		if got.Message != nil {
			g = *got.Message
		}
		return "message: got " + g + ", want " + *c.Want.Message
	}
	if c.Want.MatchedSids != nil {
		var sids []string
		for _, m := range got.MatchedStatements {
			sids = append(sids, m.Sid)
		}
		sort.Strings(sids)
		want := append([]string{}, c.Want.MatchedSids...)
		sort.Strings(want)
		if !equal(sids, want) {
			b, _ := json.Marshal(sids)
			w, _ := json.Marshal(want)
			return "matched sids: got " + string(b) + ", want " + string(w)
		}
	}
	return ""
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDocCases runs every documentation case through simulate.Run. A case marked pending is a known
// disagreement: it must still disagree, so that fixing the engine forces the mark (and the entry in
// KNOWN_DISAGREEMENTS.md) to be removed.
func TestDocCases(t *testing.T) {
	files := loadDocCases(t)
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, file := range names {
		t.Run(file, func(t *testing.T) {
			for i, c := range files[file] {
				got, err := run(c.Input)
				why := ""
				if err != nil {
					why = "error: " + err.Error()
				} else {
					why = c.mismatch(got)
				}
				switch {
				case c.Pending == "" && why != "":
					t.Errorf("#%d %s: %s\n  source: %s\n  input: %s", i+1, c.Note, why, c.Source, c.Input)
				case c.Pending != "" && why == "":
					t.Errorf("#%d %s: marked pending (%s) but now passes: remove the mark and its KNOWN_DISAGREEMENTS.md entry", i+1, c.Note, c.Pending)
				}
			}
		})
	}
}
