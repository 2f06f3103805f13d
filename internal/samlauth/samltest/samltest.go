// Package samltest is a SAML 2.0 identity provider for tests: a key and a self-signed
// certificate, the IdP metadata IAM's CreateSAMLProvider takes, and authentication
// responses signed with goxmldsig as an IdP signs them (enveloped, exclusive c14n,
// RSA-SHA256). The unit tests of samlauth and the end-to-end tests of AssumeRoleWithSAML
// share it; nothing in the server imports it.
package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"
)

const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	// AWSRecipient is AWS's global sign-in endpoint, the Recipient and an Audience AWS accepts.
	AWSRecipient = "https://signin.aws.amazon.com/saml"
	// AttrRole, AttrRoleSessionName, AttrSessionDuration and AttrSourceIdentity are the
	// attributes AWS reads (id_roles_providers_create_saml_assertions.html).
	AttrRole            = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity  = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	FormatPersistent    = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
)

// IdP is a test identity provider.
type IdP struct {
	EntityID string
	Key      *rsa.PrivateKey
	Cert     *x509.Certificate
}

// NewIdP makes an IdP with a fresh 2048-bit RSA key and a self-signed certificate valid
// from an hour ago for a year.
func NewIdP(entityID string) (*IdP, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "gatehouse test IdP"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &IdP{EntityID: entityID, Key: key, Cert: cert}, nil
}

// Metadata is the IdP's SAML 2.0 metadata document (saml-metadata-2.0-os).
func (p *IdP) Metadata() string {
	return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="` + p.EntityID + `">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` +
		base64.StdEncoding.EncodeToString(p.Cert.Raw) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
}

// KeyPEM is the private key as PEM (PKCS #1), the form IAM's AddPrivateKey takes: an
// IdP value doubles as the service provider's encryption key pair in tests.
func (p *IdP) KeyPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p.Key)}))
}

// Attribute is one saml:Attribute.
type Attribute struct {
	Name   string
	Values []string
}

// Response describes an authentication response; zero fields take sensible values.
type Response struct {
	ID, AssertionID string
	Issuer          string // the IdP's entity ID when ""
	Subject         string
	SubjectFormat   string // persistent when ""
	Recipient       string // AWSRecipient when ""
	Audience        string // AWSRecipient when ""
	// Now is the issue instant (time.Now when zero); NotBefore and NotOnOrAfter default to
	// Now-1m and Now+5m, the confirmation's NotOnOrAfter to NotOnOrAfter.
	Now                 time.Time
	NotBefore           time.Time
	NotOnOrAfter        time.Time
	SessionNotOnOrAfter time.Time
	Attributes          []Attribute
	// Status is the StatusCode (Success when "").
	Status string
	// EncryptTo, when set, encrypts the (signed) assertion to this certificate's key as an
	// EncryptedAssertion: RSA-OAEP key transport of an AES-256-GCM key, or AES-256-CBC
	// when EncryptCBC is set (saml-core §2.3.4, xmlenc-core).
	EncryptTo  *x509.Certificate
	EncryptCBC bool
}

// Sign says which elements carry an enveloped signature.
type Sign uint8

const (
	SignNone Sign = iota
	SignResponse
	SignAssertion
	SignBoth
)

func (p *IdP) signer() (*dsig.SigningContext, error) {
	ctx, err := dsig.NewSigningContext(p.Key, [][]byte{p.Cert.Raw})
	if err != nil {
		return nil, err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	return ctx, nil
}

// signEnveloped signs el and moves the signature after its Issuer, where the SAML schema
// puts it.
func (p *IdP) signEnveloped(el *etree.Element) (*etree.Element, error) {
	ctx, err := p.signer()
	if err != nil {
		return nil, err
	}
	// ConstructSignature rather than SignEnveloped: the latter appends the signature
	// without making el its parent, so it could not be moved after the Issuer.
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		return nil, err
	}
	el.InsertChildAt(1, sig)
	return el, nil
}

// Build returns the response XML, signed as sign says.
func (p *IdP) Build(r Response, sign Sign) (string, error) {
	if r.Now.IsZero() {
		r.Now = time.Now()
	}
	if r.NotBefore.IsZero() {
		r.NotBefore = r.Now.Add(-time.Minute)
	}
	if r.NotOnOrAfter.IsZero() {
		r.NotOnOrAfter = r.Now.Add(5 * time.Minute)
	}
	if r.ID == "" {
		r.ID = fmt.Sprintf("_r%d", r.Now.UnixNano())
	}
	if r.AssertionID == "" {
		r.AssertionID = fmt.Sprintf("_a%d", r.Now.UnixNano())
	}
	if r.Issuer == "" {
		r.Issuer = p.EntityID
	}
	if r.SubjectFormat == "" {
		r.SubjectFormat = FormatPersistent
	}
	if r.Recipient == "" {
		r.Recipient = AWSRecipient
	}
	if r.Audience == "" {
		r.Audience = AWSRecipient
	}
	if r.Status == "" {
		r.Status = "urn:oasis:names:tc:SAML:2.0:status:Success"
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", nsAssertion)
	a.CreateAttr("ID", r.AssertionID)
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", ts(r.Now))
	a.CreateElement("saml:Issuer").SetText(r.Issuer)
	subj := a.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", r.SubjectFormat)
	nid.SetText(r.Subject)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("NotOnOrAfter", ts(r.NotOnOrAfter))
	scd.CreateAttr("Recipient", r.Recipient)
	cond := a.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", ts(r.NotBefore))
	cond.CreateAttr("NotOnOrAfter", ts(r.NotOnOrAfter))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(r.Audience)
	as := a.CreateElement("saml:AttributeStatement")
	for _, at := range r.Attributes {
		e := as.CreateElement("saml:Attribute")
		e.CreateAttr("Name", at.Name)
		for _, v := range at.Values {
			e.CreateElement("saml:AttributeValue").SetText(v)
		}
	}
	an := a.CreateElement("saml:AuthnStatement")
	an.CreateAttr("AuthnInstant", ts(r.Now))
	if !r.SessionNotOnOrAfter.IsZero() {
		an.CreateAttr("SessionNotOnOrAfter", ts(r.SessionNotOnOrAfter))
	}
	an.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").
		SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	var err error
	if sign == SignAssertion || sign == SignBoth {
		if a, err = p.signEnveloped(a); err != nil {
			return "", err
		}
	}

	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", nsProtocol)
	resp.CreateAttr("xmlns:saml", nsAssertion)
	resp.CreateAttr("ID", r.ID)
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", ts(r.Now))
	resp.CreateAttr("Destination", r.Recipient)
	resp.CreateElement("saml:Issuer").SetText(r.Issuer)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", r.Status)
	if r.EncryptTo != nil {
		plain := etree.NewDocument()
		plain.SetRoot(a)
		b, err := plain.WriteToBytes()
		if err != nil {
			return "", err
		}
		enc := xmlenc.OAEP()
		enc.BlockCipher = xmlenc.AES256GCM
		if r.EncryptCBC {
			enc.BlockCipher = xmlenc.AES256CBC
		}
		data, err := enc.Encrypt(r.EncryptTo, b, nil)
		if err != nil {
			return "", err
		}
		ea := resp.CreateElement("saml:EncryptedAssertion")
		ea.AddChild(data)
	} else {
		resp.AddChild(a)
	}
	if sign == SignResponse || sign == SignBoth {
		if resp, err = p.signEnveloped(resp); err != nil {
			return "", err
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(resp)
	return doc.WriteToString()
}

// Encode is the SAMLAssertion parameter for a response document.
func Encode(doc string) string { return base64.StdEncoding.EncodeToString([]byte(doc)) }
