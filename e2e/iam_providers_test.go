package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// OpenID Connect providers: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
// (the ARN is the URL without https://; client IDs and thumbprints are edited in place).
func TestIAMOpenIDConnectProviders(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	thumb := strings.Repeat("9e", 20)
	p := must(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.example.com/org"),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{thumb}, Tags: []types.Tag{tag("ci", "yes")}}))(t)
	arn := aws.ToString(p.OpenIDConnectProviderArn)
	if arn != "arn:aws:iam::"+acct+":oidc-provider/token.actions.example.com/org" {
		t.Errorf("OIDC provider ARN: got %q", arn)
	}
	_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.example.com/org"), ClientIDList: []string{"x"}})
	apiErr(t, err, "EntityAlreadyExists", 409)
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://other.example.com"), ThumbprintList: []string{"not-hex"}})
	if err == nil {
		t.Error("a thumbprint that is not 40 hexadecimal characters: got success")
	}

	must(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("my-app")}))(t)
	must(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("sts.amazonaws.com")}))(t)
	thumb2 := strings.Repeat("ab", 20)
	must(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{thumb2}}))(t)
	g := must(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	if !cmp.Equal(g.ClientIDList, []string{"my-app"}) || !cmp.Equal(g.ThumbprintList, []string{thumb2}) || !strings.HasSuffix(aws.ToString(g.Url), "token.actions.example.com/org") {
		t.Errorf("GetOpenIDConnectProvider: got URL %q clients %v thumbprints %v", aws.ToString(g.Url), g.ClientIDList, g.ThumbprintList)
	}

	must(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), Tags: []types.Tag{tag("team", "ci")}}))(t)
	must(c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"ci"}}))(t)
	if got := tagMap(must(c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)}))(t).Tags); !cmp.Equal(got, map[string]string{"team": "ci"}) {
		t.Errorf("ListOpenIDConnectProviderTags: got %v", got)
	}
	l := must(c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}))(t).OpenIDConnectProviderList
	if len(l) != 1 || aws.ToString(l[0].Arn) != arn {
		t.Errorf("ListOpenIDConnectProviders: got %d", len(l))
	}
	must(c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	apiErr(t, err, "NoSuchEntity", 404)
}

// samlMetadata is a minimal SAML 2.0 IdP metadata document (saml-metadata-2.0-os) with one
// signing certificate.
func samlMetadata(t *testing.T, entityID string) string {
	t.Helper()
	certPEM, _ := selfSigned(t, "idp.example.com")
	block, _ := pem.Decode([]byte(certPEM))
	cert := base64.StdEncoding.EncodeToString(block.Bytes)
	return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="` + entityID + `">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + cert + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
}

// SAML providers: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateSAMLProvider.html.
func TestIAMSAMLProviders(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	meta := samlMetadata(t, "https://idp.example.com/metadata")
	arn := aws.ToString(must(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("corp-idp"), SAMLMetadataDocument: aws.String(meta),
		Tags: []types.Tag{tag("src", "okta")}}))(t).SAMLProviderArn)
	if arn != "arn:aws:iam::"+acct+":saml-provider/corp-idp" {
		t.Errorf("SAML provider ARN: got %q", arn)
	}
	_, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("bad-idp"), SAMLMetadataDocument: aws.String(strings.Repeat("<notsaml/>", 200))})
	if err == nil {
		t.Error("CreateSAMLProvider with a document that is not SAML metadata: got success")
	}
	g := must(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)}))(t)
	if !strings.Contains(aws.ToString(g.SAMLMetadataDocument), "https://idp.example.com/metadata") || g.CreateDate == nil {
		t.Errorf("GetSAMLProvider: document %d bytes created %v", len(aws.ToString(g.SAMLMetadataDocument)), g.CreateDate)
	}
	meta2 := samlMetadata(t, "https://idp.example.com/metadata")
	must(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn), SAMLMetadataDocument: aws.String(meta2)}))(t)
	if got := aws.ToString(must(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)}))(t).SAMLMetadataDocument); got != meta2 {
		t.Error("GetSAMLProvider after UpdateSAMLProvider: want the new document")
	}
	must(c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: aws.String(arn), Tags: []types.Tag{tag("team", "it")}}))(t)
	must(c.UntagSAMLProvider(ctx, &iam.UntagSAMLProviderInput{SAMLProviderArn: aws.String(arn), TagKeys: []string{"src"}}))(t)
	if got := tagMap(must(c.ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: aws.String(arn)}))(t).Tags); !cmp.Equal(got, map[string]string{"team": "it"}) {
		t.Errorf("ListSAMLProviderTags: got %v", got)
	}
	l := must(c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{}))(t).SAMLProviderList
	if len(l) != 1 || aws.ToString(l[0].Arn) != arn {
		t.Errorf("ListSAMLProviders: got %d", len(l))
	}
	must(c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)}))(t)
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	apiErr(t, err, "NoSuchEntity", 404)
}

// Server certificates: https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadServerCertificate.html
// (the private key must match the certificate; it is never returned).
func TestIAMServerCertificates(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	certPEM, keyPEM := selfSigned(t, "www.example.com")
	_, otherKey := selfSigned(t, "other.example.com")
	_, err := c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("www"), CertificateBody: aws.String(certPEM), PrivateKey: aws.String(otherKey)})
	if err == nil {
		t.Error("UploadServerCertificate with a key that does not match: got success")
	}
	m := must(c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("www"), Path: aws.String("/cloudfront/"),
		CertificateBody: aws.String(certPEM), PrivateKey: aws.String(keyPEM), Tags: []types.Tag{tag("site", "www")}}))(t).ServerCertificateMetadata
	if aws.ToString(m.Arn) != "arn:aws:iam::"+acct+":server-certificate/cloudfront/www" || !strings.HasPrefix(aws.ToString(m.ServerCertificateId), "ASCA") || m.Expiration == nil {
		t.Errorf("UploadServerCertificate: got ARN %q ID %q expiration %v", aws.ToString(m.Arn), aws.ToString(m.ServerCertificateId), m.Expiration)
	}
	_, err = c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("WWW"), CertificateBody: aws.String(certPEM), PrivateKey: aws.String(keyPEM)})
	apiErr(t, err, "EntityAlreadyExists", 409)
	g := must(c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("www")}))(t).ServerCertificate
	if strings.TrimSpace(aws.ToString(g.CertificateBody)) != strings.TrimSpace(certPEM) {
		t.Error("GetServerCertificate: the body differs from the upload")
	}
	must(c.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: aws.String("www"), NewServerCertificateName: aws.String("www-2026"), NewPath: aws.String("/")}))(t)
	_, err = c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("www")})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.TagServerCertificate(ctx, &iam.TagServerCertificateInput{ServerCertificateName: aws.String("www-2026"), Tags: []types.Tag{tag("env", "prod")}}))(t)
	must(c.UntagServerCertificate(ctx, &iam.UntagServerCertificateInput{ServerCertificateName: aws.String("www-2026"), TagKeys: []string{"site"}}))(t)
	if got := tagMap(must(c.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("www-2026")}))(t).Tags); !cmp.Equal(got, map[string]string{"env": "prod"}) {
		t.Errorf("ListServerCertificateTags: got %v", got)
	}
	l := must(c.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{}))(t).ServerCertificateMetadataList
	if len(l) != 1 || aws.ToString(l[0].ServerCertificateName) != "www-2026" {
		t.Errorf("ListServerCertificates: got %d", len(l))
	}
	must(c.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("www-2026")}))(t)
	_, err = c.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("www-2026")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// The credential report: GenerateCredentialReport starts it, GetCredentialReport returns the
// CSV with AWS's header and a <root_account> row
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html).
func TestIAMCredentialReport(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("rep")}))(t)
	must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("rep")}))(t)
	_, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	apiErr(t, err, "ReportNotPresent", 410)
	var rep *iam.GetCredentialReportOutput
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := must(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t).State
		if st == types.ReportStateTypeComplete {
			rep = must(c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}))(t)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the credential report is still %s", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rep.ReportFormat != types.ReportFormatTypeTextCsv {
		t.Errorf("ReportFormat: got %q, want text/csv", rep.ReportFormat)
	}
	rows, err := csv.NewReader(bytes.NewReader(rep.Content)).ReadAll()
	if err != nil {
		t.Fatalf("the report is not CSV: %v", err)
	}
	if len(rows) != 3 || rows[0][0] != "user" || rows[0][1] != "arn" || rows[1][0] != "<root_account>" || rows[2][0] != "rep" {
		t.Fatalf("report rows: got %d, header %v", len(rows), rows[0])
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[2][col["access_key_1_active"]] != "true" || rows[2][col["password_enabled"]] != "false" {
		t.Errorf("rep's row: access_key_1_active %q password_enabled %q", rows[2][col["access_key_1_active"]], rows[2][col["password_enabled"]])
	}
}

// Service last accessed data: GenerateServiceLastAccessedDetails then GetServiceLastAccessedDetails
// lists every service the entity's policies allow, and …WithEntities names who reached one
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html).
func TestIAMServiceLastAccessed(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	viv, _ := newUserClient(t, inst, root, "viv")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("viv"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allowDoc(`["iam:ListUsers","s3:GetObject"]`, `"*"`))}))(t)
	must(viv.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	userARN := "arn:aws:iam::" + acct + ":user/viv"

	var out *iam.GetServiceLastAccessedDetailsOutput
	deadline := time.Now().Add(20 * time.Second)
	for {
		job := aws.ToString(must(root.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(userARN)}))(t).JobId)
		out = must(root.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(job)}))(t)
		var iamSvc *types.ServiceLastAccessed
		for i := range out.ServicesLastAccessed {
			if aws.ToString(out.ServicesLastAccessed[i].ServiceNamespace) == "iam" {
				iamSvc = &out.ServicesLastAccessed[i]
			}
		}
		if out.JobStatus == types.JobStatusTypeCompleted && iamSvc != nil && iamSvc.LastAuthenticated != nil {
			if aws.ToString(iamSvc.LastAuthenticatedEntity) != userARN {
				t.Errorf("iam last authenticated entity: got %q, want %q", aws.ToString(iamSvc.LastAuthenticatedEntity), userARN)
			}
			we := must(root.GetServiceLastAccessedDetailsWithEntities(ctx, &iam.GetServiceLastAccessedDetailsWithEntitiesInput{
				JobId: aws.String(job), ServiceNamespace: aws.String("iam")}))(t)
			if len(we.EntityDetailsList) != 1 || aws.ToString(we.EntityDetailsList[0].EntityInfo.Arn) != userARN {
				t.Errorf("GetServiceLastAccessedDetailsWithEntities iam: got %d entities", len(we.EntityDetailsList))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no last access of iam by viv recorded: status %s, %d services", out.JobStatus, len(out.ServicesLastAccessed))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// s3 is allowed but was never reached.
	for _, s := range out.ServicesLastAccessed {
		if aws.ToString(s.ServiceNamespace) == "s3" && s.LastAuthenticated != nil {
			t.Errorf("s3: got last authenticated %v, want never", s.LastAuthenticated)
		}
	}
}
