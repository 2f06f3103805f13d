package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("document %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	return cmp.Equal(g, w)
}

// Roles: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, UpdateRole,
// UpdateRoleDescription, UpdateAssumeRolePolicy, tags, and the tutorial's role_1 for EC2.
func TestIAMRoles(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)

	r := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_1"), AssumeRolePolicyDocument: aws.String(ec2Trust),
		Description: aws.String("EC2 reaches S3"), Tags: []types.Tag{tag("app", "web")}}))(t).Role
	if aws.ToString(r.Arn) != "arn:aws:iam::"+acct+":role/role_1" || !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") {
		t.Errorf("CreateRole: got %q %q, want role/role_1 with an AROA ID", aws.ToString(r.Arn), aws.ToString(r.RoleId))
	}
	// MaxSessionDuration defaults to one hour (API_CreateRole.html: "the default value of one hour is applied").
	got := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ROLE_1")}))(t).Role
	if aws.ToInt32(got.MaxSessionDuration) != 3600 || aws.ToString(got.Description) != "EC2 reaches S3" {
		t.Errorf("GetRole: MaxSessionDuration %d Description %q, want 3600 and the description", aws.ToInt32(got.MaxSessionDuration), aws.ToString(got.Description))
	}
	if !sameJSON(t, decodeDoc(t, got.AssumeRolePolicyDocument), ec2Trust) {
		t.Errorf("trust policy: got %s, want %s", decodeDoc(t, got.AssumeRolePolicyDocument), ec2Trust)
	}
	if tagMap(got.Tags)["app"] != "web" {
		t.Errorf("GetRole tags: got %v", tagMap(got.Tags))
	}

	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Role_1"), AssumeRolePolicyDocument: aws.String(ec2Trust)})
	apiErr(t, err, "EntityAlreadyExists", 409)
	// A trust policy must name a principal; an identity policy is not one.
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))})
	apiErr(t, err, "MalformedPolicyDocument", 400)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(`{"Version":`)})
	apiErr(t, err, "MalformedPolicyDocument", 400)
	// MaxSessionDuration is 3600–43200 seconds (the API model's range).
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(ec2Trust), MaxSessionDuration: aws.Int32(43201)})
	apiErr(t, err, "ValidationError", 400)
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("bad")})
	apiErr(t, err, "NoSuchEntity", 404)

	must(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("role_1"), MaxSessionDuration: aws.Int32(43200)}))(t)
	must(c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("role_1"), Description: aws.String("S3 for EC2")}))(t)
	got = must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")}))(t).Role
	if aws.ToInt32(got.MaxSessionDuration) != 43200 || aws.ToString(got.Description) != "S3 for EC2" {
		t.Errorf("after updates: MaxSessionDuration %d Description %q", aws.ToInt32(got.MaxSessionDuration), aws.ToString(got.Description))
	}
	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("role_1"), MaxSessionDuration: aws.Int32(60)})
	apiErr(t, err, "ValidationError", 400)

	lambdaTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	must(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("role_1"), PolicyDocument: aws.String(lambdaTrust)}))(t)
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("role_1"), PolicyDocument: aws.String(`not json`)})
	apiErr(t, err, "MalformedPolicyDocument", 400)
	got = must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")}))(t).Role
	if !sameJSON(t, decodeDoc(t, got.AssumeRolePolicyDocument), lambdaTrust) {
		t.Errorf("after UpdateAssumeRolePolicy and a rejected one: got %s, want the lambda trust", decodeDoc(t, got.AssumeRolePolicyDocument))
	}

	must(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("role_1"), Tags: []types.Tag{tag("env", "prod")}}))(t)
	must(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("role_1"), TagKeys: []string{"app"}}))(t)
	if got := tagMap(must(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("role_1")}))(t).Tags); !cmp.Equal(got, map[string]string{"env": "prod"}) {
		t.Errorf("ListRoleTags: got %v, want env=prod", got)
	}

	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("svc"), Path: aws.String("/service/"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	lr := must(c.ListRoles(ctx, &iam.ListRolesInput{}))(t)
	var names []string
	for _, r := range lr.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	if !cmp.Equal(names, []string{"role_1", "svc"}) {
		t.Errorf("ListRoles: got %v, want role_1, svc", names)
	}
	lr = must(c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/service/")}))(t)
	if len(lr.Roles) != 1 || aws.ToString(lr.Roles[0].RoleName) != "svc" {
		t.Errorf("ListRoles /service/: got %d roles, want svc", len(lr.Roles))
	}

	// Inline role policies: Put/Get/List/Delete.
	doc := allowDoc(`"s3:*"`, `["arn:aws:s3:::my_bucket","arn:aws:s3:::my_bucket/*"]`)
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc)}))(t)
	rp := must(c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("s3")}))(t)
	if !sameJSON(t, decodeDoc(t, rp.PolicyDocument), doc) || aws.ToString(rp.RoleName) != "role_1" {
		t.Errorf("GetRolePolicy: got %s", decodeDoc(t, rp.PolicyDocument))
	}
	if got := must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("role_1")}))(t).PolicyNames; !cmp.Equal(got, []string{"s3"}) {
		t.Errorf("ListRolePolicies: got %v, want [s3]", got)
	}
	// A role cannot be deleted while it has policies (API_DeleteRole.html).
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("role_1")})
	apiErr(t, err, "DeleteConflict", 409)
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("s3")}))(t)
	_, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("s3")})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("s3")})
	apiErr(t, err, "NoSuchEntity", 404)

	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("role_1")}))(t)
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// Instance profiles: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html,
// AddRoleToInstanceProfile (one role per profile), ListInstanceProfilesForRole, tags, and
// DeleteRole refused while the role is in a profile.
func TestIAMInstanceProfiles(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_1"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_2"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)

	ip := must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("role_1"),
		Tags: []types.Tag{tag("app", "web")}}))(t).InstanceProfile
	if aws.ToString(ip.Arn) != "arn:aws:iam::"+acct+":instance-profile/role_1" || !strings.HasPrefix(aws.ToString(ip.InstanceProfileId), "AIPA") || len(ip.Roles) != 0 {
		t.Errorf("CreateInstanceProfile: got %q %q with %d roles", aws.ToString(ip.Arn), aws.ToString(ip.InstanceProfileId), len(ip.Roles))
	}
	_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ROLE_1")})
	apiErr(t, err, "EntityAlreadyExists", 409)

	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("role_1"), RoleName: aws.String("role_1")}))(t)
	// "an instance profile can contain only one IAM role" (API_AddRoleToInstanceProfile.html):
	// a second role is LimitExceeded.
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("role_1"), RoleName: aws.String("role_2")})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("role_1"), RoleName: aws.String("nobody")})
	if err == nil {
		t.Error("adding a missing role: got success")
	}

	got := must(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("role_1")}))(t).InstanceProfile
	if len(got.Roles) != 1 || aws.ToString(got.Roles[0].RoleName) != "role_1" {
		t.Fatalf("GetInstanceProfile: got %d roles, want role_1", len(got.Roles))
	}
	if !sameJSON(t, decodeDoc(t, got.Roles[0].AssumeRolePolicyDocument), ec2Trust) {
		t.Errorf("the profile's role trust policy: got %s", decodeDoc(t, got.Roles[0].AssumeRolePolicyDocument))
	}
	fr := must(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("role_1")}))(t)
	if len(fr.InstanceProfiles) != 1 || aws.ToString(fr.InstanceProfiles[0].InstanceProfileName) != "role_1" {
		t.Errorf("ListInstanceProfilesForRole: got %d profiles, want role_1", len(fr.InstanceProfiles))
	}
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("other"), Path: aws.String("/x/")}))(t)
	lp := must(c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{}))(t)
	if len(lp.InstanceProfiles) != 2 {
		t.Errorf("ListInstanceProfiles: got %d, want 2", len(lp.InstanceProfiles))
	}
	lp = must(c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/x/")}))(t)
	if len(lp.InstanceProfiles) != 1 || aws.ToString(lp.InstanceProfiles[0].InstanceProfileName) != "other" {
		t.Errorf("ListInstanceProfiles /x/: got %d", len(lp.InstanceProfiles))
	}

	// "Make sure that you do not have any Amazon EC2 instances running with the role you are
	// about to delete" — IAM refuses to delete a role in an instance profile, and a profile
	// that has a role (API_DeleteRole.html, API_DeleteInstanceProfile.html: DeleteConflict).
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("role_1")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")
	_, err = c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("role_1")})
	apiErr(t, err, "DeleteConflict", 409)
	must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")}))(t)

	must(c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("role_1"), Tags: []types.Tag{tag("env", "prod")}}))(t)
	must(c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("role_1"), TagKeys: []string{"app"}}))(t)
	if got := tagMap(must(c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("role_1")}))(t).Tags); !cmp.Equal(got, map[string]string{"env": "prod"}) {
		t.Errorf("ListInstanceProfileTags: got %v, want env=prod", got)
	}

	must(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("role_1"), RoleName: aws.String("role_1")}))(t)
	_, err = c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("role_1"), RoleName: aws.String("role_1")})
	apiErr(t, err, "NoSuchEntity", 404)
	if n := len(must(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("role_1")}))(t).InstanceProfiles); n != 0 {
		t.Errorf("profiles for role_1 after removal: got %d, want 0", n)
	}
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("role_1")}))(t)
	must(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("role_1")}))(t)
	_, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("role_1")})
	apiErr(t, err, "NoSuchEntity", 404)
}
