package authz

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"gatehouse/internal/policy"
)

func TestParsePrincipal(t *testing.T) {
	var cases []struct {
		Note, Source, In             string
		Kind, Account, Name, RoleArn string
		Err                          bool
	}
	data, err := os.ReadFile("testdata/principals.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		p, err := ParsePrincipal(c.In)
		if c.Err {
			if !errors.Is(err, ErrPrincipal) {
				t.Errorf("%s: ParsePrincipal(%q) error = %v, want ErrPrincipal", c.Note, c.In, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ParsePrincipal(%q): %v", c.Note, c.In, err)
			continue
		}
		if p.Kind.String() != c.Kind || p.Account != c.Account || p.Name != c.Name || p.RoleARN != c.RoleArn {
			t.Errorf("%s: got kind %v account %q name %q roleArn %q, want %s %q %q %q", c.Note, p.Kind, p.Account, p.Name, p.RoleARN, c.Kind, c.Account, c.Name, c.RoleArn)
		}
	}
}

func TestStrings(t *testing.T) {
	for got, want := range map[string]string{
		Allowed.String(): "allowed", ExplicitDeny.String(): "explicitDeny", ImplicitDeny.String(): "implicitDeny",
		IdentityPolicy.String(): "identity", ResourcePolicy.String(): "resource", BoundaryPolicy.String(): "permissionsBoundary",
		SessionPolicy.String(): "session", SCPPolicy.String(): "scp", RCPPolicy.String(): "rcp",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// propertyWorld is a random principal, policies and requests.
type propertyWorld struct {
	g       *gen
	pp      PrincipalPolicies
	rp      ResourcePolicies
	p       Principal
	resAcct string
}

func (g *gen) resourcePolicy() *policy.Policy {
	var doc map[string]any
	_ = json.Unmarshal(g.policy(1+g.r.IntN(4), 0.3, 0.25), &doc)
	var stmts []any
	switch s := doc["Statement"].(type) {
	case []any:
		stmts = s
	}
	principals := []any{"*", map[string]any{"AWS": "111122223333"}, map[string]any{"AWS": "arn:aws:iam::111122223333:user/alice"},
		map[string]any{"AWS": "arn:aws:iam::111122223333:role/r"}, map[string]any{"AWS": "arn:aws:sts::111122223333:assumed-role/r/s"},
		map[string]any{"AWS": "444455556666"}}
	for _, st := range stmts {
		m := st.(map[string]any)
		if g.r.IntN(5) == 0 {
			m["NotPrincipal"] = principals[1+g.r.IntN(len(principals)-1)]
		} else {
			m["Principal"] = principals[g.r.IntN(len(principals))]
		}
	}
	b, _ := json.Marshal(doc)
	p, err := policy.CompileStrict(b, policy.Resource)
	if err != nil {
		panic(fmt.Sprintf("%v: %s", err, b))
	}
	return p
}

func newWorld(seed uint64) *propertyWorld {
	g := newGen(seed)
	g.notResource = 0.15
	w := &propertyWorld{g: g}
	for i := 0; i < 1+g.r.IntN(3); i++ {
		w.pp.Identity = append(w.pp.Identity, Attached{Label: fmt.Sprintf("identity[%d]", i), Policy: g.compiled(1+g.r.IntN(6), 0.2, 0.3)})
	}
	if g.r.IntN(3) == 0 {
		w.pp.SCPs = [][]Attached{{{Label: "scp[0][0]", Policy: g.compiled(3, 0.2, 0.2)}}}
	}
	if g.r.IntN(2) == 0 {
		w.rp.Resource = &Attached{Label: "resource", Policy: g.resourcePolicy()}
	}
	principals := []string{"arn:aws:iam::111122223333:user/alice", "arn:aws:sts::111122223333:assumed-role/r/s", "arn:aws:iam::111122223333:root"}
	w.p, _ = ParsePrincipal(principals[g.r.IntN(len(principals))])
	w.resAcct = []string{"111122223333", "444455556666"}[g.r.IntN(2)]
	return w
}

func (w *propertyWorld) requests(set *Set, rs *ResourceSet, n int) []Request {
	g := newGen(w.g.r.Uint64())
	var out []Request
	for i := 0; i < n; i++ {
		a := g.action()
		out = append(out, Request{Principal: &w.p, Action: a, Resource: g.resourceFor(a[:indexByte(a, ':')]),
			ResourceAccount: w.resAcct, Context: g.context(&w.p), Policies: set, Resources: rs})
	}
	return out
}

// TestPropertyExplicitDenyWins: a matching Deny statement anywhere always yields
// explicitDeny, and explicitDeny always has a matching Deny statement.
func TestPropertyExplicitDenyWins(t *testing.T) {
	var res Result
	for seed := uint64(0); seed < 400; seed++ {
		w := newWorld(seed)
		set, rs := NewSet(w.pp), NewResourceSet(w.rp)
		for _, req := range w.requests(set, rs, 30) {
			Evaluate(&req, &res)
			deny := false
			for _, m := range res.Matched {
				deny = deny || m.Effect == policy.Deny
			}
			if deny != (res.Decision == ExplicitDeny) {
				t.Fatalf("seed %d %s on %s: decision %v with matched %+v", seed, req.Action, req.Resource, res.Decision, res.Matched)
			}
		}
	}
}

// TestPropertyNarrowing: adding a permissions boundary or a session policy never turns a
// denial into an allow.
func TestPropertyNarrowing(t *testing.T) {
	var res Result
	for seed := uint64(0); seed < 400; seed++ {
		w := newWorld(seed)
		base := NewSet(w.pp)
		rs := NewResourceSet(w.rp)
		withB := w.pp
		withB.Boundary = &Attached{Label: "permissionsBoundary", Policy: w.g.compiled(1+w.g.r.IntN(5), 0.2, 0.3)}
		withS := w.pp
		withS.Session = []Attached{{Label: "session", Policy: w.g.compiled(1+w.g.r.IntN(5), 0.2, 0.3)}}
		narrowed := []*Set{NewSet(withB), NewSet(withS)}
		for _, req := range w.requests(base, rs, 30) {
			Evaluate(&req, &res)
			before := res.Decision
			for _, n := range narrowed {
				r2 := req
				r2.Policies = n
				Evaluate(&r2, &res)
				if before != Allowed && res.Decision == Allowed {
					t.Fatalf("seed %d %s %s: %v became allowed with a boundary or session policy (%+v)", seed, w.p.ARN, req.Action, before, res.Matched)
				}
			}
		}
	}
}

// TestIndexAgreesWithScan: the action index and plan cache find exactly the statements
// a linear scan of every statement finds, for small sets (scanned by plan) and large ones
// (bucketed by action, and by resource prefix where a plan has many candidates).
func TestIndexAgreesWithScan(t *testing.T) {
	var res Result
	for seed := uint64(0); seed < 260; seed++ {
		w := newWorld(seed)
		if seed >= 200 {
			// Large identity policies: over indexThreshold statements, so bucketed.
			w.pp.Identity = w.pp.Identity[:0]
			for i := 0; i < 2; i++ {
				w.pp.Identity = append(w.pp.Identity, Attached{Label: fmt.Sprintf("identity[%d]", i), Policy: w.g.compiled(40+w.g.r.IntN(60), 0.15, 0.3)})
			}
		}
		if w.p.Kind == Root {
			continue // the root user's identity policies are not evaluated
		}
		set := NewSet(w.pp)
		reqs := w.requests(set, nil, 40)
		// Each request twice, the second time from the plan the first one cached, and
		// once more with the action in other case (a plan of its own).
		for i := range reqs {
			again := reqs[i]
			again.Action = strings.ToUpper(again.Action)
			reqs = append(reqs, reqs[i], again)
		}
		for _, req := range reqs {
			Evaluate(&req, &res)
			var want []string
			for _, a := range w.pp.Identity {
				for i := range a.Policy.Statements {
					st := &a.Policy.Statements[i]
					if st.MatchAction(req.Action) && st.Resolves(req.Context) && st.MatchResource(req.Resource, req.Context) && st.Holds(req.Context) {
						want = append(want, fmt.Sprintf("%s/%d", a.Label, st.Index))
					}
				}
			}
			var got []string
			for _, m := range res.Matched {
				if m.Type == IdentityPolicy {
					got = append(got, fmt.Sprintf("%s/%d", m.Policy, m.Index))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d %s on %s: index matched %v, scan %v", seed, req.Action, req.Resource, got, want)
			}
		}
	}
}

func TestEvaluateAllocs(t *testing.T) {
	bc := buildBench(5, 10, 1)
	var res Result
	for i := range bc.reqs {
		Evaluate(&bc.reqs[i], &res) // warm the plan cache and the Result's buffers
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() { Evaluate(&bc.reqs[i&255], &res); i++ }); n != 0 {
		t.Errorf("Evaluate allocates %v times per decision, want 0", n)
	}
	// Every policy type at once: SCP and RCP levels, a resource policy, a boundary, a
	// session policy, for a role session.
	g := newGen(9)
	at := func(label string) Attached { return Attached{Label: label, Policy: g.compiled(8, 0.1, 0.25)} }
	b, s := at("permissionsBoundary"), at("session")
	set := NewSet(PrincipalPolicies{Identity: []Attached{at("identity[0]")}, Boundary: &b, Session: []Attached{s},
		SCPs: [][]Attached{{at("scp[0][0]")}, {at("scp[1][0]")}}})
	r := Attached{Label: "resource", Policy: g.resourcePolicy()}
	rs := NewResourceSet(ResourcePolicies{Resource: &r, RCPs: [][]Attached{{at("rcp[0][0]")}}})
	p, _ := ParsePrincipal("arn:aws:sts::111122223333:assumed-role/r/s")
	w := &propertyWorld{g: g, p: p, resAcct: "111122223333"}
	reqs := w.requests(set, rs, 64)
	for i := range reqs {
		Evaluate(&reqs[i], &res)
	}
	if n := testing.AllocsPerRun(1000, func() { Evaluate(&reqs[i&63], &res); i++ }); n != 0 {
		t.Errorf("Evaluate with every policy type allocates %v times per decision, want 0", n)
	}
}

func TestMessageOmitsStarResource(t *testing.T) {
	p, _ := ParsePrincipal("arn:aws:iam::111122223333:user/alice")
	var res Result
	Evaluate(&Request{Principal: &p, Action: "ec2:DescribeInstances", Resource: "*", Context: NewContext(&p, nil)}, &res)
	want := "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action"
	if got := res.Message(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestContextFromPrincipal(t *testing.T) {
	p, _ := ParsePrincipal("arn:aws:sts::111122223333:assumed-role/role_1/i-0abc")
	c := NewContext(&p, map[string]string{"team": "blue"})
	for k, want := range map[string]string{
		"aws:PrincipalArn": "arn:aws:iam::111122223333:role/role_1", "aws:PrincipalAccount": "111122223333",
		"aws:PrincipalType": "AssumedRole", "AWS:PRINCIPALTAG/TEAM": "blue",
	} {
		if v, ok := c.Values(k); !ok || len(v) != 1 || v[0] != want {
			t.Errorf("%s = %v, want %q", k, v, want)
		}
	}
	if c.Has("aws:username") {
		t.Errorf("aws:username set for a role session; IAM sets it only for users")
	}
}
