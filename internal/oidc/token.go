// Package oidc verifies the OpenID Connect ID tokens (JWTs) that STS's
// AssumeRoleWithWebIdentity exchanges for role credentials
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html): the token's
// signature against the issuer's published keys (its /.well-known/openid-configuration
// names a jwks_uri), its validity window and its audience against the IAM OIDC provider's
// client IDs.
//
// The package does no IAM lookups: the caller parses the token (Parse), finds the IAM
// provider whose URL is the token's issuer, and passes that provider to Verifier.Verify.
// Keys are fetched only for a registered provider's issuer, so a caller cannot make
// Gatehouse fetch an arbitrary URL.
package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// MaxTokenSize is the largest token Parse reads: STS's WebIdentityToken is at most 20,000
// characters (the API model's clientTokenType).
const MaxTokenSize = 20000

// Algorithms are the JWS algorithms a token may be signed with: the asymmetric ones OIDC
// providers use. "none" and the HMAC algorithms (HS256…) are refused before any key is
// looked at, so a token cannot be "signed" with a provider's public key as an HMAC secret.
var Algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// Kind classifies a verification failure; the edge maps each to STS's error code.
type Kind uint8

const (
	// Malformed: not a signed JWT, a claim of the wrong type, or a required claim missing
	// (InvalidIdentityToken).
	Malformed Kind = iota + 1
	// NoKey: the issuer publishes no key the token names, or its keys could not be read
	// (InvalidIdentityToken "Couldn't retrieve verification key …").
	NoKey
	// BadSignature: the signature does not verify with the issuer's key (InvalidIdentityToken).
	BadSignature
	// Expired: exp is past, with the allowed skew (ExpiredTokenException).
	Expired
	// NotYetValid: nbf or iat is in the future beyond the allowed skew (InvalidIdentityToken).
	NotYetValid
	// Audience: neither aud nor azp is one of the provider's client IDs (InvalidIdentityToken).
	Audience
	// Issuer: the token's iss is not the provider's URL (InvalidIdentityToken).
	Issuer
	// Unreachable: the issuer's configuration or keys could not be fetched
	// (IDPCommunicationError).
	Unreachable
	// Thumbprint: the issuer's TLS certificate is neither trusted nor one of the provider's
	// thumbprints (InvalidIdentityToken).
	Thumbprint
)

// Error is a verification failure. Message is safe to return to the caller: it never
// holds the token or key material.
type Error struct {
	Kind    Kind
	Message string
	// Now and Expiry are set for Expired (STS's message quotes both as epoch seconds).
	Now, Expiry time.Time
}

func (e *Error) Error() string { return e.Message }

func fail(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of err, or 0 when it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// Token is a parsed, not yet verified, JWT.
type Token struct {
	jws    *jose.JSONWebSignature
	Alg    string
	KeyID  string
	Claims Claims
}

// Claims are the claims STS reads, as the token states them (unverified until Verify).
type Claims struct {
	Issuer          string
	Subject         string
	Audience        []string
	AuthorizedParty string // azp
	Expiry          time.Time
	NotBefore       time.Time // zero when absent
	IssuedAt        time.Time // zero when absent
	AMR             []string
	// SourceIdentity is the https://aws.amazon.com/source_identity claim
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html#id_credentials_temp_control-access_monitor-oidc).
	SourceIdentity string
	// Tags are the session tags of the https://aws.amazon.com/tags claim
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_adding-assume-role-idp):
	// principal_tags maps each key to a one-element list, transitive_tag_keys lists keys.
	Tags          map[string]string
	TagKeys       []string // Tags' keys in the claim's order
	TransitiveTag []string
	hasTags       bool
}

// HasTags reports whether the token carries the https://aws.amazon.com/tags claim.
func (c *Claims) HasTags() bool { return c.hasTags }

// Parse reads a JWT in compact serialization without verifying it: the header's alg must be
// one of Algorithms, and the claims STS needs must be present and well typed (iss, sub, aud
// or azp, exp). AWS's own texts for these failures are not all documented; where they are
// not ("Missing a required claim: X" is AWS's), the message says plainly what is wrong.
func Parse(token string) (*Token, error) {
	if len(token) > MaxTokenSize {
		return nil, fail(Malformed, "The web identity token is longer than %d characters.", MaxTokenSize)
	}
	if strings.Count(token, ".") != 2 {
		return nil, fail(Malformed, "The web identity token is not a valid JWT: it must have three dot-separated parts.")
	}
	jws, err := jose.ParseSignedCompact(token, Algorithms)
	if err != nil {
		if alg := headerAlg(token); alg != "" && !allowed(alg) {
			return nil, fail(Malformed, "The web identity token is signed with the unsupported algorithm %q.", alg)
		}
		return nil, fail(Malformed, "The web identity token is not a valid JWT.")
	}
	if len(jws.Signatures) != 1 {
		return nil, fail(Malformed, "The web identity token is not a valid JWT.")
	}
	h := jws.Signatures[0].Header
	t := &Token{jws: jws, Alg: h.Algorithm, KeyID: h.KeyID}
	if err := parseClaims(jws.UnsafePayloadWithoutVerification(), &t.Claims); err != nil {
		return nil, err
	}
	return t, nil
}

func allowed(alg string) bool {
	for _, a := range Algorithms {
		if string(a) == alg {
			return true
		}
	}
	return false
}

// headerAlg reads the alg of a compact JWS header, for a clearer message when the algorithm
// is the reason ParseSignedCompact refused the token.
func headerAlg(token string) string {
	head, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Alg
}

// parseClaims decodes the payload's claims; unknown claims are ignored.
func parseClaims(payload []byte, c *Claims) error {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return fail(Malformed, "The web identity token's claims are not a JSON object.")
	}
	var err error
	str := func(name string, dst *string) {
		if err != nil {
			return
		}
		v, ok := raw[name]
		if !ok {
			return
		}
		if json.Unmarshal(v, dst) != nil {
			err = fail(Malformed, "The claim %s of the web identity token must be a string.", name)
		}
	}
	list := func(name string, dst *[]string) {
		if err != nil {
			return
		}
		v, ok := raw[name]
		if !ok {
			return
		}
		var one string
		if json.Unmarshal(v, &one) == nil {
			*dst = []string{one}
			return
		}
		if json.Unmarshal(v, dst) != nil {
			err = fail(Malformed, "The claim %s of the web identity token must be a string or a list of strings.", name)
		}
	}
	date := func(name string, dst *time.Time) {
		if err != nil {
			return
		}
		v, ok := raw[name]
		if !ok {
			return
		}
		var n json.Number
		if json.Unmarshal(v, &n) != nil {
			err = fail(Malformed, "The claim %s of the web identity token must be a number of seconds since the epoch.", name)
			return
		}
		f, perr := n.Float64()
		// Within what time.Time represents: a year-10000 date is no date.
		if perr != nil || math.IsNaN(f) || f < 0 || f > 253402300799 {
			err = fail(Malformed, "The claim %s of the web identity token must be a number of seconds since the epoch.", name)
			return
		}
		sec, frac := math.Modf(f)
		*dst = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	str("iss", &c.Issuer)
	str("sub", &c.Subject)
	list("aud", &c.Audience)
	str("azp", &c.AuthorizedParty)
	date("exp", &c.Expiry)
	date("nbf", &c.NotBefore)
	date("iat", &c.IssuedAt)
	list("amr", &c.AMR)
	str("https://aws.amazon.com/source_identity", &c.SourceIdentity)
	if err != nil {
		return err
	}
	if v, ok := raw["https://aws.amazon.com/tags"]; ok {
		if err := parseTags(v, c); err != nil {
			return err
		}
	}
	for _, req := range []struct {
		name    string
		present bool
	}{
		{"iss", c.Issuer != ""},
		{"sub", c.Subject != ""},
		{"aud", len(c.Audience) > 0 || c.AuthorizedParty != ""},
		{"exp", !c.Expiry.IsZero()},
	} {
		if !req.present {
			// AWS's text (seen in aws/aws-sdk-ruby#2698 for aud).
			return fail(Malformed, "Missing a required claim: %s", req.name)
		}
	}
	return nil
}

// parseTags reads {"principal_tags": {"K": ["V"]}, "transitive_tag_keys": ["K"]}.
func parseTags(v json.RawMessage, c *Claims) error {
	var t struct {
		Principal  json.RawMessage `json:"principal_tags"`
		Transitive []string        `json:"transitive_tag_keys"`
	}
	bad := fail(Malformed, "The claim https://aws.amazon.com/tags of the web identity token must be an object with principal_tags (each a list of one string) and transitive_tag_keys (a list of strings).")
	if json.Unmarshal(v, &t) != nil {
		return bad
	}
	c.hasTags = true
	c.TransitiveTag = t.Transitive
	if len(t.Principal) == 0 || string(t.Principal) == "null" {
		return nil
	}
	// Decode key by key to keep the claim's order (tags are reported in order).
	dec := json.NewDecoder(bytes.NewReader(t.Principal))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad
	}
	c.Tags = map[string]string{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return bad
		}
		k, _ := kt.(string)
		var vals []string
		if err := dec.Decode(&vals); err != nil || len(vals) != 1 {
			return bad
		}
		if _, dup := c.Tags[k]; !dup {
			c.TagKeys = append(c.TagKeys, k)
		}
		c.Tags[k] = vals[0]
	}
	return nil
}
