package e2e

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// A session's condition keys as a role policy sees them: aws:userid is ROLEID:SESSION,
// aws:MultiFactorAuthPresent is false for a session made without MFA, aws:PrincipalType
// is AssumedRole. And a session outlives nothing: once its role is deleted it can do
// nothing, and a new role of the same name does not revive it.
func TestSTSSessionContextAndDeletedRole(t *testing.T) {
	s := newSTSSetup(t, "")
	ctx := ctxT(t)
	roleID := aws.ToString(must(s.root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")}))(t).Role.RoleId)
	must(s.root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("ctx"),
		PolicyDocument: aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*","Condition":{
			"StringEquals":{"aws:userid":"%s:ctx","aws:PrincipalType":"AssumedRole"},
			"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`, roleID))}))(t)
	for _, tc := range []struct {
		session string
		allowed bool
	}{{"ctx", true}, {"other", false}} {
		cr := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String(tc.session)}))(t).Credentials
		_, err := sessionIAM(s.inst, cr).ListGroups(ctx, &iam.ListGroupsInput{})
		if tc.allowed && err != nil {
			t.Errorf("session %s: ListGroups: %v, want allowed by aws:userid", tc.session, err)
		}
		if !tc.allowed {
			apiErr(t, err, "AccessDenied", 403)
		}
	}

	cr := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("doomed")}))(t).Credentials
	sess := sessionIAM(s.inst, cr)
	must(sess.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	for _, p := range []string{"read", "ctx"} {
		must(s.root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String(p)}))(t)
	}
	must(s.root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("role_1")}))(t)
	_, err := sess.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403)
	// Same name, new role (new ID), same permissions: the old session stays powerless.
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":"sts:AssumeRole"}]}`, s.aliceARN)
	must(s.root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_1"), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	must(s.root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(allowDoc(`"iam:ListUsers"`, `"*"`))}))(t)
	_, err = sess.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403)
	fresh := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("fresh")}))(t).Credentials
	must(sessionIAM(s.inst, fresh).ListUsers(ctx, &iam.ListUsersInput{}))(t)
}

// Managed session policies cap a session as an inline one does; a trust condition on
// aws:SourceIp decides by the caller's address (the tests call from 127.0.0.1).
func TestSTSManagedSessionPolicyAndSourceIp(t *testing.T) {
	s := newSTSSetup(t, `,"Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`)
	ctx := ctxT(t)
	p := must(s.root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("list-users"),
		PolicyDocument: aws.String(allowDoc(`"iam:ListUsers"`, `"*"`))}))(t).Policy
	cr := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("managed"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: p.Arn}}}))(t).Credentials
	sess := sessionIAM(s.inst, cr)
	must(sess.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	_, err := sess.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")})
	apiErr(t, err, "AccessDenied", 403, "session policy")
	// An AWS managed policy that grants no IAM action leaves the session nothing in IAM.
	cr = must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("s3only"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}}}))(t).Credentials
	_, err = sessionIAM(s.inst, cr).ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403)

	other := newSTSSetup(t, `,"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`)
	_, err = other.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(other.roleARN), RoleSessionName: aws.String("far")})
	apiErr(t, err, "AccessDenied", 403, "User: "+other.aliceARN+" is not authorized to perform: sts:AssumeRole on resource: "+other.roleARN)
}
