package e2e

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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
