package reference

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// operator is one condition operator family member, written from
// reference_policies_elements_condition_operators.html.
type operator struct {
	// match compares one request value with one (substituted) policy value.
	match func(r *Request, ctxVal string, polVal string, vars bool) bool
	// negated operators (StringNotEquals, NotIpAddress, ArnNotLike…) are true when no policy value matches.
	negated bool
	// vars: policy variables are substituted only in string and ARN operators: "You can't use a policy
	// variable with other operators, such as Numeric, Date, Boolean, Binary, IP Address, or Null operators"
	// (reference_policies_variables.html#policy-vars-conditionelement).
	vars bool
}

// operators is the one registry of condition operators, by wire name (without IfExists or a qualifier).
var operators = map[string]operator{
	"StringEquals":              {match: stringEquals, vars: true},
	"StringNotEquals":           {match: stringEquals, vars: true, negated: true},
	"StringEqualsIgnoreCase":    {match: stringEqualsFold, vars: true},
	"StringNotEqualsIgnoreCase": {match: stringEqualsFold, vars: true, negated: true},
	"StringLike":                {match: stringLike, vars: true},
	"StringNotLike":             {match: stringLike, vars: true, negated: true},
	"NumericEquals":             {match: numeric(func(c int) bool { return c == 0 })},
	"NumericNotEquals":          {match: numeric(func(c int) bool { return c == 0 }), negated: true},
	"NumericLessThan":           {match: numeric(func(c int) bool { return c < 0 })},
	"NumericLessThanEquals":     {match: numeric(func(c int) bool { return c <= 0 })},
	"NumericGreaterThan":        {match: numeric(func(c int) bool { return c > 0 })},
	"NumericGreaterThanEquals":  {match: numeric(func(c int) bool { return c >= 0 })},
	"DateEquals":                {match: date(func(c int) bool { return c == 0 })},
	"DateNotEquals":             {match: date(func(c int) bool { return c == 0 }), negated: true},
	"DateLessThan":              {match: date(func(c int) bool { return c < 0 })},
	"DateLessThanEquals":        {match: date(func(c int) bool { return c <= 0 })},
	"DateGreaterThan":           {match: date(func(c int) bool { return c > 0 })},
	"DateGreaterThanEquals":     {match: date(func(c int) bool { return c >= 0 })},
	"Bool":                      {match: boolEquals},
	"BinaryEquals":              {match: binaryEquals},
	"IpAddress":                 {match: ipInRange},
	"NotIpAddress":              {match: ipInRange, negated: true},
	"ArnEquals":                 {match: arnLike, vars: true},
	"ArnLike":                   {match: arnLike, vars: true},
	"ArnNotEquals":              {match: arnLike, vars: true, negated: true},
	"ArnNotLike":                {match: arnLike, vars: true, negated: true},
	"Null":                      {},
}

func (r *Request) literalValue(polVal string, vars bool) (string, bool) {
	segs, ok := r.expand(polVal, vars, false)
	if !ok {
		return "", false
	}
	return literal(segs), true
}

func stringEquals(r *Request, c, p string, vars bool) bool {
	v, ok := r.literalValue(p, vars)
	return ok && c == v
}

func stringEqualsFold(r *Request, c, p string, vars bool) bool {
	v, ok := r.literalValue(p, vars)
	return ok && strings.EqualFold(c, v)
}

// stringLike: "Case-sensitive matching. The values can include multi-character match wildcards (*) and
// single-character match wildcards (?) anywhere in the string."
func stringLike(r *Request, c, p string, vars bool) bool {
	segs, ok := r.expand(p, vars, true)
	return ok && regexpOf(segs, false).MatchString(c)
}

func numeric(cmp func(int) bool) func(*Request, string, string, bool) bool {
	return func(_ *Request, c, p string, _ bool) bool {
		a, err1 := strconv.ParseFloat(strings.TrimSpace(c), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch {
		case a < b:
			return cmp(-1)
		case a > b:
			return cmp(1)
		}
		return cmp(0)
	}
}

// parseDate accepts the W3C profile of ISO 8601 and epoch (UNIX) seconds, both of which the date operators
// take ("Date condition operators ... support W3C implementations of the ISO 8601 date formats ... You can
// also use epoch (UNIX) time").
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func date(cmp func(int) bool) func(*Request, string, string, bool) bool {
	return func(_ *Request, c, p string, _ bool) bool {
		a, ok1 := parseDate(c)
		b, ok2 := parseDate(p)
		if !ok1 || !ok2 {
			return false
		}
		return cmp(a.Compare(b))
	}
}

// boolEquals: Bool compares "true" and "false".
func boolEquals(_ *Request, c, p string, _ bool) bool {
	cl, pl := strings.ToLower(strings.TrimSpace(c)), strings.ToLower(strings.TrimSpace(p))
	if (cl != "true" && cl != "false") || (pl != "true" && pl != "false") {
		return false
	}
	return cl == pl
}

// binaryEquals compares the base-64 text of the key's value with the policy's base-64 value.
func binaryEquals(_ *Request, c, p string, _ bool) bool { return c == p }

// ipInRange: "The IP address condition operators ... compare against an IPv4 or IPv6 CIDR", a single
// address being its own /32 or /128.
func ipInRange(_ *Request, c, p string, _ bool) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(c))
	if err != nil {
		return false
	}
	p = strings.TrimSpace(p)
	pfx, err := netip.ParsePrefix(p)
	if err != nil {
		a, err := netip.ParseAddr(p)
		if err != nil {
			return false
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	return pfx.Masked().Contains(addr.Unmap())
}

// arnLike: "Case-sensitive matching of the ARN. Each of the six colon-delimited components of the ARN is
// checked separately and each can include multi-character match wildcards (*) or single-character match
// wildcards (?)." ArnEquals and ArnLike behave the same. The resource component is everything after the
// fifth colon.
func arnLike(r *Request, c, p string, vars bool) bool {
	cp := strings.SplitN(c, ":", 6)
	pp := strings.SplitN(p, ":", 6)
	if len(cp) != 6 || len(pp) != 6 {
		return false
	}
	for i := range pp {
		segs, ok := r.expand(pp[i], vars && i == 5, true)
		if !ok || !regexpOf(segs, false).MatchString(cp[i]) {
			return false
		}
	}
	return true
}

// holds evaluates one (operator, key, values) condition against the request.
//
// Rules, from reference_policies_elements_condition_operators.html and
// reference_policies_condition-single-vs-multi-valued-context-keys.html:
//   - several values for one key are ORed; several keys and several operators are ANDed (statement level);
//   - a key the request does not carry makes a condition false, except that a negated operator is then true;
//   - …IfExists makes the condition true when the key is absent;
//   - ForAllValues is true when every request value matches some policy value, and true when the key is
//     absent or empty; ForAnyValue is true when at least one request value matches, false when absent;
//   - with a negated operator the qualifier applies to the negated test of each request value;
//   - Null: "true" means the key is absent, "false" that it is present.
func (r *Request) holds(c condition, vars bool) bool {
	vals, present := r.lookup(c.key)
	op := operators[c.op]
	// "The ForAllValues set operator also returns true if there are no context keys in the request, or if the
	// context key value resolves to a null dataset, such as an empty string"; Null false checks "the context
	// key in the request exists and its value is not null" (reference_policies_condition_examples-multi-valued-context-keys.html).
	if present && (c.op == "Null" || c.qualifier != "") && len(vals) == 1 && vals[0] == "" {
		present = false
	}
	if c.op == "Null" {
		for _, p := range c.values {
			switch strings.ToLower(p) {
			case "true":
				if !present {
					return true
				}
			case "false":
				if present {
					return true
				}
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.qualifier == "ForAllValues":
			return true
		case c.qualifier == "ForAnyValue":
			return false
		default:
			return op.negated
		}
	}
	// one request value against all policy values: positive is "some policy value matches".
	positive := func(v string) bool {
		for _, p := range c.values {
			if op.match(r, v, p, vars && op.vars) {
				return true
			}
		}
		return false
	}
	single := func(v string) bool { return positive(v) != op.negated }
	switch c.qualifier {
	case "ForAllValues":
		for _, v := range vals {
			if !single(v) {
				return false
			}
		}
		return true
	case "ForAnyValue":
		for _, v := range vals {
			if single(v) {
				return true
			}
		}
		return false
	}
	// No qualifier: a positive operator holds when any request value matches; a negated one when none does.
	any := false
	for _, v := range vals {
		if positive(v) {
			any = true
		}
	}
	return any != op.negated
}
