package e2e

import (
	"context"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// Access keys: at most two per user, Active/Inactive, listed without secrets, and
// GetAccessKeyLastUsed updated by real use of the key
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html).
func TestIAMAccessKeys(t *testing.T) {
	t.Parallel()
	inst, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("kim")}))(t)
	k1 := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kim")}))(t).AccessKey
	if !regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`).MatchString(aws.ToString(k1.AccessKeyId)) || len(aws.ToString(k1.SecretAccessKey)) != 40 ||
		k1.Status != types.StatusTypeActive || aws.ToString(k1.UserName) != "kim" {
		t.Errorf("CreateAccessKey: got ID %q secret of %d characters status %q", aws.ToString(k1.AccessKeyId), len(aws.ToString(k1.SecretAccessKey)), k1.Status)
	}
	k2 := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kim")}))(t).AccessKey
	// "Cannot exceed quota for AccessKeysPerUser: 2" (reference_iam-quotas.html: "Access keys
	// assigned to an IAM user: 2").
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kim")})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	apiErr(t, err, "NoSuchEntity", 404)

	ks := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("kim")}))(t).AccessKeyMetadata
	var ids []string
	for _, k := range ks {
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	sort.Strings(ids)
	want := []string{aws.ToString(k1.AccessKeyId), aws.ToString(k2.AccessKeyId)}
	sort.Strings(want)
	if !cmp.Equal(ids, want) {
		t.Errorf("ListAccessKeys: got %v, want %v (a failed create adds none)", ids, want)
	}

	// Never used: "N/A" for service and region, and no date.
	lu := must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKeyId}))(t)
	if aws.ToString(lu.UserName) != "kim" || lu.AccessKeyLastUsed == nil || lu.AccessKeyLastUsed.LastUsedDate != nil ||
		aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" || aws.ToString(lu.AccessKeyLastUsed.Region) != "N/A" {
		t.Errorf("GetAccessKeyLastUsed before use: got user %q %+v", aws.ToString(lu.UserName), lu.AccessKeyLastUsed)
	}

	// kim may read her own user; using k1 once records the use.
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("kim"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(allowDoc(`["iam:GetUser","iam:ListAccessKeys"]`, `"arn:aws:iam::*:user/${aws:username}"`))}))(t)
	kim := iamClient(t, inst, aws.ToString(k1.AccessKeyId), aws.ToString(k1.SecretAccessKey))
	before := time.Now().Add(-2 * time.Second)
	me := must(kim.GetUser(ctx, &iam.GetUserInput{}))(t).User
	if aws.ToString(me.UserName) != "kim" {
		t.Errorf("GetUser without a name as kim: got %q, want kim", aws.ToString(me.UserName))
	}
	// Without UserName, ListAccessKeys lists the caller's own keys.
	if n := len(must(kim.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t).AccessKeyMetadata); n != 2 {
		t.Errorf("kim's ListAccessKeys: got %d, want 2", n)
	}
	// Last use is written in batches about once a second; wait for it with a deadline
	// rather than assume a timing.
	var used *types.AccessKeyLastUsed
	deadline := time.Now().Add(20 * time.Second)
	for {
		used = must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKeyId}))(t).AccessKeyLastUsed
		if used.LastUsedDate != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if used.LastUsedDate == nil || used.LastUsedDate.Before(before) || aws.ToString(used.ServiceName) != "iam" || aws.ToString(used.Region) != "us-east-1" {
		t.Errorf("GetAccessKeyLastUsed after use: got %+v, want a date after %v, service iam, region us-east-1", used, before)
	}
	if u2 := must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId}))(t).AccessKeyLastUsed; u2.LastUsedDate != nil {
		t.Errorf("the unused key k2: got last used %v, want none", u2.LastUsedDate)
	}

	must(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kim"), AccessKeyId: k2.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	for _, k := range must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("kim")}))(t).AccessKeyMetadata {
		want := types.StatusTypeActive
		if aws.ToString(k.AccessKeyId) == aws.ToString(k2.AccessKeyId) {
			want = types.StatusTypeInactive
		}
		if k.Status != want {
			t.Errorf("key %s: status %q, want %q", aws.ToString(k.AccessKeyId), k.Status, want)
		}
	}
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kim"), AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA"), Status: types.StatusTypeActive})
	apiErr(t, err, "NoSuchEntity", 404)

	must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("kim"), AccessKeyId: k2.AccessKeyId}))(t)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("kim"), AccessKeyId: k2.AccessKeyId})
	apiErr(t, err, "NoSuchEntity", 404)
	// Room for one more now.
	must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kim")}))(t)
}

// Account aliases: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccountAlias.html.
func TestIAMAccountAliases(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	if got := must(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))(t).AccountAliases; len(got) != 0 {
		t.Errorf("aliases of a new account: got %v, want none", got)
	}
	must(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-company")}))(t)
	if got := must(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))(t).AccountAliases; !cmp.Equal(got, []string{"my-company"}) {
		t.Errorf("ListAccountAliases: got %v, want [my-company]", got)
	}
	// The model's pattern: lower-case letters, digits and single hyphens, 3–63 characters.
	for _, bad := range []string{"My_Company", "-x", "ab"} {
		_, err := c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(bad)})
		apiErr(t, err, "ValidationError", 400)
	}
	_, err := c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("other-name")})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("my-company")}))(t)
	if got := must(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))(t).AccountAliases; len(got) != 0 {
		t.Errorf("aliases after delete: got %v, want none", got)
	}
}

// GetAccountSummary counts the account's entities and states IAM's quotas
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html).
func TestIAMAccountSummary(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	before := must(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))(t).SummaryMap
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("a")}))(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("b")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip")}))(t)
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))}))(t)
	after := must(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))(t).SummaryMap
	for key, delta := range map[string]int32{"Users": 2, "Groups": 1, "Roles": 1, "InstanceProfiles": 1, "Policies": 1} {
		if after[key]-before[key] != delta {
			t.Errorf("%s: went from %d to %d, want +%d", key, before[key], after[key], delta)
		}
	}
	// Every key API_GetAccountSummary.html documents is present.
	for _, key := range []string{"AccessKeysPerUserQuota", "AccountAccessKeysPresent", "AccountMFAEnabled", "AccountSigningCertificatesPresent",
		"AttachedPoliciesPerGroupQuota", "AttachedPoliciesPerRoleQuota", "AttachedPoliciesPerUserQuota", "GlobalEndpointTokenVersion",
		"GroupPolicySizeQuota", "Groups", "GroupsPerUserQuota", "GroupsQuota", "InstanceProfiles", "InstanceProfilesQuota", "MFADevices",
		"MFADevicesInUse", "Policies", "PoliciesQuota", "PolicySizeQuota", "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "Providers",
		"RolePolicySizeQuota", "Roles", "RolesQuota", "ServerCertificates", "ServerCertificatesQuota", "SigningCertificatesPerUserQuota",
		"UserPolicySizeQuota", "Users", "UsersQuota", "VersionsPerPolicyQuota"} {
		if _, ok := after[key]; !ok {
			t.Errorf("SummaryMap has no %s", key)
		}
	}
	// Quotas as reference_iam-quotas.html states them.
	for key, want := range map[string]int32{"AccessKeysPerUserQuota": 2, "VersionsPerPolicyQuota": 5, "AttachedPoliciesPerUserQuota": 10,
		"UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "PolicySizeQuota": 6144, "AccountAccessKeysPresent": 1} {
		if got, ok := after[key]; !ok || got != want {
			t.Errorf("%s: got %d (present %v), want %d", key, got, ok, want)
		}
	}
}

// GetAccountAuthorizationDetails with its Filter, through the SDK's paginator
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).
func TestIAMAccountAuthorizationDetails(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	s3 := "arn:aws:iam::aws:policy/AmazonS3FullAccess"
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("gp"), PolicyDocument: aws.String(allowDoc(`"ec2:*"`, `"*"`))}))(t)
	for _, u := range []string{"a", "b", "c"} {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))(t)
	}
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("a"), GroupName: aws.String("g")}))(t)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("a"), PolicyName: aws.String("up"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_1"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("role_1"), PolicyArn: aws.String(s3)}))(t)
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("role_1")}))(t)
	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("role_1"), RoleName: aws.String("role_1")}))(t)
	local := aws.ToString(must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("lp"), PolicyDocument: aws.String(allowDoc(`"sqs:*"`, `"*"`))}))(t).Policy.Arn)

	all := func(ctx context.Context, filter ...types.EntityType) *iam.GetAccountAuthorizationDetailsOutput {
		t.Helper()
		sum := &iam.GetAccountAuthorizationDetailsOutput{}
		p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{Filter: filter, MaxItems: aws.Int32(2)})
		for p.HasMorePages() {
			page := must(p.NextPage(ctx))(t)
			sum.UserDetailList = append(sum.UserDetailList, page.UserDetailList...)
			sum.GroupDetailList = append(sum.GroupDetailList, page.GroupDetailList...)
			sum.RoleDetailList = append(sum.RoleDetailList, page.RoleDetailList...)
			sum.Policies = append(sum.Policies, page.Policies...)
		}
		return sum
	}

	users := all(ctx, types.EntityTypeUser)
	if len(users.GroupDetailList)+len(users.RoleDetailList)+len(users.Policies) != 0 || len(users.UserDetailList) != 3 {
		t.Fatalf("Filter=User: got %d users %d groups %d roles %d policies, want 3 users only",
			len(users.UserDetailList), len(users.GroupDetailList), len(users.RoleDetailList), len(users.Policies))
	}
	a := users.UserDetailList[0]
	if aws.ToString(a.UserName) != "a" || !cmp.Equal(a.GroupList, []string{"g"}) || len(a.UserPolicyList) != 1 ||
		aws.ToString(a.UserPolicyList[0].PolicyName) != "up" || !sameJSON(t, decodeDoc(t, a.UserPolicyList[0].PolicyDocument), allowDoc(`"s3:*"`, `"*"`)) {
		t.Errorf("user a: got %q groups %v inline %d", aws.ToString(a.UserName), a.GroupList, len(a.UserPolicyList))
	}

	roles := all(ctx, types.EntityTypeRole)
	if len(roles.RoleDetailList) != 1 || len(roles.UserDetailList) != 0 {
		t.Fatalf("Filter=Role: got %d roles %d users, want 1 role", len(roles.RoleDetailList), len(roles.UserDetailList))
	}
	r := roles.RoleDetailList[0]
	if len(r.AttachedManagedPolicies) != 1 || aws.ToString(r.AttachedManagedPolicies[0].PolicyArn) != s3 ||
		len(r.InstanceProfileList) != 1 || aws.ToString(r.InstanceProfileList[0].InstanceProfileName) != "role_1" ||
		!sameJSON(t, decodeDoc(t, r.AssumeRolePolicyDocument), ec2Trust) {
		t.Errorf("role_1 details: attached %d profiles %d", len(r.AttachedManagedPolicies), len(r.InstanceProfileList))
	}

	groups := all(ctx, types.EntityTypeGroup)
	if len(groups.GroupDetailList) != 1 || len(groups.GroupDetailList[0].GroupPolicyList) != 1 {
		t.Errorf("Filter=Group: got %d groups, want g with its inline policy", len(groups.GroupDetailList))
	}

	lp := all(ctx, types.EntityTypeLocalManagedPolicy)
	if len(lp.Policies) != 1 || aws.ToString(lp.Policies[0].Arn) != local || len(lp.Policies[0].PolicyVersionList) != 1 ||
		!sameJSON(t, decodeDoc(t, lp.Policies[0].PolicyVersionList[0].Document), allowDoc(`"sqs:*"`, `"*"`)) {
		t.Errorf("Filter=LocalManagedPolicy: got %d policies, want lp with its version", len(lp.Policies))
	}
	awsp := all(ctx, types.EntityTypeAWSManagedPolicy)
	found := false
	for _, p := range awsp.Policies {
		if aws.ToString(p.Arn) == local {
			t.Errorf("Filter=AWSManagedPolicy listed the local policy %s", local)
		}
		found = found || aws.ToString(p.Arn) == s3
	}
	if !found {
		t.Errorf("Filter=AWSManagedPolicy: %s, attached to role_1, is missing from %d policies", s3, len(awsp.Policies))
	}
}
