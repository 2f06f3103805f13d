package e2e

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// Input validation from the API model, through the SDK (which validates only required
// members, so the rest reaches the server): lengths, patterns, ranges and enums are
// ValidationError with IAM's "1 validation error detected" text, and change nothing.
func TestIAMInputValidation(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	k := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u")}))(t).AccessKey
	cases := []struct {
		note string
		call func() error
	}{
		{"MaxItems 0", func() error {
			_, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})
			return err
		}},
		{"MaxItems 1001", func() error {
			_, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1001)})
			return err
		}},
		{"a path without the trailing slash", func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g1"), Path: aws.String("/a")})
			return err
		}},
		{"a group name of 129 characters", func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(strings.Repeat("g", 129))})
			return err
		}},
		{"a role description of 1,001 characters", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: aws.String(ec2Trust),
				Description: aws.String(strings.Repeat("d", 1001))})
			return err
		}},
		{"a status outside the enum", func() error {
			_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("u"), AccessKeyId: k.AccessKeyId, Status: types.StatusType("Paused")})
			return err
		}},
		{"a policy name with a space", func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("my policy"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))})
			return err
		}},
		{"a tag key of 129 characters", func() error {
			_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("u"), Tags: []types.Tag{tag(strings.Repeat("k", 129), "v")}})
			return err
		}},
		{"an access key ID of 15 characters", func() error {
			_, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAAAAAAAAAAAA")})
			return err
		}},
	}
	for _, tc := range cases {
		err := tc.call()
		if err == nil {
			t.Errorf("%s: got success, want ValidationError", tc.note)
			continue
		}
		msg := apiErr(t, err, "ValidationError", 400)
		if !strings.Contains(msg, "validation error") {
			t.Errorf("%s: message %q, want IAM's \"1 validation error detected: …\"", tc.note, msg)
		}
	}
	// Nothing was created or changed by the refused calls.
	if n := len(must(c.ListGroups(ctx, &iam.ListGroupsInput{}))(t).Groups); n != 0 {
		t.Errorf("groups after refused creates: got %d, want 0", n)
	}
	if n := len(must(c.ListRoles(ctx, &iam.ListRolesInput{}))(t).Roles); n != 0 {
		t.Errorf("roles after a refused create: got %d, want 0", n)
	}
	ks := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("u")}))(t).AccessKeyMetadata
	if len(ks) != 1 || ks[0].Status != types.StatusTypeActive {
		t.Errorf("u's key after a refused update: got %+v, want one Active key", ks)
	}
}

// A user deleted and created again under the same name is a new identity: the old key is
// gone, and the old user's inline policies do not come back
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids).
func TestIAMRecreatedUserIsNew(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	old, k := newUserClient(t, inst, root, "sam")
	oldID := aws.ToString(must(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("sam")}))(t).User.UserId)
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("sam"), PolicyName: aws.String("list"), PolicyDocument: aws.String(allowDoc(`"iam:ListUsers"`, `"*"`))}))(t)
	must(old.ListUsers(ctx, &iam.ListUsersInput{}))(t)

	must(root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("sam"), PolicyName: aws.String("list")}))(t)
	must(root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("sam"), AccessKeyId: k.AccessKeyId}))(t)
	must(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("sam")}))(t)
	_, err := old.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)

	again := must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sam")}))(t).User
	if aws.ToString(again.UserId) == oldID {
		t.Errorf("recreated sam has the old unique ID %s", oldID)
	}
	if n := len(must(root.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("sam")}))(t).PolicyNames); n != 0 {
		t.Errorf("recreated sam's inline policies: got %d, want 0", n)
	}
	k2 := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("sam")}))(t).AccessKey
	sam := iamClient(t, inst, aws.ToString(k2.AccessKeyId), aws.ToString(k2.SecretAccessKey))
	_, err = sam.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403)
}

// Global condition keys the server fills in for every request
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
// aws:SourceIp (loopback here), aws:SecureTransport (false over plain HTTP), aws:CurrentTime,
// aws:username; and resource ARNs with paths.
func TestIAMAuthorizationGlobalKeys(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	pat, _ := newUserClient(t, inst, root, "pat")
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"FromLoopback","Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
	 {"Sid":"FromElsewhere","Effect":"Allow","Action":"iam:ListGroups","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}},
	 {"Sid":"OnlyTLS","Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
	 {"Sid":"AfterY2K","Effect":"Allow","Action":"iam:ListPolicies","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2000-01-01T00:00:00Z"}}},
	 {"Sid":"BeforeY2K","Effect":"Allow","Action":"iam:ListInstanceProfiles","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2000-01-01T00:00:00Z"}}},
	 {"Sid":"EngOnly","Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/eng/*"},
	 {"Sid":"NamedPat","Effect":"Allow","Action":"iam:ListAccountAliases","Resource":"*","Condition":{"StringEquals":{"aws:username":"pat"}}}
	]}`
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("pat"), PolicyName: aws.String("keys"), PolicyDocument: aws.String(doc)}))(t)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("e1"), Path: aws.String("/eng/")}))(t)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("o1"), Path: aws.String("/ops/")}))(t)

	allowed := []struct {
		note string
		call func() error
		want bool
	}{
		{"aws:SourceIp in 127.0.0.0/8", func() error { _, err := pat.ListUsers(ctx, &iam.ListUsersInput{}); return err }, true},
		{"aws:SourceIp not in 203.0.113.0/24", func() error { _, err := pat.ListGroups(ctx, &iam.ListGroupsInput{}); return err }, false},
		{"aws:SecureTransport false", func() error { _, err := pat.ListRoles(ctx, &iam.ListRolesInput{}); return err }, false},
		{"aws:CurrentTime after 2000", func() error {
			_, err := pat.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})
			return err
		}, true},
		{"aws:CurrentTime not before 2000", func() error {
			_, err := pat.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
			return err
		}, false},
		{"a user under /eng/", func() error { _, err := pat.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("e1")}); return err }, true},
		{"a user under /ops/", func() error { _, err := pat.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("o1")}); return err }, false},
		{"aws:username pat", func() error { _, err := pat.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); return err }, true},
	}
	for _, tc := range allowed {
		err := tc.call()
		switch {
		case tc.want && err != nil:
			t.Errorf("%s: got %v, want allowed", tc.note, err)
		case !tc.want:
			if err == nil {
				t.Errorf("%s: got allowed, want AccessDenied", tc.note)
				continue
			}
			apiErr(t, err, "AccessDenied", 403)
		}
	}
}

// Renaming a group keeps its members' permissions, and a policy removed from the renamed
// group stops applying on the next request.
func TestIAMAuthorizationGroupRename(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	lee, _ := newUserClient(t, inst, root, "lee")
	must(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("old")}))(t)
	must(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("old"), UserName: aws.String("lee")}))(t)
	must(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("old"), PolicyName: aws.String("list"), PolicyDocument: aws.String(allowDoc(`"iam:ListUsers"`, `"*"`))}))(t)
	must(lee.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	must(root.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("old"), NewGroupName: aws.String("new")}))(t)
	must(lee.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	if got := must(root.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("new")}))(t).PolicyNames; len(got) != 1 {
		t.Errorf("renamed group's inline policies: got %v, want [list]", got)
	}
	must(root.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("new"), PolicyName: aws.String("list")}))(t)
	_, err := lee.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403)
}

// GetGroup pages its members with the SDK's paginator, and ListPolicies over every scope
// pages customer and AWS managed policies together, each once.
func TestIAMMorePaginators(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("big")}))(t)
	const n = 45
	for i := range n {
		name := fmt.Sprintf("m%03d", i)
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
		must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("big"), UserName: aws.String(name)}))(t)
	}
	seen := map[string]bool{}
	p := iam.NewGetGroupPaginator(c, &iam.GetGroupInput{GroupName: aws.String("big"), MaxItems: aws.Int32(20)})
	for p.HasMorePages() {
		for _, u := range must(p.NextPage(ctx))(t).Users {
			if seen[aws.ToString(u.UserName)] {
				t.Fatalf("GetGroup listed %s twice", aws.ToString(u.UserName))
			}
			seen[aws.ToString(u.UserName)] = true
		}
	}
	if len(seen) != n {
		t.Errorf("GetGroup pages: got %d members, want %d", len(seen), n)
	}

	local := aws.ToString(must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))}))(t).Policy.Arn)
	all := map[string]bool{}
	lp := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{MaxItems: aws.Int32(1000)})
	for lp.HasMorePages() {
		for _, pol := range must(lp.NextPage(ctx))(t).Policies {
			a := aws.ToString(pol.Arn)
			if all[a] {
				t.Fatalf("ListPolicies listed %s twice", a)
			}
			all[a] = true
		}
	}
	// 1,485 AWS managed policies (e2e/testdata/iam/AmazonEC2FullAccess.json's count) and ours.
	if len(all) != 1485+1 {
		t.Errorf("ListPolicies Scope=All: got %d policies, want 1,486", len(all))
	}
	if !all[local] || !all["arn:aws:iam::aws:policy/AdministratorAccess"] {
		t.Errorf("ListPolicies Scope=All (%d policies): local policy present %v, AdministratorAccess present %v", len(all), all[local], all["arn:aws:iam::aws:policy/AdministratorAccess"])
	}
}

// AWS managed policies with a path keep it in their ARN and are found by PathPrefix; the
// attached lists filter by the policy's path too (API_ListAttachedRolePolicies.html,
// PathPrefix: "The path prefix for filtering the results").
func TestIAMManagedPolicyPaths(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	lambda := "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	gp := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(lambda)}))(t).Policy
	if aws.ToString(gp.Path) != "/service-role/" || aws.ToString(gp.PolicyName) != "AWSLambdaBasicExecutionRole" {
		t.Errorf("GetPolicy %s: got path %q name %q", lambda, aws.ToString(gp.Path), aws.ToString(gp.PolicyName))
	}
	var inPath int
	p := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, PathPrefix: aws.String("/service-role/")})
	for p.HasMorePages() {
		for _, pol := range must(p.NextPage(ctx))(t).Policies {
			if !strings.HasPrefix(aws.ToString(pol.Arn), "arn:aws:iam::aws:policy/service-role/") {
				t.Fatalf("PathPrefix /service-role/ listed %s", aws.ToString(pol.Arn))
			}
			inPath++
		}
	}
	// 218 of AWS's managed policies live under /service-role/ in the published set.
	if inPath != 218 {
		t.Errorf("AWS managed policies under /service-role/: got %d, want 218", inPath)
	}
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String(lambda)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}))(t)
	ap := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("fn"), PathPrefix: aws.String("/service-role/")}))(t).AttachedPolicies
	if len(ap) != 1 || aws.ToString(ap[0].PolicyArn) != lambda {
		t.Errorf("ListAttachedRolePolicies /service-role/: got %d, want the Lambda policy only", len(ap))
	}
}

// A permissions boundary does not hold a user or role back from deletion: DeleteUser and
// DeleteRole list what must go first, and the boundary is not among them
// (API_DeleteUser.html, API_DeleteRole.html); the policy's boundary count drops.
func TestIAMDeleteWithBoundary(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	b := aws.ToString(must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("b"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))}))(t).Policy.Arn)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"), PermissionsBoundary: aws.String(b)}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ec2Trust), PermissionsBoundary: aws.String(b)}))(t)
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")}))(t)
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}))(t)
	if n := aws.ToInt32(must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(b)}))(t).Policy.PermissionsBoundaryUsageCount); n != 0 {
		t.Errorf("PermissionsBoundaryUsageCount after deleting both holders: got %d, want 0", n)
	}
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(b)}))(t)
}

// List operations return a subset of attributes: "This operation does not return the following
// attributes, even though they are an attribute of the returned object: PermissionsBoundary,
// Tags" (API_ListUsers.html; API_ListRoles.html adds RoleLastUsed), while Get and Create
// return tags (API_GetPolicy.html, API_GetInstanceProfile.html).
func TestIAMListAttributeSubsets(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	ro := aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")
	tags := []types.Tag{tag("a", "b")}
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"), Tags: tags, PermissionsBoundary: ro}))(t)
	if u := must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t).Users[0]; len(u.Tags) != 0 || u.PermissionsBoundary != nil {
		t.Errorf("ListUsers: got tags %v boundary %+v, want neither", tagMap(u.Tags), u.PermissionsBoundary)
	}
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ec2Trust), Tags: tags, PermissionsBoundary: ro}))(t)
	if r := must(c.ListRoles(ctx, &iam.ListRolesInput{}))(t).Roles[0]; len(r.Tags) != 0 || r.PermissionsBoundary != nil || r.RoleLastUsed != nil {
		t.Errorf("ListRoles: got tags %v boundary %+v last used %+v, want none of them", tagMap(r.Tags), r.PermissionsBoundary, r.RoleLastUsed)
	}
	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`)), Tags: tags}))(t).Policy
	if tagMap(p.Tags)["a"] != "b" || tagMap(must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn}))(t).Policy.Tags)["a"] != "b" {
		t.Error("CreatePolicy/GetPolicy: want the tag a=b in both")
	}
	if lp := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t).Policies; len(lp) != 1 || len(lp[0].Tags) != 0 {
		t.Errorf("ListPolicies Local: got %d policies, the first with tags, want one without", len(lp))
	}
	ip := must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip"), Tags: tags}))(t).InstanceProfile
	if tagMap(ip.Tags)["a"] != "b" || tagMap(must(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ip")}))(t).InstanceProfile.Tags)["a"] != "b" {
		t.Error("CreateInstanceProfile/GetInstanceProfile: want the tag a=b in both")
	}
}

// Authorization comes before existence: a caller without permission learns nothing about
// whether the named entity exists (AccessDenied, not NoSuchEntity, for a missing user).
func TestIAMAuthorizationBeforeExistence(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	alice, _ := newUserClient(t, inst, root, "alice")
	for _, name := range []string{"ghost", "alice"} {
		_, err := alice.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		denied(t, err, "arn:aws:iam::"+acct+":user/alice", "iam:GetUser", "arn:aws:iam::"+acct+":user/"+name,
			"because no identity-based policy allows the iam:GetUser action")
	}
	_, err := alice.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ghost")})
	apiErr(t, err, "AccessDenied", 403, "arn:aws:iam::"+acct+":role/ghost")
}

// Names may use every character the model allows ([\w+=,.@-]), paths nest, and a policy
// document comes back exactly as it was sent — whitespace, "+", "%", non-ASCII — once
// URL-decoded (API_GetUserPolicy.html: "The policy document returned in this structure is
// URL-encoded compliant with RFC 3986").
func TestIAMNamesAndDocumentsRoundTrip(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	name := "a+b=c,d.e@f-g_h"
	u := must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String("/x/y/z/")}))(t).User
	if want := "arn:aws:iam::" + acct + ":user/x/y/z/" + name; aws.ToString(u.Arn) != want {
		t.Errorf("ARN: got %q, want %q", aws.ToString(u.Arn), want)
	}
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/a+b c%20d/ü*\"}]\n}"
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))(t)
	got := decodeDoc(t, must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p")}))(t).PolicyDocument)
	if got != doc {
		t.Errorf("inline document:\n got %q\nwant %q", got, doc)
	}
	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mp"), PolicyDocument: aws.String(doc)}))(t).Policy
	v := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v1")}))(t).PolicyVersion
	if got := decodeDoc(t, v.Document); got != doc {
		t.Errorf("managed document:\n got %q\nwant %q", got, doc)
	}
}

// Concurrent calls through the SDK respect the quotas and uniqueness as sequential ones do:
// of many simultaneous CreateAccessKey calls for one user, two succeed; of simultaneous
// CreateUser calls for names differing only in case, one does.
func TestIAMConcurrentQuotas(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("busy")}))(t)
	const n = 8
	run := func(call func(i int) error) (ok int, codes map[string]int) {
		codes = map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := call(i)
				mu.Lock()
				defer mu.Unlock()
				var ae smithy.APIError
				switch {
				case err == nil:
					ok++
				case errors.As(err, &ae):
					codes[ae.ErrorCode()]++
				default:
					codes[err.Error()]++
				}
			}()
		}
		wg.Wait()
		return ok, codes
	}
	ok, codes := run(func(int) error {
		_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("busy")})
		return err
	})
	if ok != 2 || codes["LimitExceeded"] != n-2 {
		t.Errorf("concurrent CreateAccessKey: %d succeeded, errors %v; want 2 and %d LimitExceeded", ok, codes, n-2)
	}
	if k := len(must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("busy")}))(t).AccessKeyMetadata); k != 2 {
		t.Errorf("keys stored: got %d, want 2", k)
	}
	spellings := []string{"twin", "Twin", "TWIN", "tWin", "twIn", "twiN", "TWin", "tWIN"}
	ok, codes = run(func(i int) error {
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(spellings[i])})
		return err
	})
	if ok != 1 || codes["EntityAlreadyExists"] != n-1 {
		t.Errorf("concurrent CreateUser of one name in %d spellings: %d succeeded, errors %v; want 1", n, ok, codes)
	}
}
