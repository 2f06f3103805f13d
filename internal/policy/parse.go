package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"gatehouse/internal/arn"
	"gatehouse/internal/awserr"
	"gatehouse/internal/policy/condition"
)

// IAM's MalformedPolicyDocument messages, as IAM returns them for CreatePolicy,
// PutUserPolicy, CreateRole and their kin. The texts were gathered from IAM responses
// recorded by client test suites; IAM's documentation does not list them.
const (
	MsgSyntax            = "Syntax errors in policy."
	MsgLegacy            = "The policy failed legacy parsing"
	MsgVersion           = "Policy document must be version 2012-10-17 or greater."
	MsgNoActions         = "Policy statement must contain actions."
	MsgNoResources       = "Policy statement must contain resources."
	MsgNoVendor          = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	MsgOneColon          = "Actions/Condition can contain only one colon."
	MsgDuplicateSid      = "Statement IDs (SID) in a single policy must be unique."
	MsgSidFormat         = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	MsgPrincipalInPolicy = "Policy document should not specify a principal."
	MsgMissingPrincipal  = "Missing required field Principal"
	MsgResourceVendor    = "Resource vendor must be fully qualified and cannot contain regexes."
	MsgTrustActions      = "AssumeRole policy may only specify STS AssumeRole actions."
	// MsgOrganizations is what AWS Organizations answers for any SCP or RCP it rejects.
	MsgOrganizations = "The provided policy document does not meet the requirements of the specified policy type."
	msgIAMPath       = `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`
)

// MalformedError is a document IAM would reject. Message is IAM's text; Detail says, for
// logs and `gatehouse policy validate`, which part of the document is at fault.
type MalformedError struct {
	Message string
	Detail  string
}

func (e *MalformedError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrMalformed) true for every MalformedError.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// ErrMalformed is the identity of every strict-parse rejection.
var ErrMalformed = errors.New("malformed policy document")

// AWSError returns the wire error IAM sends: MalformedPolicyDocument, 400.
func (e *MalformedError) AWSError() *awserr.Error {
	return awserr.New(400, "MalformedPolicyDocument", "%s", e.Message)
}

func malformed(msg, detailFormat string, args ...any) *MalformedError {
	return &MalformedError{Message: msg, Detail: fmt.Sprintf(detailFormat, args...)}
}

// Options tunes strict parsing.
type Options struct {
	Kind Kind
	// Managed marks a managed policy (CreatePolicy, CreatePolicyVersion), which IAM
	// requires to be Version 2012-10-17; inline policies may omit Version.
	Managed bool
}

// Parse parses data strictly as a document of the given kind, as IAM does on write.
func Parse(data []byte, kind Kind) (*Document, error) {
	return ParseWith(data, Options{Kind: kind})
}

// ParseWith parses data strictly with the given options.
func ParseWith(data []byte, o Options) (*Document, error) {
	d, err := parse(data, o, true)
	if err != nil && (o.Kind == SCP || o.Kind == RCP) {
		var m *MalformedError
		if errors.As(err, &m) {
			return nil, &MalformedError{Message: MsgOrganizations, Detail: m.Message + " " + m.Detail}
		}
	}
	return d, err
}

// ParseLenient parses a document that was accepted before (stored data, AWS managed
// policies): it tolerates unknown fields, an Effect in the wrong case and kind rules, and
// fails only when the document cannot be read as statements at all.
func ParseLenient(data []byte) (*Document, error) {
	return parse(data, Options{}, false)
}

var topFields = map[string]bool{"Version": true, "Id": true, "Statement": true}

var statementFields = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true, "Action": true,
	"NotAction": true, "Resource": true, "NotResource": true, "Condition": true,
}

func parse(data []byte, o Options, strict bool) (*Document, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, malformed(MsgSyntax, "not JSON: %v", err)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(MsgSyntax, "the document is not a JSON object")
	}
	d := &Document{}
	// Version first: IAM reports a missing or old Version before anything else.
	if raw, ok := top["Version"]; ok {
		s, ok := raw.(string)
		switch {
		case ok && s == "2012-10-17":
			d.Version, d.HasVersion = Version2012, true
		case ok && s == "2008-10-17":
			d.Version, d.HasVersion = Version2008, true
		case strict:
			return nil, malformed(MsgSyntax, "Version %v is not 2012-10-17 or 2008-10-17", raw)
		}
	}
	if strict && o.Managed && d.Version != Version2012 {
		return nil, malformed(MsgVersion, "a managed policy needs \"Version\": \"2012-10-17\"")
	}
	if strict {
		for k := range top {
			if !topFields[k] {
				return nil, malformed(MsgSyntax, "unknown top-level field %q", k)
			}
		}
	}
	if raw, ok := top["Id"]; ok {
		s, ok := raw.(string)
		if !ok && strict {
			return nil, malformed(MsgSyntax, "Id must be a string")
		}
		d.ID = s
	}
	var rawStmts []any
	switch s := top["Statement"].(type) {
	case map[string]any:
		rawStmts = []any{s}
	case []any:
		rawStmts = s
	default:
		return nil, malformed(MsgSyntax, "Statement must be an object or a list of objects")
	}
	if len(rawStmts) == 0 && strict {
		return nil, malformed(MsgSyntax, "Statement is empty")
	}
	legacy := func(format string, args ...any) error { return malformed(MsgLegacy, format, args...) }
	for i, rs := range rawStmts {
		m, ok := rs.(map[string]any)
		if !ok {
			return nil, malformed(MsgSyntax, "statement %d is not an object", i)
		}
		st, err := parseStatement(m, i, strict)
		if err != nil {
			return nil, err
		}
		d.Statements = append(d.Statements, st)
	}
	if !strict {
		return d, nil
	}
	// Checks IAM's older ("legacy") parser makes: exact Effect case, resource ARN shapes,
	// condition values.
	for i, rs := range rawStmts {
		m := rs.(map[string]any)
		if e := m["Effect"].(string); e != "Allow" && e != "Deny" {
			return nil, legacy("statement %d: Effect %q must be spelled Allow or Deny", i, e)
		}
		st := &d.Statements[i]
		for _, r := range st.Resource {
			if legacyBadResource(r) {
				return nil, legacy("statement %d: resource %q is not a valid ARN", i, r)
			}
		}
		if len(st.Condition) > 0 {
			b, err := internCondition(st.Condition, d.Version == Version2012)
			if err != nil {
				if errors.Is(err, condition.ErrBadValue) {
					return nil, legacy("statement %d: %v", i, err)
				}
				return nil, malformed(MsgSyntax, "statement %d: %v", i, err)
			}
			st.block = b
		}
	}
	if err := checkKind(d, o.Kind); err != nil {
		return nil, err
	}
	sids := map[string]bool{}
	for i := range d.Statements {
		sid := d.Statements[i].Sid
		if sid == "" {
			continue
		}
		if sids[sid] {
			return nil, malformed(MsgDuplicateSid, "Sid %q repeats", sid)
		}
		sids[sid] = true
		if (o.Kind == Identity || o.Kind == Trust) && !alnum(sid) {
			return nil, malformed(MsgSidFormat, "Sid %q", sid)
		}
	}
	for i := range d.Statements {
		st := &d.Statements[i]
		if !st.HasAction || len(st.Action) == 0 {
			return nil, malformed(MsgNoActions, "statement %d has no Action or NotAction", i)
		}
		if o.Kind != Trust && (!st.HasResource || len(st.Resource) == 0) {
			return nil, malformed(MsgNoResources, "statement %d has no Resource or NotResource", i)
		}
	}
	for i := range d.Statements {
		for _, a := range d.Statements[i].Action {
			if err := checkAction(a); err != nil {
				return nil, err
			}
		}
	}
	for i := range d.Statements {
		for _, r := range d.Statements[i].Resource {
			if err := checkResource(r); err != nil {
				return nil, err
			}
		}
	}
	if o.Kind == Trust {
		for i := range d.Statements {
			for _, a := range d.Statements[i].Action {
				if a != "*" && !strings.HasPrefix(strings.ToLower(a), "sts:") {
					return nil, malformed(MsgTrustActions, "statement %d: action %q", i, a)
				}
			}
		}
	}
	for i := range d.Statements {
		if p := d.Statements[i].Principal; p != nil {
			if err := checkPrincipal(p); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

func parseStatement(m map[string]any, i int, strict bool) (Statement, error) {
	var st Statement
	syntax := func(format string, args ...any) error {
		return malformed(MsgSyntax, "statement %d: "+format, append([]any{i}, args...)...)
	}
	if strict {
		for k := range m {
			if !statementFields[k] {
				return st, syntax("unknown field %q", k)
			}
		}
	}
	if raw, ok := m["Sid"]; ok {
		s, ok := raw.(string)
		if !ok && strict {
			return st, syntax("Sid must be a string")
		}
		st.Sid = s
	}
	e, ok := m["Effect"].(string)
	switch {
	case !ok:
		return st, syntax("Effect is missing or not a string")
	case strings.EqualFold(e, "Allow"):
		st.Effect = Allow
	case strings.EqualFold(e, "Deny"):
		st.Effect = Deny
	default:
		return st, syntax("Effect %q is neither Allow nor Deny", e)
	}
	pair := func(name, not string) (vals []string, negated, present bool, err error) {
		a, hasA := m[name]
		n, hasN := m[not]
		if hasA && hasN {
			return nil, false, false, syntax("both %s and %s", name, not)
		}
		raw := a
		if hasN {
			raw, negated = n, true
		}
		if !hasA && !hasN {
			return nil, false, false, nil
		}
		vals, ok := stringOrList(raw)
		if !ok {
			return nil, false, false, syntax("%s must be a string or a list of strings", name)
		}
		return vals, negated, true, nil
	}
	var err error
	if st.Action, st.NotAction, st.HasAction, err = pair("Action", "NotAction"); err != nil {
		return st, err
	}
	if st.Resource, st.NotResource, st.HasResource, err = pair("Resource", "NotResource"); err != nil {
		return st, err
	}
	p, hasP := m["Principal"]
	np, hasNP := m["NotPrincipal"]
	if hasP && hasNP {
		return st, syntax("both Principal and NotPrincipal")
	}
	if hasNP {
		p, st.NotPrincipal = np, true
	}
	if hasP || hasNP {
		pr, ok := parsePrincipal(p)
		if !ok {
			return st, syntax("Principal must be \"*\" or an object of AWS, Service, Federated, CanonicalUser")
		}
		st.Principal = pr
	}
	if raw, ok := m["Condition"]; ok {
		c, ok := raw.(map[string]any)
		if !ok {
			return st, syntax("Condition must be an object")
		}
		ops := make([]string, 0, len(c))
		for op := range c {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			keys, ok := c[op].(map[string]any)
			if !ok {
				return st, syntax("Condition operator %q must map keys to values", op)
			}
			if len(keys) > 0 {
				if _, _, _, err := condition.ParseOperator(op); err != nil {
					return st, syntax("%v", err)
				}
			}
			names := make([]string, 0, len(keys))
			for k := range keys {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				vals, ok := scalarOrList(keys[k])
				if !ok {
					return st, syntax("Condition %s %q values must be strings, numbers or booleans", op, k)
				}
				st.Condition = append(st.Condition, condition.Raw{Operator: op, Key: k, Values: vals})
			}
		}
	}
	return st, nil
}

func stringOrList(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

func scalarOrList(v any) ([]string, bool) {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, ok := scalar(x)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := scalar(v)
	if !ok {
		return nil, false
	}
	return []string{s}, true
}

func parsePrincipal(v any) (*Principal, bool) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, false
		}
		return &Principal{Wildcard: true}, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	p := &Principal{}
	for k, raw := range m {
		vals, ok := stringOrList(raw)
		if !ok {
			return nil, false
		}
		switch k {
		case "AWS":
			p.AWS = vals
		case "Service":
			p.Service = vals
		case "Federated":
			p.Federated = vals
		case "CanonicalUser":
			p.CanonicalUser = vals
		default:
			return nil, false
		}
	}
	return p, true
}

func checkKind(d *Document, k Kind) error {
	for i := range d.Statements {
		st := &d.Statements[i]
		switch k {
		case Identity, SCP:
			if st.Principal != nil {
				return malformed(MsgPrincipalInPolicy, "statement %d names a principal", i)
			}
		case Resource, Trust, RCP:
			if st.Principal == nil {
				return malformed(MsgMissingPrincipal, "statement %d has no Principal", i)
			}
		}
		if k == Trust && st.HasResource {
			field := "Resource"
			if st.NotResource {
				field = "NotResource"
			}
			return malformed("Has prohibited field "+field, "statement %d: a trust policy names no resource", i)
		}
	}
	return nil
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// checkAction applies IAM's action-name rules: "*", or vendor:action with one colon and
// a vendor of letters, digits, '-' and '.'.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	vendor, rest, ok := strings.Cut(a, ":")
	if !ok {
		return malformed(MsgNoVendor, "action %q has no vendor prefix", a)
	}
	if strings.Contains(rest, ":") {
		return malformed(MsgOneColon, "action %q", a)
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '.' || c == '*' || c == '?') {
			return malformed("Vendor "+vendor+" is not valid", "action %q", a)
		}
	}
	return nil
}

// resourceFields splits a policy resource into IAM's six fields, padding missing ones
// with "*" as IAM's messages show it doing; n is how many fields r has (at most 6).
func resourceFields(r string) (f [6]string, n int) {
	for n < 5 {
		i := strings.IndexByte(r, ':')
		if i < 0 {
			break
		}
		f[n], r = r[:i], r[i+1:]
		n++
	}
	f[n] = r
	n++
	for i := n; i < 6; i++ {
		f[i] = "*"
	}
	return f, n
}

// legacyBadResource reports resources IAM's legacy parser rejects: an ARN with exactly
// four or five fields, or with an empty service.
func legacyBadResource(r string) bool {
	if r == "*" || !strings.Contains(r, ":") {
		return false
	}
	f, n := resourceFields(r)
	if f[0] != "arn" || !arn.KnownPartition(f[1]) {
		return false // reported later with the partition message
	}
	if n == 6 {
		n = strings.Count(r, ":") + 1
	}
	return n == 4 || n == 5 || (n >= 3 && f[2] == "")
}

func checkResource(r string) error {
	if r == "*" {
		return nil
	}
	if !strings.Contains(r, ":") {
		return malformed(fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r), "resource %q", r)
	}
	f, _ := resourceFields(r)
	if !arn.KnownPartition(f[1]) {
		padded := "arn:" + strings.Join(f[1:], ":")
		return malformed(fmt.Sprintf("Partition %q is not valid for resource %q.", f[1], padded), "resource %q", r)
	}
	if strings.Count(r, ":") < 2 || strings.ContainsAny(f[2], "*?") {
		return malformed(MsgResourceVendor, "resource %q", r)
	}
	switch f[2] {
	case "iam":
		if f[3] != "" && f[3] != "*" {
			return malformed(fmt.Sprintf("IAM resource %s cannot contain region information.", r), "resource %q", r)
		}
		if !iamPath(f[5]) {
			return malformed(msgIAMPath, "resource %q", r)
		}
	case "s3":
		if f[3] != "" && f[3] != "*" {
			return malformed(fmt.Sprintf("Resource %s can not contain region information.", r), "resource %q", r)
		}
	}
	return nil
}

var iamPrefixes = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
	"server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"}

func iamPath(res string) bool {
	if res == "*" || res == "root" || strings.HasPrefix(res, "*") || strings.Contains(res, "${") {
		return true
	}
	for _, p := range iamPrefixes {
		if strings.HasPrefix(res, p) {
			return true
		}
	}
	return false
}

// checkPrincipal validates AWS principal values: "*", a 12-digit account ID, or an IAM or
// STS ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
func checkPrincipal(p *Principal) error {
	invalid := func(typ, v string) error {
		return malformed(fmt.Sprintf("Invalid principal in policy: %q:%q", typ, v), "principal %s %q", typ, v)
	}
	for _, v := range p.AWS {
		if v == "*" || arn.IsAccountID(v) {
			continue
		}
		a, err := arn.Parse(v)
		if err != nil || (a.Service != "iam" && a.Service != "sts") || !arn.IsAccountID(a.Account) || strings.ContainsAny(v, "*?") {
			return invalid("AWS", v)
		}
	}
	for _, v := range p.Service {
		if v == "" || strings.ContainsAny(v, "*? ") && v != "*" {
			return invalid("SERVICE", v)
		}
	}
	for _, v := range p.Federated {
		if v == "" {
			return invalid("FEDERATED", v)
		}
	}
	return nil
}

// Size returns the size IAM counts against its policy size quotas: the document's
// characters other than white space
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: "IAM
// doesn't count white space when calculating the size of a policy against these limits").
func Size(data []byte) int {
	n := 0
	for _, c := range string(data) {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}
