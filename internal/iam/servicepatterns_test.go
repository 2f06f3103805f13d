package iam

import "testing"

// The members whose pattern IAM checks itself (awsproto/gen servicePatterns), in production
// mode: GetXPolicy's and DeleteXPolicy's inline policy names with the validation layer's
// message — also when the holder does not exist, since validation comes first — and
// CreateVirtualMFADevice's path with IAM's own sentence (recorded against AWS in LocalStack's
// test_iam_mfa.py::test_virtual_mfa_device_errors). The validation layer's members are
// awsproto's TestIAMPathAndNamePatterns.
func TestServicePatternsProduction(t *testing.T) {
	const nameErr = `1 validation error detected: Value at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`
	const mfaErr = `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`
	cases := []struct{ op, in, msg string }{
		{"GetRolePolicy", `{"RoleName":"r","PolicyName":"test policy"}`, nameErr},
		{"DeleteRolePolicy", `{"RoleName":"r","PolicyName":"test policy"}`, nameErr},
		{"GetUserPolicy", `{"UserName":"u","PolicyName":"test policy"}`, nameErr},
		{"DeleteUserPolicy", `{"UserName":"u","PolicyName":"test policy"}`, nameErr},
		{"GetGroupPolicy", `{"GroupName":"g","PolicyName":"test policy"}`, nameErr},
		{"DeleteGroupPolicy", `{"GroupName":"g","PolicyName":"test policy"}`, nameErr},
		{"GetRolePolicy", `{"RoleName":"nobody","PolicyName":"a/b"}`, nameErr},
		{"CreateVirtualMFADevice", `{"VirtualMFADeviceName":"d","Path":"my-path"}`, mfaErr},
		{"CreateVirtualMFADevice", `{"VirtualMFADeviceName":"d","Path":"/my path/"}`, mfaErr},
	}
	env := newEnv(t)
	env.must("CreateRole", `{"RoleName":"r","AssumeRolePolicyDocument":`+quote(validTrust)+`}`)
	env.must("CreateUser", `{"UserName":"u"}`)
	env.must("CreateGroup", `{"GroupName":"g"}`)
	for _, tc := range cases {
		t.Run(tc.op+" "+tc.in, func(t *testing.T) {
			_, err := env.call(root(), tc.op, tc.in)
			wantErr(t, err, "ValidationError", tc.msg)
		})
	}
	// Under --enforce off the same names are refused only when nothing holds them: Get of a
	// name never stored is NoSuchEntity, as moto answers.
	env.svc.opt.MotoLenient = true
	_, err := env.call(root(), "GetRolePolicy", `{"RoleName":"r","PolicyName":"test policy"}`)
	wantErr(t, err, "NoSuchEntity", "")
}
