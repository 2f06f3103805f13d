package iam

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseSAMLMetadata(t *testing.T) {
	c := newTestCert(t, "idp", 2048, time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	good := samlMetadata("http://www.okta.com/exk1", "signing", c, "")
	cases := []struct {
		note, doc, wantErr string
	}{
		{"Okta-style metadata with a signing key", good, ""},
		{"a KeyDescriptor without use serves signing too", samlMetadata("urn:idp", "", c, ""), ""},
		{"an encryption-only key is no signing certificate", samlMetadata("urn:idp", "encryption", c, ""),
			"Could not parse metadata: the IDPSSODescriptor has no signing certificate"},
		{"not XML", strings.Repeat("x", 1200), "Could not parse metadata"},
		{"SP metadata has no IDPSSODescriptor", strings.ReplaceAll(good, "IDPSSODescriptor", "SPSSODescriptor"),
			"Could not parse metadata: no IDPSSODescriptor supports urn:oasis:names:tc:SAML:2.0:protocol"},
		{"a certificate that is not X.509", strings.Replace(good, "<ds:X509Certificate>", "<ds:X509Certificate>AAAA", 1),
			"Could not parse metadata: a signing certificate is not a valid X.509 certificate"},
		{"no entityID", samlMetadata("", "signing", c, ""), "Could not parse metadata: the EntityDescriptor has no entityID"},
		{"a wrong root element", strings.ReplaceAll(good, "md:EntityDescriptor", "md:EntitiesDescriptor"), "Could not parse metadata"},
	}
	for _, tc := range cases {
		t.Run(tc.note, func(t *testing.T) {
			md, err := ParseSAMLMetadata(tc.doc)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got success, want %q", tc.wantErr)
				}
				wantErr(t, err, "InvalidInput", tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(md.SigningCertificates) != 1 || !md.SigningCertificates[0].Equal(c.Cert) {
				t.Fatalf("got %d certificates, want the IdP's one", len(md.SigningCertificates))
			}
			if len(md.SSOURLs) != 2 || md.SSOURLs[0] != "https://idp.example.com/app/sso/saml" {
				t.Fatalf("got SSO URLs %v", md.SSOURLs)
			}
		})
	}
}

func TestSAMLProviderLifecycle(t *testing.T) {
	env := newEnv(t)
	c := newTestCert(t, "idp", 2048, time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	doc := samlMetadata("urn:idp:one", "signing", c, ` validUntil="2030-01-02T03:04:05Z"`)
	in, _ := json.Marshal(map[string]any{"Name": "Okta", "SAMLMetadataDocument": doc, "Tags": []map[string]string{{"Key": "k", "Value": "v"}}})
	out := env.must("CreateSAMLProvider", string(in))
	arn := "arn:aws:iam::" + testAccount + ":saml-provider/Okta"
	if err := subset(out, `{"SAMLProviderArn":"`+arn+`","Tags":[{"Key":"k","Value":"v"}]}`); err != nil {
		t.Fatal(err)
	}
	if _, err := env.call(root(), "CreateSAMLProvider", strings.Replace(string(in), `"Okta"`, `"OKTA"`, 1)); err == nil {
		t.Fatal("a second provider named OKTA: got success, want EntityAlreadyExists")
	} else {
		wantErr(t, err, "EntityAlreadyExists", "Provider with name OKTA already exists.")
	}
	get := env.must("GetSAMLProvider", `{"SAMLProviderArn":"`+arn+`"}`)
	if err := subset(get, `{"ValidUntil":"2030-01-02T03:04:05Z","AssertionEncryptionMode":"Allowed","Tags":[{"Key":"k","Value":"v"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := subset(env.must("ListSAMLProviders", `{}`), `{"SAMLProviderList":[{"Arn":"`+arn+`","ValidUntil":"2030-01-02T03:04:05Z"}]}`); err != nil {
		t.Fatal(err)
	}

	// A decryption key added by UpdateSAMLProvider is listed, never returned, and opens for STS.
	k := newTestCert(t, "sp", 2048, time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	doc2 := samlMetadata("urn:idp:two", "", c, "")
	up, _ := json.Marshal(map[string]any{"SAMLProviderArn": arn, "SAMLMetadataDocument": doc2, "AddPrivateKey": k.KeyPEM, "AssertionEncryptionMode": "Required"})
	env.must("UpdateSAMLProvider", string(up))
	p, err := env.svc.SAMLProvider(ctx(), arn)
	if err != nil {
		t.Fatal(err)
	}
	if p.Metadata.EntityID != "urn:idp:two" || !p.EncryptionRequired || len(p.PrivateKeys) != 1 || p.PrivateKeys[0] != k.KeyPEM {
		t.Fatalf("got provider %+v", p)
	}
	if b, _ := json.Marshal(env.must("GetSAMLProvider", `{"SAMLProviderArn":"`+arn+`"}`)); strings.Contains(string(b), "PRIVATE KEY") {
		t.Fatal("GetSAMLProvider returned the private key")
	}
	for key, v := range snapshot(t, env.store) {
		if strings.Contains(v, "PRIVATE KEY") {
			t.Fatalf("%s holds the private key in clear", key)
		}
	}

	env.must("TagSAMLProvider", `{"SAMLProviderArn":"`+arn+`","Tags":[{"Key":"a","Value":"b"}]}`)
	env.must("UntagSAMLProvider", `{"SAMLProviderArn":"`+arn+`","TagKeys":["K"]}`)
	if err := subset(env.must("ListSAMLProviderTags", `{"SAMLProviderArn":"`+arn+`"}`), `{"Tags":[{"Key":"a","Value":"b"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := subset(env.must("GetAccountSummary", `{}`), `{"SummaryMap":{"Providers":1}}`); err != nil {
		t.Fatal(err)
	}
	env.must("DeleteSAMLProvider", `{"SAMLProviderArn":"`+arn+`"}`)
	_, err = env.call(root(), "GetSAMLProvider", `{"SAMLProviderArn":"`+arn+`"}`)
	wantErr(t, err, "NoSuchEntity", "Manifest not found for arn "+arn)
}

func TestOIDCProviderLookup(t *testing.T) {
	env := newEnv(t)
	env.must("CreateOpenIDConnectProvider", `{"Url":"https://token.actions.githubusercontent.com","ClientIDList":["sts.amazonaws.com"]}`)
	arn := "arn:aws:iam::" + testAccount + ":oidc-provider/token.actions.githubusercontent.com"
	for _, key := range []string{arn, "https://token.actions.githubusercontent.com", "token.actions.githubusercontent.com"} {
		p, err := env.svc.OIDCProvider(ctx(), testAccount, key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if p.ARN != arn || p.URL != "https://token.actions.githubusercontent.com" || len(p.ClientIDs) != 1 {
			t.Fatalf("%s: got %+v", key, p)
		}
	}
	_, err := env.svc.OIDCProvider(ctx(), testAccount, "https://other.example.com")
	wantErr(t, err, "NoSuchEntity", "")
}

func FuzzParseSAMLMetadata(f *testing.F) {
	c := newTestCert(f, "idp", 1024, time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	f.Add(samlMetadata("urn:idp", "signing", c, ""))
	f.Add("<md:EntityDescriptor/>")
	f.Fuzz(func(t *testing.T, doc string) {
		md, err := ParseSAMLMetadata(doc)
		if err == nil && (md.EntityID == "" || len(md.SigningCertificates) == 0) {
			t.Fatalf("accepted metadata without an entity ID or signing certificate")
		}
	})
}

func FuzzOIDCResource(f *testing.F) {
	for _, s := range []string{"https://example.com", "https://a.b/c/", "http://x", "https://", "https://x?y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		res, err := oidcResource(raw)
		if err == nil && (res == "" || strings.HasPrefix(res, "/") || strings.HasSuffix(res, "/")) {
			t.Fatalf("%q: got resource %q", raw, res)
		}
	})
}
