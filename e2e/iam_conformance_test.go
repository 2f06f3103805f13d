package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Behaviours that suites written against AWS check and that Gatehouse got wrong: each case
// is what AWS does (the AWS API reference, or a test its authors verified against AWS).
func TestIAMConformance(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	doc := allowDoc(`"s3:ListBucket"`, `"arn:aws:s3:::example_bucket"`)

	// CreatePolicy, GetPolicy and ListPolicies return different subsets of Policy
	// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html, and verified against
	// AWS): CreatePolicy leaves the description out even when one was given and has tags only
	// when some were; GetPolicy has the description when there is one and always the tag list,
	// empty or not; ListPolicies has neither.
	t.Run("PolicyViews", func(t *testing.T) {
		created := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("described"), Path: aws.String("/views/"),
			PolicyDocument: aws.String(doc), Description: aws.String("reads the bucket"), Tags: []types.Tag{tag("team", "ops")}}))(t).Policy
		if created.Description != nil || len(created.Tags) != 1 {
			t.Errorf("CreatePolicy with a description and tags: got description %v, %d tags; want none, 1", created.Description, len(created.Tags))
		}
		got := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: created.Arn}))(t).Policy
		if aws.ToString(got.Description) != "reads the bucket" || len(got.Tags) != 1 {
			t.Errorf("GetPolicy: got description %v, %d tags; want it and 1", got.Description, len(got.Tags))
		}

		bare := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bare"), Path: aws.String("/views/"),
			PolicyDocument: aws.String(doc)}))(t).Policy
		if bare.Description != nil || bare.Tags != nil {
			t.Errorf("CreatePolicy without either: got description %v, tags %v; want neither", bare.Description, bare.Tags)
		}
		got = must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: bare.Arn}))(t).Policy
		if got.Description != nil || got.Tags == nil || len(got.Tags) != 0 {
			t.Errorf("GetPolicy without either: got description %v, tags %v; want no description and an empty tag list", got.Description, got.Tags)
		}

		listed := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String("/views/")}))(t).Policies
		if len(listed) != 2 {
			t.Fatalf("ListPolicies: got %d policies, want 2", len(listed))
		}
		for _, p := range listed {
			if p.Description != nil || p.Tags != nil {
				t.Errorf("ListPolicies %s: got description %v, tags %v; want neither", aws.ToString(p.PolicyName), p.Description, p.Tags)
			}
		}
	})

	// A signing certificate's body comes back exactly as uploaded, its trailing newline
	// included (verified against AWS).
	t.Run("SigningCertificateBodyVerbatim", func(t *testing.T) {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("signer")}))(t)
		certPEM, _ := selfSigned(t, "signer")
		if certPEM[len(certPEM)-1] != '\n' {
			t.Fatal("the test certificate should end with a newline")
		}
		up := must(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"),
			CertificateBody: aws.String(certPEM)}))(t).Certificate
		if aws.ToString(up.CertificateBody) != certPEM {
			t.Errorf("UploadSigningCertificate: got body %q, want %q", aws.ToString(up.CertificateBody), certPEM)
		}
		ls := must(c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: aws.String("signer")}))(t).Certificates
		if len(ls) != 1 || aws.ToString(ls[0].CertificateBody) != certPEM {
			t.Errorf("ListSigningCertificates: got %d certificates, want 1 with the body as uploaded", len(ls))
		}
	})

	// Application Auto Scaling links one role per resource type it scales, named after it, with
	// that type's managed policy ("Service-linked role ARN reference",
	// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html).
	t.Run("ApplicationAutoScalingServiceLinkedRoles", func(t *testing.T) {
		r := must(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{
			AWSServiceName: aws.String("custom-resource.application-autoscaling.amazonaws.com")}))(t).Role
		if name := aws.ToString(r.RoleName); name != "AWSServiceRoleForApplicationAutoScaling_CustomResource" {
			t.Fatalf("CreateServiceLinkedRole: got role %q, want AWSServiceRoleForApplicationAutoScaling_CustomResource", name)
		}
		att := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName}))(t).AttachedPolicies
		want := "arn:aws:iam::aws:policy/aws-service-role/AWSApplicationAutoScalingCustomResourcePolicy"
		if len(att) != 1 || aws.ToString(att[0].PolicyArn) != want {
			t.Errorf("ListAttachedRolePolicies: got %+v, want %s", att, want)
		}
	})

	// DeleteAccountPasswordPolicy without a policy: AWS's own example quotes this message
	// (AWS Tools for PowerShell, Remove-IAMAccountPasswordPolicy), not GetAccountPasswordPolicy's.
	t.Run("DeleteMissingPasswordPolicy", func(t *testing.T) {
		_, err := c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
		if msg := apiErr(t, err, "NoSuchEntity", 404); msg != "The account policy with name PasswordPolicy cannot be found." {
			t.Errorf("DeleteAccountPasswordPolicy: got message %q", msg)
		}
	})

	// GetUser without a name, called by the root user, answers the account's root: UserId is
	// the account ID and Arn …:root, with no UserName and no Path (AWS leaves them out although
	// the model requires them; clients fall back on the ARN).
	t.Run("GetUserAsRoot", func(t *testing.T) {
		u := must(c.GetUser(ctx, &iam.GetUserInput{}))(t).User
		acct := accountID(t, c)
		if u.UserName != nil || u.Path != nil || aws.ToString(u.UserId) != acct || aws.ToString(u.Arn) != "arn:aws:iam::"+acct+":root" {
			t.Errorf("GetUser as root: got name %v path %v id %q arn %q; want no name or path, %s and its root ARN",
				u.UserName, u.Path, aws.ToString(u.UserId), aws.ToString(u.Arn), acct)
		}
	})

	// CreateLoginProfile for a user that does not exist is NoSuchEntity whatever the password,
	// not a password-policy violation.
	t.Run("LoginProfileForMissingUser", func(t *testing.T) {
		_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String("x")})
		apiErr(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")
	})
}
