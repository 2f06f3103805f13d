package iam

import (
	"testing"
	"time"
)

// BenchmarkParseSAMLMetadata is the cost CreateSAMLProvider and every SAMLProvider lookup pay
// for one Okta-style metadata document with a 2048-bit RSA signing certificate.
func BenchmarkParseSAMLMetadata(b *testing.B) {
	c := newTestCert(b, "idp", 2048, time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	doc := samlMetadata("http://www.okta.com/exk1", "signing", c, "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSAMLMetadata(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOIDCProviderLookup is the read STS's AssumeRoleWithWebIdentity makes per call: the
// provider by its issuer URL from a real SQLite store.
func BenchmarkOIDCProviderLookup(b *testing.B) {
	env := newEnv(b)
	env.must("CreateOpenIDConnectProvider", `{"Url":"https://token.actions.githubusercontent.com","ClientIDList":["sts.amazonaws.com"]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.svc.OIDCProvider(ctx(), testAccount, "https://token.actions.githubusercontent.com"); err != nil {
			b.Fatal(err)
		}
	}
}
