package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// The policy simulator through the SDK: SimulatePrincipalPolicy decides with a user's real
// policies and agrees with what the server enforces for the same user; SimulateCustomPolicy
// decides documents given inline; GetContextKeysFor… list the condition keys the policies use
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html).
func TestIAMPolicySimulator(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	sim, _ := newUserClient(t, inst, root, "sim")
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},
	 {"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}},
	 {"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}
	]}`
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("sim"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))(t)
	arn := "arn:aws:iam::" + acct + ":user/sim"

	out := must(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn),
		ActionNames: []string{"iam:ListUsers", "iam:DeleteUser", "iam:CreateGroup"}}))(t)
	want := map[string]types.PolicyEvaluationDecisionType{"iam:ListUsers": types.PolicyEvaluationDecisionTypeAllowed,
		"iam:DeleteUser": types.PolicyEvaluationDecisionTypeExplicitDeny, "iam:CreateGroup": types.PolicyEvaluationDecisionTypeImplicitDeny}
	for _, r := range out.EvaluationResults {
		if w := want[aws.ToString(r.EvalActionName)]; r.EvalDecision != w {
			t.Errorf("SimulatePrincipalPolicy %s: got %s, want %s", aws.ToString(r.EvalActionName), r.EvalDecision, w)
		}
	}
	if len(out.EvaluationResults) != 3 {
		t.Errorf("SimulatePrincipalPolicy: got %d results, want 3", len(out.EvaluationResults))
	}
	// The simulator and enforcement agree.
	must(sim.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	_, err := sim.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("sim")})
	apiErr(t, err, "AccessDenied", 403, "explicit deny")
	_, err = sim.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")})
	apiErr(t, err, "AccessDenied", 403)

	keys := must(root.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String(arn)}))(t).ContextKeyNames
	if !slices.ContainsFunc(keys, func(k string) bool { return k == "aws:RequestedRegion" || k == "aws:requestedregion" }) {
		t.Errorf("GetContextKeysForPrincipalPolicy: got %v, want aws:RequestedRegion", keys)
	}
	ck := must(root.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`}}))(t).ContextKeyNames
	if !slices.ContainsFunc(ck, func(k string) bool { return k == "aws:SourceIp" || k == "aws:sourceip" }) {
		t.Errorf("GetContextKeysForCustomPolicy: got %v, want aws:SourceIp", ck)
	}

	custom := must(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{allowDoc(`"s3:*"`, `"arn:aws:s3:::my_bucket"`)},
		ActionNames:     []string{"s3:ListBucket", "s3:GetObject"},
		ResourceArns:    []string{"arn:aws:s3:::my_bucket", "arn:aws:s3:::my_bucket/photo.jpg"}}))(t)
	// The tutorial's inline policy covers the bucket, not its objects.
	got := map[string]types.PolicyEvaluationDecisionType{}
	for _, r := range custom.EvaluationResults {
		got[aws.ToString(r.EvalActionName)+" "+aws.ToString(r.EvalResourceName)] = r.EvalDecision
	}
	for k, w := range map[string]types.PolicyEvaluationDecisionType{
		"s3:ListBucket arn:aws:s3:::my_bucket":          types.PolicyEvaluationDecisionTypeAllowed,
		"s3:GetObject arn:aws:s3:::my_bucket/photo.jpg": types.PolicyEvaluationDecisionTypeImplicitDeny,
	} {
		if got[k] != w {
			t.Errorf("SimulateCustomPolicy %s: got %q, want %s (all: %v)", k, got[k], w, got)
		}
	}
}

// Service-linked roles: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html —
// AWS's name and path for the service, protected from ordinary edits (UnmodifiableEntity), and
// deleted through a deletion task.
func TestIAMServiceLinkedRoles(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	r := must(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("spot.amazonaws.com")}))(t).Role
	if aws.ToString(r.RoleName) != "AWSServiceRoleForEC2Spot" || aws.ToString(r.Path) != "/aws-service-role/spot.amazonaws.com/" {
		t.Errorf("CreateServiceLinkedRole spot: got %q at %q", aws.ToString(r.RoleName), aws.ToString(r.Path))
	}
	_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: r.RoleName})
	apiErr(t, err, "UnmodifiableEntity", 400)
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: r.RoleName, PolicyDocument: aws.String(ec2Trust)})
	apiErr(t, err, "UnmodifiableEntity", 400)
	task := aws.ToString(must(c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: r.RoleName}))(t).DeletionTaskId)
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := must(c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(task)}))(t).Status
		if st == types.DeletionTaskStatusTypeSucceeded {
			break
		}
		if st == types.DeletionTaskStatusTypeFailed || time.Now().After(deadline) {
			t.Fatalf("deletion task: status %s", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: r.RoleName})
	apiErr(t, err, "NoSuchEntity", 404)
}

// SetSecurityTokenServicePreferences sets the version of tokens the global STS endpoint
// issues, which GetAccountSummary reports as GlobalEndpointTokenVersion
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetSecurityTokenServicePreferences.html).
func TestIAMSecurityTokenServicePreferences(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token}))(t)
	if v := must(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))(t).SummaryMap["GlobalEndpointTokenVersion"]; v != 2 {
		t.Errorf("GlobalEndpointTokenVersion after v2Token: got %d, want 2", v)
	}
	must(c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV1Token}))(t)
	if v := must(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))(t).SummaryMap["GlobalEndpointTokenVersion"]; v != 1 {
		t.Errorf("GlobalEndpointTokenVersion after v1Token: got %d, want 1", v)
	}
}
