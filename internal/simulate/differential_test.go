package simulate_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/authz/reference"
)

// pairs is how many random (policies, request) pairs the differential test runs: 10,000 in CI, 1,000 with
// -short, and GATEHOUSE_DIFF_N for a long run (GATEHOUSE_DIFF_N=1000000). GATEHOUSE_DIFF_SEED changes
// the corpus.
func pairs(t *testing.T) (int, uint64) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	if s := os.Getenv("GATEHOUSE_DIFF_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			t.Fatalf("GATEHOUSE_DIFF_N=%q: want a positive integer", s)
		}
		n = v
	}
	seed := uint64(20121017)
	if s := os.Getenv("GATEHOUSE_DIFF_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GATEHOUSE_DIFF_SEED=%q: %v", s, err)
		}
		seed = v
	}
	return n, seed
}

// disagreement reports how the engine's answer differs from the reference's, "" when they agree. When
// several policy types deny (explicitly, or by not allowing), AWS names only one of them
// (troubleshoot_access-denied.html), so any of them is accepted as deniedBy.
func disagreement(in map[string]any) string {
	data, err := json.Marshal(in)
	if err != nil {
		return "marshal: " + err.Error()
	}
	want, err := reference.Evaluate(data)
	if err != nil {
		return "reference rejected the input: " + err.Error()
	}
	got, err := run(data)
	if err != nil {
		return "engine error: " + err.Error()
	}
	gotBy := ""
	if got.DeniedBy != nil {
		gotBy = *got.DeniedBy
	}
	ok := got.Decision == want.Decision
	if ok && want.Decision != reference.Allowed {
		ok = slices.Contains(want.Denials, gotBy)
	} else if ok {
		ok = gotBy == ""
	}
	if ok {
		return ""
	}
	why := "engine " + got.Decision + "/" + gotBy + ", reference " + want.Decision + "/" + strings.Join(want.Denials, "|")
	if want.InvalidStatements > 0 {
		why += " (the reference dropped statements whose policy variables cannot be resolved)"
	}
	return why
}

// TestDifferential: the engine and the reference evaluator agree on the decision and on deniedBy for every
// random input. A mismatch is printed as the smallest input that still disagrees.
func TestDifferential(t *testing.T) {
	n, seed := pairs(t)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	failures := 0
	for i := range n {
		in := reference.RandomInput(r)
		why := disagreement(in)
		if why == "" {
			continue
		}
		min := reference.Shrink(in, func(m map[string]any) bool {
			data, _ := json.Marshal(m)
			if _, err := reference.Evaluate(data); err != nil {
				return false // shrinking must keep the input valid
			}
			return disagreement(m) != ""
		})
		data, _ := json.Marshal(min)
		t.Errorf("pair %d (seed %d): %s\n  minimal input: %s\n  (after shrinking: %s)", i, seed, why, data, disagreement(min))
		if failures++; failures >= 10 {
			t.Fatalf("stopping after %d disagreements in %d pairs", failures, i+1)
		}
	}
	t.Logf("%d pairs, seed %d: %d disagreements", n, seed, failures)
}

func decide(t *testing.T, in map[string]any) output {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(data)
	if err != nil {
		t.Fatalf("engine error %v on %s", err, data)
	}
	return out
}

func clone(in map[string]any) map[string]any {
	data, _ := json.Marshal(in)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

// TestPropertyExplicitDenyWins: adding an explicit-deny statement never turns a denial into an allow, and
// an unconditional Deny */* in an identity policy always decides for a principal that has identity
// policies ("An explicit deny in any policy overrides any allows", reference_policies_evaluation-logic.html).
func TestPropertyExplicitDenyWins(t *testing.T) {
	n, seed := pairs(t)
	n = max(n/5, 200)
	r := rand.New(rand.NewPCG(seed+1, seed))
	for range n {
		in := reference.RandomInput(r)
		before := decide(t, in)
		mut := clone(in)
		deny := map[string]any{"Effect": "Deny", "Action": "*", "Resource": "*"}
		conditional := r.IntN(2) == 0
		if conditional {
			deny["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalTag/team": "blue"}}
		}
		ids, _ := mut["identityPolicies"].([]any)
		mut["identityPolicies"] = append(ids, map[string]any{"Version": "2012-10-17", "Statement": []any{deny}})
		after := decide(t, mut)
		if before.Decision != "allowed" && after.Decision == "allowed" {
			data, _ := json.Marshal(mut)
			t.Fatalf("adding a Deny turned %s into allowed: %s", before.Decision, data)
		}
		p := in["principal"].(string)
		hasIdentity := p != "anonymous" && p != "ec2.amazonaws.com" && !isRoot(p)
		if !conditional && hasIdentity && after.Decision != "explicitDeny" {
			data, _ := json.Marshal(mut)
			t.Fatalf("an unconditional Deny */* gave %s: %s", after.Decision, data)
		}
	}
}

func isRoot(p string) bool { return len(p) > 5 && p[len(p)-5:] == ":root" }

// TestPropertyNarrowing: adding a permissions boundary or a session policy never turns a denial into an
// allow; they only narrow (access_policies_boundaries.html, access_policies.html#policies_session). A
// federated user session is the documented exception for session policies: without one it is denied.
func TestPropertyNarrowing(t *testing.T) {
	n, seed := pairs(t)
	n = max(n/5, 200)
	r := rand.New(rand.NewPCG(seed+2, seed))
	for range n {
		in := reference.RandomInput(r)
		before := decide(t, in)
		if before.Decision == "allowed" {
			continue
		}
		extra := reference.RandomInput(r)
		for _, field := range []string{"permissionsBoundary", "sessionPolicy"} {
			if in[field] != nil {
				continue
			}
			if field == "sessionPolicy" && slices.Contains([]string{"arn:aws:sts::111122223333:federated-user/fed"}, in["principal"].(string)) {
				continue
			}
			ids, _ := extra["identityPolicies"].([]any)
			if len(ids) == 0 {
				continue
			}
			mut := clone(in)
			mut[field] = ids[0]
			if after := decide(t, mut); after.Decision == "allowed" {
				data, _ := json.Marshal(mut)
				t.Fatalf("adding %s turned %s into allowed: %s", field, before.Decision, data)
			}
		}
	}
}
