// Package authz owns AWS's decision procedure: given a principal, an action, a resource,
// a request context and the compiled policies that apply (identity-based, permissions
// boundary, session, resource-based, SCPs and RCPs), it decides allowed, explicitDeny or
// implicitDeny with its reasons, and renders AWS's AccessDenied message.
//
// The procedure is AWS's policy evaluation logic
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
// …_policy-eval-denyallow.html, …_cross-account.html, access_policies_boundaries.html,
// access_policies.html#policies_session). It evaluates every applicable statement so that
// no reason is lost, and it does not allocate when the Result is reused.
package authz

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"

	"gatehouse/internal/policy"
	"gatehouse/internal/policy/condition"
)

// Context is the request context of condition keys.
type Context = condition.Context

// Decision is IAM's answer, with the names of IAM's SimulatePrincipalPolicy.
type Decision uint8

const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "implicitDeny"
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// PolicyType is a kind of policy in the evaluation.
type PolicyType uint8

const (
	NoPolicy PolicyType = iota
	IdentityPolicy
	ResourcePolicy
	BoundaryPolicy
	SessionPolicy
	SCPPolicy
	RCPPolicy
)

// String returns the names of DESIGN.md's policy tool (`deniedBy`).
func (t PolicyType) String() string {
	switch t {
	case NoPolicy:
		return ""
	case IdentityPolicy:
		return "identity"
	case ResourcePolicy:
		return "resource"
	case BoundaryPolicy:
		return "permissionsBoundary"
	case SessionPolicy:
		return "session"
	case SCPPolicy:
		return "scp"
	case RCPPolicy:
		return "rcp"
	}
	return "PolicyType(" + strconv.Itoa(int(t)) + ")"
}

// phrase is how AccessDenied messages name the policy type
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
func (t PolicyType) phrase() (article, name string) {
	switch t {
	case IdentityPolicy:
		return "an", "identity-based policy"
	case ResourcePolicy:
		return "a", "resource-based policy"
	case BoundaryPolicy:
		return "a", "permissions boundary"
	case SessionPolicy:
		return "a", "session policy"
	case SCPPolicy:
		return "a", "service control policy"
	case RCPPolicy:
		return "a", "resource control policy"
	}
	return "a", "policy"
}

// Attached is a compiled policy with the label diagnostics name it by
// ("identity[0]", "arn:aws:iam::aws:policy/AmazonS3FullAccess", …).
type Attached struct {
	Label  string
	Policy *policy.Policy
}

// PrincipalPolicies is what applies to a principal, whatever it calls.
type PrincipalPolicies struct {
	// Identity: a user's inline and managed policies and its groups'; a role's (also for
	// its sessions); for a federated user, the policies of the user that federated.
	Identity []Attached
	// Boundary is the permissions boundary; nil when none is set.
	Boundary *Attached
	// Session holds the session policies passed when the session was made (inline and
	// managed); nil when none was passed. Present ones together cap the session.
	Session []Attached
	// SCPs holds the service control policies of the principal's account, one list per
	// level of the organization path (root, each OU, the account); nil outside an
	// organization. Every level must allow.
	SCPs [][]Attached
}

// ResourcePolicies is what applies to a resource, whoever calls.
type ResourcePolicies struct {
	// Resource is the resource-based policy (a bucket policy; a role's trust policy for
	// sts:AssumeRole*); nil when there is none.
	Resource *Attached
	// RCPs holds the resource control policies of the resource's account, by level.
	RCPs [][]Attached
}

// Set is a principal's policies compiled and indexed for decisions; build it once per
// principal (and rebuild it when its policies change) with NewSet.
type Set struct {
	identity          *index
	boundary, session *index // nil when none is set
	scps              []index
	hasSCPs           bool
	indexed           bool // some index is bucketed: use the plan cache
	plans             planCache
}

// build computes the plan of q: the candidates of the Set's indexes in plan order,
// identity, boundary, session, SCP levels.
func (s *Set) build(q query) *plan {
	q.prepare()
	n := 3 + len(s.scps)
	switch {
	case len(s.scps) > 0:
	case s.session != nil:
		n = 3
	case s.boundary != nil:
		n = 2
	default:
		n = 1
	}
	p := newPlan(q.action, s.identity.candidates(&q), n)
	if s.boundary != nil {
		p.set(1, s.boundary.candidates(&q))
	}
	if s.session != nil {
		p.set(2, s.session.candidates(&q))
	}
	for i := range s.scps {
		p.set(3+i, s.scps[i].candidates(&q))
	}
	return p
}

func (s *Set) scannable() bool { return !s.indexed }

// NewSet indexes a principal's policies.
func NewSet(p PrincipalPolicies) *Set {
	s := &Set{identity: newIndex(p.Identity, IdentityPolicy)}
	if p.Boundary != nil {
		s.boundary = newIndex([]Attached{*p.Boundary}, BoundaryPolicy)
	}
	if p.Session != nil {
		s.session = newIndex(p.Session, SessionPolicy)
	}
	if p.SCPs != nil {
		s.hasSCPs = true
		s.scps = make([]index, len(p.SCPs))
		for i, lvl := range p.SCPs {
			s.scps[i] = *newIndex(lvl, SCPPolicy)
		}
	}
	s.indexed = s.identity.indexed() || s.boundary.indexed() || s.session.indexed()
	for i := range s.scps {
		s.indexed = s.indexed || s.scps[i].indexed()
	}
	return s
}

// ResourceSet is a resource's policies compiled and indexed; build it once per resource.
type ResourceSet struct {
	resource *index // nil when there is no resource-based policy
	rcps     []index
	hasRCPs  bool
	indexed  bool
	plans    planCache
}

func (s *ResourceSet) build(q query) *plan {
	q.prepare()
	var first cands
	if s.resource != nil {
		first = s.resource.candidates(&q)
	}
	p := newPlan(q.action, first, 1+len(s.rcps))
	for i := range s.rcps {
		p.set(1+i, s.rcps[i].candidates(&q))
	}
	return p
}

func (s *ResourceSet) scannable() bool { return !s.indexed }

// NewResourceSet indexes a resource's policies.
func NewResourceSet(r ResourcePolicies) *ResourceSet {
	s := &ResourceSet{}
	if r.Resource != nil {
		s.resource = newIndex([]Attached{*r.Resource}, ResourcePolicy)
	}
	if r.RCPs != nil {
		s.hasRCPs = true
		s.rcps = make([]index, len(r.RCPs))
		for i, lvl := range r.RCPs {
			s.rcps[i] = *newIndex(lvl, RCPPolicy)
		}
	}
	s.indexed = s.resource.indexed()
	for i := range s.rcps {
		s.indexed = s.indexed || s.rcps[i].indexed()
	}
	return s
}

// Request is one authorization question.
type Request struct {
	Principal *Principal
	Action    string // service:Action, any case
	Resource  string // the resource ARN, or "*"
	// ResourceAccount owns the resource; equal to the principal's account makes the
	// request same-account. Empty means the principal's account.
	ResourceAccount string
	Context         *Context
	Policies        *Set         // nil: the principal has no policies
	Resources       *ResourceSet // nil: the resource has none
}

// Matched is a statement that applied to the request.
type Matched struct {
	Type   PolicyType
	Policy string // the Attached label
	Sid    string
	Effect policy.Effect
	Index  int // the statement's position in its policy
}

// Result is a decision with its reasons. Reuse one Result across calls to Evaluate to
// avoid allocating.
type Result struct {
	Decision Decision
	// DeniedBy is the policy type that decided a denial; NoPolicy when allowed.
	DeniedBy PolicyType
	// Matched lists every statement that applied, in evaluation order (RCPs, SCPs, the
	// resource-based policy, identity-based policies, the boundary, session policies).
	Matched []Matched

	principal, action, resource string
	scratch                     []byte // the lower-cased action
}

// Message returns AWS's AccessDenied text for a denial, or "" when allowed
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
func (r *Result) Message() string {
	if r.Decision == Allowed {
		return ""
	}
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(r.principal)
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(r.action)
	if r.resource != "" && r.resource != "*" {
		b.WriteString(" on resource: ")
		b.WriteString(r.resource)
	}
	article, name := r.DeniedBy.phrase()
	// "When an SCP denies access, the error message always includes the phrase due to an
	// explicit deny in a Service Control Policy, even if the denial is implicit"
	// (troubleshoot_access-denied.html#access-denied-scp-examples).
	if r.Decision == ExplicitDeny || r.DeniedBy == SCPPolicy {
		b.WriteString(" with an explicit deny in ")
		b.WriteString(article)
		b.WriteByte(' ')
		b.WriteString(name)
	} else {
		b.WriteString(" because no ")
		b.WriteString(name)
		b.WriteString(" allows the ")
		b.WriteString(r.action)
		b.WriteString(" action")
	}
	return b.String()
}

// grant is how a resource-based policy statement named the principal, which decides
// whether its Allow stands on its own within an account.
type grant uint8

const (
	grantNone    grant = iota
	grantAccount       // the account (ID or root ARN): the account's own policies must also allow
	grantRole          // the role ARN of a session: still capped by the boundary and session policies
	grantDirect        // the user, session or federated-user ARN, "*", a service: stands alone
)

type eval struct {
	allow, deny bool
	grant       grant
}

// trustActions are the actions of trustAction.
var trustActions = []string{"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
	"sts:tagsession", "sts:setsourceidentity", "sts:setcontext"}

// Evaluate decides req into res.
func Evaluate(req *Request, res *Result) {
	res.Decision, res.DeniedBy = ImplicitDeny, NoPolicy
	res.Matched = res.Matched[:0]
	p := req.Principal
	res.principal, res.action, res.resource = p.ARN, req.Action, req.Resource

	// Field by field: a composite literal of this size is built in a temporary and copied,
	// and the copy's 16-byte loads of 8-byte stores defeat store forwarding (13% of a
	// typical decision, bench/engines).
	var q query
	q.action, q.resource, q.ctx, q.principal, q.res = req.Action, req.Resource, req.Context, p, res

	sameAccount := p.Account != "" && (req.ResourceAccount == "" || req.ResourceAccount == p.Account)
	// Anonymous callers, service principals and web-identity callers have no identity
	// side: only a resource-based policy (a trust policy) can grant them anything.
	hasIdentity := p.Kind != Anonymous && p.Kind != Service && p.Kind != WebIdentity

	// Every applicable policy type, in AWS's evaluation order; all are evaluated so that
	// every matching statement is reported.
	var rcp, scp, rsc, idn, bnd, ses eval
	var rplan, pplan *plan
	if rs := req.Resources; rs != nil && (rs.resource != nil || rs.hasRCPs) {
		rplan = rs.plans.get(&q, rs)
	}
	ps := req.Policies
	if ps != nil && hasIdentity {
		pplan = ps.plans.get(&q, ps)
	}
	rcpOK := true
	// RCPs restrict every caller of the account's resources, AWS service principals included
	// (the documented confused-deputy RCP tests aws:PrincipalIsAWSService true,
	// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_examples.html),
	// except service-linked roles, like SCPs.
	if rplan != nil && req.Resources.hasRCPs && !p.ServiceLinked {
		rcpOK = evalLevels(req.Resources.rcps, rplan.list, 1, &q, res, &rcp)
	}
	scpOK := true
	if pplan != nil && ps.hasSCPs && !p.ServiceLinked {
		scpOK = evalLevels(ps.scps, pplan.list, 3, &q, res, &scp)
	}
	if rplan != nil && req.Resources.resource != nil {
		req.Resources.resource.eval(rplan.list(0), &q, res, &rsc)
	}
	// The root user has no identity policies or boundary to evaluate: it has full access
	// to its account. Session policies exist only for role sessions and federated users
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow).
	isSession := p.Kind == AssumedRole || p.Kind == FederatedUser
	hasBoundary, hasSession := false, false
	if pplan != nil && p.Kind != Root {
		ps.identity.eval(pplan.list(0), &q, res, &idn)
		if ps.boundary != nil {
			hasBoundary = true
			ps.boundary.eval(pplan.list(1), &q, res, &bnd)
		}
		if ps.session != nil && isSession {
			hasSession = true
			ps.session.eval(pplan.list(2), &q, res, &ses)
		}
	}

	var kind actionKind
	switch {
	case pplan != nil && pplan != &noPlan:
		kind = pplan.act
	case rplan != nil && rplan != &noPlan:
		kind = rplan.act
	default:
		kind = kindOf(req.Action)
	}

	// 1. An explicit deny in any policy wins (named in AWS's evaluation order).
	if rcp.deny || scp.deny || rsc.deny || idn.deny || bnd.deny || ses.deny {
		res.Decision = ExplicitDeny
		switch {
		case rcp.deny:
			res.DeniedBy = RCPPolicy
		case scp.deny:
			res.DeniedBy = SCPPolicy
		case rsc.deny:
			res.DeniedBy = ResourcePolicy
		case idn.deny:
			res.DeniedBy = IdentityPolicy
		case bnd.deny:
			res.DeniedBy = BoundaryPolicy
		default:
			res.DeniedBy = SessionPolicy
		}
		return
	}
	// 2. Organizations: every level of RCPs and SCPs must allow.
	if !rcpOK {
		res.DeniedBy = RCPPolicy
		return
	}
	if !scpOK {
		res.DeniedBy = SCPPolicy
		return
	}
	// 3. Resource-based policy, identity-based policies, boundary, session policies.
	identityAllows := idn.allow || p.Kind == Root
	boundaryOK := !hasBoundary || bnd.allow
	// Without a session policy a role session passes this step; a federated user session
	// does not: GetFederationToken's session policy is what grants it anything.
	sessionOK := ses.allow || (!hasSession && p.Kind != FederatedUser)
	identityChain := func() PolicyType {
		switch {
		case !identityAllows:
			return IdentityPolicy
		case !boundaryOK:
			return BoundaryPolicy
		case !sessionOK:
			return SessionPolicy
		}
		return NoPolicy
	}
	var denied PolicyType
	switch {
	case !hasIdentity:
		// Only a resource-based policy can grant these callers anything.
		if !rsc.allow {
			denied = ResourcePolicy
		}
	case !sameAccount || (!rsc.allow && (kind == trustAction || kind == kmsAction && isKMSKey(req.Resource))):
		// Cross-account access needs both sides; assuming a role always needs its trust
		// policy, and using a KMS key its key policy: "IAM role trust policies and KMS key
		// policies are exceptions to this logic, because they must explicitly allow access for
		// principals" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
		// …_cross-account.html).
		if !rsc.allow {
			denied = ResourcePolicy
		} else {
			denied = identityChain()
		}
	case rsc.allow:
		// Within an account a resource-based policy that names the principal itself
		// grants on its own; naming a role ARN is still capped by the session's
		// boundary and session policies; naming the account delegates to the account's
		// own policies (access_policies_boundaries.html, access_policies.html#policies_session).
		switch rsc.grant {
		case grantDirect:
		case grantRole:
			if !boundaryOK {
				denied = BoundaryPolicy
			} else if !sessionOK {
				denied = SessionPolicy
			}
		default:
			denied = identityChain()
		}
	default:
		denied = identityChain()
	}
	if denied != NoPolicy {
		res.DeniedBy = denied
		return
	}
	res.Decision = Allowed
}

// actionKind is what the evaluation needs to know of an action beyond the policies: a
// plan holds it, so a decision does not compare the action's text again.
type actionKind uint8

const (
	ordinaryAction actionKind = iota
	// trustAction needs the role's trust policy to allow it even within the account
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html).
	trustAction
	kmsAction // a KMS action: on a key, the key policy must allow it (isKMSKey)
)

// kindOf classifies an action, in any ASCII case (IAM action names are ASCII; Unicode
// case folding would read "sts:aſsumeRole", with a long s, as sts:AssumeRole). The
// service is the text before the first colon, or the whole action without one.
func kindOf(action string) actionKind {
	svc := action
	if i := strings.IndexByte(action, ':'); i >= 0 {
		svc = action[:i]
	}
	switch {
	case equalFoldASCII(svc, "kms"):
		return kmsAction
	case equalFoldASCII(svc, "sts"):
		for _, a := range trustActions {
			if equalFoldASCII(action, a) {
				return trustAction
			}
		}
	}
	return ordinaryAction
}

// equalFoldASCII reports whether a and lower are equal with ASCII letters of a folded to
// lower case; lower must be lower-case.
func equalFoldASCII(a, lower string) bool {
	if len(a) != len(lower) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c-'A' < 26 {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isKMSKey reports whether a resource is a KMS key (arn:PARTITION:kms:REGION:ACCOUNT:key/ID),
// whose key policy is the resource-based policy that must allow a KMS action on it.
// Actions on "*" (kms:ListKeys, kms:CreateKey) or on aliases involve no key policy.
func isKMSKey(resource string) bool {
	if !strings.HasPrefix(resource, "arn:") {
		return false
	}
	i := strings.Index(resource, ":kms:")
	return i > 0 && strings.Contains(resource[i:], ":key/")
}

// evalLevels evaluates Organizations policies level by level; ok is whether every level
// has an applicable Allow.
func evalLevels(levels []index, list func(int) *cands, first int, q *query, res *Result, e *eval) bool {
	ok := true
	for i := range levels {
		var l eval
		levels[i].eval(list(first+i), q, res, &l)
		if l.deny {
			e.deny = true
		}
		if !l.allow {
			ok = false
		}
	}
	e.allow = ok
	return ok
}

// prepare fills q's lower-cased action (in the Result's scratch buffer), its service and
// head ("s3" and "s3:g" for "s3:GetObject"), once: building a plan needs them, and a
// decision whose plan is cached does not. The action is lower-cased eight bytes at a time
// (lowerASCII) and its colon found with it: a byte-at-a-time loop branches on every
// letter's case, which a mixed-case action ("s3:GetObject") makes unpredictable. The
// mask bits are computed only when a statement scan needs them (query.maskBits).
func (q *query) prepare() {
	if q.prepared {
		return
	}
	q.prepared = true
	s := q.action
	// Whole words only: the buffer is rounded up to eight bytes, the bytes past the action
	// lower-cased along with it and then cut off, so no byte-wise tail loop runs.
	words := (len(s) + 7) &^ 7
	buf := q.res.scratch[:0]
	if cap(buf) < words {
		buf = make([]byte, 0, words+16)
	}
	buf = buf[:words]
	copy(buf, s)
	colon := lowerASCII(buf)
	buf = buf[:len(s)]
	q.res.scratch = buf
	q.lower = unsafeString(buf)
	q.service, q.head = q.lower, ""
	if colon >= 0 && colon < len(s) { // a colon in the padding is not the action's
		q.service = q.lower[:colon]
		if len(s) > colon+1 {
			q.head = q.lower[:colon+2]
		}
	}
}

// lowerASCII lower-cases the ASCII letters of b in place, leaving every other byte as it
// is (IAM action names are ASCII; a non-ASCII byte never matches an ASCII pattern byte
// either way), and returns the index of the first ':' (-1 when there is none). Eight bytes
// at a time: a byte is upper-case when its low seven bits are at least 'A' and at most
// 'Z' and its high bit is clear; adding 0x80-'A' and 0x80-'Z'-1 to the low seven bits
// sets each byte's high bit for those two tests without carrying into the next byte, and
// the surviving high bit shifted to 0x20 is the case bit. A colon is a zero byte of the
// word XOR ':'s; the zero-byte test's lowest flag is exact (a false flag can only follow a
// true one, through the borrow).
func lowerASCII(b []byte) (colon int) {
	const (
		ones   = 0x0101010101010101
		high   = 0x8080808080808080
		colons = ':' * ones
	)
	colon = -1
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		low := w &^ high
		upper := (low + (0x80-'A')*ones) &^ (low + (0x80-'Z'-1)*ones) &^ w & high
		binary.LittleEndian.PutUint64(b[i:], w|upper>>2)
		if colon < 0 {
			if x := w ^ colons; (x-ones)&^x&high != 0 {
				colon = i + bits.TrailingZeros64((x-ones)&^x&high)/8
			}
		}
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c-'A' < 26 {
			b[i] = c + 'a' - 'A'
		}
		if c == ':' && colon < 0 {
			colon = i
		}
	}
	return colon
}
