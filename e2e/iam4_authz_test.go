package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Identity providers, server certificates and service-linked roles are authorized on their
// own ARNs, as IAM does (the service authorization reference's oidc-provider,
// server-certificate and role resource types), so a policy scoped to one provider, a path
// of certificates or one service's linked roles grants exactly that.
func TestIAM4ResourceScopedAuthorization(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	arnp := "arn:aws:iam::" + acct + ":"
	for _, u := range []string{"https://good.example.com", "https://other.example.com"} {
		must(root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(u)}))(t)
	}
	body, key := selfSigned(t, "www.example.com")
	for _, p := range []string{"/web/", "/internal/"} {
		must(root.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String(p[1 : len(p)-1]),
			Path: aws.String(p), CertificateBody: aws.String(body), PrivateKey: aws.String(key)}))(t)
	}
	ops, _ := newUserClient(t, inst, root, "ops")
	doc := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"iam:GetOpenIDConnectProvider","Resource":"` + arnp + `oidc-provider/good.example.com"},
	  {"Effect":"Allow","Action":"iam:GetServerCertificate","Resource":"` + arnp + `server-certificate/web/*"},
	  {"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"` + arnp + `role/aws-service-role/autoscaling.amazonaws.com/*"},
	  {"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*"}]}`
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("scoped"), PolicyDocument: aws.String(doc)}))(t)

	must(ops.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arnp + "oidc-provider/good.example.com")}))(t)
	_, err := ops.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arnp + "oidc-provider/other.example.com")})
	apiErr(t, err, "AccessDenied", 403, "oidc-provider/other.example.com")

	must(ops.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("web")}))(t)
	_, err = ops.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("internal")})
	apiErr(t, err, "AccessDenied", 403, "server-certificate/internal/internal")

	must(ops.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")}))(t)
	_, err = ops.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticloadbalancing.amazonaws.com")})
	apiErr(t, err, "AccessDenied", 403, "role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing")
	// Allowed by policy, still refused by IAM: the role is the service's.
	_, err = ops.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("AWSServiceRoleForAutoScaling"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	apiErr(t, err, "UnmodifiableEntity", 400)
}
