package authz

import (
	"fmt"
	"sync"
	"testing"

	"gatehouse/internal/policy"
)

// TestQuickCands: only statements that a resource match and a condition alone decide take
// the quick path: never one with a Principal element or a policy variable, never in a
// resource-based policy or an RCP (whose statements apply only to the principals they
// name), and NotResource only with one pattern. A statement without Resource matches every
// resource.
func TestQuickCands(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*","*"]},
		{"Effect":"Deny","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/*"},
		{"Effect":"Deny","Action":"s3:GetObject","NotResource":["arn:aws:s3:::b/*","arn:aws:s3:::c/*"]},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/*"},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"${aws:PrincipalTag/u}"}}},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
		{"Effect":"Allow","Action":"s3:GetObject","Principal":{"AWS":"111122223333"},"Resource":"*"}
	]}`
	p, err := policy.CompileLenient([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	// Statement with no Resource element: a trust policy's.
	trust, err := policy.CompileLenient([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	describe := func(list []cand) string {
		out := ""
		for _, c := range list {
			switch {
			case c.flags&cQuick == 0:
				out += "try "
			default:
				f := "quick"
				if c.flags&cNotResource != 0 {
					f += "/not"
				}
				if c.flags&cAnyResource != 0 {
					f += "/any"
				}
				if c.flags&cCond != 0 {
					f += "/cond"
				}
				out += fmt.Sprintf("%s+%d ", f, c.skip)
			}
		}
		return out
	}
	for _, c := range []struct {
		typ  PolicyType
		want string
	}{
		{IdentityPolicy, "quick+0 quick+2 quick+1 quick/any+0 quick/not+0 try try try quick/any/cond+0 try "},
		{BoundaryPolicy, "quick+0 quick+2 quick+1 quick/any+0 quick/not+0 try try try quick/any/cond+0 try "},
		{ResourcePolicy, "try try try try try try try try "},
		{RCPPolicy, "try try try try try try try try "},
	} {
		ix := newIndex([]Attached{{Label: "p", Policy: p}}, c.typ)
		var list []cand
		for i := range p.Statements {
			list = ix.appendCands(list, &p.Statements[i], 0)
		}
		if got := describe(list); got != c.want {
			t.Errorf("%s: cands %q, want %q", c.typ, got, c.want)
		}
	}
	ix := newIndex([]Attached{{Label: "t", Policy: trust}}, IdentityPolicy)
	if got := describe(ix.appendCands(nil, &trust.Statements[0], 0)); got != "try " {
		t.Errorf("trust statement (with Principal, no Resource): %q", got)
	}
	trust2, _ := policy.CompileLenient([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`))
	if got := describe(ix.appendCands(nil, &trust2.Statements[0], 0)); got != "quick/any+0 " {
		t.Errorf("statement without Resource: %q", got)
	}
}

// TestConcurrentDecisions: several goroutines deciding the same requests at once, on
// shared Sets whose plan caches they fill together and on contexts over one shared base,
// decide as one goroutine does (run with -race, as make test does).
func TestConcurrentDecisions(t *testing.T) {
	type job struct {
		req  Request
		want string
	}
	var jobs []job
	for seed := uint64(0); seed < 40; seed++ {
		w := newWorld(seed)
		set, rs := NewSet(w.pp), NewResourceSet(w.rp)
		base := w.g.context(&w.p)
		for _, r := range w.requests(set, rs, 30) {
			ctx := ContextOver(base)
			ctx.Set("aws:SourceIp", "10.1.2.3")
			r.Context = ctx
			jobs = append(jobs, job{req: r})
		}
	}
	// The reference answers: each request decided alone, on fresh sets.
	for i := range jobs {
		r := jobs[i].req
		if r.Policies != nil {
			r.Policies = &Set{identity: r.Policies.identity, boundary: r.Policies.boundary, session: r.Policies.session,
				scps: r.Policies.scps, hasSCPs: r.Policies.hasSCPs, indexed: r.Policies.indexed}
		}
		var res Result
		Evaluate(&r, &res)
		jobs[i].want = fmt.Sprint(res.Decision, res.DeniedBy, res.Matched, res.Message())
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var res Result
			for k := 0; k < 3*len(jobs); k++ {
				j := &jobs[(k*(g+1)+g*7)%len(jobs)]
				Evaluate(&j.req, &res)
				if got := fmt.Sprint(res.Decision, res.DeniedBy, res.Matched, res.Message()); got != j.want {
					errs <- fmt.Sprintf("goroutine %d: %s %s: got %s, want %s", g, j.req.Action, j.req.Resource, got, j.want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
