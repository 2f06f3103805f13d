package iam

import (
	"encoding/json"
	"testing"

	"gatehouse/internal/awsproto/iamapi"
)

// Options.MotoLenient (emulator --enforce off) keeps, as moto server does, a trust policy
// CreateRole is given that fails validation, and lets UpdateAssumeRolePolicy name principals
// that do not exist; without it both are AWS's MalformedPolicyDocument. What moto validates
// (UpdateAssumeRolePolicy's grammar, identity policies) stays refused either way.
func TestMotoLenient(t *testing.T) {
	ghost := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/ghost"},"Action":"sts:AssumeRole"}]}`
	valid := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	cases := []struct {
		name, op, in string
		strictErr    string // the error code without MotoLenient
		lenientErr   string // and with it; "" = accepted
	}{
		{"not JSON", "CreateRole", `{"RoleName":"r","AssumeRolePolicyDocument":"some policy"}`, "MalformedPolicyDocument", ""},
		{"wrong action", "CreateRole", `{"RoleName":"r","AssumeRolePolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"s3:GetObject\"}]}"}`, "MalformedPolicyDocument", ""},
		{"ghost principal", "CreateRole", `{"RoleName":"r","AssumeRolePolicyDocument":` + quote(ghost) + `}`, "MalformedPolicyDocument", ""},
		{"update: not JSON", "UpdateAssumeRolePolicy", `{"RoleName":"base","PolicyDocument":"some policy"}`, "MalformedPolicyDocument", "MalformedPolicyDocument"},
		{"update: ghost principal", "UpdateAssumeRolePolicy", `{"RoleName":"base","PolicyDocument":` + quote(ghost) + `}`, "MalformedPolicyDocument", ""},
		{"inline policy: not JSON", "PutRolePolicy", `{"RoleName":"base","PolicyName":"p","PolicyDocument":"some policy"}`, "MalformedPolicyDocument", "MalformedPolicyDocument"},
	}
	for _, lenient := range []bool{false, true} {
		for _, tc := range cases {
			t.Run(map[bool]string{false: "aws/", true: "lenient/"}[lenient]+tc.name, func(t *testing.T) {
				env := newEnv(t)
				env.svc.opt.MotoLenient = lenient
				env.must("CreateRole", `{"RoleName":"base","AssumeRolePolicyDocument":`+quote(valid)+`}`)
				_, err := env.call(root(), tc.op, tc.in)
				want := tc.strictErr
				if lenient {
					want = tc.lenientErr
				}
				if want != "" {
					wantErr(t, err, want, "")
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", tc.op, err)
				}
			})
		}
	}
}

// A stored trust policy that does not parse is read back verbatim and grants nothing: the
// simulator answers implicitDeny for sts:AssumeRole and the role's policy set is built.
func TestMotoLenientReaders(t *testing.T) {
	env := newEnv(t)
	env.svc.opt.MotoLenient = true
	env.must("CreateRole", `{"RoleName":"r","AssumeRolePolicyDocument":"some policy"}`)
	got := env.must("GetRole", `{"RoleName":"r"}`).(*iamapi.GetRoleOutput)
	if d := *got.Role.AssumeRolePolicyDocument; d != "some%20policy" {
		t.Errorf("GetRole document: got %q", d)
	}
	env.must("GetAccountAuthorizationDetails", `{}`)
	env.must("CreateUser", `{"UserName":"app"}`)
	env.must("PutUserPolicy", `{"UserName":"app","PolicyName":"p","PolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}]}"}`)
	sim := env.must("SimulatePrincipalPolicy", `{"PolicySourceArn":"arn:aws:iam::`+testAccount+`:user/app","ActionNames":["sts:AssumeRole"],"ResourceArns":["arn:aws:iam::`+testAccount+`:role/r"]}`).(*iamapi.SimulatePolicyResponse)
	if len(sim.EvaluationResults) != 1 || sim.EvaluationResults[0].EvalDecision != iamapi.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("SimulatePrincipalPolicy: got %+v", sim.EvaluationResults)
	}
}

// quote is s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
