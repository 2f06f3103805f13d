package iam

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/awsproto/iamapi"
)

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// FuzzSubstitutePrincipals: substitution never breaks a document — valid JSON stays valid —
// and touches nothing when no recorded ARN is in it.
func FuzzSubstitutePrincipals(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/x", "1"]},"Action":"sts:AssumeRole"}]}`)
	f.Add(`{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Condition":{"StringEquals":{"AWS":"arn:aws:iam::123456789012:role/x"}}}}`)
	f.Add(`{"Statement":[{"Principal":{"AWS":"arn:aws:iam::123456789012:role\/x"}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		const arn = "arn:aws:iam::123456789012:role/x"
		got := substitutePrincipals(doc, map[string]string{arn: "AROAEXAMPLE"})
		if json.Valid([]byte(doc)) && !json.Valid([]byte(got)) {
			t.Fatalf("substitution broke %q: %q", doc, got)
		}
		if !strings.Contains(doc, "role") && got != doc {
			t.Fatalf("changed a document without the ARN: %q → %q", doc, got)
		}
	})
}

// Only Principal/NotPrincipal AWS values are substituted, not the same text in a condition.
func TestSubstitutePrincipalsOnlyPrincipals(t *testing.T) {
	doc := `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":[ "arn:aws:iam::1:role/x" ]},"Condition":{"StringEquals":{"AWS":"arn:aws:iam::1:role/x"}}}}`
	want := `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":[ "AROAX" ]},"Condition":{"StringEquals":{"AWS":"arn:aws:iam::1:role/x"}}}}`
	if got := substitutePrincipals(doc, map[string]string{"arn:aws:iam::1:role/x": "AROAX"}); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A trust policy naming a user of another account the store holds records that user's
// unique ID too: recreated under the same name, it reads back as the old ID in GetRole, the
// policy set the server enforces, and the simulator; and the recreation moves the trusting
// account's generation, so a server's cached trust policy is recompiled
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles).
func TestTrustPrincipalOfAnotherAccount(t *testing.T) {
	env := newEnv(t)
	const other = "111122223333"
	if _, err := env.svc.Bootstrap(ctx(), other); err != nil {
		t.Fatal(err)
	}
	b := Account{ID: other, Partition: "aws", Caller: "arn:aws:iam::" + other + ":root"}
	bob := "arn:aws:iam::" + other + ":user/bob"
	mustCall := func(a Account, op, in string) any {
		t.Helper()
		out, err := env.call(a, op, in)
		if err != nil {
			t.Fatalf("%s %s: %v", op, in, err)
		}
		return out
	}
	first := mustCall(b, "CreateUser", `{"UserName":"bob"}`).(*iamapi.CreateUserOutput).User.UserId
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + bob + `"},"Action":"sts:AssumeRole"}]}`
	mustCall(root(), "CreateRole", `{"RoleName":"shared","AssumeRolePolicyDocument":`+strconv.Quote(trust)+`}`)
	roleARN := "arn:aws:iam::" + testAccount + ":role/shared"
	simulate := func() iamapi.PolicyEvaluationDecisionType {
		t.Helper()
		out := mustCall(root(), "SimulateCustomPolicy", `{"PolicyInputList":[`+strconv.Quote(allowAll)+`],"CallerArn":"`+bob+
			`","ActionNames":["sts:AssumeRole"],"ResourceArns":["`+roleARN+`"]}`).(*iamapi.SimulateCustomPolicyOutput)
		return out.EvaluationResults[0].EvalDecision
	}
	if got := simulate(); got != iamapi.PolicyEvaluationDecisionTypeAllowed {
		t.Fatalf("bob as created: simulator says %s", got)
	}

	gen := env.svc.Generation(testAccount)
	mustCall(b, "DeleteUser", `{"UserName":"bob"}`)
	mustCall(b, "CreateUser", `{"UserName":"bob"}`)
	if env.svc.Generation(testAccount) <= gen {
		t.Errorf("recreating bob in %s left %s's generation at %d", other, testAccount, gen)
	}
	role := mustCall(root(), "GetRole", `{"RoleName":"shared"}`).(*iamapi.GetRoleOutput).Role
	doc, _ := url.QueryUnescape(str(role.AssumeRolePolicyDocument))
	if !strings.Contains(doc, `"AWS":"`+first+`"`) {
		t.Errorf("GetRole after bob's recreation: got %s, want bob's old ID %s", doc, first)
	}
	ps, err := env.svc.PrincipalPolicies(ctx(), roleARN)
	if err != nil || !strings.Contains(ps.TrustPolicy, first) {
		t.Errorf("enforced trust policy: got %q, %v", ps.TrustPolicy, err)
	}
	if got := simulate(); got != iamapi.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("recreated bob: simulator says %s, want implicitDeny", got)
	}
}
