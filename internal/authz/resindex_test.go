package authz

import (
	"encoding/json"
	"fmt"
	"testing"

	"gatehouse/internal/policy"
)

// tenantPolicy is a large role of the kind that needs the resource index: many
// statements for the same actions, each on its own tenant's bucket, plus a few broad ones.
func tenantPolicy(g *gen, n int) []byte {
	type stmt struct {
		Sid         string   `json:"Sid,omitempty"`
		Effect      string   `json:"Effect"`
		Action      []string `json:"Action"`
		Resource    []string `json:"Resource,omitempty"`
		NotResource []string `json:"NotResource,omitempty"`
	}
	doc := struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{Version: "2012-10-17"}
	for i := 0; i < n; i++ {
		s := stmt{Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject"}}
		switch g.r.IntN(200) {
		case 0:
			s.Resource = []string{"*"}
		case 1:
			s.NotResource = []string{fmt.Sprintf("arn:aws:s3:::tenant-%d/*", g.r.IntN(n))}
		case 2:
			s.Effect = "Deny"
			s.Resource = []string{fmt.Sprintf("arn:aws:s3:::tenant-%d/secret/*", g.r.IntN(n))}
		case 3:
			s.Resource = []string{"arn:aws:s3:::tenant-*/public/*"}
		case 4:
			s.Resource = []string{"arn:aws:s3:::${aws:PrincipalTag/team}/*"}
		default:
			s.Resource = []string{fmt.Sprintf("arn:aws:s3:::tenant-%d/*", i), fmt.Sprintf("arn:aws:s3:::tenant-%d", i)}
		}
		doc.Statement = append(doc.Statement, s)
	}
	b, _ := json.Marshal(doc)
	return b
}

func buildTenants(n int, seed uint64) benchCase {
	g := newGen(seed)
	p, err := policy.CompileStrict(tenantPolicy(g, n), policy.Identity)
	if err != nil {
		panic(err)
	}
	pr, _ := ParsePrincipal("arn:aws:sts::111122223333:assumed-role/tenants/s")
	set := NewSet(PrincipalPolicies{Identity: []Attached{{Label: "identity[0]", Policy: p}}})
	bc := benchCase{set: set}
	for i := 0; i < 256; i++ {
		res := fmt.Sprintf("arn:aws:s3:::tenant-%d/%s/k%d", g.r.IntN(n+50), g.pick([]string{"a", "secret", "public"}), i)
		bc.reqs = append(bc.reqs, Request{Principal: &pr, Action: g.pick([]string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}),
			Resource: res, Context: NewContext(&pr, map[string]string{"team": fmt.Sprintf("tenant-%d", g.r.IntN(n))}), Policies: set})
	}
	return bc
}

// TestResourceIndexAgreesWithScan: with the resource index in play, a decision matches
// exactly the statements a linear scan matches.
func TestResourceIndexAgreesWithScan(t *testing.T) {
	var res Result
	for seed := uint64(0); seed < 20; seed++ {
		bc := buildTenants(300, seed)
		pol := bc.set.identity.pols[0].Policy
		for i := range bc.reqs {
			req := &bc.reqs[i]
			Evaluate(req, &res)
			var want, got []int
			for j := range pol.Statements {
				st := &pol.Statements[j]
				if st.MatchAction(req.Action) && st.Resolves(req.Context) && st.MatchResource(req.Resource, req.Context) && st.Holds(req.Context) {
					want = append(want, int(st.Index))
				}
			}
			for _, m := range res.Matched {
				got = append(got, m.Index)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d %s on %s: index matched %v, scan %v", seed, req.Action, req.Resource, got, want)
			}
		}
	}
}

// BenchmarkDecision1000Tenants: one role, 1,000 statements for the same two actions,
// each on its own bucket (the resource index's case).
func BenchmarkDecision1000Tenants(b *testing.B) { benchDecide(b, buildTenants(1000, 5)) }
