package engines

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gatehouse/internal/simulate"
)

var update = flag.Bool("update", false, "rewrite the golden translations in testdata/")

func TestGlob(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "glob.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var tc struct {
			Note, Pattern, S string
			Want             bool
		}
		if err := json.Unmarshal(sc.Bytes(), &tc); err != nil {
			t.Fatal(err)
		}
		n++
		if got := Glob(tc.Pattern, tc.S); got != tc.Want {
			t.Errorf("%s: Glob(%q, %q) = %v, want %v", tc.Note, tc.Pattern, tc.S, got, tc.Want)
		}
	}
	if n == 0 {
		t.Fatal("no cases")
	}
}

// globRegexp is the reference: `*` is `.*`, `?` is `.`, everything else literal.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`)$`)
	return regexp.MustCompile(b.String())
}

func FuzzGlob(f *testing.F) {
	f.Add("s3:get*", "s3:getobject")
	f.Add("a*b?c*", "axxbyczz")
	f.Add("*a*a*a", "aaaa")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		// Glob works on bytes; the reference on runes: compare on ASCII.
		for _, r := range pattern + s {
			if r >= 0x80 {
				return
			}
		}
		if got, want := Glob(pattern, s), globRegexp(pattern).MatchString(s); got != want {
			t.Fatalf("Glob(%q, %q) = %v, want %v", pattern, s, got, want)
		}
	})
}

// TestAgreementDetects checks that the agreement check can fail: peers loaded with a
// corpus whose Denies became Allows, or whose conditions were dropped, must disagree
// with Gatehouse on some requests.
func TestAgreementDetects(t *testing.T) {
	c := Generate(testOptions(true))
	ours, err := NewOurs(c)
	if err != nil {
		t.Fatal(err)
	}
	mutations := map[string]func(s *Statement){
		"deny becomes allow": func(s *Statement) { s.Deny = false },
		"conditions dropped": func(s *Statement) { s.Conditions = nil },
	}
	for name, mutate := range mutations {
		m := *c
		m.Principals = make([]Principal, len(c.Principals))
		for i, p := range c.Principals {
			p.Policies = append([]Policy(nil), p.Policies...)
			for j := range p.Policies {
				p.Policies[j].Statements = append([]Statement(nil), p.Policies[j].Statements...)
				for k := range p.Policies[j].Statements {
					mutate(&p.Policies[j].Statements[k])
				}
			}
			m.Principals[i] = p
		}
		ced, err := NewCedar(&m)
		if err != nil {
			t.Fatal(err)
		}
		opa, err := NewOPA(&m)
		if err != nil {
			t.Fatal(err)
		}
		for _, peer := range []Engine{ced, opa} {
			if bad, _ := Agree(c, ours, peer); len(bad) == 0 {
				t.Errorf("%s: %s loaded with mutated policies agrees with gatehouse on all %d requests", name, peer.Name(), len(c.Requests))
			}
		}
	}
}

// TestCorpus checks that the generator is deterministic and that a corpus exercises
// every feature the comparison claims to cover.
func TestCorpus(t *testing.T) {
	o := testOptions(true)
	a, b := Generate(o), Generate(o)
	if ja, jb := a.Principals[0].Policies[0].JSON(), b.Principals[0].Policies[0].JSON(); string(ja) != string(jb) {
		t.Fatalf("same seed, different policies:\n%s\n%s", ja, jb)
	}
	if a.Requests[7] != b.Requests[7] {
		t.Fatalf("same seed, different requests: %+v, %+v", a.Requests[7], b.Requests[7])
	}
	seen := map[string]int{}
	for _, p := range a.Principals {
		for _, pol := range p.Policies {
			for _, s := range pol.Statements {
				if s.Deny {
					seen["Deny"]++
				}
				if len(s.Conditions) > 1 {
					seen["two operators"]++
				}
				for _, c := range s.Conditions {
					seen[c.Op.String()]++
					if len(c.Values) > 1 {
						seen["several values"]++
					}
				}
				for _, act := range s.Actions {
					if strings.Contains(act, "?") {
						seen["? in an action"]++
					}
					if strings.Contains(act, "*") {
						seen["* in an action"]++
					}
					if act == strings.ToLower(act) {
						seen["lower-case action"]++
					}
				}
				for _, r := range s.Resources {
					if r != "*" && strings.Contains(r, "*") {
						seen["* in a resource"]++
					}
				}
			}
		}
	}
	for _, r := range a.Requests {
		if r.Action == strings.ToUpper(r.Action) {
			seen["upper-case request action"]++
		}
		if strings.Contains(r.Resource, "Bucket-") {
			seen["case-changed resource"]++
		}
		if r.SourceIP == "" {
			seen["no aws:SourceIp"]++
		}
		if r.Secure == "" {
			seen["no aws:SecureTransport"]++
		}
	}
	for _, want := range []string{"Deny", "two operators", "StringEquals", "IpAddress", "Bool", "several values",
		"? in an action", "* in an action", "lower-case action", "* in a resource", "upper-case request action",
		"case-changed resource", "no aws:SourceIp", "no aws:SecureTransport"} {
		if seen[want] == 0 {
			t.Errorf("the corpus has no %s", want)
		}
	}
	ours, err := NewOurs(a)
	if err != nil {
		t.Fatal(err)
	}
	_, tally := Agree(a, ours)
	for d, n := range tally {
		if n < len(a.Requests)/50 {
			t.Errorf("%d of %d requests are %s; want a mix", n, len(a.Requests), Decision(d))
		}
	}
}

// TestSimulateContract decides a sample of the corpus through the product's JSON
// contract (`gatehouse policy simulate`, internal/simulate) and checks it agrees with the
// direct authz path the benchmarks time, so the figures are for the product's decision.
func TestSimulateContract(t *testing.T) {
	c := Generate(testOptions(true))
	ours, err := NewOurs(c)
	if err != nil {
		t.Fatal(err)
	}
	dec := ours.Decider()
	for i := 0; i < len(c.Requests); i += 7 {
		r := c.Requests[i]
		p := &c.Principals[r.Principal]
		in := map[string]any{"principal": p.ARN, "action": r.Action, "resource": r.Resource}
		if p.Team != "" {
			in["principalTags"] = map[string]string{"team": p.Team}
		}
		ctx := map[string]string{}
		if r.SourceIP != "" {
			ctx[KeyIP] = r.SourceIP
		}
		if r.Secure != "" {
			ctx[KeySecure] = r.Secure
		}
		in["context"] = ctx
		var docs []json.RawMessage
		for _, pol := range p.Policies {
			docs = append(docs, pol.JSON())
		}
		in["identityPolicies"] = docs
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		input, err := simulate.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		out, err := simulate.Run(input)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dec.Decide(i)
		if err != nil {
			t.Fatal(err)
		}
		if out.Decision != got.String() {
			t.Errorf("request %d (%s %s by %s): simulate says %s, the benchmark path %s", i, r.Action, r.Resource, p.ARN, out.Decision, got)
		}
	}
}

// TestTranslationGolden pins the Cedar and Rego translations of a small corpus, so a
// change to an encoding shows in review (go test -run Golden -update rewrites them).
func TestTranslationGolden(t *testing.T) {
	c := Generate(Options{Seed: 7, Users: 1, PoliciesPerUser: 1, StatementsPerPolicy: 12, Requests: 1})
	files := map[string]string{
		"translation.json":  string(c.Principals[0].Policies[0].JSON()) + "\n",
		"translation.cedar": CedarPolicies(&c.Principals[0]),
		"translation.rego":  RegoModule(c),
	}
	for name, got := range files {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s changed; got:\n%s", path, got)
		}
	}
}
