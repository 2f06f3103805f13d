package sts

import (
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
)

// SAMLClaims are what a verified SAML assertion says that an AssumeRoleWithSAML session
// takes from it (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html).
type SAMLClaims struct {
	// SessionName is the RoleSessionName attribute.
	SessionName string
	// SourceIdentity is the SourceIdentity attribute ("" when absent).
	SourceIdentity string
	// SessionDuration is the SessionDuration attribute in seconds (0 when absent).
	SessionDuration int
	// SessionNotOnOrAfter is the AuthnStatement's end of the session (zero when absent):
	// "Your role session lasts for the duration that you specify … or until the time
	// specified in the SAML authentication response's SessionNotOnOrAfter value, whichever
	// is shorter" (API_AssumeRoleWithSAML.html).
	SessionNotOnOrAfter time.Time
	// Tags are the PrincipalTag:KEY attributes; TransitiveTagKeys the TransitiveTagKeys
	// attribute's values (id_session-tags.html#id_session-tags_adding-assume-role-saml).
	Tags              []stsapi.Tag
	TransitiveTagKeys []string
	// ProviderKeys are the SAML keys a role's permissions policies can test in the
	// session's requests: saml:namequalifier, saml:sub and saml:sub_type
	// (reference_policies_iam-condition-keys.html#condition-keys-saml_permission-policy).
	// aws:FederatedProvider is not among them: AWS documents it for sessions of OIDC
	// providers only (reference_policies_condition-keys.html#condition-keys-federatedprovider).
	ProviderKeys []ProviderKey
}

// Texts STS answers a bad claim with (troubleshoot_saml.html).
const (
	msgSAMLSessionName    = "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"
	msgSAMLNoSessionName  = "RoleSessionName is required in AuthnResponse"
	msgSAMLSourceIdentity = `Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"`
)

// Session tag limits (id_session-tags.html#id_session-tags_know): at most 50 tags, keys
// of 1–128 and values of at most 256 characters. AssumeRole's model checks its Tags
// parameter; tags from assertion attributes are checked here.
const (
	maxSessionTags    = 50
	maxTagKeyLength   = 128
	maxTagValueLength = 256
)

func samlTags(tags []stsapi.Tag) error {
	if len(tags) > maxSessionTags {
		return stsapi.InvalidIdentityToken("The assertion has %d PrincipalTag attributes; a session can have at most %d tags.", len(tags), maxSessionTags)
	}
	for _, t := range tags {
		k, v := deref(t.Key), deref(t.Value)
		// "aws:" is reserved for AWS's own tags (id_session-tags.html#id_session-tags_know),
		// as it is for the tags of a web identity token.
		if len(k) == 0 || len(k) > maxTagKeyLength || len(v) > maxTagValueLength || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return stsapi.InvalidIdentityToken("PrincipalTag %q in AuthnResponse: tag keys must be 1 to %d characters and may not begin with aws:, values at most %d.", k, maxTagKeyLength, maxTagValueLength)
		}
	}
	return nil
}

// samlNameOK applies the pattern STS holds RoleSessionName and SourceIdentity attributes
// to: [a-zA-Z_0-9+=,.@-]{2,64}.
func samlNameOK(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-':
		default:
			return false
		}
	}
	return true
}

// AssumeRoleWithSAML plans the session of a SAML-federated user assuming role: the claims
// come from an assertion the edge verified, the rest from the request. It applies the
// rules no policy decides — the session name and source identity patterns, the duration
// (DurationSeconds, else the SessionDuration attribute, else an hour; never past the
// role's MaxSessionDuration nor the assertion's SessionNotOnOrAfter), session policies,
// tags and their packed size. The edge then authorizes sts:AssumeRoleWithSAML (and
// sts:TagSession, sts:SetSourceIdentity) against the role's trust policy before Issue.
// A SAML session is never a role chain: no AWS credentials sign for it.
func (s *Service) AssumeRoleWithSAML(role *Role, in *stsapi.AssumeRoleWithSAMLInput, cl *SAMLClaims) (*Session, error) {
	if cl.SessionName == "" {
		return nil, stsapi.InvalidIdentityToken(msgSAMLNoSessionName)
	}
	if !samlNameOK(cl.SessionName) {
		return nil, stsapi.InvalidIdentityToken(msgSAMLSessionName)
	}
	if cl.SourceIdentity != "" && (!samlNameOK(cl.SourceIdentity) || len(cl.SourceIdentity) >= 4 && cl.SourceIdentity[:4] == "aws:") {
		return nil, stsapi.InvalidIdentityToken(msgSAMLSourceIdentity)
	}
	d := DefaultRoleDuration
	switch {
	case in.DurationSeconds != nil:
		d = int(*in.DurationSeconds)
		if d > role.MaxSessionDuration {
			return nil, awserr.ValidationError(msgMaxSessionDuration)
		}
	case cl.SessionDuration > 0:
		// The IdP's choice (900–43200 s), within what the role allows: the attribute is not
		// the caller's request, so it is capped rather than refused.
		d = max(MinDuration, min(cl.SessionDuration, role.MaxSessionDuration))
	}
	d = min(d, role.MaxSessionDuration)
	sess := &Session{
		Kind:           AssumedRole,
		Partition:      partition(role.Partition),
		Account:        role.Account,
		SourceARN:      role.ARN,
		UniqueID:       role.ID,
		Name:           cl.SessionName,
		SourceIdentity: cl.SourceIdentity,
		ProviderKeys:   cl.ProviderKeys,
	}
	if err := sessionPolicies(sess, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	if err := samlTags(cl.Tags); err != nil {
		return nil, err
	}
	if err := sessionTags(sess, &Caller{}, cl.Tags, cl.TransitiveTagKeys); err != nil {
		return nil, err
	}
	if err := packedSize(sess); err != nil {
		return nil, err
	}
	s.stamp(sess, d)
	if !cl.SessionNotOnOrAfter.IsZero() && cl.SessionNotOnOrAfter.Before(sess.Expires) {
		sess.Expires = cl.SessionNotOnOrAfter.UTC()
		if !sess.Expires.After(sess.Issued) {
			return nil, stsapi.ExpiredTokenException("The SAML assertion's session (SessionNotOnOrAfter) has ended.")
		}
	}
	if err := fitToken(sess); err != nil {
		return nil, err
	}
	return sess, nil
}
