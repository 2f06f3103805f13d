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
	"gatehouse/internal/seal"
)

// A session token carries its whole session (sealed), and a token longer than
// seal.MaxTokenLen does not open. These tests drive the STS operations through ServeHTTP to
// where a session's token would pass that length and check that the call is refused with
// PackedPolicyTooLarge — not answered with credentials every later request rejects — and
// that a session just within it works.

// webIdP serves an OIDC issuer registered as an IAM provider of f's account, and returns
// the provider's ARN and a function that signs a token with the claims given (over iss,
// sub, aud, exp, iat).
func webIdP(t *testing.T, f *stsFixture) (provARN string, token func(claims map[string]any) string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	idp := httptest.NewTLSServer(mux)
	t.Cleanup(idp.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k", Use: "sig"}}})
	})
	iamCall(t, f, url.Values{"Action": {"CreateOpenIDConnectProvider"}, "Url": {idp.URL}, "ClientIDList.member.1": {"app"},
		"ThumbprintList.member.1": {oidc.CertThumbprint(idp.Certificate())}})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k"))
	if err != nil {
		t.Fatal(err)
	}
	return "arn:aws:iam::" + f.account + ":oidc-provider/" + strings.TrimPrefix(idp.URL, "https://"), func(claims map[string]any) string {
		now := time.Now()
		c := map[string]any{"iss": idp.URL, "sub": "user-1", "aud": "app", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
		for k, v := range claims {
			c[k] = v
		}
		b, _ := json.Marshal(c)
		jws, err := signer.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}
}

func iamCall(t *testing.T, f *stsFixture, p url.Values) string {
	t.Helper()
	p.Set("Version", "2010-05-08")
	w := f.call("iam", f.rootID, f.rootSecret, "", p)
	if w.Code != 200 {
		t.Fatalf("%s: %d %s", p.Get("Action"), w.Code, w.Body)
	}
	return w.Body.String()
}

// session is a temporary key from an STS answer.
type session struct{ id, secret, token string }

func sessionOf(body string) session {
	return session{between(body, "<AccessKeyId>", "</AccessKeyId>"), between(body, "<SecretAccessKey>", "</SecretAccessKey>"),
		between(body, "<SessionToken>", "</SessionToken>")}
}

// callerIdentityOf checks that sess works for GetCallerIdentity and returns its ARN.
func callerIdentityOf(t *testing.T, f *stsFixture, sess session) string {
	t.Helper()
	w := f.call("sts", sess.id, sess.secret, sess.token, callerIdentity)
	if w.Code != 200 {
		t.Fatalf("GetCallerIdentity with the session (token of %d characters): %d %s", len(sess.token), w.Code, w.Body)
	}
	return between(w.Body.String(), "<Arn>", "</Arn>")
}

// wantTooLarge checks for STS's 400 PackedPolicyTooLarge answer with msg in its message.
func wantTooLarge(t *testing.T, w *httptest.ResponseRecorder, msg string) {
	t.Helper()
	if w.Code != 400 || !strings.Contains(w.Body.String(), "<Code>PackedPolicyTooLarge</Code>") || !strings.Contains(w.Body.String(), msg) {
		t.Fatalf("got %d %.300s, want 400 PackedPolicyTooLarge with %q", w.Code, w.Body, msg)
	}
}

// TestWebIdentityTokenLimit: a JWT whose amr claim makes the session too large for its
// token gets 400 PackedPolicyTooLarge, and the role is not marked used; the longest amr
// that fits gets credentials whose token is within a few characters of seal.MaxTokenLen
// and works for GetCallerIdentity.
func TestWebIdentityTokenLimit(t *testing.T) {
	f := newSTSFixture(t)
	provARN, token := webIdP(t, f)
	for _, role := range []string{"web_limit", "web_refused"} {
		iamCall(t, f, url.Values{"Action": {"CreateRole"}, "RoleName": {role}, "AssumeRolePolicyDocument": {
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provARN + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`}})
	}
	assume := func(role string, amr []string) *httptest.ResponseRecorder {
		p := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
			"RoleArn": {"arn:aws:iam::" + f.account + ":role/" + role}, "RoleSessionName": {"web-session"},
			"WebIdentityToken": {token(map[string]any{"amr": amr})}}
		body := []byte(p.Encode())
		req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return f.serve(req, body)
	}
	amr := func(n int) []string { return []string{"pwd", strings.Repeat("m", n)} }

	// Over the limit, within the 20,000 characters of WebIdentityToken.
	w := assume("web_refused", amr(14000))
	wantTooLarge(t, w, ":amr) consumes ")
	if body := iamCall(t, f, url.Values{"Action": {"GetRole"}, "RoleName": {"web_refused"}}); strings.Contains(body, "<LastUsedDate>") {
		t.Errorf("a refused AssumeRoleWithWebIdentity marked the role used: %s", body)
	}
	// More values than a session holds, however short.
	many := make([]string, 65)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	wantTooLarge(t, assume("web_refused", many), ":amr) consumes ")

	// The longest amr value that gets credentials.
	lo, hi := 1000, 14000 // lo is accepted, hi refused
	if w := assume("web_limit", amr(lo)); w.Code != 200 {
		t.Fatalf("amr of %d characters: %d %s", lo, w.Code, w.Body)
	}
	var last *httptest.ResponseRecorder
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		w := assume("web_limit", amr(mid))
		switch {
		case w.Code == 200:
			lo, last = mid, w
		case w.Code == 400 && strings.Contains(w.Body.String(), "PackedPolicyTooLarge"):
			hi = mid
		default:
			t.Fatalf("amr of %d characters: %d %s", mid, w.Code, w.Body)
		}
	}
	if last == nil {
		last = assume("web_limit", amr(lo))
	}
	sess := sessionOf(last.Body.String())
	if len(sess.token) > seal.MaxTokenLen || len(sess.token) < seal.MaxTokenLen-4 {
		t.Errorf("longest accepted session has a token of %d characters, want within 4 of seal.MaxTokenLen %d", len(sess.token), seal.MaxTokenLen)
	}
	if got, want := callerIdentityOf(t, f, sess), "arn:aws:sts::"+f.account+":assumed-role/web_limit/web-session"; got != want {
		t.Errorf("GetCallerIdentity: got %s, want %s", got, want)
	}
}

// tagParams adds n session tags KEY0…, all transitive when transitive is set.
func tagParams(p url.Values, prefix string, n int, transitive bool) url.Values {
	for i := range n {
		k := fmt.Sprintf("%s%d", prefix, i)
		p.Set(fmt.Sprintf("Tags.member.%d.Key", i+1), k)
		p.Set(fmt.Sprintf("Tags.member.%d.Value", i+1), "v")
		if transitive {
			p.Set(fmt.Sprintf("TransitiveTagKeys.member.%d", i+1), k)
		}
	}
	return p
}

// TestAssumeRoleTokenLimit: an AssumeRole at AWS's maximum sizes (a 2,048-character
// session policy, tags filling the packed allowance, 50 transitive keys of 128 characters)
// gets credentials that work; a role chain whose inherited transitive tags and new tags are
// more than a session holds gets 400 PackedPolicyTooLarge, and one tag fewer works.
func TestAssumeRoleTokenLimit(t *testing.T) {
	f := newSTSFixture(t)
	roleARN := "arn:aws:iam::" + f.account + ":role/chain"
	// The account trusts, and alice and the role's sessions may assume it (and chain).
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"` + roleARN + `"}]}`
	iamCall(t, f, url.Values{"Action": {"CreateRole"}, "RoleName": {"chain"}, "AssumeRolePolicyDocument": {
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + f.account + `:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`}})
	iamCall(t, f, url.Values{"Action": {"PutRolePolicy"}, "RoleName": {"chain"}, "PolicyName": {"chain"}, "PolicyDocument": {allow}})
	iamCall(t, f, url.Values{"Action": {"PutUserPolicy"}, "UserName": {"alice"}, "PolicyName": {"chain"}, "PolicyDocument": {allow}})
	assume := func(p url.Values, as session) *httptest.ResponseRecorder {
		p.Set("Action", "AssumeRole")
		p.Set("Version", "2011-06-15")
		p.Set("RoleArn", roleARN)
		return f.call("sts", as.id, as.secret, as.token, p)
	}
	alice := session{id: f.aliceID, secret: f.aliceSecret}

	t.Run("maximum sizes", func(t *testing.T) {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
		p := url.Values{"RoleSessionName": {strings.Repeat("n", 64)}, "Policy": {doc + strings.Repeat(" ", 2048-len(doc))}}
		key := strings.Repeat("K", 128)
		p.Set("Tags.member.1.Key", key)
		p.Set("Tags.member.1.Value", strings.Repeat("v", 256))
		room := 2048 - len(doc) - 128 - 256
		for i := 2; room > 0; i++ {
			k := fmt.Sprintf("t%02d", i)
			v := strings.Repeat("v", min(256, room-len(k)))
			p.Set(fmt.Sprintf("Tags.member.%d.Key", i), k)
			p.Set(fmt.Sprintf("Tags.member.%d.Value", i), v)
			room -= len(k) + len(v)
		}
		for i := range 50 { // 50 spellings of the 128-character key
			p.Set(fmt.Sprintf("TransitiveTagKeys.member.%d", i+1), key[:i]+"k"+key[i+1:])
		}
		w := assume(p, alice)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "<PackedPolicySize>100</PackedPolicySize>") {
			t.Fatalf("AssumeRole at the maximum sizes: %d %s", w.Code, w.Body)
		}
		sess := sessionOf(w.Body.String())
		t.Logf("token of %d characters at AWS's maximum sizes; seal.MaxTokenLen %d", len(sess.token), seal.MaxTokenLen)
		callerIdentityOf(t, f, sess)
	})

	t.Run("role chain", func(t *testing.T) {
		w := assume(tagParams(url.Values{"RoleSessionName": {"first"}}, "a", 50, true), alice)
		if w.Code != 200 {
			t.Fatalf("AssumeRole with 50 transitive tags: %d %s", w.Code, w.Body)
		}
		first := sessionOf(w.Body.String())
		// A session holds 64 tags: 50 inherited and 15 new are too many.
		wantTooLarge(t, assume(tagParams(url.Values{"RoleSessionName": {"second"}}, "b", 15, false), first),
			"Packed size of session tags consumes ")
		w = assume(tagParams(url.Values{"RoleSessionName": {"second"}}, "b", 14, false), first)
		if w.Code != 200 {
			t.Fatalf("chained AssumeRole with 50 inherited and 14 new tags: %d %s", w.Code, w.Body)
		}
		if got, want := callerIdentityOf(t, f, sessionOf(w.Body.String())), "arn:aws:sts::"+f.account+":assumed-role/chain/second"; got != want {
			t.Errorf("GetCallerIdentity: got %s, want %s", got, want)
		}
	})
}
