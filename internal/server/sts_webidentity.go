package server

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"

	"gatehouse/internal/authz"
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
	"gatehouse/internal/decisions"
	"gatehouse/internal/iam"
	"gatehouse/internal/oidc"
	"gatehouse/internal/sts"
)

// Session tag limits of the token's https://aws.amazon.com/tags claim, as for AssumeRole's
// Tags parameter (id_session-tags.html#id_session-tags_know).
const (
	maxWebTags         = 50
	maxWebTagKey       = 128
	maxWebTagValue     = 256
	msgWebNotAllowed   = "Not authorized to perform sts:AssumeRoleWithWebIdentity" // AWS's text
	msgWebInvalidToken = "Invalid web identity token"                              // AWS's text
	webIdentityAction  = "sts:AssumeRoleWithWebIdentity"
)

// builtinWebIdentity are the issuers IAM federates with without an IAM OIDC provider
// (reference_policies_iam-condition-keys.html#condition-keys-wif names their keys:
// accounts.google.com:aud/oaud/sub, cognito-identity.amazonaws.com:amr/aud/sub).
var builtinWebIdentity = map[string]bool{"accounts.google.com": true, "cognito-identity.amazonaws.com": true}

// assumeRoleWithWebIdentity runs AssumeRoleWithWebIdentity
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html).
// The request needs no AWS credentials — the token is the proof — so a signed request is
// treated exactly as an unsigned one. The token's issuer must be an IAM OIDC provider of
// the role's account; its signature, validity and audience are verified (package oidc);
// then the role's trust policy alone decides sts:AssumeRoleWithWebIdentity for the
// federated principal (the provider's ARN; accounts.google.com and
// cognito-identity.amazonaws.com, which IAM trusts without a provider, by name), with the
// provider's condition keys
// (reference_policies_iam-condition-keys.html#condition-keys-wif), and sts:TagSession and
// sts:SetSourceIdentity when the token carries tags or a source identity.
//
// In emulator mode at --enforce off, a token that is not a JWT of a provider registered in
// the role's account (Google's and Cognito's included: verifying them needs the internet)
// is accepted as moto accepts any token ("????" in moto's own tests),
// for any role ARN; every other case is verified in full.
func (s *Server) assumeRoleWithWebIdentity(c *call, in *stsapi.AssumeRoleWithWebIdentityInput) (*stsapi.AssumeRoleWithWebIdentityOutput, error) {
	ctx := c.r.Context()
	if c.caller == nil && s.emu != nil {
		// An unsigned request skipped serveAPI's admission: count it in moto's no-auth window
		// and take its enforcement level, as a signed request does.
		c.enforce, c.fullAuth = s.emu.admit()
	}
	var fed *caller
	defer func() {
		// Logged as the federated principal when there was no signer.
		if c.caller == nil && fed != nil {
			c.caller = fed
		}
	}()
	roleARN := *in.RoleArn
	acct, ok := roleAccount(roleARN)
	if !ok {
		return nil, awserr.ValidationError("%s is invalid", roleARN)
	}
	part, _, _ := strings.Cut(strings.TrimPrefix(roleARN, "arn:"), ":")
	tok, perr := oidc.Parse(*in.WebIdentityToken)
	var prov iam.OIDCProvider
	lerr := error(perr)
	if perr == nil {
		prov, lerr = s.iam.OIDCProvider(ctx, acct, tok.Claims.Issuer)
	}
	ae, _ := awserr.As(lerr)
	noProvider := perr == nil && ae != nil && ae.Code == "NoSuchEntity"
	builtin := noProvider && builtinWebIdentity[oidc.NormalizeIssuer(tok.Claims.Issuer)] &&
		(strings.HasPrefix(tok.Claims.Issuer, "https://") || !strings.Contains(tok.Claims.Issuer, "://"))
	if s.emu != nil && s.level(c) == Off && (perr != nil || noProvider) {
		return s.emulatedWebIdentity(c, in, acct, part, tok)
	}
	if in.ProviderId != nil && *in.ProviderId != "" {
		// OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com are checked by
		// calling those providers, which a self-hosted service cannot; OIDC ID tokens are
		// passed without ProviderId (Gatehouse's text).
		return nil, stsapi.InvalidIdentityToken("Gatehouse verifies OpenID Connect ID tokens of IAM OIDC providers only; ProviderId %s (OAuth 2.0 access tokens) is not supported.", *in.ProviderId)
	}
	if perr != nil {
		if strings.Count(*in.WebIdentityToken, ".") != 2 {
			// Not a JWT at all: AWS's text, as recorded (LocalStack's test_sts.py::
			// test_assume_role_with_web_identity_cognito_identity_pool, token "token").
			return nil, stsapi.InvalidIdentityToken(msgWebInvalidToken)
		}
		return nil, stsapi.InvalidIdentityToken("%s", perr.Error())
	}
	// resource names the provider in condition keys (RESOURCE:sub); provARN is the principal
	// a trust policy names under "Federated".
	var resource, provARN string
	var op oidc.Provider
	switch {
	case builtin:
		// IAM trusts Google and Amazon Cognito without an IAM provider: a trust policy names
		// them as "Federated": "accounts.google.com", and their audience is the trust
		// policy's :aud condition to check (id_roles_create_for-idp_oidc.html). An IAM
		// provider for the same issuer, when there is one, is used instead.
		resource = oidc.NormalizeIssuer(tok.Claims.Issuer)
		provARN = resource
		op = oidc.Provider{URL: "https://" + resource, AnyAudience: true}
	case noProvider:
		// AWS's text, quoting the token's iss as it is.
		return nil, stsapi.InvalidIdentityToken("No OpenIDConnect provider found in your account for %s", tok.Claims.Issuer)
	case lerr != nil:
		return nil, lerr
	default:
		resource = strings.TrimPrefix(prov.URL, "https://")
		provARN = "arn:" + part + ":iam::" + acct + ":oidc-provider/" + resource
		op = oidc.Provider{URL: prov.URL, ClientIDs: prov.ClientIDs, Thumbprints: prov.Thumbprints}
	}
	p := authz.Principal{Kind: authz.WebIdentity, ARN: provARN, Partition: part, Account: acct, Name: resource}
	fed = &caller{principal: p, account: iam.Account{ID: acct, Partition: part, Caller: provARN}}

	// s.webid trusts issuers as IAM does: an HTTPS certificate that chains to the system's
	// roots, or else one whose SHA-1 thumbprint the provider lists
	// (id_roles_providers_create_oidc_verify-thumbprint.html). There is no plain-HTTP mode:
	// IAM provider URLs are https, and a provider on a private CA (or a test issuer with a
	// self-signed certificate) is registered with its certificate's thumbprint, as on AWS.
	v, err := s.webid.Verify(ctx, tok, op, s.cfg.Now())
	if err != nil {
		return nil, webIdentityError(err)
	}
	claims, err := webClaims(v)
	if err != nil {
		return nil, err
	}
	claims.FederatedProvider, claims.ProviderKeys = provARN, webIdentityKeys(resource, v)

	// A role that does not exist is denied as one that does not trust the provider.
	role, err := s.source(ctx, acct, roleARN)
	if errors.Is(err, errNoSource) || (err == nil && (role.trust == nil || !strings.EqualFold(role.arn, roleARN))) {
		return nil, awserr.AccessDenied(msgWebNotAllowed)
	}
	if err != nil {
		return nil, err
	}
	plan, err := s.sts.AssumeRoleWithWebIdentity(&sts.Role{ARN: role.arn, ID: role.uniqueID, Account: acct, Partition: part,
		MaxSessionDuration: role.maxDuration}, in, claims)
	if err != nil {
		return nil, err
	}

	cond := authz.NewContext(&p, nil)
	s.globalKeys(cond, c)
	cond.Set("aws:FederatedProvider", provARN)
	setProviderKeys(cond, claims.ProviderKeys)
	sessionRequestKeys(cond, plan, plan.SourceIdentity)
	req := authz.Request{Principal: &p, Resource: roleARN, ResourceAccount: acct, Context: cond, Resources: role.trust}
	if err := s.decideSession(c, &req, webIdentityAction, len(plan.Tags) > 0, plan.SourceIdentity != "",
		func(action string, _ *authz.Result) error {
			return awserr.AccessDenied("Not authorized to perform " + action)
		}); err != nil {
		return nil, err
	}
	cr, err := s.sts.Issue(plan)
	if err != nil {
		return nil, err
	}
	s.iam.RecordRoleUse(role.arn, s.cfg.Region, s.cfg.Now())
	out := &stsapi.AssumeRoleWithWebIdentityOutput{
		Credentials:                 credentialsOut(cr),
		SubjectFromWebIdentityToken: &v.Subject,
		AssumedRoleUser:             &stsapi.AssumedRoleUser{AssumedRoleId: plan.UserID(), Arn: plan.ARN()},
		// "For OpenID Connect ID tokens, this contains the value of the iss field" — IAM
		// answers with the provider as the trust policy names it (its ARN), as on EKS.
		Provider: &provARN,
		Audience: &v.Audience,
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

// webIdentityKeys are the condition keys of web identity federation
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif),
// named by the provider's URL without https:// (token.actions.githubusercontent.com:sub,
// accounts.google.com:aud, cognito-identity.amazonaws.com:amr): sub; aud, the audience the
// token was accepted for (its azp when it has one, as for Google); oaud, the token's aud
// when azp took aud's place; amr when the token has it. The trust policy sees them with
// aws:FederatedProvider (the provider's ARN, or a built-in provider's name), and the
// session keeps them all for the requests it makes (sts.WebIdentityClaims).
func webIdentityKeys(resource string, v *oidc.Verified) []sts.ProviderKey {
	keys := []sts.ProviderKey{
		{Key: resource + ":sub", Values: []string{v.Subject}},
		{Key: resource + ":aud", Values: []string{v.Audience}},
	}
	if v.AuthorizedParty != "" && len(v.Claims.Audience) > 0 {
		keys = append(keys, sts.ProviderKey{Key: resource + ":oaud", Values: v.Claims.Audience, Multi: true})
	}
	if len(v.AMR) > 0 {
		keys = append(keys, sts.ProviderKey{Key: resource + ":amr", Values: v.AMR, Multi: true})
	}
	return keys
}

// setProviderKeys puts an identity provider's condition keys in a request context.
func setProviderKeys(cond *authz.Context, keys []sts.ProviderKey) {
	for _, k := range keys {
		switch {
		case k.Multi:
			cond.SetMulti(k.Key, k.Values)
		case len(k.Values) > 0:
			cond.Set(k.Key, k.Values[0])
		}
	}
}

// webClaims turns the token's source identity and tags claims into the session's, within
// AssumeRole's tag limits.
func webClaims(v *oidc.Verified) (*sts.WebIdentityClaims, error) {
	cl := &sts.WebIdentityClaims{SourceIdentity: v.SourceIdentity, TransitiveTagKeys: v.TransitiveTag}
	if !v.HasTags() {
		return cl, nil
	}
	// Gatehouse's texts: AWS documents the limits, not its messages for a token over them.
	if len(v.TagKeys) > maxWebTags || len(v.TransitiveTag) > maxWebTags {
		return nil, stsapi.InvalidIdentityToken("The web identity token carries more than %d session tags.", maxWebTags)
	}
	for _, k := range v.TagKeys {
		val := v.Tags[k]
		if k == "" || len(k) > maxWebTagKey || len(val) > maxWebTagValue || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, stsapi.InvalidIdentityToken("The web identity token's session tag %q is not valid: keys are 1 to %d characters and may not begin with aws:, values at most %d.", k, maxWebTagKey, maxWebTagValue)
		}
		cl.Tags = append(cl.Tags, stsapi.Tag{Key: &k, Value: &val})
	}
	return cl, nil
}

// webIdentityError maps a verification failure to STS's error.
func webIdentityError(err error) error {
	var e *oidc.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case oidc.Expired:
		return stsapi.ExpiredTokenException("%s", e.Message)
	case oidc.Unreachable:
		return stsapi.IDPCommunicationError("%s", e.Message)
	}
	return stsapi.InvalidIdentityToken("%s", e.Message)
}

// emulatedWebIdentity issues credentials for roleARN without verifying the token, as moto
// does: the role's ID and maximum duration when it exists, otherwise a stable made-up ID
// (AROA…) and IAM's longest session, so DurationSeconds is checked against what any role
// could allow. The session's permissions are the role's, or none when there is no role.
func (s *Server) emulatedWebIdentity(c *call, in *stsapi.AssumeRoleWithWebIdentityInput, acct, part string, tok *oidc.Token) (*stsapi.AssumeRoleWithWebIdentityOutput, error) {
	roleARN := *in.RoleArn
	r := &sts.Role{ARN: roleARN, Account: acct, Partition: part, MaxSessionDuration: 43200}
	role, err := s.source(c.r.Context(), acct, roleARN)
	switch {
	case err == nil && strings.EqualFold(role.arn, roleARN):
		r.ARN, r.ID, r.MaxSessionDuration = role.arn, role.uniqueID, role.maxDuration
	case err == nil || errors.Is(err, errNoSource):
		r.ID = emulatedRoleID(roleARN)
	default:
		return nil, err
	}
	plan, err := s.sts.AssumeRoleWithWebIdentity(r, in, nil)
	if err != nil {
		return nil, err
	}
	cr, err := s.sts.Issue(plan)
	if err != nil {
		return nil, err
	}
	if c.caller == nil {
		// Logged as an unverified web identity when there was no signer.
		pr := authz.Principal{Kind: authz.WebIdentity, ARN: "web-identity", Partition: part, Account: acct}
		c.caller = &caller{principal: pr, account: iam.Account{ID: acct, Partition: part, Caller: pr.ARN}}
	}
	s.metrics.observeDecision("allowed")
	s.emu.log.Add(decisions.Record{Time: s.cfg.Now().UTC(), RequestID: c.requestID, Principal: "web-identity",
		Action: webIdentityAction, Resource: roleARN, Decision: "allowed", Enforced: true,
		Message: "emulator (--enforce off): web identity token accepted without verification"})
	out := &stsapi.AssumeRoleWithWebIdentityOutput{
		Credentials:     credentialsOut(cr),
		AssumedRoleUser: &stsapi.AssumedRoleUser{AssumedRoleId: plan.UserID(), Arn: plan.ARN()},
	}
	if tok != nil {
		// What the token says, unverified.
		cl := tok.Claims
		out.SubjectFromWebIdentityToken, out.Provider = &cl.Subject, &cl.Issuer
		if len(cl.Audience) > 0 {
			out.Audience = &cl.Audience[0]
		}
	}
	if plan.HasSessionPolicy() {
		n := int32(plan.PackedPolicySize)
		out.PackedPolicySize = &n
	}
	return out, nil
}

// emulatedRoleID is a role ID (AROA + 17 characters, as IAM's) derived from the role ARN,
// so a role that does not exist has the same ID in every emulated session.
func emulatedRoleID(roleARN string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(roleARN)))
	return "AROA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}
