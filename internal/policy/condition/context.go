package condition

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Value is one value of a context key: its text and the typed readings operators use,
// parsed once when the value is set rather than on every decision.
type Value struct {
	Text   string
	num    float64
	numOK  bool
	ms     int64 // date as Unix milliseconds
	dateOK bool
	ip     netip.Addr
	ipOK   bool
	b      bool
	boolOK bool
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
	key   string // lower-cased
	vals  []Value
	multi bool
}

// Context is a request context: condition keys and their values. Key names are
// case-insensitive, as IAM's are
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
// values are case-sensitive. A key is single-valued (Set) or multi-valued (SetMulti);
// only single-valued keys can stand in for policy variables. The zero Context is empty and
// ready to use; Reset empties it for reuse without freeing its storage.
type Context struct {
	entries []entry
}

// Set gives key the single value v, replacing any earlier values.
func (c *Context) Set(key, v string) {
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
	k := lower(key)
	for i := range c.entries {
		if c.entries[i].key == k {
			c.entries[i].vals, c.entries[i].multi = vals, multi
			return
		}
	}
	c.entries = append(c.entries, entry{key: k, vals: vals, multi: multi})
}

// Delete removes key.
func (c *Context) Delete(key string) {
	k := lower(key)
	for i := range c.entries {
		if c.entries[i].key == k {
			c.entries = append(c.entries[:i], c.entries[i+1:]...)
			return
		}
	}
}

// Reset removes every key, keeping the storage for reuse.
func (c *Context) Reset() { c.entries = c.entries[:0] }

// Clone returns an independent copy.
func (c *Context) Clone() *Context {
	n := &Context{entries: make([]entry, len(c.entries))}
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
	out := make([]string, len(e.vals))
	for i, v := range e.vals {
		out[i] = v.Text
	}
	return out, true
}

// Keys returns the (lower-cased) key names in insertion order.
func (c *Context) Keys() []string {
	out := make([]string, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.key
	}
	return out
}

// Var implements wildcard.Resolver: the value of a present, single-valued key.
func (c *Context) Var(lowerKey string) (string, bool) {
	e, ok := c.lookup(lowerKey)
	if !ok || e.multi || len(e.vals) != 1 {
		return "", false
	}
	return e.vals[0].Text, true
}

func (c *Context) lookup(lowerKey string) (*entry, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.entries {
		if c.entries[i].key == lowerKey {
			return &c.entries[i], true
		}
	}
	return nil, false
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
