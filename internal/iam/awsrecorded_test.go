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
	// Metadata without validUntil still gives a ValidUntil, in GetSAMLProvider and the listing.
	if saml.ValidUntil == nil || saml.CreateDate == nil || !saml.ValidUntil.Equal(saml.CreateDate.AddDate(100, 0, 0)) {
		t.Errorf("GetSAMLProvider: ValidUntil %v for CreateDate %v, want a century later", saml.ValidUntil, saml.CreateDate)
	}
	if l := env.must("ListSAMLProviders", `{}`).(*iamapi.ListSAMLProvidersOutput); len(l.SAMLProviderList) != 1 || l.SAMLProviderList[0].ValidUntil == nil {
		t.Errorf("ListSAMLProviders: got %+v, want one provider with a ValidUntil", l.SAMLProviderList)
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

// GetAccountAuthorizationDetails sends its empty lists, all but UserPolicyList
// (test_get_account_authorization_details_no_filter).
func TestAWSRecordedAuthorizationDetailsLists(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"u"}`)
	env.must("CreateGroup", `{"GroupName":"g"}`)
	env.must("CreateRole", `{"RoleName":"r","AssumeRolePolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"}`)
	out := env.must("GetAccountAuthorizationDetails", `{}`).(*iamapi.GetAccountAuthorizationDetailsOutput)
	if len(out.UserDetailList) != 1 || len(out.GroupDetailList) != 1 || len(out.RoleDetailList) != 1 {
		t.Fatalf("got %d users, %d groups, %d roles; want one of each", len(out.UserDetailList), len(out.GroupDetailList), len(out.RoleDetailList))
	}
	u, g, r := out.UserDetailList[0], out.GroupDetailList[0], out.RoleDetailList[0]
	if u.AttachedManagedPolicies == nil || u.Tags == nil || u.GroupList == nil || u.UserPolicyList != nil {
		t.Errorf("user: attached %v tags %v groups %v inline %v; want the first three empty and no inline list", u.AttachedManagedPolicies, u.Tags, u.GroupList, u.UserPolicyList)
	}
	if g.AttachedManagedPolicies == nil || g.GroupPolicyList == nil {
		t.Errorf("group: attached %v inline %v; want both empty", g.AttachedManagedPolicies, g.GroupPolicyList)
	}
	if r.AttachedManagedPolicies == nil || r.RolePolicyList == nil || r.Tags == nil || r.InstanceProfileList == nil || r.RoleLastUsed == nil {
		t.Errorf("role: attached %v inline %v tags %v profiles %v last used %v; want all empty", r.AttachedManagedPolicies, r.RolePolicyList, r.Tags, r.InstanceProfileList, r.RoleLastUsed)
	}
}

// CreateVirtualMFADevice answers a path of the wrong form in IAM's own words, and one too long
// with the constraint message (test_iam_mfa.py::test_virtual_mfa_device_errors).
func TestAWSRecordedMFAPath(t *testing.T) {
	env := newEnv(t)
	const msg = "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."
	for _, p := range []string{"invalid-path/", "/invalid-path", "//x", "/a b/"} {
		_, err := env.call(root(), "CreateVirtualMFADevice", `{"VirtualMFADeviceName":"m","Path":"`+p+`"}`)
		wantErr(t, err, "ValidationError", msg)
	}
	long := "/" + string(make40('a')) + "/"
	for len(long) <= 512 {
		long = "/" + string(make40('a')) + long
	}
	_, err := env.call(root(), "CreateVirtualMFADevice", `{"VirtualMFADeviceName":"m","Path":"`+long+`"}`)
	wantErr(t, err, "ValidationError", "1 validation error detected: Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 512")
	for _, p := range []string{"/", "/test-path/", "/test//double/"} {
		env.must("CreateVirtualMFADevice", `{"VirtualMFADeviceName":"m`+itoa(len(p))+`","Path":"`+p+`"}`)
	}
}
