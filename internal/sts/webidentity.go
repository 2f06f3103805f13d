package sts

import (
	"slices"
	"strings"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
)

// WebIdentityClaims are what a verified OIDC token gives an AssumeRoleWithWebIdentity
// session besides the request's parameters.
type WebIdentityClaims struct {
	// SourceIdentity is the https://aws.amazon.com/source_identity claim ("" when absent)
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html#id_credentials_temp_control-access_monitor-oidc).
	SourceIdentity string
	// Tags and TransitiveTagKeys are the https://aws.amazon.com/tags claim's principal_tags
	// and transitive_tag_keys (id_session-tags.html#id_session-tags_adding-assume-role-idp).
	Tags              []stsapi.Tag
	TransitiveTagKeys []string
	// FederatedProvider is aws:FederatedProvider: the IAM OIDC provider's ARN, or the
	// built-in provider's name (cognito-identity.amazonaws.com); ProviderKeys the provider's
	// condition keys (RESOURCE:sub, :aud, :oaud, :amr). The session carries both into every
	// request it makes ("additional condition keys are available when the temporary
	// security credentials are used to make a request",
	// reference_policies_iam-condition-keys.html#condition-keys-wif).
	FederatedProvider string
	ProviderKeys      []ProviderKey
}

// msgWebSourceIdentity is Gatehouse's text for a source_identity claim STS would refuse
// (the pattern is the SourceIdentity parameter's, [\w+=,.@-]{2,64}, and "aws:" is reserved).
const msgWebSourceIdentity = `The https://aws.amazon.com/source_identity claim must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"`

// webNameOK applies [a-zA-Z_0-9+=,.@-]{2,64}.
func webNameOK(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_+=,.@-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// AssumeRoleWithWebIdentity plans the session of a web-identity-federated caller assuming
// role (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html):
// the session name and duration from the request (an hour by default, never past the
// role's MaxSessionDuration), session policies, the token's source identity and session
// tags, and the packed size. The edge verifies the token before and authorizes
// sts:AssumeRoleWithWebIdentity (and sts:TagSession, sts:SetSourceIdentity) against the
// role's trust policy after, then calls Issue. It is never a role chain: the token, not
// AWS credentials, is the proof of identity.
func (s *Service) AssumeRoleWithWebIdentity(role *Role, in *stsapi.AssumeRoleWithWebIdentityInput, cl *WebIdentityClaims) (*Session, error) {
	d := duration(in.DurationSeconds, DefaultRoleDuration)
	if d > role.MaxSessionDuration {
		return nil, awserr.ValidationError(msgMaxSessionDuration)
	}
	if cl == nil {
		cl = &WebIdentityClaims{}
	}
	if cl.SourceIdentity != "" && (!webNameOK(cl.SourceIdentity) || strings.HasPrefix(cl.SourceIdentity, "aws:")) {
		return nil, stsapi.InvalidIdentityToken(msgWebSourceIdentity)
	}
	sess := &Session{
		Kind:           AssumedRole,
		Partition:      partition(role.Partition),
		Account:        role.Account,
		SourceARN:      role.ARN,
		UniqueID:       role.ID,
		Name:           deref(in.RoleSessionName),
		SourceIdentity: cl.SourceIdentity,
		// "This key is present in the role-session of a role that was assumed using
		// OpenID Connect (OIDC) provider" (reference_policies_condition-keys.html#condition-keys-federatedprovider).
		FederatedProvider: cl.FederatedProvider,
		ProviderKeys:      distinctValues(cl.ProviderKeys),
	}
	if err := sessionPolicies(sess, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	if err := sessionTags(sess, &Caller{}, cl.Tags, cl.TransitiveTagKeys); err != nil {
		return nil, err
	}
	if err := packedSize(sess); err != nil {
		return nil, err
	}
	s.stamp(sess, d)
	if err := fitToken(sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// distinctValues drops repeated values of the multi-valued keys (a JWT's amr and aud
// lists), leaving keys without repeats and cl's own slices as they are. A policy tests such
// a key as a set — ForAnyValue, ForAllValues, or a plain operator that matches any value —
// so a repeat changes no decision of the session's requests, but it would take room in the
// token (fitToken). Every distinct value stays: each is one the condition key exposes.
func distinctValues(keys []ProviderKey) []ProviderKey {
	out, copied := keys, false
	for i, k := range keys {
		if !k.Multi || len(k.Values) < 2 {
			continue
		}
		seen := make(map[string]bool, len(k.Values))
		vals := make([]string, 0, len(k.Values))
		for _, v := range k.Values {
			if !seen[v] {
				seen[v] = true
				vals = append(vals, v)
			}
		}
		if len(vals) == len(k.Values) {
			continue
		}
		if !copied {
			out, copied = slices.Clone(keys), true
		}
		out[i].Values = vals
	}
	return out
}
