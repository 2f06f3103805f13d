package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"gatehouse/internal/iam"
	"gatehouse/internal/oidc"
	"gatehouse/internal/seal"
	"gatehouse/internal/server"
	"gatehouse/internal/store"
	"gatehouse/internal/sts"
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

// TestAssumeRoleWithWebIdentityGoogle: a token of accounts.google.com needs no IAM provider
// (IAM federates with Google natively); the trust policy names "Federated":
// "accounts.google.com" and checks the audience itself, with :aud the token's azp and :oaud
// its aud. The issuer is served locally under Google's name, with a test CA.
func TestAssumeRoleWithWebIdentityGoogle(t *testing.T) {
	ctx := context.Background()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), DNSNames: []string{"accounts.google.com"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)},
		ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": "https://accounts.google.com", "jwks_uri": "https://accounts.google.com/certs"})
	})
	mux.HandleFunc("/certs", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "g1", Use: "sig"}}})
	})
	idp := httptest.NewUnstartedServer(mux)
	idp.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	idp.StartTLS()
	defer idp.Close()
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	var d net.Dialer
	verifier := oidc.NewVerifier(oidc.Options{RootCAs: roots, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, idp.Listener.Addr().String()) // "accounts.google.com" is this server
	}})

	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "gatehouse.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	master := make([]byte, seal.KeySize)
	_, _ = rand.Read(master)
	sealer, _ := seal.New(master, rand.Reader)
	svc, err := iam.New(iam.Options{Store: st, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := seal.Maintain(ctx, st, sealer, rand.Reader, time.Now, seal.Rotation{Every: 24 * time.Hour, MaxTokenLifetime: sts.MaxTokenLifetime})
	if err != nil {
		t.Fatal(err)
	}
	stsSvc, _ := sts.New(sts.Options{Keyring: keyring, Rand: rand.Reader})
	srv := server.New(server.Config{IAM: svc, STS: stsSvc, OIDC: verifier, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	serve := func(req *http.Request, body []byte) *httptest.ResponseRecorder {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity",` +
		`"Condition":{"StringEquals":{"accounts.google.com:aud":"1078","accounts.google.com:oaud":"sts.amazonaws.com","accounts.google.com:sub":"1078","aws:FederatedProvider":"accounts.google.com"}}}]}`
	req, body := signedReq(t, "iam", b.RootKeyID, b.RootKeySecret, "", url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"},
		"RoleName": {"from-gcp"}, "AssumeRolePolicyDocument": {trust}})
	if w := serve(req, body); w.Code != 200 {
		t.Fatalf("CreateRole: %d %s", w.Code, w.Body)
	}
	token := func(claims map[string]any) string {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "g1"))
		raw, _ := json.Marshal(claims)
		jws, err := s.Sign(raw)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}
	exp := time.Now().Add(time.Hour).Unix()
	for _, tc := range []struct {
		name   string
		claims map[string]any
		status int
		want   string
	}{
		{"service account token", map[string]any{"iss": "https://accounts.google.com", "sub": "1078", "azp": "1078", "aud": "sts.amazonaws.com", "exp": exp},
			200, "<Provider>accounts.google.com</Provider><Audience>1078</Audience>"},
		{"iss without scheme", map[string]any{"iss": "accounts.google.com", "sub": "1078", "azp": "1078", "aud": "sts.amazonaws.com", "exp": exp}, 200, "<Audience>1078</Audience>"},
		{"another audience", map[string]any{"iss": "https://accounts.google.com", "sub": "1078", "azp": "1078", "aud": "other", "exp": exp},
			403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"http issuer is not Google", map[string]any{"iss": "http://accounts.google.com", "sub": "1078", "azp": "1078", "aud": "sts.amazonaws.com", "exp": exp},
			400, "No OpenIDConnect provider found in your account for http://accounts.google.com"},
	} {
		p := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::" + b.Account + ":role/from-gcp"},
			"RoleSessionName": {"gcp"}, "WebIdentityToken": {token(tc.claims)}}
		body := []byte(p.Encode())
		req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if w := serve(req, body); w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: got %d %s, want %d with %s", tc.name, w.Code, w.Body, tc.status, tc.want)
		}
	}
}
