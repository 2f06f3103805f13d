package server

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/authz"
	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/iam"
	"gatehouse/internal/policy"
	"gatehouse/internal/sigv4"
	"gatehouse/internal/sts"
)

// authenticateSession verifies a request signed with temporary credentials: the session
// token opens with the keyring for this access key ID (no store read), has not expired,
// and its secret verifies the signature
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_use-resources.html).
// A forged, garbled or foreign token is InvalidClientTokenId, as AWS answers; an expired
// one ExpiredToken.
func (s *Server) authenticateSession(c *call, sreq *sigv4.Request) (*caller, error) {
	if s.sts == nil || sreq.SecurityToken == "" {
		return nil, sreq.UnknownAccessKey()
	}
	e, err := s.openSession(c.r.Context(), sreq.AccessKeyID, sreq.SecurityToken)
	if errors.Is(err, sts.ErrExpiredToken) {
		return nil, sigv4.ExpiredToken()
	}
	if err != nil {
		return nil, sreq.UnknownAccessKey()
	}
	if err := s.verify(c, sreq, e.secret); err != nil {
		return nil, err
	}
	sess := e.caller.session
	// GetSessionToken credentials without MFA, and federated-user credentials, "cannot
	// call IAM API operations"
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html#stsapi_comparison);
	// IAM refuses them as it refuses an unknown token.
	if c.service == awsproto.IAM && (sess.Kind == sts.FederatedUser ||
		((sess.Kind == sts.UserSession || sess.Kind == sts.RootSession) && !sess.MFA)) {
		return nil, sreq.UnknownAccessKey()
	}
	cl := e.caller
	return &cl, nil
}

// openedSession is a token this node has opened: its session, caller and secret.
type openedSession struct {
	caller caller
	secret string
}

// openSession opens a session token, or finds it among the tokens this node opened before:
// a token always opens to the same session (it is sealed), so only expiry needs checking
// again, and a steady stream of requests from one session costs a map lookup rather than
// AES-GCM and decoding. The cache is keyed by the token itself, not the access key ID.
func (s *Server) openSession(ctx context.Context, keyID, token string) (*openedSession, error) {
	s.sessions.mu.RLock()
	e := s.sessions.opened[token]
	s.sessions.mu.RUnlock()
	if e != nil && e.caller.keyID == keyID {
		if err := s.sts.Check(e.caller.session); err != nil {
			return nil, err
		}
		return e, nil
	}
	sess, err := s.sts.Open(ctx, keyID, token)
	if err != nil {
		return nil, err
	}
	e = &openedSession{caller: sessionCaller(sess), secret: sess.Secret()}
	s.sessions.mu.Lock()
	if len(s.sessions.opened) >= maxCachedSessions {
		s.sessions.opened = make(map[string]*openedSession)
	}
	s.sessions.opened[token] = e
	s.sessions.mu.Unlock()
	return e, nil
}

// sessionCaller is the caller a session signs as.
func sessionCaller(sess *sts.Session) caller {
	p := authz.Principal{ARN: sess.ARN(), Partition: sess.Partition, Account: sess.Account, UserID: sess.UserID()}
	switch sess.Kind {
	case sts.AssumedRole:
		p.Kind, p.Name, p.SessionName, p.RoleARN = authz.AssumedRole, sess.RoleName(), sess.Name, sess.RoleARN()
	case sts.FederatedUser:
		p.Kind, p.Name = authz.FederatedUser, sess.Name
	case sts.UserSession:
		p.Kind, p.Name = authz.User, sess.SourceARN[strings.LastIndexByte(sess.SourceARN, '/')+1:]
	case sts.RootSession:
		p.Kind = authz.Root
	}
	return caller{
		principal: p,
		account:   iam.Account{ID: sess.Account, Partition: sess.Partition, Caller: p.ARN},
		keyID:     sess.AccessKeyID,
		root:      sess.Kind == sts.RootSession,
		session:   sess,
	}
}

// sourceEntry is the compiled policies of the identity behind sessions (a role, or the user
// that federated or got a session token), with what STS needs of a role.
type sourceEntry struct {
	policies authz.PrincipalPolicies
	set      *authz.Set
	tags     map[string]string
	uniqueID string
	arn      string // the ARN with its stored path
	gen      uint64
	// Roles only.
	trust       *authz.ResourceSet
	maxDuration int
}

// sessionEntry is a session's compiled policies: the source's with its session policies.
type sessionEntry struct {
	entry *principalEntry
	gen   uint64
}

// sessionCaches hold opened tokens, compiled sources by ARN and compiled sessions. Compiled
// entries are good while their generation is the account's current one, as policyCache's
// are. Access key IDs are not keys: a temporary key ID carries 40 random bits, so two
// sessions of one account may share one, but never a token.
type sessionCaches struct {
	mu       sync.RWMutex
	opened   map[string]*openedSession      // by session token
	sources  map[string]*sourceEntry        // by role or user ARN
	sessions map[*sts.Session]*sessionEntry // by the opened session
}

// maxCachedSessions bounds the session cache; past it the cache starts over (sessions
// recompile from their token and the cached sources, no store read).
const maxCachedSessions = 1 << 16

func newSessionCaches() *sessionCaches {
	return &sessionCaches{opened: make(map[string]*openedSession), sources: make(map[string]*sourceEntry),
		sessions: make(map[*sts.Session]*sessionEntry)}
}

// errNoSource is a session whose role or user no longer exists (or was recreated under the
// same name with a new unique ID): it keeps no permissions.
var errNoSource = errors.New("server: the session's role or user no longer exists")

// source returns the compiled policies of the role or user at arn.
func (s *Server) source(ctx context.Context, account, arn string) (*sourceEntry, error) {
	gen := s.iam.Generation(account)
	s.sessions.mu.RLock()
	e := s.sessions.sources[arn]
	s.sessions.mu.RUnlock()
	if e != nil && e.gen >= gen {
		return e, nil
	}
	ps, err := s.iam.PrincipalPolicies(ctx, arn)
	if errors.Is(err, iam.ErrNoSuchPrincipal) {
		return nil, errNoSource
	}
	if err != nil {
		return nil, err
	}
	e = &sourceEntry{uniqueID: ps.UniqueID, gen: ps.Generation, maxDuration: ps.MaxSessionDuration}
	kind := "user"
	if ps.Kind == iam.PrincipalRole {
		kind = "role"
	}
	e.arn = "arn:" + ps.Partition + ":iam::" + ps.Account + ":" + kind + ps.Path + ps.Name
	if ps.Kind == iam.PrincipalRoot {
		// A root's federated user (GetFederationToken with root's keys): root is allowed
		// everything, so the session's permissions are its session policies alone — the
		// intersection AWS describes, with root's side whole (API_GetFederationToken.html).
		e.arn = ps.Principal
		e.policies.Identity = append(e.policies.Identity, authz.Attached{Label: "root", Policy: rootAllowsAll})
	}
	for _, sp := range ps.Policies {
		p, err := s.policies.compiler.Lenient([]byte(sp.Document))
		if err != nil {
			return nil, fmt.Errorf("compiling %s policy %q of %s: %w", sp.Source, sp.Name, sp.Holder, err)
		}
		label := sp.ARN
		if label == "" {
			label = sp.Holder + "/" + sp.Name
		}
		e.policies.Identity = append(e.policies.Identity, authz.Attached{Label: label, Policy: p})
	}
	if ps.Boundary != nil {
		p, err := s.policies.compiler.Lenient([]byte(ps.Boundary.Document))
		if err != nil {
			return nil, fmt.Errorf("compiling the permissions boundary of %s: %w", arn, err)
		}
		e.policies.Boundary = &authz.Attached{Label: ps.Boundary.ARN, Policy: p}
	}
	e.set = authz.NewSet(e.policies)
	if len(ps.Tags) > 0 {
		e.tags = make(map[string]string, len(ps.Tags))
		for _, t := range ps.Tags {
			e.tags[t.Key] = t.Value
		}
	}
	if ps.TrustPolicy != "" {
		// A trust policy that does not parse — emulator --enforce off keeps one verbatim, as
		// moto does (iam.Options.MotoLenient), and the data may be reopened in another mode —
		// grants nothing: the role exists, and assuming it needs a trust policy that allows it.
		var trust authz.ResourcePolicies
		if p, err := s.policies.compiler.Lenient([]byte(ps.TrustPolicy)); err == nil {
			trust.Resource = &authz.Attached{Label: "trust", Policy: p}
		}
		e.trust = authz.NewResourceSet(trust)
	}
	s.sessions.mu.Lock()
	s.sessions.sources[arn] = e
	s.sessions.mu.Unlock()
	return e, nil
}

// sessionPrincipal returns a session caller's compiled policies: the identity policies and
// boundary of its role (or user) as they are now — so a change to the role, such as a
// "revoke active sessions" deny on aws:TokenIssueTime, applies to live sessions at once —
// and its session policies (access_policies.html#policies_session), and its principal tags:
// the role's, overridden by the session's (id_session-tags.html).
func (s *Server) sessionPrincipal(ctx context.Context, cl *caller) (*principalEntry, error) {
	sess := cl.session
	gen := s.iam.Generation(sess.Account)
	s.sessions.mu.RLock()
	se := s.sessions.sessions[sess]
	s.sessions.mu.RUnlock()
	if se != nil && se.gen >= gen {
		return se.entry, nil
	}
	src, err := s.source(ctx, sess.Account, sess.SourceARN)
	if errors.Is(err, errNoSource) {
		src = &sourceEntry{gen: gen}
	} else if err != nil {
		return nil, err
	}
	var pp authz.PrincipalPolicies
	if src.uniqueID == sess.UniqueID {
		pp = src.policies
		pp.Identity = pp.Identity[:len(pp.Identity):len(pp.Identity)]
	}
	if sess.Policy != "" {
		// Compiled per session, not through the shared compiler, which keeps every document
		// it compiles forever: session policies come from clients. (Their patterns, condition
		// blocks and condition key names are still interned process-wide, as every
		// policy's are.)
		p, err := policy.CompileLenient([]byte(sess.Policy))
		if err != nil {
			return nil, fmt.Errorf("compiling the session policy of %s: %w", sess.ARN(), err)
		}
		pp.Session = append(pp.Session, authz.Attached{Label: "session", Policy: p})
	}
	for _, arn := range sess.PolicyARNs {
		p, err := s.managedPolicy(ctx, sess, arn)
		if err != nil {
			return nil, err
		}
		if p == nil {
			// A managed session policy deleted since: it allows nothing, but the session
			// stays capped by session policies.
			p, _ = policy.CompileLenient([]byte(`{"Version":"2012-10-17","Statement":[]}`))
		}
		pp.Session = append(pp.Session, authz.Attached{Label: arn, Policy: p})
	}
	e := &principalEntry{set: src.set, gen: src.gen}
	if pp.Session != nil || src.uniqueID != sess.UniqueID {
		e.set = authz.NewSet(pp)
	}
	e.tags = src.tags
	if len(sess.Tags) > 0 {
		e.tags = make(map[string]string, len(src.tags)+len(sess.Tags))
		for k, v := range src.tags {
			e.tags[k] = v
		}
		for _, t := range sess.Tags {
			for k := range e.tags {
				if strings.EqualFold(k, t.Key) {
					delete(e.tags, k)
				}
			}
			e.tags[t.Key] = t.Value
		}
	}
	s.sessions.mu.Lock()
	if len(s.sessions.sessions) >= maxCachedSessions {
		s.sessions.sessions = make(map[*sts.Session]*sessionEntry)
	}
	s.sessions.sessions[sess] = &sessionEntry{entry: e, gen: src.gen}
	s.sessions.mu.Unlock()
	return e, nil
}

// managedPolicy compiles the default version of the managed policy at arn, or nil when it
// does not exist (any more).
func (s *Server) managedPolicy(ctx context.Context, sess *sts.Session, arn string) (*policy.Policy, error) {
	a := iam.Account{ID: sess.Account, Partition: sess.Partition, Caller: sess.ARN()}
	gp, err := s.iam.GetPolicy(ctx, a, &iamapi.GetPolicyInput{PolicyArn: &arn})
	if err != nil {
		return nil, nil
	}
	if gp.Policy == nil || gp.Policy.DefaultVersionId == nil {
		return nil, nil
	}
	v, err := s.iam.GetPolicyVersion(ctx, a, &iamapi.GetPolicyVersionInput{PolicyArn: &arn, VersionId: gp.Policy.DefaultVersionId})
	if err != nil || v.PolicyVersion == nil || v.PolicyVersion.Document == nil {
		return nil, nil
	}
	doc, err := url.QueryUnescape(*v.PolicyVersion.Document)
	if err != nil {
		return nil, fmt.Errorf("managed session policy %s: %w", arn, err)
	}
	return s.policies.compiler.Lenient([]byte(doc))
}

// sessionKeys adds the condition keys a session carries
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
// aws:TokenIssueTime — what "revoke active sessions" denies on — aws:MultiFactorAuthPresent
// (and its age) and aws:SourceIdentity; for a federated identity's session,
// aws:FederatedProvider and its provider's keys (web identity's RESOURCE:sub, :aud, …;
// SAML's saml:sub, saml:sub_type, saml:namequalifier). Long-term keys carry none of them.
func (s *Server) sessionKeys(cond *authz.Context, cl *caller) {
	sess := cl.session
	if sess == nil {
		return
	}
	cond.Set("aws:TokenIssueTime", sess.Issued.UTC().Format(time.RFC3339))
	if sess.MFA {
		cond.Set("aws:MultiFactorAuthPresent", "true")
		cond.Set("aws:MultiFactorAuthAge", fmt.Sprint(int64(s.cfg.Now().Sub(sess.Issued)/time.Second)))
	} else {
		cond.Set("aws:MultiFactorAuthPresent", "false")
	}
	if sess.SourceIdentity != "" {
		cond.Set("aws:SourceIdentity", sess.SourceIdentity)
	}
	if sess.SourceInstanceARN != "" {
		cond.Set("ec2:SourceInstanceARN", sess.SourceInstanceARN)
		cond.Set("ec2:RoleDelivery", sess.RoleDelivery)
	}
	if sess.FederatedProvider != "" {
		cond.Set("aws:FederatedProvider", sess.FederatedProvider)
	}
	setProviderKeys(cond, sess.ProviderKeys)
}

// rootAllowsAll stands for what no policy limits: a root's permissions, as the identity
// side of its federated users' sessions.
var rootAllowsAll = func() *policy.Policy {
	p, err := policy.CompileLenient([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	if err != nil {
		panic(err)
	}
	return p
}()

// anyDate is the request-time tolerance of the emulator's second look at a request whose
// date is too far from now: wide enough for any frozen clock a test suite sets.
const anyDate = 100 * 365 * 24 * time.Hour

// emulatorDate takes a second look, in emulator mode, at a request that failed to parse:
// a request whose only fault is its date (SigV4's 15 minutes, "Signature expired: …")
// parses when any date is allowed, and is returned with the date error kept aside in skew.
// The caller decides afterwards: the stand-in root, whose signature is never checked
// (docs/emulator.md), goes through, as in moto server, where suites sign under a frozen
// clock (freezegun's freeze_time); any key Gatehouse issued gets skew, as on AWS. Any other
// parse error is returned as it was.
func (s *Server) emulatorDate(c *call, sreq *sigv4.Request, err error) (_ *sigv4.Request, skew, _ error) {
	if s.emu == nil || err == nil {
		return sreq, nil, err
	}
	lax, lerr := sigv4.New(sigv4.Options{Now: s.cfg.Now, MaxSkew: anyDate}).Parse(c.r)
	if lerr != nil || lax.Unsigned {
		return sreq, nil, err
	}
	return lax, err, nil
}
