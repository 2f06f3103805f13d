package iam

import (
	"encoding/json"
	"testing"
	"time"

	"gatehouse/internal/awsproto/iamapi"
)

// Lists AWS sends even when they are empty, as LocalStack's IAM snapshots recorded them: an
// empty list is a non-nil empty slice here, which the encoder writes as <Tags/>, while a nil
// one is left out.
func TestAWSRecordedEmptyLists(t *testing.T) {
	env := newEnv(t)
	c := newTestCert(t, "idp", 2048, time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), nil)

	in, _ := json.Marshal(map[string]any{"Name": "idp", "SAMLMetadataDocument": samlMetadata("urn:idp:one", "signing", c, "")})
	env.must("CreateSAMLProvider", string(in))
	saml := env.must("GetSAMLProvider", `{"SAMLProviderArn":"arn:aws:iam::`+testAccount+`:saml-provider/idp"}`).(*iamapi.GetSAMLProviderOutput)
	if saml.Tags == nil || saml.PrivateKeyList == nil {
		t.Errorf("GetSAMLProvider: Tags %v PrivateKeyList %v, want both present and empty", saml.Tags, saml.PrivateKeyList)
	}

	in, _ = json.Marshal(map[string]any{"ServerCertificateName": "web", "CertificateBody": c.CertPEM, "PrivateKey": c.KeyPEM})
	env.must("UploadServerCertificate", string(in))
	sc := env.must("GetServerCertificate", `{"ServerCertificateName":"web"}`).(*iamapi.GetServerCertificateOutput)
	if sc.ServerCertificate.Tags == nil {
		t.Error("GetServerCertificate: no tag list, want an empty one")
	}

	env.must("CreateInstanceProfile", `{"InstanceProfileName":"p"}`)
	if ip := env.must("GetInstanceProfile", `{"InstanceProfileName":"p"}`).(*iamapi.GetInstanceProfileOutput); ip.InstanceProfile.Tags == nil {
		t.Error("GetInstanceProfile: no tag list, want an empty one")
	}

	env.must("CreateOpenIDConnectProvider", `{"Url":"https://token.example.com","ThumbprintList":["`+string(make40('a'))+`"]}`)
	if o := env.must("GetOpenIDConnectProvider", `{"OpenIDConnectProviderArn":"arn:aws:iam::`+testAccount+`:oidc-provider/token.example.com"}`).(*iamapi.GetOpenIDConnectProviderOutput); o.Tags == nil {
		t.Error("GetOpenIDConnectProvider: no tag list, want an empty one")
	}

	if p := env.must("GetPolicy", `{"PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`).(*iamapi.GetPolicyOutput); p.Policy.Tags == nil {
		t.Error("GetPolicy of an AWS managed policy: no tag list, want an empty one")
	}
}

func make40(b byte) []byte {
	out := make([]byte, 40)
	for i := range out {
		out[i] = b
	}
	return out
}

// A signing certificate that does not parse is named in IAM's message
// (test_iam_signing_certificates.py::test_signing_certificate_errors).
func TestAWSRecordedMalformedSigningCertificate(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"u"}`)
	_, err := env.call(root(), "UploadSigningCertificate", `{"UserName":"u","CertificateBody":"invalid-certificate-body"}`)
	wantErr(t, err, "MalformedCertificate", "Certificate invalid-certificate-body is malformed.")
}
