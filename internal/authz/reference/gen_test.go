package reference

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

func decide(t *testing.T, in map[string]any) Result {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(data)
	if err != nil {
		t.Fatalf("generated input rejected: %v\n%s", err, data)
	}
	return res
}

// TestRandomInputs: every generated input decodes, and the generator reaches all three decisions and
// every deniedBy often enough to be a useful differential corpus.
func TestRandomInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	count := map[string]int{}
	const n = 1500
	for range n {
		res := decide(t, RandomInput(r))
		count[res.Decision]++
		count["by:"+res.DeniedBy]++
	}
	for _, k := range []string{Allowed, ExplicitDeny, ImplicitDeny, "by:identity", "by:resource", "by:scp", "by:rcp", "by:permissionsBoundary", "by:session"} {
		if count[k] < n/200 {
			t.Errorf("%s reached %d times in %d inputs, want at least %d (%v)", k, count[k], n, n/200, count)
		}
	}
}

// AddDeny appends a Deny statement to one of the input's policies; it is the mutation of the property
// "an explicit deny is never overridden".
func addDeny(r *rand.Rand, in map[string]any) map[string]any {
	out := clone(in).(map[string]any)
	deny := map[string]any{"Effect": "Deny", "Action": "*", "Resource": "*"}
	if r.IntN(2) == 0 {
		deny["Condition"] = gen{r}.condition()
	}
	pol := map[string]any{"Version": "2012-10-17", "Statement": []any{deny}}
	ids, _ := out["identityPolicies"].([]any)
	out["identityPolicies"] = append(ids, pol)
	return out
}

func TestPropertyDenyNeverAllows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		in := RandomInput(r)
		before := decide(t, in)
		after := decide(t, addDeny(r, in))
		if before.Decision != Allowed && after.Decision == Allowed {
			b, _ := json.Marshal(in)
			t.Fatalf("adding a Deny turned %s into allowed:\n%s", before.Decision, b)
		}
	}
}

func TestPropertyNarrowing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		in := RandomInput(r)
		before := decide(t, in)
		for _, field := range []string{"permissionsBoundary", "sessionPolicy"} {
			if in[field] != nil {
				continue
			}
			// A federated user session without a session policy is denied by design
			// (reference_policies_evaluation-logic.html), so adding one may allow: not a narrowing case.
			if field == "sessionPolicy" && parsePrincipal(in["principal"].(string)).Kind == KindFederated {
				continue
			}
			mut := clone(in).(map[string]any)
			mut[field] = gen{r}.policy(false)
			if after := decide(t, mut); before.Decision != Allowed && after.Decision == Allowed {
				b, _ := json.Marshal(mut)
				t.Fatalf("adding %s turned %s into allowed:\n%s", field, before.Decision, b)
			}
		}
	}
}

func TestShrink(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 50 {
		in := RandomInput(r)
		in["identityPolicies"] = append(in["identityPolicies"].([]any), map[string]any{"Version": "2012-10-17",
			"Statement": []any{map[string]any{"Effect": "Deny", "Action": "*", "Resource": "*"}}})
		in["principal"] = "arn:aws:iam::111122223333:user/alice"
		failing := func(m map[string]any) bool {
			data, _ := json.Marshal(m)
			res, err := Evaluate(data)
			return err == nil && res.Decision == ExplicitDeny && res.DeniedBy == TypeIdentity
		}
		min := Shrink(in, failing)
		if !failing(min) {
			t.Fatal("shrunk input no longer fails")
		}
		ids, _ := min["identityPolicies"].([]any)
		if len(min) != 4 || len(ids) != 1 {
			b, _ := json.Marshal(min)
			t.Fatalf("not minimal: %s", b)
		}
	}
}
