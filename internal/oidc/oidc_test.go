package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// issuer is a local OIDC issuer: discovery, a JWKS with an RSA and an EC key, and a
// counter of JWKS fetches.
type issuer struct {
	srv     *httptest.Server
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	fetches atomic.Int32
	keys    atomic.Pointer[jose.JSONWebKeySet]
}

var (
	testRSA   = mustRSA()
	otherRSA  = mustRSA()
	testEC, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	is := &issuer{rsa: testRSA, ec: testEC}
	is.keys.Store(&jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &testRSA.PublicKey, KeyID: "rsa1", Algorithm: "RS256", Use: "sig"},
		{Key: &testEC.PublicKey, KeyID: "ec1", Algorithm: "ES256", Use: "sig"},
		// A symmetric key with a known kid must never verify anything.
		{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac", Algorithm: "HS256"},
	}})
	mux := http.NewServeMux()
	is.srv = httptest.NewTLSServer(mux)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		_ = json.NewEncoder(w).Encode(is.keys.Load())
	})
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) thumb() string { return CertThumbprint(is.srv.Certificate()) }

func (is *issuer) provider() Provider {
	return Provider{URL: is.srv.URL, ClientIDs: []string{"sts.amazonaws.com", "app"}, Thumbprints: []string{is.thumb()}}
}

func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerify(t *testing.T) {
	is := newIssuer(t)
	now := time.Unix(1_800_000_000, 0)
	base := func() map[string]any {
		return map[string]any{"iss": is.srv.URL, "sub": "repo:org/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
			"iat": now.Unix() - 10, "exp": now.Unix() + 600}
	}
	with := func(k string, v any) map[string]any {
		c := base()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&testRSA.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	payload, _ := json.Marshal(base())

	cases := []struct {
		name  string
		token string
		prov  func(Provider) Provider
		kind  Kind // 0: verifies
		aud   string
	}{
		{name: "good RS256", token: sign(t, jose.RS256, testRSA, "rsa1", base()), aud: "sts.amazonaws.com"},
		{name: "good ES256", token: sign(t, jose.ES256, testEC, "ec1", base()), aud: "sts.amazonaws.com"},
		{name: "no kid tries every key", token: sign(t, jose.RS256, testRSA, "", base()), aud: "sts.amazonaws.com"},
		{name: "aud list", token: sign(t, jose.RS256, testRSA, "rsa1", with("aud", []string{"other", "app"})), aud: "app"},
		{name: "azp is the audience", token: sign(t, jose.RS256, testRSA, "rsa1", with("azp", "app")), aud: "app"},
		{name: "azp registered, aud not", token: sign(t, jose.RS256, testRSA, "rsa1", func() map[string]any { c := with("aud", "x"); c["azp"] = "app"; return c }()), aud: "app"},
		{name: "aud registered, azp not", token: sign(t, jose.RS256, testRSA, "rsa1", with("azp", "other-client")), kind: Audience},
		{name: "exp within skew", token: sign(t, jose.RS256, testRSA, "rsa1", with("exp", now.Unix()-60)), aud: "sts.amazonaws.com"},
		{name: "issuer trailing slash", token: sign(t, jose.RS256, testRSA, "rsa1", with("iss", is.srv.URL+"/")), aud: "sts.amazonaws.com"},
		{name: "bad signature", token: sign(t, jose.RS256, otherRSA, "rsa1", base()), kind: BadSignature},
		{name: "unknown kid", token: sign(t, jose.RS256, testRSA, "nope", base()), kind: NoKey},
		{name: "key for another alg", token: sign(t, jose.RS384, testRSA, "rsa1", base()), kind: NoKey},
		{name: "expired", token: sign(t, jose.RS256, testRSA, "rsa1", with("exp", now.Unix()-301)), kind: Expired},
		{name: "nbf in the future", token: sign(t, jose.RS256, testRSA, "rsa1", with("nbf", now.Unix()+3600)), kind: NotYetValid},
		{name: "iat in the future", token: sign(t, jose.RS256, testRSA, "rsa1", with("iat", now.Unix()+3600)), kind: NotYetValid},
		{name: "wrong aud", token: sign(t, jose.RS256, testRSA, "rsa1", with("aud", "someone-else")), kind: Audience},
		{name: "wrong iss", token: sign(t, jose.RS256, testRSA, "rsa1", with("iss", "https://evil.example.com")), kind: Issuer},
		{name: "thumbprint mismatch", token: sign(t, jose.RS256, testRSA, "rsa1", base()),
			prov: func(p Provider) Provider { p.Thumbprints = []string{strings.Repeat("ab", 20)}; return p }, kind: Thumbprint},
		{name: "no thumbprints, untrusted cert", token: sign(t, jose.RS256, testRSA, "rsa1", base()),
			prov: func(p Provider) Provider { p.Thumbprints = nil; return p }, kind: Thumbprint},
	}
	v := NewVerifier(Options{Now: func() time.Time { return now }})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Parse(tc.token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			p := is.provider()
			if tc.prov != nil {
				p = tc.prov(p)
			}
			got, err := v.Verify(context.Background(), tok, p, now)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got.Audience != tc.aud || got.Subject != "repo:org/app:ref:refs/heads/main" {
					t.Fatalf("got audience %q subject %q", got.Audience, got.Subject)
				}
				return
			}
			if KindOf(err) != tc.kind {
				t.Fatalf("got %v (kind %d), want kind %d", err, KindOf(err), tc.kind)
			}
		})
	}

	// Refused at Parse, before any key is looked up.
	refused := map[string]string{
		"alg none":                b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(payload)) + ".",
		"HS256 with public key":   sign(t, jose.HS256, pubPEM, "rsa1", base()),
		"HS256 with the hmac key": sign(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "hmac", base()),
		"not a JWT":               "????",
		"two parts":               "a.b",
		"garbage parts":           "a.b.c",
		"missing sub":             sign(t, jose.RS256, testRSA, "rsa1", with("sub", nil)),
		"missing exp":             sign(t, jose.RS256, testRSA, "rsa1", with("exp", nil)),
		"missing aud":             sign(t, jose.RS256, testRSA, "rsa1", with("aud", nil)),
		"exp a string":            sign(t, jose.RS256, testRSA, "rsa1", with("exp", "tomorrow")),
		"aud a number":            sign(t, jose.RS256, testRSA, "rsa1", with("aud", 7)),
		"claims not an object":    sign(t, jose.RS256, testRSA, "rsa1", nil)[:0] + b64(`{"alg":"RS256"}`) + "." + b64(`[1]`) + ".c2ln",
	}
	for name, tok := range refused {
		if _, err := Parse(tok); KindOf(err) != Malformed {
			t.Errorf("%s: Parse = %v, want Malformed", name, err)
		}
	}
}

func TestVerifyTrustedRoot(t *testing.T) {
	is := newIssuer(t)
	now := time.Now()
	roots := x509.NewCertPool()
	roots.AddCert(is.srv.Certificate())
	v := NewVerifier(Options{RootCAs: roots})
	p := is.provider()
	p.Thumbprints = nil // a trusted chain needs no thumbprint, as in IAM
	tok, err := Parse(sign(t, jose.RS256, testRSA, "rsa1", map[string]any{"iss": is.srv.URL, "sub": "s", "aud": "app", "exp": now.Unix() + 60}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok, p, now); err != nil {
		t.Fatal(err)
	}
}

// TestKeyCache: keys are fetched once, again for an unknown kid only after minRefetch, and
// again after the TTL; a rotated key is then found.
func TestKeyCache(t *testing.T) {
	is := newIssuer(t)
	clock := time.Unix(1_800_000_000, 0)
	v := NewVerifier(Options{Now: func() time.Time { return clock }, CacheTTL: 10 * time.Minute})
	claims := map[string]any{"iss": is.srv.URL, "sub": "s", "aud": "app", "exp": clock.Unix() + 86400}
	verify := func(kid string, key any) error {
		tok, err := Parse(sign(t, jose.RS256, key, kid, claims))
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(context.Background(), tok, is.provider(), clock)
		return err
	}
	for range 3 {
		if err := verify("rsa1", testRSA); err != nil {
			t.Fatal(err)
		}
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	// The issuer rotates to a new key.
	is.keys.Store(&jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &otherRSA.PublicKey, KeyID: "rsa2", Use: "sig"}}})
	if err := verify("rsa2", otherRSA); KindOf(err) != NoKey {
		t.Fatalf("unknown kid right after a fetch: %v, want NoKey (no refetch yet)", err)
	}
	clock = clock.Add(minRefetch)
	if err := verify("rsa2", otherRSA); err != nil {
		t.Fatalf("after minRefetch: %v", err)
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	clock = clock.Add(11 * time.Minute)
	if err := verify("rsa1", testRSA); KindOf(err) != NoKey {
		t.Fatalf("retired key after the TTL: %v, want NoKey", err)
	}
	if n := is.fetches.Load(); n != 3 {
		t.Fatalf("JWKS fetched %d times, want 3", n)
	}
}

// TestFetchFailures: a failed fetch is not retried for failRetry and its error answers
// meanwhile; a caller that hangs up does not make the fetch fail.
func TestFetchFailures(t *testing.T) {
	is := newIssuer(t)
	clock := time.Unix(1_800_000_000, 0)
	v := NewVerifier(Options{Now: func() time.Time { return clock }})
	tok, err := Parse(sign(t, jose.RS256, testRSA, "rsa1", map[string]any{"iss": is.srv.URL, "sub": "s", "aud": "app", "exp": clock.Unix() + 86400}))
	if err != nil {
		t.Fatal(err)
	}
	bad := is.provider()
	bad.Thumbprints = []string{strings.Repeat("cd", 20)}
	for range 2 {
		if _, err := v.Verify(context.Background(), tok, bad, clock); KindOf(err) != Thumbprint {
			t.Fatalf("untrusted issuer: %v, want Thumbprint", err)
		}
	}
	clock = clock.Add(failRetry)
	if _, err := v.Verify(context.Background(), tok, bad, clock); KindOf(err) != Thumbprint {
		t.Fatalf("untrusted issuer after failRetry: %v, want Thumbprint", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(ctx, tok, is.provider(), clock); err != nil {
		t.Fatalf("with the caller gone: %v", err)
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
}

// TestFetchBounds: an oversized JWKS, a redirect and a plain-http issuer are refused.
func TestFetchBounds(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	mux.HandleFunc("/big/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"jwks_uri": srv.URL + "/big/keys"})
	})
	mux.HandleFunc("/big/keys", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[` + strings.Repeat(" ", maxJWKS) + `]}`))
	})
	mux.HandleFunc("/redir/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.com/", http.StatusFound)
	})
	mux.HandleFunc("/http/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"jwks_uri": "http://127.0.0.1:1/keys"})
	})
	now := time.Now()
	v := NewVerifier(Options{})
	for _, path := range []string{"/big", "/redir", "/http"} {
		iss := srv.URL + path
		tok, err := Parse(sign(t, jose.RS256, testRSA, "k", map[string]any{"iss": iss, "sub": "s", "aud": "app", "exp": now.Unix() + 60}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(context.Background(), tok, Provider{URL: iss, ClientIDs: []string{"app"}, Thumbprints: []string{CertThumbprint(srv.Certificate())}}, now)
		if KindOf(err) != NoKey {
			t.Errorf("%s: %v, want NoKey", path, err)
		}
	}
	// An unreachable issuer is a communication error.
	dead := httptest.NewTLSServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	tok, _ := Parse(sign(t, jose.RS256, testRSA, "k", map[string]any{"iss": url, "sub": "s", "aud": "app", "exp": now.Unix() + 60}))
	if _, err := v.Verify(context.Background(), tok, Provider{URL: url, ClientIDs: []string{"app"}}, now); KindOf(err) != Unreachable {
		t.Errorf("dead issuer: %v, want Unreachable", err)
	}
}

func TestParseClaims(t *testing.T) {
	tok, err := Parse(sign(t, jose.RS256, testRSA, "k", map[string]any{
		"iss": "https://x", "sub": "s", "aud": "a", "exp": 1.8e9 + 0.5, "amr": []string{"authenticated", "mfa"},
		"https://aws.amazon.com/source_identity": "alice",
		"https://aws.amazon.com/tags": map[string]any{
			"principal_tags":      map[string]any{"team": []string{"blue"}, "cost": []string{"42"}},
			"transitive_tag_keys": []string{"team"},
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := tok.Claims
	if c.Expiry.Unix() != 1_800_000_000 || len(c.AMR) != 2 || c.SourceIdentity != "alice" || !c.HasTags() ||
		c.Tags["team"] != "blue" || c.Tags["cost"] != "42" || len(c.TransitiveTag) != 1 || tok.KeyID != "k" || tok.Alg != "RS256" {
		t.Fatalf("claims: %+v", c)
	}
	if _, err := Parse(sign(t, jose.RS256, testRSA, "k", map[string]any{"iss": "https://x", "sub": "s", "aud": "a", "exp": 1,
		"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string]any{"team": []string{"a", "b"}}}})); KindOf(err) != Malformed {
		t.Fatalf("two values for a tag: %v", err)
	}
}

func TestNormalizeIssuer(t *testing.T) {
	for in, want := range map[string]string{
		"https://Token.Example.COM/":    "token.example.com",
		"token.example.com":             "token.example.com",
		"https://a.example/Path/X/":     "a.example/Path/X",
		"https://127.0.0.1:8443":        "127.0.0.1:8443",
		"accounts.google.com":           "accounts.google.com",
		"https://accounts.google.com//": "accounts.google.com",
	} {
		if got := NormalizeIssuer(in); got != want {
			t.Errorf("NormalizeIssuer(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse: Parse never panics and what it accepts has the required claims.
func FuzzParse(f *testing.F) {
	f.Add(b64(`{"alg":"RS256","kid":"k"}`) + "." + b64(`{"iss":"https://x","sub":"s","aud":["a"],"exp":1e9}`) + "." + b64("sig"))
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{}`) + ".")
	f.Add("????")
	f.Add(b64(`{"alg":"ES256"}`) + "." + b64(`{"iss":"x","sub":"s","azp":"a","exp":"1","https://aws.amazon.com/tags":{"principal_tags":{"k":["v"]}}}`) + ".AA")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			if KindOf(err) != Malformed {
				t.Fatalf("Parse error of kind %d: %v", KindOf(err), err)
			}
			return
		}
		c := tok.Claims
		if c.Issuer == "" || c.Subject == "" || (len(c.Audience) == 0 && c.AuthorizedParty == "") || c.Expiry.IsZero() {
			t.Fatalf("accepted without required claims: %+v", c)
		}
		if !allowed(tok.Alg) {
			t.Fatalf("accepted alg %q", tok.Alg)
		}
	})
}

// FuzzParseJWKS: a JWK set from an issuer never panics the parser, and every key it keeps
// is a public signature key.
func FuzzParseJWKS(f *testing.F) {
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &testRSA.PublicKey, KeyID: "rsa1", Use: "sig"}, {Key: &testEC.PublicKey, KeyID: "ec1"},
		{Key: []byte("secret"), KeyID: "oct"}, {Key: testRSA, KeyID: "private"}}})
	f.Add(set)
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"X25519","x":"AAAA"},{"kty":"EC","crv":"P-256"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseJWKS(b)
		if err != nil {
			return
		}
		for _, k := range keys {
			if !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
				t.Fatalf("kept %+v", k)
			}
		}
	})
}
