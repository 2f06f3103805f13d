package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Service-linked roles (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html):
// AWS's name and path, the service's trust and managed policy, protected from ordinary edits,
// deleted through a deletion task.
func TestIAM4ServiceLinkedRoles(t *testing.T) {
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)

	out := must(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com"),
		Description: aws.String("Auto Scaling")}))(t)
	r := out.Role
	if aws.ToString(r.RoleName) != "AWSServiceRoleForAutoScaling" || aws.ToString(r.Path) != "/aws-service-role/autoscaling.amazonaws.com/" ||
		aws.ToString(r.Arn) != "arn:aws:iam::"+acct+":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" {
		t.Fatalf("CreateServiceLinkedRole: got %s at %s (%s)", aws.ToString(r.RoleName), aws.ToString(r.Path), aws.ToString(r.Arn))
	}
	got := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: r.RoleName}))(t).Role
	if trust := decodeDoc(t, got.AssumeRolePolicyDocument); !strings.Contains(trust, `"Service":"autoscaling.amazonaws.com"`) {
		t.Errorf("trust policy: got %s", trust)
	}
	att := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName}))(t).AttachedPolicies
	if len(att) != 1 || aws.ToString(att[0].PolicyArn) != "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy" {
		t.Errorf("attached policies: got %+v", att)
	}

	_, err := c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	apiErr(t, err, "InvalidInput", 400, "has been taken in this account")
	sfx := must(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com"),
		CustomSuffix: aws.String("batch")}))(t)
	if aws.ToString(sfx.Role.RoleName) != "AWSServiceRoleForAutoScaling_batch" {
		t.Errorf("CustomSuffix: got %s", aws.ToString(sfx.Role.RoleName))
	}

	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: r.RoleName})
	apiErr(t, err, "UnmodifiableEntity", 400, "protected role 'AWSServiceRoleForAutoScaling'")
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: r.RoleName, PolicyArn: att[0].PolicyArn})
	apiErr(t, err, "UnmodifiableEntity", 400)
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: r.RoleName, PolicyName: aws.String("x"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))})
	apiErr(t, err, "UnmodifiableEntity", 400)
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: r.RoleName, PolicyDocument: aws.String(ec2Trust)})
	apiErr(t, err, "UnmodifiableEntity", 400)

	del := must(c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: r.RoleName}))(t)
	if !strings.HasPrefix(aws.ToString(del.DeletionTaskId), "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/") {
		t.Errorf("DeletionTaskId: got %q", aws.ToString(del.DeletionTaskId))
	}
	st := must(c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId}))(t)
	if st.Status != types.DeletionTaskStatusTypeSucceeded {
		t.Errorf("deletion status: got %s", st.Status)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: r.RoleName})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("nobody")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// SetSecurityTokenServicePreferences is what GetAccountSummary's GlobalEndpointTokenVersion
// reports (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetSecurityTokenServicePreferences.html).
func TestIAM4SecurityTokenServicePreferences(t *testing.T) {
	_, c := newRootServer(t)
	ctx := ctxT(t)
	version := func() int32 {
		return must(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))(t).SummaryMap["GlobalEndpointTokenVersion"]
	}
	if v := version(); v != 1 {
		t.Fatalf("initial GlobalEndpointTokenVersion: got %d, want 1", v)
	}
	must(c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token}))(t)
	if v := version(); v != 2 {
		t.Fatalf("after v2Token: got %d, want 2", v)
	}
	must(c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV1Token}))(t)
	if v := version(); v != 1 {
		t.Fatalf("after v1Token: got %d, want 1", v)
	}
}
