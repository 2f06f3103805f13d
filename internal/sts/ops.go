package sts

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
	"gatehouse/internal/policy"
)

// Caller is who asks for a session, as the edge authenticated it.
type Caller struct {
	ARN       string // the user's or root's ARN; the session's ARN for temporary credentials
	Account   string
	Partition string
	UserID    string // AIDA… for a user; the account ID for root
	Root      bool
	// Session is the caller's session when it signed with temporary credentials; nil for
	// a long-term key.
	Session *Session
	// MFAVerified says the edge checked the request's SerialNumber and TokenCode against
	// the caller's enabled MFA device (iam.Service.VerifyMFA): the package does no I/O.
	MFAVerified bool
}

// Role is the role AssumeRole would assume, as IAM stores it.
type Role struct {
	ARN                string // with its path
	ID                 string // AROA…
	Account            string
	Partition          string
	MaxSessionDuration int // seconds, 3600..43200
}

// Session durations and limits
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html,
// …/API_GetSessionToken.html, …/API_GetFederationToken.html).
const (
	MinDuration            = 900
	DefaultRoleDuration    = 3600
	ChainedMaxDuration     = 3600 // role chaining: "limited to a maximum of one hour"
	DefaultUserDuration    = 43200
	MaxUserDuration        = 129600
	RootMaxDuration        = 3600
	MaxSessionPolicyARNs   = 10
	MaxSessionPolicyText   = 2048 // "The plaintext … can't exceed 2,048 characters"
	packedPolicyAllowance  = 2048
	MaxTokenLifetime       = MaxUserDuration * time.Second
	msgChainedDuration     = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
	msgMaxSessionDuration  = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
	msgRootAssumeRole      = "Roles may not be assumed by root accounts."
	msgMFAUnknownDevice    = "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user."
	msgDuplicateTagKeys    = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
	msgTransitiveNotInTags = "The specified transitive tag key must be included in the requested tags."
	// msgTransitiveConflict is AWS's text for a tag that would override a transitive tag of
	// the calling session, whatever the case of its key (recorded against AWS: LocalStack's
	// test_sts.py::test_iam_role_chaining_override_transitive_tags).
	msgTransitiveConflict = "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
)

// accessDenied is an AccessDenied that no policy can change (a root caller assuming a
// role, session credentials calling GetSessionToken).
func accessDenied(msg string) error { return awserr.AccessDenied(msg) }

// duration picks the session's lifetime: requested (validated) or the default.
func duration(req *int32, def int) int {
	if req == nil {
		return def
	}
	return int(*req)
}

// mfa answers whether a request's SerialNumber and TokenCode make the session MFA-
// authenticated. The edge verifies the code against the caller's device before planning;
// a request that carries them unverified gets AWS's answer for a device that is not the
// caller's.
func mfa(c *Caller, serial, code *string) (bool, error) {
	if serial == nil && code == nil {
		return false, nil
	}
	if !c.MFAVerified || serial == nil || code == nil {
		return false, accessDenied(msgMFAUnknownDevice)
	}
	return true, nil
}

// AssumeRole plans an AssumeRole session: it applies the operation's rules that no policy
// decides — durations, role chaining, session policies and their packed size, tags and
// transitive keys, source identity, MFA — and returns the unsealed session. The edge must
// then authorize sts:AssumeRole (and sts:TagSession, sts:SetSourceIdentity) before Issue.
// in has passed its model Validate.
func (s *Service) AssumeRole(c *Caller, role *Role, in *stsapi.AssumeRoleInput) (*Session, error) {
	if c.Root { // root's long-term keys or its GetSessionToken session
		return nil, accessDenied(msgRootAssumeRole)
	}
	verified, err := mfa(c, in.SerialNumber, in.TokenCode)
	if err != nil {
		return nil, err
	}
	// "Role chaining limits your AWS CLI or AWS API role session to a maximum of one hour":
	// any temporary credentials assuming a role is chaining.
	chained := c.Session != nil
	d := duration(in.DurationSeconds, DefaultRoleDuration)
	if chained && d > ChainedMaxDuration {
		return nil, awserr.ValidationError(msgChainedDuration)
	}
	if d > role.MaxSessionDuration {
		return nil, awserr.ValidationError(msgMaxSessionDuration)
	}
	sess := &Session{
		Kind:      AssumedRole,
		Partition: role.Partition,
		Account:   role.Account,
		SourceARN: role.ARN,
		UniqueID:  role.ID,
		Name:      deref(in.RoleSessionName),
		Chained:   chained,
	}
	if sess.Partition == "" {
		sess.Partition = "aws"
	}
	if err := sessionPolicies(sess, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	if err := sessionTags(sess, c, in.Tags, in.TransitiveTagKeys); err != nil {
		return nil, err
	}
	if err := sourceIdentity(sess, c, in.SourceIdentity); err != nil {
		return nil, err
	}
	sess.MFA = verified || (c.Session != nil && c.Session.MFA)
	if err := packedSize(sess); err != nil {
		return nil, err
	}
	s.stamp(sess, d)
	if err := fitToken(sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// GetSessionToken plans a session of the calling user or root, with the caller's own
// permissions. No policy governs it ("No permissions are required for a user to get a
// session token", id_credentials_temp_control-access_getsessiontoken.html); it must be
// called with long-term credentials.
func (s *Service) GetSessionToken(c *Caller, in *stsapi.GetSessionTokenInput) (*Session, error) {
	if c.Session != nil {
		return nil, accessDenied("Cannot call GetSessionToken with session credentials")
	}
	verified, err := mfa(c, in.SerialNumber, in.TokenCode)
	if err != nil {
		return nil, err
	}
	d := duration(in.DurationSeconds, DefaultUserDuration)
	kind := UserSession
	if c.Root {
		// "credentials that are created by using account credentials have a maximum
		// duration of 3600 seconds": root's sessions are capped, not refused.
		kind = RootSession
		d = min(d, RootMaxDuration)
	}
	sess := &Session{Kind: kind, Partition: partition(c.Partition), Account: c.Account, SourceARN: c.ARN, UniqueID: c.UserID,
		MFA: verified}
	s.stamp(sess, d)
	return sess, nil
}

// GetFederationToken plans a federated-user session for the calling IAM user: its
// permissions are the user's intersected with the session policies passed, so without any
// it can do nothing (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html).
func (s *Service) GetFederationToken(c *Caller, in *stsapi.GetFederationTokenInput) (*Session, error) {
	if c.Session != nil {
		return nil, accessDenied("Cannot call GetFederationToken with session credentials")
	}
	d := duration(in.DurationSeconds, DefaultUserDuration)
	if c.Root {
		// "it is possible to call GetFederationToken using the security credentials of an
		// AWS account root user … we do not recommend it"; such sessions "are restricted to
		// a maximum of 3,600 seconds (one hour). If the specified duration is longer than one
		// hour, the session … defaults to one hour" (API_GetFederationToken.html). Their
		// permissions are the session policies alone (root's are everything).
		d = min(d, RootMaxDuration)
	}
	sess := &Session{Kind: FederatedUser, Partition: partition(c.Partition), Account: c.Account,
		SourceARN: c.ARN, UniqueID: c.UserID, Name: deref(in.Name)}
	if err := sessionPolicies(sess, in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	if err := sessionTags(sess, c, in.Tags, nil); err != nil {
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

// stamp sets the issue time (whole seconds: the record and aws:TokenIssueTime keep
// seconds) and the expiry.
func (s *Service) stamp(sess *Session, seconds int) {
	sess.Issued = s.now().UTC().Truncate(time.Second)
	sess.Expires = sess.Issued.Add(time.Duration(seconds) * time.Second)
}

func partition(p string) string {
	if p == "" {
		return "aws"
	}
	return p
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// sessionPolicies checks and records the inline and managed session policies.
func sessionPolicies(sess *Session, doc *string, arns []stsapi.PolicyDescriptorType) error {
	if len(arns) > MaxSessionPolicyARNs {
		return awserr.ValidationError("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionPolicyARNs)
	}
	for _, a := range arns {
		arn := deref(a.Arn)
		if !isPolicyARN(arn) {
			return awserr.InvalidParameterValue("The policy ARN %s is invalid.", arn)
		}
		sess.PolicyARNs = append(sess.PolicyARNs, arn)
	}
	if doc == nil {
		return nil
	}
	if len(*doc) > MaxSessionPolicyText {
		return awserr.ValidationError("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionPolicyText)
	}
	if _, err := policy.Parse([]byte(*doc), policy.Identity); err != nil {
		var me *policy.MalformedError
		if errors.As(err, &me) {
			return stsapi.MalformedPolicyDocument("%s", me.Message)
		}
		return stsapi.MalformedPolicyDocument("The policy is not in the valid JSON format.")
	}
	sess.Policy = *doc
	return nil
}

// isPolicyARN accepts arn:PARTITION:iam::ACCOUNT-or-aws:policy/PATH/NAME.
func isPolicyARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] == "iam" && parts[3] == "" &&
		parts[4] != "" && strings.HasPrefix(parts[5], "policy/") && len(parts[5]) > len("policy/")
}

// sessionTags records the tags passed and the transitive tags a chained session inherits
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html): keys are unique
// without regard to case; transitive keys must name passed tags; an inherited transitive
// tag cannot be overridden.
func sessionTags(sess *Session, c *Caller, tags []stsapi.Tag, transitive []string) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := strings.ToLower(deref(t.Key))
		if seen[k] {
			return awserr.InvalidParameterValue(msgDuplicateTagKeys)
		}
		seen[k] = true
		sess.Tags = append(sess.Tags, Tag{Key: deref(t.Key), Value: deref(t.Value)})
	}
	for _, k := range transitive {
		if !seen[strings.ToLower(k)] {
			return awserr.InvalidParameterValue(msgTransitiveNotInTags)
		}
		sess.TransitiveTagKeys = append(sess.TransitiveTagKeys, k)
	}
	if c.Session == nil {
		return nil
	}
	for _, k := range c.Session.TransitiveTagKeys {
		v, ok := c.Session.tag(k)
		if !ok {
			continue
		}
		if seen[strings.ToLower(k)] {
			return awserr.InvalidParameterValue(msgTransitiveConflict)
		}
		sess.Tags = append(sess.Tags, Tag{Key: k, Value: v})
		sess.TransitiveTagKeys = append(sess.TransitiveTagKeys, k)
	}
	return nil
}

func (s *Session) tag(key string) (string, bool) {
	for _, t := range s.Tags {
		if strings.EqualFold(t.Key, key) {
			return t.Value, true
		}
	}
	return "", false
}

// sourceIdentity sets the session's source identity: the one passed, or the calling
// session's, which "persists across chained role sessions" and cannot be changed
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
//
// AWS reserves the prefix "aws:"; the model's pattern [\w+=,.@-]* already refuses a colon.
func sourceIdentity(sess *Session, c *Caller, in *string) error {
	prev := ""
	if c.Session != nil {
		prev = c.Session.SourceIdentity
	}
	if in == nil {
		sess.SourceIdentity = prev
		return nil
	}
	if prev != "" && *in != prev {
		return accessDenied("The source identity of the calling session cannot be changed in a role chain.")
	}
	sess.SourceIdentity = *in
	return nil
}

// packedSize measures the session policies and tags against STS's packed allowance. AWS
// packs them into a compressed binary form of undocumented layout; Gatehouse measures the
// policy without the white space outside strings, each managed policy ARN, and each tag's
// key and value, against 2,048 bytes — a plaintext policy at the 2,048-character limit
// fits, as AWS's does when it has no tags.
func packedSize(sess *Session) error {
	n := compactLen(sess.Policy)
	for _, a := range sess.PolicyARNs {
		n += len(a)
	}
	for _, t := range sess.Tags {
		n += len(t.Key) + len(t.Value)
	}
	pct := percent(n, packedPolicyAllowance)
	if pct > 100 {
		return packedTooLarge(msgPackedPolicy, pct)
	}
	sess.PackedPolicySize = pct
	return nil
}

// AWS's texts of PackedPolicyTooLarge
// (https://repost.aws/knowledge-center/iam-role-aws-sts-error), and Gatehouse's for claims.
const (
	msgPackedPolicy = "Packed policy consumes %d%% of allotted space, please use smaller policy."
	msgPackedTags   = "Packed size of session tags consumes %d%% of allotted space."
	msgPackedClaims = "Packed size of the identity provider's claims (%s) consumes %d%% of allotted space."
)

func packedTooLarge(format string, args ...any) error {
	return &awserr.Error{Code: stsapi.CodePackedPolicyTooLarge, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// fitToken refuses a planned session whose token would not open: its record is longer
// than a token carries (seal.MaxRecordLen), or one of its lists longer than a record may
// hold (maxRecordList). With long-term keys, AWS's input limits and packedSize keep an
// AssumeRole below the length (about 11,300 of 12,259 bytes at a 2,048-character policy,
// 2,048 packed bytes of tags and 50 transitive keys of 128 characters); what passes it is
// a role chain, which adds inherited transitive tags and keys to 50 new ones, and an
// identity provider's claims, which no STS parameter limits (a JWT's aud and amr lists, a
// SAML NameID). The planners call it last, before the edge authorizes the session — so a
// refused request records nothing, not even a role's or a service's last use — and Issue
// again as a backstop.
//
// The code is PackedPolicyTooLarge for every cause, with the percentage its message
// carries on AWS. AWS documents it for "the total packed size of the session policies and
// session tags combined"
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html#API_AssumeRoleWithWebIdentity_Errors),
// and also as what "a finite token size limit that applies, regardless of the number of
// session tag and session policy quotas" raises
// (https://repost.aws/knowledge-center/iam-role-aws-sts-error); an answer on re:Post has it
// returned when "User info (such as a username passed via a NameID claim) is too large to
// fit the encoded session token blob" (https://repost.aws/questions/QUS7oremVJQ7m2anALhNBnkQ).
// The federated operations' other codes misdirect: InvalidIdentityToken tells the caller
// to get a new token, which would carry the same claims, and aws-sdk-go-v2's web identity
// credential provider retries it (credentials/stscreds/web_identity_provider.go);
// IDPRejectedClaim says the provider failed the authentication. When the provider's
// claims are what overflow — the record would fit without them — the message names their
// keys (Gatehouse's text); otherwise it is AWS's text for tags or for the policy,
// whichever takes more of the record.
func fitToken(sess *Session) error { return fitRecord(sess, sess.marshal()) }

// fitRecord is fitToken for rec, the session's record.
func fitRecord(sess *Session, rec []byte) error {
	use := recordUse(sess, rec)
	if use <= 100 {
		return nil
	}
	if len(sess.ProviderKeys) > 0 {
		rest := *sess
		rest.FederatedProvider, rest.ProviderKeys = "", nil
		if recordUse(&rest, rest.marshal()) <= 100 {
			names := make([]string, len(sess.ProviderKeys))
			for i, k := range sess.ProviderKeys {
				names[i] = k.Key
			}
			return packedTooLarge(msgPackedClaims, strings.Join(names, ", "), use)
		}
	}
	policyBytes, tagBytes := len(sess.Policy), 0
	for _, a := range sess.PolicyARNs {
		policyBytes += len(a)
	}
	for _, t := range sess.Tags {
		tagBytes += len(t.Key) + len(t.Value)
	}
	for _, k := range sess.TransitiveTagKeys {
		tagBytes += len(k)
	}
	if len(sess.Tags) > maxRecordList || len(sess.TransitiveTagKeys) > maxRecordList || tagBytes > policyBytes {
		return packedTooLarge(msgPackedTags, use)
	}
	return packedTooLarge(msgPackedPolicy, use)
}

// compactLen is the length of a JSON text without the white space outside its strings.
func compactLen(s string) int {
	n, inStr, esc := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			n++
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			n++
			if c == '"' {
				inStr = true
			}
		}
	}
	return n
}
