package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Provider is an IAM OIDC provider as verification needs it.
type Provider struct {
	// URL is https://host[:port][/path], the issuer the provider stands for.
	URL string
	// ClientIDs are the audiences the provider accepts.
	ClientIDs []string
	// AnyAudience accepts every audience: IAM's built-in providers (accounts.google.com,
	// cognito-identity.amazonaws.com) register no client IDs and leave the audience to the
	// role's trust policy (its :aud condition).
	AnyAudience bool
	// Thumbprints are lower-case hex SHA-1 fingerprints of certificates the provider's
	// HTTPS endpoints may present when their chain is not trusted otherwise.
	Thumbprints []string
}

// Verified is what Verify established about a token.
type Verified struct {
	Claims
	// Audience is the client ID the token was accepted for: its azp when it has one, else
	// the first aud that is one of the provider's client IDs.
	Audience string
}

// Limits and timings of fetching an issuer's keys.
const (
	// ClockSkew is what IAM allows past exp ("IAM provides a five-minute window beyond the
	// expiry time specified in the JWT to account for clock skew", id_roles_providers_oidc.html);
	// Gatehouse allows the same before nbf and iat.
	ClockSkew       = 5 * time.Minute
	maxDiscovery    = 64 << 10
	maxJWKS         = 512 << 10
	maxKeys         = 100
	fetchTimeout    = 10 * time.Second
	defaultCacheTTL = time.Hour
	// minRefetch bounds how often a token naming an unknown key makes Gatehouse fetch the
	// issuer's keys again (a key rotation is picked up within this; a stream of forged kids
	// costs one fetch per interval).
	minRefetch = 30 * time.Second
	// failRetry is the shorter wait after a failed fetch, whose error is repeated meanwhile.
	failRetry  = 5 * time.Second
	maxEntries = 1024
)

// Options configure a Verifier.
type Options struct {
	// RootCAs are the roots an issuer's HTTPS certificate may chain to; nil uses the
	// system's. A provider's thumbprints are accepted besides them, as IAM does
	// (id_roles_providers_create_oidc_verify-thumbprint.html).
	RootCAs *x509.CertPool
	// CacheTTL is how long fetched keys are used before they are fetched again (an hour
	// when 0).
	CacheTTL time.Duration
	// Now is the clock the key cache runs on (time.Now when nil). Token times are checked
	// against the time passed to Verify.
	Now func() time.Time
	// Dial replaces the dialer (tests); nil dials normally.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Verifier verifies tokens and caches issuers' keys. It is safe for concurrent use.
type Verifier struct {
	opts    Options
	mu      sync.Mutex
	entries map[string]*keyEntry // by issuer URL and thumbprints
}

type keyEntry struct {
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time // zero: never fetched successfully
	tried   time.Time // last fetch attempt
	lastErr error     // its failure, nil when it succeeded
}

// NewVerifier returns a Verifier.
func NewVerifier(o Options) *Verifier {
	if o.CacheTTL <= 0 {
		o.CacheTTL = defaultCacheTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Verifier{opts: o, entries: make(map[string]*keyEntry)}
}

// Verify checks tok against provider p at time now: the issuer, the signature with the
// issuer's published key, exp (with ClockSkew), nbf and iat, and the audience.
func (v *Verifier) Verify(ctx context.Context, tok *Token, p Provider, now time.Time) (*Verified, error) {
	if NormalizeIssuer(tok.Claims.Issuer) != NormalizeIssuer(p.URL) {
		return nil, fail(Issuer, "The web identity token's issuer %s is not the provider's URL %s.", tok.Claims.Issuer, p.URL)
	}
	keys, err := v.keys(ctx, p, tok)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errNoKey()
	}
	verified := false
	for i := range keys {
		if _, err := tok.jws.Verify(&keys[i]); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		// Gatehouse's text: AWS's for a bad signature is not documented.
		return nil, fail(BadSignature, "The web identity token's signature does not verify with the identity provider's keys.")
	}
	c := tok.Claims
	if !now.Before(c.Expiry.Add(ClockSkew)) {
		// AWS's text, as STS returns it (e.g. aws/aws-sdk-java-v2#5709).
		e := fail(Expired, "Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), c.Expiry.Unix())
		e.Now, e.Expiry = now, c.Expiry
		return nil, e
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(ClockSkew)) {
		return nil, fail(NotYetValid, "The web identity token is not valid yet: its nbf %d is in the future.", c.NotBefore.Unix())
	}
	if !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(ClockSkew)) {
		return nil, fail(NotYetValid, "The web identity token was issued in the future: its iat is %d.", c.IssuedAt.Unix())
	}
	// The audience is azp when the token has one, else aud: IAM maps a provider's aud
	// condition key to azp (Google's "accounts.google.com:aud is the token's azp", with
	// the token's aud as :oaud), and a token whose azp is another client than its aud is
	// refused even when the aud is registered (Entra ID v2 tokens, aws/aws-sdk-net#3071).
	out := &Verified{Claims: c}
	if p.AnyAudience {
		out.Audience = c.AuthorizedParty
		if out.Audience == "" {
			out.Audience = c.Audience[0] // Parse requires aud or azp
		}
	} else if c.AuthorizedParty != "" {
		if slices.Contains(p.ClientIDs, c.AuthorizedParty) {
			out.Audience = c.AuthorizedParty
		}
	} else {
		for _, a := range c.Audience {
			if slices.Contains(p.ClientIDs, a) {
				out.Audience = a
				break
			}
		}
	}
	if out.Audience == "" {
		return nil, fail(Audience, "Incorrect token audience") // AWS's text
	}
	return out, nil
}

// NormalizeIssuer is an issuer as IAM names its provider: without the scheme and a
// trailing slash, the host in lower case. It is what IAM compares.
func NormalizeIssuer(iss string) string {
	s := iss
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimRight(s, "/")
	host, path, _ := strings.Cut(s, "/")
	if path != "" {
		return strings.ToLower(host) + "/" + path
	}
	return strings.ToLower(host)
}

func errNoKey() *Error {
	// AWS's text, two spaces and all, for a token whose key the provider does not publish
	// or whose keys cannot be read; it says no more, and neither does Gatehouse.
	return fail(NoKey, "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
}

// keys returns the issuer's keys that may have signed tok, fetching them when the cache
// has none, they are older than the TTL, or none matches tok's kid — at most once per
// minRefetch, or per failRetry after a failed fetch, whose error answers meanwhile.
func (v *Verifier) keys(ctx context.Context, p Provider, tok *Token) ([]jose.JSONWebKey, error) {
	thumbs := slices.Clone(p.Thumbprints)
	for i := range thumbs {
		thumbs[i] = strings.ToLower(thumbs[i])
	}
	slices.Sort(thumbs)
	// Keys fetched under one provider's thumbprints are not used for another's.
	id := NormalizeIssuer(p.URL) + "\x00" + strings.Join(thumbs, ",")
	v.mu.Lock()
	e := v.entries[id]
	if e == nil {
		if len(v.entries) >= maxEntries {
			clear(v.entries)
		}
		e = &keyEntry{}
		v.entries[id] = e
	}
	v.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := v.opts.Now()
	fresh := !e.fetched.IsZero() && now.Sub(e.fetched) < v.opts.CacheTTL
	if fresh {
		if ks := matching(e.keys, tok); len(ks) > 0 {
			return ks, nil
		}
	}
	wait := minRefetch
	if e.lastErr != nil {
		wait = failRetry
	}
	if !e.tried.IsZero() && now.Sub(e.tried) < wait {
		// Fetched (or tried) a moment ago: answer from what there is.
		if ks := matching(e.keys, tok); len(ks) > 0 {
			return ks, nil
		}
		return nil, e.lastErr
	}
	e.tried = now
	// The fetch outlives the request that started it (within fetchTimeout): a caller that
	// hangs up must not leave a failure that every other caller is then answered with.
	keys, err := v.fetch(context.WithoutCancel(ctx), p.URL, thumbs)
	// The waits count from when the outcome is known: a fetch can take up to twice
	// fetchTimeout, longer than failRetry, and the callers queued on e.mu meanwhile must be
	// answered with its result rather than each fetch again in turn.
	e.tried = v.opts.Now()
	e.lastErr = err
	if err != nil {
		// Keys fetched before still verify tokens while the issuer is unreachable.
		if ks := matching(e.keys, tok); len(ks) > 0 {
			return ks, nil
		}
		return nil, err
	}
	e.keys, e.fetched = keys, now
	return matching(keys, tok), nil
}

// matching returns the keys that may have signed tok: those with its kid (every signing
// key when it names none), meant for signatures and, when they say, for its algorithm.
func matching(keys []jose.JSONWebKey, tok *Token) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range keys {
		if tok.KeyID != "" && k.KeyID != tok.KeyID {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != tok.Alg {
			continue
		}
		out = append(out, k)
	}
	return out
}

// fetch reads the issuer's discovery document and then its JWKS.
func (v *Verifier) fetch(ctx context.Context, issuer string, thumbs []string) ([]jose.JSONWebKey, error) {
	disc := strings.TrimRight(issuer, "/") + "/.well-known/openid-configuration"
	body, err := v.get(ctx, disc, maxDiscovery, thumbs)
	if err != nil {
		return nil, err
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.JWKSURI == "" {
		return nil, errNoKey() // the openid-configuration names no jwks_uri
	}
	body, err = v.get(ctx, doc.JWKSURI, maxJWKS, thumbs)
	if err != nil {
		return nil, err
	}
	return parseJWKS(body)
}

// parseJWKS reads a JWK set, keeping the public signature keys Gatehouse can use and
// skipping the others (encryption keys, symmetric keys, types go-jose does not know), so
// one odd key does not make the whole set unusable.
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errNoKey() // the JWKS is not JSON
	}
	var out []jose.JSONWebKey
	for _, raw := range set.Keys {
		if len(out) >= maxKeys {
			break
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		switch pk := k.Key.(type) {
		case *rsa.PublicKey:
			if pk.N.BitLen() < 2048 {
				continue // too weak to trust
			}
		case *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			continue // private or symmetric: never a verification key
		}
		out = append(out, k)
	}
	return out, nil
}

// errThumbprint is a TLS certificate neither trusted by the roots nor pinned.
var errThumbprint = errors.New("certificate not trusted and not among the provider's thumbprints")

// get fetches an https URL with the provider's trust rules, bounded in time and size.
// Redirects are not followed.
//
// Destination addresses are not filtered. AWS fetches only from the internet, but a
// self-hosted Gatehouse is most often federated with an IdP on the same private network
// (Keycloak, Dex, GitLab), and refusing private addresses would refuse those. What keeps
// this from being a general request forger: the issuer URL is an IAM provider that an
// administrator of the role's account registered (a token cannot name a URL of its own);
// only GET over https, with a certificate trusted by the roots or pinned by the provider;
// no redirects; at most maxDiscovery/maxJWKS bytes and fetchTimeout per request; one
// fetch per issuer per minRefetch (failRetry after a failure); and a caller learns no
// more of the answer than "no key", "HTTP 5xx" or "unreachable". An operator who wants
// egress confined sets HTTPS_PROXY (honoured below) or a firewall rule.
func (v *Verifier) get(ctx context.Context, raw string, limit int64, thumbs []string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, errNoKey() // not https
	}
	host := u.Hostname()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
		DisableKeepAlives:     true,
		Proxy:                 http.ProxyFromEnvironment,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			// Verification is done by VerifyConnection below, which adds the pinned
			// thumbprints to the usual chain check; it is never skipped.
			InsecureSkipVerify: true,
			VerifyConnection:   verifyPeer(host, v.opts.RootCAs, thumbs),
		},
	}
	if v.opts.Dial != nil {
		tr.DialContext = v.opts.Dial
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: fetchTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errNoKey()
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, errThumbprint) {
			// AWS's text.
			return nil, fail(Thumbprint, "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint")
		}
		// The cause stays out of the message: it could describe the network behind Gatehouse.
		return nil, fail(Unreachable, "Couldn't connect to the identity provider at %s.", u.Host)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 500 {
			return nil, fail(Unreachable, "The identity provider at %s answered HTTP %d.", u.Host, resp.StatusCode)
		}
		return nil, errNoKey() // 4xx, a redirect: the document is not there
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fail(Unreachable, "Couldn't read the identity provider's answer from %s.", u.Host)
	}
	if int64(len(body)) > limit {
		return nil, errNoKey() // larger than any key set
	}
	return body, nil
}

// verifyPeer accepts a server certificate for host that chains to the roots (the system's
// when nil) or, failing that, to a certificate the server presents whose SHA-1 thumbprint
// the provider lists — IAM's rule: "If your OIDC IdP relies on a certificate that is not
// signed by one of these trusted CAs, only then we secure communication using the
// thumbprints" (id_roles_providers_create_oidc_verify-thumbprint.html). A pinned
// certificate must still be an ancestor of (or be) the leaf, valid now and for host: a
// server cannot pass by merely including the pinned certificate in its chain.
func verifyPeer(host string, roots *x509.CertPool, thumbs []string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errThumbprint
		}
		leaf := cs.PeerCertificates[0]
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		opts := x509.VerifyOptions{DNSName: host, Intermediates: inter, Roots: roots}
		if _, err := leaf.Verify(opts); err == nil {
			return nil
		}
		pins := x509.NewCertPool()
		n := 0
		for _, c := range cs.PeerCertificates {
			sum := sha1.Sum(c.Raw)
			if slices.Contains(thumbs, hex.EncodeToString(sum[:])) {
				pins.AddCert(c)
				n++
			}
		}
		if n == 0 {
			return errThumbprint
		}
		opts.Roots = pins
		if _, err := leaf.Verify(opts); err != nil {
			return errThumbprint
		}
		return nil
	}
}

// CertThumbprint is the SHA-1 fingerprint IAM expects of a certificate, in lower-case hex.
func CertThumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return hex.EncodeToString(sum[:])
}
