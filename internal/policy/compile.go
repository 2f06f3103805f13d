package policy

import (
	"crypto/sha256"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"gatehouse/internal/arn"
	"gatehouse/internal/policy/condition"
	"gatehouse/internal/policy/wildcard"
)

// Policy is a compiled document: immutable, safe to share between principals and
// goroutines.
type Policy struct {
	Version    Version
	Statements []Compiled
	// text holds the statements' Sids and the ARNs their Principal elements name, one
	// allocation per policy.
	text string
}

// Sid returns the Sid of c, one of p's statements.
func (p *Policy) Sid(c *Compiled) string { return p.text[c.sidOff : c.sidOff+uint32(c.sidLen)] }

// Compiled is one compiled statement. Its patterns and condition block are interned:
// statements that name the same action, resource or condition share one compiled copy,
// which keeps thousands of principals' policies within their JSON size. It is 48 bytes;
// its patterns are 4-byte IDs in an array of its policy, and its Sid text is in its
// policy (Policy.Sid).
type Compiled struct {
	// pats points at the statement's patterns in its policy's one pattern array: the
	// nActions Action patterns (Action mode, lower-cased), then the nResources Resource
	// patterns (ARN mode), by interned ID; nil when there are none. See Actions and
	// Resources.
	pats      *wildcard.ID
	Principal *PrincipalSet    // nil when the statement names no principal
	Condition *condition.Block // nil when the statement has no condition

	// Mask prefilters requests by action: its low 32 bits hold ServiceBit(svc) of every
	// service an Action pattern names, its high 32 bits HeadBit of every service and
	// first action-name letter ("s3:g" for "s3:GetObject" and "s3:Get*"). A half is all
	// ones when a pattern leaves it open (a wildcard service, "s3:*Object", NotAction).
	// A statement that matches a request always passes MayMatch; most others do not.
	Mask uint64

	Index                        int32 // position in the document
	sidOff                       uint32
	nActions, nResources, sidLen uint16
	bits                         uint8
}

// The bits of Compiled.bits.
const (
	bDeny         uint8 = 1 << iota // Effect is Deny (else Allow)
	bNotAction                      // the Action patterns are NotAction's
	bNotResource                    // the Resource patterns are NotResource's
	bAnyResource                    // no Resource element (trust policies): any resource
	bNotPrincipal                   // Principal is a NotPrincipal element
	bVars                           // a Resource or condition value holds a policy variable
)

// Effect is the statement's Allow or Deny.
func (c *Compiled) Effect() Effect {
	if c.bits&bDeny != 0 {
		return Deny
	}
	return Allow
}

// NotAction reports whether Actions are a NotAction element's.
func (c *Compiled) NotAction() bool { return c.bits&bNotAction != 0 }

// NotResource reports whether Resources are a NotResource element's.
func (c *Compiled) NotResource() bool { return c.bits&bNotResource != 0 }

// AnyResource reports whether the statement has neither Resource nor NotResource.
func (c *Compiled) AnyResource() bool { return c.bits&bAnyResource != 0 }

// NotPrincipal reports whether Principal is a NotPrincipal element's.
func (c *Compiled) NotPrincipal() bool { return c.bits&bNotPrincipal != 0 }

// HasVariables reports whether a Resource pattern or a condition value holds a policy
// variable (see Resolves).
func (c *Compiled) HasVariables() bool { return c.bits&bVars != 0 }

func (c *Compiled) set(b uint8, on bool) {
	if on {
		c.bits |= b
	}
}

// Actions returns the statement's Action (or NotAction) patterns (wildcard.At reads
// one).
func (c *Compiled) Actions() []wildcard.ID {
	if c.nActions == 0 {
		return nil
	}
	return unsafe.Slice(c.pats, c.nActions)
}

// Resources returns the statement's Resource (or NotResource) patterns; empty with
// AnyResource for a statement without Resource (trust policies).
func (c *Compiled) Resources() []wildcard.ID {
	if c.nResources == 0 {
		return nil
	}
	first := unsafe.Add(unsafe.Pointer(c.pats), uintptr(c.nActions)*unsafe.Sizeof(wildcard.ID(0)))
	return unsafe.Slice((*wildcard.ID)(first), c.nResources)
}

const (
	lowHalf  = uint64(0x00000000ffffffff)
	highHalf = uint64(0xffffffff00000000)
)

// ServiceBit is the Mask bit of a lower-cased service prefix ("s3").
func ServiceBit(lowerService string) uint64 { return 1 << (fnv32(lowerService) % 32) }

// HeadBit is the Mask bit of a lower-cased "service:first-letter" ("s3:g").
func HeadBit(lowerHead string) uint64 { return 1 << (32 + fnv32(lowerHead)%32) }

// fnv32 is FNV-1a.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// MayMatch reports whether the statement's Action could match a request whose service
// and head bits are svcBit and headBit.
func (c *Compiled) MayMatch(svcBit, headBit uint64) bool {
	return c.Mask&svcBit != 0 && c.Mask&headBit != 0
}

// Holds reports whether the statement's condition holds in ctx (true without one).
func (c *Compiled) Holds(ctx *condition.Context) bool {
	return c.Condition == nil || c.Condition.Eval(ctx)
}

// PrincipalSet is a compiled Principal or NotPrincipal value, its entries sorted by kind.
type PrincipalSet struct {
	Any        bool     // "*" or {"AWS": "*"}
	Accounts   []string // account IDs named by ID or by root ARN
	ARNs       []string // user, role, assumed-role and federated-user ARNs, as written
	Services   []string
	Federated  []string
	Canonical  []string
	AWSEntries int // how many AWS entries the element lists
}

// maxCount is the most statements a document, or Action or Resource entries a
// statement, may have, and the longest Sid: the compiled form counts them in 16 bits
// (and authz packs statement numbers so). IAM's size limits keep real documents far
// below it (the largest, a KMS key policy, is 32 KB).
const maxCount = 1<<16 - 1

// Compile compiles a parsed document. The statements, their patterns and their Sids
// take one allocation each per policy: the statement array, one array of pattern IDs
// and one string of Sid and principal ARN texts.
func Compile(d *Document) (*Policy, error) {
	vars := d.Version == Version2012
	nPats, nText := 0, 0
	tooLarge := len(d.Statements) > maxCount
	for i := range d.Statements {
		s := &d.Statements[i]
		tooLarge = tooLarge || len(s.Action) > maxCount || len(s.Resource) > maxCount || len(s.Sid) > maxCount
		nPats += len(s.Action) + len(s.Resource)
		nText += len(s.Sid)
		if s.Principal != nil {
			for _, v := range s.Principal.AWS {
				nText += len(v)
			}
		}
	}
	if tooLarge || nText > 1<<32-1 {
		return nil, &MalformedError{Message: MsgSyntax, Detail: "the document has too many statements, entries or Sid characters to compile"}
	}
	p := &Policy{Version: d.Version, Statements: make([]Compiled, len(d.Statements))}
	pats := make([]wildcard.ID, nPats)
	text := make([]byte, 0, nText)
	for i := range d.Statements {
		s := &d.Statements[i]
		c := &p.Statements[i]
		c.Index = int32(i)
		c.sidOff, c.sidLen = uint32(len(text)), uint16(len(s.Sid))
		text = append(text, s.Sid...)
		c.set(bDeny, s.Effect == Deny)
		c.set(bNotAction, s.NotAction)
		c.nActions, c.nResources = uint16(len(s.Action)), uint16(len(s.Resource))
		if n := len(s.Action) + len(s.Resource); n > 0 {
			c.pats = &pats[0]
		}
		for _, a := range s.Action {
			id := wildcard.InternID(a, wildcard.Action, false)
			pats[0], pats = id, pats[1:]
			pat := wildcard.At(id)
			pre := pat.LiteralPrefix()
			svc, name, ok := strings.Cut(pre, ":")
			switch {
			case !ok:
				c.Mask = ^uint64(0)
			case name == "":
				c.Mask |= ServiceBit(svc) | highHalf
			default:
				c.Mask |= ServiceBit(svc) | HeadBit(pre[:len(svc)+2])
			}
		}
		if s.NotAction {
			c.Mask = ^uint64(0)
		}
		c.set(bNotResource, s.NotResource)
		c.set(bAnyResource, !s.HasResource)
		for _, r := range s.Resource {
			id := wildcard.InternID(r, wildcard.ARN, vars)
			pats[0], pats = id, pats[1:]
			c.set(bVars, wildcard.At(id).HasVariables())
		}
		if s.Principal != nil {
			c.Principal = compilePrincipal(s.Principal, &text)
			c.set(bNotPrincipal, s.NotPrincipal)
		}
		if s.block != nil {
			c.Condition = s.block
			c.set(bVars, !s.block.Resolves(nil))
		} else if len(s.Condition) > 0 {
			b, err := internCondition(s.Condition, vars)
			if err != nil {
				return nil, &MalformedError{Message: MsgSyntax, Detail: err.Error()}
			}
			c.Condition = b
			c.set(bVars, !b.Resolves(nil))
		}
	}
	if len(text) > 0 {
		// The text never changes once built, so the principal ARNs compilePrincipal
		// took as views of it stay valid.
		p.text = unsafe.String(&text[0], len(text))
	}
	return p, nil
}

// Resolves reports whether every policy variable of the statement (in Resource,
// NotResource and condition values) has a value or a default in r. IAM treats a
// statement with a variable it cannot resolve as invalid: it neither allows nor denies
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html:
// "any attempt to match it fails and causes the statement to be invalid").
func (c *Compiled) Resolves(r wildcard.Resolver) bool {
	if c.bits&bVars == 0 {
		return true
	}
	for _, id := range c.Resources() {
		if !wildcard.At(id).Resolves(r) {
			return false
		}
	}
	return c.Condition == nil || c.Condition.Resolves(r)
}

var conditions sync.Map // canonical text → *condition.Block

// internCondition shares compiled condition blocks between statements that state the
// same condition.
func internCondition(raw []condition.Raw, vars bool) (*condition.Block, error) {
	var k strings.Builder
	if vars {
		k.WriteByte('v')
	}
	for _, r := range raw {
		k.WriteString(strconv.Quote(r.Operator))
		k.WriteString(strconv.Quote(r.Key))
		for _, v := range r.Values {
			k.WriteString(strconv.Quote(v))
		}
		k.WriteByte(';')
	}
	key := k.String()
	if v, ok := conditions.Load(key); ok {
		return v.(*condition.Block), nil
	}
	b, err := condition.Compile(raw, vars)
	if err != nil {
		return nil, err
	}
	v, _ := conditions.LoadOrStore(key, &b)
	return v.(*condition.Block), nil
}

// view appends s to text, which has room for it, and returns the appended bytes as a
// string.
func view(text *[]byte, s string) string {
	if s == "" {
		return ""
	}
	n := len(*text)
	*text = append(*text, s...)
	return unsafe.String(&(*text)[n], len(s))
}

// compilePrincipal compiles p, appending the ARNs it keeps to text (sized for them, so
// that the views it takes of text stay valid).
func compilePrincipal(p *Principal, text *[]byte) *PrincipalSet {
	ps := &PrincipalSet{Any: p.Wildcard, Services: p.Service, Federated: p.Federated, Canonical: p.CanonicalUser, AWSEntries: len(p.AWS)}
	for _, v := range p.AWS {
		switch {
		case v == "*":
			ps.Any = true
		case arn.IsAccountID(v):
			ps.Accounts = append(ps.Accounts, v)
		default:
			if a, err := arn.Parse(v); err == nil && a.Service == "iam" && a.Resource == "root" {
				ps.Accounts = append(ps.Accounts, a.Account)
			} else {
				ps.ARNs = append(ps.ARNs, view(text, v))
			}
		}
	}
	return ps
}

// MatchAction reports whether action (any case) is covered by the statement's Action, or
// not excluded by its NotAction.
func (c *Compiled) MatchAction(action string) bool {
	m := false
	for _, id := range c.Actions() {
		if wildcard.At(id).Match(action, nil) {
			m = true
			break
		}
	}
	return m != c.NotAction()
}

// MatchActionLower is MatchAction for an action already lower-cased (the decision path
// lower-cases once per request).
func (c *Compiled) MatchActionLower(lowerAction string) bool {
	m := false
	for _, id := range c.Actions() {
		if wildcard.At(id).MatchLower(lowerAction) {
			m = true
			break
		}
	}
	return m != c.NotAction()
}

// MatchResource reports whether resource is covered by Resource (or not excluded by
// NotResource); r resolves policy variables.
func (c *Compiled) MatchResource(resource string, r wildcard.Resolver) bool {
	if c.bits&bAnyResource != 0 {
		return true
	}
	m := false
	for _, id := range c.Resources() {
		if wildcard.At(id).Match(resource, r) {
			m = true
			break
		}
	}
	return m != c.NotResource()
}

// Cache compiles documents once and shares the result: every principal that attaches
// the same managed policy (the same bytes) holds the same *Policy. Entries are keyed by
// the SHA-256 of the document and the parse mode; they are never evicted, so a server
// should use one Cache per policy store and drop it when documents are deleted in bulk.
type Cache struct {
	mu sync.Mutex
	m  map[cacheKey]*Policy
}

type cacheKey struct {
	sum    [sha256.Size]byte
	strict bool
	kind   Kind
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{m: map[cacheKey]*Policy{}} }

// Lenient returns the compiled form of a stored document, parsing it leniently once.
func (c *Cache) Lenient(data []byte) (*Policy, error) {
	return c.get(cacheKey{sum: sha256.Sum256(data)}, func() (*Document, error) { return ParseLenient(data) })
}

// Strict returns the compiled form of a document parsed strictly as kind.
func (c *Cache) Strict(data []byte, kind Kind) (*Policy, error) {
	return c.get(cacheKey{sum: sha256.Sum256(data), strict: true, kind: kind}, func() (*Document, error) { return Parse(data, kind) })
}

func (c *Cache) get(k cacheKey, parse func() (*Document, error)) (*Policy, error) {
	c.mu.Lock()
	p, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	d, err := parse()
	if err != nil {
		return nil, err
	}
	p, err = Compile(d)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if q, ok := c.m[k]; ok {
		p = q
	} else {
		c.m[k] = p
	}
	c.mu.Unlock()
	return p, nil
}

// Len returns how many compiled documents the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// CompileLenient parses a stored document leniently and compiles it.
func CompileLenient(data []byte) (*Policy, error) {
	d, err := ParseLenient(data)
	if err != nil {
		return nil, err
	}
	return Compile(d)
}

// CompileStrict parses a document strictly as kind and compiles it.
func CompileStrict(data []byte, kind Kind) (*Policy, error) {
	d, err := Parse(data, kind)
	if err != nil {
		return nil, err
	}
	return Compile(d)
}
