package server_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"gatehouse/internal/oidc"
)

// TestAssumeRoleWithWebIdentityKeys drives AssumeRoleWithWebIdentity through ServeHTTP
// against an in-process HTTPS issuer: which trust policies grant which tokens (the
// provider's sub, aud, oaud and amr keys, aws:FederatedProvider, sts:TagSession and
// sts:SetSourceIdentity for the token's tags and source identity) and the errors around
// them.
func TestAssumeRoleWithWebIdentityKeys(t *testing.T) {
	f := newSTSFixture(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	idp := httptest.NewTLSServer(mux)
	defer idp.Close()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k", Use: "sig"}}})
	})
	host := strings.TrimPrefix(idp.URL, "https://")
	provARN := "arn:aws:iam::" + f.account + ":oidc-provider/" + host
	iamCall := func(t *testing.T, p url.Values) {
		t.Helper()
		p.Set("Version", "2010-05-08")
		if w := f.call("iam", f.rootID, f.rootSecret, "", p); w.Code != 200 {
			t.Fatalf("%s: %d %s", p.Get("Action"), w.Code, w.Body)
		}
	}
	iamCall(t, url.Values{"Action": {"CreateOpenIDConnectProvider"}, "Url": {idp.URL}, "ClientIDList.member.1": {"app"},
		"ThumbprintList.member.1": {oidc.CertThumbprint(idp.Certificate())}})

	token := func(over map[string]any) string {
		now := time.Now()
		c := map[string]any{"iss": idp.URL, "sub": "user-1", "aud": "app", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
		for k, v := range over {
			c[k] = v
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(c)
		jws, err := s.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}
	unsigned := func(p url.Values) *httptest.ResponseRecorder {
		body := []byte(p.Encode())
		req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return f.serve(req, body)
	}
	tags := map[string]any{"principal_tags": map[string]any{"team": []string{"blue"}}, "transitive_tag_keys": []string{"team"}}
	cases := []struct {
		name    string
		actions string // the trust statement's actions
		cond    string // its Condition, "" for none; {host} is the provider's name
		claims  map[string]any
		params  url.Values
		status  int
		want    string // a fragment of the answer; {role} is the role's name
	}{
		{name: "sub", cond: `{"StringEquals":{"{host}:sub":"user-1"}}`, status: 200,
			want: "<SubjectFromWebIdentityToken>user-1</SubjectFromWebIdentityToken>"},
		{name: "wrong sub", cond: `{"StringEquals":{"{host}:sub":"user-2"}}`, status: 403,
			want: "<Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message>"},
		{name: "aud is the accepted client ID", cond: `{"StringEquals":{"{host}:aud":"app"}}`, status: 200, want: "<Audience>app</Audience>"},
		{name: "azp accepted, aud the other audience", cond: `{"StringEquals":{"{host}:aud":"app","{host}:oaud":"api://other"}}`,
			claims: map[string]any{"aud": "api://other", "azp": "app"}, status: 200, want: "<Audience>app</Audience>"},
		{name: "amr", cond: `{"ForAnyValue:StringEquals":{"{host}:amr":"mfa"}}`, claims: map[string]any{"amr": []string{"pwd", "mfa"}}, status: 200},
		{name: "amr without mfa", cond: `{"ForAnyValue:StringEquals":{"{host}:amr":"mfa"}}`, claims: map[string]any{"amr": []string{"pwd"}}, status: 403},
		{name: "aws:FederatedProvider", cond: `{"StringEquals":{"aws:FederatedProvider":"` + provARN + `"}}`, status: 200,
			want: "<Provider>" + provARN + "</Provider>"},
		{name: "role session name", cond: `{"StringLike":{"sts:RoleSessionName":"web-*"}}`, status: 200,
			want: "<Arn>arn:aws:sts::" + f.account + ":assumed-role/{role}/web-session</Arn>"},
		{name: "tags need sts:TagSession", claims: map[string]any{"https://aws.amazon.com/tags": tags}, status: 403,
			want: "Not authorized to perform sts:TagSession"},
		{name: "tags", actions: `["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, cond: `{"StringEquals":{"aws:RequestTag/team":"blue"}}`,
			claims: map[string]any{"https://aws.amazon.com/tags": tags}, status: 200, want: "<PackedPolicySize>"},
		{name: "source identity needs sts:SetSourceIdentity", claims: map[string]any{"https://aws.amazon.com/source_identity": "alice"},
			status: 403, want: "Not authorized to perform sts:SetSourceIdentity"},
		{name: "source identity", actions: `["sts:AssumeRoleWithWebIdentity","sts:SetSourceIdentity"]`,
			cond: `{"StringEquals":{"sts:SourceIdentity":"alice"}}`, claims: map[string]any{"https://aws.amazon.com/source_identity": "alice"},
			status: 200, want: "<SourceIdentity>alice</SourceIdentity>"},
		{name: "a tag key aws:", actions: `["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`,
			claims: map[string]any{"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string]any{"aws:x": []string{"v"}}}},
			status: 400, want: "<Code>InvalidIdentityToken</Code>"},
		{name: "OAuth ProviderId", params: url.Values{"ProviderId": {"www.amazon.com"}}, status: 400, want: "<Code>InvalidIdentityToken</Code>"},
		{name: "unknown kid", claims: map[string]any{}, params: url.Values{"WebIdentityToken": {"eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ." +
			strings.Split(token(nil), ".")[1] + ".c2ln"}}, status: 400, want: "Couldn't retrieve verification key from your identity provider"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			role := fmt.Sprintf("web_%d", i)
			actions := tc.actions
			if actions == "" {
				actions = `"sts:AssumeRoleWithWebIdentity"`
			}
			stmt := fmt.Sprintf(`{"Effect":"Allow","Principal":{"Federated":%q},"Action":%s`, provARN, actions)
			if tc.cond != "" {
				stmt += `,"Condition":` + strings.ReplaceAll(tc.cond, "{host}", host)
			}
			iamCall(t, url.Values{"Action": {"CreateRole"}, "RoleName": {role},
				"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[` + stmt + `}]}`}})
			p := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
				"RoleArn": {"arn:aws:iam::" + f.account + ":role/" + role}, "RoleSessionName": {"web-session"},
				"WebIdentityToken": {token(tc.claims)}}
			for k, v := range tc.params {
				p[k] = v
			}
			w := unsigned(p)
			want := strings.NewReplacer("{host}", host, "{role}", role).Replace(tc.want)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), want) {
				t.Fatalf("got %d %s, want %d with %s", w.Code, w.Body, tc.status, want)
			}
		})
	}
}
