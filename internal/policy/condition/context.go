package condition

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Value is one value of a context key: its text and the typed readings operators use,
// parsed once when the value is set rather than on every decision.
type Value struct {
	Text string
	num  float64
	ms   int64 // date as Unix milliseconds
	ip   netip.Addr
	// The flags last, together: 64 bytes in all rather than 80 with each beside its
	// reading (a request's values are read from memory that is often not in cache).
	numOK, dateOK, ipOK, b, boolOK bool
}

// NewValue parses s into every type an operator may read it as.
func NewValue(s string) Value {
	v := Value{Text: s}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		v.num, v.numOK = f, true
	}
	if ms, ok := parseDate(s); ok {
		v.ms, v.dateOK = ms, true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		v.ip, v.ipOK = a.Unmap(), true
	}
	switch {
	case strings.EqualFold(s, "true"):
		v.b, v.boolOK = true, true
	case strings.EqualFold(s, "false"):
		v.b, v.boolOK = false, true
	}
	return v
}

type entry struct {
	key string // lower-cased; the interned copy when a policy tests the key (internKey)
	// The values, as a pointer and a count rather than a slice: 32 bytes an entry, not 48.
	first *Value
	n     uint32
	multi bool
}

// values returns the entry's values.
func (e *entry) values() []Value { return unsafe.Slice(e.first, e.n) }

func newEntry(key string, vals []Value, multi bool) entry {
	e := entry{key: key, n: uint32(len(vals)), multi: multi}
	if len(vals) > 0 {
		e.first = &vals[0]
	}
	return e
}

// Context is a request context: condition keys and their values. Key names are
// case-insensitive, as IAM's are
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
// values are case-sensitive. A key is single-valued (Set) or multi-valued (SetMulti);
// only single-valued keys can stand in for policy variables. The zero Context is empty and
// ready to use; Reset empties it for reuse without freeing its storage.
//
// A context may lie over a base (Over): the keys a principal brings (its ARN, account,
// tags), built once per principal and shared by its requests, each request's context
// holding only the request's own keys. Besides saving the work, this keeps a decision's
// lookups in memory that the principal's other requests keep in cache.
type Context struct {
	entries []entry
	base    *Context // read-only; nil: none
	spare   []Value  // room for single values (Set) allocated with the context
}

// Over returns an empty context whose lookups fall back to base for keys it does not
// hold itself. base must not change afterwards; keys set on the new context hide base's.
//
// The context and room for two keys are one allocation (a request seldom brings more).
func Over(base *Context) *Context {
	x := &struct {
		Context
		room [2]entry
		vals [2]Value
	}{}
	x.base, x.entries, x.spare = base, x.room[:0], x.vals[:0]
	return &x.Context
}

// Set gives key the single value v, replacing any earlier values.
func (c *Context) Set(key, v string) {
	if len(c.spare) < cap(c.spare) {
		c.spare = append(c.spare, NewValue(v))
		n := len(c.spare)
		c.put(key, c.spare[n-1:n:n], false)
		return
	}
	c.put(key, []Value{NewValue(v)}, false)
}

// SetMulti gives key the multi-valued set vs (which may be empty: a key present with no
// values, as aws:TagKeys is for a request without tags).
func (c *Context) SetMulti(key string, vs []string) {
	vals := make([]Value, len(vs))
	for i, s := range vs {
		vals[i] = NewValue(s)
	}
	c.put(key, vals, true)
}

// SetDefault sets key to v unless the context already has it; the engine fills in the
// principal's keys this way, so a caller's explicit value wins.
func (c *Context) SetDefault(key, v string) {
	if !c.Has(key) {
		c.Set(key, v)
	}
}

func (c *Context) put(key string, vals []Value, multi bool) {
	k := canonicalKey(lower(key))
	for i := range c.entries {
		if c.entries[i].key == k {
			c.entries[i] = newEntry(k, vals, multi)
			return
		}
	}
	c.entries = append(c.entries, newEntry(k, vals, multi))
}

// Delete removes key.
func (c *Context) Delete(key string) {
	if c.base != nil {
		c.flatten()
	}
	k := lower(key)
	for i := range c.entries {
		if c.entries[i].key == k {
			c.entries = append(c.entries[:i], c.entries[i+1:]...)
			return
		}
	}
}

// flatten copies the base's keys that c does not hide into c and drops the base.
func (c *Context) flatten() {
	for b := c.base; b != nil; b = b.base {
		for _, e := range b.entries {
			if _, ok := c.lookupOwn(e.key); !ok {
				c.entries = append(c.entries, e)
			}
		}
	}
	c.base = nil
}

// Reset removes every key (and the base), keeping the storage for reuse.
func (c *Context) Reset() { c.entries, c.base, c.spare = c.entries[:0], nil, nil }

// Clone returns an independent copy (sharing the read-only base).
func (c *Context) Clone() *Context {
	n := &Context{entries: make([]entry, len(c.entries)), base: c.base}
	copy(n.entries, c.entries)
	return n
}

// Has reports whether key is present (with any number of values).
func (c *Context) Has(key string) bool {
	_, ok := c.lookup(lower(key))
	return ok
}

// Values returns key's values as text.
func (c *Context) Values(key string) ([]string, bool) {
	e, ok := c.lookup(lower(key))
	if !ok {
		return nil, false
	}
	out := make([]string, e.n)
	for i, v := range e.values() {
		out[i] = v.Text
	}
	return out, true
}

// Keys returns the (lower-cased) key names: c's own in insertion order, then its base's
// that c does not hide.
func (c *Context) Keys() []string {
	out := make([]string, 0, len(c.entries))
	for x := c; x != nil; x = x.base {
		for _, e := range x.entries {
			if x == c || !slices.Contains(out, e.key) {
				out = append(out, e.key)
			}
		}
	}
	return out
}

// Var implements wildcard.Resolver: the value of a present, single-valued key.
func (c *Context) Var(lowerKey string) (string, bool) {
	e, ok := c.lookup(lowerKey)
	if !ok || e.multi || e.n != 1 {
		return "", false
	}
	return e.first.Text, true
}

func (c *Context) lookup(lowerKey string) (*entry, bool) {
	for ; c != nil; c = c.base {
		if e, ok := c.lookupOwn(lowerKey); ok {
			return e, true
		}
	}
	return nil, false
}

func (c *Context) lookupOwn(lowerKey string) (*entry, bool) {
	for i := range c.entries {
		if c.entries[i].key == lowerKey {
			return &c.entries[i], true
		}
	}
	return nil, false
}

// keyNames holds one copy of each key name that a compiled condition tests. A context
// stores that copy for the key (canonicalKey), so that a clause's lookup compares its
// key with the context's by pointer (Go's string comparison stops at equal pointers)
// rather than reading the bytes of a per-request copy, a cache miss when a server
// handles many requests. Clients choose key names too (session policies, simulated
// documents), so it keeps at most maxKeyNames; past that a name is used as it is, which
// only costs the comparison its shortcut.
var (
	keyNames     sync.Map // lower-cased name → the same string
	keyNameCount atomic.Int64
)

const maxKeyNames = 1 << 16

// internKey returns the shared copy of a lower-cased key name, storing it if new and
// there is room.
func internKey(lowerKey string) string {
	if v, ok := keyNames.Load(lowerKey); ok {
		return v.(string)
	}
	if keyNameCount.Load() >= maxKeyNames {
		return lowerKey
	}
	v, loaded := keyNames.LoadOrStore(lowerKey, lowerKey)
	if !loaded {
		keyNameCount.Add(1)
	}
	return v.(string)
}

// canonicalKey returns the shared copy of a lower-cased key name when a condition tests
// the key, else the name itself.
func canonicalKey(lowerKey string) string {
	if v, ok := keyNames.Load(lowerKey); ok {
		return v.(string)
	}
	return lowerKey
}

// lower lower-cases ASCII letters, returning s itself when it has none.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// dateLayouts are the ISO 8601 forms IAM accepts for Date operators
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date).
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z",
}

// parseDate reads an ISO 8601 date-time or a Unix epoch in seconds.
func parseDate(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if c := s[0]; c == '-' || (c >= '0' && c <= '9') {
		allDigits := true
		for i := 1; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				allDigits = false
				break
			}
		}
		if allDigits {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n > 1<<53/1000 || n < -(1<<53/1000) {
				return 0, false
			}
			return n * 1000, true
		}
	}
	if len(s) < 10 || s[4] != '-' {
		return 0, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}
