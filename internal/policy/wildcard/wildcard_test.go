package wildcard

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

type mapResolver map[string]string

func (m mapResolver) Var(k string) (string, bool) { v, ok := m[k]; return v, ok }

var modes = map[string]Mode{"action": Action, "like": Like, "arn": ARN, "literal": Literal, "literalFold": LiteralFold}

func TestMatch(t *testing.T) {
	var cases []struct {
		Note, Source, Mode, Pattern, Input string
		Vars                               mapResolver
		Variables, Want                    bool
	}
	data, err := os.ReadFile("testdata/match.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		m, ok := modes[c.Mode]
		if !ok {
			t.Fatalf("%s: unknown mode %q", c.Note, c.Mode)
		}
		p := Compile(c.Pattern, m, c.Variables)
		if got := p.Match(c.Input, c.Vars); got != c.Want {
			t.Errorf("%s: %s pattern %q matching %q = %v, want %v", c.Note, c.Mode, c.Pattern, c.Input, got, c.Want)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	p := Compile("arn:aws:s3:::b/${aws:username}/*.jpg", ARN, true)
	r := mapResolver{"aws:username": "bob"}
	var res Resolver = r
	n := testing.AllocsPerRun(100, func() { p.Match("arn:aws:s3:::b/bob/x/y.jpg", res) })
	if n != 0 {
		t.Errorf("Match allocates %v times, want 0", n)
	}
}

// reference builds the regular expression that states each mode's rule directly.
func reference(pattern string, mode Mode) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)")
	if mode == Action {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	total := strings.Count(pattern, ":")
	colons := 0
	for _, r := range pattern {
		cross := !(mode == ARN && colons < 5 && total > colons)
		switch {
		case r == '*' && cross:
			b.WriteString(".*")
		case r == '*':
			b.WriteString("[^:]*")
		case r == '?' && cross:
			b.WriteString(".")
		case r == '?':
			b.WriteString("[^:]")
		default:
			if r == ':' {
				colons++
			}
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func FuzzMatch(f *testing.F) {
	f.Add("arn:aws:s3:::b/*", "arn:aws:s3:::b/x", uint8(ARN))
	f.Add("arn:*:s3:*", "arn:aws:s3:::b:c", uint8(ARN))
	f.Add("a*b?c*", "aXbYcZ", uint8(Like))
	f.Add("S3:Get*", "s3:getobject", uint8(Action))
	f.Add("*a*a*a*", "aaaaaaaa", uint8(Like))
	f.Fuzz(func(t *testing.T, pattern, input string, m uint8) {
		mode := Mode(m % 3)
		if !utf8Valid(pattern) || !utf8Valid(input) {
			return
		}
		if mode == Action && (hasNonASCII(pattern) || hasNonASCII(input)) {
			return // regexp's (?i) folds Unicode more widely than IAM's ASCII action names
		}
		p := Compile(pattern, mode, false)
		want := reference(pattern, mode).MatchString(input)
		if got := p.Match(input, nil); got != want {
			t.Fatalf("%v pattern %q matching %q = %v, reference says %v", mode, pattern, input, got, want)
		}
		if got := Intern(pattern, mode, false).Match(input, nil); got != want {
			t.Fatalf("interned %v pattern %q matching %q = %v, reference says %v", mode, pattern, input, got, want)
		}
		// Probe is a necessary condition: a string that matches passes it.
		if end, word, ok := p.Probe(); ok && want && (len(input) < end || Load64(input, end-8) != word) {
			t.Fatalf("%v pattern %q matches %q but its probe (%d, %#x) rejects it", mode, pattern, input, end, word)
		}
		if p.MatchesAll() && !want {
			t.Fatalf("%v pattern %q says it matches everything but not %q", mode, pattern, input)
		}
	})
}

// TestProbe: the probe is the last eight bytes of the literal prefix, for case-sensitive
// patterns without variables whose prefix is that long.
func TestProbe(t *testing.T) {
	for _, c := range []struct {
		pattern string
		mode    Mode
		vars    bool
		end     int // 0: no probe
	}{
		{"arn:aws:s3:::bucket-1/*", ARN, false, len("arn:aws:s3:::bucket-1/")},
		{"arn:aws:s3:::bucket-1", ARN, false, len("arn:aws:s3:::bucket-1")},
		{"arn:aws:s3:::b-*/home/*", ARN, false, len("arn:aws:s3:::b-")},
		{"arn:aws:s3:::b/${aws:username}/*", ARN, true, 0},
		{"arn:aws:*", ARN, false, 8},
		{"arn:aw*", ARN, false, 0},
		{"*", ARN, false, 0},
		{"s3:getobject*", Action, false, 0},
	} {
		p := Compile(c.pattern, c.mode, c.vars)
		end, word, ok := p.Probe()
		if !ok {
			end = 0
		}
		if end != c.end {
			t.Errorf("%q: probe ends at %d, want %d", c.pattern, end, c.end)
			continue
		}
		if ok && word != Load64(c.pattern, end-8) {
			t.Errorf("%q: probe word %#x is not the prefix's last eight bytes", c.pattern, word)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func BenchmarkMatchARN(b *testing.B) {
	p := Compile("arn:aws:s3:::my_bucket/*/photos/*.jpg", ARN, false)
	for b.Loop() {
		p.Match("arn:aws:s3:::my_bucket/alice/photos/2024/summer.jpg", nil)
	}
}

// TestIntern checks the shared table: one pattern per (text, mode, variables), action
// texts folded, and every entry found again after the table has grown many times.
func TestIntern(t *testing.T) {
	a := Intern("s3:GetObject", Action, false)
	if b := Intern("S3:GETOBJECT", Action, false); a != b || a.String() != "s3:getobject" {
		t.Errorf("action interning: %p %q vs %p", a, a.String(), b)
	}
	x, y, z := Intern("arn:aws:s3:::b/${aws:username}", ARN, true), Intern("arn:aws:s3:::b/${aws:username}", ARN, false), Intern("arn:aws:s3:::b/${aws:username}", Like, true)
	if x == y || x == z || y == z || !x.HasVariables() || y.HasVariables() {
		t.Errorf("mode and variables must key the table: %p %p %p", x, y, z)
	}
	const n = 20000
	ps := make([]*Pattern, n)
	for i := range ps {
		ps[i] = Intern(fmt.Sprintf("arn:aws:s3:::intern-test-%d/*", i), ARN, true)
	}
	for i := range ps {
		s := fmt.Sprintf("arn:aws:s3:::intern-test-%d/*", i)
		if p := Intern(s, ARN, true); p != ps[i] || p.String() != s || !p.Match(s[:len(s)-1]+"k", nil) {
			t.Fatalf("entry %d: %p %q, first interned as %p", i, p, p.String(), ps[i])
		}
	}
	long := strings.Repeat("a", 70000) + "*"
	if p := Intern(long, Like, false); !p.Match(strings.Repeat("a", 70001), nil) || p.Match(strings.Repeat("a", 69999), nil) {
		t.Error("a pattern longer than 16-bit offsets matches wrongly")
	}
}

func TestInternConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	got := make([][]*Pattern, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				got[g] = append(got[g], Intern(fmt.Sprintf("svc%d:Action%d", i%7, i), Action, false))
			}
		}()
	}
	wg.Wait()
	for g := 1; g < len(got); g++ {
		for i := range got[g] {
			if got[g][i] != got[0][i] {
				t.Fatalf("goroutines %d and 0 got different patterns for entry %d", g, i)
			}
		}
	}
}
