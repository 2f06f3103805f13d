package authz

import (
	"testing"

	"gatehouse/internal/policy"
)

// FuzzEvaluate feeds arbitrary documents (as identity, resource and boundary policies)
// and requests through the whole path: it must never panic, and a matching Deny must
// always decide explicitDeny.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/${aws:username}/*"},{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/x","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*"]}}}]}`),
		"arn:aws:iam::111122223333:user/alice", "s3:GetObject", "arn:aws:s3:::b/alice/k")
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:sts::111122223333:assumed-role/r/s"]},"Action":"*","Resource":"*"}}`),
		"arn:aws:sts::111122223333:assumed-role/r/s", "sts:AssumeRole", "arn:aws:iam::111122223333:role/r")
	f.Fuzz(func(t *testing.T, doc []byte, principal, action, resource string) {
		pol, err := policy.CompileLenient(doc)
		if err != nil {
			return
		}
		p, err := ParsePrincipal(principal)
		if err != nil {
			return
		}
		a := Attached{Label: "fuzz", Policy: pol}
		set := NewSet(PrincipalPolicies{Identity: []Attached{a}, Boundary: &a})
		rs := NewResourceSet(ResourcePolicies{Resource: &a})
		ctx := NewContext(&p, map[string]string{"team": "blue"})
		ctx.SetMulti("aws:TagKeys", []string{"alpha", "beta"})
		var res Result
		for _, acct := range []string{"", "444455556666"} {
			Evaluate(&Request{Principal: &p, Action: action, Resource: resource, ResourceAccount: acct, Context: ctx, Policies: set, Resources: rs}, &res)
			deny := false
			for _, m := range res.Matched {
				deny = deny || m.Effect == policy.Deny
			}
			if deny != (res.Decision == ExplicitDeny) {
				t.Fatalf("decision %v with matched %+v", res.Decision, res.Matched)
			}
			_ = res.Message()
		}
	})
}
