// Package reference owns a deliberately simple evaluator of AWS's policy language and evaluation logic:
// the oracle that the fast engine (internal/authz via internal/simulate) is tested against.
//
// It reads the same JSON input as `gatehouse policy simulate` (DESIGN.md, "Policy tool") and is written
// straight from the IAM User Guide, one rule per function, with no indexing, no caching and no cleverness:
// every statement of every policy is walked on every request, and every wildcard becomes a regexp. It is
// slow on purpose. It must never be imported by the product; only tests use it.
//
// Where the documentation is ambiguous the choice made here is written down next to the code that makes it,
// so a disagreement with the engine can be judged against the page cited.
package reference

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Decisions, as in IAM's SimulatePrincipalPolicy EvalDecision.
const (
	Allowed      = "allowed"
	ExplicitDeny = "explicitDeny"
	ImplicitDeny = "implicitDeny"
)

// Policy types, as named in the simulate output's deniedBy.
const (
	TypeIdentity = "identity"
	TypeResource = "resource"
	TypeBoundary = "permissionsBoundary"
	TypeSession  = "session"
	TypeSCP      = "scp"
	TypeRCP      = "rcp"
)

// Result is the reference's decision and the reasons for it.
type Result struct {
	Decision string // Allowed, ExplicitDeny or ImplicitDeny
	DeniedBy string // the policy type that decided a denial; "" when allowed
	Message  string // the AccessDenied text; "" when allowed
	// Denials lists every policy type that denies the request: those with an applicable Deny statement for
	// an explicit deny, those that fail to allow it for an implicit deny, in the order of the evaluation
	// flowchart (DeniedBy is the first). AWS names only one of them when several deny ("If multiple policy
	// types deny an authorization request, AWS includes only one of those policy types in the error
	// message", troubleshoot_access-denied.html), so a test may accept any of these as deniedBy.
	Denials []string
	// InvalidStatements counts statements that did not apply because a policy variable could not be
	// resolved ("any attempt to match it fails and causes the statement to be invalid",
	// reference_policies_variables.html#principaltable). A test can tell disagreements on that rule apart.
	InvalidStatements int
}

// Evaluate decodes one simulate input (the JSON of DESIGN.md's "Policy tool") and decides it.
func Evaluate(data []byte) (Result, error) {
	req, err := Decode(data)
	if err != nil {
		return Result{}, err
	}
	return req.Evaluate(), nil
}

// Request is a decoded simulate input: the request context and every policy that may apply.
type Request struct {
	Principal       principal
	Action          string
	Resource        string
	ResourceAccount string
	context         map[string][]string // lower-cased key -> values; a key with no values is absent
	// multi holds the lower-cased keys given as JSON lists: multivalued keys, which "you cannot use … as a
	// policy variable" whatever their number of values (reference_policies_condition-single-vs-multi-valued-context-keys.html).
	multi map[string]bool

	Identity  []*policy
	ResPolicy *policy
	Boundary  *policy
	Session   *policy
	SCPs      [][]*policy // nil: no organization
	RCPs      [][]*policy // nil: no RCPs

	invalidated int // statements made invalid by an unresolvable variable, for Result.InvalidStatements
}

type rawInput struct {
	Principal               *string                    `json:"principal"`
	PrincipalTags           map[string]string          `json:"principalTags"`
	Action                  *string                    `json:"action"`
	Resource                *string                    `json:"resource"`
	ResourceAccount         string                     `json:"resourceAccount"`
	Context                 map[string]json.RawMessage `json:"context"`
	IdentityPolicies        []json.RawMessage          `json:"identityPolicies"`
	ResourcePolicy          json.RawMessage            `json:"resourcePolicy"`
	PermissionsBoundary     json.RawMessage            `json:"permissionsBoundary"`
	SessionPolicy           json.RawMessage            `json:"sessionPolicy"`
	ServiceControlPolicies  [][]json.RawMessage        `json:"serviceControlPolicies"`
	ResourceControlPolicies [][]json.RawMessage        `json:"resourceControlPolicies"`
}

// Decode parses a simulate input. Unknown fields are rejected, as the contract is closed.
func Decode(data []byte) (*Request, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in rawInput
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("reference: input: %w", err)
	}
	if in.Principal == nil || in.Action == nil || in.Resource == nil {
		return nil, fmt.Errorf("reference: input: principal, action and resource are required")
	}
	req := &Request{
		Principal: parsePrincipal(*in.Principal),
		Action:    *in.Action,
		Resource:  *in.Resource,
		context:   map[string][]string{},
		multi:     map[string]bool{},
	}
	var err error
	for i, raw := range in.IdentityPolicies {
		p, err := parseOptionalPolicy(raw)
		if err != nil {
			return nil, fmt.Errorf("reference: identityPolicies[%d]: %w", i, err)
		}
		if p != nil {
			req.Identity = append(req.Identity, p)
		}
	}
	if req.ResPolicy, err = parseOptionalPolicy(in.ResourcePolicy); err != nil {
		return nil, fmt.Errorf("reference: resourcePolicy: %w", err)
	}
	if req.Boundary, err = parseOptionalPolicy(in.PermissionsBoundary); err != nil {
		return nil, fmt.Errorf("reference: permissionsBoundary: %w", err)
	}
	if req.Session, err = parseOptionalPolicy(in.SessionPolicy); err != nil {
		return nil, fmt.Errorf("reference: sessionPolicy: %w", err)
	}
	if req.SCPs, err = parseLevels(in.ServiceControlPolicies); err != nil {
		return nil, fmt.Errorf("reference: serviceControlPolicies: %w", err)
	}
	if req.RCPs, err = parseLevels(in.ResourceControlPolicies); err != nil {
		return nil, fmt.Errorf("reference: resourceControlPolicies: %w", err)
	}

	// The request context. Principal facts first, so that an explicit context value wins over a derived one.
	// aws:username exists only for IAM users; aws:PrincipalArn and aws:PrincipalAccount are in every signed
	// request ("For IAM roles, the request context returns the ARN of the role, not the ARN of the user
	// that assumed the role"); aws:PrincipalTag/* carries the principal's tags
	// (reference_policies_variables.html#principaltable, reference_policies_condition-keys.html).
	p := req.Principal
	if p.Kind == KindUser {
		req.setContext("aws:username", []string{p.Name})
	}
	if p.Account != "" && p.Kind != KindWebIdentity {
		req.setContext("aws:PrincipalAccount", []string{p.Account})
		arn := p.ARN
		if p.Kind == KindSession {
			// For a role session aws:PrincipalArn is the role's ARN, not the session's.
			arn = "arn:aws:iam::" + p.Account + ":role/" + p.Role
		}
		req.setContext("aws:PrincipalArn", []string{arn})
	}
	// aws:PrincipalType: "Account" for the root user, "User", "FederatedUser", "AssumedRole", "Anonymous"
	// (reference_policies_variables.html#principaltable; reference_policies_condition-keys.html).
	if t, ok := map[string]string{KindRoot: "Account", KindUser: "User", KindFederated: "FederatedUser",
		KindSession: "AssumedRole", KindAnonymous: "Anonymous"}[p.Kind]; ok {
		req.setContext("aws:PrincipalType", []string{t})
	}
	for k, v := range in.PrincipalTags {
		req.setContext("aws:PrincipalTag/"+k, []string{v})
	}
	// aws:PrincipalIsAWSService is "present in the request context for all signed API requests that use AWS
	// credentials"; aws:ViaAWSService is "always included" (false for a direct call); a service principal
	// also carries aws:PrincipalServiceNamesList (reference_policies_condition-keys.html).
	// aws:userid: the account ID for the root user, "account:caller-specified-name" for a federated user
	// (reference_policies_variables.html#principaltable); a user's or role's unique ID is not known here.
	switch p.Kind {
	case KindRoot:
		req.setContext("aws:userid", []string{p.Account})
	case KindFederated:
		req.setContext("aws:userid", []string{p.Account + ":" + p.Name})
	}
	switch p.Kind {
	case KindService:
		req.setContext("aws:PrincipalServiceName", []string{p.ARN})
		req.setContext("aws:PrincipalIsAWSService", []string{"true"})
		req.setContext("aws:PrincipalServiceNamesList", []string{p.ARN})
		req.setContext("aws:ViaAWSService", []string{"false"})
	case KindAnonymous, KindUnknown, KindWebIdentity:
	default:
		req.setContext("aws:PrincipalIsAWSService", []string{"false"})
		req.setContext("aws:ViaAWSService", []string{"false"})
	}
	// aws:MultiFactorAuthPresent is present (false unless MFA was used) for temporary credentials only
	// (reference_policies_condition-keys.html#condition-keys-multifactorauthpresent).
	if p.Kind == KindSession || p.Kind == KindFederated {
		req.setContext("aws:MultiFactorAuthPresent", []string{"false"})
	}
	for k, raw := range in.Context {
		vals, err := contextValues(raw)
		if err != nil {
			return nil, fmt.Errorf("reference: context %q: %w", k, err)
		}
		req.setContext(k, vals)
		req.multi[strings.ToLower(k)] = bytes.HasPrefix(bytes.TrimSpace(raw), []byte("["))
	}

	// resourceAccount defaults to the account in the resource ARN, else the principal's (DESIGN.md).
	req.ResourceAccount = in.ResourceAccount
	if req.ResourceAccount == "" {
		if parts := strings.SplitN(req.Resource, ":", 6); len(parts) == 6 && accountID.MatchString(parts[4]) {
			req.ResourceAccount = parts[4]
		} else {
			req.ResourceAccount = p.Account
		}
	}
	// aws:ResourceAccount is "always included in the request context for most service actions"; an explicit
	// context value wins.
	if _, given := req.lookup("aws:ResourceAccount"); !given && req.ResourceAccount != "" {
		req.setContext("aws:ResourceAccount", []string{req.ResourceAccount})
	}
	return req, nil
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// setContext stores a key case-insensitively: "Key names are case-insensitive. For example,
// aws:CurrentTime is equivalent to AWS:currenttime" (reference_policies_variables.html). A key with an
// empty list of values is stored as absent: the docs treat "missing" and "an empty set" alike
// (reference_policies_condition-single-vs-multi-valued-context-keys.html).
func (r *Request) setContext(key string, vals []string) {
	k := strings.ToLower(key)
	if len(vals) == 0 {
		delete(r.context, k)
		return
	}
	r.context[k] = vals
}

func (r *Request) lookup(key string) ([]string, bool) {
	v, ok := r.context[strings.ToLower(key)]
	return v, ok
}

func contextValues(raw json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err == nil {
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, err := scalarString(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	s, err := scalarString(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// scalarString accepts a JSON string, number or boolean and returns its text, as IAM does for condition
// values written unquoted ("NumericLessThan": {"s3:max-keys": 10}).
func scalarString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		return n.String(), nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		if b {
			return "true", nil
		}
		return "false", nil
	}
	return "", fmt.Errorf("want a string, number or boolean, got %s", raw)
}

func parseLevels(levels [][]json.RawMessage) ([][]*policy, error) {
	if levels == nil {
		return nil, nil
	}
	out := make([][]*policy, len(levels))
	for i, lvl := range levels {
		out[i] = []*policy{}
		for j, raw := range lvl {
			p, err := parseOptionalPolicy(raw)
			if err != nil {
				return nil, fmt.Errorf("[%d][%d]: %w", i, j, err)
			}
			if p != nil {
				out[i] = append(out[i], p)
			}
		}
	}
	return out, nil
}
