package reference

import "strings"

// applies reports whether a statement's Action/NotAction, Resource/NotResource and Condition elements
// match the request. The Principal element is matched separately (only resource-based policies and RCPs
// carry one).
func (r *Request) applies(p *policy, s *statement) bool {
	// A variable that cannot be resolved makes the whole statement invalid (reference_policies_variables.html,
	// note at the top and "not present ... any attempt to match it fails and causes the statement to be
	// invalid"). The check covers the places variables are substituted: Resource, NotResource and the values
	// of string and ARN conditions.
	if p.vars {
		for _, res := range append(append([]string{}, s.resource...), s.notResource...) {
			if r.hasUnresolved(res) {
				r.invalidated++
				return false
			}
		}
		for _, c := range s.conditions {
			if !operators[c.op].vars {
				continue
			}
			for _, v := range c.values {
				if r.hasUnresolved(v) {
					r.invalidated++
					return false
				}
			}
		}
	}
	if s.hasAction && !anyAction(s.action, r.Action) {
		return false
	}
	if s.hasNotAction && anyAction(s.notAction, r.Action) {
		return false
	}
	if s.hasResource && !r.anyResource(s.resource, p.vars) {
		return false
	}
	if s.hasNotRes && r.anyResource(s.notResource, p.vars) {
		return false
	}
	for _, c := range s.conditions {
		if !r.holds(c, p.vars) {
			return false
		}
	}
	return true
}

func anyAction(patterns []string, action string) bool {
	for _, p := range patterns {
		if actionMatches(p, action) {
			return true
		}
	}
	return false
}

func (r *Request) anyResource(patterns []string, vars bool) bool {
	for _, p := range patterns {
		if r.resourceMatches(p, vars) {
			return true
		}
	}
	return false
}

// scan walks every statement of the given policies and reports whether an applicable Deny exists and the
// strongest grant among applicable Allows. principalElement: the statements carry a Principal element that
// must name the caller (resource-based policies); rcp: a Principal element is honoured when present.
func (r *Request) scan(policies []*policy, principalElement, rcp bool) (deny bool, allow grant) {
	for _, p := range policies {
		for _, s := range p.stmts {
			g := grantDirect
			if principalElement || rcp {
				g = s.match(r.Principal, principalElement)
				if g == grantNone {
					continue
				}
			}
			if !r.applies(p, s) {
				continue
			}
			if s.allow {
				allow = max(allow, g)
			} else {
				deny = true
			}
		}
	}
	return deny, allow
}

func one(p *policy) []*policy {
	if p == nil {
		return nil
	}
	return []*policy{p}
}

// Evaluate decides the request with AWS's evaluation logic, from reference_policies_evaluation-logic.html
// ("Determining whether a request is allowed or denied within an account") and
// reference_policies_evaluation-logic-cross-account.html.
func (r *Request) Evaluate() Result {
	p := r.Principal

	// Which policies apply to this caller.
	var identity, boundary, session []*policy
	if p.hasIdentityPolicies() {
		identity = r.Identity
		boundary = one(r.Boundary)
	}
	if p.isSession() {
		session = one(r.Session)
	}
	// SCPs limit principals of the member account (the root user included); services and anonymous callers
	// are not principals of the account. RCPs limit access to the account's resources by any caller, AWS
	// service principals included: the documented confused-deputy RCP denies service principals
	// (aws:PrincipalIsAWSService true) acting for another organization (orgs_manage_policies_rcps_examples.html).
	// Neither restricts service-linked roles.
	scps := r.SCPs
	if !p.inAccount() || p.serviceLinked() {
		scps = nil
	}
	rcps := r.RCPs
	if p.serviceLinked() {
		rcps = nil
	}

	// 1. Deny evaluation: an applicable Deny in any policy type decides (flowchart step "Deny evaluation").
	var denies []string
	rcpDeny := false
	for _, lvl := range rcps {
		if d, _ := r.scan(lvl, false, true); d {
			rcpDeny = true
		}
	}
	scpDeny := false
	for _, lvl := range scps {
		if d, _ := r.scan(lvl, false, false); d {
			scpDeny = true
		}
	}
	resDeny, resGrant := r.scan(one(r.ResPolicy), true, false)
	idDeny, idGrant := r.scan(identity, false, false)
	bDeny, bGrant := r.scan(boundary, false, false)
	sDeny, sGrant := r.scan(session, false, false)
	for _, d := range []struct {
		deny bool
		typ  string
	}{{rcpDeny, TypeRCP}, {scpDeny, TypeSCP}, {resDeny, TypeResource}, {idDeny, TypeIdentity}, {bDeny, TypeBoundary}, {sDeny, TypeSession}} {
		if d.deny {
			denies = append(denies, d.typ)
		}
	}
	if len(denies) > 0 {
		return r.result(ExplicitDeny, denies[0], denies)
	}

	// 2. No explicit deny: the request is allowed only if every policy type the flowchart requires allows
	// it. Every type that fails to allow is collected, because "If multiple policy types deny an
	// authorization request, AWS includes only one of those policy types in the error message"
	// (troubleshoot_access-denied.html); the first, in flowchart order, is reported.
	var fails []string
	fail := func(failed bool, typ string) {
		if failed {
			fails = append(fails, typ)
		}
	}
	// RCPs, then SCPs: every level of the organization path must allow; a level with no policies allows
	// nothing (DESIGN.md; orgs_manage_policies_scps_evaluation.html).
	rcpFail := false
	for _, lvl := range rcps {
		if _, g := r.scan(lvl, false, true); g == grantNone {
			rcpFail = true
		}
	}
	fail(rcpFail, TypeRCP)
	scpFail := false
	for _, lvl := range scps {
		if _, g := r.scan(lvl, false, false); g == grantNone {
			scpFail = true
		}
	}
	fail(scpFail, TypeSCP)

	sameAccount := p.Account != "" && p.Account == r.ResourceAccount
	switch p.Kind {
	case KindRoot:
		// "all requests are implicitly denied with the exception of the AWS account root user, which has
		// full access": in its own account the root user needs no policy; elsewhere the resource-based
		// policy must allow it. A role trust policy must explicitly allow even the root user (and STS does
		// not let root credentials call AssumeRole at all, API_AssumeRole.html).
		fail((!sameAccount || r.isTrustPolicyRequest()) && resGrant == grantNone, TypeResource)
	case KindService, KindAnonymous, KindUnknown, KindWebIdentity:
		// Callers without identity policies are decided by the resource-based policy alone.
		fail(resGrant == grantNone, TypeResource)
	default:
		// A role trust policy must itself allow sts:AssumeRole* ("IAM role trust policies and KMS key
		// policies are exceptions to this logic, because they must explicitly allow access for principals").
		fail(sameAccount && r.isTrustPolicyRequest() && resGrant == grantNone, TypeResource)
		// Same account: a grant to the caller itself (user, role session, federated user) "is not limited by
		// an implicit deny in an identity-based policy, a permissions boundary, or session policy".
		if !(sameAccount && resGrant == grantDirect) {
			// The identity side (flowchart steps 4-6). In the same account a grant to the session's role
			// stands in for the identity-based allow but stays limited by boundary and session policy.
			identityAllows := idGrant != grantNone || (sameAccount && resGrant == grantRole)
			fail(!identityAllows, TypeIdentity)
			fail(r.Boundary != nil && bGrant == grantNone, TypeBoundary)
			if p.isSession() {
				// "If there is no session policy, the code checks whether the principal is a role session.
				// If the principal is a role session, then the request is Allowed. Otherwise, the request
				// is implicitly denied" — a federated user session needs a session policy.
				fail((r.Session != nil && sGrant == grantNone) || (r.Session == nil && p.Kind == KindFederated), TypeSession)
			}
			// Cross-account: the trusting account's resource-based policy must allow as well
			// (reference_policies_evaluation-logic-cross-account.html).
			fail(!sameAccount && resGrant == grantNone, TypeResource)
		}
	}
	if len(fails) > 0 {
		return r.result(ImplicitDeny, fails[0], fails)
	}
	return r.result(Allowed, "", nil)
}

// isTrustPolicyRequest: the request assumes an IAM role, so the resource-based policy is its trust policy.
func (r *Request) isTrustPolicyRequest() bool {
	// sts:TagSession, sts:SetSourceIdentity and sts:SetContext ride along with AssumeRole* and the role's trust
	// policy must allow them too (id_session-tags.html, "Permissions required to add session tags";
	// id_credentials_temp_control-access_monitor.html for the source identity).
	a := strings.ToLower(r.Action)
	trust := strings.HasPrefix(a, "sts:assumerole") || a == "sts:tagsession" || a == "sts:setsourceidentity" || a == "sts:setcontext"
	if trust && strings.HasPrefix(r.Resource, "arn:aws:iam::") && strings.Contains(r.Resource, ":role/") {
		return true
	}
	// "IAM role trust policies and KMS key policies are exceptions to this logic, because they must explicitly
	// allow access for principals": a KMS action on a key needs its key policy too.
	parts := strings.SplitN(r.Resource, ":", 6)
	return strings.HasPrefix(a, "kms:") && len(parts) == 6 && parts[0] == "arn" && parts[2] == "kms" && strings.HasPrefix(parts[5], "key/")
}

// result builds the Result with AWS's AccessDenied text (troubleshoot_access-denied.html): "User: ARN is
// not authorized to perform: ACTION on resource: ARN because no TYPE policy allows the ACTION action", or
// "... with an explicit deny in a TYPE policy". "When an SCP denies access, the error message always
// includes the phrase due to an explicit deny in a Service Control Policy, even if the denial is
// implicit"; the reference words an RCP denial the same way (the page has no RCP example).
func (r *Request) result(decision, by string, denies []string) Result {
	res := Result{Decision: decision, DeniedBy: by, Denials: denies, InvalidStatements: r.invalidated}
	if decision == Allowed {
		return res
	}
	// The documented examples name the resource only when there is one: "codecommit:ListRepositories because
	// no identity-based policy allows ..." but "codedeploy:ListDeployments on resource: arn:... with ...".
	head := "User: " + r.Principal.ARN + " is not authorized to perform: " + r.Action
	if r.Resource != "*" {
		head += " on resource: " + r.Resource
	}
	names := map[string]string{
		TypeIdentity: "identity-based policy",
		TypeResource: "resource-based policy",
		TypeBoundary: "permissions boundary",
		TypeSession:  "session policy",
		TypeSCP:      "service control policy",
		TypeRCP:      "resource control policy",
	}
	if decision == ExplicitDeny || by == TypeSCP || by == TypeRCP {
		article := "a "
		if by == TypeIdentity {
			article = "an "
		}
		res.Message = head + " with an explicit deny in " + article + names[by]
	} else {
		res.Message = head + " because no " + names[by] + " allows the " + r.Action + " action"
	}
	return res
}
