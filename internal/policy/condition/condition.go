// Package condition owns the Condition element of IAM policies: every condition operator,
// the ...IfExists suffix, the ForAllValues:/ForAnyValue: set qualifiers, and the request
// context whose keys they test. A condition block is compiled once (numbers, dates, CIDRs
// and patterns parsed at compile time) and evaluated without allocating.
//
// Semantics (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
// the operators of a block are ANDed, the keys under one operator are ANDed, and the values
// listed for one key are ORed. A missing key makes a condition false, except that negated
// operators (StringNotEquals, NotIpAddress, …) are true on a missing key, ...IfExists is
// true on a missing key, and ForAllValues is true on a missing or empty key.
package condition

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"gatehouse/internal/policy/wildcard"
)

// ErrUnknownOperator is the identity of an operator name IAM does not define.
var ErrUnknownOperator = errors.New("unknown condition operator")

// ErrBadValue is the identity of a policy value its operator cannot read (a date that is
// not ISO 8601 or epoch, a number, a CIDR).
var ErrBadValue = errors.New("invalid condition value")

// Qualifier is a set operator prefix.
type Qualifier uint8

const (
	Single       Qualifier = iota // no prefix
	ForAnyValue                   // ForAnyValue:
	ForAllValues                  // ForAllValues:
)

func (q Qualifier) String() string {
	switch q {
	case Single:
		return ""
	case ForAnyValue:
		return "ForAnyValue"
	case ForAllValues:
		return "ForAllValues"
	}
	return "Qualifier(" + strconv.Itoa(int(q)) + ")"
}

// matcher tests one context value against an operator's compiled policy values.
// matched is the positive form (StringNotEquals reports whether the value equals one of
// the listed values; the clause negates). resolved is false when every listed value
// holds a policy variable the context cannot resolve.
type matcher interface {
	match(v *Value, r wildcard.Resolver) (matched, resolved bool)
}

type operator struct {
	negated bool
	build   func(values []string, variables bool) (matcher, error)
}

// operators is the registry: every base operator IAM defines, by wire name
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
// Null is handled apart (it tests presence, not values).
var operators = map[string]operator{
	"StringEquals":              {false, stringOp(wildcard.Literal)},
	"StringNotEquals":           {true, stringOp(wildcard.Literal)},
	"StringEqualsIgnoreCase":    {false, stringOp(wildcard.LiteralFold)},
	"StringNotEqualsIgnoreCase": {true, stringOp(wildcard.LiteralFold)},
	"StringLike":                {false, stringOp(wildcard.Like)},
	"StringNotLike":             {true, stringOp(wildcard.Like)},
	"NumericEquals":             {false, numericOp(cmpEq)},
	"NumericNotEquals":          {true, numericOp(cmpEq)},
	"NumericLessThan":           {false, numericOp(cmpLt)},
	"NumericLessThanEquals":     {false, numericOp(cmpLe)},
	"NumericGreaterThan":        {false, numericOp(cmpGt)},
	"NumericGreaterThanEquals":  {false, numericOp(cmpGe)},
	"DateEquals":                {false, dateOp(cmpEq)},
	"DateNotEquals":             {true, dateOp(cmpEq)},
	"DateLessThan":              {false, dateOp(cmpLt)},
	"DateLessThanEquals":        {false, dateOp(cmpLe)},
	"DateGreaterThan":           {false, dateOp(cmpGt)},
	"DateGreaterThanEquals":     {false, dateOp(cmpGe)},
	"Bool":                      {false, boolOp},
	"BinaryEquals":              {false, binaryOp},
	"IpAddress":                 {false, ipOp},
	"NotIpAddress":              {true, ipOp},
	// ArnEquals and ArnLike behave the same: both take wildcards, field by field.
	"ArnEquals":    {false, stringOp(wildcard.ARN)},
	"ArnLike":      {false, stringOp(wildcard.ARN)},
	"ArnNotEquals": {true, stringOp(wildcard.ARN)},
	"ArnNotLike":   {true, stringOp(wildcard.ARN)},
}

// Operators returns every base operator name, sorted (Null included).
func Operators() []string {
	out := make([]string, 0, len(operators)+1)
	for k := range operators {
		out = append(out, k)
	}
	out = append(out, "Null")
	sort.Strings(out)
	return out
}

// Raw is one key under one operator as written in a policy.
type Raw struct {
	Operator string // e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string // numbers and booleans in their JSON text
}

// Clause is one compiled (operator, key) pair.
type Clause struct {
	Operator  string // as written
	Key       string // lower-cased
	Qualifier Qualifier
	IfExists  bool
	Negated   bool
	null      []bool // Null: the listed expectations ("true" = key absent)
	m         matcher
}

// Block is a compiled Condition element: all of its clauses must hold.
type Block struct {
	Clauses []Clause
	vars    bool // some value holds a policy variable
}

// Resolves reports whether every policy variable in the block's values has a value (or a
// default) in r. IAM treats a statement whose variable cannot be resolved as invalid
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
func (b *Block) Resolves(r wildcard.Resolver) bool {
	if !b.vars {
		return true
	}
	for i := range b.Clauses {
		if m, ok := b.Clauses[i].m.(*stringMatcher); ok {
			for j := range m.pats {
				if !m.pats[j].Resolves(r) {
					return false
				}
			}
		}
	}
	return true
}

// Empty reports whether the block has no clauses (and so always holds).
func (b *Block) Empty() bool { return len(b.Clauses) == 0 }

// ParseOperator splits a wire operator name into qualifier, base name and IfExists.
func ParseOperator(name string) (q Qualifier, base string, ifExists bool, err error) {
	base = name
	if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		q, base = ForAnyValue, rest
	} else if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		q, base = ForAllValues, rest
	}
	if base == "Null" {
		return q, base, false, nil
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok {
		base, ifExists = b, true
	}
	if _, ok := operators[base]; !ok {
		return 0, "", false, fmt.Errorf("%w: %q", ErrUnknownOperator, name)
	}
	return q, base, ifExists, nil
}

// Compile compiles raw clauses. variables enables policy variables in string and ARN
// values (Version 2012-10-17). Clauses are ordered by operator then key so evaluation and
// diagnostics are deterministic.
func Compile(raw []Raw, variables bool) (Block, error) {
	var b Block
	for _, r := range raw {
		q, base, ifExists, err := ParseOperator(r.Operator)
		if err != nil {
			return Block{}, err
		}
		c := Clause{Operator: r.Operator, Key: internKey(lower(r.Key)), Qualifier: q, IfExists: ifExists}
		if base == "Null" {
			for _, v := range r.Values {
				switch {
				case strings.EqualFold(v, "true"):
					c.null = append(c.null, true)
				case strings.EqualFold(v, "false"):
					c.null = append(c.null, false)
				default:
					return Block{}, fmt.Errorf("%w: Null takes true or false, not %q", ErrBadValue, v)
				}
			}
		} else {
			op := operators[base]
			c.Negated = op.negated
			m, err := op.build(r.Values, variables)
			if err != nil {
				return Block{}, fmt.Errorf("%s: %w", r.Operator, err)
			}
			c.m = m
			if sm, ok := m.(*stringMatcher); ok {
				for j := range sm.pats {
					b.vars = b.vars || sm.pats[j].HasVariables()
				}
			}
		}
		b.Clauses = append(b.Clauses, c)
	}
	sort.SliceStable(b.Clauses, func(i, j int) bool {
		if b.Clauses[i].Operator != b.Clauses[j].Operator {
			return b.Clauses[i].Operator < b.Clauses[j].Operator
		}
		return b.Clauses[i].Key < b.Clauses[j].Key
	})
	return b, nil
}

// Eval reports whether every clause holds in ctx.
func (b *Block) Eval(ctx *Context) bool {
	for i := range b.Clauses {
		if !b.Clauses[i].Eval(ctx) {
			return false
		}
	}
	return true
}

// Eval reports whether the clause holds in ctx.
func (c *Clause) Eval(ctx *Context) bool {
	e, present := ctx.lookup(c.Key)
	if present && e.n == 0 {
		present = false
	}
	// A key whose value is one empty string "resolves to a null dataset": the set operators
	// treat it as no values ("The ForAllValues set operator also returns true if there are no
	// context keys in the request, or if the context key value resolves to a null dataset, such
	// as an empty string"), and Null counts it as absent ("include the Null condition operator
	// … with a value of false to check if the context key in the request exists and its value
	// is not null";
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html).
	// Other operators compare the empty string as a value (s3:prefix "" is the bucket's top).
	if present && (c.null != nil || c.Qualifier != Single) && e.n == 1 && e.first.Text == "" {
		present = false
	}
	if c.null != nil {
		for _, wantAbsent := range c.null {
			if wantAbsent != present {
				return true
			}
		}
		return false
	}
	if !present {
		if c.IfExists {
			return true
		}
		switch c.Qualifier {
		case ForAllValues:
			return true
		case ForAnyValue:
			return false
		}
		return c.Negated
	}
	var r wildcard.Resolver = ctx
	vals := e.values()
	switch c.Qualifier {
	case ForAnyValue:
		for i := range vals {
			m, ok := c.m.match(&vals[i], r)
			if !ok {
				return false
			}
			if m != c.Negated {
				return true
			}
		}
		return false
	case ForAllValues:
		for i := range vals {
			m, ok := c.m.match(&vals[i], r)
			if !ok || m == c.Negated {
				return false
			}
		}
		return true
	}
	// No qualifier: the key matches when any of its values matches any listed value; a
	// negated operator holds when none does.
	for i := range vals {
		m, ok := c.m.match(&vals[i], r)
		if !ok {
			return false
		}
		if m {
			return !c.Negated
		}
	}
	return c.Negated
}

// --- operator families ---

type stringMatcher struct{ pats []wildcard.Pattern }

func stringOp(mode wildcard.Mode) func([]string, bool) (matcher, error) {
	return func(values []string, variables bool) (matcher, error) {
		m := &stringMatcher{pats: make([]wildcard.Pattern, len(values))}
		for i, v := range values {
			m.pats[i] = wildcard.Compile(v, mode, variables)
		}
		return m, nil
	}
}

func (m *stringMatcher) match(v *Value, r wildcard.Resolver) (bool, bool) {
	resolved := len(m.pats) == 0
	for i := range m.pats {
		p := &m.pats[i]
		if p.HasVariables() && !p.Resolves(r) {
			continue
		}
		resolved = true
		if p.Match(v.Text, r) {
			return true, true
		}
	}
	return false, resolved
}

type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

func compare[T int64 | float64](k cmpKind, ctx, pol T) bool {
	switch k {
	case cmpEq:
		return ctx == pol
	case cmpLt:
		return ctx < pol
	case cmpLe:
		return ctx <= pol
	case cmpGt:
		return ctx > pol
	}
	return ctx >= pol
}

type numericMatcher struct {
	k    cmpKind
	vals []float64
}

func numericOp(k cmpKind) func([]string, bool) (matcher, error) {
	return func(values []string, _ bool) (matcher, error) {
		m := &numericMatcher{k: k, vals: make([]float64, len(values))}
		for i, v := range values {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %q is not a number", ErrBadValue, v)
			}
			m.vals[i] = f
		}
		return m, nil
	}
}

func (m *numericMatcher) match(v *Value, _ wildcard.Resolver) (bool, bool) {
	if !v.numOK {
		return false, true
	}
	for _, p := range m.vals {
		if compare(m.k, v.num, p) {
			return true, true
		}
	}
	return false, true
}

type dateMatcher struct {
	k    cmpKind
	vals []int64
}

func dateOp(k cmpKind) func([]string, bool) (matcher, error) {
	return func(values []string, _ bool) (matcher, error) {
		m := &dateMatcher{k: k, vals: make([]int64, len(values))}
		for i, v := range values {
			ms, ok := parseDate(v)
			if !ok {
				return nil, fmt.Errorf("%w: %q is not an ISO 8601 date or epoch time", ErrBadValue, v)
			}
			m.vals[i] = ms
		}
		return m, nil
	}
}

func (m *dateMatcher) match(v *Value, _ wildcard.Resolver) (bool, bool) {
	if !v.dateOK {
		return false, true
	}
	for _, p := range m.vals {
		if compare(m.k, v.ms, p) {
			return true, true
		}
	}
	return false, true
}

type boolMatcher struct{ vals []bool }

// boolOp accepts "true" and "false" in any case; any other listed value never matches
// (IAM stores such a value but no request value equals it).
func boolOp(values []string, _ bool) (matcher, error) {
	m := &boolMatcher{}
	for _, v := range values {
		switch {
		case strings.EqualFold(v, "true"):
			m.vals = append(m.vals, true)
		case strings.EqualFold(v, "false"):
			m.vals = append(m.vals, false)
		}
	}
	return m, nil
}

func (m *boolMatcher) match(v *Value, _ wildcard.Resolver) (bool, bool) {
	if !v.boolOK {
		return false, true
	}
	for _, b := range m.vals {
		if b == v.b {
			return true, true
		}
	}
	return false, true
}

type binaryMatcher struct{ vals []string }

// binaryOp compares base64 text; a listed value that is not base64 is an error.
func binaryOp(values []string, _ bool) (matcher, error) {
	for _, v := range values {
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return nil, fmt.Errorf("%w: %q is not base64", ErrBadValue, v)
		}
	}
	return &binaryMatcher{vals: values}, nil
}

func (m *binaryMatcher) match(v *Value, _ wildcard.Resolver) (bool, bool) {
	for _, s := range m.vals {
		if s == v.Text {
			return true, true
		}
	}
	return false, true
}

type ipMatcher struct{ prefixes []netip.Prefix }

// ipOp reads CIDR blocks (RFC 4632, IPv4 or IPv6); a bare address means that one address.
func ipOp(values []string, _ bool) (matcher, error) {
	m := &ipMatcher{prefixes: make([]netip.Prefix, len(values))}
	for i, v := range values {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return nil, fmt.Errorf("%w: %q is not an IP address or CIDR block", ErrBadValue, v)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		m.prefixes[i] = p.Masked()
	}
	return m, nil
}

func (m *ipMatcher) match(v *Value, _ wildcard.Resolver) (bool, bool) {
	if !v.ipOK {
		return false, true
	}
	for _, p := range m.prefixes {
		if p.Contains(v.ip) {
			return true, true
		}
	}
	return false, true
}
