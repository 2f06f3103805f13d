package policy

import (
	"crypto/sha256"
	"strconv"
	"strings"
	"sync"

	"gatehouse/internal/arn"
	"gatehouse/internal/policy/condition"
	"gatehouse/internal/policy/wildcard"
)

// Policy is a compiled document: immutable, safe to share between principals and
// goroutines.
type Policy struct {
	Version    Version
	Statements []Compiled
}

// Compiled is one compiled statement. Its patterns and condition block are interned:
// statements that name the same action, resource or condition share one compiled copy,
// which keeps thousands of principals' policies within their JSON size.
type Compiled struct {
	Sid string
	// patterns holds the Action patterns (Action mode, lower-cased) followed by the
	// Resource patterns (ARN mode), one slice to keep statements small; see Actions and
	// Resources.
	patterns  []*wildcard.Pattern
	Principal *PrincipalSet    // nil when the statement names no principal
	Condition *condition.Block // nil when the statement has no condition

	// Mask prefilters requests by action: its low 32 bits hold ServiceBit(svc) of every
	// service an Action pattern names, its high 32 bits HeadBit of every service and
	// first action-name letter ("s3:g" for "s3:GetObject" and "s3:Get*"). A half is all
	// ones when a pattern leaves it open (a wildcard service, "s3:*Object", NotAction).
	// A statement that matches a request always passes MayMatch; most others do not.
	Mask uint64

	nActions     int32
	Index        int32 // position in the document
	Effect       Effect
	NotAction    bool
	NotResource  bool
	AnyResource  bool
	NotPrincipal bool
	vars         bool // a Resource or condition value holds a policy variable
}

// Actions returns the statement's Action (or NotAction) patterns.
func (c *Compiled) Actions() []*wildcard.Pattern { return c.patterns[:c.nActions] }

// Resources returns the statement's Resource (or NotResource) patterns; empty with
// AnyResource for a statement without Resource (trust policies).
func (c *Compiled) Resources() []*wildcard.Pattern { return c.patterns[c.nActions:] }

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

// Compile compiles a parsed document.
func Compile(d *Document) (*Policy, error) {
	vars := d.Version == Version2012
	p := &Policy{Version: d.Version, Statements: make([]Compiled, len(d.Statements))}
	for i := range d.Statements {
		s := &d.Statements[i]
		c := &p.Statements[i]
		c.Index, c.Sid, c.Effect = int32(i), intern(s.Sid), s.Effect
		c.NotAction = s.NotAction
		c.patterns = make([]*wildcard.Pattern, len(s.Action)+len(s.Resource))
		c.nActions = int32(len(s.Action))
		for j, a := range s.Action {
			pat := wildcard.Intern(a, wildcard.Action, false)
			c.patterns[j] = pat
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
		if c.NotAction {
			c.Mask = ^uint64(0)
		}
		c.NotResource = s.NotResource
		c.AnyResource = !s.HasResource
		for j, r := range s.Resource {
			pat := wildcard.Intern(r, wildcard.ARN, vars)
			c.patterns[len(s.Action)+j] = pat
			c.vars = c.vars || pat.HasVariables()
		}
		if s.Principal != nil {
			c.Principal = compilePrincipal(s.Principal)
			c.NotPrincipal = s.NotPrincipal
		}
		if s.block != nil {
			c.Condition = s.block
			c.vars = c.vars || !s.block.Resolves(nil)
		} else if len(s.Condition) > 0 {
			b, err := internCondition(s.Condition, vars)
			if err != nil {
				return nil, &MalformedError{Message: MsgSyntax, Detail: err.Error()}
			}
			c.Condition = b
			c.vars = c.vars || !b.Resolves(nil)
		}
	}
	return p, nil
}

// Resolves reports whether every policy variable of the statement (in Resource,
// NotResource and condition values) has a value or a default in r. IAM treats a
// statement with a variable it cannot resolve as invalid: it neither allows nor denies
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html:
// "any attempt to match it fails and causes the statement to be invalid").
func (c *Compiled) Resolves(r wildcard.Resolver) bool {
	if !c.vars {
		return true
	}
	for _, p := range c.patterns[c.nActions:] {
		if !p.Resolves(r) {
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

func compilePrincipal(p *Principal) *PrincipalSet {
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
				ps.ARNs = append(ps.ARNs, intern(v))
			}
		}
	}
	return ps
}

// MatchAction reports whether action (any case) is covered by the statement's Action, or
// not excluded by its NotAction.
func (c *Compiled) MatchAction(action string) bool {
	m := false
	for _, a := range c.patterns[:c.nActions] {
		if a.Match(action, nil) {
			m = true
			break
		}
	}
	return m != c.NotAction
}

// MatchActionLower is MatchAction for an action already lower-cased (the decision path
// lower-cases once per request).
func (c *Compiled) MatchActionLower(lowerAction string) bool {
	m := false
	for _, a := range c.patterns[:c.nActions] {
		if a.MatchLower(lowerAction) {
			m = true
			break
		}
	}
	return m != c.NotAction
}

// MatchResource reports whether resource is covered by Resource (or not excluded by
// NotResource); r resolves policy variables.
func (c *Compiled) MatchResource(resource string, r wildcard.Resolver) bool {
	if c.AnyResource {
		return true
	}
	m := false
	for _, p := range c.patterns[c.nActions:] {
		if p.Match(resource, r) {
			m = true
			break
		}
	}
	return m != c.NotResource
}

// --- sharing ---

// strings interns the action and resource texts every compiled policy holds, so ten
// thousand principals that all name "s3:GetObject" hold it once.
var strs sync.Map

func intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := strs.Load(s); ok {
		return v.(string)
	}
	s = strings.Clone(s)
	v, _ := strs.LoadOrStore(s, s)
	return v.(string)
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
