package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// ListPoliciesGrantingServiceAccess: a user's own and its groups' policies that allow a
// service (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPoliciesGrantingServiceAccess.html).
func TestIAM4PoliciesGrantingServiceAccess(t *testing.T) {
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("bob")}))(t)
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2FullAccess")}))(t)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("bucket"),
		PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"arn:aws:s3:::my_bucket"`))}))(t)

	out := must(c.ListPoliciesGrantingServiceAccess(ctx, &iam.ListPoliciesGrantingServiceAccessInput{Arn: aws.String("arn:aws:iam::" + acct + ":user/bob"),
		ServiceNamespaces: []string{"s3", "ec2", "dynamodb"}}))(t)
	got := map[string][]string{}
	for _, e := range out.PoliciesGrantingServiceAccess {
		names := []string{}
		for _, p := range e.Policies {
			names = append(names, string(p.PolicyType)+":"+aws.ToString(p.PolicyName))
		}
		got[aws.ToString(e.ServiceNamespace)] = names
	}
	if strings.Join(got["s3"], ",") != "INLINE:bucket" || !strings.Contains(strings.Join(got["ec2"], ","), "MANAGED:AmazonEC2FullAccess") || len(got["dynamodb"]) != 0 {
		t.Errorf("ListPoliciesGrantingServiceAccess: got %v", got)
	}
	_, err := c.ListPoliciesGrantingServiceAccess(ctx, &iam.ListPoliciesGrantingServiceAccessInput{Arn: aws.String("arn:aws:iam::" + acct + ":role/none"),
		ServiceNamespaces: []string{"s3"}})
	apiErr(t, err, "NoSuchEntity", 404)
}

// Outbound identity federation: the issuer is made once and kept
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOutboundWebIdentityFederation.html).
func TestIAM4OutboundWebIdentityFederation(t *testing.T) {
	_, c := newRootServer(t)
	ctx := ctxT(t)
	_, err := c.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	apiErr(t, err, "FeatureDisabled", 404)
	en := must(c.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{}))(t)
	issuer := aws.ToString(en.IssuerIdentifier)
	if !strings.HasPrefix(issuer, "https://") || !strings.HasSuffix(issuer, ".tokens.sts.global.api.aws") {
		t.Errorf("IssuerIdentifier: got %q", issuer)
	}
	_, err = c.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	apiErr(t, err, "FeatureEnabled", 409)
	info := must(c.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{}))(t)
	if aws.ToString(info.IssuerIdentifier) != issuer || !info.JwtVendingEnabled {
		t.Errorf("GetOutboundWebIdentityFederationInfo: got %q %v", aws.ToString(info.IssuerIdentifier), info.JwtVendingEnabled)
	}
	must(c.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{}))(t)
	_, err = c.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{})
	apiErr(t, err, "FeatureDisabled", 404)
}

// Organizations features: a Gatehouse account belongs to no organization.
func TestIAM4OrganizationsFeatures(t *testing.T) {
	_, c := newRootServer(t)
	ctx := ctxT(t)
	const code = "OrganizationNotFoundException"
	_, err := c.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	apiErr(t, err, code, 400)
	_, err = c.EnableOrganizationsRootCredentialsManagement(ctx, &iam.EnableOrganizationsRootCredentialsManagementInput{})
	apiErr(t, err, code, 400)
	_, err = c.DisableOrganizationsRootCredentialsManagement(ctx, &iam.DisableOrganizationsRootCredentialsManagementInput{})
	apiErr(t, err, code, 400)
	_, err = c.EnableOrganizationsRootSessions(ctx, &iam.EnableOrganizationsRootSessionsInput{})
	apiErr(t, err, code, 400)
	_, err = c.DisableOrganizationsRootSessions(ctx, &iam.DisableOrganizationsRootSessionsInput{})
	apiErr(t, err, code, 400)
	_, err = c.GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String("o-a1b2c3d4e5/r-f6g7h8i9j0example")})
	apiErr(t, err, code, 400)
	_, err = c.GetOrganizationsAccessReport(ctx, &iam.GetOrganizationsAccessReportInput{JobId: aws.String("examplea-1234-b567-cde8-90fg123abcd4")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// Temporary delegation between two accounts of an emulator (a 12-digit key ID names the
// account): the partner asks, the customer associates, accepts and sends the token
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-temporary-delegation.html).
func TestIAM4DelegationRequests(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	partner := iamClient(t, inst, "210987654321", "partner-secret")
	customer := iamClient(t, inst, "123456789012", "customer-secret")

	cr := must(partner.CreateDelegationRequest(ctx, &iam.CreateDelegationRequestInput{Description: aws.String("read the logs bucket"),
		RequestorWorkflowId: aws.String("wf-000000000001"), NotificationChannel: aws.String("arn:aws:sns:us-east-1:210987654321:dr"),
		SessionDuration: aws.Int32(3600), OwnerAccountId: aws.String("123456789012"),
		Permissions: &types.DelegationPermission{PolicyTemplateArn: aws.String("arn:aws:iam::aws:delegation-template/S3ReadOnly"),
			Parameters: []types.PolicyParameter{{Name: aws.String("bucket"), Values: []string{"logs"}, Type: types.PolicyParameterTypeEnumString}}}}))(t)
	id := cr.DelegationRequestId
	if !strings.HasSuffix(aws.ToString(cr.ConsoleDeepLink), aws.ToString(id)) {
		t.Errorf("ConsoleDeepLink: got %q", aws.ToString(cr.ConsoleDeepLink))
	}
	_, err := partner.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: id})
	apiErr(t, err, "InvalidInput", 400)

	must(customer.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: id}))(t)
	must(customer.UpdateDelegationRequest(ctx, &iam.UpdateDelegationRequestInput{DelegationRequestId: id, Notes: aws.String("for review")}))(t)
	must(customer.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: id}))(t)
	must(customer.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: id}))(t)
	_, err = customer.RejectDelegationRequest(ctx, &iam.RejectDelegationRequestInput{DelegationRequestId: id})
	apiErr(t, err, "InvalidInput", 400)

	g := must(partner.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: id}))(t).DelegationRequest
	if g.State != types.StateTypeFinalized || aws.ToString(g.OwnerAccountId) != "123456789012" || aws.ToString(g.Notes) != "for review" {
		t.Errorf("GetDelegationRequest: state %s owner %s notes %q", g.State, aws.ToString(g.OwnerAccountId), aws.ToString(g.Notes))
	}
	l := must(customer.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{}))(t).DelegationRequests
	if len(l) != 1 || aws.ToString(l[0].DelegationRequestId) != aws.ToString(id) {
		t.Errorf("ListDelegationRequests: got %d", len(l))
	}
	sum := must(customer.GetHumanReadableSummary(ctx, &iam.GetHumanReadableSummaryInput{EntityArn: aws.String("arn:aws:iam::210987654321:delegation-request/" + aws.ToString(id))}))(t)
	if sum.SummaryState != types.SummaryStateTypeAvailable || !strings.Contains(aws.ToString(sum.SummaryContent), "bucket is logs") {
		t.Errorf("GetHumanReadableSummary: %s %q", sum.SummaryState, aws.ToString(sum.SummaryContent))
	}

	second := must(partner.CreateDelegationRequest(ctx, &iam.CreateDelegationRequestInput{Description: aws.String("again"),
		RequestorWorkflowId: aws.String("wf-000000000002"), NotificationChannel: aws.String("arn:aws:sns:us-east-1:210987654321:dr"),
		SessionDuration: aws.Int32(900), Permissions: &types.DelegationPermission{PolicyTemplateArn: aws.String("arn:aws:iam::aws:delegation-template/S3ReadOnly")}}))(t)
	must(customer.RejectDelegationRequest(ctx, &iam.RejectDelegationRequestInput{DelegationRequestId: second.DelegationRequestId, Notes: aws.String("no")}))(t)
	r := must(customer.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: second.DelegationRequestId}))(t).DelegationRequest
	if r.State != types.StateTypeRejected || aws.ToString(r.RejectionReason) != "no" {
		t.Errorf("rejected request: state %s reason %q", r.State, aws.ToString(r.RejectionReason))
	}
}
