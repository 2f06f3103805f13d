package reference

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// policy is a parsed policy document. Parsing is lenient about what IAM would reject on write (the engine's
// validator owns MalformedPolicyDocument) but strict about shape: an element of the wrong JSON type is an
// error, because the oracle must not guess.
type policy struct {
	vars  bool // Version 2012-10-17: policy variables are substituted (reference_policies_variables.html)
	stmts []*statement
}

type statement struct {
	sid          string
	allow        bool
	inert        bool          // an Effect spelled in the wrong case: the statement is dropped
	principal    *principalSet // nil: no Principal element
	notPrincipal *principalSet // nil: no NotPrincipal element
	action       []string      // set when Action is present
	notAction    []string      // set when NotAction is present
	hasAction    bool
	hasNotAction bool
	resource     []string
	notResource  []string
	hasResource  bool
	hasNotRes    bool
	conditions   []condition
}

// principalSet is a Principal or NotPrincipal element (reference_policies_elements_principal.html).
type principalSet struct {
	everyone  bool // "*" or {"AWS": "*"}
	aws       []string
	service   []string
	federated []string
	canonical []string
}

// condition is one (operator, key, values) triple of a Condition block.
type condition struct {
	op        string // the base operator, e.g. "StringLike"
	qualifier string // "", "ForAllValues" or "ForAnyValue"
	ifExists  bool
	key       string
	values    []string
}

// parseOptionalPolicy parses a policy given as an object or as a JSON string; JSON null means absent.
func parseOptionalPolicy(raw json.RawMessage) (*policy, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		raw = []byte(s)
	}
	return parsePolicy(raw)
}

func parsePolicy(data []byte) (*policy, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p := &policy{}
	for k, v := range doc {
		switch k {
		case "Version":
			var ver string
			if err := json.Unmarshal(v, &ver); err != nil {
				return nil, fmt.Errorf("policy: Version: %w", err)
			}
			switch ver {
			case "2012-10-17":
				p.vars = true
			case "2008-10-17":
			default:
				return nil, fmt.Errorf("policy: unknown Version %q", ver)
			}
		case "Id":
		case "Statement":
			raws, err := oneOrMany(v)
			if err != nil {
				return nil, fmt.Errorf("policy: Statement: %w", err)
			}
			for i, r := range raws {
				s, err := parseStatement(r)
				if err != nil {
					return nil, fmt.Errorf("policy: Statement[%d]: %w", i, err)
				}
				if !s.inert {
					p.stmts = append(p.stmts, s)
				}
			}
		default:
			return nil, fmt.Errorf("policy: unknown element %q", k)
		}
	}
	if _, ok := doc["Statement"]; !ok {
		return nil, fmt.Errorf("policy: missing Statement")
	}
	return p, nil
}

// oneOrMany accepts a single JSON value or a list of them, as IAM does for Statement.
func oneOrMany(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	return []json.RawMessage{raw}, nil
}

// stringOrList accepts "x" or ["x", "y"], the two forms IAM accepts for Action, Resource, principal values
// and condition values.
func stringOrList(raw json.RawMessage) ([]string, error) {
	raws, err := oneOrMany(raw)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(raws))
	for _, r := range raws {
		s, err := scalarString(r)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func parseStatement(raw json.RawMessage) (*statement, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	s := &statement{}
	for k, v := range m {
		var err error
		switch k {
		case "Sid":
			err = json.Unmarshal(v, &s.sid)
		case "Effect":
			var e string
			if err = json.Unmarshal(v, &e); err == nil {
				switch e {
				case "Allow":
					s.allow = true
				case "Deny":
				default:
					// "The Effect value is case sensitive" (reference_policies_elements_effect.html): "allow"
					// is no Effect, so the statement neither allows nor denies.
					if strings.EqualFold(e, "Allow") || strings.EqualFold(e, "Deny") {
						s.inert = true
					} else {
						err = fmt.Errorf("Effect %q", e)
					}
				}
			}
		case "Action":
			s.hasAction = true
			s.action, err = stringOrList(v)
		case "NotAction":
			s.hasNotAction = true
			s.notAction, err = stringOrList(v)
		case "Resource":
			s.hasResource = true
			s.resource, err = stringOrList(v)
		case "NotResource":
			s.hasNotRes = true
			s.notResource, err = stringOrList(v)
		case "Principal":
			s.principal, err = parsePrincipalSet(v)
		case "NotPrincipal":
			s.notPrincipal, err = parsePrincipalSet(v)
		case "Condition":
			s.conditions, err = parseConditions(v)
		default:
			err = fmt.Errorf("unknown element")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	if _, ok := m["Effect"]; !ok {
		return nil, fmt.Errorf("missing Effect")
	}
	if s.hasAction == s.hasNotAction {
		return nil, fmt.Errorf("exactly one of Action and NotAction is required")
	}
	if s.hasResource && s.hasNotRes {
		return nil, fmt.Errorf("Resource and NotResource together")
	}
	if s.principal != nil && s.notPrincipal != nil {
		return nil, fmt.Errorf("Principal and NotPrincipal together")
	}
	return s, nil
}

func parsePrincipalSet(raw json.RawMessage) (*principalSet, error) {
	ps := &principalSet{}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", got %q", star)
		}
		ps.everyone = true
		return ps, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for k, v := range m {
		vals, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		switch k {
		case "AWS":
			for _, a := range vals {
				// {"AWS": "*"} is the same as "*" (reference_policies_elements_principal.html#principal-anonymous).
				if a == "*" {
					ps.everyone = true
				} else {
					ps.aws = append(ps.aws, a)
				}
			}
		case "Service":
			ps.service = append(ps.service, vals...)
		case "Federated":
			ps.federated = append(ps.federated, vals...)
		case "CanonicalUser":
			ps.canonical = append(ps.canonical, vals...)
		default:
			return nil, fmt.Errorf("unknown principal type %q", k)
		}
	}
	return ps, nil
}

// parseConditions reads {"Operator": {"key": value-or-list, ...}, ...}. The order is made deterministic
// (sorted) only for reproducible error messages; every condition must hold, so order does not matter.
func parseConditions(raw json.RawMessage) ([]condition, error) {
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil {
		return nil, err
	}
	ops := make([]string, 0, len(block))
	for op := range block {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var out []condition
	for _, full := range ops {
		c := condition{}
		op := full
		if q, rest, ok := strings.Cut(op, ":"); ok {
			if q != "ForAllValues" && q != "ForAnyValue" {
				return nil, fmt.Errorf("unknown qualifier %q", q)
			}
			c.qualifier, op = q, rest
		}
		if base, ok := strings.CutSuffix(op, "IfExists"); ok {
			c.ifExists, op = true, base
		}
		if _, ok := operators[op]; !ok {
			return nil, fmt.Errorf("unknown operator %q", full)
		}
		// "You can't use the ...IfExists condition operator with the Null condition operator"
		// (reference_policies_elements_condition_operators.html#Conditions_IfExists).
		if op == "Null" && (c.ifExists || c.qualifier != "") {
			return nil, fmt.Errorf("operator %q is not allowed", full)
		}
		c.op = op
		keys := make([]string, 0, len(block[full]))
		for k := range block[full] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vals, err := stringOrList(block[full][k])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", full, k, err)
			}
			cc := c
			cc.key, cc.values = k, vals
			out = append(out, cc)
		}
	}
	return out, nil
}
