package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/internal/authz"
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/catalog"
	"gatehouse/internal/policy"
)

// policyCache holds each principal's compiled policy set. An entry is good while its
// generation is the account's current one on this node (iam.Service.Generation, no I/O),
// so a change is visible to the very next request; IAM's OnChange also drops the
// principals a change names. Managed policies are compiled once for all principals that
// attach them (policy.Cache interns by document).
type policyCache struct {
	compiler *policy.Cache
	mu       sync.RWMutex
	m        map[string]*principalEntry
}

type principalEntry struct {
	set  *authz.Set
	tags map[string]string
	gen  uint64
	base atomic.Pointer[baseContext]
}

// baseContext is the condition keys a principal brings (authz.NewContext), built once
// per entry and shared, read-only, by the contexts of its requests.
type baseContext struct {
	p   authz.Principal
	ctx *authz.Context
}

// context returns a request context for p, a caller this entry is for: p's keys come
// from the entry's base, built on first use; the request's own keys go on top.
func (e *principalEntry) context(p *authz.Principal) *authz.Context {
	b := e.base.Load()
	if b == nil || b.p != *p {
		// A caller whose principal differs from the base's (the entry outlived a change of
		// user ID) gets a base of its own.
		b = &baseContext{p: *p, ctx: authz.NewContext(p, e.tags)}
		e.base.Store(b)
	}
	return authz.ContextOver(b.ctx)
}

func newPolicyCache(c *policy.Cache) *policyCache {
	return &policyCache{compiler: c, m: make(map[string]*principalEntry)}
}

func (pc *policyCache) drop(arn string) {
	pc.mu.Lock()
	delete(pc.m, arn)
	pc.mu.Unlock()
}

// principal returns the compiled policies of the caller.
func (s *Server) principal(ctx context.Context, cl *caller) (*principalEntry, error) {
	if cl.session != nil {
		return s.sessionPrincipal(ctx, cl)
	}
	arn := cl.principal.ARN
	gen := s.iam.Generation(cl.account.ID)
	s.policies.mu.RLock()
	e := s.policies.m[arn]
	s.policies.mu.RUnlock()
	if e != nil && e.gen >= gen {
		return e, nil
	}
	ps, err := s.iam.PrincipalPolicies(ctx, arn)
	if err != nil {
		return nil, err
	}
	var pp authz.PrincipalPolicies
	for _, sp := range ps.Policies {
		p, err := s.policies.compiler.Lenient([]byte(sp.Document))
		if err != nil {
			// A stored document that no longer compiles must not silently drop a Deny:
			// fail closed, and say which document in the log.
			return nil, fmt.Errorf("compiling %s policy %q of %s: %w", sp.Source, sp.Name, sp.Holder, err)
		}
		label := sp.ARN
		if label == "" {
			label = fmt.Sprintf("%s/%s", sp.Holder, sp.Name)
		}
		pp.Identity = append(pp.Identity, authz.Attached{Label: label, Policy: p})
	}
	if ps.Boundary != nil {
		p, err := s.policies.compiler.Lenient([]byte(ps.Boundary.Document))
		if err != nil {
			return nil, fmt.Errorf("compiling the permissions boundary of %s: %w", arn, err)
		}
		pp.Boundary = &authz.Attached{Label: ps.Boundary.ARN, Policy: p}
	}
	e = &principalEntry{set: authz.NewSet(pp), gen: ps.Generation}
	if len(ps.Tags) > 0 {
		e.tags = make(map[string]string, len(ps.Tags))
		for _, t := range ps.Tags {
			e.tags[t.Key] = t.Value
		}
	}
	s.policies.mu.Lock()
	s.policies.m[arn] = e
	s.policies.mu.Unlock()
	return e, nil
}

var resultPool = sync.Pool{New: func() any { return new(authz.Result) }}

// authorizeIAM decides an IAM call with the caller's policies. The account root is not
// governed by identity policies and is always allowed (no organization SCPs exist yet).
func (s *Server) authorizeIAM(c *call, op string, in any) error {
	if c.caller.root {
		s.metrics.observeDecision("allowed")
		s.rootAllowed(c, "iam:"+op, "")
		return nil
	}
	ctx := c.r.Context()
	action := "iam:" + op
	act, _ := catalog.LookupAction(action)
	target, err := s.iamResource(ctx, c, op, act, in)
	if err != nil {
		return err
	}
	e, err := s.principal(ctx, c.caller)
	if err != nil {
		return err
	}
	cond := e.context(&c.caller.principal)
	s.globalKeys(cond, c)
	s.sessionKeys(cond, c.caller)
	if act != nil {
		if act.SupportsConditionKey("iam:PolicyARN") {
			if v, ok := inputString(in, "PolicyArn"); ok {
				cond.Set("iam:PolicyARN", v)
			}
		}
		if act.SupportsConditionKey("iam:PermissionsBoundary") {
			if v, ok := inputString(in, "PermissionsBoundary"); ok {
				cond.Set("iam:PermissionsBoundary", v)
			} else if target.boundary != "" {
				cond.Set("iam:PermissionsBoundary", target.boundary)
			}
		}
		if tags, ok := inputTags(in); ok && len(tags) > 0 {
			keys := make([]string, 0, len(tags))
			for _, t := range tags {
				if t.Key == nil {
					continue
				}
				keys = append(keys, *t.Key)
				if t.Value != nil {
					cond.Set("aws:RequestTag/"+*t.Key, *t.Value)
				}
			}
			cond.SetMulti("aws:TagKeys", keys)
		} else if keys, ok := inputTagKeys(in); ok {
			cond.SetMulti("aws:TagKeys", keys)
		}
	}
	for _, t := range target.tags {
		if t.Key != nil && t.Value != nil {
			cond.Set("aws:ResourceTag/"+*t.Key, *t.Value)
			cond.Set("iam:ResourceTag/"+*t.Key, *t.Value)
		}
	}
	req := authz.Request{
		Principal:       &c.caller.principal,
		Action:          action,
		Resource:        target.arn,
		ResourceAccount: c.caller.account.ID,
		Context:         cond,
		Policies:        e.set,
	}
	res := resultPool.Get().(*authz.Result)
	defer resultPool.Put(res)
	authz.Evaluate(&req, res)
	s.metrics.observeDecision(res.Decision.String())
	if s.denies(c, &req, res) {
		return awserr.AccessDenied(res.Message())
	}
	if op == "AddRoleToInstanceProfile" {
		// "The caller of this operation must be granted the PassRole permission on the IAM
		// role" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html):
		// a role in a profile can be put on an instance.
		name, _ := inputString(in, "RoleName")
		role, err := s.iamResource(ctx, c, "GetRole", s.catalogAction("iam:GetRole"), &iamapi.GetRoleInput{RoleName: &name})
		if err != nil {
			return err
		}
		req.Action, req.Resource = "iam:PassRole", role.arn
		authz.Evaluate(&req, res)
		s.metrics.observeDecision(res.Decision.String())
		if s.denies(c, &req, res) {
			return awserr.AccessDenied(res.Message())
		}
	}
	return nil
}

func (s *Server) catalogAction(name string) *catalog.Action {
	a, _ := catalog.LookupAction(name)
	return a
}

// recordAccess feeds IAM's service last accessed data (iam.Service.RecordServiceAccess, no
// I/O) with an authorized request, whatever its service.
func (s *Server) recordAccess(c *call, action string) {
	svc, _, ok := strings.Cut(action, ":")
	if !ok || c.caller == nil {
		return
	}
	s.iam.RecordServiceAccess(c.caller.account.ID, c.caller.principal.ARN, strings.ToLower(svc), action, s.cfg.Region, s.cfg.Now())
}

// globalKeys sets the global condition keys every request carries
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
func (s *Server) globalKeys(cond *authz.Context, c *call) {
	now := s.cfg.Now().UTC()
	cond.Set("aws:CurrentTime", now.Format(time.RFC3339))
	cond.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	cond.Set("aws:SourceIp", sourceIP(c.r.RemoteAddr))
	cond.Set("aws:SecureTransport", strconv.FormatBool(c.r.TLS != nil))
	cond.Set("aws:RequestedRegion", s.cfg.Region)
	cond.Set("aws:ViaAWSService", "false")
	cond.Set("aws:PrincipalIsAWSService", "false")
	if ua := c.r.UserAgent(); ua != "" {
		cond.Set("aws:UserAgent", ua)
	}
}
