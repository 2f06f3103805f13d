package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// newUserClient creates a user with an access key (as root) and returns the user's client.
func newUserClient(t *testing.T, inst *instance, root *iam.Client, name string) (*iam.Client, types.AccessKey) {
	t.Helper()
	ctx := ctxT(t)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	k := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t).AccessKey
	return iamClient(t, inst, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)), *k
}

// denied checks AWS's AccessDenied for an identity-policy denial, message and all
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html:
// "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: … on
// resource: … because no identity-based policy allows the … action").
func denied(t *testing.T, err error, user, action, resource, why string) {
	t.Helper()
	want := "User: " + user + " is not authorized to perform: " + action + " on resource: " + resource + " " + why
	if msg := apiErr(t, err, "AccessDenied", 403); msg != want {
		t.Fatalf("AccessDenied message:\n got %q\nwant %q", msg, want)
	}
}

// A user created by root can do exactly what its policies allow, through the SDK, with its
// own key; changes apply to the very next request.
func TestIAMAuthorization(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	arnOf := func(kind, name string) string { return "arn:aws:iam::" + acct + ":" + kind + "/" + name }
	alice, _ := newUserClient(t, inst, root, "alice")
	aliceARN := arnOf("user", "alice")

	// No policies: everything is an implicit deny, and nothing changes.
	_, err := alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	denied(t, err, aliceARN, "iam:CreateUser", arnOf("user", "x"), "because no identity-based policy allows the iam:CreateUser action")
	_, err = root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("x")})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = alice.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	denied(t, err, aliceARN, "iam:GetUser", aliceARN, "because no identity-based policy allows the iam:GetUser action")

	// An inline policy allowing iam:CreateUser works on the very next request.
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("admin-users"),
		PolicyDocument: aws.String(allowDoc(`["iam:CreateUser","iam:GetUser","iam:DeleteUser"]`, `"*"`))}))(t)
	must(alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")}))(t)
	must(alice.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("x")}))(t)
	_, err = alice.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "iam:ListUsers")

	// An explicit Deny wins over the Allow.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"arn:aws:iam::*:user/blocked-*"}]}`
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("no-blocked"), PolicyDocument: aws.String(deny)}))(t)
	_, err = alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("blocked-1")})
	denied(t, err, aliceARN, "iam:CreateUser", arnOf("user", "blocked-1"), "with an explicit deny in an identity-based policy")
	must(alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("allowed-1")}))(t)

	// Removing the policy takes effect on the next request too.
	must(root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("admin-users")}))(t)
	_, err = alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("y")})
	denied(t, err, aliceARN, "iam:CreateUser", arnOf("user", "y"), "because no identity-based policy allows the iam:CreateUser action")

	// Permissions through a group's attached AWS managed policy.
	must(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}))(t)
	must(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t)
	must(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("alice"), GroupName: aws.String("readers")}))(t)
	must(alice.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	must(alice.ListRoles(ctx, &iam.ListRolesInput{}))(t)
	_, err = alice.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("mine")})
	denied(t, err, aliceARN, "iam:CreateGroup", arnOf("group", "mine"), "because no identity-based policy allows the iam:CreateGroup action")
	must(root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("alice"), GroupName: aws.String("readers")}))(t)
	_, err = alice.ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403, "iam:ListRoles")
}

// The policy variable ${aws:username} lets each user manage only its own keys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_credentials_console.html).
func TestIAMAuthorizationPolicyVariable(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	own := allowDoc(`["iam:CreateAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey","iam:DeleteAccessKey"]`, `"arn:aws:iam::*:user/${aws:username}"`)
	must(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("own-keys"), PolicyDocument: aws.String(own)}))(t)
	bob, _ := newUserClient(t, inst, root, "bob")
	newUserClient(t, inst, root, "carol")
	for _, u := range []string{"bob", "carol"} {
		must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(u), PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/own-keys")}))(t)
	}
	k := must(bob.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}))(t).AccessKey
	if n := len(must(bob.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t).AccessKeyMetadata); n != 2 {
		t.Errorf("bob's keys: got %d, want 2", n)
	}
	must(bob.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: k.AccessKeyId}))(t)
	_, err := bob.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("carol")})
	denied(t, err, "arn:aws:iam::"+acct+":user/bob", "iam:ListAccessKeys", "arn:aws:iam::"+acct+":user/carol",
		"because no identity-based policy allows the iam:ListAccessKeys action")
	_, err = bob.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	apiErr(t, err, "AccessDenied", 403)
	if n := len(must(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("carol")}))(t).AccessKeyMetadata); n != 1 {
		t.Errorf("carol's keys after bob's denied create: got %d, want 1", n)
	}
}

// A permissions boundary caps what an AdministratorAccess-like inline policy grants
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
func TestIAMAuthorizationBoundary(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	dave, _ := newUserClient(t, inst, root, "dave")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dave"), PolicyName: aws.String("admin"), PolicyDocument: aws.String(allowDoc(`"*"`, `"*"`))}))(t)
	must(dave.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("before-boundary")}))(t)
	must(root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("dave"),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t)
	must(dave.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	_, err := dave.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("after-boundary")})
	denied(t, err, "arn:aws:iam::"+acct+":user/dave", "iam:CreateUser", "arn:aws:iam::"+acct+":user/after-boundary",
		"because no permissions boundary allows the iam:CreateUser action")
	// The boundary alone grants nothing: without the inline policy even reads are denied.
	must(root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("dave"), PolicyName: aws.String("admin")}))(t)
	_, err = dave.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "no identity-based policy allows the iam:ListUsers action")
}

// Authentication: a wrong secret is SignatureDoesNotMatch; an Inactive, deleted or unknown
// key is InvalidClientTokenId (both 403, as IAM answers:
// https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html).
func TestIAMAuthentication(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	eve, k := newUserClient(t, inst, root, "eve")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("eve"), PolicyName: aws.String("read"), PolicyDocument: aws.String(allowDoc(`"iam:Get*"`, `"*"`))}))(t)
	must(eve.GetUser(ctx, &iam.GetUserInput{}))(t)

	wrong := iamClient(t, inst, aws.ToString(k.AccessKeyId), "0000000000000000000000000000000000000000")
	_, err := wrong.GetUser(ctx, &iam.GetUserInput{})
	apiErr(t, err, "SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided.")
	unknown := iamClient(t, inst, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	_, err = unknown.GetUser(ctx, &iam.GetUserInput{})
	apiErr(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid")

	must(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("eve"), AccessKeyId: k.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	_, err = eve.GetUser(ctx, &iam.GetUserInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)
	must(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("eve"), AccessKeyId: k.AccessKeyId, Status: types.StatusTypeActive}))(t)
	must(eve.GetUser(ctx, &iam.GetUserInput{}))(t)
	must(root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("eve"), AccessKeyId: k.AccessKeyId}))(t)
	_, err = eve.GetUser(ctx, &iam.GetUserInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)
}

// Changes that reach a user indirectly also apply on the next request: a new default version
// of a managed policy the user's group attaches, a renamed user (whose key now speaks for the
// new ARN), and a removed permissions boundary.
func TestIAMAuthorizationIndirectChanges(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	ivy, _ := newUserClient(t, inst, root, "ivy")
	pol := aws.ToString(must(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("listing"),
		PolicyDocument: aws.String(allowDoc(`["iam:ListUsers","iam:ListGroups"]`, `"*"`))}))(t).Policy.Arn)
	must(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(pol)}))(t)
	must(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("ivy")}))(t)
	must(ivy.ListUsers(ctx, &iam.ListUsersInput{}))(t)

	// v2 drops ListUsers; as the default it applies at once; back to v1, it is allowed again.
	must(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pol),
		PolicyDocument: aws.String(allowDoc(`"iam:ListGroups"`, `"*"`)), SetAsDefault: true}))(t)
	_, err := ivy.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "iam:ListUsers")
	must(ivy.ListGroups(ctx, &iam.ListGroupsInput{}))(t)
	must(root.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(pol), VersionId: aws.String("v1")}))(t)
	must(ivy.ListUsers(ctx, &iam.ListUsersInput{}))(t)

	// Renamed, ivy's key acts as the new user: its group's policy still applies, and a
	// denial names the new ARN.
	must(root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("ivy"), NewUserName: aws.String("ivy2")}))(t)
	must(ivy.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	_, err = ivy.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("h")})
	denied(t, err, "arn:aws:iam::"+acct+":user/ivy2", "iam:CreateGroup", "arn:aws:iam::"+acct+":group/h",
		"because no identity-based policy allows the iam:CreateGroup action")

	// A boundary that leaves out ListUsers denies it; removing the boundary allows it again.
	bnd := aws.ToString(must(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("groups-only"),
		PolicyDocument: aws.String(allowDoc(`"iam:ListGroups"`, `"*"`))}))(t).Policy.Arn)
	must(root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("ivy2"), PermissionsBoundary: aws.String(bnd)}))(t)
	_, err = ivy.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "because no permissions boundary allows the iam:ListUsers action")
	must(ivy.ListGroups(ctx, &iam.ListGroupsInput{}))(t)
	must(root.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("ivy2")}))(t)
	must(ivy.ListUsers(ctx, &iam.ListUsersInput{}))(t)
}

// Delegated administration as the IAM User Guide's boundary example has it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate):
// an admin may create users only with a given boundary (iam:PermissionsBoundary), and may not
// remove it.
func TestIAMAuthorizationDelegatedBoundary(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	bnd := aws.ToString(must(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("DevBoundary"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))}))(t).Policy.Arn)
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"CreateWithBoundary","Effect":"Allow","Action":["iam:CreateUser","iam:PutUserPermissionsBoundary"],"Resource":"*",
	  "Condition":{"StringEquals":{"iam:PermissionsBoundary":"` + bnd + `"}}},
	 {"Sid":"NoRemoval","Effect":"Deny","Action":"iam:DeleteUserPermissionsBoundary","Resource":"*"},
	 {"Sid":"Read","Effect":"Allow","Action":"iam:GetUser","Resource":"*"}
	]}`
	admin, _ := newUserClient(t, inst, root, "admin")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("delegate"), PolicyDocument: aws.String(doc)}))(t)

	_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("free")})
	denied(t, err, "arn:aws:iam::"+acct+":user/admin", "iam:CreateUser", "arn:aws:iam::"+acct+":user/free",
		"because no identity-based policy allows the iam:CreateUser action")
	_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	apiErr(t, err, "AccessDenied", 403)
	must(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev1"), PermissionsBoundary: aws.String(bnd)}))(t)
	u := must(admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dev1")}))(t).User
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != bnd {
		t.Errorf("dev1's boundary: got %+v, want %s", u.PermissionsBoundary, bnd)
	}
	_, err = admin.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("dev1")})
	denied(t, err, "arn:aws:iam::"+acct+":user/admin", "iam:DeleteUserPermissionsBoundary", "arn:aws:iam::"+acct+":user/dev1",
		"with an explicit deny in an identity-based policy")
	_, err = admin.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("dev1"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	apiErr(t, err, "AccessDenied", 403)
	if got := aws.ToString(must(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dev1")}))(t).User.PermissionsBoundary.PermissionsBoundaryArn); got != bnd {
		t.Errorf("dev1's boundary after refused changes: got %s, want %s", got, bnd)
	}
}

// Access-key operations without UserName act on the caller's own keys
// (API_UpdateAccessKey.html: "If you do not specify a user name, IAM determines the user name
// implicitly based on the AWS access key ID used to sign the request").
func TestIAMAuthorizationOwnKeys(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	own := allowDoc(`["iam:CreateAccessKey","iam:UpdateAccessKey","iam:GetAccessKeyLastUsed","iam:ListAccessKeys"]`, `"arn:aws:iam::*:user/${aws:username}"`)
	kay, kk := newUserClient(t, inst, root, "kay")
	_, lk := newUserClient(t, inst, root, "lou")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("kay"), PolicyName: aws.String("own"), PolicyDocument: aws.String(own)}))(t)

	k2 := must(kay.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{}))(t).AccessKey
	if aws.ToString(k2.UserName) != "kay" {
		t.Errorf("CreateAccessKey without UserName as kay: got a key of %q", aws.ToString(k2.UserName))
	}
	must(kay.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: k2.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	lu := must(kay.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: kk.AccessKeyId}))(t)
	if aws.ToString(lu.UserName) != "kay" {
		t.Errorf("GetAccessKeyLastUsed of kay's key: got user %q", aws.ToString(lu.UserName))
	}
	// Updating another user's key by naming only the key is not a way around: the key is
	// looked up among the caller's own, and lou's is not one of them
	// ("The Access Key with id … cannot be found").
	_, err := kay.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: lk.AccessKeyId, Status: types.StatusTypeInactive})
	apiErr(t, err, "NoSuchEntity", 404, aws.ToString(lk.AccessKeyId))
	_, err = kay.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("lou"), AccessKeyId: lk.AccessKeyId, Status: types.StatusTypeInactive})
	denied(t, err, "arn:aws:iam::"+acct+":user/kay", "iam:UpdateAccessKey", "arn:aws:iam::"+acct+":user/lou",
		"because no identity-based policy allows the iam:UpdateAccessKey action")
	for _, k := range must(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("lou")}))(t).AccessKeyMetadata {
		if k.Status != types.StatusTypeActive {
			t.Errorf("lou's key %s: status %s after kay's refused update", aws.ToString(k.AccessKeyId), k.Status)
		}
	}
}

// A Deny in the permissions boundary is named as such in the AccessDenied message
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html: "…with an
// explicit deny in a permissions boundary").
func TestIAMAuthorizationBoundaryDeny(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	bnd := aws.ToString(must(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("no-create"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`)}))(t).Policy.Arn)
	gil, _ := newUserClient(t, inst, root, "gil")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("gil"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowDoc(`"*"`, `"*"`))}))(t)
	must(root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("gil"), PermissionsBoundary: aws.String(bnd)}))(t)
	must(gil.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("fine")}))(t)
	_, err := gil.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nope")})
	denied(t, err, "arn:aws:iam::"+acct+":user/gil", "iam:CreateUser", "arn:aws:iam::"+acct+":user/nope",
		"with an explicit deny in a permissions boundary")
}
