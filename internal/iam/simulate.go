package iam

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/arn"
	"gatehouse/internal/authz"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
	"gatehouse/internal/policy"
	"gatehouse/internal/policy/condition"
)

// The policy simulator (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html,
// API_SimulatePrincipalPolicy.html, API_SimulateCustomPolicy.html) on the enforcement
// engine: every simulated request is decided by internal/authz exactly as a real request
// of the same principal would be. Each action is simulated on each resource ("*" when
// ResourceArns is empty), one EvaluationResult per pair, with the statements that decided
// it (their positions computed from the document text), the condition keys that the
// statements matching the action and resource use but the request lacks, and the
// boundary's and (cross-account) each side's part; under a ResourceHandlingOption an EC2
// launch is one result over all its resources (simulate_ec2.go). Better than AWS: an
// sts:AssumeRole* action on a role of the account is also decided by that role's trust
// policy as STS enforces it (recreated principals shown as the IDs they replaced), unless a
// ResourcePolicy is given. The account is in no organization, so no result carries an
// OrganizationsDecisionDetail ("Only applies if the simulated user's account is part of an
// organization").

// simPolicy is one document of a simulation.
type simPolicy struct {
	id    string
	typ   iamapi.PolicySourceType
	text  string
	doc   *policy.Document
	comp  *policy.Policy
	spans []span // each statement's place in text
}

// span is a statement's start and end in its document: 1-based line and column of its
// opening brace, and of the position just after its closing brace.
type span struct{ startLine, startCol, endLine, endCol int }

// simulation is everything a simulated request needs but its action and resource.
type simulation struct {
	principal authz.Principal
	tags      map[string]string
	identity  []*simPolicy
	boundary  []*simPolicy
	resource  *simPolicy // ResourcePolicy
	owner     string     // the resource owner's account
	ctx       *authz.Context
	byLabel   map[string]*simPolicy
	trust     func(roleARN string) (*simPolicy, error)
}

func simInvalid(format string, args ...any) error { return invalidInput(format, args...) }

// parseSimPolicy parses one input document strictly (as IAM does) and locates its
// statements.
func parseSimPolicy(id string, typ iamapi.PolicySourceType, text string, kind policy.Kind, strict bool) (*simPolicy, error) {
	var d *policy.Document
	var err error
	if strict {
		d, err = policy.Parse([]byte(text), kind)
	} else {
		d, err = policy.ParseLenient([]byte(text))
	}
	if err != nil {
		return nil, simInvalid("The policy %s is not valid: %v", id, err)
	}
	c, err := policy.Compile(d)
	if err != nil {
		return nil, simInvalid("The policy %s is not valid: %v", id, err)
	}
	return &simPolicy{id: id, typ: typ, text: text, doc: d, comp: c, spans: statementSpans(text)}, nil
}

// sourcedType maps where a stored policy comes from to SimulatePrincipalPolicy's
// SourcePolicyType.
func sourcedType(sp SourcedPolicy) iamapi.PolicySourceType {
	switch sp.Source {
	case SourceUserInline:
		return iamapi.PolicySourceTypeUser
	case SourceGroupInline:
		return iamapi.PolicySourceTypeGroup
	case SourceRoleInline:
		return iamapi.PolicySourceTypeRole
	}
	if strings.Contains(sp.ARN, ":iam::aws:policy") {
		return iamapi.PolicySourceTypeAwsManaged
	}
	return iamapi.PolicySourceTypeUserManaged
}

func sourcedID(sp SourcedPolicy) string {
	if sp.ARN != "" {
		return sp.ARN
	}
	return sp.Name
}

// simContext builds the request context: the keys IAM derives from the principal, then the
// ContextEntries, each value checked against its ContextKeyType.
func simContext(p *authz.Principal, tags map[string]string, entries []iamapi.ContextEntry) (*authz.Context, error) {
	ctx := authz.NewContext(p, tags)
	for _, e := range entries {
		name := str(e.ContextKeyName)
		typ := e.ContextKeyType
		list := strings.HasSuffix(string(typ), "List")
		if !list && len(e.ContextKeyValues) > 1 {
			return nil, simInvalid("Context key %s of type %s takes one value, not %d.", name, typ, len(e.ContextKeyValues))
		}
		for _, v := range e.ContextKeyValues {
			if err := checkContextValue(typ, v); err != nil {
				return nil, simInvalid("Invalid value %q for context key %s of type %s.", v, name, typ)
			}
		}
		if list {
			ctx.SetMulti(name, e.ContextKeyValues)
		} else if len(e.ContextKeyValues) == 1 {
			ctx.Set(name, e.ContextKeyValues[0])
		}
	}
	return ctx, nil
}

// checkContextValue checks a ContextEntries value against its ContextKeyType with the
// parsers the engine reads request values with, so a value the simulator accepts is one
// its conditions can compare: a number, true or false, an IP address (a request comes from
// one address; a CIDR block is a policy's value, not a request's), base64 text, or a date in
// the ISO 8601 forms and epoch seconds the Date operators take
// (reference_policies_elements_condition_operators.html).
func checkContextValue(typ iamapi.ContextKeyTypeEnum, v string) error {
	op := ""
	switch strings.TrimSuffix(string(typ), "List") {
	case "numeric":
		op = "NumericEquals"
	case "date":
		op = "DateEquals"
	case "binary":
		op = "BinaryEquals"
	case "boolean":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return fmt.Errorf("not a boolean")
		}
	case "ip":
		_, err := netip.ParseAddr(v)
		return err
	}
	if op == "" {
		return nil
	}
	_, err := condition.Compile([]condition.Raw{{Operator: op, Key: "aws:RequestValue", Values: []string{v}}}, false)
	return err
}

// ownerAccount reads ResourceOwner: an account's root ARN, arn:aws:iam::<account>:root, the
// one form IAM takes. A bare account ID, though SimulatePrincipalPolicy's reference calls the
// value one, is refused with "'<id>' is not a valid as a Resource Owner."
// (https://github.com/boto/botocore/issues/1346).
func ownerAccount(s string) (string, error) {
	if p, ok := parseIAMARN(s); ok && p.Resource == "root" && len(p.Account) == 12 && strings.Trim(p.Account, "0123456789") == "" {
		return p.Account, nil
	}
	return "", simInvalid("'%s' is not a valid as a Resource Owner.", s)
}

// prepare finishes a simulation from its inputs.
func (sim *simulation) prepare(inputs, boundaries []string, resourcePolicy, owner *string, entries []iamapi.ContextEntry) error {
	for i, doc := range inputs {
		p, err := parseSimPolicy(fmt.Sprintf("PolicyInputList.%d", i+1), iamapi.PolicySourceTypeNone, doc, policy.Identity, true)
		if err != nil {
			return err
		}
		sim.identity = append(sim.identity, p)
	}
	if len(boundaries) > 0 {
		sim.boundary = nil // the input list replaces the entity's own boundary
		for i, doc := range boundaries {
			p, err := parseSimPolicy(fmt.Sprintf("PermissionsBoundaryPolicyInputList.%d", i+1), iamapi.PolicySourceTypeNone, doc, policy.Identity, true)
			if err != nil {
				return err
			}
			sim.boundary = append(sim.boundary, p)
		}
	}
	if resourcePolicy != nil && *resourcePolicy != "" {
		p, err := parseSimPolicy("ResourcePolicy", iamapi.PolicySourceTypeResource, *resourcePolicy, policy.Resource, true)
		if err != nil {
			return err
		}
		sim.resource = p
	}
	sim.owner = sim.principal.Account
	if owner != nil && *owner != "" {
		o, err := ownerAccount(*owner)
		if err != nil {
			return err
		}
		sim.owner = o
	}
	var err error
	sim.ctx, err = simContext(&sim.principal, sim.tags, entries)
	return err
}

func (sim *simulation) label(p *simPolicy) authz.Attached {
	if sim.byLabel == nil {
		sim.byLabel = map[string]*simPolicy{}
	}
	l := fmt.Sprintf("%d:%s", len(sim.byLabel), p.id)
	sim.byLabel[l] = p
	return authz.Attached{Label: l, Policy: p.comp}
}

// run simulates every action on every resource; under a ResourceHandlingOption scenario an
// action the scenario governs is simulated once over all of its resources (simulate_ec2.go).
func (sim *simulation) run(actions, resources []string, sc *ec2Scenario) ([]iamapi.EvaluationResult, error) {
	for _, res := range resources {
		// "ResourceNames are not in a valid ARN format: <name>." is IAM's answer to a
		// resource that is not an ARN (a KMS key ID, say).
		if _, err := arn.Parse(res); err != nil && res != "*" {
			return nil, simInvalid("ResourceNames are not in a valid ARN format: %s.", res)
		}
	}
	var pp authz.PrincipalPolicies
	for _, p := range sim.identity {
		pp.Identity = append(pp.Identity, sim.label(p))
	}
	// Several boundary documents act as one: each must allow (AWS takes one boundary; the
	// input list is a list, and its documents together are the boundary).
	var boundaries []authz.Attached
	for _, p := range sim.boundary {
		boundaries = append(boundaries, sim.label(p))
	}
	sets := []*authz.Set{authz.NewSet(pp)}
	if len(boundaries) > 0 {
		sets = sets[:0]
		for _, b := range boundaries {
			bpp := pp
			bpp.Boundary = &b
			sets = append(sets, authz.NewSet(bpp))
		}
	}
	var resourceSet *authz.ResourceSet
	if sim.resource != nil {
		resourceSet = authz.NewResourceSet(authz.ResourcePolicies{Resource: ptr(sim.label(sim.resource))})
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	eval := func(action, res string) (pairResult, error) {
		rs, extra, err := sim.resourceSetFor(action, res, resourceSet)
		if err != nil {
			return pairResult{}, err
		}
		return sim.one(action, res, sets, len(boundaries) > 0, rs, extra), nil
	}
	var out []iamapi.EvaluationResult
	for _, action := range actions {
		if sc.governs(action) {
			own, rs := scenarioResources(action, resources)
			var pairs []pairResult
			for _, res := range rs {
				p, err := eval(action, res)
				if err != nil {
					return nil, err
				}
				pairs = append(pairs, p)
			}
			out = append(out, sim.combined(action, own, pairs))
			continue
		}
		for _, res := range resources {
			p, err := eval(action, res)
			if err != nil {
				return nil, err
			}
			out = append(out, sim.single(action, p))
		}
	}
	return out, nil
}

// resourceSetFor is the resource side of a request: the ResourcePolicy, or for
// sts:AssumeRole* on a role of the principal's account, that role's trust policy.
func (sim *simulation) resourceSetFor(action, res string, given *authz.ResourceSet) (*authz.ResourceSet, *simPolicy, error) {
	if given != nil || sim.trust == nil || !strings.HasPrefix(strings.ToLower(action), "sts:assumerole") {
		return given, sim.resource, nil
	}
	p, ok := parseIAMARN(res)
	if !ok || p.Resource != "role" {
		return nil, nil, nil
	}
	tp, err := sim.trust(res)
	if err != nil || tp == nil {
		return nil, nil, err
	}
	return authz.NewResourceSet(authz.ResourcePolicies{Resource: ptr(sim.label(tp))}), tp, nil
}

// pairResult is the simulation of one action on one resource.
type pairResult struct {
	res            string
	decision       authz.Decision
	matched        []iamapi.Statement
	missing        []string
	details        map[string]iamapi.PolicyEvaluationDecisionType // cross-account only
	hasBoundary    bool
	boundaryAllows bool
}

func (p pairResult) boundaryDetail() *iamapi.PermissionsBoundaryDecisionDetail {
	if !p.hasBoundary {
		return nil
	}
	return &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: ptr(p.boundaryAllows)}
}

func (p pairResult) specific() iamapi.ResourceSpecificResult {
	return iamapi.ResourceSpecificResult{EvalResourceName: p.res, EvalResourceDecision: decisionOf(p.decision),
		MatchedStatements: p.matched, MissingContextValues: p.missing, EvalDecisionDetails: p.details,
		PermissionsBoundaryDecisionDetail: p.boundaryDetail()}
}

// one simulates one request. With boundaries, the request is decided once per boundary
// document and the most restrictive answer stands.
func (sim *simulation) one(action, res string, sets []*authz.Set, hasBoundary bool, rs *authz.ResourceSet, resPolicy *simPolicy) pairResult {
	var result authz.Result
	boundaryAllows := true
	for i, set := range sets {
		var r authz.Result
		req := authz.Request{Principal: &sim.principal, Action: action, Resource: res, ResourceAccount: sim.owner,
			Context: sim.ctx, Policies: set, Resources: rs}
		authz.Evaluate(&req, &r)
		bAllow, bDeny := false, false
		for _, m := range r.Matched {
			if m.Type == authz.BoundaryPolicy {
				bAllow = bAllow || m.Effect == policy.Allow
				bDeny = bDeny || m.Effect == policy.Deny
			}
		}
		boundaryAllows = boundaryAllows && bAllow && !bDeny
		if i == 0 || restrictiveness(r.Decision) > restrictiveness(result.Decision) {
			result = r
		}
	}
	p := pairResult{res: res, decision: result.Decision, matched: sim.matched(result), missing: sim.missing(action, res, resPolicy),
		hasBoundary: hasBoundary, boundaryAllows: boundaryAllows}
	if sim.owner != sim.principal.Account {
		// Cross-account: each account's side decides, and both must allow.
		p.details = map[string]iamapi.PolicyEvaluationDecisionType{
			"IAM Policy":      sideDecision(result.Matched, authz.IdentityPolicy),
			"Resource Policy": sideDecision(result.Matched, authz.ResourcePolicy),
		}
	}
	return p
}

// single is the EvaluationResult of one action on one resource.
func (sim *simulation) single(action string, p pairResult) iamapi.EvaluationResult {
	out := iamapi.EvaluationResult{EvalActionName: action, EvalResourceName: ptr(p.res), EvalDecision: decisionOf(p.decision),
		PermissionsBoundaryDecisionDetail: p.boundaryDetail()}
	if p.res == "*" {
		out.MatchedStatements, out.MissingContextValues, out.EvalDecisionDetails = p.matched, p.missing, p.details
		return out
	}
	// A named resource: the details go under ResourceSpecificResults, as IAM puts them.
	out.MatchedStatements, out.MissingContextValues = p.matched, []string{}
	out.ResourceSpecificResults = []iamapi.ResourceSpecificResult{p.specific()}
	out.EvalDecisionDetails = namedDetails(p.details)
	return out
}

// namedDetails is EvalDecisionDetails of a result on named resources: "If the simulation
// evaluates policies within the same account and includes a resource ARN, then the
// parameter is present but the response is empty" (API_EvaluationResult.html).
func namedDetails(d map[string]iamapi.PolicyEvaluationDecisionType) map[string]iamapi.PolicyEvaluationDecisionType {
	if d == nil {
		return map[string]iamapi.PolicyEvaluationDecisionType{}
	}
	return d
}

// combined is the EvaluationResult of a governed action over all its resources: the most
// restrictive of their decisions (allowed only when every resource is), the statements that
// decided it, and each resource's own result.
func (sim *simulation) combined(action, own string, pairs []pairResult) iamapi.EvaluationResult {
	d := authz.Allowed
	for _, p := range pairs {
		if restrictiveness(p.decision) > restrictiveness(d) {
			d = p.decision
		}
	}
	out := iamapi.EvaluationResult{EvalActionName: action, EvalDecision: decisionOf(d), MatchedStatements: []iamapi.Statement{},
		MissingContextValues: []string{}}
	if own != "" {
		out.EvalResourceName = ptr(own)
	}
	seen := map[string]bool{}
	boundaryAllows, hasBoundary := true, false
	for _, p := range pairs {
		out.ResourceSpecificResults = append(out.ResourceSpecificResults, p.specific())
		hasBoundary = hasBoundary || p.hasBoundary
		boundaryAllows = boundaryAllows && p.boundaryAllows
		if p.details != nil {
			if out.EvalDecisionDetails == nil {
				out.EvalDecisionDetails = map[string]iamapi.PolicyEvaluationDecisionType{}
			}
			for k, v := range p.details {
				if cur, ok := out.EvalDecisionDetails[k]; !ok || evalRank(v) > evalRank(cur) {
					out.EvalDecisionDetails[k] = v
				}
			}
		}
		if p.decision != d {
			continue // an explicit deny lists only the denying statements
		}
		for _, st := range p.matched {
			key := statementKey(st)
			if !seen[key] {
				seen[key] = true
				out.MatchedStatements = append(out.MatchedStatements, st)
			}
		}
	}
	if hasBoundary {
		out.PermissionsBoundaryDecisionDetail = &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: ptr(boundaryAllows)}
	}
	out.EvalDecisionDetails = namedDetails(out.EvalDecisionDetails)
	return out
}

func statementKey(st iamapi.Statement) string {
	k := str(st.SourcePolicyId) + "|" + string(st.SourcePolicyType)
	if st.StartPosition != nil {
		k += fmt.Sprintf("|%d:%d", deref(st.StartPosition.Line), deref(st.StartPosition.Column))
	}
	return k
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

func evalRank(d iamapi.PolicyEvaluationDecisionType) int {
	switch d {
	case iamapi.PolicyEvaluationDecisionTypeExplicitDeny:
		return 2
	case iamapi.PolicyEvaluationDecisionTypeImplicitDeny:
		return 1
	}
	return 0
}

func restrictiveness(d authz.Decision) int {
	switch d {
	case authz.ExplicitDeny:
		return 2
	case authz.ImplicitDeny:
		return 1
	}
	return 0
}

func decisionOf(d authz.Decision) iamapi.PolicyEvaluationDecisionType {
	switch d {
	case authz.Allowed:
		return iamapi.PolicyEvaluationDecisionTypeAllowed
	case authz.ExplicitDeny:
		return iamapi.PolicyEvaluationDecisionTypeExplicitDeny
	}
	return iamapi.PolicyEvaluationDecisionTypeImplicitDeny
}

func sideDecision(ms []authz.Matched, t authz.PolicyType) iamapi.PolicyEvaluationDecisionType {
	d := iamapi.PolicyEvaluationDecisionTypeImplicitDeny
	for _, m := range ms {
		if m.Type != t {
			continue
		}
		if m.Effect == policy.Deny {
			return iamapi.PolicyEvaluationDecisionTypeExplicitDeny
		}
		d = iamapi.PolicyEvaluationDecisionTypeAllowed
	}
	return d
}

// matched lists the statements that decided: the Deny statements of an explicit deny
// ("the deny statement is the only entry included in the result"), the Allow statements of
// an allowed request, none for an implicit deny.
func (sim *simulation) matched(r authz.Result) []iamapi.Statement {
	out := []iamapi.Statement{}
	want := policy.Allow
	switch r.Decision {
	case authz.ExplicitDeny:
		want = policy.Deny
	case authz.ImplicitDeny:
		return out
	}
	seen := map[string]bool{}
	for _, m := range r.Matched {
		p := sim.byLabel[m.Policy]
		if m.Effect != want || p == nil {
			continue
		}
		key := m.Policy + "#" + strconv.Itoa(m.Index)
		if seen[key] {
			continue
		}
		seen[key] = true
		st := iamapi.Statement{SourcePolicyId: ptr(p.id), SourcePolicyType: p.typ}
		if m.Index >= 0 && m.Index < len(p.spans) {
			sp := p.spans[m.Index]
			st.StartPosition = &iamapi.Position{Line: ptr(int32(sp.startLine)), Column: ptr(int32(sp.startCol))}
			st.EndPosition = &iamapi.Position{Line: ptr(int32(sp.endLine)), Column: ptr(int32(sp.endCol))}
		}
		out = append(out, st)
	}
	return out
}

// missing lists the condition keys (and policy variables) that statements applying to the
// action and resource use and the request context lacks, sorted and deduplicated.
func (sim *simulation) missing(action, res string, resPolicy *simPolicy) []string {
	set := map[string]string{}
	consider := func(p *simPolicy) {
		if p == nil {
			return
		}
		for i := range p.comp.Statements {
			c := &p.comp.Statements[i]
			if !c.MatchAction(action) || (res != "*" && !c.MatchResource(res, sim.ctx)) {
				continue
			}
			idx := int(c.Index)
			if idx < 0 || idx >= len(p.doc.Statements) {
				continue
			}
			for _, k := range statementKeys(p.doc.Statements[idx]) {
				if !sim.ctx.Has(k) {
					set[strings.ToLower(k)] = k
				}
			}
		}
	}
	for _, p := range sim.identity {
		consider(p)
	}
	for _, p := range sim.boundary {
		consider(p)
	}
	consider(resPolicy)
	out := make([]string, 0, len(set))
	for _, k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// statementKeys are the context keys a statement reads: its condition keys and the
// variables in its Resource and condition values.
func statementKeys(st policy.Statement) []string {
	var out []string
	for _, c := range st.Condition {
		out = append(out, c.Key)
		for _, v := range c.Values {
			out = append(out, policyVariables(v)...)
		}
	}
	for _, r := range st.Resource {
		out = append(out, policyVariables(r)...)
	}
	return out
}

// policyVariables returns the keys of the ${key} variables in s (a ${key, 'default'}
// variable names its key before the comma); ${*}, ${?} and ${$} are escapes, not keys.
func policyVariables(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return out
		}
		v := strings.TrimSpace(s[:j])
		if k, _, ok := strings.Cut(v, ","); ok {
			v = strings.TrimSpace(k)
		}
		if v != "*" && v != "?" && v != "$" && v != "" {
			out = append(out, v)
		}
		s = s[j+1:]
	}
}

// contextKeys is GetContextKeysFor…Policy's answer: every key the documents read, sorted
// and without duplicates (case-insensitively; the first spelling is kept).
func contextKeys(docs []*simPolicy) []string {
	set := map[string]string{}
	for _, p := range docs {
		for _, st := range p.doc.Statements {
			for _, k := range statementKeys(st) {
				if _, ok := set[strings.ToLower(k)]; !ok {
					set[strings.ToLower(k)] = k
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for _, k := range set {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// sourcePolicies loads what SimulatePrincipalPolicy and GetContextKeysForPrincipalPolicy
// read for PolicySourceArn: a user's policies (its own and its groups'), a group's, or a
// role's, and the entity's boundary and tags.
func (s *Service) sourcePolicies(tx kv.Tx, a Account, src string) (p authz.Principal, tags map[string]string, ident []*simPolicy, boundary []*simPolicy, err error) {
	k := keysFor(a.ID)
	pa, ok := parseIAMARN(src)
	if !ok || pa.Account != a.ID || pa.Name == "" {
		return p, nil, nil, nil, simInvalid("Invalid Entity Arn: %s", src)
	}
	var held []SourcedPolicy
	var bnd *SourcedPolicy
	var tagRecs []tagRecord
	switch pa.Resource {
	case "user":
		u, err := getUser(tx, k, pa.Name)
		if err != nil {
			return p, nil, nil, nil, err
		}
		var ps PolicySet
		if err := s.userPolicySet(tx, a, parsedARN{Account: a.ID, Resource: "user", Path: u.Path, Name: u.Name}, &ps); err != nil {
			return p, nil, nil, nil, err
		}
		held, bnd, tagRecs = ps.Policies, ps.Boundary, u.Tags
		p = authz.Principal{Kind: authz.User, ARN: a.arn(kindUser, u.Path, u.Name), Partition: a.partition(), Account: a.ID, Name: u.Name, UserID: u.ID}
	case "role":
		var r roleRecord
		found, err := getJSON(tx, k.entity(kindRole, pa.Name), &r)
		if err != nil {
			return p, nil, nil, nil, err
		}
		if !found {
			return p, nil, nil, nil, noSuchEntity("The role with name %s cannot be found.", pa.Name)
		}
		var ps PolicySet
		if err := s.rolePolicySet(tx, a, parsedARN{Account: a.ID, Resource: "role", Path: r.Path, Name: r.Name}, &ps); err != nil {
			return p, nil, nil, nil, err
		}
		held, bnd, tagRecs = ps.Policies, ps.Boundary, r.Tags
		arn := a.arn(kindRole, r.Path, r.Name)
		p = authz.Principal{Kind: authz.Role, ARN: arn, Partition: a.partition(), Account: a.ID, Name: r.Name, RoleARN: arn, UserID: r.ID}
	case "group":
		var g groupRecord
		found, err := getJSON(tx, k.entity(kindGroup, pa.Name), &g)
		if err != nil {
			return p, nil, nil, nil, err
		}
		if !found {
			return p, nil, nil, nil, noSuchEntity("The group with name %s cannot be found.", pa.Name)
		}
		garn := a.arn(kindGroup, g.Path, g.Name)
		if err := s.appendHeld(tx, a, kindGroup, g.Name, garn, SourceGroupInline, &held); err != nil {
			return p, nil, nil, nil, err
		}
		// A group is simulated as a member of it would be, without the member's own policies.
		p = authz.Principal{Kind: authz.User, ARN: garn, Partition: a.partition(), Account: a.ID, Name: g.Name}
	default:
		return p, nil, nil, nil, simInvalid("Invalid Entity Arn: %s", src)
	}
	for _, sp := range held {
		sim, err := parseSimPolicy(sourcedID(sp), sourcedType(sp), sp.Document, policy.Identity, false)
		if err != nil {
			return p, nil, nil, nil, err
		}
		ident = append(ident, sim)
	}
	if bnd != nil {
		sim, err := parseSimPolicy(sourcedID(*bnd), sourcedType(*bnd), bnd.Document, policy.Identity, false)
		if err != nil {
			return p, nil, nil, nil, err
		}
		boundary = append(boundary, sim)
	}
	if len(tagRecs) > 0 {
		tags = map[string]string{}
		for _, t := range tagRecs {
			tags[t.Key] = t.Value
		}
	}
	return p, tags, ident, boundary, nil
}

// trustOf returns a function that reads a role's trust policy in the account.
func (s *Service) trustOf(ctx context.Context, a Account) func(string) (*simPolicy, error) {
	return func(roleARN string) (*simPolicy, error) {
		pa, ok := parseIAMARN(roleARN)
		if !ok || pa.Account != a.ID {
			return nil, nil
		}
		var doc string
		err := s.view(ctx, func(tx kv.Tx) error {
			var r roleRecord
			found, err := getJSON(tx, keysFor(a.ID).entity(kindRole, pa.Name), &r)
			if err != nil || !found || !samePath(r.Path, pa.Path) {
				return err
			}
			// The trust policy as STS enforces it (principals.go's rolePolicySet): a
			// principal that was deleted or recreated since is its old unique ID.
			doc, err = shownTrust(tx, r)
			return err
		})
		if err != nil || doc == "" {
			return nil, err
		}
		tp, err := parseSimPolicy(roleARN, iamapi.PolicySourceTypeRole, doc, policy.Trust, false)
		if err != nil {
			// A trust policy that does not parse (kept verbatim under Options.MotoLenient)
			// grants nothing, as STS enforces it; it is not the caller's input to refuse.
			return nil, nil
		}
		return tp, nil
	}
}

// callerPrincipal reads CallerArn: "You can specify only the ARN of an IAM user. You cannot
// specify the ARN of an assumed role, federated user, or a service principal." The user
// need not exist (it may be of another account, for a cross-account simulation).
func callerPrincipal(arn string) (authz.Principal, error) {
	p, err := authz.ParsePrincipal(arn)
	if err != nil || p.Kind != authz.User {
		return authz.Principal{}, simInvalid("Invalid CallerArn: %s. CallerArn must be the ARN of an IAM user.", arn)
	}
	return p, nil
}

func pageResults(a Account, op string, rs []iamapi.EvaluationResult, marker *string, maxItems *int32) (*iamapi.SimulatePolicyResponse, error) {
	k := keysFor(a.ID)
	pg, err := newPager(op, k.base(), marker, maxItems)
	if err != nil {
		return nil, err
	}
	start, end, tr, next := pg.window(len(rs), func(i int) string { return k.base() + "sim/" + zeroPad(i) })
	out := &iamapi.SimulatePolicyResponse{EvaluationResults: rs[start:end]}
	if out.EvaluationResults == nil {
		out.EvaluationResults = []iamapi.EvaluationResult{}
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

func (s *Service) SimulatePrincipalPolicy(ctx context.Context, a Account, in *iamapi.SimulatePrincipalPolicyInput) (*iamapi.SimulatePrincipalPolicyOutput, error) {
	var sim simulation
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		sim.principal, sim.tags, sim.identity, sim.boundary, err = s.sourcePolicies(tx, a, str(in.PolicySourceArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	if c := str(in.CallerArn); c != "" {
		if sim.principal, err = callerPrincipal(c); err != nil {
			return nil, err
		}
	} else if src, _ := parseIAMARN(str(in.PolicySourceArn)); in.ResourcePolicy != nil && *in.ResourcePolicy != "" && src.Resource != "user" {
		// "CallerArn is required if you include a ResourcePolicy and the PolicySourceArn is
		// not the ARN for an IAM user" (a group is simulated as a user-like principal, but
		// it is not one a resource policy can name).
		return nil, simInvalid("CallerArn is required when a ResourcePolicy is given and PolicySourceArn is not a user.")
	}
	sim.trust = s.trustOf(ctx, a)
	if err := sim.prepare(in.PolicyInputList, in.PermissionsBoundaryPolicyInputList, in.ResourcePolicy, in.ResourceOwner, in.ContextEntries); err != nil {
		return nil, err
	}
	sc, err := resourceHandling(in.ResourceHandlingOption, in.ResourceArns)
	if err != nil {
		return nil, err
	}
	rs, err := sim.run(in.ActionNames, in.ResourceArns, sc)
	if err != nil {
		return nil, err
	}
	return pageResults(a, "SimulatePrincipalPolicy", rs, in.Marker, in.MaxItems)
}

func (s *Service) SimulateCustomPolicy(ctx context.Context, a Account, in *iamapi.SimulateCustomPolicyInput) (*iamapi.SimulateCustomPolicyOutput, error) {
	var sim simulation
	switch c := str(in.CallerArn); {
	case c != "":
		p, err := callerPrincipal(c)
		if err != nil {
			return nil, err
		}
		sim.principal = p
	case in.ResourcePolicy != nil && *in.ResourcePolicy != "":
		return nil, simInvalid("CallerArn is required when a ResourcePolicy is given.")
	default:
		// No caller: a user of the calling account that has exactly the input policies.
		sim.principal = authz.Principal{Kind: authz.User, ARN: a.arn(kindUser, "/", "SimulatedUser"), Partition: a.partition(), Account: a.ID, Name: "SimulatedUser"}
	}
	sim.trust = s.trustOf(ctx, a)
	if err := sim.prepare(in.PolicyInputList, in.PermissionsBoundaryPolicyInputList, in.ResourcePolicy, in.ResourceOwner, in.ContextEntries); err != nil {
		return nil, err
	}
	sc, err := resourceHandling(in.ResourceHandlingOption, in.ResourceArns)
	if err != nil {
		return nil, err
	}
	rs, err := sim.run(in.ActionNames, in.ResourceArns, sc)
	if err != nil {
		return nil, err
	}
	return pageResults(a, "SimulateCustomPolicy", rs, in.Marker, in.MaxItems)
}

func (s *Service) GetContextKeysForPrincipalPolicy(ctx context.Context, a Account, in *iamapi.GetContextKeysForPrincipalPolicyInput) (*iamapi.GetContextKeysForPrincipalPolicyOutput, error) {
	var docs []*simPolicy
	err := s.view(ctx, func(tx kv.Tx) error {
		_, _, ident, _, err := s.sourcePolicies(tx, a, str(in.PolicySourceArn))
		docs = ident
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, d := range in.PolicyInputList {
		p, err := parseSimPolicy(fmt.Sprintf("PolicyInputList.%d", i+1), iamapi.PolicySourceTypeNone, d, policy.Identity, true)
		if err != nil {
			return nil, err
		}
		docs = append(docs, p)
	}
	return &iamapi.GetContextKeysForPrincipalPolicyOutput{ContextKeyNames: contextKeys(docs)}, nil
}

func (s *Service) GetContextKeysForCustomPolicy(ctx context.Context, a Account, in *iamapi.GetContextKeysForCustomPolicyInput) (*iamapi.GetContextKeysForCustomPolicyOutput, error) {
	var docs []*simPolicy
	for i, d := range in.PolicyInputList {
		p, err := parseSimPolicy(fmt.Sprintf("PolicyInputList.%d", i+1), iamapi.PolicySourceTypeNone, d, policy.Identity, true)
		if err != nil {
			return nil, err
		}
		docs = append(docs, p)
	}
	return &iamapi.GetContextKeysForCustomPolicyOutput{ContextKeyNames: contextKeys(docs)}, nil
}

// statementSpans locates each statement of a policy document's Statement element (an array
// of statements or a single one) in its text. It reads only as much JSON as it must; a
// document it cannot read yields no spans (the parse has already accepted it).
func statementSpans(text string) []span {
	sc := jsonScanner{s: text}
	sc.ws()
	if !sc.eat('{') {
		return nil
	}
	for {
		sc.ws()
		if sc.eat('}') || sc.done() {
			return nil
		}
		key, ok := sc.str()
		if !ok {
			return nil
		}
		sc.ws()
		if !sc.eat(':') {
			return nil
		}
		sc.ws()
		if key != "Statement" {
			if !sc.skip() {
				return nil
			}
			sc.ws()
			sc.eat(',')
			continue
		}
		if sc.peek() == '{' {
			start := sc.i
			if !sc.skip() {
				return nil
			}
			return []span{sc.span(start, sc.i)}
		}
		if !sc.eat('[') {
			return nil
		}
		var out []span
		for {
			sc.ws()
			if sc.eat(']') || sc.done() {
				return out
			}
			start := sc.i
			// skip passes nothing at a '}' (or another delimiter) where an element should
			// be; stop there rather than loop on the same offset.
			if !sc.skip() || sc.i == start {
				return out
			}
			out = append(out, sc.span(start, sc.i))
			sc.ws()
			sc.eat(',')
		}
	}
}

type jsonScanner struct {
	s string
	i int
}

func (sc *jsonScanner) done() bool { return sc.i >= len(sc.s) }

func (sc *jsonScanner) peek() byte {
	if sc.done() {
		return 0
	}
	return sc.s[sc.i]
}

func (sc *jsonScanner) ws() {
	for !sc.done() && strings.IndexByte(" \t\r\n", sc.s[sc.i]) >= 0 {
		sc.i++
	}
}

func (sc *jsonScanner) eat(c byte) bool {
	if sc.peek() == c {
		sc.i++
		return true
	}
	return false
}

// str reads a string and returns its raw contents (escapes are not decoded: keys of
// interest have none).
func (sc *jsonScanner) str() (string, bool) {
	if !sc.eat('"') {
		return "", false
	}
	start := sc.i
	for !sc.done() {
		switch sc.s[sc.i] {
		case '\\':
			sc.i += 2
		case '"':
			sc.i++
			return sc.s[start : sc.i-1], true
		default:
			sc.i++
		}
	}
	return "", false
}

// skip passes one value.
func (sc *jsonScanner) skip() bool {
	switch sc.peek() {
	case '"':
		_, ok := sc.str()
		return ok
	case '{', '[':
		depth := 0
		for !sc.done() {
			switch sc.s[sc.i] {
			case '"':
				if _, ok := sc.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					sc.i++
					return true
				}
			}
			sc.i++
		}
		return false
	}
	for !sc.done() && strings.IndexByte(",}] \t\r\n", sc.s[sc.i]) < 0 {
		sc.i++
	}
	return true
}

// span converts byte offsets to 1-based lines and columns (columns count characters).
func (sc *jsonScanner) span(start, end int) span {
	pos := func(off int) (int, int) {
		line, col := 1, 1
		for _, r := range sc.s[:off] {
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return line, col
	}
	sl, scol := pos(start)
	el, ecol := pos(end)
	return span{startLine: sl, startCol: scol, endLine: el, endCol: ecol}
}
