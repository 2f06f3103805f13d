package analyzer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gatehouse/internal/catalog"
	"gatehouse/internal/policy"
)

type wantFinding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Path     string `json:"path"`
	Sid      string `json:"sid"`
	Contains string `json:"contains"`
}

type testCase struct {
	Note   string          `json:"note"`
	Kind   string          `json:"kind"`
	Policy json.RawMessage `json:"policy"`
	Want   []wantFinding   `json:"want"`
}

// document returns the case's policy: a JSON object as written, or a JSON string's text
// (for documents that are not JSON at all).
func (tc testCase) document(t *testing.T) []byte {
	t.Helper()
	if bytes.HasPrefix(bytes.TrimSpace(tc.Policy), []byte(`"`)) {
		var s string
		if err := json.Unmarshal(tc.Policy, &s); err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}
	return tc.Policy
}

func TestAnalyze(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []testCase
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			kind := policy.Identity
			if tc.Kind != "" {
				var ok bool
				if kind, ok = policy.ParseKind(tc.Kind); !ok {
					t.Fatalf("kind %q", tc.Kind)
				}
			}
			got := Analyze(tc.document(t), kind)
			if len(got) != len(tc.Want) {
				t.Fatalf("%s\ngot %d findings, want %d:\n%s", tc.Note, len(got), len(tc.Want), describe(got))
			}
			for j, w := range tc.Want {
				g := got[j]
				if g.Severity.String() != w.Severity || g.Code != w.Code || g.Path != w.Path || g.Sid != w.Sid ||
					!strings.Contains(g.Message, w.Contains) {
					t.Errorf("%s\nfinding %d: got %s %s %q sid %q: %s\nwant %s %s %q sid %q containing %q",
						tc.Note, j, g.Severity, g.Code, g.Path, g.Sid, g.Message, w.Severity, w.Code, w.Path, w.Sid, w.Contains)
				}
			}
			if HasError(got) != (len(tc.Want) > 0 && tc.Want[0].Severity == "ERROR") {
				t.Errorf("%s\nHasError = %v", tc.Note, HasError(got))
			}
		})
	}
}

func describe(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %q: %s\n", f.Severity, f.Code, f.Path, f.Message)
	}
	return b.String()
}

// TestManagedPolicies runs every AWS managed policy through the parser and the analyzer.
// Each must parse leniently (they are stored data). Strictly, as identity policies, all
// must parse except those listed in testdata/managed_strict_rejects.json with the reason
// (a listed policy that has come to parse is logged, so the list can be trimmed). No managed policy
// may raise a finding that a careful reviewer of AWS's own policies would call wrong: the
// analyzer must not report errors beyond the strict parser's, nor panic.
func TestManagedPolicies(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "managed_strict_rejects.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rejects map[string]string
	if err := json.Unmarshal(b, &rejects); err != nil {
		t.Fatal(err)
	}
	delete(rejects, "_note")
	all := catalog.ManagedPolicies()
	if len(all) != 1485 {
		t.Fatalf("%d managed policies, want 1485", len(all))
	}
	for _, p := range all {
		doc := []byte(p.Document)
		if _, err := policy.ParseLenient(doc); err != nil {
			t.Errorf("%s: lenient parse: %v", p.Name, err)
		}
		_, err := policy.Parse(doc, policy.Identity)
		want, listed := rejects[p.Name]
		switch {
		case err != nil && !listed:
			t.Errorf("%s: strict parse as identity policy: %v", p.Name, err)
		case err == nil && listed:
			// Good news rather than a failure: the strict parser has come to accept it.
			t.Logf("%s: now parses strictly; remove it from managed_strict_rejects.json", p.Name)
		case err != nil && !strings.Contains(err.Error(), want):
			t.Errorf("%s: strict parse error %q, want one containing %q", p.Name, err, want)
		}
		fs := Analyze(doc, policy.Identity)
		if HasError(fs) != (err != nil) {
			t.Errorf("%s: HasError = %v, strict parse error %v", p.Name, HasError(fs), err)
		}
	}
}

func TestSeverityJSON(t *testing.T) {
	b, err := json.Marshal(Finding{Severity: SecurityWarning, Code: CodeFullAccess, Path: "Statement[0]", Statement: 0})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"severity":"SECURITY_WARNING","code":"ALLOW_ALL_ACTIONS_ON_ALL_RESOURCES","message":"","path":"Statement[0]","statement":0}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestGlobCovers(t *testing.T) {
	cases := []struct {
		outer, inner string
		want         bool
	}{
		{"a*", "abc", true},
		{"a*", "a*", true},
		{"a*", "ab*", true},
		{"*", "?", true},
		{"a?", "a?", true},
		{"a?", "a*", false}, // a* includes "a" and "abc"
		{"a*c", "a*bc", true},
		{"a*c", "a*", false},
		{"ab", "a?", false},
		{"a*b", "a?b", true},
		{"", "", true},
		{"", "*", false},
	}
	for _, tc := range cases {
		if got := globCovers(tc.outer, tc.inner); got != tc.want {
			t.Errorf("globCovers(%q, %q) = %v, want %v", tc.outer, tc.inner, got, tc.want)
		}
	}
}

// FuzzGlobCovers checks soundness: when globCovers says outer covers inner, every
// concrete string inner matches (its wildcards filled with sample text) matches outer.
func FuzzGlobCovers(f *testing.F) {
	f.Add("a*", "ab*c?")
	f.Add("*x?", "?x*")
	f.Fuzz(func(t *testing.T, outer, inner string) {
		if len(outer) > 20 || len(inner) > 20 || !globCovers(outer, inner) {
			return
		}
		for _, fill := range []string{"", "q", "*", "xyz:/"} {
			one := fill
			if one == "" {
				one = "z"
			}
			s := strings.NewReplacer("*", fill, "?", one[:1]).Replace(inner)
			if !globMatch(outer, s) {
				t.Fatalf("globCovers(%q, %q) but %q does not match %q", outer, inner, s, outer)
			}
		}
	})
}

// FuzzAnalyze checks that no document makes the analyzer panic, and that it reports an
// error exactly when the strict parser rejects the document.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::my_bucket"}]}`))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Sid":"","Effect":"Allow","NotAction":["iam:Pass*","s3:Get?bject"],"Resource":["*","arn:aws:iam::*:role/*"],"Condition":{"ForAllValues:StringLike":{"aws:RequestTag/${TagKey}":"x"}}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		fs := Analyze(doc, policy.Identity)
		_, err := policy.Parse(doc, policy.Identity)
		if HasError(fs) != (err != nil) {
			t.Fatalf("HasError = %v, strict parse error %v", HasError(fs), err)
		}
	})
}

func BenchmarkAnalyzeTutorial(b *testing.B) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::my_bucket"}]}`)
	Analyze(doc, policy.Identity)
	b.ReportAllocs()
	for b.Loop() {
		Analyze(doc, policy.Identity)
	}
}

func BenchmarkAnalyzeReadOnlyAccess(b *testing.B) {
	p, _ := catalog.LookupManagedPolicy("ReadOnlyAccess")
	doc := []byte(p.Document)
	Analyze(doc, policy.Identity)
	b.ReportAllocs()
	for b.Loop() {
		Analyze(doc, policy.Identity)
	}
}
