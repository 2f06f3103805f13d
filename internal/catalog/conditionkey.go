package catalog

import (
	"strconv"
	"strings"
)

// ConditionType is the value type of a condition key, which decides the condition operators
// that suit it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
// Multivalued keys are the ArrayOf… types; Scalar gives the type of their members.
type ConditionType uint8

const (
	String ConditionType = iota + 1
	ARN
	Numeric
	Date
	Bool
	IPAddress
	Binary
	ArrayOfString
	ArrayOfARN
	ArrayOfNumeric
	ArrayOfDate
	ArrayOfBool
	ArrayOfIPAddress
	ArrayOfBinary
)

// arrayOffset is the distance from a scalar type to its ArrayOf… type.
const arrayOffset = ArrayOfString - String

var conditionTypeNames = [...]string{
	String:           "String",
	ARN:              "ARN",
	Numeric:          "Numeric",
	Date:             "Date",
	Bool:             "Bool",
	IPAddress:        "IPAddress",
	Binary:           "Binary",
	ArrayOfString:    "ArrayOfString",
	ArrayOfARN:       "ArrayOfARN",
	ArrayOfNumeric:   "ArrayOfNumeric",
	ArrayOfDate:      "ArrayOfDate",
	ArrayOfBool:      "ArrayOfBool",
	ArrayOfIPAddress: "ArrayOfIPAddress",
	ArrayOfBinary:    "ArrayOfBinary",
}

// String returns the type as AWS's reference spells it: "ArrayOfString", "IPAddress".
func (t ConditionType) String() string {
	if int(t) < len(conditionTypeNames) && conditionTypeNames[t] != "" {
		return conditionTypeNames[t]
	}
	return "ConditionType(" + strconv.Itoa(int(t)) + ")"
}

// ParseConditionType reads a type as AWS's reference spells it, case-insensitively.
func ParseConditionType(s string) (ConditionType, bool) {
	for t, name := range conditionTypeNames {
		if name != "" && strings.EqualFold(name, s) {
			return ConditionType(t), true
		}
	}
	return 0, false
}

// Multivalued reports whether a request may carry several values for a key of this type,
// the keys that the ForAllValues and ForAnyValue qualifiers are for
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
func (t ConditionType) Multivalued() bool { return t >= ArrayOfString && t <= ArrayOfBinary }

// Scalar returns the type of one value: String for ArrayOfString, t itself for a scalar type.
func (t ConditionType) Scalar() ConditionType {
	if t.Multivalued() {
		return t - arrayOffset
	}
	return t
}

// ConditionKey describes a condition key.
type ConditionKey struct {
	// Name is the key as AWS's reference spells it; a templated key keeps its variable
	// ("aws:RequestTag/${TagKey}", "s3:ExistingObjectTag/<key>").
	Name        string
	Type        ConditionType
	Description string
	// Global marks the keys every service supports: aws:… and the cross-service keys AWS
	// lists beside them (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
	Global bool
}

// LookupConditionKey describes the key a policy names, case-insensitively (IAM compares
// condition key names without regard to case). A key that fills a template's variable
// ("aws:RequestTag/team", "s3:ExistingObjectTag/project") resolves to the template.
func LookupConditionKey(name string) (ConditionKey, bool) {
	c := load()
	lower := strings.ToLower(name)
	if k, ok := c.keys[lower]; ok {
		return k, true
	}
	prefix, _, _ := strings.Cut(lower, ":")
	for _, t := range c.templatesByPrefix[prefix] {
		if t.matches(lower) {
			return t.key, true
		}
	}
	for _, t := range c.templatesAnyPrefix {
		if t.matches(lower) {
			return t.key, true
		}
	}
	return ConditionKey{}, false
}

// keyTemplate is a condition key with variables, such as "aws:RequestTag/${TagKey}" or
// "agent.${Domain}.buildkite.dev:build_branch": literal parts (in lower case) between which
// each variable stands for at least one character.
type keyTemplate struct {
	key   ConditionKey
	parts []string // literal text; a variable sits between each two
}

func parseKeyTemplate(k ConditionKey) (keyTemplate, bool) {
	lower := strings.ToLower(k.Name)
	var parts []string
	rest := lower
	for {
		i := strings.IndexAny(rest, "$<")
		if i < 0 {
			break
		}
		var end int
		switch {
		case rest[i] == '$' && strings.HasPrefix(rest[i:], "${"):
			end = strings.IndexByte(rest[i:], '}')
		case rest[i] == '<':
			end = strings.IndexByte(rest[i:], '>')
		default:
			end = -1
		}
		if end < 0 {
			break
		}
		parts = append(parts, rest[:i])
		rest = rest[i+end+1:]
	}
	if parts == nil {
		return keyTemplate{}, false
	}
	parts = append(parts, rest)
	return keyTemplate{key: k, parts: parts}, true
}

// matches reports whether the lower-case key fills the template: the literal parts in
// order, each variable taking at least one character.
func (t keyTemplate) matches(key string) bool {
	if !strings.HasPrefix(key, t.parts[0]) {
		return false
	}
	rest := key[len(t.parts[0]):]
	last := t.parts[len(t.parts)-1]
	for _, p := range t.parts[1 : len(t.parts)-1] {
		// The variable before p takes at least one character; placing p leftmost after
		// that leaves the most room for what follows.
		if rest == "" {
			return false
		}
		i := strings.Index(rest[1:], p)
		if i < 0 {
			return false
		}
		rest = rest[1+i+len(p):]
	}
	return len(rest) > len(last) && strings.HasSuffix(rest, last)
}

// keyMatches reports whether a key as the catalog lists it (possibly a template) covers name.
func keyMatches(listed, name string) bool {
	if strings.EqualFold(listed, name) {
		return true
	}
	v := strings.IndexAny(listed, "$<")
	if v < 0 {
		return false
	}
	// Reject on the literal text before the variable first: it settles most calls without
	// parsing (or allocating for) the template.
	if len(name) <= v || !strings.EqualFold(name[:v], listed[:v]) {
		return false
	}
	t, ok := parseKeyTemplate(ConditionKey{Name: listed})
	return ok && t.matches(strings.ToLower(name))
}

// templatePrefix returns the service prefix of a template, or "" when a variable sits
// before the colon ("agent.${Domain}.buildkite.dev:…"), in which case the template is
// tried for every key.
func (t keyTemplate) templatePrefix() string {
	p, _, ok := strings.Cut(t.parts[0], ":")
	if !ok {
		return ""
	}
	return p
}
