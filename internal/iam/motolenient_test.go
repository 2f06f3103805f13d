package iam

import (
	"strings"
	"testing"

	"gatehouse/internal/awsproto/iamapi"
)

// What Options.MotoLenient accepts beyond trust policies and paths, each refused without it
// as AWS refuses it: weak passwords under the default policy, SSH key bodies and SAML
// metadata that do not parse, a user's access key named by the root without UserName, and
// MFA codes that do not verify.
func TestMotoLenientAccepts(t *testing.T) {
	const user = `{"UserName":"my-user"}`
	cases := []struct {
		name      string
		setup     []string // op=json pairs run first
		op, in    string
		strictErr string
	}{
		{"weak password", nil, "CreateLoginProfile", `{"UserName":"my-user","Password":"my-pass"}`, "PasswordPolicyViolation"},
		{"weak password update", []string{`CreateLoginProfile={"UserName":"my-user","Password":"Str0ng-pass"}`},
			"UpdateLoginProfile", `{"UserName":"my-user","Password":"123"}`, "PasswordPolicyViolation"},
		{"ssh body not a key", nil, "UploadSSHPublicKey", `{"UserName":"my-user","SSHPublicKeyBody":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}`, "UnrecognizedPublicKeyEncoding"},
		{"saml metadata not XML", nil, "CreateSAMLProvider", `{"Name":"p","SAMLMetadataDocument":"` + strings.Repeat("a", 1024) + `"}`, "InvalidInput"},
		{"mfa codes", []string{`CreateVirtualMFADevice={"VirtualMFADeviceName":"d"}`},
			"EnableMFADevice", `{"UserName":"my-user","SerialNumber":"arn:aws:iam::` + testAccount + `:mfa/d","AuthenticationCode1":"234567","AuthenticationCode2":"987654"}`, "InvalidAuthenticationCode"},
	}
	for _, lenient := range []bool{false, true} {
		for _, tc := range cases {
			t.Run(map[bool]string{false: "aws/", true: "lenient/"}[lenient]+tc.name, func(t *testing.T) {
				env := newEnv(t)
				env.svc.opt.MotoLenient = lenient
				env.must("CreateUser", user)
				for _, s := range tc.setup {
					op, in, _ := strings.Cut(s, "=")
					env.must(op, in)
				}
				_, err := env.call(root(), tc.op, tc.in)
				if !lenient {
					wantErr(t, err, tc.strictErr, "")
				} else if err != nil {
					t.Fatalf("%s: %v", tc.op, err)
				}
			})
		}
	}
}

// A password policy the account set still applies under MotoLenient: only IAM's default is
// waived.
func TestMotoLenientPasswordPolicySet(t *testing.T) {
	env := newEnv(t)
	env.svc.opt.MotoLenient = true
	env.must("CreateUser", `{"UserName":"u"}`)
	env.must("UpdateAccountPasswordPolicy", `{"MinimumPasswordLength":12}`)
	_, err := env.call(root(), "CreateLoginProfile", `{"UserName":"u","Password":"short"}`)
	wantErr(t, err, "PasswordPolicyViolation", "")
	env.must("CreateLoginProfile", `{"UserName":"u","Password":"long-enough-pw"}`)
}

// An SSH body kept as given is returned as given in both encodings, and uploading it twice is
// still DuplicateSSHPublicKey.
func TestMotoLenientSSHBody(t *testing.T) {
	env := newEnv(t)
	env.svc.opt.MotoLenient = true
	env.must("CreateUser", `{"UserName":"u"}`)
	body := "not a key"
	up := env.must("UploadSSHPublicKey", `{"UserName":"u","SSHPublicKeyBody":"not a key"}`).(*iamapi.UploadSSHPublicKeyOutput).SSHPublicKey
	if up.SSHPublicKeyBody != body || len(up.Fingerprint) != 47 || !strings.HasPrefix(up.SSHPublicKeyId, "APKA") {
		t.Errorf("upload: %+v", up)
	}
	for _, enc := range []string{"SSH", "PEM"} {
		got := env.must("GetSSHPublicKey", `{"UserName":"u","SSHPublicKeyId":"`+up.SSHPublicKeyId+`","Encoding":"`+enc+`"}`).(*iamapi.GetSSHPublicKeyOutput).SSHPublicKey
		if got.SSHPublicKeyBody != body || got.Fingerprint != up.Fingerprint {
			t.Errorf("get %s: %+v", enc, got)
		}
	}
	_, err := env.call(root(), "UploadSSHPublicKey", `{"UserName":"u","SSHPublicKeyBody":"not a key"}`)
	wantErr(t, err, "DuplicateSSHPublicKey", "")
	env.must("DeleteSSHPublicKey", `{"UserName":"u","SSHPublicKeyId":"`+up.SSHPublicKeyId+`"}`)
}

// A SAML provider whose metadata is not metadata: returned as given, updatable, and a provider
// with no signing certificate for STS (no assertion verifies), not an error.
func TestMotoLenientSAMLMetadata(t *testing.T) {
	env := newEnv(t)
	env.svc.opt.MotoLenient = true
	doc := strings.Repeat("a", 1024)
	arn := *env.must("CreateSAMLProvider", `{"Name":"p","SAMLMetadataDocument":"`+doc+`"}`).(*iamapi.CreateSAMLProviderOutput).SAMLProviderArn
	got := env.must("GetSAMLProvider", `{"SAMLProviderArn":"`+arn+`"}`).(*iamapi.GetSAMLProviderOutput)
	if *got.SAMLMetadataDocument != doc || got.ValidUntil == nil {
		t.Errorf("GetSAMLProvider: %+v", got)
	}
	env.must("UpdateSAMLProvider", `{"SAMLProviderArn":"`+arn+`","SAMLMetadataDocument":"`+strings.Repeat("b", 1000)+`"}`)
	if l := env.must("ListSAMLProviders", `{}`).(*iamapi.ListSAMLProvidersOutput).SAMLProviderList; len(l) != 1 {
		t.Errorf("ListSAMLProviders: %+v", l)
	}
	// Read back by a service that is not lenient (the data reopened under strict).
	env.svc.opt.MotoLenient = false
	p, err := env.svc.SAMLProvider(ctx(), arn)
	if err != nil || len(p.Metadata.SigningCertificates) != 0 {
		t.Fatalf("SAMLProvider: %+v, %v", p, err)
	}
	_, err = env.call(root(), "UpdateSAMLProvider", `{"SAMLProviderArn":"`+arn+`","SAMLMetadataDocument":"`+strings.Repeat("c", 1000)+`"}`)
	wantErr(t, err, "InvalidInput", "")
}

// Without UserName the root acts on its own keys: a user's key is NoSuchEntity, as in IAM;
// under MotoLenient it is that user's key, as in moto.
func TestMotoLenientAccessKeyOwner(t *testing.T) {
	for _, lenient := range []bool{false, true} {
		env := newEnv(t)
		env.svc.opt.MotoLenient = lenient
		env.must("CreateUser", `{"UserName":"my-user"}`)
		id := env.must("CreateAccessKey", `{"UserName":"my-user"}`).(*iamapi.CreateAccessKeyOutput).AccessKey.AccessKeyId
		_, errU := env.call(root(), "UpdateAccessKey", `{"AccessKeyId":"`+id+`","Status":"Inactive"}`)
		_, errD := env.call(root(), "DeleteAccessKey", `{"AccessKeyId":"`+id+`"}`)
		if !lenient {
			wantErr(t, errU, "NoSuchEntity", "")
			wantErr(t, errD, "NoSuchEntity", "")
			continue
		}
		if errU != nil || errD != nil {
			t.Fatalf("lenient: update %v, delete %v", errU, errD)
		}
		if l := env.must("ListAccessKeys", `{"UserName":"my-user"}`).(*iamapi.ListAccessKeysOutput).AccessKeyMetadata; len(l) != 0 {
			t.Errorf("ListAccessKeys after delete: %+v", l)
		}
		// A key of another account's user, or one that does not exist, stays NoSuchEntity.
		_, err := env.call(root(), "DeleteAccessKey", `{"AccessKeyId":"AKIAIOSFODNN7EXAMPLE"}`)
		wantErr(t, err, "NoSuchEntity", "")
	}
}
