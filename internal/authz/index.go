package authz

import (
	"hash/maphash"
	"math/bits"
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
	c   *policy.Compiled
	pol int // the policy holding c, in the index's pols
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
			b.stmts = append(b.stmts, istmt{c: c, pol: ai})
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

// query is a request as the indexes read it. The lower-cased forms of the action are
// filled by prepare, only when a plan is built or statements are scanned.
type query struct {
	action, resource     string
	lower, service, head string
	svcBit, headBit      uint64
	prepared, bitsDone   bool
	ctx                  *Context
	principal            *Principal
	res                  *Result // its scratch buffer holds lower
}

// maskBits returns the request's bits for policy.Compiled.MayMatch, computing them once.
func (q *query) maskBits() (svc, head uint64) {
	if !q.bitsDone {
		q.prepare()
		q.svcBit, q.headBit = policy.ServiceBit(q.service), ^uint64(0)
		if q.head != "" {
			q.headBit = policy.HeadBit(q.head)
		}
		q.bitsDone = true
	}
	return q.svcBit, q.headBit
}

// cands is the statements of one index whose Action matches one action: the list a
// decision runs (cand), or, when there are many, a second index on the resource:
// statements by the literal prefix of each of their resource patterns (the text before
// the first wildcard or variable; a pattern can match only resources that start with
// it), looked up with the request resource cut at each distinct prefix length; and
// those that cannot be indexed (a prefix shorter than minLiteral, NotResource, no
// Resource).
type cands struct {
	list      []cand
	*resIndex // non-nil: run the resource index instead of list
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

// cand is one statement of a plan, with what a decision needs to rule it out by its
// resource without touching the statement: a decision mostly rejects candidates, and a
// statement, its pattern IDs, the interned pattern and its text are four more memory
// loads each, most of them cache misses when a server holds many principals
// (bench/engines, typical-all). A statement with k Resource patterns is k cands in a
// row, each holding one pattern; skip says how many of its own follow, so the first
// that matches decides and the rest are passed over.
type cand struct {
	st  *policy.Compiled
	pat *wildcard.Pattern // cQuick: one of the statement's Resource patterns
	// probe and probeEnd are pat's Probe (probeEnd 0: none): most resources that do not
	// match are rejected by one load of the resource, without reading pat.
	probe    uint64
	pol      uint32 // the statement's policy in index.pols
	probeEnd uint16
	skip     uint8
	flags    uint8
}

// The bits of cand.flags.
const (
	// cQuick: the resource test is pat alone (negated with cNotResource), and nothing
	// else but the condition stands between a resource match and the statement applying:
	// no Principal element, no policy variable to resolve. Other statements go through
	// index.try.
	cQuick uint8 = 1 << iota
	cNotResource
	cAnyResource // pat matches every resource ("*", or no Resource element)
	cCond        // the statement has a Condition
)

// appendCands appends the cands of statement st of policy pol.
func (ix *index) appendCands(list []cand, st *policy.Compiled, pol int) []cand {
	resources := st.Resources()
	quick := st.Principal == nil && ix.typ != ResourcePolicy && ix.typ != RCPPolicy && !st.HasVariables() &&
		(st.AnyResource() || len(resources) > 0) && (!st.NotResource() || len(resources) == 1) && len(resources) <= 256
	if !quick {
		return append(list, cand{st: st, pol: uint32(pol)})
	}
	flags := cQuick
	if st.NotResource() {
		flags |= cNotResource
	}
	if st.Condition != nil {
		flags |= cCond
	}
	if st.AnyResource() {
		return append(list, cand{st: st, pol: uint32(pol), flags: flags | cAnyResource})
	}
	for i, id := range resources {
		c := cand{st: st, pat: wildcard.At(id), pol: uint32(pol), skip: uint8(len(resources) - 1 - i), flags: flags}
		if c.pat.MatchesAll() {
			c.flags |= cAnyResource
		} else if end, word, ok := c.pat.Probe(); ok {
			c.probe, c.probeEnd = word, uint16(end)
		}
		list = append(list, c)
	}
	return list
}

// candidates returns the statements whose Action (or NotAction) matches q's action, in
// document order and once each.
func (ix *index) candidates(q *query) cands {
	var list []cand
	if !ix.indexed() {
		svcBit, headBit := q.maskBits()
		for p, a := range ix.pols {
			sts := a.Policy.Statements
			for i := range sts {
				if sts[i].MayMatch(svcBit, headBit) && sts[i].MatchActionLower(q.lower) {
					list = ix.appendCands(list, &sts[i], p)
				}
			}
		}
		return cands{list: slices.Clip(list)}
	}
	var lists [4][]int32
	lists[0] = ix.exact[q.lower]
	if q.head != "" {
		lists[1] = ix.byHead[q.head]
	}
	lists[2] = ix.bySvc[q.service]
	lists[3] = ix.global
	var all []int32
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
			all = append(all, n)
		}
	}
	var c cands
	if len(all) > resourceIndexMin {
		c.resIndex = ix.indexResources(all)
	}
	if c.resIndex == nil {
		for _, n := range all {
			s := &ix.stmts[n]
			list = ix.appendCands(list, s.c, s.pol)
		}
		c.list = slices.Clip(list)
	}
	return c
}

// indexResources returns the resource index of the statements all, or nil when their
// prefixes come in too many lengths for a lookup to stay cheap.
func (ix *index) indexResources(all []int32) *resIndex {
	byLit := map[string][]int32{}
	var always []int32
	var lengths []int
	for _, n := range all {
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
		return nil
	}
	slices.Sort(lengths)
	return &resIndex{byLit: byLit, lengths: lengths, always: always}
}

// eval runs the candidate statements of a plan, or, without one (c nil: the plan cache
// is full), every statement whose masks admit the request and whose action matches, and
// records the matches into res and e.
func (ix *index) eval(c *cands, q *query, res *Result, e *eval) {
	switch {
	case c == nil && !ix.indexed():
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
	case c == nil:
	case c.resIndex == nil:
		ix.run(c.list, q, res, e)
	default:
		ix.evalResIndex(c.resIndex, q, res, e)
	}
}

// run decides a plan's list of cands. A quick cand is settled by its own pattern and,
// when it matches, the statement's condition; the statement itself is read only then.
func (ix *index) run(list []cand, q *query, res *Result, e *eval) {
	for i := 0; i < len(list); i++ {
		c := &list[i]
		if c.flags&cQuick == 0 {
			ix.try(c.st, &ix.pols[c.pol], q, res, e)
			continue
		}
		// The resource test, inline: the probe rejects most candidates with one load.
		m := true
		if c.flags&cAnyResource == 0 {
			if e := int(c.probeEnd); e != 0 && (len(q.resource) < e || wildcard.Load64(q.resource, e-8) != c.probe) {
				m = false
			} else {
				m = c.pat.Match(q.resource, nil)
			}
		}
		if m == (c.flags&cNotResource != 0) {
			continue
		}
		i += int(c.skip) // the statement's other patterns need not be tried
		if c.flags&cCond != 0 && !c.st.Condition.Eval(q.ctx) {
			continue
		}
		ix.record(c.st, &ix.pols[c.pol], grantNone, res, e)
	}
}

// evalResIndex merges, in document order and once each, the statements under every
// literal prefix of the resource and those always tried, and tries them.
func (ix *index) evalResIndex(r *resIndex, q *query, res *Result, e *eval) {
	var lists [maxLengths + 1][]int32
	k := 0
	for _, l := range r.lengths {
		if l > len(q.resource) {
			break
		}
		if refs := r.byLit[q.resource[:l]]; len(refs) > 0 {
			lists[k] = refs
			k++
		}
	}
	lists[k] = r.always
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
		ix.try(s.c, &ix.pols[s.pol], q, res, e)
	}
}

// planCache memoizes, per action as the request spells it, the candidate statements of
// every index of a Set or ResourceSet: one table lookup per decision instead of several.
// Keying by the action as given, not lower-cased, spares a hit the lower-casing (callers
// spell an action the same way each time; each other spelling gets its own plan). It is
// copy-on-write (readers never lock) and bounded; past the bound, plans are computed per
// decision and not kept.
//
// The table is open-addressed with each slot's hash beside its plan, and a short key is
// held inside the plan, so a lookup is one seeded hash of the action (hashAction), almost
// always one slot, and the plan it leads to anyway: a Go map keyed by string cost 20% of
// a typical decision (bench/engines), its key comparisons and group probing more than
// the hash.
type planCache struct {
	t  atomic.Pointer[planTable]
	mu sync.Mutex
}

const maxPlans = 2048

// planSeed keys hashAction, chosen at random per process.
var planSeed = maphash.Comparable(maphash.MakeSeed(), uint64(0x9e3779b97f4a7c15)) | 1

// hashAction is the plan table's hash of an action name: the action's eight-byte words
// folded into a seeded state with a 64×64→128-bit multiply (wyhash's mixing). It is
// inlined, and cheaper than hash/maphash's call for names of twenty-odd bytes (6% of a
// decision, bench/engines typical). Flooding a table needs chosen action names, and a
// server forms those from the operations it serves; a client choosing them (the policy
// simulator) slows only its own principal's table, which is bounded (maxPlans).
func hashAction(s string) uint64 {
	const m1, m2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db
	h := planSeed ^ uint64(len(s))*m1
	i := 0
	for ; i+8 <= len(s); i += 8 {
		h = mix(h^wildcard.Load64(s, i), m2)
	}
	if i < len(s) {
		var w uint64
		if len(s) >= 8 {
			w = wildcard.Load64(s, len(s)-8) // the tail within the last eight bytes
		} else {
			for j := len(s) - 1; j >= 0; j-- {
				w = w<<8 | uint64(s[j])
			}
		}
		h = mix(h^w, m1)
	}
	return mix(h, m2)
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// sameKey compares a key with a plan's eight bytes at a time (wildcard.SameWords).
func sameKey(a, b string) bool { return len(a) == len(b) && wildcard.SameWords(a, b) }

// planTable is a read-only open-addressing table, at most half full; a slot with a nil
// plan is empty.
type planTable struct {
	slots []planSlot // len a power of two
	n     int
}

type planSlot struct {
	hash uint64
	p    *plan
}

func (t *planTable) find(h uint64, key string) *plan {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.p == nil {
			return nil
		}
		if s.hash == h && sameKey(s.p.key, key) {
			return s.p
		}
	}
}

func (t *planTable) put(h uint64, p *plan) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].p != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = planSlot{hash: h, p: p}
	t.n++
}

// plan is the candidates of each index, in the owner's index order.
type plan struct {
	key   string   // the action; in kbuf when it fits, so comparing it reads no other memory
	kbuf  [40]byte //
	act   actionKind
	first cands
	rest  *[]cands // the owner's indexes after the first; shorter when its last are absent
}

// newPlan returns a plan for key with n lists, the first being first. The first list's
// cands are copied into the plan's own allocation when there are few, so a decision goes
// from the table's slot to the plan and its candidates without another pointer to chase.
func newPlan(key string, first cands, n int) *plan {
	var p *plan
	var inline []cand
	switch k := len(first.list); {
	case k == 0 || first.resIndex != nil:
		p = &plan{}
	case k <= 2:
		x := &struct {
			plan
			a [2]cand
		}{}
		p, inline = &x.plan, x.a[:k]
	case k <= 4:
		x := &struct {
			plan
			a [4]cand
		}{}
		p, inline = &x.plan, x.a[:k]
	case k <= 8:
		x := &struct {
			plan
			a [8]cand
		}{}
		p, inline = &x.plan, x.a[:k]
	default:
		p = &plan{}
	}
	if inline != nil {
		copy(inline, first.list)
		first.list = inline
	}
	p.first = first
	p.act = kindOf(key)
	if len(key) <= len(p.kbuf) {
		k := p.kbuf[:len(key)]
		copy(k, key)
		p.key = unsafeString(k)
	} else {
		p.key = strings.Clone(key)
	}
	if n > 1 {
		rest := make([]cands, n-1)
		p.rest = &rest
	}
	return p
}

// noPlan stands for "scan": every list is nil. It is used once a Set's plan cache is
// full.
var noPlan plan

// list returns index i's candidates; nil (scan) for noPlan.
func (p *plan) list(i int) *cands {
	if i == 0 {
		if p == &noPlan {
			return nil
		}
		return &p.first
	}
	if p.rest != nil && i-1 < len(*p.rest) {
		return &(*p.rest)[i-1]
	}
	return nil
}

// set stores index i's candidates, i > 0 (newPlan takes the first).
func (p *plan) set(i int, c cands) { (*p.rest)[i-1] = c }

type planner interface {
	build(q query) *plan // q by value: it must not escape
	scannable() bool     // every index can be scanned without a plan
}

func (c *planCache) get(q *query, b planner) *plan {
	h := hashAction(q.action)
	if t := c.t.Load(); t != nil {
		if p := t.find(h, q.action); p != nil {
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
		if kept := old.find(h, q.action); kept != nil {
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
				next.put(s.hash, s.p)
			}
		}
	}
	next.put(h, p)
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
	ix.record(st, a, g, res, e)
}

// record notes that statement st of a applies, having named the principal as g.
func (ix *index) record(st *policy.Compiled, a *Attached, g grant, res *Result, e *eval) {
	eff := st.Effect()
	// Written in place: appending a composite literal builds it in a temporary and copies
	// it, and the copy's loads cannot be forwarded from the temporary's stores.
	res.Matched = append(res.Matched, Matched{})
	m := &res.Matched[len(res.Matched)-1]
	m.Type, m.Policy, m.Sid, m.Effect, m.Index = ix.typ, a.Label, a.Policy.Sid(st), eff, int(st.Index)
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
