package server

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"sort"
	"strconv"
	"strings"

	"gatehouse/internal/authz"
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
	"gatehouse/internal/samlauth"
	"gatehouse/internal/sts"
)

// The attributes AssumeRoleWithSAML reads
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html,
// id_session-tags.html#id_session-tags_adding-assume-role-saml).
const (
	samlAttrRole              = "https://aws.amazon.com/SAML/Attributes/Role"
	samlAttrRoleSessionName   = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	samlAttrSessionDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	samlAttrSourceIdentity    = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	samlAttrPrincipalTag      = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	samlAttrTransitiveTagKeys = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
	nameIDFormatPrefix        = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
	samlAudienceURN           = "urn:amazon:webservices"
	msgSAMLNotAuthorized      = "Not authorized to perform sts:AssumeRoleWithSAML"
	msgSAMLNoProvider         = "Specified provider doesn't exist."
)

// samlAttributeKeys maps the assertion attributes AWS exposes to trust policies to their
// condition keys ("Mapping SAML attributes to AWS trust policy context keys",
// id_roles_providers_create_saml_assertions.html#saml-attribute-mapping;
// reference_policies_iam-condition-keys.html#condition-keys-saml). A multi-valued
// attribute becomes a multi-valued key, for ForAnyValue/ForAllValues.
var samlAttributeKeys = map[string]string{
	// eduPerson and eduOrg
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  "SAML:edupersonaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.2":  "SAML:edupersonnickname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.3":  "SAML:edupersonorgdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.4":  "SAML:edupersonorgunitdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.5":  "SAML:edupersonprimaryaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  "SAML:edupersonprincipalname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.7":  "SAML:edupersonentitlement",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.8":  "SAML:edupersonprimaryorgunitdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.9":  "SAML:edupersonscopedaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "SAML:edupersontargetedid",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "SAML:edupersonassurance",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.2":  "SAML:eduorghomepageuri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.3":  "SAML:eduorgidentityauthnpolicyuri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.4":  "SAML:eduorglegalname",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.5":  "SAML:eduorgsuperioruri",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.6":  "SAML:eduorgwhitepagesuri",
	// Active Directory
	"http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid": "SAML:primaryGroupSID",
	"http://schemas.xmlsoap.org/claims/CommonName":                            "SAML:commonName",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname":         "SAML:givenName",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":           "SAML:surname",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress":      "SAML:mail",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":              "SAML:name",
	// X.500
	"urn:oid:2.5.4.3":                    "SAML:cn",
	"urn:oid:2.5.4.45":                   "SAML:x500UniqueIdentifier",
	"urn:oid:0.9.2342.19200300.100.1.1":  "SAML:uid",
	"urn:oid:0.9.2342.19200300.100.1.45": "SAML:organizationStatus",
}

// samlEndpoints are the sign-in URLs an assertion for this server may name as its
// Recipient, and the Audience values it accepts: AWS's global endpoint, the regional one
// of the region it serves, and (Audience only) AWS's SAML entity ID. With providerID (the
// provider's SAMLProviderUUID) the URLs also take the form …/saml/acs/IdP-ID that an IdP
// encrypting assertions uses (id_roles_providers_create_saml_assertions.html).
func (s *Server) samlEndpoints(providerID string) (recipients, audiences []string) {
	bases := []string{"https://signin.aws.amazon.com/saml", "https://" + s.cfg.Region + ".signin.aws.amazon.com/saml"}
	if strings.HasPrefix(s.cfg.Region, "cn-") {
		bases = append(bases, "https://signin.amazonaws.cn/saml", "https://"+s.cfg.Region+".signin.amazonaws.cn/saml")
	}
	recipients = bases
	if providerID != "" {
		for _, b := range bases {
			recipients = append(recipients, b+"/acs/"+providerID)
		}
	}
	return recipients, append([]string{samlAudienceURN}, recipients...)
}

// samlError answers a refused assertion with STS's error: a claim that has expired is
// ExpiredTokenException; a Response in which the IdP reports failure, IDPRejectedClaim
// ("The identity provider (IdP) reported that authentication failed"); anything else about
// the assertion, InvalidIdentityToken (troubleshoot_saml.html, API_AssumeRoleWithSAML.html).
func samlError(err error) error {
	var se *samlauth.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Reason {
	case samlauth.Expired:
		return stsapi.ExpiredTokenException("%s", se.Msg)
	case samlauth.IdPRejected:
		return stsapi.IDPRejectedClaim("%s", se.Msg)
	}
	return stsapi.InvalidIdentityToken("%s", se.Msg)
}

// samlProviderName splits arn:PARTITION:iam::ACCOUNT:saml-provider/NAME.
func samlProviderName(arn string) (partition, account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "saml-provider/") {
		return "", "", "", false
	}
	return parts[1], parts[4], strings.TrimPrefix(parts[5], "saml-provider/"), true
}

// rolePairListed reports whether a Role attribute value names the pair "ROLE,PROVIDER"
// (AWS accepts either order).
func rolePairListed(values []string, roleARN, providerARN string) bool {
	for _, v := range values {
		a, b, ok := strings.Cut(v, ",")
		if !ok {
			continue
		}
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if (a == roleARN && b == providerARN) || (a == providerARN && b == roleARN) {
			return true
		}
	}
	return false
}

// subjectType is SubjectType and SAML:sub_type: the NameID format with SAML 2.0's
// nameid-format prefix removed (persistent, transient), any other format as it is
// (API_AssumeRoleWithSAML.html).
func subjectType(format string) string {
	return strings.TrimPrefix(format, nameIDFormatPrefix)
}

// nameQualifier is BASE64(SHA1(Issuer + ACCOUNT + "/" + PROVIDER NAME))
// (API_AssumeRoleWithSAML.html, NameQualifier).
func nameQualifier(issuer, account, provider string) string {
	h := sha1.Sum([]byte(issuer + account + "/" + provider))
	return base64.StdEncoding.EncodeToString(h[:])
}

// samlEmulatedRoleID stands in for the ID of a role that does not exist, in emulator mode with
// enforcement off only (moto assumes any role ARN): AROA and 17 characters derived from the
// ARN, so the same ARN always gets the same ID. Such a session has no permissions.
func samlEmulatedRoleID(arn string) string {
	h := sha256.Sum256([]byte(arn))
	return "AROA" + base32.StdEncoding.EncodeToString(h[:])[:17]
}

// assumeRoleWithSAML runs AssumeRoleWithSAML
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html): the
// assertion, not a signature, proves who calls, so a signed request is treated as an
// unsigned one. The response (or its assertion) must be signed by a certificate of the
// PrincipalArn provider's metadata, issued by its entity ID, addressed to AWS and current;
// its Role attribute must pair RoleArn with PrincipalArn. Then the policy engine decides
// sts:AssumeRoleWithSAML — and sts:TagSession, sts:SetSourceIdentity when the assertion
// uses them — for the provider as a federated principal, with the role's trust policy as
// the only policy (id_roles_providers_saml.html) and the SAML:* keys of the assertion.
//
// Emulator mode with --enforce off accepts what moto accepts: an unsigned or unverifiable
// assertion, for a provider or role that does not exist; the assertion is still read for
// the session name and duration.
func (s *Server) assumeRoleWithSAML(c *call, in *stsapi.AssumeRoleWithSAMLInput) (*stsapi.AssumeRoleWithSAMLOutput, error) {
	ctx := c.r.Context()
	if c.caller == nil && s.emu != nil {
		// An unsigned call is counted against moto's no-auth window like any other request.
		c.enforce, c.fullAuth = s.emu.admit()
	}
	lenient := s.emu != nil && c.enforce == Off
	roleARN := *in.RoleArn
	acct, ok := roleAccount(roleARN)
	if !ok {
		return nil, awserr.ValidationError("%s is invalid", roleARN)
	}
	a, fed, err := s.verifySAML(c, in, lenient)
	if err != nil {
		return nil, err
	}
	if !lenient && !rolePairListed(a.Attribute(samlAttrRole), roleARN, *in.PrincipalArn) {
		return nil, awserr.AccessDenied(msgSAMLNotAuthorized)
	}
	if fed.Account == "" { // emulator mode: a PrincipalArn that names no provider
		fed.Account = acct
	}
	claims, err := samlClaims(a)
	if err != nil {
		return nil, err
	}
	role, err := s.source(ctx, acct, roleARN)
	exists := err == nil && role.trust != nil && strings.EqualFold(role.arn, roleARN)
	if err != nil && !errors.Is(err, errNoSource) {
		return nil, err
	}
	part, _, _ := strings.Cut(strings.TrimPrefix(roleARN, "arn:"), ":")
	stsRole := &sts.Role{ARN: roleARN, ID: samlEmulatedRoleID(roleARN), Account: acct, Partition: part, MaxSessionDuration: 43200}
	if exists {
		stsRole.ARN, stsRole.ID, stsRole.MaxSessionDuration = role.arn, role.uniqueID, role.maxDuration
	} else if !lenient {
		return nil, awserr.AccessDenied(msgSAMLNotAuthorized)
	}
	facts := samlFacts{
		recipient:     samlRecipient(a),
		subjectType:   subjectType(a.SubjectFormat),
		nameQualifier: nameQualifier(a.Issuer, fed.Account, fed.Name),
	}
	// The keys a role's permissions policies may test in the session's requests
	// (reference_policies_iam-condition-keys.html#condition-keys-saml_permission-policy).
	claims.ProviderKeys = []sts.ProviderKey{
		{Key: "saml:namequalifier", Values: []string{facts.nameQualifier}},
		{Key: "saml:sub", Values: []string{a.Subject}},
		{Key: "saml:sub_type", Values: []string{facts.subjectType}},
	}
	plan, err := s.sts.AssumeRoleWithSAML(stsRole, in, claims)
	if err != nil {
		return nil, err
	}
	if exists {
		if err := s.authorizeSAML(c, &fed, a, &facts, plan, role.trust); err != nil {
			return nil, err
		}
	}
	cr, err := s.sts.Issue(plan)
	if err != nil {
		return nil, err
	}
	if exists {
		s.iam.RecordRoleUse(stsRole.ARN, s.cfg.Region, s.cfg.Now())
	}
	out := &stsapi.AssumeRoleWithSAMLOutput{
		Credentials:     credentialsOut(cr),
		AssumedRoleUser: &stsapi.AssumedRoleUser{AssumedRoleId: plan.UserID(), Arn: plan.ARN()},
		Subject:         &a.Subject,
		SubjectType:     &facts.subjectType,
		Issuer:          &a.Issuer,
		Audience:        &facts.recipient,
		NameQualifier:   &facts.nameQualifier,
	}
	if plan.HasSessionPolicy() || len(plan.Tags) > 0 {
		n := int32(plan.PackedPolicySize)
		out.PackedPolicySize = &n
	}
	if plan.SourceIdentity != "" {
		out.SourceIdentity = &plan.SourceIdentity
	}
	return out, nil
}

// verifySAML decodes the SAMLAssertion and verifies it against the PrincipalArn provider:
// its signature with the metadata's certificates (decrypting it with the provider's keys
// when it is encrypted), then its issuer, audience, recipient and validity. It returns the
// assertion and the provider as a federated principal. lenient (emulator mode, enforcement
// off) falls back to reading an assertion that does not verify, or whose provider does not
// exist, as moto does.
func (s *Server) verifySAML(c *call, in *stsapi.AssumeRoleWithSAMLInput, lenient bool) (*samlauth.Assertion, authz.Principal, error) {
	fed := authz.Principal{Kind: authz.WebIdentity, ARN: *in.PrincipalArn}
	fed.Partition, fed.Account, fed.Name, _ = samlProviderName(fed.ARN)
	resp, err := samlauth.Decode(*in.SAMLAssertion)
	if err != nil {
		return nil, fed, samlError(err)
	}
	prov, err := s.iam.SAMLProvider(c.r.Context(), fed.ARN)
	var ae *awserr.Error
	var a *samlauth.Assertion
	switch {
	case err == nil:
		fed.ARN = prov.ARN
		fed.Partition, fed.Account, fed.Name, _ = samlProviderName(prov.ARN)
		now := s.cfg.Now()
		keys := samlauth.Keys{Certificates: prov.Metadata.SigningCertificates, RequireEncryption: prov.EncryptionRequired,
			Decryption: rsaKeys(prov.PrivateKeys)}
		if a, err = samlauth.Verify(resp, keys, now); err == nil {
			var id string
			if id, err = s.samlProviderID(c, a, prov.ARN); err == nil {
				recipients, audiences := s.samlEndpoints(id)
				err = a.Check(samlauth.Expect{EntityID: prov.Metadata.EntityID, Now: now, Audiences: audiences, Recipients: recipients})
			}
		}
	case errors.As(err, &ae) && ae.Code == "NoSuchEntity":
		err = stsapi.InvalidIdentityToken(msgSAMLNoProvider)
	default:
		return nil, fed, err
	}
	if err != nil {
		if !lenient {
			return nil, fed, samlError(err)
		}
		if a, err = samlauth.Read(resp); err != nil {
			return nil, fed, samlError(err)
		}
	}
	return a, fed, nil
}

// samlProviderID is the provider's SAMLProviderUUID when the assertion names a
// …/saml/acs/IdP-ID Recipient, "" otherwise (sparing the common case a store read).
func (s *Server) samlProviderID(c *call, a *samlauth.Assertion, arn string) (string, error) {
	for _, cf := range a.Confirmations {
		if strings.Contains(cf.Recipient, "/saml/acs/") {
			return s.iam.SAMLProviderUUID(c.r.Context(), arn)
		}
	}
	return "", nil
}

// samlRecipient is AssumeRoleWithSAML's Audience and SAML:aud: the Recipient of the bearer
// confirmation the verification accepted, or (emulator mode, unverified) the first one.
func samlRecipient(a *samlauth.Assertion) string {
	if a.Recipient == "" && len(a.Confirmations) > 0 {
		return a.Confirmations[0].Recipient
	}
	return a.Recipient
}

// samlFacts are the values derived from the assertion that both the answer and the trust
// policy's condition keys carry.
type samlFacts struct {
	recipient, subjectType, nameQualifier string
}

// authorizeSAML decides sts:AssumeRoleWithSAML for the federated principal fed on the
// role's trust policy — and sts:TagSession, sts:SetSourceIdentity when the session has tags
// or a source identity — with the SAML condition keys of the assertion
// (reference_policies_iam-condition-keys.html#condition-keys-saml). A federated caller has
// no identity policies: only the trust policy can allow.
func (s *Server) authorizeSAML(c *call, fed *authz.Principal, a *samlauth.Assertion, f *samlFacts, plan *sts.Session, trust *authz.ResourceSet) error {
	cond := authz.NewContext(fed, nil)
	s.globalKeys(cond, c)
	cond.Set("SAML:aud", f.recipient)
	cond.Set("SAML:iss", a.Issuer)
	cond.Set("SAML:sub", a.Subject)
	cond.Set("SAML:sub_type", f.subjectType)
	cond.Set("SAML:namequalifier", f.nameQualifier)
	cond.Set("SAML:doc", fed.Account+"/"+fed.Name)
	for name, key := range samlAttributeKeys {
		if vs := a.Attribute(name); len(vs) > 0 {
			cond.SetMulti(key, vs)
		}
	}
	sessionRequestKeys(cond, plan, plan.SourceIdentity)
	req := authz.Request{Principal: fed, Resource: plan.SourceARN, ResourceAccount: plan.Account, Context: cond, Resources: trust}
	return s.decideSession(c, &req, "sts:AssumeRoleWithSAML", len(plan.Tags) > 0, plan.SourceIdentity != "",
		func(action string, _ *authz.Result) error {
			return awserr.AccessDenied("Not authorized to perform " + action)
		})
}

// samlClaims collects what the session takes from the assertion.
func samlClaims(a *samlauth.Assertion) (*sts.SAMLClaims, error) {
	cl := &sts.SAMLClaims{SessionNotOnOrAfter: a.SessionNotOnOrAfter}
	if vs := a.Attribute(samlAttrRoleSessionName); len(vs) > 0 {
		cl.SessionName = vs[0]
	}
	if vs := a.Attribute(samlAttrSourceIdentity); len(vs) > 0 {
		cl.SourceIdentity = vs[0]
	}
	if vs := a.Attribute(samlAttrSessionDuration); len(vs) > 0 {
		n, err := strconv.Atoi(vs[0])
		if err != nil || n < sts.MinDuration || n > 43200 {
			return nil, stsapi.InvalidIdentityToken("SessionDuration in AuthnResponse must be a number of seconds from 900 to 43200")
		}
		cl.SessionDuration = n
	}
	names := make([]string, 0, len(a.Attributes))
	for name := range a.Attributes {
		names = append(names, name)
	}
	sort.Strings(names) // tags in a stable order, whatever the map's
	for _, name := range names {
		key, ok := strings.CutPrefix(name, samlAttrPrincipalTag)
		vs := a.Attributes[name]
		if !ok || key == "" || len(vs) == 0 {
			continue
		}
		k, v := key, vs[0]
		cl.Tags = append(cl.Tags, stsapi.Tag{Key: &k, Value: &v})
	}
	cl.TransitiveTagKeys = a.Attribute(samlAttrTransitiveTagKeys)
	return cl, nil
}

// rsaKeys parses a SAML provider's decryption keys (PEM, as IAM's AddPrivateKey stored
// them). XML Encryption's key transport is RSA, so another kind of key decrypts nothing
// and is left out.
func rsaKeys(pems []string) []*rsa.PrivateKey {
	var out []*rsa.PrivateKey
	for _, p := range pems {
		b, _ := pem.Decode([]byte(p))
		if b == nil {
			continue
		}
		var k any
		var err error
		if b.Type == "RSA PRIVATE KEY" {
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		} else {
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		}
		if rk, ok := k.(*rsa.PrivateKey); ok && err == nil {
			out = append(out, rk)
		}
	}
	return out
}
