// Package analyzer owns policy checks in the manner of IAM Access Analyzer's policy
// validation (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html):
// given a policy document and its kind, it reports findings — errors, security warnings,
// warnings and suggestions — each with a code, a message and where in the document it is.
//
// Errors are exactly the documents IAM rejects with MalformedPolicyDocument: the analyzer
// asks internal/policy's strict parser and never re-implements the grammar. Everything else
// (an unknown action, a resource the action cannot act on, a condition key of the wrong
// type) IAM accepts silently, so the analyzer reports it as a warning at most; that is
// where Gatehouse departs from Access Analyzer, which calls some of these errors. Codes
// are Access Analyzer's issue codes where it has a check for the same thing; the
// Gatehouse-only checks have codes in the same style, listed with the constants below.
package analyzer

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/catalog"
	"gatehouse/internal/policy"
	"gatehouse/internal/policy/condition"
)

// Severity is a finding's type, with Access Analyzer's names
// (https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ValidatePolicyFinding.html).
type Severity uint8

const (
	// Error: IAM rejects the document (MalformedPolicyDocument).
	Error Severity = iota + 1
	// SecurityWarning: the document grants more than it probably means to.
	SecurityWarning
	// Warning: part of the document probably does not do what it says.
	Warning
	// Suggestion: a change that does not alter access but makes the document clearer.
	Suggestion
)

var severityNames = [...]string{
	Error:           "ERROR",
	SecurityWarning: "SECURITY_WARNING",
	Warning:         "WARNING",
	Suggestion:      "SUGGESTION",
}

func (s Severity) String() string {
	if int(s) < len(severityNames) && severityNames[s] != "" {
		return severityNames[s]
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the severity as Access Analyzer's findingType.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding codes. Those marked AA are Access Analyzer's issue codes for the same check; the
// others are Gatehouse's own.
const (
	// CodeMalformed: IAM rejects the document; the message is IAM's.
	CodeMalformed = "MALFORMED_POLICY_DOCUMENT"
	// CodeJSONSyntax (AA): the document is not JSON.
	CodeJSONSyntax = "JSON_SYNTAX_ERROR"
	// CodeInvalidVersion (AA): a Version IAM does not know, or none in a managed policy.
	CodeInvalidVersion = "INVALID_VERSION"
	// CodeInvalidPolicyElement (AA): a field the grammar does not have.
	CodeInvalidPolicyElement = "INVALID_POLICY_ELEMENT"
	// CodeMissingAction (AA), CodeMissingResource (AA), CodeMissingPrincipal (AA).
	CodeMissingAction    = "MISSING_ACTION"
	CodeMissingResource  = "MISSING_RESOURCE"
	CodeMissingPrincipal = "MISSING_PRINCIPAL"
	// CodeUnsupportedPrincipal (AA): a Principal in an identity policy.
	CodeUnsupportedPrincipal = "UNSUPPORTED_PRINCIPAL"
	// CodeUnsupportedSid (AA): a Sid with characters IAM does not allow.
	CodeUnsupportedSid = "UNSUPPORTED_SID"

	// CodeAllowWithNotAction: Allow with NotAction grants every action not listed,
	// including every action AWS adds later.
	CodeAllowWithNotAction = "ALLOW_WITH_NOT_ACTION"
	// CodeAllowWithNotResource: Allow with NotResource grants on every resource not listed.
	CodeAllowWithNotResource = "ALLOW_WITH_NOT_RESOURCE"
	// CodeFullAccess: "Action": "*" on "Resource": "*", administrator access.
	CodeFullAccess = "ALLOW_ALL_ACTIONS_ON_ALL_RESOURCES"
	// CodePassRoleStarResource (AA), CodePassRoleStarActionResource (AA),
	// CodePassRoleNotResource (AA): iam:PassRole on any role.
	CodePassRoleStarResource       = "PASS_ROLE_WITH_STAR_IN_RESOURCE"
	CodePassRoleStarActionResource = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"
	CodePassRoleNotResource        = "PASS_ROLE_WITH_NOT_RESOURCE"
	// CodeForAllValuesSingleValued (AA): ForAllValues on a single-valued key is true
	// when the key is missing.
	CodeForAllValuesSingleValued = "FORALLVALUES_WITH_SINGLE_VALUED_KEY"

	// CodeInvalidService (AA), CodeInvalidAction (AA): the catalog does not know it.
	CodeInvalidService = "INVALID_SERVICE"
	CodeInvalidAction  = "INVALID_ACTION"
	// CodeResourceMismatch: no resource of the statement is of a type the action acts on.
	CodeResourceMismatch = "RESOURCE_MISMATCH"
	// CodeInvalidGlobalConditionKey (AA), CodeInvalidServiceConditionKey (AA).
	CodeInvalidGlobalConditionKey  = "INVALID_GLOBAL_CONDITION_KEY"
	CodeInvalidServiceConditionKey = "INVALID_SERVICE_CONDITION_KEY"
	// CodeTypeMismatch (AA): an operator of the wrong family for the key's type.
	CodeTypeMismatch = "TYPE_MISMATCH"

	// CodeMissingVersion (AA): no Version, so the document is read as 2008-10-17.
	CodeMissingVersion = "MISSING_VERSION"
	// CodeVariablesNeedVersion: policy variables in a 2008-10-17 document, where they are
	// plain text.
	CodeVariablesNeedVersion = "POLICY_VARIABLES_NEED_VERSION_2012"

	// CodeRedundantAction (AA), CodeRedundantResource (AA), CodeRedundantStatement (AA),
	// CodeEmptySid (AA).
	CodeRedundantAction    = "REDUNDANT_ACTION"
	CodeRedundantResource  = "REDUNDANT_RESOURCE"
	CodeRedundantStatement = "REDUNDANT_STATEMENT"
	CodeEmptySid           = "EMPTY_SID_VALUE"
)

// Finding is one result of a check.
type Finding struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	// Path locates the finding in the document, in the style of a JSON path:
	// "Statement[0].Resource[1]", "Statement[2].Condition.StringEquals.aws:SourceIp".
	// An element that holds one value has no index. Empty for the whole document.
	Path string `json:"path"`
	// Statement is the statement's index, or -1 for a finding about the whole document.
	Statement int `json:"statement"`
	// Sid is the statement's Sid, if it has one.
	Sid string `json:"sid,omitempty"`
}

// HasError reports whether any finding is an Error: whether IAM would reject the document.
func HasError(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == Error })
}

// Analyze checks a policy document of the given kind. It never fails: a document IAM
// rejects yields an Error finding, and the other checks still run on whatever the lenient
// parser can read of it. Findings come in document order (statement, then path), then by
// severity.
func Analyze(doc []byte, kind policy.Kind) []Finding {
	a := &analysis{}
	d, err := policy.Parse(doc, kind)
	if err != nil {
		lenient, lerr := policy.ParseLenient(doc)
		if lerr != nil {
			lenient = nil
		}
		a.doc = lenient
		a.parseError(err)
		if lenient == nil {
			return a.sorted()
		}
		d = lenient
	}
	a.doc = d
	a.version()
	a.emptySids(doc)
	for i := range d.Statements {
		a.statement(i, &d.Statements[i])
	}
	a.redundantStatements()
	return a.sorted()
}

// analysis is one run of Analyze: the document read and the findings so far.
type analysis struct {
	doc      *policy.Document
	findings []Finding
}

func (a *analysis) add(sev Severity, code string, stmt int, path, format string, args ...any) {
	f := Finding{Severity: sev, Code: code, Message: fmt.Sprintf(format, args...), Path: path, Statement: stmt}
	if stmt >= 0 && a.doc != nil && stmt < len(a.doc.Statements) {
		f.Sid = a.doc.Statements[stmt].Sid
	}
	a.findings = append(a.findings, f)
}

func (a *analysis) sorted() []Finding {
	slices.SortStableFunc(a.findings, func(x, y Finding) int {
		return cmp.Or(
			cmp.Compare(x.Statement, y.Statement),
			comparePaths(x.Path, y.Path),
			cmp.Compare(x.Severity, y.Severity),
			strings.Compare(x.Code, y.Code),
			strings.Compare(x.Message, y.Message),
		)
	})
	return slices.Compact(a.findings)
}

// comparePaths orders paths as they appear in a document: Statement[2] before
// Statement[10], Action before Resource before Condition.
func comparePaths(x, y string) int {
	return cmp.Compare(pathKey(x), pathKey(y))
}

var elementOrder = map[string]string{
	"Sid": "0", "Effect": "1", "Principal": "2", "NotPrincipal": "2", "Action": "3", "NotAction": "3",
	"Resource": "4", "NotResource": "4", "Condition": "5",
}

var indexRe = regexp.MustCompile(`\[(\d+)\]`)

func pathKey(p string) string {
	p = indexRe.ReplaceAllStringFunc(p, func(m string) string {
		n, _ := strconv.Atoi(m[1 : len(m)-1])
		return fmt.Sprintf("[%08d]", n)
	})
	parts := strings.Split(p, ".")
	for i, part := range parts {
		name, _, _ := strings.Cut(part, "[")
		if o, ok := elementOrder[name]; ok && i == 1 {
			parts[i] = o + part
		}
	}
	return strings.Join(parts, ".")
}

// statementRe finds the statement a parse error's detail names ("statement 2: …"), and
// valueRe the value it quotes (`resource "arn:…"`, `action "s3"`, `Sid "A" repeats`).
var (
	statementRe = regexp.MustCompile(`statement (\d+)`)
	valueRe     = regexp.MustCompile(`^(resource|action|Sid) ("(?:[^"\\]|\\.)*")`)
)

// parseError turns a strict-parse rejection into an Error finding with IAM's message.
// The parser says which statement is at fault in its detail text when it knows; when it
// quotes a resource, an action or a Sid instead, the value is looked up in what the
// lenient parser read, to point at its element.
func (a *analysis) parseError(err error) {
	var m *policy.MalformedError
	if !errors.As(err, &m) {
		a.add(Error, CodeMalformed, -1, "", "%v", err)
		return
	}
	stmt, path := -1, ""
	if s := statementRe.FindStringSubmatch(m.Detail); s != nil {
		stmt, _ = strconv.Atoi(s[1])
		path = fmt.Sprintf("Statement[%d]", stmt)
	} else if s := valueRe.FindStringSubmatch(m.Detail); s != nil && a.doc != nil {
		if v, err := strconv.Unquote(s[2]); err == nil {
			stmt, path = a.locate(s[1], v)
		}
	}
	msg := m.Message
	if m.Detail != "" {
		msg += " (" + m.Detail + ")"
	}
	a.add(Error, malformedCode(m), stmt, path, "%s", msg)
}

// locate finds the statement and element holding a value a parse error quotes: the first
// resource or action equal to it, or the second statement with a repeated Sid.
func (a *analysis) locate(what, v string) (int, string) {
	seenSid := false
	for i, st := range a.doc.Statements {
		switch what {
		case "resource":
			if j := slices.Index(st.Resource, v); j >= 0 {
				elem := "Resource"
				if st.NotResource {
					elem = "NotResource"
				}
				return i, elementPath(i, elem, j, len(st.Resource))
			}
		case "action":
			if j := slices.Index(st.Action, v); j >= 0 {
				elem := "Action"
				if st.NotAction {
					elem = "NotAction"
				}
				return i, elementPath(i, elem, j, len(st.Action))
			}
		case "Sid":
			if st.Sid == v {
				if seenSid {
					return i, fmt.Sprintf("Statement[%d].Sid", i)
				}
				seenSid = true
			}
		}
	}
	return -1, ""
}

// malformedCode picks Access Analyzer's code for the rejections it has one for.
func malformedCode(m *policy.MalformedError) string {
	switch m.Message {
	case policy.MsgVersion:
		return CodeInvalidVersion
	case policy.MsgNoActions:
		return CodeMissingAction
	case policy.MsgNoResources:
		return CodeMissingResource
	case policy.MsgMissingPrincipal:
		return CodeMissingPrincipal
	case policy.MsgPrincipalInPolicy:
		return CodeUnsupportedPrincipal
	case policy.MsgSidFormat:
		return CodeUnsupportedSid
	case policy.MsgSyntax:
		switch {
		case strings.HasPrefix(m.Detail, "not JSON"), strings.HasPrefix(m.Detail, "text after"):
			return CodeJSONSyntax
		case strings.Contains(m.Detail, "unknown field"), strings.Contains(m.Detail, "unknown top-level field"):
			return CodeInvalidPolicyElement
		case strings.HasPrefix(m.Detail, "Version"):
			return CodeInvalidVersion
		}
	}
	return CodeMalformed
}

// version warns about a document without Version, which IAM reads as 2008-10-17, and
// about policy variables in a 2008-10-17 document, which IAM reads as literal text
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
func (a *analysis) version() {
	d := a.doc
	if !d.HasVersion {
		a.add(Warning, CodeMissingVersion, -1, "",
			`the document has no Version, so IAM reads it as version 2008-10-17, in which policy variables are plain text; add "Version": "2012-10-17"`)
	}
	if d.Version != policy.Version2008 {
		return
	}
	for i, st := range d.Statements {
		for j, r := range st.Resource {
			if strings.Contains(r, "${") {
				elem := "Resource"
				if st.NotResource {
					elem = "NotResource"
				}
				a.add(Warning, CodeVariablesNeedVersion, i, elementPath(i, elem, j, len(st.Resource)),
					`%s contains a policy variable, which version 2008-10-17 reads as plain text; use "Version": "2012-10-17"`, r)
			}
		}
		for _, c := range st.Condition {
			if slices.ContainsFunc(c.Values, func(v string) bool { return strings.Contains(v, "${") }) {
				a.add(Warning, CodeVariablesNeedVersion, i, fmt.Sprintf("Statement[%d].Condition.%s.%s", i, c.Operator, c.Key),
					`a value contains a policy variable, which version 2008-10-17 reads as plain text; use "Version": "2012-10-17"`)
			}
		}
	}
}

// elementPath names the i-th value of an element that holds n values: an element with a
// single value has no index.
func elementPath(stmt int, element string, i, n int) string {
	if n == 1 {
		return fmt.Sprintf("Statement[%d].%s", stmt, element)
	}
	return fmt.Sprintf("Statement[%d].%s[%d]", stmt, element, i)
}

func (a *analysis) statement(i int, st *policy.Statement) {
	actionElem, resourceElem := "Action", "Resource"
	if st.NotAction {
		actionElem = "NotAction"
	}
	if st.NotResource {
		resourceElem = "NotResource"
	}
	stmtPath := fmt.Sprintf("Statement[%d]", i)

	if st.Effect == policy.Allow {
		if st.NotAction && st.HasAction {
			a.add(SecurityWarning, CodeAllowWithNotAction, i, stmtPath+".NotAction",
				"Allow with NotAction allows every action except those listed, in every service, including actions AWS adds later; list the actions to allow in Action instead")
		}
		if st.NotResource && st.HasResource {
			a.add(SecurityWarning, CodeAllowWithNotResource, i, stmtPath+".NotResource",
				"Allow with NotResource allows the actions on every resource except those listed, including resources created later; list the resources to allow in Resource instead")
		}
		if !st.NotAction && !st.NotResource && slices.Contains(st.Action, "*") && slices.Contains(st.Resource, "*") {
			a.add(SecurityWarning, CodeFullAccess, i, stmtPath,
				"the statement allows every action on every resource (administrator access); grant only the actions and resources the principal needs")
		}
		a.passRole(i, st)
	}

	for j, act := range st.Action {
		a.action(i, elementPath(i, actionElem, j, len(st.Action)), act)
	}
	if !st.NotAction && st.HasResource && !st.NotResource && len(st.Resource) > 0 {
		for j, act := range st.Action {
			a.resourceMismatch(i, elementPath(i, actionElem, j, len(st.Action)), act, st.Resource)
		}
	}
	a.conditions(i, st)
	a.redundant(i, actionElem, st.Action, true, CodeRedundantAction)
	a.redundant(i, resourceElem, st.Resource, false, CodeRedundantResource)
}

// passRole flags an Allow of iam:PassRole on any role: whoever holds it can hand any role,
// an administrator's included, to a service they control
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
// Naming the service in iam:PassedToService bounds it, so a statement with that key is
// not flagged.
func (a *analysis) passRole(i int, st *policy.Statement) {
	if st.NotAction {
		return
	}
	star := ""
	matched := false
	for _, act := range st.Action {
		if globMatch(strings.ToLower(act), "iam:passrole") {
			matched = true
			if strings.ContainsAny(act, "*?") {
				star = act
			}
		}
	}
	if !matched {
		return
	}
	if slices.ContainsFunc(st.Condition, func(r condition.Raw) bool { return strings.EqualFold(r.Key, "iam:PassedToService") }) {
		return
	}
	path := fmt.Sprintf("Statement[%d]", i)
	if st.NotResource {
		a.add(SecurityWarning, CodePassRoleNotResource, i, path+".NotResource",
			"iam:PassRole with NotResource allows passing every role not listed, including roles created later; name the roles in Resource, or add an iam:PassedToService condition")
		return
	}
	for j, r := range st.Resource {
		if !strings.Contains(r, "*") {
			continue
		}
		p := elementPath(i, "Resource", j, len(st.Resource))
		if star != "" {
			a.add(SecurityWarning, CodePassRoleStarActionResource, i, p,
				"%s with the resource %s allows passing any matching role (an administrator's included) to any service; name the roles, or add an iam:PassedToService condition", star, r)
		} else {
			a.add(SecurityWarning, CodePassRoleStarResource, i, p,
				"iam:PassRole with a wildcard in the resource %s allows passing any matching role (an administrator's included) to any service; name the roles, or add an iam:PassedToService condition", r)
		}
		return
	}
}

// action warns about an action or pattern that names no action the catalog knows.
func (a *analysis) action(i int, path, act string) {
	if act == "*" {
		return
	}
	svc, name, ok := strings.Cut(act, ":")
	if !ok {
		return // the strict parser rejects it; a lenient read has nothing to check
	}
	if len(catalog.MatchActions(act)) > 0 {
		return
	}
	if !strings.ContainsAny(svc, "*?") {
		if _, known := catalog.LookupService(svc); !known {
			a.add(Warning, CodeInvalidService, i, path, "the service %q in %s does not exist; IAM accepts the action but it matches nothing", svc, act)
			return
		}
	} else if !slices.ContainsFunc(catalog.Services(), func(s *catalog.Service) bool { return globMatch(strings.ToLower(svc), s.Prefix) }) {
		a.add(Warning, CodeInvalidService, i, path, "the service pattern %q in %s matches no service", svc, act)
		return
	}
	msg := fmt.Sprintf("the action %s does not exist; IAM accepts it but it matches nothing", act)
	if s, ok := catalog.LookupService(svc); ok && !strings.ContainsAny(name, "*?") {
		if near := nearestAction(s, name); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
	}
	a.add(Warning, CodeInvalidAction, i, path, "%s", msg)
}

// nearestAction returns the service's action closest to name by edit distance, if it is
// close enough to be a likely typo.
func nearestAction(s *catalog.Service, name string) string {
	best, bestD := "", 4
	lower := strings.ToLower(name)
	for _, act := range s.Actions {
		if d := editDistance(lower, strings.ToLower(act.Name), bestD); d < bestD {
			best, bestD = act.String(), d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or limit if it is at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// resourceMismatch warns when the statement's resources cannot name what an action acts
// on. For one action: none of its resource types matches any resource. For a pattern
// ("s3:*"): a resource names a parent of what some of the matched actions act on — the
// tutorial's "arn:aws:s3:::my_bucket" with object actions, which need
// "arn:aws:s3:::my_bucket/*" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html).
// A pattern's other misses (actions of resource types the statement never meant to name)
// are normal and not reported.
func (a *analysis) resourceMismatch(i int, path, act string, resources []string) {
	if act == "*" || slices.Contains(resources, "*") {
		return
	}
	actions := catalog.MatchActions(act)
	if len(actions) == 0 {
		return // reported as unknown
	}
	compiled := make([]catalog.ARNPattern, len(resources))
	for j, r := range resources {
		compiled[j] = catalog.CompileARNPattern(r)
	}
	if !strings.ContainsAny(act, "*?") {
		c := actions[0]
		if covered(c, compiled) {
			return
		}
		msg := fmt.Sprintf("%s acts on %s, which none of the statement's resources (%s) can match",
			c, describeTypes(c), strings.Join(resources, ", "))
		if hint := childHint(c, resources); hint != "" {
			msg += "; " + hint
		}
		a.add(Warning, CodeResourceMismatch, i, path, "%s", msg)
		return
	}
	// A pattern: look for resources that name a parent of what some actions act on.
	for _, r := range resources {
		if strings.HasSuffix(r, "*") {
			continue
		}
		child := r + "/*"
		childPattern := catalog.CompileARNPattern(child)
		var missed []*catalog.Action
		for _, c := range actions {
			if covered(c, compiled) {
				continue
			}
			if _, ok := c.MatchResourcePattern(childPattern); ok {
				missed = append(missed, c)
			}
		}
		if len(missed) == 0 {
			continue
		}
		examples := make([]string, 0, 3)
		for _, c := range missed[:min(3, len(missed))] {
			examples = append(examples, c.String())
		}
		more := ""
		if len(missed) > 3 {
			more = ", …"
		}
		var types []string
		for _, c := range missed {
			if _, typ := firstChildType(c, child); !slices.Contains(types, typ) {
				types = append(types, typ)
			}
		}
		a.add(Warning, CodeResourceMismatch, i, path,
			"%s does not cover what %d of the actions %s matches act on (%s%s): they act on %s resources under it, such as %s, which the statement does not list",
			r, len(missed), act, strings.Join(examples, ", "), more, joinAnd(types), child)
	}
}

// covered reports whether some resource can name something the action acts on. An action
// without resource types counts as covered: AWS's reference says such actions apply only
// to "*", but AWS's own managed policies grant some of them on specific ARNs
// (ssmmessages:OpenDataChannel on SSM sessions, in AWSCloud9User), so the data is not
// firm enough to warn on.
func covered(c *catalog.Action, resources []catalog.ARNPattern) bool {
	if len(c.Resources) == 0 {
		return true
	}
	for _, r := range resources {
		if _, ok := c.MatchResourcePattern(r); ok {
			return true
		}
	}
	return false
}

// joinAnd joins words as prose: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func describeTypes(c *catalog.Action) string {
	parts := make([]string, 0, len(c.Resources))
	for _, r := range c.Resources {
		parts = append(parts, fmt.Sprintf("%s (%s)", r.Type.Name, r.Type.ARNFormat))
	}
	return strings.Join(parts, " or ")
}

// childHint suggests resource/* when that is what the action acts on.
func childHint(c *catalog.Action, resources []string) string {
	for _, r := range resources {
		if strings.HasSuffix(r, "*") {
			continue
		}
		if ok, typ := firstChildType(c, r+"/*"); ok {
			return fmt.Sprintf("%s names the parent, not its %s resources %s/*", r, typ, r)
		}
	}
	return ""
}

func firstChildType(c *catalog.Action, child string) (bool, string) {
	for _, ar := range c.Resources {
		if ar.Type.Matches(child) {
			return true, ar.Type.Name
		}
	}
	return false, ""
}

// conditions checks each condition key: that it exists, and that the operator suits its
// type (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
func (a *analysis) conditions(i int, st *policy.Statement) {
	for _, raw := range st.Condition {
		path := fmt.Sprintf("Statement[%d].Condition.%s.%s", i, raw.Operator, raw.Key)
		qual, base, _, err := condition.ParseOperator(raw.Operator)
		if err != nil {
			continue // the strict parser reports it
		}
		info, ok := catalog.LookupConditionKey(raw.Key)
		if !ok {
			a.unknownKey(i, path, raw.Key)
			continue
		}
		if base == "Null" {
			continue // Null tests presence, which suits every key
		}
		if fam := operatorFamily(base); !familySuits(fam, info) {
			a.add(Warning, CodeTypeMismatch, i, path,
				"the condition key %s has type %s: use a %s operator instead of %s, which compares the values as %s",
				raw.Key, info.Type, allowedFamilies(info), raw.Operator, fam.describe())
		}
		if qual == condition.ForAllValues && !info.Type.Multivalued() {
			a.add(SecurityWarning, CodeForAllValuesSingleValued, i, path,
				"ForAllValues with the single-valued key %s is true when the request lacks the key, which can allow more than intended; drop ForAllValues: (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html)",
				raw.Key)
		}
	}
}

func (a *analysis) unknownKey(i int, path, key string) {
	prefix, _, ok := strings.Cut(key, ":")
	switch {
	case !ok:
		a.add(Warning, CodeInvalidServiceConditionKey, i, path, "the condition key %q has no service prefix; no request carries it", key)
	case strings.EqualFold(prefix, "aws"):
		a.add(Warning, CodeInvalidGlobalConditionKey, i, path, "the global condition key %s does not exist; no request carries it, so the condition never matches as written", key)
	case strings.ContainsAny(prefix, "./"):
		// An OIDC identity provider's keys carry the provider's URL as their prefix
		// (token.actions.githubusercontent.com:sub, oidc.eks.…/id/…:aud); any provider may
		// be registered, so no list can hold them all
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).
	default:
		if _, known := catalog.LookupService(prefix); !known {
			a.add(Warning, CodeInvalidServiceConditionKey, i, path, "the condition key %s names the service %q, which does not exist", key, prefix)
			return
		}
		a.add(Warning, CodeInvalidServiceConditionKey, i, path, "the condition key %s does not exist in the service %s; no request carries it", key, prefix)
	}
}

// family is an operator family: the value type an operator compares as.
type family uint8

const (
	famString family = iota + 1
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
)

func operatorFamily(base string) family {
	switch {
	case strings.HasPrefix(base, "String"):
		return famString
	case strings.HasPrefix(base, "Numeric"):
		return famNumeric
	case strings.HasPrefix(base, "Date"):
		return famDate
	case base == "Bool":
		return famBool
	case base == "BinaryEquals":
		return famBinary
	case base == "IpAddress", base == "NotIpAddress":
		return famIP
	case strings.HasPrefix(base, "Arn"):
		return famARN
	}
	return 0
}

func (f family) describe() string {
	switch f {
	case famString:
		return "strings"
	case famNumeric:
		return "numbers"
	case famDate:
		return "dates"
	case famBool:
		return "booleans"
	case famBinary:
		return "base64 binary"
	case famIP:
		return "IP addresses"
	case famARN:
		return "ARNs"
	}
	return "an unknown type"
}

// familiesFor lists the operator families that suit a key type. String and ARN operators
// both compare text, so each suits the other's keys: AWS recommends the ARN operators for
// ARN keys but accepts string ones
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN),
// and its own examples use ArnLike on string keys that hold ARNs
// (kms:EncryptionContext:aws:s3:arn, https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
// aws:EpochTime is documented as both Date and Numeric
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-epochtime).
func familiesFor(k catalog.ConditionKey) []family {
	switch k.Type.Scalar() {
	case catalog.String:
		return []family{famString, famARN}
	case catalog.ARN:
		return []family{famARN, famString}
	case catalog.Numeric:
		return []family{famNumeric}
	case catalog.Date:
		if strings.EqualFold(k.Name, "aws:EpochTime") {
			return []family{famDate, famNumeric}
		}
		return []family{famDate}
	case catalog.Bool:
		return []family{famBool}
	case catalog.IPAddress:
		return []family{famIP}
	case catalog.Binary:
		return []family{famBinary}
	}
	return nil
}

func familySuits(f family, k catalog.ConditionKey) bool {
	fams := familiesFor(k)
	return fams == nil || slices.Contains(fams, f)
}

func allowedFamilies(k catalog.ConditionKey) string {
	names := map[family]string{
		famString: "String", famNumeric: "Numeric", famDate: "Date", famBool: "Bool",
		famBinary: "BinaryEquals", famIP: "IpAddress", famARN: "Arn",
	}
	var out []string
	for _, f := range familiesFor(k) {
		out = append(out, names[f])
	}
	return strings.Join(out, " or ")
}

// redundant suggests removing values of an element that another value of it already
// covers: "s3:GetObject" beside "s3:Get*", or the same value twice.
func (a *analysis) redundant(i int, elem string, values []string, fold bool, code string) {
	norm := values
	if fold {
		norm = make([]string, len(values))
		for j, v := range values {
			norm[j] = strings.ToLower(v)
		}
	}
	// Most values have no wildcard; a literal can only be covered by its equal or by a
	// pattern, so the quadratic scan compares patterns against everything and literals
	// only by equality.
	var patterns []int
	wild := make([]bool, len(norm))
	first := make(map[string]int, len(norm))
	for j, v := range norm {
		if strings.ContainsAny(v, "*?") {
			patterns = append(patterns, j)
			wild[j] = true
		}
		if _, ok := first[v]; !ok {
			first[v] = j
		}
	}
	for j, v := range norm {
		if k := first[v]; k != j {
			a.add(Suggestion, code, i, elementPath(i, elem, j, len(values)),
				"%s is redundant: %s in the same statement already covers it", values[j], values[k])
			continue
		}
		for _, k := range patterns {
			w := norm[k]
			if j == k || v == w {
				continue
			}
			if wild[j] {
				// Two patterns that cover each other (s3:* and s3:**): keep the first.
				if !globCoversPatterns(w, v) || (k > j && globCoversPatterns(v, w)) {
					continue
				}
			} else if !globMatch(w, v) {
				continue
			}
			a.add(Suggestion, code, i, elementPath(i, elem, j, len(values)),
				"%s is redundant: %s in the same statement already covers it", values[j], values[k])
			break
		}
	}
}

// redundantStatements suggests removing a statement that another statement with the same
// effect, principal and condition already covers entirely.
func (a *analysis) redundantStatements() {
	sts := a.doc.Statements
	for i := range sts {
		for j := range sts {
			if i == j || !statementCovers(&sts[j], &sts[i]) {
				continue
			}
			if statementCovers(&sts[i], &sts[j]) && j > i {
				continue // identical: report the later of the two
			}
			a.add(Suggestion, CodeRedundantStatement, i, fmt.Sprintf("Statement[%d]", i),
				"the statement is redundant: Statement[%d] already allows or denies everything it does, under the same conditions", j)
			break
		}
	}
}

// statementCovers reports whether every request outer matches, inner matches too, when
// the two have the same effect, principal and condition and neither uses Not… elements.
func statementCovers(outer, inner *policy.Statement) bool {
	if outer.Effect != inner.Effect || outer.NotAction || inner.NotAction || outer.NotResource || inner.NotResource ||
		outer.NotPrincipal || inner.NotPrincipal || outer.HasResource != inner.HasResource {
		return false
	}
	if !sameJSON(outer.Principal, inner.Principal) || !sameConditions(outer.Condition, inner.Condition) {
		return false
	}
	return allCovered(outer.Action, inner.Action, true) && allCovered(outer.Resource, inner.Resource, false)
}

func allCovered(outer, inner []string, fold bool) bool {
	for _, v := range inner {
		if !slices.ContainsFunc(outer, func(w string) bool {
			if fold {
				return globCovers(strings.ToLower(w), strings.ToLower(v))
			}
			return globCovers(w, v)
		}) {
			return false
		}
	}
	return true
}

func sameConditions(x, y []condition.Raw) bool {
	if len(x) != len(y) {
		return false
	}
	key := func(r condition.Raw) string {
		vs := slices.Clone(r.Values)
		slices.Sort(vs)
		return r.Operator + "\x00" + strings.ToLower(r.Key) + "\x00" + strings.Join(vs, "\x00")
	}
	xs, ys := make([]string, len(x)), make([]string, len(y))
	for i := range x {
		xs[i], ys[i] = key(x[i]), key(y[i])
	}
	slices.Sort(xs)
	slices.Sort(ys)
	return slices.Equal(xs, ys)
}

func sameJSON(x, y *policy.Principal) bool {
	if x == nil || y == nil {
		return x == y
	}
	a, _ := json.Marshal(x)
	b, _ := json.Marshal(y)
	return string(a) == string(b)
}

// emptySids suggests removing "Sid": "" — an empty Sid identifies nothing. The parsed
// document does not keep an absent Sid apart from an empty one, so this reads the raw
// statements.
func (a *analysis) emptySids(doc []byte) {
	var top struct {
		Statement json.RawMessage
	}
	if json.Unmarshal(doc, &top) != nil || len(top.Statement) == 0 {
		return
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(top.Statement, &list) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(top.Statement, &one) != nil {
			return
		}
		list = []map[string]json.RawMessage{one}
	}
	for i, st := range list {
		if sid, ok := st["Sid"]; ok && string(sid) == `""` {
			a.add(Suggestion, CodeEmptySid, i, fmt.Sprintf("Statement[%d].Sid", i), "the Sid is empty; give the statement a name or remove the Sid element")
		}
	}
}
