package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestUnsignedSTSRouting holds the routing of requests without a signature: only
// AssumeRoleWithSAML and AssumeRoleWithWebIdentity reach STS unsigned, whatever Action the
// URL and the body each name; a malformed one is a 4xx, never a 500 or a panic; and in
// emulator mode each is counted once against moto's no-auth window.
func TestUnsignedSTSRouting(t *testing.T) {
	send := func(f *emuFixture, query string, body url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "http://127.0.0.1:7474/"+query, strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, req)
		return w
	}
	v := func(kv ...string) url.Values {
		out := url.Values{"Version": {"2011-06-15"}}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	cases := []struct {
		name   string
		query  string
		body   url.Values
		status int
		code   string
	}{
		{"signed-only action", "", v("Action", "GetCallerIdentity"), 403, "MissingAuthenticationToken"},
		{"DecodeAuthorizationMessage", "", v("Action", "DecodeAuthorizationMessage", "EncodedMessage", "abc"), 403, "MissingAuthenticationToken"},
		// The URL's Action is the one decoded: the body's DecodeAuthorizationMessage never runs.
		{"URL names SAML, body names Decode", "?Action=AssumeRoleWithSAML",
			v("Action", "DecodeAuthorizationMessage", "EncodedMessage", "abc"), 400, "ValidationError"},
		{"URL names web identity, body GetCallerIdentity", "?Action=AssumeRoleWithWebIdentity", v("Action", "GetCallerIdentity"), 400, "ValidationError"},
		{"SAML without parameters", "", v("Action", "AssumeRoleWithSAML"), 400, ""},
		{"web identity without parameters", "", v("Action", "AssumeRoleWithWebIdentity"), 400, ""},
		{"web identity, garbage token", "", v("Action", "AssumeRoleWithWebIdentity", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"RoleSessionName", "sess", "WebIdentityToken", "????"), 400, "InvalidIdentityToken"},
		{"web identity, bad role ARN", "", v("Action", "AssumeRoleWithWebIdentity", "RoleArn", "arn:aws:iam::x:role/r-and-more-chars",
			"RoleSessionName", "sess", "WebIdentityToken", "????"), 400, ""},
		{"SAML, garbage assertion", "", v("Action", "AssumeRoleWithSAML", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"PrincipalArn", "arn:aws:iam::123456789012:saml-provider/p", "SAMLAssertion", "????"), 400, "InvalidIdentityToken"},
		{"SAML, provider ARN of another shape", "", v("Action", "AssumeRoleWithSAML", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"PrincipalArn", "arn:aws:iam::123456789012:role/not-a-provider", "SAMLAssertion", "PHg+PC94Pg=="), 400, ""},
		{"SAML, provider without a name", "", v("Action", "AssumeRoleWithSAML", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"PrincipalArn", "arn:aws:iam::123456789012:saml-provider/", "SAMLAssertion", "PHg+PC94Pg=="), 400, ""},
		{"SAML, provider without an account", "", v("Action", "AssumeRoleWithSAML", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"PrincipalArn", "arn:aws:iam:::saml-provider/x", "SAMLAssertion", "PHg+PC94Pg=="), 400, ""},
		{"SAML, role ARN of a user", "", v("Action", "AssumeRoleWithSAML", "RoleArn", "arn:aws:iam::123456789012:user/u",
			"PrincipalArn", "arn:aws:iam::123456789012:saml-provider/x", "SAMLAssertion", "PHg+PC94Pg=="), 400, ""},
		{"web identity, role ARN of a user", "", v("Action", "AssumeRoleWithWebIdentity", "RoleArn", "arn:aws:iam::123456789012:user/u",
			"RoleSessionName", "sess", "WebIdentityToken", "????"), 400, ""},
		{"web identity, token issuer an ARN", "", v("Action", "AssumeRoleWithWebIdentity", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"RoleSessionName", "sess", "WebIdentityToken", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhcm46YXdzOmlhbTo6MTExMTExMTExMTExOm9pZGMtcHJvdmlkZXIveCIsInN1YiI6InMiLCJhdWQiOiJhIiwiZXhwIjo5OTk5OTk5OTk5fQ.c2ln"),
			400, "InvalidIdentityToken"},
	}
	for _, mode := range []string{"production", "emulator"} {
		f := newEmuFixture(t, mode, Strict)
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				w := send(f, tc.query, tc.body)
				if w.Code != tc.status || !strings.Contains(w.Body.String(), "<Code>"+tc.code) {
					t.Errorf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
				}
			})
		}
	}
	t.Run("emulator counts an unsigned call once", func(t *testing.T) {
		f := newEmuFixture(t, "emulator", Strict)
		f.srv.emu.resetAuth(10)
		send(f, "", v("Action", "AssumeRoleWithWebIdentity", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"RoleSessionName", "sess", "WebIdentityToken", "????"))
		send(f, "", v("Action", "AssumeRoleWithSAML", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"PrincipalArn", "arn:aws:iam::123456789012:saml-provider/p", "SAMLAssertion", "????"))
		f.root("sts", v("Action", "AssumeRoleWithSAML", "RoleArn", "arn:aws:iam::123456789012:role/r",
			"PrincipalArn", "arn:aws:iam::123456789012:saml-provider/p", "SAMLAssertion", "????"))
		f.srv.emu.mu.Lock()
		n := f.srv.emu.count
		f.srv.emu.mu.Unlock()
		if n != 3 {
			t.Errorf("three calls counted %v times", n)
		}
	})
}
