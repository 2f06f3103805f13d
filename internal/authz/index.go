package authz

import (
	"strings"
	"unsafe"

	"gatehouse/internal/policy"
)

// index holds the statements of one policy type, bucketed by action so a decision looks
// only at statements that can name the requested action: exact action names, a service's
// wildcard patterns, and the rest (wildcard services, NotAction).
type index struct {
	typ    PolicyType
	stmts  []istmt
	exact  map[string][]int32 // "s3:getobject" → statement numbers, ascending
	bySvc  map[string][]int32 // "s3" → statements with a wildcard pattern in that service
	global []int32
}

type istmt struct {
	c     *policy.Compiled
	label string
}

func newIndex(pols []Attached, typ PolicyType) index {
	ix := index{typ: typ, exact: map[string][]int32{}, bySvc: map[string][]int32{}}
	for _, a := range pols {
		if a.Policy == nil {
			continue
		}
		for i := range a.Policy.Statements {
			c := &a.Policy.Statements[i]
			n := int32(len(ix.stmts))
			ix.stmts = append(ix.stmts, istmt{c: c, label: a.Label})
			if c.NotAction {
				ix.global = append(ix.global, n)
				continue
			}
			for j := range c.Actions {
				pat := &c.Actions[j]
				if exact, ok := pat.IsExact(); ok {
					ix.exact[exact] = addRef(ix.exact[exact], n)
					continue
				}
				pre := pat.LiteralPrefix()
				if svc, _, ok := strings.Cut(pre, ":"); ok {
					ix.bySvc[svc] = addRef(ix.bySvc[svc], n)
				} else {
					ix.global = addRef(ix.global, n)
				}
			}
		}
	}
	return ix
}

func addRef(refs []int32, n int32) []int32 {
	if len(refs) > 0 && refs[len(refs)-1] == n {
		return refs
	}
	return append(refs, n)
}

type query struct {
	action, lower, service, resource string
	ctx                              *Context
	principal                        *Principal
}

// eval runs every statement that may apply and records the matches into res and e.
func (ix *index) eval(q *query, res *Result, e *eval) {
	if len(ix.stmts) == 0 {
		return
	}
	a, b, c := ix.exact[q.lower], ix.bySvc[q.service], ix.global
	// Merge three ascending lists, visiting each statement once, in document order.
	for len(a)+len(b)+len(c) > 0 {
		n := int32(1<<31 - 1)
		if len(a) > 0 && a[0] < n {
			n = a[0]
		}
		if len(b) > 0 && b[0] < n {
			n = b[0]
		}
		if len(c) > 0 && c[0] < n {
			n = c[0]
		}
		if len(a) > 0 && a[0] == n {
			a = a[1:]
		}
		if len(b) > 0 && b[0] == n {
			b = b[1:]
		}
		if len(c) > 0 && c[0] == n {
			c = c[1:]
		}
		ix.try(n, q, res, e)
	}
}

func (ix *index) try(n int32, q *query, res *Result, e *eval) {
	s := &ix.stmts[n]
	st := s.c
	if !st.MatchAction(q.lower) {
		return
	}
	var g grant
	if st.Principal != nil {
		g = matchPrincipal(st.Principal, st.NotPrincipal, q.principal)
		if g == grantNone {
			return
		}
	} else if ix.typ == ResourcePolicy || ix.typ == RCPPolicy {
		return // a resource-based statement without a principal applies to no one
	}
	if !st.MatchResource(q.resource, q.ctx) {
		return
	}
	if !st.Condition.Empty() && !st.Condition.Eval(q.ctx) {
		return
	}
	res.Matched = append(res.Matched, Matched{Type: ix.typ, Policy: s.label, Sid: st.Sid, Effect: st.Effect, Index: st.Index})
	if st.Effect == policy.Deny {
		e.deny = true
		return
	}
	e.allow = true
	if g > e.grant {
		e.grant = g
	}
}

// matchPrincipal reports how a Principal (or NotPrincipal) element names p.
func matchPrincipal(ps *policy.PrincipalSet, not bool, p *Principal) grant {
	if not {
		// NotPrincipal applies unless every identity of the caller is listed: a session
		// is excluded only when its session ARN, its role and its account all are
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
		if listedEverywhere(ps, p) {
			return grantNone
		}
		return grantDirect
	}
	if ps.Any {
		return grantDirect
	}
	switch p.Kind {
	case Service:
		for _, s := range ps.Services {
			if s == p.ARN {
				return grantDirect
			}
		}
		return grantNone
	case Anonymous:
		return grantNone
	}
	best := grantNone
	for _, a := range ps.ARNs {
		switch {
		case a == p.ARN:
			return grantDirect
		case p.Kind == AssumedRole && sameRole(a, p):
			best = grantRole
		}
	}
	if best == grantNone {
		for _, acct := range ps.Accounts {
			if acct == p.Account {
				if p.Kind == Root {
					return grantDirect
				}
				return grantAccount
			}
		}
	}
	for _, f := range ps.Federated {
		if f == p.ARN {
			return grantDirect
		}
	}
	for _, c := range ps.Canonical {
		if c == p.ARN {
			return grantDirect
		}
	}
	return best
}

// sameRole reports whether roleARN (arn:P:iam::A:role/PATH/NAME) is the role behind
// session p; IAM compares the role by account and name, a session ARN carrying no path.
func sameRole(roleARN string, p *Principal) bool {
	rest, ok := strings.CutPrefix(roleARN, "arn:")
	if !ok {
		return false
	}
	want := p.Partition + ":iam::" + p.Account + ":role/"
	if !strings.HasPrefix(rest, want) {
		return false
	}
	return lastSegment(rest[len(want):]) == p.Name
}

func listedEverywhere(ps *policy.PrincipalSet, p *Principal) bool {
	if ps.Any {
		return true
	}
	hasARN := func(s string) bool {
		for _, a := range ps.ARNs {
			if a == s {
				return true
			}
		}
		return false
	}
	hasAccount := func() bool {
		for _, a := range ps.Accounts {
			if a == p.Account {
				return true
			}
		}
		return false
	}
	switch p.Kind {
	case Anonymous:
		return false
	case Service:
		for _, s := range ps.Services {
			if s == p.ARN {
				return true
			}
		}
		return false
	case Root:
		return hasAccount()
	case AssumedRole:
		roleListed := false
		for _, a := range ps.ARNs {
			if sameRole(a, p) {
				roleListed = true
			}
		}
		return hasARN(p.ARN) && roleListed && hasAccount()
	}
	return hasARN(p.ARN) && hasAccount()
}

// unsafeString views b as a string without copying; b must not change while the string
// is in use (it lives on Evaluate's stack for the duration of one decision).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
