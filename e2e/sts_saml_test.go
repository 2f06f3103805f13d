package e2e

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"gatehouse/internal/samlauth/samltest"
)

// anonymousSTS is the STS client a SAML-federated user has: no AWS credentials at all
// (AssumeRoleWithSAML "does not require the use of AWS security credentials").
func anonymousSTS(inst *instance) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		Credentials:  aws.AnonymousCredentials{},
		BaseEndpoint: aws.String(inst.Endpoint),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   wholeBodyClient{},
	})
}

// TestSTSAssumeRoleWithSAML federates through a SAML identity provider end to end: an IdP
// key and certificate, its metadata registered with CreateSAMLProvider, a role trusting the
// provider on a SAML:aud condition, a response signed with goxmldsig, AssumeRoleWithSAML
// with anonymous credentials, and the session's credentials used
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_saml.html).
func TestSTSAssumeRoleWithSAML(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	const entityID = "https://idp.example.com/gatehouse-e2e"
	idp := must(samltest.NewIdP(entityID))(t)
	stranger := must(samltest.NewIdP(entityID))(t)
	provider := aws.ToString(must(root.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("corp-idp"),
		SAMLMetadataDocument: aws.String(idp.Metadata())}))(t).SAMLProviderArn)
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},
		"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`, provider)
	roleARN := aws.ToString(must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("saml-dev"),
		AssumeRolePolicyDocument: aws.String(trust)}))(t).Role.Arn)
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("saml-dev"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(allowDoc(`"iam:ListUsers"`, `"*"`))}))(t)
	otherRole := aws.ToString(must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("saml-ops"),
		AssumeRolePolicyDocument: aws.String(trust)}))(t).Role.Arn)

	response := func(mod func(*samltest.Response)) samltest.Response {
		r := samltest.Response{Subject: "jdoe", Attributes: []samltest.Attribute{
			{Name: samltest.AttrRole, Values: []string{roleARN + "," + provider}},
			{Name: samltest.AttrRoleSessionName, Values: []string{"jdoe@example.com"}},
		}}
		if mod != nil {
			mod(&r)
		}
		return r
	}
	assertion := func(p *samltest.IdP, r samltest.Response, sign samltest.Sign) string {
		return samltest.Encode(must(p.Build(r, sign))(t))
	}
	anon := anonymousSTS(inst)
	assume := func(role, saml string) (*sts.AssumeRoleWithSAMLOutput, error) {
		return anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(role), PrincipalArn: aws.String(provider),
			SAMLAssertion: aws.String(saml), DurationSeconds: aws.Int32(900)})
	}

	out := must(assume(roleARN, assertion(idp, response(nil), samltest.SignResponse)))(t)
	wantARN := "arn:aws:sts::" + acct + ":assumed-role/saml-dev/jdoe@example.com"
	h := sha1.Sum([]byte(entityID + acct + "/corp-idp"))
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
		t.Errorf("AssumedRoleUser.Arn %q, want %q", got, wantARN)
	}
	if aws.ToString(out.Subject) != "jdoe" || aws.ToString(out.SubjectType) != "persistent" || aws.ToString(out.Issuer) != entityID ||
		aws.ToString(out.Audience) != samltest.AWSRecipient || aws.ToString(out.NameQualifier) != base64.StdEncoding.EncodeToString(h[:]) {
		t.Errorf("claims: Subject %q SubjectType %q Issuer %q Audience %q NameQualifier %q", aws.ToString(out.Subject),
			aws.ToString(out.SubjectType), aws.ToString(out.Issuer), aws.ToString(out.Audience), aws.ToString(out.NameQualifier))
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > 15*time.Minute+time.Minute || d < 14*time.Minute {
		t.Errorf("Expiration in %v, want DurationSeconds' 15 minutes", d)
	}
	who := must(sessionSTS(inst, out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.Arn) != wantARN || aws.ToString(who.Account) != acct ||
		aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("GetCallerIdentity: %q %q %q", aws.ToString(who.Arn), aws.ToString(who.Account), aws.ToString(who.UserId))
	}
	sessIAM := sessionIAM(inst, out.Credentials)
	must(sessIAM.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	_, err := sessIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	apiErr(t, err, "AccessDenied", 403, wantARN, "iam:CreateUser")

	// An assertion signed on the Assertion alone is as good.
	must(assume(roleARN, assertion(idp, response(nil), samltest.SignAssertion)))(t)

	// Denials.
	_, err = assume(roleARN, assertion(idp, response(nil), samltest.SignNone))
	apiErr(t, err, "InvalidIdentityToken", 400, "Response signature invalid")
	_, err = assume(roleARN, assertion(stranger, response(nil), samltest.SignResponse))
	apiErr(t, err, "InvalidIdentityToken", 400, "Response signature invalid")
	tampered := strings.Replace(must(idp.Build(response(nil), samltest.SignResponse))(t), "role/saml-dev", "role/saml-ops", 1)
	_, err = assume(otherRole, samltest.Encode(tampered))
	apiErr(t, err, "InvalidIdentityToken", 400, "Response signature invalid")
	_, err = assume(otherRole, assertion(idp, response(nil), samltest.SignResponse))
	apiErr(t, err, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
	_, err = assume(roleARN, assertion(idp, response(func(r *samltest.Response) {
		r.Recipient = "https://us-east-1.signin.aws.amazon.com/saml" // accepted, but not what SAML:aud requires
	}), samltest.SignResponse))
	apiErr(t, err, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
	_, err = assume(roleARN, assertion(idp, response(func(r *samltest.Response) { r.Audience = "https://app.example.com" }), samltest.SignResponse))
	apiErr(t, err, "InvalidIdentityToken", 400, "Response does not contain the required audience.")
	_, err = assume(roleARN, assertion(idp, response(func(r *samltest.Response) { r.Now = time.Now().Add(-time.Hour) }), samltest.SignResponse))
	apiErr(t, err, "ExpiredTokenException", 400)
	_, err = assume(roleARN, assertion(idp, response(func(r *samltest.Response) {
		r.Attributes[1].Values = []string{"j doe"}
	}), samltest.SignResponse))
	apiErr(t, err, "InvalidIdentityToken", 400, "RoleSessionName in AuthnResponse must match")
	_, err = anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN), PrincipalArn: aws.String(provider),
		SAMLAssertion: aws.String(assertion(idp, response(nil), samltest.SignResponse)), DurationSeconds: aws.Int32(7200)})
	apiErr(t, err, "ValidationError", 400, "MaxSessionDuration")

	// A provider that requires encrypted assertions: the IdP encrypts to the certificate of
	// the key given to AddPrivateKey (id_roles_providers_create_saml.html, "SAML encryption").
	sp := must(samltest.NewIdP("urn:amazon:webservices"))(t)
	encProvider := aws.ToString(must(root.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("enc-idp"),
		SAMLMetadataDocument: aws.String(idp.Metadata()), AddPrivateKey: aws.String(sp.KeyPEM()),
		AssertionEncryptionMode: iamtypes.AssertionEncryptionModeTypeRequired}))(t).SAMLProviderArn)
	encTrust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithSAML"}]}`, encProvider)
	encRole := aws.ToString(must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("saml-enc"),
		AssumeRolePolicyDocument: aws.String(encTrust)}))(t).Role.Arn)
	encResponse := func(encrypt bool) string {
		r := response(func(r *samltest.Response) { r.Attributes[0].Values = []string{encRole + "," + encProvider} })
		if encrypt {
			r.EncryptTo = sp.Cert
		}
		return assertion(idp, r, samltest.SignAssertion)
	}
	encOut := must(anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(encRole),
		PrincipalArn: aws.String(encProvider), SAMLAssertion: aws.String(encResponse(true))}))(t)
	if got := aws.ToString(encOut.AssumedRoleUser.Arn); got != "arn:aws:sts::"+acct+":assumed-role/saml-enc/jdoe@example.com" {
		t.Errorf("encrypted assertion: AssumedRoleUser.Arn %q", got)
	}
	_, err = anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(encRole),
		PrincipalArn: aws.String(encProvider), SAMLAssertion: aws.String(encResponse(false))})
	apiErr(t, err, "InvalidIdentityToken", 400, "requires encrypted assertions")

	// Deleting the provider ends federation through it.
	must(root.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(provider)}))(t)
	_, err = assume(roleARN, assertion(idp, response(nil), samltest.SignResponse))
	apiErr(t, err, "InvalidIdentityToken", 400, "Specified provider doesn't exist.")
}

// TestSTSAssumeRoleWithSAMLMoto runs moto's AssumeRoleWithSAML tests with boto3 in moto's
// server mode against `serve --mode emulator --enforce off`, which accepts their unsigned
// assertions for a provider and role that do not exist, as moto does; and checks that
// strict emulator mode refuses the same assertion.
func TestSTSAssumeRoleWithSAMLMoto(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("python3 with boto3 and moto is needed: %v", err)
	}
	cmd := exec.Command("python3", filepath.Join("testdata", "emulator", "moto_saml_test.py"))
	cmd.Env = motoEnv(inst)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), " passed, 0 failed") {
		t.Fatalf("moto's AssumeRoleWithSAML tests: %v\n%s", err, out)
	}

	strict := startServer(t, "", "--mode", "emulator")
	cmd = exec.Command("python3", filepath.Join("testdata", "emulator", "moto_saml_test.py"))
	cmd.Env = motoEnv(strict)
	out, _ = cmd.CombinedOutput()
	if !strings.Contains(string(out), "0 passed, 5 failed") || !strings.Contains(string(out), "InvalidIdentityToken") {
		t.Errorf("strict emulator mode must verify the assertions:\n%s", out)
	}
}
