// Package simulate owns the JSON contract of `gatehouse policy simulate` (DESIGN.md,
// "Policy tool"): one request and the policies around it in, one decision with its
// reasons out. It decodes the input strictly, compiles the policies, and asks
// internal/authz; it adds no evaluation logic of its own.
package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gatehouse/internal/arn"
	"gatehouse/internal/authz"
	"gatehouse/internal/policy"
)

// Input is one request to decide. Every field but Principal, Action and Resource is
// optional.
type Input struct {
	Principal       string            `json:"principal"`
	PrincipalTags   map[string]string `json:"principalTags,omitempty"`
	Action          string            `json:"action"`
	Resource        string            `json:"resource"`
	ResourceAccount string            `json:"resourceAccount,omitempty"`
	// Context holds request condition keys; a JSON list makes a multi-valued key.
	Context             map[string]ContextValue `json:"context,omitempty"`
	IdentityPolicies    []Document              `json:"identityPolicies,omitempty"`
	ResourcePolicy      *Document               `json:"resourcePolicy,omitempty"`
	PermissionsBoundary *Document               `json:"permissionsBoundary,omitempty"`
	SessionPolicy       *Document               `json:"sessionPolicy,omitempty"`
	// ServiceControlPolicies holds one list per level of the organization path; nil
	// means no organization.
	ServiceControlPolicies  [][]Document `json:"serviceControlPolicies,omitempty"`
	ResourceControlPolicies [][]Document `json:"resourceControlPolicies,omitempty"`
}

// Document is a policy given as a JSON object or as a JSON string holding one.
type Document struct {
	JSON []byte
}

// UnmarshalJSON accepts an object or a string.
func (d *Document) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		d.JSON = []byte(s)
	case len(b) > 0 && b[0] == '{':
		d.JSON = append([]byte(nil), b...)
	default:
		return errors.New("a policy must be a JSON object or a string holding one")
	}
	return nil
}

// MarshalJSON writes the document as an object when it is valid JSON.
func (d Document) MarshalJSON() ([]byte, error) {
	if json.Valid(d.JSON) {
		return d.JSON, nil
	}
	return json.Marshal(string(d.JSON))
}

// ContextValue is a context key's value: one string, or a list (a multi-valued key).
// Numbers and booleans are taken as their JSON text.
type ContextValue struct {
	Values []string
	Multi  bool
}

// UnmarshalJSON accepts a scalar or a list of scalars.
func (v *ContextValue) UnmarshalJSON(b []byte) error {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	scalar := func(x any) (string, bool) {
		switch x := x.(type) {
		case string:
			return x, true
		case json.Number:
			return x.String(), true
		case bool:
			if x {
				return "true", true
			}
			return "false", true
		}
		return "", false
	}
	if l, ok := raw.([]any); ok {
		v.Multi, v.Values = true, make([]string, 0, len(l))
		for _, x := range l {
			s, ok := scalar(x)
			if !ok {
				return errors.New("a context value list holds strings, numbers or booleans")
			}
			v.Values = append(v.Values, s)
		}
		return nil
	}
	s, ok := scalar(raw)
	if !ok {
		return errors.New("a context value is a string, number, boolean or a list of them")
	}
	v.Values = []string{s}
	return nil
}

// MarshalJSON writes a string or a list.
func (v ContextValue) MarshalJSON() ([]byte, error) {
	if v.Multi {
		return json.Marshal(v.Values)
	}
	if len(v.Values) == 0 {
		return []byte(`""`), nil
	}
	return json.Marshal(v.Values[0])
}

// Statement is one matched statement in the output.
type Statement struct {
	Policy string  `json:"policy"`
	Sid    *string `json:"sid"` // null when the statement has no Sid
	Effect string  `json:"effect"`
}

// Output is the decision.
type Output struct {
	Decision          string      `json:"decision"` // allowed, explicitDeny, implicitDeny
	MatchedStatements []Statement `json:"matchedStatements"`
	DeniedBy          *string     `json:"deniedBy"` // identity, resource, permissionsBoundary, session, scp, rcp; null when allowed
	Message           *string     `json:"message"`  // AWS's AccessDenied text; null when allowed
}

// Decode reads one Input strictly: unknown fields and trailing data are errors, and
// principal, action and resource are required.
func Decode(data []byte) (Input, error) {
	var in Input
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Input{}, fmt.Errorf("input: %w", err)
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return Input{}, errors.New("input: data after the JSON object")
	}
	for _, f := range []struct{ name, v string }{{"principal", in.Principal}, {"action", in.Action}, {"resource", in.Resource}} {
		if f.v == "" {
			return Input{}, fmt.Errorf("input: %q is required", f.name)
		}
	}
	return in, nil
}

// Run decides in. An input it cannot read (a principal that is not one, a policy that is
// not a policy) is an error, not a decision.
func Run(in Input) (Output, error) {
	p, err := authz.ParsePrincipal(in.Principal)
	if err != nil {
		return Output{}, err
	}
	if in.Action == "" || in.Resource == "" {
		return Output{}, errors.New("action and resource are required")
	}
	if in.Action != "*" && !strings.Contains(in.Action, ":") {
		return Output{}, fmt.Errorf("action %q is not service:Action", in.Action)
	}
	compile := func(label string, d Document) (authz.Attached, error) {
		pol, err := policy.CompileLenient(dropMiscasedEffects(d.JSON))
		if err != nil {
			var m *policy.MalformedError
			if errors.As(err, &m) {
				return authz.Attached{}, fmt.Errorf("%s: %s (%s)", label, m.Message, m.Detail)
			}
			return authz.Attached{}, fmt.Errorf("%s: %w", label, err)
		}
		return authz.Attached{Label: label, Policy: pol}, nil
	}
	var pp authz.PrincipalPolicies
	for i, d := range in.IdentityPolicies {
		a, err := compile(fmt.Sprintf("identity[%d]", i), d)
		if err != nil {
			return Output{}, err
		}
		pp.Identity = append(pp.Identity, a)
	}
	if in.PermissionsBoundary != nil {
		a, err := compile("permissionsBoundary", *in.PermissionsBoundary)
		if err != nil {
			return Output{}, err
		}
		pp.Boundary = &a
	}
	if in.SessionPolicy != nil {
		a, err := compile("session", *in.SessionPolicy)
		if err != nil {
			return Output{}, err
		}
		pp.Session = []authz.Attached{a}
	}
	levels := func(prefix string, in [][]Document) ([][]authz.Attached, error) {
		if in == nil {
			return nil, nil
		}
		out := make([][]authz.Attached, len(in))
		for l, lvl := range in {
			out[l] = []authz.Attached{}
			for i, d := range lvl {
				a, err := compile(fmt.Sprintf("%s[%d][%d]", prefix, l, i), d)
				if err != nil {
					return nil, err
				}
				out[l] = append(out[l], a)
			}
		}
		return out, nil
	}
	if pp.SCPs, err = levels("scp", in.ServiceControlPolicies); err != nil {
		return Output{}, err
	}
	var rp authz.ResourcePolicies
	if in.ResourcePolicy != nil {
		a, err := compile("resource", *in.ResourcePolicy)
		if err != nil {
			return Output{}, err
		}
		rp.Resource = &a
	}
	if rp.RCPs, err = levels("rcp", in.ResourceControlPolicies); err != nil {
		return Output{}, err
	}

	ctx := authz.NewContext(&p, in.PrincipalTags)
	for k, v := range in.Context {
		if v.Multi {
			ctx.SetMulti(k, v.Values)
		} else {
			ctx.Set(k, v.Values[0])
		}
	}
	resAcct := in.ResourceAccount
	if resAcct == "" {
		if a, err := arn.Parse(in.Resource); err == nil && a.Account != "" {
			resAcct = a.Account
		} else {
			resAcct = p.Account
		}
	}
	addRequestKeys(ctx, &p, resAcct)
	req := authz.Request{
		Principal:       &p,
		Action:          in.Action,
		Resource:        in.Resource,
		ResourceAccount: resAcct,
		Context:         ctx,
		Policies:        authz.NewSet(pp),
		Resources:       authz.NewResourceSet(rp),
	}
	var res authz.Result
	authz.Evaluate(&req, &res)
	out := Output{Decision: res.Decision.String(), MatchedStatements: []Statement{}}
	for _, m := range res.Matched {
		s := Statement{Policy: m.Policy, Effect: m.Effect.String()}
		if m.Sid != "" {
			sid := m.Sid
			s.Sid = &sid
		}
		out.MatchedStatements = append(out.MatchedStatements, s)
	}
	if res.Decision != authz.Allowed {
		by, msg := res.DeniedBy.String(), res.Message()
		out.DeniedBy, out.Message = &by, &msg
	}
	return out, nil
}

// addRequestKeys adds, unless the input's context has them, the global keys that the IAM User Guide says a
// request carries whatever it is, beyond the principal's own (authz.NewContext)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
//   - aws:PrincipalIsAWSService: "present in the request context for all signed API requests that use AWS
//     credentials": true for a service principal, false for every other signed caller. Anonymous requests
//     and AssumeRoleWithWebIdentity/AssumeRoleWithSAML calls are not signed, so they carry none.
//   - aws:PrincipalServiceNamesList: a service principal's names (multivalued); only for service principals.
//   - aws:ViaAWSService: "always included"; false here, since the input describes a direct call (give it in
//     context for a forward access session).
//   - aws:ResourceAccount: the account that owns the resource, "always included in the request context for
//     most service actions".
//   - aws:MultiFactorAuthPresent: false for a session (temporary credentials) unless the context says true.
//
// These stay out of authz.NewContext, which the server and IAM's SimulatePrincipalPolicy share: there the
// request's own handling sets what it knows.
func addRequestKeys(ctx *authz.Context, p *authz.Principal, resAcct string) {
	switch p.Kind {
	case authz.Anonymous, authz.WebIdentity:
	case authz.Service:
		ctx.SetDefault("aws:PrincipalIsAWSService", "true")
		if !ctx.Has("aws:PrincipalServiceNamesList") {
			ctx.SetMulti("aws:PrincipalServiceNamesList", []string{p.ARN})
		}
		ctx.SetDefault("aws:ViaAWSService", "false")
	default:
		ctx.SetDefault("aws:PrincipalIsAWSService", "false")
		ctx.SetDefault("aws:ViaAWSService", "false")
	}
	// aws:MultiFactorAuthPresent "is included in the request context only when the principal uses temporary
	// credentials", false unless MFA was used; long-term credentials (IAM users, the root user) carry none.
	if p.Kind == authz.AssumedRole || p.Kind == authz.FederatedUser {
		ctx.SetDefault("aws:MultiFactorAuthPresent", "false")
	}
	if resAcct != "" {
		ctx.SetDefault("aws:ResourceAccount", resAcct)
	}
}

// dropMiscasedEffects removes the statements whose Effect is "allow", "DENY" or another spelling of Allow or
// Deny that is not exact: "Valid values for Effect are Allow and Deny. The Effect value is case sensitive"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html), so such a
// statement neither allows nor denies. (IAM refuses such a document when it is written; policy.ParseLenient
// reads stored documents and tolerates the case, which the tool must not.) The document is returned as is
// when it has no such statement or cannot be read, leaving errors to the compiler.
func dropMiscasedEffects(doc []byte) []byte {
	if !bytes.Contains(bytes.ToLower(doc), []byte("effect")) {
		return doc
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil {
		return doc
	}
	raw, ok := top["Statement"]
	if !ok {
		return doc
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw} // a single statement object
	}
	kept := make([]json.RawMessage, 0, len(list))
	for _, st := range list {
		var fields struct {
			Effect *string `json:"Effect"`
		}
		if json.Unmarshal(st, &fields) == nil && fields.Effect != nil {
			e := *fields.Effect
			if e != "Allow" && e != "Deny" && (strings.EqualFold(e, "Allow") || strings.EqualFold(e, "Deny")) {
				continue
			}
		}
		kept = append(kept, st)
	}
	if len(kept) == len(list) {
		return doc
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return doc
	}
	top["Statement"] = b
	out, err := json.Marshal(top)
	if err != nil {
		return doc
	}
	return out
}
