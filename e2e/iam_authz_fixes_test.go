package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Defects the SDK suite found in the server, fixed: each test failed before its fix.

// GetAccessKeyLastUsed has no UserName; its resource is the user that owns the key (service
// authorization reference: GetAccessKeyLastUsed, resource type user*). AWS's own policy
// "allows IAM users to manage their own credentials" grants it on
// arn:aws:iam::*:user/${aws:username}, which scopes it to the caller's own keys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage.html).
// Gatehouse authorizes the call against the caller's ARN whatever key is named, so such a
// user reads the last use of anyone's key.
func TestIAMGetAccessKeyLastUsedAuthorizesKeyOwner(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	kay, _ := newUserClient(t, inst, root, "kay")
	_, lk := newUserClient(t, inst, root, "lou")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("kay"), PolicyName: aws.String("own"),
		PolicyDocument: aws.String(allowDoc(`"iam:GetAccessKeyLastUsed"`, `"arn:aws:iam::*:user/${aws:username}"`))}))(t)
	_, err := kay.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: lk.AccessKeyId})
	denied(t, err, "arn:aws:iam::"+acct+":user/kay", "iam:GetAccessKeyLastUsed", "arn:aws:iam::"+acct+":user/lou",
		"because no identity-based policy allows the iam:GetAccessKeyLastUsed action")
}

// "The caller of this operation must be granted the PassRole permission on the IAM role by a
// permissions policy" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html).
// Gatehouse checks only iam:AddRoleToInstanceProfile, so a user who may not pass a role can
// still put it in an instance profile (and so onto an instance).
func TestIAMAddRoleToInstanceProfileNeedsPassRole(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	ops, _ := newUserClient(t, inst, root, "ops")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("profiles"),
		PolicyDocument: aws.String(allowDoc(`"iam:AddRoleToInstanceProfile"`, `"*"`))}))(t)
	must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_1"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	must(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip")}))(t)
	_, err := ops.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip"), RoleName: aws.String("role_1")})
	denied(t, err, "arn:aws:iam::"+acct+":user/ops", "iam:PassRole", "arn:aws:iam::"+acct+":role/role_1",
		"because no identity-based policy allows the iam:PassRole action")
	if n := len(must(root.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ip")}))(t).InstanceProfile.Roles); n != 0 {
		t.Errorf("the refused call added the role: got %d roles", n)
	}
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("pass"),
		PolicyDocument: aws.String(allowDoc(`"iam:PassRole"`, `"arn:aws:iam::*:role/role_1"`))}))(t)
	must(ops.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip"), RoleName: aws.String("role_1")}))(t)
}

// The aws: prefix is reserved for AWS in tag keys ("Do not use aws:, AWS:, or any upper or
// lowercase combination of such as a prefix for either keys or values, as it is reserved for
// AWS use", AWS's common tag restrictions as e.g. https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html
// states them; the IAM User Guide's id_tags.html has the same rule for IAM).
// Gatehouse stores a user tag aws:reserved, which would then feed aws:ResourceTag/aws:… keys.
// The exact code IAM sends is not documented; a client error that stores nothing is the bar.
func TestIAMReservedTagPrefix(t *testing.T) {
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("u"), Tags: []types.Tag{tag("aws:reserved", "x")}})
	if err == nil {
		t.Error("TagUser with key aws:reserved: got success, want a client error")
	}
	if got := must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("u")}))(t).Tags; len(got) != 0 {
		t.Errorf("tags after the reserved-prefix call: got %v, want none", tagMap(got))
	}
}
