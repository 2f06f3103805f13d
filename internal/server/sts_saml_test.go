package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/samlauth/samltest"
)

// unsigned serves a Query call without any signature, as an SDK sends
// AssumeRoleWithSAML with anonymous credentials.
func (f *emuFixture) unsigned(params url.Values) *httptest.ResponseRecorder {
	if params.Get("Version") == "" {
		params.Set("Version", "2011-06-15")
	}
	req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w
}

func (f *emuFixture) mustRoot(params url.Values) string {
	f.t.Helper()
	w := f.root("iam", params)
	if w.Code != 200 {
		f.t.Fatalf("%s: %d %s", params.Get("Action"), w.Code, w.Body)
	}
	return w.Body.String()
}

const samlTestEntity = "https://idp.example.com/metadata"

// samlSetup creates provider "corp" for idp and the roles the tests assume.
func samlSetup(t *testing.T, f *emuFixture, idp *samltest.IdP) (providerARN string) {
	t.Helper()
	body := f.mustRoot(url.Values{"Action": {"CreateSAMLProvider"}, "Name": {"corp"}, "SAMLMetadataDocument": {idp.Metadata()}})
	providerARN = between(body, "<SAMLProviderArn>", "</SAMLProviderArn>")
	trust := func(cond string, actions string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN +
			`"},"Action":` + actions + `,"Condition":` + cond + `}]}`
	}
	for name, doc := range map[string]string{
		"saml-role": trust(`{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`, `["sts:AssumeRoleWithSAML","sts:SetSourceIdentity"]`),
		"staff-role": trust(`{"ForAnyValue:StringEquals":{"SAML:edupersonaffiliation":"staff"},"StringEquals":{"SAML:sub_type":"persistent","SAML:doc":"`+
			f.account+`/corp"}}`, `"sts:AssumeRoleWithSAML"`),
		"tag-role": trust(`{"StringEquals":{"aws:RequestTag/team":"blue"}}`, `["sts:AssumeRoleWithSAML","sts:TagSession"]`),
	} {
		f.mustRoot(url.Values{"Action": {"CreateRole"}, "RoleName": {name}, "AssumeRolePolicyDocument": {doc}})
	}
	return providerARN
}

func TestAssumeRoleWithSAML(t *testing.T) {
	f := newEmuFixture(t, "production", Strict)
	idp, err := samltest.NewIdP(samlTestEntity)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := samltest.NewIdP(samlTestEntity)
	if err != nil {
		t.Fatal(err)
	}
	providerARN := samlSetup(t, f, idp)
	roleARN := func(name string) string { return "arn:aws:iam::" + f.account + ":role/" + name }
	response := func(role string, mod func(*samltest.Response)) samltest.Response {
		r := samltest.Response{Subject: "alice@example.com", Attributes: []samltest.Attribute{
			{Name: samltest.AttrRole, Values: []string{providerARN + "," + roleARN(role)}},
			{Name: samltest.AttrRoleSessionName, Values: []string{"alice@example.com"}},
			{Name: "urn:oid:1.3.6.1.4.1.5923.1.1.1.1", Values: []string{"member", "staff"}},
		}}
		if mod != nil {
			mod(&r)
		}
		return r
	}
	cases := []struct {
		name      string
		role      string
		idp       *samltest.IdP
		sign      samltest.Sign
		resp      samltest.Response
		assertion string // the parameter itself, when set
		provider  string
		tamper    func(string) string
		code      string
		status    int
		msg       string
		want      []string // substrings of a successful answer
	}{
		{name: "signed response", role: "saml-role", sign: samltest.SignResponse, resp: response("saml-role", nil),
			want: []string{"<Arn>arn:aws:sts::" + "ACCT:assumed-role/saml-role/alice@example.com</Arn>", "<Subject>alice@example.com</Subject>",
				"<SubjectType>persistent</SubjectType>", "<Issuer>" + samlTestEntity + "</Issuer>",
				"<Audience>https://signin.aws.amazon.com/saml</Audience>", "<NameQualifier>NAMEQUALIFIER</NameQualifier>"}},
		{name: "signed assertion, pair in provider-first order", role: "saml-role", sign: samltest.SignAssertion, resp: response("saml-role", nil)},
		{name: "role-first pair, source identity", role: "saml-role", sign: samltest.SignResponse, resp: response("saml-role", func(r *samltest.Response) {
			r.Attributes[0].Values = []string{roleARN("saml-role") + "," + providerARN}
			r.Attributes = append(r.Attributes, samltest.Attribute{Name: samltest.AttrSourceIdentity, Values: []string{"alice"}})
		}), want: []string{"<SourceIdentity>alice</SourceIdentity>"}},
		{name: "multi-valued SAML:edupersonaffiliation and SAML:doc", role: "staff-role", sign: samltest.SignResponse, resp: response("staff-role", nil)},
		{name: "trust condition on an attribute not met", role: "staff-role", sign: samltest.SignResponse, resp: response("staff-role", func(r *samltest.Response) {
			r.Attributes[2].Values = []string{"student"}
		}), code: "AccessDenied", status: 403, msg: "Not authorized to perform sts:AssumeRoleWithSAML"},
		{name: "trust condition on SAML:aud not met (regional recipient)", role: "saml-role", sign: samltest.SignResponse,
			resp: response("saml-role", func(r *samltest.Response) { r.Recipient = "https://us-east-1.signin.aws.amazon.com/saml" }),
			code: "AccessDenied", status: 403},
		{name: "session tags allowed by sts:TagSession", role: "tag-role", sign: samltest.SignResponse, resp: response("tag-role", func(r *samltest.Response) {
			r.Attributes = append(r.Attributes, samltest.Attribute{Name: "https://aws.amazon.com/SAML/Attributes/PrincipalTag:team", Values: []string{"blue"}})
		}), want: []string{"<PackedPolicySize>"}},
		{name: "session tags without sts:TagSession", role: "saml-role", sign: samltest.SignResponse, resp: response("saml-role", func(r *samltest.Response) {
			r.Attributes = append(r.Attributes, samltest.Attribute{Name: "https://aws.amazon.com/SAML/Attributes/PrincipalTag:team", Values: []string{"blue"}})
		}), code: "AccessDenied", status: 403, msg: "Not authorized to perform sts:TagSession"},
		{name: "unsigned", role: "saml-role", sign: samltest.SignNone, resp: response("saml-role", nil),
			code: "InvalidIdentityToken", status: 400, msg: "Response signature invalid"},
		{name: "signed by a key not in the metadata", role: "saml-role", idp: stranger, sign: samltest.SignResponse, resp: response("saml-role", nil),
			code: "InvalidIdentityToken", status: 400, msg: "Response signature invalid"},
		{name: "role changed after signing", role: "staff-role", sign: samltest.SignResponse, resp: response("saml-role", nil),
			tamper: func(s string) string { return strings.Replace(s, "role/saml-role", "role/staff-role", 1) },
			code:   "InvalidIdentityToken", status: 400, msg: "Response signature invalid"},
		{name: "expired", role: "saml-role", sign: samltest.SignResponse, resp: response("saml-role", func(r *samltest.Response) {
			r.Now = time.Now().Add(-time.Hour)
		}), code: "ExpiredTokenException", status: 400},
		{name: "IdP reports failure", role: "saml-role", sign: samltest.SignResponse, resp: response("saml-role", func(r *samltest.Response) {
			r.Status = "urn:oasis:names:tc:SAML:2.0:status:Responder"
		}), code: "IDPRejectedClaim", status: 403},
		{name: "wrong audience", role: "saml-role", sign: samltest.SignResponse, resp: response("saml-role", func(r *samltest.Response) {
			r.Audience = "https://app.example.com"
		}), code: "InvalidIdentityToken", status: 400, msg: "Response does not contain the required audience."},
		{name: "wrong issuer", role: "saml-role", sign: samltest.SignResponse, resp: response("saml-role", func(r *samltest.Response) {
			r.Issuer = "https://other.example.com"
		}), code: "InvalidIdentityToken", status: 400, msg: "Issuer not present in specified provider"},
		{name: "role pair missing", role: "staff-role", sign: samltest.SignResponse, resp: response("saml-role", nil),
			code: "AccessDenied", status: 403, msg: "Not authorized to perform sts:AssumeRoleWithSAML"},
		{name: "no RoleSessionName", role: "saml-role", sign: samltest.SignResponse, resp: response("saml-role", func(r *samltest.Response) {
			r.Attributes = r.Attributes[:1]
		}), code: "InvalidIdentityToken", status: 400, msg: "RoleSessionName is required in AuthnResponse"},
		{name: "role that does not exist", role: "nope", sign: samltest.SignResponse, resp: response("nope", nil),
			code: "AccessDenied", status: 403, msg: "Not authorized to perform sts:AssumeRoleWithSAML"},
		{name: "provider that does not exist", role: "saml-role", provider: "arn:aws:iam::ACCT:saml-provider/other", sign: samltest.SignResponse,
			resp: response("saml-role", nil), code: "InvalidIdentityToken", status: 400, msg: "Specified provider doesn't exist."},
		{name: "not base64", role: "saml-role", assertion: "***not base64***", code: "InvalidIdentityToken", status: 400},
		{name: "not XML", role: "saml-role", assertion: samltest.Encode("<samlp:Response"), code: "InvalidIdentityToken", status: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertion := tc.assertion
			if assertion == "" {
				p := idp
				if tc.idp != nil {
					p = tc.idp
				}
				doc, err := p.Build(tc.resp, tc.sign)
				if err != nil {
					t.Fatal(err)
				}
				if tc.tamper != nil {
					doc = tc.tamper(doc)
				}
				assertion = samltest.Encode(doc)
			}
			prov := providerARN
			if tc.provider != "" {
				prov = strings.ReplaceAll(tc.provider, "ACCT", f.account)
			}
			w := f.unsigned(url.Values{"Action": {"AssumeRoleWithSAML"}, "RoleArn": {roleARN(tc.role)}, "PrincipalArn": {prov},
				"SAMLAssertion": {assertion}})
			body := w.Body.String()
			if tc.code != "" {
				if w.Code != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") || !strings.Contains(body, tc.msg) {
					t.Fatalf("got %d %s, want %d %s %q", w.Code, body, tc.status, tc.code, tc.msg)
				}
				return
			}
			if w.Code != 200 {
				t.Fatalf("got %d %s", w.Code, body)
			}
			for _, s := range tc.want {
				// BASE64(SHA1(Issuer + ACCOUNT + "/" + provider name)), API_AssumeRoleWithSAML.html
				s = strings.ReplaceAll(s, "NAMEQUALIFIER", nameQualifier(samlTestEntity, f.account, "corp"))
				if s = strings.ReplaceAll(s, "ACCT", f.account); !strings.Contains(body, s) {
					t.Errorf("answer lacks %s:\n%s", s, body)
				}
			}
			// The credentials work: GetCallerIdentity as the session.
			id, secret, token := between(body, "<AccessKeyId>", "<"), between(body, "<SecretAccessKey>", "<"), between(body, "<SessionToken>", "<")
			who := f.call("sts", "us-east-1", id, secret, token, url.Values{"Action": {"GetCallerIdentity"}})
			if want := "assumed-role/" + tc.role + "/alice@example.com"; who.Code != 200 || !strings.Contains(who.Body.String(), want) {
				t.Errorf("GetCallerIdentity: %d %s, want %s", who.Code, who.Body, want)
			}
		})
	}

	// A signed request is treated as an unsigned one: the assertion is the proof.
	doc, err := idp.Build(response("saml-role", nil), samltest.SignResponse)
	if err != nil {
		t.Fatal(err)
	}
	w := f.root("sts", url.Values{"Action": {"AssumeRoleWithSAML"}, "RoleArn": {roleARN("saml-role")}, "PrincipalArn": {providerARN},
		"SAMLAssertion": {samltest.Encode(doc)}, "DurationSeconds": {"900"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "assumed-role/saml-role/alice@example.com") {
		t.Errorf("signed AssumeRoleWithSAML: %d %s", w.Code, w.Body)
	}
}

// motoAssertion is the unsigned response moto's test suite sends
// (tests/test_sts/test_sts.py, test_assume_role_with_saml): a fake signature, for a
// provider and a role that do not exist.
const motoAssertion = `<?xml version="1.0"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_00000000-0000-0000-0000-000000000000" Version="2.0" IssueInstant="2012-01-01T12:00:00.000Z" Destination="https://signin.aws.amazon.com/saml" Consent="urn:oasis:names:tc:SAML:2.0:consent:unspecified"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">http://localhost/</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_00000000-0000-0000-0000-000000000000" IssueInstant="2012-12-01T12:00:00.000Z" Version="2.0"><Issuer>http://localhost:3000/</Issuer><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_00000000-0000-0000-0000-000000000000"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>NTIyMzk0ZGI4MjI0ZjI5ZGNhYjkyOGQyZGQ1NTZjODViZjk5YTY4ODFjOWRjNjkyYzZmODY2ZDQ4NjlkZjY3YSAgLQo=</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>NTIyMzk0ZGI4MjI0ZjI5ZGNhYjkyOGQyZGQ1NTZjODViZjk5YTY4ODFjOWRjNjkyYzZmODY2ZDQ4NjlkZjY3YSAgLQo=</ds:SignatureValue><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>NTIyMzk0ZGI4MjI0ZjI5ZGNhYjkyOGQyZGQ1NTZjODViZjk5YTY4ODFjOWRjNjkyYzZmODY2ZDQ4NjlkZjY3YSAgLQo=</ds:X509Certificate></ds:X509Data></KeyInfo></ds:Signature><Subject><NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">7ca82df9-1bad-4dd3-9b2b-adb68b554282</NameID><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData NotOnOrAfter="2012-01-01T13:00:00.000Z" Recipient="https://signin.aws.amazon.com/saml"/></SubjectConfirmation></Subject><Conditions NotBefore="2012-01-01T12:00:00.000Z" NotOnOrAfter="2012-01-01T13:00:00.000Z"><AudienceRestriction><Audience>urn:amazon:webservices</Audience></AudienceRestriction></Conditions><AttributeStatement><Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><AttributeValue>testuser</AttributeValue></Attribute><Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><AttributeValue>arn:aws:iam::123456789012:saml-provider/TestProvFed,arn:aws:iam::123456789012:role/test-role</AttributeValue></Attribute><Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><AttributeValue>900</AttributeValue></Attribute></AttributeStatement><AuthnStatement AuthnInstant="2012-01-01T12:00:00.000Z" SessionIndex="_00000000-0000-0000-0000-000000000000"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</AuthnContextClassRef></AuthnContext></AuthnStatement></Assertion></samlp:Response>`

// Emulator mode with --enforce off takes moto's assertion as moto does; every other
// level verifies it and refuses it.
func TestAssumeRoleWithSAMLEmulator(t *testing.T) {
	params := url.Values{"Action": {"AssumeRoleWithSAML"}, "RoleArn": {"arn:aws:iam::123456789012:role/test-role"},
		// moto's tests pass this malformed ARN (one colon short); the attribute has it right.
		"PrincipalArn": {"arn:aws:iam:123456789012:saml-provider/TestProvFed"}, "SAMLAssertion": {samltest.Encode(motoAssertion)}}
	f := newEmuFixture(t, "emulator", Off)
	w := f.unsigned(params)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "<Arn>arn:aws:sts::123456789012:assumed-role/test-role/testuser</Arn>") {
		t.Fatalf("enforce off: %d %s", w.Code, body)
	}
	if id := between(body, "<AssumedRoleId>", "<"); !strings.HasPrefix(id, "AROA") || len(id) != 21+1+len("testuser") {
		t.Errorf("AssumedRoleId %q: want AROA…:testuser, 21 characters before the colon", id)
	}
	exp, err := time.Parse(time.RFC3339, between(body, "<Expiration>", "<"))
	if err != nil || exp.Sub(time.Now()) > 16*time.Minute || exp.Sub(time.Now()) < 14*time.Minute {
		t.Errorf("Expiration %v: want the SessionDuration attribute's 900 s", exp)
	}
	for _, lvl := range []Enforce{Soft, Strict} {
		f := newEmuFixture(t, "emulator", lvl)
		if w := f.unsigned(params); w.Code != 400 || !strings.Contains(w.Body.String(), "InvalidIdentityToken") {
			t.Errorf("enforce %s: %d %s, want InvalidIdentityToken", lvl, w.Code, w.Body)
		}
	}
}

// A provider with AssertionEncryptionMode Required and a private key (IAM's AddPrivateKey)
// takes assertions encrypted to that key and refuses plaintext ones
// (id_roles_providers_create_saml.html, "SAML encryption").
func TestAssumeRoleWithSAMLEncrypted(t *testing.T) {
	f := newEmuFixture(t, "production", Strict)
	idp, err := samltest.NewIdP(samlTestEntity)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := samltest.NewIdP("urn:amazon:webservices") // the key pair AWS's side decrypts with
	if err != nil {
		t.Fatal(err)
	}
	body := f.mustRoot(url.Values{"Action": {"CreateSAMLProvider"}, "Name": {"enc"}, "SAMLMetadataDocument": {idp.Metadata()},
		"AddPrivateKey": {sp.KeyPEM()}, "AssertionEncryptionMode": {"Required"}})
	provider := between(body, "<SAMLProviderArn>", "</SAMLProviderArn>")
	f.mustRoot(url.Values{"Action": {"CreateRole"}, "RoleName": {"enc-role"}, "AssumeRolePolicyDocument": {
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithSAML"}]}`}})
	role := "arn:aws:iam::" + f.account + ":role/enc-role"
	resp := samltest.Response{Subject: "bob", Attributes: []samltest.Attribute{
		{Name: samltest.AttrRole, Values: []string{role + "," + provider}},
		{Name: samltest.AttrRoleSessionName, Values: []string{"bob"}},
	}}
	call := func(r samltest.Response, sign samltest.Sign) *httptest.ResponseRecorder {
		doc, err := idp.Build(r, sign)
		if err != nil {
			t.Fatal(err)
		}
		return f.unsigned(url.Values{"Action": {"AssumeRoleWithSAML"}, "RoleArn": {role}, "PrincipalArn": {provider},
			"SAMLAssertion": {samltest.Encode(doc)}})
	}
	enc := resp
	enc.EncryptTo = sp.Cert
	if w := call(enc, samltest.SignAssertion); w.Code != 200 || !strings.Contains(w.Body.String(), "assumed-role/enc-role/bob") {
		t.Errorf("encrypted signed assertion: %d %s", w.Code, w.Body)
	}
	enc.EncryptCBC = true
	if w := call(enc, samltest.SignResponse); w.Code != 200 {
		t.Errorf("encrypted (AES-CBC) assertion in a signed response: %d %s", w.Code, w.Body)
	}
	if w := call(resp, samltest.SignResponse); w.Code != 400 || !strings.Contains(w.Body.String(), "requires encrypted assertions") {
		t.Errorf("plaintext assertion, encryption required: %d %s", w.Code, w.Body)
	}
	// An IdP that encrypts names the sign-in URL with the provider's ID as Recipient.
	uuid := between(f.mustRoot(url.Values{"Action": {"GetSAMLProvider"}, "SAMLProviderArn": {provider}}), "<SAMLProviderUUID>", "<")
	acs := enc
	acs.Recipient = "https://us-east-1.signin.aws.amazon.com/saml/acs/" + uuid
	if w := call(acs, samltest.SignResponse); w.Code != 200 || !strings.Contains(w.Body.String(), "<Audience>"+acs.Recipient+"</Audience>") {
		t.Errorf("Recipient …/saml/acs/%s: %d %s", uuid, w.Code, w.Body)
	}
	acs.Recipient = "https://us-east-1.signin.aws.amazon.com/saml/acs/SAMLSPD0000000000000000"
	if w := call(acs, samltest.SignResponse); w.Code != 400 || !strings.Contains(w.Body.String(), "InvalidIdentityToken") {
		t.Errorf("Recipient naming another provider's ID: %d %s", w.Code, w.Body)
	}
	enc.EncryptTo = idp.Cert // not the provider's key
	if w := call(enc, samltest.SignResponse); w.Code != 400 || !strings.Contains(w.Body.String(), "could not be decrypted") {
		t.Errorf("assertion encrypted to another key: %d %s", w.Code, w.Body)
	}
}
