package authz

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"gatehouse/internal/policy"
	"gatehouse/internal/policy/wildcard"
)

// index holds the statements of one policy type. A small index (at most
// indexThreshold statements) is scanned in document order, each statement first checked
// against the request's service bit (policy.Compiled.ServiceMask), which costs a few
// nanoseconds per statement and no memory. A large one is bucketed by action so a
// decision looks only at statements that can name the requested action: exact action
// names; wildcard patterns by their service and the first letter of the action name
// ("s3:g" for "s3:Get*"); wildcard patterns by service alone ("s3:*Object"); and the
// rest (wildcard services, NotAction).
type index struct {
	typ      PolicyType
	pols     []Attached
	*buckets // nil: scanned
}

// buckets is a large index's statements by action.
type buckets struct {
	stmts  []istmt
	exact  map[string][]int32 // "s3:getobject" → statement numbers, ascending
	byHead map[string][]int32 // "s3:g"
	bySvc  map[string][]int32 // "s3"
	global []int32
}

// indexThreshold is the statement count above which an index is bucketed.
const indexThreshold = 64

type istmt struct {
	c *policy.Compiled
	a *Attached // the policy holding c, in the index's pols
}

func (ix *index) indexed() bool { return ix != nil && ix.buckets != nil }

func newIndex(pols []Attached, typ PolicyType) *index {
	ix := &index{typ: typ}
	n, k := 0, 0
	for _, a := range pols {
		if a.Policy != nil {
			k++
		}
	}
	ix.pols = make([]Attached, 0, k)
	for _, a := range pols {
		if a.Policy != nil {
			ix.pols = append(ix.pols, a)
			n += len(a.Policy.Statements)
		}
	}
	if n <= indexThreshold && len(ix.pols) < 1<<15 {
		return ix
	}
	b := &buckets{exact: map[string][]int32{}, byHead: map[string][]int32{}, bySvc: map[string][]int32{}}
	ix.buckets = b
	for ai := range ix.pols {
		a := &ix.pols[ai]
		for i := range a.Policy.Statements {
			c := &a.Policy.Statements[i]
			n := int32(len(b.stmts))
			b.stmts = append(b.stmts, istmt{c: c, a: a})
			if c.NotAction() {
				b.global = addRef(b.global, n)
				continue
			}
			for _, id := range c.Actions() {
				pat := wildcard.At(id)
				if exact, ok := pat.IsExact(); ok {
					b.exact[exact] = addRef(b.exact[exact], n)
					continue
				}
				pre := pat.LiteralPrefix()
				svc, name, ok := strings.Cut(pre, ":")
				switch {
				case !ok:
					b.global = addRef(b.global, n)
				case name != "":
					head := pre[:len(svc)+2]
					b.byHead[head] = addRef(b.byHead[head], n)
				default:
					b.bySvc[svc] = addRef(b.bySvc[svc], n)
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
	action, lower, service, head, resource string
	svcBit, headBit                        uint64
	bitsDone                               bool
	ctx                                    *Context
	principal                              *Principal
}

// maskBits returns the request's bits for policy.Compiled.MayMatch, computing them once.
func (q *query) maskBits() (svc, head uint64) {
	if !q.bitsDone {
		q.svcBit, q.headBit = policy.ServiceBit(q.service), ^uint64(0)
		if q.head != "" {
			q.headBit = policy.HeadBit(q.head)
		}
		q.bitsDone = true
	}
	return q.svcBit, q.headBit
}

// cands is the statements of one index whose Action matches one action, with, when
// there are many, a second index on the resource: statements by the literal prefix of
// each of their resource patterns (the text before the first wildcard or variable; a
// pattern can match only resources that start with it), looked up with the request
// resource cut at each distinct prefix length; and those that cannot be indexed (a
// prefix shorter than minLiteral, NotResource, no Resource).
//
// Plans are kept per principal and action, so cands is small: 32 bytes and its list,
// the resource index behind a pointer.
type cands struct {
	all       []int32
	*resIndex // nil: no resource index, run all
}

type resIndex struct {
	byLit   map[string][]int32
	lengths []int // the distinct key lengths of byLit, ascending
	always  []int32
}

const (
	// resourceIndexMin is the candidate count above which a plan indexes resources. At 32,
	// a 1,000-statement role whose requests match ~20 statements by action scanned all of
	// their resource patterns (half its CPU in wildcard matching); at 8 the same decision
	// costs 650–710 ns instead of 1.0–1.1 µs (bench/engines, role), typical ones unchanged.
	resourceIndexMin = 8
	// minLiteral is the shortest literal prefix worth indexing.
	minLiteral = 6
	// maxLengths is the most distinct prefix lengths a lookup will try.
	maxLengths = 16
)

// candidates returns the statements whose Action (or NotAction) matches q's action, in
// document order and once each.
func (ix *index) candidates(q *query) cands {
	if !ix.indexed() {
		// A scanned index's plan holds packed (policy, statement) references, gathered
		// on the stack and kept in a slice of exactly their number.
		var buf [indexThreshold]int32
		all := buf[:0]
		svcBit, headBit := q.maskBits()
		for p, a := range ix.pols {
			sts := a.Policy.Statements
			for i := range sts {
				if sts[i].MayMatch(svcBit, headBit) && sts[i].MatchActionLower(q.lower) {
					all = append(all, int32(p<<16|i))
				}
			}
		}
		return cands{all: slices.Clone(all)}
	}
	var lists [4][]int32
	lists[0] = ix.exact[q.lower]
	if q.head != "" {
		lists[1] = ix.byHead[q.head]
	}
	lists[2] = ix.bySvc[q.service]
	lists[3] = ix.global
	var c cands
	for {
		n := int32(1<<31 - 1)
		for i := range lists {
			if len(lists[i]) > 0 && lists[i][0] < n {
				n = lists[i][0]
			}
		}
		if n == 1<<31-1 {
			break
		}
		for i := range lists {
			if len(lists[i]) > 0 && lists[i][0] == n {
				lists[i] = lists[i][1:]
			}
		}
		// A plan is per action, so the action test can be settled here once.
		if ix.stmts[n].c.MatchActionLower(q.lower) {
			c.all = append(c.all, n)
		}
	}
	c.all = slices.Clip(c.all)
	if len(c.all) > resourceIndexMin {
		ix.indexResources(&c)
	}
	return c
}

// indexResources builds c's resource index, unless the prefixes come in too many
// lengths for a lookup to stay cheap.
func (ix *index) indexResources(c *cands) {
	byLit := map[string][]int32{}
	var always []int32
	var lengths []int
	for _, n := range c.all {
		st := ix.stmts[n].c
		short := st.AnyResource() || st.NotResource() || len(st.Resources()) == 0
		for _, id := range st.Resources() {
			short = short || len(wildcard.At(id).LiteralPrefix()) < minLiteral
		}
		if short {
			always = append(always, n)
			continue
		}
		for _, id := range st.Resources() {
			lit := wildcard.At(id).LiteralPrefix()
			byLit[lit] = addRef(byLit[lit], n)
			if !slices.Contains(lengths, len(lit)) {
				lengths = append(lengths, len(lit))
			}
		}
	}
	if len(lengths) > maxLengths {
		return
	}
	slices.Sort(lengths)
	c.resIndex = &resIndex{byLit: byLit, lengths: lengths, always: always}
}

// eval runs the candidate statements (a scanned index: every statement whose masks
// admit the request and whose action matches) and records the matches into res and e.
func (ix *index) eval(c *cands, q *query, res *Result, e *eval) {
	if !ix.indexed() && c != nil {
		for _, ref := range c.all {
			a := &ix.pols[ref>>16]
			ix.try(&a.Policy.Statements[ref&0xffff], a, q, res, e)
		}
		return
	}
	if !ix.indexed() {
		svcBit, headBit := q.maskBits()
		for ai := range ix.pols {
			a := &ix.pols[ai]
			sts := a.Policy.Statements
			for i := range sts {
				if sts[i].MayMatch(svcBit, headBit) && sts[i].MatchActionLower(q.lower) {
					ix.try(&sts[i], a, q, res, e)
				}
			}
		}
		return
	}
	if c == nil {
		return
	}
	if c.resIndex == nil {
		for _, n := range c.all {
			s := &ix.stmts[n]
			ix.try(s.c, s.a, q, res, e)
		}
		return
	}
	// Merge, in document order and once each, the statements under every literal prefix
	// of the resource and those always tried.
	var lists [maxLengths + 1][]int32
	k := 0
	for _, l := range c.lengths {
		if l > len(q.resource) {
			break
		}
		if refs := c.byLit[q.resource[:l]]; len(refs) > 0 {
			lists[k] = refs
			k++
		}
	}
	lists[k] = c.always
	k++
	for {
		n := int32(1<<31 - 1)
		for i := 0; i < k; i++ {
			if len(lists[i]) > 0 && lists[i][0] < n {
				n = lists[i][0]
			}
		}
		if n == 1<<31-1 {
			return
		}
		for i := 0; i < k; i++ {
			if len(lists[i]) > 0 && lists[i][0] == n {
				lists[i] = lists[i][1:]
			}
		}
		s := &ix.stmts[n]
		ix.try(s.c, s.a, q, res, e)
	}
}

// planCache memoizes, per lower-cased action, the candidate statements of every index of
// a Set or ResourceSet: one table lookup per decision instead of several. It is
// copy-on-write (readers never lock) and bounded; past the bound, plans are computed
// per decision and not kept.
//
// The table is open-addressed with each slot's hash beside its key, so a lookup is one
// seeded hash of the action (hash/maphash, as Go maps use: a caller choosing action names
// cannot aim collisions at it) and, almost always, one slot: a Go map keyed by string
// cost 20% of a typical decision (bench/engines), its key comparisons and group probing
// more than the hash.
type planCache struct {
	t  atomic.Pointer[planTable]
	mu sync.Mutex
}

const maxPlans = 2048

var planSeed = maphash.MakeSeed()

// planTable is a read-only open-addressing table, at most half full; a slot with a nil
// plan is empty.
type planTable struct {
	slots []planSlot // len a power of two
	n     int
}

type planSlot struct {
	hash uint64
	key  string
	p    *plan
}

func (t *planTable) find(h uint64, key string) *plan {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.p == nil {
			return nil
		}
		if s.hash == h && s.key == key {
			return s.p
		}
	}
}

func (t *planTable) put(h uint64, key string, p *plan) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].p != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = planSlot{hash: h, key: key, p: p}
	t.n++
}

// plan is the candidates of each index, in the owner's index order.
type plan struct {
	lists []cands // shorter when the owner's last indexes are absent
}

// noPlan stands for "scan": every list is nil. It is used once a Set's plan cache is
// full.
var noPlan plan

// list returns index i's candidates; nil (scan) for noPlan.
func (p *plan) list(i int) *cands {
	if i < len(p.lists) {
		return &p.lists[i]
	}
	return nil
}

type planner interface {
	build(q query) *plan
	scannable() bool // every index can be scanned without a plan
}

func (c *planCache) get(q *query, b planner) *plan {
	h := maphash.String(planSeed, q.lower)
	if t := c.t.Load(); t != nil {
		if p := t.find(h, q.lower); p != nil {
			return p
		}
		if t.n >= maxPlans {
			if b.scannable() {
				return &noPlan
			}
			return b.build(*q)
		}
	}
	p := b.build(*q)
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.t.Load()
	n := 0
	if old != nil {
		if kept := old.find(h, q.lower); kept != nil {
			return kept // another goroutine stored it meanwhile
		}
		n = old.n
	}
	if n >= maxPlans {
		return p
	}
	size := 8
	for size < 2*(n+1) {
		size *= 2
	}
	next := &planTable{slots: make([]planSlot, size)}
	if old != nil {
		for _, s := range old.slots {
			if s.p != nil {
				next.put(s.hash, s.key, s.p)
			}
		}
	}
	next.put(h, strings.Clone(q.lower), p)
	c.t.Store(next)
	return p
}

// try tests a statement whose action already matched.
func (ix *index) try(st *policy.Compiled, a *Attached, q *query, res *Result, e *eval) {
	if !st.Resolves(q.ctx) {
		return // an unresolvable policy variable makes the whole statement invalid
	}
	var g grant
	if st.Principal != nil {
		g = matchPrincipal(st.Principal, st.NotPrincipal(), q.principal)
		if g == grantNone {
			return
		}
	} else if ix.typ == ResourcePolicy || ix.typ == RCPPolicy {
		return // a resource-based statement without a principal applies to no one
	}
	if !st.MatchResource(q.resource, q.ctx) {
		return
	}
	if st.Condition != nil && !st.Condition.Eval(q.ctx) {
		return
	}
	eff := st.Effect()
	res.Matched = append(res.Matched, Matched{Type: ix.typ, Policy: a.Label, Sid: a.Policy.Sid(st), Effect: eff, Index: int(st.Index)})
	if eff == policy.Deny {
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
	case WebIdentity:
		for _, f := range ps.Federated {
			if f == p.ARN {
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
	case WebIdentity:
		for _, f := range ps.Federated {
			if f == p.ARN {
				return true
			}
		}
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
// is in use (it is the Result's scratch buffer, rewritten only by the next Evaluate).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
