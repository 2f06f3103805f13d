// Package samlauth reads and verifies SAML 2.0 authentication responses as AWS STS's
// AssumeRoleWithSAML takes them
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html):
// a base64 samlp:Response holding one saml:Assertion, the Response or the Assertion
// enveloped-signed by one of the IdP's certificates from its metadata.
//
// XML signatures are checked by github.com/russellhaering/goxmldsig; nothing here is
// cryptography. What this package adds is the SAML side, done so that signature wrapping
// cannot work: every claim is read from the element goxmldsig returns — the canonical
// bytes the signature covers, parsed afresh — never from the document as received.
package samlauth

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// Namespaces and fixed values of SAML 2.0 core (saml-core-2.0-os).
const (
	NSAssertion   = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSProtocol    = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsDSig        = "http://www.w3.org/2000/09/xmldsig#"
	nsXEnc        = "http://www.w3.org/2001/04/xmlenc#"
	statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	methodBearer  = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	// FormatUnspecified is the NameID format a NameID without one has (saml-core §8.3.1).
	FormatUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
)

// Reason classifies why a response is refused, so the caller can answer with its API's
// error code.
type Reason uint8

const (
	// Malformed: not base64, not XML, not a SAML Response with one Assertion, a bad time.
	Malformed Reason = iota + 1
	// BadSignature: unsigned, signed by a key not in the metadata, or altered after signing.
	BadSignature
	// Rejected: a claim AWS checks is wrong (issuer, audience, recipient, status, not yet valid).
	Rejected
	// Expired: the assertion's Conditions or its bearer confirmation are past NotOnOrAfter.
	Expired
	// Encrypted: an EncryptedAssertion that cannot be decrypted, or a plaintext Assertion
	// where the provider requires encryption.
	Encrypted
	// IdPRejected: the IdP itself reports failure (a Status other than Success).
	IdPRejected
)

// Error is a refused response.
type Error struct {
	Reason Reason
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func fail(r Reason, msg string) *Error { return &Error{Reason: r, Msg: msg} }

// Assertion is what a response's assertion says, as AssumeRoleWithSAML uses it.
type Assertion struct {
	ID     string
	Issuer string
	// IssueInstant is when the IdP issued the assertion (zero when absent).
	IssueInstant time.Time
	// Subject is the Subject's NameID; SubjectFormat its Format (FormatUnspecified when absent).
	Subject       string
	SubjectFormat string
	// Confirmations are the bearer SubjectConfirmationData elements.
	Confirmations []Confirmation
	// Recipient is the Recipient of the confirmation Check accepted ("" before Check).
	Recipient string
	// NotBefore and NotOnOrAfter are the Conditions' window (zero when absent).
	NotBefore, NotOnOrAfter time.Time
	// Audiences are the Audience values of every AudienceRestriction.
	Audiences []string
	// HasAudienceRestriction says the Conditions restrict the audience at all.
	HasAudienceRestriction bool
	// SessionNotOnOrAfter is the AuthnStatement's limit on the session (zero when absent).
	SessionNotOnOrAfter time.Time
	// Attributes maps each Attribute Name to its values, in document order.
	Attributes map[string][]string
	// Verified says the assertion was read from signature-verified XML.
	Verified bool
}

// Confirmation is a bearer SubjectConfirmationData.
type Confirmation struct {
	Recipient    string
	NotOnOrAfter time.Time
}

// Attribute returns the values of the attribute named name.
func (a *Assertion) Attribute(name string) []string { return a.Attributes[name] }

// Decode reads the base64 SAMLAssertion parameter into the samlp:Response it encodes.
// A document type declaration is refused: SAML has no use for one, and it is where entity
// tricks live.
func Decode(b64 string) (*etree.Element, error) {
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, b64)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, fail(Malformed, "Invalid SAML response: the SAMLAssertion is not base64")
		}
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, fail(Malformed, "Invalid SAML response: the SAMLAssertion is not well-formed XML")
	}
	for _, tok := range doc.Child {
		if d, ok := tok.(*etree.Directive); ok && strings.HasPrefix(strings.TrimSpace(d.Data), "DOCTYPE") {
			return nil, fail(Malformed, "Invalid SAML response: a document type declaration is not allowed")
		}
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != NSProtocol {
		return nil, fail(Malformed, "Invalid SAML response: the document is not a SAML 2.0 protocol Response")
	}
	return root, nil
}

// children returns el's child elements named tag in namespace ns.
func children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

func child(el *etree.Element, ns, tag string) *etree.Element {
	if cs := children(el, ns, tag); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// assertionOf returns the Response's one Assertion or EncryptedAssertion child, and
// whether it is encrypted.
func assertionOf(resp *etree.Element) (*etree.Element, bool, error) {
	as := children(resp, NSAssertion, "Assertion")
	es := children(resp, NSAssertion, "EncryptedAssertion")
	switch {
	case len(as) == 1 && len(es) == 0:
		return as[0], false, nil
	case len(as) == 0 && len(es) == 1:
		return es[0], true, nil
	}
	return nil, false, fail(Malformed, "Invalid SAML response: the Response must contain exactly one Assertion")
}

// checkStatus refuses a Response whose Status is not Success (saml-core §3.2.2.2).
func checkStatus(resp *etree.Element) error {
	st := child(resp, NSProtocol, "Status")
	if st == nil {
		return nil
	}
	code := child(st, NSProtocol, "StatusCode")
	if code == nil || code.SelectAttrValue("Value", "") != statusSuccess {
		return fail(IdPRejected, "The identity provider reported that authentication failed: the Response status is not Success")
	}
	return nil
}

// Keys are what Verify checks a response with: the provider's metadata certificates, and
// the private keys (IAM's AddPrivateKey) its assertions may be encrypted to.
type Keys struct {
	Certificates []*x509.Certificate
	Decryption   []*rsa.PrivateKey
	// RequireEncryption refuses a plaintext Assertion (AssertionEncryptionMode Required).
	RequireEncryption bool
}

// Verify checks the signatures of resp against the certificates and returns its assertion
// read from the signed bytes only. Either the Response or the Assertion must carry an
// enveloped signature; every signature present must verify. An EncryptedAssertion is
// decrypted after the Response's signature is checked (it covers the ciphertext) and
// before the Assertion's (which is inside it). now decides whether a certificate is within
// its validity period.
func Verify(resp *etree.Element, k Keys, now time.Time) (*Assertion, error) {
	if err := checkStatus(resp); err != nil {
		return nil, err
	}
	a, encrypted, err := assertionOf(resp)
	if err != nil {
		return nil, err
	}
	if len(k.Certificates) == 0 {
		return nil, fail(BadSignature, "Response signature invalid")
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: k.Certificates})
	vc.Clock = dsig.NewFakeClockAt(now)
	respSigned := len(children(resp, nsDSig, "Signature")) > 0
	if respSigned {
		signed, err := validate(vc, resp)
		if err != nil {
			return nil, err
		}
		// From here on only the signed copy is read: the status, and the assertion in it.
		if err := checkStatus(signed); err != nil {
			return nil, err
		}
		if a, encrypted, err = assertionOf(signed); err != nil {
			return nil, err
		}
	}
	switch {
	case encrypted:
		if a, err = decrypt(a, k.Decryption); err != nil {
			return nil, err
		}
	case k.RequireEncryption:
		return nil, fail(Encrypted, "Invalid SAML response: the SAML provider requires encrypted assertions")
	}
	assertionSigned := len(children(a, nsDSig, "Signature")) > 0
	if !respSigned && !assertionSigned {
		return nil, fail(BadSignature, "Response signature invalid")
	}
	if assertionSigned {
		if a, err = validate(vc, a); err != nil {
			return nil, err
		}
	}
	out, err := parseAssertion(a)
	if err != nil {
		return nil, err
	}
	out.Verified = true
	return out, nil
}

// errDecrypt is every failure to decrypt, alike: which step failed (the key, the padding,
// the XML inside) is what oracle attacks on XML Encryption learn from.
var errDecrypt = fail(Encrypted, "Invalid SAML response: the encrypted assertion could not be decrypted")

// decrypt opens an EncryptedAssertion (saml-core §2.3.4) with the first of keys that
// works, using crewjam/saml's xmlenc: RSA-OAEP key transport of an AES-GCM or AES-CBC
// content key, the EncryptedKey inside the EncryptedData's KeyInfo or beside it. xmlenc
// refuses RSA 1.5 key transport (a Bleichenbacher padding oracle) and 3DES. The plaintext must be one saml:Assertion; it inherits the namespace
// declarations in scope at the EncryptedAssertion.
func decrypt(enc *etree.Element, keys []*rsa.PrivateKey) (*etree.Element, error) {
	data := child(enc, nsXEnc, "EncryptedData")
	if data == nil || len(keys) == 0 {
		return nil, errDecrypt
	}
	sibling := child(enc, nsXEnc, "EncryptedKey")
	var plain []byte
	for _, key := range keys {
		var err error
		if sibling == nil {
			plain, err = xmlenc.Decrypt(key, data)
		} else {
			var cek any
			if cek, err = xmlenc.Decrypt(key, sibling); err == nil {
				plain, err = xmlenc.Decrypt(cek, data)
			}
		}
		if err == nil {
			break
		}
		plain = nil
	}
	if plain == nil {
		return nil, errDecrypt
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(plain); err != nil || doc.Root() == nil {
		return nil, errDecrypt
	}
	root := doc.Root()
	ctx, err := etreeutils.NSBuildParentContext(enc)
	if err == nil {
		ctx, err = ctx.SubContext(enc)
	}
	if err != nil {
		return nil, errDecrypt
	}
	for prefix, ns := range ctx.Prefixes() {
		if prefix == "xml" || prefix == "xmlns" || ns == etreeutils.XMLNamespace {
			continue // the context's built-in entries, not declarations
		}
		key := "xmlns:" + prefix
		if prefix == "" {
			key = "xmlns"
		}
		if root.SelectAttr(key) == nil {
			root.CreateAttr(key, ns)
		}
	}
	if root.Tag != "Assertion" || root.NamespaceURI() != NSAssertion {
		return nil, errDecrypt
	}
	return root, nil
}

// validate verifies the enveloped signature of el, detached from its document with the
// namespace declarations it inherits, and returns the signed element as goxmldsig
// re-parsed it from the canonical bytes it verified.
func validate(vc *dsig.ValidationContext, el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, fail(Malformed, "Invalid SAML response: undeclared namespace prefix")
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, fail(Malformed, "Invalid SAML response: undeclared namespace prefix")
	}
	signed, err := vc.Validate(detached)
	if err != nil || signed == nil {
		return nil, fail(BadSignature, "Response signature invalid")
	}
	return signed, nil
}

// Read returns resp's assertion without checking any signature. It exists for emulator
// mode's moto compatibility only (moto accepts any assertion); nothing read this way may
// be trusted.
func Read(resp *etree.Element) (*Assertion, error) {
	a, encrypted, err := assertionOf(resp)
	if err != nil {
		return nil, err
	}
	if encrypted {
		return nil, fail(Encrypted, "Invalid SAML response: an encrypted assertion cannot be read without the provider's key")
	}
	return parseAssertion(a)
}

// parseTime reads an xs:dateTime attribute ("" is the zero time).
func parseTime(el *etree.Element, attr string) (time.Time, error) {
	v := strings.TrimSpace(el.SelectAttrValue(attr, ""))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fail(Malformed, "Invalid SAML response: "+el.Tag+" "+attr+" is not a dateTime")
	}
	return t.UTC(), nil
}

// parseAssertion reads the parts of a saml:Assertion (saml-core §2.3.3) that STS uses.
func parseAssertion(el *etree.Element) (*Assertion, error) {
	a := &Assertion{ID: el.SelectAttrValue("ID", ""), Attributes: map[string][]string{}}
	if v := el.SelectAttrValue("Version", "2.0"); v != "2.0" {
		return nil, fail(Malformed, "Invalid SAML response: the Assertion is not SAML 2.0")
	}
	iss := child(el, NSAssertion, "Issuer")
	if iss == nil {
		return nil, fail(Malformed, "Invalid SAML response: the Assertion has no Issuer")
	}
	a.Issuer = strings.TrimSpace(iss.Text())
	var err error
	if a.IssueInstant, err = parseTime(el, "IssueInstant"); err != nil {
		return nil, err
	}
	if subj := child(el, NSAssertion, "Subject"); subj != nil {
		if id := child(subj, NSAssertion, "NameID"); id != nil {
			a.Subject = strings.TrimSpace(id.Text())
			a.SubjectFormat = id.SelectAttrValue("Format", FormatUnspecified)
		}
		for _, sc := range children(subj, NSAssertion, "SubjectConfirmation") {
			if sc.SelectAttrValue("Method", "") != methodBearer {
				continue
			}
			for _, d := range children(sc, NSAssertion, "SubjectConfirmationData") {
				t, err := parseTime(d, "NotOnOrAfter")
				if err != nil {
					return nil, err
				}
				a.Confirmations = append(a.Confirmations, Confirmation{Recipient: d.SelectAttrValue("Recipient", ""), NotOnOrAfter: t})
			}
		}
	}
	if cond := child(el, NSAssertion, "Conditions"); cond != nil {
		var err error
		if a.NotBefore, err = parseTime(cond, "NotBefore"); err != nil {
			return nil, err
		}
		if a.NotOnOrAfter, err = parseTime(cond, "NotOnOrAfter"); err != nil {
			return nil, err
		}
		for _, ar := range children(cond, NSAssertion, "AudienceRestriction") {
			a.HasAudienceRestriction = true
			for _, au := range children(ar, NSAssertion, "Audience") {
				a.Audiences = append(a.Audiences, strings.TrimSpace(au.Text()))
			}
		}
	}
	for _, as := range children(el, NSAssertion, "AuthnStatement") {
		t, err := parseTime(as, "SessionNotOnOrAfter")
		if err != nil {
			return nil, err
		}
		if !t.IsZero() && (a.SessionNotOnOrAfter.IsZero() || t.Before(a.SessionNotOnOrAfter)) {
			a.SessionNotOnOrAfter = t
		}
	}
	for _, st := range children(el, NSAssertion, "AttributeStatement") {
		for _, at := range children(st, NSAssertion, "Attribute") {
			name := at.SelectAttrValue("Name", "")
			if name == "" {
				continue
			}
			vals := a.Attributes[name]
			for _, v := range children(at, NSAssertion, "AttributeValue") {
				vals = append(vals, strings.TrimSpace(v.Text()))
			}
			a.Attributes[name] = vals
		}
	}
	return a, nil
}

// Expect is what Check holds an assertion to.
type Expect struct {
	// EntityID is the IdP's entity ID from its metadata; the Issuer must equal it.
	EntityID string
	Now      time.Time
	// Audiences are the accepted Audience values; Recipients the accepted Recipient URLs
	// (AWS's sign-in endpoints).
	Audiences  []string
	Recipients []string
}

// ClockSkew is how far ahead of this server an IdP's clock may be: an assertion whose
// NotBefore (or IssueInstant) is at most this far in the future is accepted.
const ClockSkew = 5 * time.Minute

// MaxAge is how long after its IssueInstant STS takes an assertion, however long its
// Conditions and SubjectConfirmationData allow: STS refuses a later one with
// ExpiredTokenException "Token must be redeemed within 5 minutes of issuance" (as AWS
// answers, e.g. Nike-Inc/gimme-aws-creds#251, physera/onelogin-aws-cli#64). It bounds
// the replay of a captured assertion whose IdP grants it a long validity.
const MaxAge = 5 * time.Minute

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Check applies the rules AWS documents for the assertion
// (id_roles_providers_create_saml_assertions.html): the Issuer is the provider's entity
// ID; it was issued at most MaxAge ago; the Conditions window holds now; AWS is among the
// Audiences; a bearer SubjectConfirmationData names AWS's sign-in endpoint as Recipient
// and has not expired.
func (a *Assertion) Check(e Expect) error {
	if a.Issuer != e.EntityID {
		return fail(Rejected, "Issuer not present in specified provider")
	}
	// IssueInstant is required of an Assertion (saml-core §2.3.3).
	if a.IssueInstant.IsZero() {
		return fail(Malformed, "Invalid SAML response: the Assertion has no IssueInstant")
	}
	if a.IssueInstant.After(e.Now.Add(ClockSkew)) {
		return fail(Rejected, "Invalid SAML response: the assertion was issued in the future (IssueInstant)")
	}
	if e.Now.Sub(a.IssueInstant) > MaxAge {
		return fail(Expired, "Token must be redeemed within 5 minutes of issuance") // AWS's text
	}
	if !a.NotBefore.IsZero() && e.Now.Add(ClockSkew).Before(a.NotBefore) {
		return fail(Rejected, "Invalid SAML response: the assertion is not yet valid (Conditions NotBefore)")
	}
	if !a.NotOnOrAfter.IsZero() && !e.Now.Before(a.NotOnOrAfter) {
		return fail(Expired, "Invalid SAML response: the assertion has expired (Conditions NotOnOrAfter)")
	}
	aud := false
	for _, v := range a.Audiences {
		if contains(e.Audiences, v) {
			aud = true
			break
		}
	}
	if !aud {
		return fail(Rejected, "Response does not contain the required audience.")
	}
	var expired, found bool
	for _, c := range a.Confirmations {
		if !contains(e.Recipients, c.Recipient) {
			continue
		}
		if c.NotOnOrAfter.IsZero() {
			continue // AWS requires both Recipient and NotOnOrAfter
		}
		if !e.Now.Before(c.NotOnOrAfter) {
			expired = true
			continue
		}
		found = true
		a.Recipient = c.Recipient
		break
	}
	switch {
	case found:
	case expired:
		return fail(Expired, "Invalid SAML response: the subject confirmation has expired (SubjectConfirmationData NotOnOrAfter)")
	default:
		return fail(Rejected, "Invalid SAML response: no bearer SubjectConfirmationData has an AWS sign-in Recipient and a NotOnOrAfter")
	}
	if !a.SessionNotOnOrAfter.IsZero() && !e.Now.Before(a.SessionNotOnOrAfter) {
		return fail(Expired, "Invalid SAML response: the session has expired (AuthnStatement SessionNotOnOrAfter)")
	}
	return nil
}
