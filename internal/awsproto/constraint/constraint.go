// Package constraint owns the API model's input constraints (required members, lengths,
// ranges, patterns, enums) and the exact messages AWS sends when an input breaks them.
//
// Query services (IAM, STS) run on AWS's Coral framework, which reports every violated
// constraint at once as a ValidationError (400):
//
//	1 validation error detected: Value 'x' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64
//	2 validation errors detected: Value null at 'groupName' failed to satisfy constraint: Member must not be null; Value …
//
// The member path is the member name with its first letter lower-cased, joined by dots
// through structures and lists ("tags.1.member.key"). A missing required member is
// "Value null at '…' failed to satisfy constraint: Member must not be null" — IAM answers
// ValidationError, not MissingParameter, for it (IAM-compatible services document the same
// text, e.g. "1 validation error detected: Value null at 'groupName' failed to satisfy
// constraint: Member must not be null"; cases in iamapi/testdata/validation.json).
// Sensitive members (passwords, secrets) are reported without their value
// ("Value at 'password' failed to …"), so no secret is echoed back; IAM now reports every
// member that way (style IAM). A bad element of a list of strings is one violation of the
// list (StringList).
//
// EC2 does not use Coral's messages: a missing required parameter is MissingParameter
// "The request must contain the parameter ImageId", and a bad value InvalidParameterValue.
package constraint

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gatehouse/internal/awserr"
)

// Style selects how violations are reported.
type Style uint8

const (
	// Coral is the Query services' ValidationError list (STS).
	Coral Style = iota
	// EC2 is EC2's MissingParameter / InvalidParameterValue.
	EC2
	// IAM is Coral's list as IAM sends it: the same sentences, but no violation quotes the
	// value it refused ("Value at 'versionId' failed to satisfy constraint: …", "3 validation
	// errors detected: Value at 'minimumPasswordLength' …"), whatever the member's type.
	// Recorded against AWS in LocalStack's IAM snapshots (test_iam_policies, test_iam_roles,
	// test_iam_account_password_policy, 2026), while STS in the same recordings still quotes
	// values ("Value 'Session1:2' at 'roleSessionName' …").
	IAM
)

func (s Style) String() string {
	switch s {
	case EC2:
		return "ec2"
	case IAM:
		return "iam"
	}
	return "coral"
}

// Matcher is a compiled pattern; *regexp.Regexp is one. Generated code anchors every
// pattern, because the model's patterns are Java patterns applied with Matcher.matches().
type Matcher interface {
	MatchString(string) bool
}

// String is a string shape's constraints.
type String struct {
	Min, Max       int
	HasMin, HasMax bool
	Pattern        Matcher
	PatternText    string // the pattern as the model writes it, quoted in the message
	Enum           []string
	Sensitive      bool
	// Lenient, when set, is what a lenient validation (Violations.Lenient: emulator
	// --enforce off, as moto server accepts) takes in place of Pattern. Lengths and enums
	// still apply; every other validation ignores it.
	Lenient Matcher
}

// MatchFunc is a Matcher written as a function.
type MatchFunc func(string) bool

func (f MatchFunc) MatchString(s string) bool { return f(s) }

// MotoPath is IAM's lenient entity path or path prefix: printable ASCII without space
// (0x21–0x7F), as moto server stores "my-path" or "some/location". A space, which separates
// path from name in IAM's path indexes, and control characters stay refused.
var MotoPath Matcher = MatchFunc(func(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] > 0x7F {
			return false
		}
	}
	return true
})

// MotoInlineName is IAM's lenient inline policy name: printable ASCII (space included, as
// moto's tests name one "test policy") without "/", which IAM's key layout puts after the
// holder's name.
var MotoInlineName Matcher = MatchFunc(func(n string) bool {
	return !strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r > 0x7E || r == '/' })
})

// Number is an integer, long or double shape's range.
type Number struct {
	Min, Max       float64
	HasMin, HasMax bool
}

// Length is a list shape's size bounds.
type Length struct {
	Min, Max       int
	HasMin, HasMax bool
}

// Violations accumulates the violations of one input. Its zero value reports in Coral style.
type Violations struct {
	Style Style
	// Lenient validation takes a String's Lenient matcher in place of its Pattern.
	Lenient bool
	list    []violation
}

type violation struct {
	path       string
	value      string
	null       bool
	hideValue  bool
	constraint string
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + name
}

// Null records a missing required member.
func (v *Violations) Null(prefix, name string) {
	v.list = append(v.list, violation{path: join(prefix, name), null: true, constraint: "Member must not be null"})
}

// String checks s against r.
func (v *Violations) String(prefix, name, s string, r *String) {
	add := func(c string) {
		v.list = append(v.list, violation{path: join(prefix, name), value: s, hideValue: r.Sensitive, constraint: c})
	}
	if len(r.Enum) > 0 {
		ok := false
		for _, e := range r.Enum {
			if e == s {
				ok = true
				break
			}
		}
		if !ok {
			add("Member must satisfy enum value set: [" + strings.Join(r.Enum, ", ") + "]")
		}
	}
	if r.Pattern != nil && !r.Pattern.MatchString(s) && !(v.Lenient && r.Lenient != nil && r.Lenient.MatchString(s)) {
		add("Member must satisfy regular expression pattern: " + r.PatternText)
	}
	if r.HasMin || r.HasMax {
		n := JavaLength(s)
		if r.HasMin && n < r.Min {
			add("Member must have length greater than or equal to " + strconv.Itoa(r.Min))
		}
		if r.HasMax && n > r.Max {
			add("Member must have length less than or equal to " + strconv.Itoa(r.Max))
		}
	}
}

// StringList checks every element of a list of strings against r. Coral reports a bad element
// as one violation of the whole list, naming every constraint an element must meet — the
// element shape's, then non-null — not which one failed:
//
//	Value '[x]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint:
//	[Member must have length less than or equal to 128, Member must have length greater than
//	or equal to 1, Member must satisfy regular expression pattern: […]+, Member must not be null]
//
// (recorded against AWS for UntagRole, UntagPolicy and CreateOpenIDConnectProvider in
// LocalStack's IAM snapshots; other Coral services answer list members the same way).
func (v *Violations) StringList(prefix, name string, list []string, r *String) {
	var probe Violations
	for _, s := range list {
		probe.String("", "", s, r)
		if len(probe.list) > 0 {
			break
		}
	}
	if len(probe.list) == 0 {
		return
	}
	var cs []string
	if r.HasMax {
		cs = append(cs, "Member must have length less than or equal to "+strconv.Itoa(r.Max))
	}
	if r.HasMin {
		cs = append(cs, "Member must have length greater than or equal to "+strconv.Itoa(r.Min))
	}
	if r.Pattern != nil {
		cs = append(cs, "Member must satisfy regular expression pattern: "+r.PatternText)
	}
	if len(r.Enum) > 0 {
		cs = append(cs, "Member must satisfy enum value set: ["+strings.Join(r.Enum, ", ")+"]")
	}
	// "Member must not be null" closes the list only for elements with a pattern: AWS adds it
	// for tag keys but not for CreateOpenIDConnectProvider's client IDs and thumbprints, which
	// have lengths only ("Member must satisfy constraint: [Member must have length less than
	// or equal to 255, Member must have length greater than or equal to 1]", test_iam_oidc).
	if r.Pattern != nil {
		cs = append(cs, "Member must not be null")
	}
	v.list = append(v.list, violation{path: join(prefix, name), value: formatValue(reflect.ValueOf(list)),
		hideValue: r.Sensitive, constraint: "Member must satisfy constraint: [" + strings.Join(cs, ", ") + "]"})
}

// Int checks n against r.
func (v *Violations) Int(prefix, name string, n int64, r *Number) {
	v.number(prefix, name, float64(n), strconv.FormatInt(n, 10), r)
}

// Float checks f against r.
func (v *Violations) Float(prefix, name string, f float64, r *Number) {
	v.number(prefix, name, f, strconv.FormatFloat(f, 'f', -1, 64), r)
}

func (v *Violations) number(prefix, name string, f float64, text string, r *Number) {
	if r.HasMin && f < r.Min {
		v.list = append(v.list, violation{path: join(prefix, name), value: text,
			constraint: "Member must have value greater than or equal to " + formatBound(r.Min)})
	}
	if r.HasMax && f > r.Max {
		v.list = append(v.list, violation{path: join(prefix, name), value: text,
			constraint: "Member must have value less than or equal to " + formatBound(r.Max)})
	}
}

func formatBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// List checks a list's length against r; list is the slice itself, printed in the message
// as Java prints a list ("[a, b]").
func (v *Violations) List(prefix, name string, n int, list any, r *Length) {
	if r.HasMin && n < r.Min {
		v.list = append(v.list, violation{path: join(prefix, name), value: formatValue(reflect.ValueOf(list)),
			constraint: "Member must have length greater than or equal to " + strconv.Itoa(r.Min)})
	}
	if r.HasMax && n > r.Max {
		v.list = append(v.list, violation{path: join(prefix, name), value: formatValue(reflect.ValueOf(list)),
			constraint: "Member must have length less than or equal to " + strconv.Itoa(r.Max)})
	}
}

// Len reports how many violations were recorded.
func (v *Violations) Len() int { return len(v.list) }

// Err returns nil when nothing was violated, else the *awserr.Error AWS sends.
func (v *Violations) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	if v.Style == EC2 {
		return v.ec2Err()
	}
	list := v.list
	if v.Style == IAM {
		list = javaHashOrder(list)
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(list)))
	if len(list) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, x := range list {
		if i > 0 {
			b.WriteString("; ")
		}
		switch {
		case x.null:
			b.WriteString("Value null at '")
		case x.hideValue, v.Style == IAM:
			b.WriteString("Value at '")
		default:
			b.WriteString("Value '")
			b.WriteString(x.value)
			b.WriteString("' at '")
		}
		b.WriteString(x.path)
		b.WriteString("' failed to satisfy constraint: ")
		b.WriteString(x.constraint)
	}
	return awserr.ValidationError("%s", b.String())
}

// javaHashOrder orders violations as IAM lists them: by member path in the iteration order of
// a java.util.HashMap keyed by path (bucket (h ^ h>>>16) & (capacity-1) of String.hashCode,
// capacity 16 doubled while the paths exceed three quarters of it), violations of one path
// in the order they were found. Both multi-violation messages LocalStack recorded against IAM
// follow it: "minimumPasswordLength; passwordReusePrevention; maxPasswordAge" (buckets 2, 6,
// 14) and "clientIDList; thumbprintList; url" (1, 13, 14), neither the model's order.
func javaHashOrder(list []violation) []violation {
	seen := map[string]bool{}
	for _, x := range list {
		seen[x.path] = true
	}
	capacity := 16
	for float64(len(seen)) > 0.75*float64(capacity) {
		capacity *= 2
	}
	bucket := func(s string) int {
		var h int32
		for _, r := range s {
			if r > 0xFFFF { // a UTF-16 surrogate pair, as Java hashes it
				r -= 0x10000
				h = 31*h + int32(0xD800+(r>>10))
				h = 31*h + int32(0xDC00+(r&0x3FF))
				continue
			}
			h = 31*h + int32(r)
		}
		u := uint32(h)
		return int((u ^ u>>16) & uint32(capacity-1))
	}
	out := append([]violation(nil), list...)
	sort.SliceStable(out, func(i, j int) bool { return bucket(out[i].path) < bucket(out[j].path) })
	return out
}

// ec2Err reports the first violation as EC2 does: EC2 stops at the first bad parameter.
func (v *Violations) ec2Err() error {
	for _, x := range v.list {
		if x.null {
			return awserr.MissingParameter("The request must contain the parameter %s", x.path)
		}
	}
	x := v.list[0]
	if x.hideValue {
		return awserr.InvalidParameterValue("Invalid value for parameter %s: %s", x.path, x.constraint)
	}
	return awserr.InvalidParameterValue("Value (%s) for parameter %s is invalid. %s", x.value, x.path, x.constraint)
}

// JavaLength is a string's length as Java's String.length() counts it (UTF-16 code units),
// which is what the model's min/max mean: AWS validates with Java.
func JavaLength(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// formatValue prints a value roughly as Java's toString does for lists and members.
func formatValue(rv reflect.Value) string {
	switch rv.Kind() {
	case reflect.Invalid:
		return "null"
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return "null"
		}
		return formatValue(rv.Elem())
	case reflect.Slice, reflect.Array:
		var b strings.Builder
		b.WriteByte('[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatValue(rv.Index(i)))
		}
		b.WriteByte(']')
		return b.String()
	case reflect.Struct:
		var b strings.Builder
		b.WriteString(rv.Type().Name())
		b.WriteByte('(')
		n := 0
		for i := 0; i < rv.NumField(); i++ {
			f := rv.Field(i)
			if !rv.Type().Field(i).IsExported() || (f.Kind() == reflect.Pointer && f.IsNil()) {
				continue
			}
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			name := rv.Type().Field(i).Name
			b.WriteString(strings.ToLower(name[:1]) + name[1:])
			b.WriteByte('=')
			b.WriteString(formatValue(f))
		}
		b.WriteByte(')')
		return b.String()
	case reflect.String:
		return rv.String()
	default:
		return fmt.Sprint(rv.Interface())
	}
}

// WithoutSubstring wraps a matcher with a negative condition: the model's account-alias
// pattern uses a Java lookahead ("-(?!-)", no two hyphens in a row) that Go's RE2 lacks.
type WithoutSubstring struct {
	Matcher
	Sub string
}

// MatchString reports whether s matches and does not contain Sub.
func (m WithoutSubstring) MatchString(s string) bool {
	return m.Matcher.MatchString(s) && !strings.Contains(s, m.Sub)
}
