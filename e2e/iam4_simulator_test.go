package e2e

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// The policy simulator decides as the server enforces: for the same user, each simulated
// action's EvalDecision agrees with what a real request with the user's key gets
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html).
func TestIAM4SimulatorAgreesWithEnforcement(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	dave, _ := newUserClient(t, inst, root, "dave")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dave"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},` +
			`{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`)}))(t)
	userARN := "arn:aws:iam::" + acct + ":user/dave"

	real := map[string]error{}
	_, real["iam:GetUser"] = dave.GetUser(ctx, &iam.GetUserInput{})
	_, real["iam:ListUsers"] = dave.ListUsers(ctx, &iam.ListUsersInput{})
	_, real["iam:ListRoles"] = dave.ListRoles(ctx, &iam.ListRolesInput{})
	_, real["iam:CreateGroup"] = dave.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")})

	out := must(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN),
		ActionNames: []string{"iam:GetUser", "iam:ListUsers", "iam:ListRoles", "iam:CreateGroup"}}))(t)
	if len(out.EvaluationResults) != 4 {
		t.Fatalf("got %d results, want 4", len(out.EvaluationResults))
	}
	for _, r := range out.EvaluationResults {
		action := aws.ToString(r.EvalActionName)
		err := real[action]
		var ae smithy.APIError
		realDenied := errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied"
		if err != nil && !realDenied {
			t.Fatalf("%s: real request failed with %v", action, err)
		}
		if simAllowed := r.EvalDecision == types.PolicyEvaluationDecisionTypeAllowed; simAllowed == realDenied {
			t.Errorf("%s: simulator says %s, the real request %v", action, r.EvalDecision, err)
		}
	}
	if got := out.EvaluationResults[2]; got.EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny || len(got.MatchedStatements) != 1 ||
		aws.ToString(got.MatchedStatements[0].SourcePolicyId) != "p" || got.MatchedStatements[0].SourcePolicyType != types.PolicySourceTypeUser ||
		got.MatchedStatements[0].StartPosition == nil {
		t.Errorf("iam:ListRoles: got %+v", got)
	}

	// SimulateCustomPolicy with a condition: missing, then supplied with its type.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",` +
		`"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}`
	c := must(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		ResourceArns: []string{"arn:aws:s3:::b/k"}}))(t).EvaluationResults[0]
	if c.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || len(c.ResourceSpecificResults) != 1 ||
		len(c.ResourceSpecificResults[0].MissingContextValues) != 1 || c.ResourceSpecificResults[0].MissingContextValues[0] != "aws:SourceIp" {
		t.Errorf("without aws:SourceIp: got %+v", c)
	}
	c = must(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		ResourceArns: []string{"arn:aws:s3:::b/k"}, ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"),
			ContextKeyValues: []string{"203.0.113.9"}, ContextKeyType: types.ContextKeyTypeEnumIp}}}))(t).EvaluationResults[0]
	if c.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("with aws:SourceIp 203.0.113.9: got %s", c.EvalDecision)
	}
	keys := must(root.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{doc}}))(t).ContextKeyNames
	if len(keys) != 1 || keys[0] != "aws:SourceIp" {
		t.Errorf("GetContextKeysForCustomPolicy: got %v", keys)
	}
	pkeys := must(root.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String(userARN),
		PolicyInputList: []string{doc}}))(t).ContextKeyNames
	if len(pkeys) != 1 || pkeys[0] != "aws:SourceIp" {
		t.Errorf("GetContextKeysForPrincipalPolicy: got %v", pkeys)
	}

	// Pagination.
	p1 := must(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc},
		ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket"}, MaxItems: aws.Int32(2)}))(t)
	if !p1.IsTruncated || len(p1.EvaluationResults) != 2 {
		t.Fatalf("page 1: truncated %v, %d results", p1.IsTruncated, len(p1.EvaluationResults))
	}
	p2 := must(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc},
		ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket"}, Marker: p1.Marker}))(t)
	if p2.IsTruncated || len(p2.EvaluationResults) != 1 || aws.ToString(p2.EvaluationResults[0].EvalActionName) != "s3:ListBucket" {
		t.Fatalf("page 2: got %+v", p2.EvaluationResults)
	}
}
