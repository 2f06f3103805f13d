package authz

import (
	"fmt"
	"strings"
	"testing"

	"gatehouse/internal/policy"
)

// TestPlanCacheBound decides more distinct actions than the plan cache keeps, for a
// scanned Set (few statements) and a bucketed one (over indexThreshold), in any case:
// every decision must be the same before the cache fills, after it is full (plans built
// per decision, or scanned) and when asked again, and the cache must stop at maxPlans.
func TestPlanCacheBound(t *testing.T) {
	doc := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`{"Version":"2012-10-17","Statement":[`)
		b.WriteString(`{"Effect":"Allow","Action":"svc:Get*","Resource":"*"},`)
		b.WriteString(`{"Effect":"Deny","Action":"svc:GetSecret*","Resource":"*"}`)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `,{"Effect":"Allow","Action":"other:Act%d","Resource":"*"}`, i)
		}
		b.WriteString(`]}`)
		return []byte(b.String())
	}
	want := func(action string, extra int) Decision {
		a := strings.ToLower(action)
		switch {
		case strings.HasPrefix(a, "svc:getsecret"):
			return ExplicitDeny
		case strings.HasPrefix(a, "svc:get"), extra > 1 && strings.HasPrefix(a, "other:act"):
			return Allowed
		}
		return ImplicitDeny
	}
	pr, err := ParsePrincipal("arn:aws:iam::111122223333:user/alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, extra := range []int{0, 2 * indexThreshold} {
		p, err := policy.CompileStrict(doc(extra), policy.Identity)
		if err != nil {
			t.Fatal(err)
		}
		set := NewSet(PrincipalPolicies{Identity: []Attached{{Label: "identity[0]", Policy: p}}})
		actions := []string{"svc:GetObject", "SVC:getObject", "svc:GetSecretValue", "svc:Put", "other:Act1", "OTHER:ACT1"}
		for i := 0; len(actions) < maxPlans+300; i++ {
			actions = append(actions, fmt.Sprintf("svc:Get%d", i), fmt.Sprintf("svc:GetSecret%d", i), fmt.Sprintf("Svc:Put%d", i))
		}
		var res Result
		for round := 0; round < 2; round++ {
			for _, a := range actions {
				Evaluate(&Request{Principal: &pr, Action: a, Resource: "*", Context: NewContext(&pr, nil), Policies: set}, &res)
				if res.Decision != want(a, extra) {
					t.Fatalf("extra=%d round %d: %s: got %s, want %s", extra, round, a, res.Decision, want(a, extra))
				}
			}
		}
		if tb := set.plans.t.Load(); tb == nil || tb.n != maxPlans {
			t.Fatalf("extra=%d: plan cache holds %v plans, want %d", extra, tb, maxPlans)
		}
	}
}

// TestSameKeyAndHash: sameKey agrees with == for keys of every length up to 40 that differ
// in any one byte, and hashAction separates them (a collision among so few would point to
// a broken mix, not bad luck).
func TestSameKeyAndHash(t *testing.T) {
	for n := 0; n <= 40; n++ {
		a := strings.Repeat("s3:GetObjectAcl-", 3)[:n]
		seen := map[uint64]string{hashAction(a): a}
		for i := 0; i < n; i++ {
			b := []byte(a)
			b[i] ^= 0x20
			if sameKey(a, string(b)) {
				t.Fatalf("sameKey(%q, %q) = true", a, b)
			}
			h := hashAction(string(b))
			if other, ok := seen[h]; ok {
				t.Fatalf("hashAction(%q) = hashAction(%q)", b, other)
			}
			seen[h] = string(b)
		}
		if !sameKey(a, strings.Clone(a)) || (n > 0 && sameKey(a, a[:n-1])) {
			t.Fatalf("sameKey wrong on %q", a)
		}
	}
}
