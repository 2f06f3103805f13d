package samlauth_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"gatehouse/internal/samlauth"
	"gatehouse/internal/samlauth/samltest"
)

const entityID = "https://idp.example.com/metadata"

var (
	idpOnce     sync.Once
	idp, other  *samltest.IdP
	sp          *samltest.IdP // the service provider's encryption key pair
	errIdPSetup error
)

// idps returns the IdP whose certificate the tests trust and another one, made once:
// RSA key generation is the slow part of these tests.
func idps(t testing.TB) (*samltest.IdP, *samltest.IdP) {
	t.Helper()
	idpOnce.Do(func() {
		if idp, errIdPSetup = samltest.NewIdP(entityID); errIdPSetup != nil {
			return
		}
		if other, errIdPSetup = samltest.NewIdP(entityID); errIdPSetup != nil {
			return
		}
		sp, errIdPSetup = samltest.NewIdP("urn:amazon:webservices")
	})
	if errIdPSetup != nil {
		t.Fatal(errIdPSetup)
	}
	return idp, other
}

func expect(now time.Time) samlauth.Expect {
	return samlauth.Expect{EntityID: entityID, Now: now,
		Audiences:  []string{"urn:amazon:webservices", samltest.AWSRecipient},
		Recipients: []string{samltest.AWSRecipient}}
}

func baseResponse(now time.Time) samltest.Response {
	return samltest.Response{Now: now, Subject: "alice@example.com", Attributes: []samltest.Attribute{
		{Name: samltest.AttrRole, Values: []string{"arn:aws:iam::123456789012:role/r,arn:aws:iam::123456789012:saml-provider/p"}},
		{Name: samltest.AttrRoleSessionName, Values: []string{"alice"}},
		{Name: "urn:oid:1.3.6.1.4.1.5923.1.1.1.1", Values: []string{"member", "staff"}},
	}}
}

// mutate parses doc, applies f and serializes it again.
func mutate(t *testing.T, doc string, f func(root *etree.Element)) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	f(d.Root())
	s, err := d.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func findAll(root *etree.Element, tag string) []*etree.Element { return root.FindElements("//" + tag) }

func TestVerify(t *testing.T) {
	good, bad := idps(t)
	now := time.Now().UTC()
	build := func(p *samltest.IdP, r samltest.Response, s samltest.Sign) string {
		doc, err := p.Build(r, s)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	signedAssertion := build(good, baseResponse(now), samltest.SignAssertion)
	cases := []struct {
		name   string
		doc    string
		raw    string // the SAMLAssertion parameter itself, when set
		reason samlauth.Reason
		check  bool // apply Check as well
		keys   *samlauth.Keys
		// unverified reads the assertion with Read instead of Verify (Check's own rules)
		unverified bool
	}{
		{name: "signed response", doc: build(good, baseResponse(now), samltest.SignResponse), check: true},
		{name: "signed assertion only", doc: signedAssertion, check: true},
		{name: "both signed", doc: build(good, baseResponse(now), samltest.SignBoth), check: true},
		{name: "unsigned", doc: build(good, baseResponse(now), samltest.SignNone), reason: samlauth.BadSignature},
		{name: "signed by another key", doc: build(bad, baseResponse(now), samltest.SignResponse), reason: samlauth.BadSignature},
		{name: "assertion signed by another key", doc: build(bad, baseResponse(now), samltest.SignAssertion), reason: samlauth.BadSignature},
		{name: "attribute changed after signing the response",
			doc:    strings.Replace(build(good, baseResponse(now), samltest.SignResponse), ">alice<", ">admin<", 1),
			reason: samlauth.BadSignature},
		{name: "attribute changed after signing the assertion",
			doc: strings.Replace(signedAssertion, ">alice<", ">admin<", 1), reason: samlauth.BadSignature},
		{name: "role added after signing",
			doc: mutate(t, signedAssertion, func(root *etree.Element) {
				at := findAll(root, "saml:Attribute")[0]
				at.CreateElement("saml:AttributeValue").SetText("arn:aws:iam::123456789012:role/admin,arn:aws:iam::123456789012:saml-provider/p")
			}), reason: samlauth.BadSignature},
		{name: "wrapping: forged assertion beside the signed one moved into Extensions",
			doc: mutate(t, signedAssertion, func(root *etree.Element) {
				orig := findAll(root, "saml:Assertion")[0]
				forged := orig.Copy()
				for _, v := range forged.FindElements("//saml:AttributeValue") {
					if v.Text() == "alice" {
						v.SetText("admin")
					}
				}
				root.RemoveChild(orig)
				ext := root.CreateElement("samlp:Extensions")
				ext.AddChild(orig)
				root.AddChild(forged) // carries the original's signature, same ID
			}), reason: samlauth.BadSignature},
		{name: "wrapping: unsigned forged assertion, signed one nested in it",
			doc: mutate(t, signedAssertion, func(root *etree.Element) {
				orig := findAll(root, "saml:Assertion")[0]
				forged := orig.Copy()
				forged.RemoveChild(forged.SelectElement("Signature"))
				forged.FindElements("//saml:AttributeValue")[1].SetText("admin")
				root.RemoveChild(orig)
				forged.AddChild(orig)
				root.AddChild(forged)
			}), reason: samlauth.BadSignature},
		{name: "wrapping: signed response nested in an unsigned one",
			doc: mutate(t, build(good, baseResponse(now), samltest.SignResponse), func(root *etree.Element) {
				inner := root.Copy()
				sig := root.SelectElement("Signature")
				root.RemoveChild(sig)
				root.CreateElement("samlp:Extensions").AddChild(inner)
				findAll(root, "saml:AttributeValue")[1].SetText("admin")
			}), reason: samlauth.BadSignature},
		{name: "second assertion added to a signed response",
			doc: mutate(t, build(good, baseResponse(now), samltest.SignResponse), func(root *etree.Element) {
				root.AddChild(findAll(root, "saml:Assertion")[0].Copy())
			}), reason: samlauth.Malformed},
		{name: "two assertions", doc: mutate(t, signedAssertion, func(root *etree.Element) {
			root.AddChild(findAll(root, "saml:Assertion")[0].Copy())
		}), reason: samlauth.Malformed},
		{name: "encrypted assertion", doc: mutate(t, signedAssertion, func(root *etree.Element) {
			a := findAll(root, "saml:Assertion")[0]
			root.RemoveChild(a)
			root.CreateElement("saml:EncryptedAssertion")
		}), reason: samlauth.Encrypted},
		{name: "status not success", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.Status = "urn:oasis:names:tc:SAML:2.0:status:Responder"
			return r
		}(), samltest.SignResponse), reason: samlauth.IdPRejected},
		{name: "expired conditions", doc: build(good, func() samltest.Response {
			r := baseResponse(now.Add(-time.Hour))
			return r
		}(), samltest.SignResponse), reason: samlauth.Expired, check: true},
		{name: "not yet valid", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.NotBefore = now.Add(time.Hour)
			r.NotOnOrAfter = now.Add(2 * time.Hour)
			return r
		}(), samltest.SignResponse), reason: samlauth.Rejected, check: true},
		{name: "session expired", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.SessionNotOnOrAfter = now.Add(-time.Second)
			return r
		}(), samltest.SignResponse), reason: samlauth.Expired, check: true},
		// STS takes an assertion only within five minutes of its IssueInstant, however long
		// its conditions last ("Token must be redeemed within 5 minutes of issuance").
		{name: "redeemed more than 5 minutes after issuance", doc: build(good, func() samltest.Response {
			r := baseResponse(now.Add(-6 * time.Minute))
			r.NotOnOrAfter = now.Add(time.Hour)
			return r
		}(), samltest.SignResponse), reason: samlauth.Expired, check: true},
		{name: "redeemed 4 minutes after issuance", doc: build(good, func() samltest.Response {
			r := baseResponse(now.Add(-4 * time.Minute))
			r.NotOnOrAfter = now.Add(time.Hour)
			return r
		}(), samltest.SignResponse), check: true},
		{name: "issued in the future", doc: build(good, func() samltest.Response {
			r := baseResponse(now.Add(time.Hour))
			r.NotBefore = now.Add(-time.Minute)
			return r
		}(), samltest.SignResponse), reason: samlauth.Rejected, check: true},
		{name: "no IssueInstant", doc: mutate(t, build(good, baseResponse(now), samltest.SignNone), func(root *etree.Element) {
			findAll(root, "saml:Assertion")[0].RemoveAttr("IssueInstant")
		}), reason: samlauth.Malformed, check: true, unverified: true},
		{name: "wrong audience", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.Audience = "https://other.example.com/saml"
			return r
		}(), samltest.SignResponse), reason: samlauth.Rejected, check: true},
		{name: "urn:amazon:webservices audience", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.Audience = "urn:amazon:webservices"
			return r
		}(), samltest.SignResponse), check: true},
		{name: "wrong recipient", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.Recipient = "https://evil.example.com/saml"
			return r
		}(), samltest.SignResponse), reason: samlauth.Rejected, check: true},
		{name: "wrong issuer", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.Issuer = "https://other-idp.example.com"
			return r
		}(), samltest.SignResponse), reason: samlauth.Rejected, check: true},
		{name: "encrypted assertion (AES-GCM) in a signed response", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.EncryptTo = sp.Cert
			return r
		}(), samltest.SignResponse), check: true, keys: &samlauth.Keys{Decryption: []*rsa.PrivateKey{other.Key, sp.Key}}},
		{name: "encrypted signed assertion (AES-CBC), unsigned response", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.EncryptTo, r.EncryptCBC = sp.Cert, true
			return r
		}(), samltest.SignAssertion), check: true, keys: &samlauth.Keys{Decryption: []*rsa.PrivateKey{sp.Key}, RequireEncryption: true}},
		{name: "encrypted and signed nowhere", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.EncryptTo = sp.Cert
			return r
		}(), samltest.SignNone), reason: samlauth.BadSignature, keys: &samlauth.Keys{Decryption: []*rsa.PrivateKey{sp.Key}}},
		{name: "encrypted to another key", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.EncryptTo = other.Cert
			return r
		}(), samltest.SignResponse), reason: samlauth.Encrypted, keys: &samlauth.Keys{Decryption: []*rsa.PrivateKey{sp.Key}}},
		{name: "encrypted, provider without a key", doc: build(good, func() samltest.Response {
			r := baseResponse(now)
			r.EncryptTo = sp.Cert
			return r
		}(), samltest.SignResponse), reason: samlauth.Encrypted},
		{name: "ciphertext altered", doc: mutate(t, build(good, func() samltest.Response {
			r := baseResponse(now)
			r.EncryptTo, r.EncryptCBC = sp.Cert, true
			return r
		}(), samltest.SignAssertion), func(root *etree.Element) {
			cv := findAll(root, "xenc:CipherValue")
			v := cv[len(cv)-1]
			b, _ := base64.StdEncoding.DecodeString(v.Text())
			b[len(b)-20] ^= 1
			v.SetText(base64.StdEncoding.EncodeToString(b))
		}), reason: samlauth.Encrypted, keys: &samlauth.Keys{Decryption: []*rsa.PrivateKey{sp.Key}}},
		{name: "plaintext assertion where encryption is required", doc: signedAssertion, reason: samlauth.Encrypted,
			keys: &samlauth.Keys{Decryption: []*rsa.PrivateKey{sp.Key}, RequireEncryption: true}},
		{name: "not base64", raw: "%%%not base64%%%", reason: samlauth.Malformed},
		{name: "not XML", raw: base64.StdEncoding.EncodeToString([]byte("<samlp:Response")), reason: samlauth.Malformed},
		{name: "not a Response", doc: `<x:Foo xmlns:x="urn:x"/>`, reason: samlauth.Malformed},
		{name: "document type declaration", doc: `<!DOCTYPE r [<!ENTITY e "x">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`,
			reason: samlauth.Malformed},
		{name: "no assertion", doc: `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`, reason: samlauth.Malformed},
	}
	certs := []*x509.Certificate{good.Cert}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if raw == "" {
				raw = samltest.Encode(tc.doc)
			}
			resp, err := samlauth.Decode(raw)
			var a *samlauth.Assertion
			if err == nil {
				k := samlauth.Keys{}
				if tc.keys != nil {
					k = *tc.keys
				}
				k.Certificates = certs
				if tc.unverified {
					a, err = samlauth.Read(resp)
				} else {
					a, err = samlauth.Verify(resp, k, now)
				}
			}
			if err == nil && tc.check {
				err = a.Check(expect(now))
			}
			var se *samlauth.Error
			if tc.reason == 0 {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				if !a.Verified || a.Issuer != entityID || a.Subject != "alice@example.com" ||
					a.Attribute(samltest.AttrRoleSessionName)[0] != "alice" ||
					strings.Join(a.Attribute("urn:oid:1.3.6.1.4.1.5923.1.1.1.1"), ",") != "member,staff" {
					t.Errorf("assertion read wrong: %+v", a)
				}
				return
			}
			if !errors.As(err, &se) {
				t.Fatalf("got %v (%T), want a samlauth.Error with reason %d", err, err, tc.reason)
			}
			if se.Reason != tc.reason {
				t.Errorf("reason %d (%s), want %d", se.Reason, se.Msg, tc.reason)
			}
		})
	}
}

// TestReadMotoAssertion reads the unsigned assertion moto's test suite sends
// (tests/test_sts/test_sts.py): emulator mode parses it without verifying.
func TestReadMotoAssertion(t *testing.T) {
	doc := `<?xml version="1.0"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_0" Version="2.0" IssueInstant="2012-01-01T12:00:00.000Z" Destination="https://signin.aws.amazon.com/saml"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">http://localhost/</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_0" IssueInstant="2012-12-01T12:00:00.000Z" Version="2.0"><Issuer>http://localhost:3000/</Issuer><Subject><NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">7ca82df9</NameID><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData NotOnOrAfter="2012-01-01T13:00:00.000Z" Recipient="https://signin.aws.amazon.com/saml"/></SubjectConfirmation></Subject><Conditions NotBefore="2012-01-01T12:00:00.000Z" NotOnOrAfter="2012-01-01T13:00:00.000Z"><AudienceRestriction><Audience>urn:amazon:webservices</Audience></AudienceRestriction></Conditions><AttributeStatement><Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">testuser</AttributeValue></Attribute><Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><AttributeValue>900</AttributeValue></Attribute></AttributeStatement></Assertion></samlp:Response>`
	resp, err := samlauth.Decode(samltest.Encode(doc))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := idps(t)
	if _, err := samlauth.Verify(resp, samlauth.Keys{Certificates: []*x509.Certificate{good.Cert}}, time.Now()); err == nil {
		t.Error("Verify accepted an unsigned assertion")
	}
	a, err := samlauth.Read(resp)
	if err != nil {
		t.Fatal(err)
	}
	if a.Verified || a.Issuer != "http://localhost:3000/" || a.Subject != "7ca82df9" ||
		a.Attribute(samltest.AttrRoleSessionName)[0] != "testuser" || a.Attribute(samltest.AttrSessionDuration)[0] != "900" ||
		len(a.Audiences) != 1 || a.Audiences[0] != "urn:amazon:webservices" || len(a.Confirmations) != 1 {
		t.Errorf("read wrong: %+v", a)
	}
}

// FuzzDecode feeds arbitrary SAMLAssertion parameters through the parser and the
// verifier: neither may panic, and nothing unsigned may verify.
func FuzzDecode(f *testing.F) {
	good, _ := idps(f)
	now := time.Now()
	for _, s := range []samltest.Sign{samltest.SignNone, samltest.SignResponse, samltest.SignAssertion} {
		doc, err := good.Build(baseResponse(now), s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(doc))
	}
	enc := baseResponse(now)
	enc.EncryptTo = sp.Cert
	doc, err := good.Build(enc, samltest.SignAssertion)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(doc))
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/></samlp:Response>`))
	certs := []*x509.Certificate{good.Cert}
	keys := samlauth.Keys{Certificates: certs, Decryption: []*rsa.PrivateKey{sp.Key}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		resp, err := samlauth.Decode(base64.StdEncoding.EncodeToString(doc))
		if err != nil {
			return
		}
		if a, err := samlauth.Read(resp); err == nil {
			_ = a.Check(expect(now))
		}
		if a, err := samlauth.Verify(resp, keys, now); err == nil && !a.Verified {
			t.Fatal("Verify returned an unverified assertion")
		}
	})
}
