package iam

import (
	"testing"

	"gatehouse/internal/awsproto/iamapi"
)

// Paths that do not begin and end with "/": AWS's ValidationError with the model's pattern,
// the validation layer's exact message; under Options.MotoLenient kept as given, as moto
// server does (paths.go).
func TestMotoLenientPaths(t *testing.T) {
	const pathErr = `1 validation error detected: Value at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	cases := []struct {
		op, in, strictMsg string
		lenientOK         bool
	}{
		{"CreateRole", `{"RoleName":"r","Path":"my-path","AssumeRolePolicyDocument":` + quote(validTrust) + `}`, pathErr, true},
		{"CreateUser", `{"UserName":"u","Path":"my-path"}`, pathErr, true},
		{"CreateGroup", `{"GroupName":"g","Path":"my-path"}`, pathErr, true},
		{"CreateInstanceProfile", `{"InstanceProfileName":"p","Path":"my-path"}`, pathErr, true},
		{"CreatePolicy", `{"PolicyName":"p","Path":"my-path","PolicyDocument":` + quote(allowS3) + `}`,
			`1 validation error detected: Value at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`, true},
		{"ListUsers", `{"PathPrefix":"my"}`, `1 validation error detected: Value at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`, true},
		{"ListPolicies", `{"PathPrefix":"/my"}`, `1 validation error detected: Value at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`, true},
		// A space (the path indexes' separator) stays refused even so.
		{"CreateUser", `{"UserName":"u","Path":"my path"}`, `1 validation error detected: Value at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, false},
	}
	for _, lenient := range []bool{false, true} {
		for _, tc := range cases {
			t.Run(map[bool]string{false: "aws/", true: "lenient/"}[lenient]+tc.op+" "+tc.in, func(t *testing.T) {
				env := newEnv(t)
				env.svc.opt.MotoLenient = lenient
				_, err := env.call(root(), tc.op, tc.in)
				if lenient && tc.lenientOK {
					if err != nil {
						t.Fatalf("%s: %v", tc.op, err)
					}
					return
				}
				wantErr(t, err, "ValidationError", tc.strictMsg)
			})
		}
	}
}

// Entities moto-lenient mode created with such paths keep them as given, list under them
// (and under no prefix at all), and have ARNs that parse back to them.
func TestMotoLenientPathEntities(t *testing.T) {
	env := newEnv(t)
	env.svc.opt.MotoLenient = true
	acct := "arn:aws:iam::" + testAccount + ":"
	u := env.must("CreateUser", `{"UserName":"fakeUser","Path":"my/path"}`).(*iamapi.CreateUserOutput).User
	if u.Path != "my/path" || u.Arn != acct+"user/my/path/fakeUser" {
		t.Errorf("CreateUser: path %q, ARN %q", u.Path, u.Arn)
	}
	env.must("CreateUser", `{"UserName":"plain"}`)
	r := env.must("CreateRole", `{"RoleName":"my-role","Path":"my-path","AssumeRolePolicyDocument":`+quote(validTrust)+`}`).(*iamapi.CreateRoleOutput).Role
	if r.Path != "my-path" || r.Arn != acct+"role/my-path/my-role" {
		t.Errorf("CreateRole: path %q, ARN %q", r.Path, r.Arn)
	}
	g := env.must("CreateGroup", `{"GroupName":"my-other-group","Path":"some/location"}`).(*iamapi.CreateGroupOutput).Group
	if g.Arn != acct+"group/some/location/my-other-group" {
		t.Errorf("CreateGroup: ARN %q", g.Arn)
	}
	p := env.must("CreateInstanceProfile", `{"InstanceProfileName":"prof","Path":"my-path"}`).(*iamapi.CreateInstanceProfileOutput).InstanceProfile
	if p.Path != "my-path" || p.Arn != acct+"instance-profile/my-path/prof" {
		t.Errorf("CreateInstanceProfile: path %q, ARN %q", p.Path, p.Arn)
	}
	pol := env.must("CreatePolicy", `{"PolicyName":"pol","Path":"pp","PolicyDocument":`+quote(allowS3)+`}`).(*iamapi.CreatePolicyOutput).Policy
	if *pol.Path != "pp" || *pol.Arn != acct+"policy/pp/pol" {
		t.Errorf("CreatePolicy: path %q, ARN %q", *pol.Path, *pol.Arn)
	}

	// Listing: by the lenient prefix, and with no prefix everything, as moto does.
	names := func(out any) []string {
		var ns []string
		for _, u := range out.(*iamapi.ListUsersOutput).Users {
			ns = append(ns, u.UserName)
		}
		return ns
	}
	if got := names(env.must("ListUsers", `{"PathPrefix":"my"}`)); len(got) != 1 || got[0] != "fakeUser" {
		t.Errorf("ListUsers my: %v", got)
	}
	if got := names(env.must("ListUsers", `{}`)); len(got) != 2 {
		t.Errorf("ListUsers: %v", got)
	}
	if got := names(env.must("ListUsers", `{"PathPrefix":"/"}`)); len(got) != 1 || got[0] != "plain" {
		t.Errorf("ListUsers /: %v", got)
	}
	if got := env.must("ListRoles", `{}`).(*iamapi.ListRolesOutput).Roles; len(got) != 1 {
		t.Errorf("ListRoles: %+v", got)
	}
	if got := env.must("ListPolicies", `{"Scope":"Local"}`).(*iamapi.ListPoliciesOutput).Policies; len(got) != 1 {
		t.Errorf("ListPolicies: %+v", got)
	}

	// The ARNs name the entities: the policy resolves and attaches, the user is a principal.
	env.must("GetPolicy", `{"PolicyArn":`+quote(*pol.Arn)+`}`)
	env.must("AttachUserPolicy", `{"UserName":"fakeUser","PolicyArn":`+quote(*pol.Arn)+`}`)
	env.must("AddRoleToInstanceProfile", `{"InstanceProfileName":"prof","RoleName":"my-role"}`)
	sim := env.must("SimulatePrincipalPolicy", `{"PolicySourceArn":`+quote(u.Arn)+`,"ActionNames":["s3:GetObject"]}`).(*iamapi.SimulatePrincipalPolicyOutput)
	if len(sim.EvaluationResults) != 1 || sim.EvaluationResults[0].EvalDecision != "allowed" {
		t.Errorf("SimulatePrincipalPolicy: %+v", sim.EvaluationResults)
	}
	// Names stay unique whatever the path.
	_, err := env.call(root(), "CreateUser", `{"UserName":"FAKEUSER","Path":"/"}`)
	wantErr(t, err, "EntityAlreadyExists", "")
	// And the entities go away cleanly.
	env.must("RemoveRoleFromInstanceProfile", `{"InstanceProfileName":"prof","RoleName":"my-role"}`)
	env.must("DeleteInstanceProfile", `{"InstanceProfileName":"prof"}`)
	env.must("DetachUserPolicy", `{"UserName":"fakeUser","PolicyArn":`+quote(*pol.Arn)+`}`)
	env.must("DeletePolicy", `{"PolicyArn":`+quote(*pol.Arn)+`}`)
	env.must("DeleteUser", `{"UserName":"fakeUser"}`)
	if got := names(env.must("ListUsers", `{"PathPrefix":"my"}`)); len(got) != 0 {
		t.Errorf("ListUsers after delete: %v", got)
	}
}

func TestArnPath(t *testing.T) {
	for in, want := range map[string]string{"/": "/", "/a/b/": "/a/b/", "my-path": "/my-path/", "my/path": "/my/path/",
		"/x": "/x/", "x/": "/x/", "": ""} {
		if got := arnPath(in); got != want {
			t.Errorf("arnPath(%q) = %q, want %q", in, got, want)
		}
	}
}

const (
	validTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	allowS3    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
)

// Inline policy names moto accepts ("test policy"): refused as AWS does, taken under
// MotoLenient for put, get, list and delete alike; "/" stays refused.
func TestMotoLenientInlinePolicyName(t *testing.T) {
	const nameErr = `1 validation error detected: Value at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`
	doc := quote(allowS3)
	for _, lenient := range []bool{false, true} {
		env := newEnv(t)
		env.svc.opt.MotoLenient = lenient
		env.must("CreateRole", `{"RoleName":"my-role","AssumeRolePolicyDocument":`+quote(validTrust)+`}`)
		env.must("CreateUser", `{"UserName":"u"}`)
		env.must("CreateGroup", `{"GroupName":"g"}`)
		for _, h := range []struct{ kind, holder string }{{"Role", `"RoleName":"my-role"`}, {"User", `"UserName":"u"`}, {"Group", `"GroupName":"g"`}} {
			_, err := env.call(root(), "Put"+h.kind+"Policy", `{`+h.holder+`,"PolicyName":"test policy","PolicyDocument":`+doc+`}`)
			if !lenient {
				wantErr(t, err, "ValidationError", nameErr)
				for _, op := range []string{"Get", "Delete"} {
					_, err := env.call(root(), op+h.kind+"Policy", `{`+h.holder+`,"PolicyName":"test policy"}`)
					wantErr(t, err, "ValidationError", nameErr)
				}
				continue
			}
			if err != nil {
				t.Fatalf("Put%sPolicy: %v", h.kind, err)
			}
			env.must("Get"+h.kind+"Policy", `{`+h.holder+`,"PolicyName":"test policy"}`)
			_, err = env.call(root(), "Put"+h.kind+"Policy", `{`+h.holder+`,"PolicyName":"a/b","PolicyDocument":`+doc+`}`)
			wantErr(t, err, "ValidationError", nameErr)
		}
		if !lenient {
			continue
		}
		names := env.must("ListRolePolicies", `{"RoleName":"my-role"}`).(*iamapi.ListRolePoliciesOutput).PolicyNames
		if len(names) != 1 || names[0] != "test policy" {
			t.Errorf("ListRolePolicies: %v", names)
		}
		env.must("DeleteRolePolicy", `{"RoleName":"my-role","PolicyName":"test policy"}`)
		env.must("DeleteRole", `{"RoleName":"my-role"}`)
	}
}

// A name stored under MotoLenient stays readable and removable under AWS's checks (the data
// reopened under strict), so its holder can still be deleted; a name that is not stored is
// still AWS's ValidationError.
func TestMotoLenientInlineNameReopened(t *testing.T) {
	env := newEnv(t)
	env.svc.opt.MotoLenient = true
	env.must("CreateUser", `{"UserName":"u"}`)
	env.must("PutUserPolicy", `{"UserName":"u","PolicyName":"test policy","PolicyDocument":`+quote(allowS3)+`}`)
	env.svc.opt.MotoLenient = false
	env.must("GetUserPolicy", `{"UserName":"u","PolicyName":"test policy"}`)
	_, err := env.call(root(), "GetUserPolicy", `{"UserName":"u","PolicyName":"other policy"}`)
	wantErr(t, err, "ValidationError", "")
	_, err = env.call(root(), "PutUserPolicy", `{"UserName":"u","PolicyName":"test policy","PolicyDocument":`+quote(allowS3)+`}`)
	wantErr(t, err, "ValidationError", "")
	env.must("DeleteUserPolicy", `{"UserName":"u","PolicyName":"test policy"}`)
	env.must("DeleteUser", `{"UserName":"u"}`)
}
