package e2e

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// ResourceHandlingOption through the SDK
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html): an
// EC2 scenario makes the simulator require its resource types and decide ec2:RunInstances
// once over all of them, "allowed only if your policy grants access to all the required
// resources" (https://aws.amazon.com/blogs/security/test-resource-level-permissions-using-the-iam-policy-simulator/),
// each resource's decision under ResourceSpecificResults.
func TestIAMSimulateExtraResourceHandling(t *testing.T) {
	t.Parallel()
	_, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("launcher")}))(t)
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("launcher"), PolicyName: aws.String("run"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:RunInstances","Resource":[` +
			`"arn:aws:ec2:*:*:instance/*","arn:aws:ec2:*::image/*","arn:aws:ec2:*:*:security-group/*","arn:aws:ec2:*:*:network-interface/*"]}]}`)}))(t)
	instance := "arn:aws:ec2:us-east-1:" + acct + ":instance/*"
	resources := []string{instance, "arn:aws:ec2:us-east-1::image/ami-0abcdef1234567890",
		"arn:aws:ec2:us-east-1:" + acct + ":security-group/sg-0123456789abcdef0",
		"arn:aws:ec2:us-east-1:" + acct + ":network-interface/*", "arn:aws:ec2:us-east-1:" + acct + ":volume/*"}
	source := aws.String("arn:aws:iam::" + acct + ":user/launcher")

	out := must(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source,
		ActionNames: []string{"ec2:RunInstances"}, ResourceArns: resources, ResourceHandlingOption: aws.String("EC2-VPC-EBS")}))(t)
	if len(out.EvaluationResults) != 1 {
		t.Fatalf("got %d results, want one for the launch", len(out.EvaluationResults))
	}
	r := out.EvaluationResults[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || aws.ToString(r.EvalResourceName) != instance ||
		len(r.ResourceSpecificResults) != len(resources) {
		t.Fatalf("launch without the volume granted: got %s on %s with %d resource results", r.EvalDecision, aws.ToString(r.EvalResourceName), len(r.ResourceSpecificResults))
	}
	for i, rs := range r.ResourceSpecificResults {
		want := types.PolicyEvaluationDecisionTypeAllowed
		if i == len(resources)-1 {
			want = types.PolicyEvaluationDecisionTypeImplicitDeny // the volume
		}
		if aws.ToString(rs.EvalResourceName) != resources[i] || rs.EvalResourceDecision != want {
			t.Errorf("resource %d: got %s %s, want %s %s", i, aws.ToString(rs.EvalResourceName), rs.EvalResourceDecision, resources[i], want)
		}
	}

	// The same launch without a volume (instance store) is allowed.
	out = must(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source,
		ActionNames: []string{"ec2:RunInstances"}, ResourceArns: resources[:4], ResourceHandlingOption: aws.String("EC2-VPC-InstanceStore")}))(t)
	if r := out.EvaluationResults[0]; r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || len(r.MatchedStatements) != 1 ||
		aws.ToString(r.MatchedStatements[0].SourcePolicyId) != "run" {
		t.Fatalf("instance-store launch: got %s, matched %+v", r.EvalDecision, r.MatchedStatements)
	}

	// A scenario whose resource types are not all given, and one that does not exist.
	_, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source,
		ActionNames: []string{"ec2:RunInstances"}, ResourceArns: resources, ResourceHandlingOption: aws.String("EC2-VPC-EBS-Subnet")})
	apiErr(t, err, "InvalidInput", 400, "EC2-VPC-EBS-Subnet", "missing: subnet")
	_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allowDoc(`"ec2:*"`, `"*"`)},
		ActionNames: []string{"ec2:RunInstances"}, ResourceArns: resources, ResourceHandlingOption: aws.String("EC2-Mainframe")})
	apiErr(t, err, "InvalidInput", 400, `Invalid ResourceHandlingOption "EC2-Mainframe"`)
}

// IAM's refusals of the simulator's other parameters, with its texts: a resource name that
// is not an ARN, a bare account ID as ResourceOwner, a CallerArn that is not a user
// (API_SimulateCustomPolicy.html: "You can specify only the ARN of an IAM user").
func TestIAMSimulateExtraParameterErrors(t *testing.T) {
	t.Parallel()
	_, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	doc := allowDoc(`"s3:*"`, `"*"`)
	_, err := root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"kms:Decrypt"},
		ResourceArns: []string{"14a050d4-021e-4efe-84bb-0871bf6d0fda"}})
	if msg := apiErr(t, err, "InvalidInput", 400); msg != "ResourceNames are not in a valid ARN format: 14a050d4-021e-4efe-84bb-0871bf6d0fda." {
		t.Errorf("non-ARN resource: got %q", msg)
	}
	_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		ResourceOwner: aws.String(acct)})
	if msg := apiErr(t, err, "InvalidInput", 400); msg != "'"+acct+"' is not a valid as a Resource Owner." {
		t.Errorf("bare account ResourceOwner: got %q", msg)
	}
	_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		CallerArn: aws.String("arn:aws:sts::" + acct + ":assumed-role/r/s")})
	apiErr(t, err, "InvalidInput", 400, "CallerArn must be the ARN of an IAM user")

	// The root ARN form of ResourceOwner names another account: the request is cross-account
	// and each side's decision is reported.
	out := must(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		ResourceArns: []string{"arn:aws:s3:::b/k"}, ResourceOwner: aws.String("arn:aws:iam::111122223333:root")}))(t)
	if r := out.EvaluationResults[0]; r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny ||
		r.EvalDecisionDetails["IAM Policy"] != types.PolicyEvaluationDecisionTypeAllowed ||
		r.EvalDecisionDetails["Resource Policy"] != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("cross-account without a resource policy: got %s %v", r.EvalDecision, r.EvalDecisionDetails)
	}
}

// The simulator sees the trust policy STS enforces: a user deleted and recreated under the
// same name is not the principal the role trusts
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles),
// so both the real AssumeRole and its simulation deny it.
func TestIAMSimulateExtraTrustAgreesWithSTS(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	alice := "arn:aws:iam::" + acct + ":user/alice"
	role := "arn:aws:iam::" + acct + ":role/deploy"
	assume := allowDoc(`"sts:AssumeRole"`, `"*"`)
	newAlice := func() *sts.Client {
		_, k := newUserClient(t, inst, root, "alice")
		must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("assume"), PolicyDocument: aws.String(assume)}))(t)
		return stsClient(inst, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	}
	first := newAlice()
	must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}]}`)}))(t)

	check := func(client *sts.Client, wantAllowed bool) {
		t.Helper()
		_, realErr := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("sim-check")})
		var ae smithy.APIError
		if realErr != nil && !(errors.As(realErr, &ae) && ae.ErrorCode() == "AccessDenied") {
			t.Fatalf("AssumeRole: %v", realErr)
		}
		sim := must(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(alice),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{role}}))(t).EvaluationResults[0]
		simAllowed := sim.EvalDecision == types.PolicyEvaluationDecisionTypeAllowed
		if (realErr == nil) != wantAllowed || simAllowed != wantAllowed {
			t.Fatalf("want allowed=%v: AssumeRole got %v, the simulator %s", wantAllowed, realErr, sim.EvalDecision)
		}
	}
	check(first, true)

	for _, p := range must(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")}))(t).AccessKeyMetadata {
		must(root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: p.AccessKeyId}))(t)
	}
	must(root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("assume")}))(t)
	must(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}))(t)
	check(newAlice(), false)
}

// Across accounts (emulator mode, one account per 12-digit key ID as LocalStack does): a
// role of account A trusts user bob of account B; bob deleted and recreated in B is not the
// principal A's role trusts, so his AssumeRole is denied even though the server had the
// role's trust policy compiled and cached, and the simulator in A agrees.
func TestIAMSimulateExtraCrossAccountTrust(t *testing.T) {
	t.Parallel()
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "strict")
	ctx := ctxT(t)
	const a, b = "111111111111", "222222222222"
	rootA, rootB := iamClient(t, inst, a, "x"), iamClient(t, inst, b, "x")
	bob := "arn:aws:iam::" + b + ":user/bob"
	role := "arn:aws:iam::" + a + ":role/shared"
	newBob := func() *sts.Client {
		must(rootB.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))(t)
		k := must(rootB.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}))(t).AccessKey
		must(rootB.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("assume"),
			PolicyDocument: aws.String(allowDoc(`"sts:AssumeRole"`, `"*"`))}))(t)
		return stsClient(inst, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	}
	first := newBob()
	must(rootA.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("shared"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + bob + `"},"Action":"sts:AssumeRole"}]}`)}))(t)
	simulate := func() types.PolicyEvaluationDecisionType {
		return must(rootA.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allowDoc(`"sts:AssumeRole"`, `"*"`)},
			CallerArn: aws.String(bob), ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{role}}))(t).EvaluationResults[0].EvalDecision
	}
	must(first.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("first")}))(t)
	if got := simulate(); got != types.PolicyEvaluationDecisionTypeAllowed {
		t.Fatalf("bob as created: simulator says %s", got)
	}

	for _, m := range must(rootB.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")}))(t).AccessKeyMetadata {
		must(rootB.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: m.AccessKeyId}))(t)
	}
	must(rootB.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("assume")}))(t)
	must(rootB.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}))(t)
	second := newBob()
	_, err := second.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("second")})
	apiErr(t, err, "AccessDenied", 403)
	if got := simulate(); got != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("recreated bob: simulator says %s, want implicitDeny", got)
	}
}

// GetDelegationRequest's DelegationPermissionCheck through the SDK
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetDelegationRequest.html): the
// template's asks are registered with AWS out of band, so Gatehouse answers what holds
// whatever they are — the customer's root may do anything (ALLOWED), a user with no policy
// nothing (DENIED), a user with conditional permissions is UNSURE. Enforcement is off so the
// user without policies can make the call.
func TestIAMSimulateExtraDelegationPermissionCheck(t *testing.T) {
	t.Parallel()
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	partner := iamClient(t, inst, "210987654321", "partner-secret")
	customer := iamClient(t, inst, "123456789012", "customer-secret")
	id := must(partner.CreateDelegationRequest(ctx, &iam.CreateDelegationRequestInput{Description: aws.String("configure log delivery"),
		RequestorWorkflowId: aws.String("wf-000000000001"), NotificationChannel: aws.String("arn:aws:sns:us-east-1:210987654321:dr"),
		SessionDuration: aws.Int32(3600), OwnerAccountId: aws.String("123456789012"),
		Permissions: &types.DelegationPermission{PolicyTemplateArn: aws.String("arn:aws:iam::aws:delegation-template/S3LogDelivery")}}))(t).DelegationRequestId
	nobody, _ := newUserClient(t, inst, customer, "nobody")
	mfaOnly, _ := newUserClient(t, inst, customer, "mfa-only")
	must(customer.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("mfa-only"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}))(t)
	for _, c := range []struct {
		who    string
		client *iam.Client
		want   types.PermissionCheckResultType
	}{{"root", customer, types.PermissionCheckResultTypeAllowed}, {"nobody", nobody, types.PermissionCheckResultTypeDenied},
		{"mfa-only", mfaOnly, types.PermissionCheckResultTypeUnsure}} {
		out := must(c.client.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: id, DelegationPermissionCheck: true}))(t)
		if out.PermissionCheckStatus != types.PermissionCheckStatusTypeComplete || out.PermissionCheckResult != c.want {
			t.Errorf("%s: got %s %s, want COMPLETE %s", c.who, out.PermissionCheckStatus, out.PermissionCheckResult, c.want)
		}
	}
}
