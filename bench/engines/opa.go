package engines

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// OPA is Open Policy Agent's Go API with the corpus's policies translated into Rego
// rules its rule indexer can prune on, prepared once (rego.PrepareForEval) and
// evaluated per request with a pre-converted input (rego.EvalParsedInput), OPA's
// fastest in-process path. The translation:
//
//   - one `allow if {…}` (Allow) or `deny if {…}` (Deny) rule per statement, action
//     pattern and resource pattern (ORs become separate rules, which the indexer can
//     tell apart), each starting `input.principal == "arn…"`;
//   - actions lower-cased; an exact action is `input.action == "s3:getobject"`, `svc:*`
//     is `input.service == "svc"`, any other wildcard is `input.service == "svc"` and
//     `glob.match("get*", null, input.name)` (null: no delimiters, so `*` and `?` match
//     any character, as IAM's do). Equalities on input are what the indexer indexes;
//   - resources as `input.resource == "…"` or `glob.match("…", null, input.resource)`;
//   - conditions as body expressions ANDed: `input.tags.team == "blue"` (or `in {…}`),
//     `some c in […]; net.cidr_contains(c, input.sourceIp)`, `input.secureTransport ==
//     true`; a missing key leaves the expression undefined, so the rule does not apply,
//     as IAM's operators (without IfExists) do;
//   - `decision := "explicitDeny" if deny else := "allowed" if allow`, default
//     "implicitDeny": an explicit deny wins.
type OPA struct {
	query  rego.PreparedEvalQuery
	inputs []ast.Value
}

// NewOPA loads c into OPA.
func NewOPA(c *Corpus) (*OPA, error) {
	module := RegoModule(c)
	q, err := rego.New(rego.Query("data.iam.decision"), rego.Module("iam.rego", module)).
		PrepareForEval(context.Background())
	if err != nil {
		return nil, fmt.Errorf("rego: %w", err)
	}
	o := &OPA{query: q}
	for _, r := range c.Requests {
		p := &c.Principals[r.Principal]
		action := strings.ToLower(r.Action)
		svc, name, _ := strings.Cut(action, ":")
		in := map[string]any{"principal": p.ARN, "action": action, "service": svc, "name": name, "resource": r.Resource}
		tags := map[string]any{}
		if p.Team != "" {
			tags["team"] = p.Team
		}
		in["tags"] = tags
		if r.SourceIP != "" {
			in["sourceIp"] = r.SourceIP
		}
		if r.Secure != "" {
			in["secureTransport"] = r.Secure == "true"
		}
		v, err := ast.InterfaceToValue(in)
		if err != nil {
			return nil, err
		}
		o.inputs = append(o.inputs, v)
	}
	return o, nil
}

// RegoModule returns the corpus's policies as one Rego module (package iam).
func RegoModule(c *Corpus) string {
	var b strings.Builder
	b.WriteString("package iam\n\ndefault allow := false\n\ndefault deny := false\n\ndefault decision := \"implicitDeny\"\n\n" +
		"decision := \"explicitDeny\" if { deny } else := \"allowed\" if { allow }\n\n")
	for i := range c.Principals {
		p := &c.Principals[i]
		for _, pol := range p.Policies {
			for _, s := range pol.Statements {
				head := "allow"
				if s.Deny {
					head = "deny"
				}
				var conds []string
				for _, c := range s.Conditions {
					conds = append(conds, regoCondition(c)...)
				}
				for _, a := range s.Actions {
					for _, r := range s.Resources {
						fmt.Fprintf(&b, "# %s %s %s\n%s if {\n\tinput.principal == %s\n", p.Name, pol.Name, s.Sid, head, strconv.Quote(p.ARN))
						for _, e := range regoAction(a) {
							fmt.Fprintf(&b, "\t%s\n", e)
						}
						switch {
						case r == "*":
						case strings.Contains(r, "*"):
							fmt.Fprintf(&b, "\tglob.match(%s, null, input.resource)\n", strconv.Quote(r))
						default:
							fmt.Fprintf(&b, "\tinput.resource == %s\n", strconv.Quote(r))
						}
						for _, e := range conds {
							fmt.Fprintf(&b, "\t%s\n", e)
						}
						b.WriteString("}\n\n")
					}
				}
			}
		}
	}
	return b.String()
}

func regoAction(pattern string) []string {
	a := strings.ToLower(pattern)
	if a == "*" {
		return nil
	}
	svc, name, _ := strings.Cut(a, ":")
	if strings.ContainsAny(svc, "*?") {
		return []string{fmt.Sprintf("glob.match(%s, null, input.action)", strconv.Quote(a))}
	}
	switch {
	case name == "*":
		return []string{fmt.Sprintf("input.service == %s", strconv.Quote(svc))}
	case strings.ContainsAny(name, "*?"):
		return []string{fmt.Sprintf("input.service == %s", strconv.Quote(svc)),
			fmt.Sprintf("glob.match(%s, null, input.name)", strconv.Quote(name))}
	}
	return []string{fmt.Sprintf("input.action == %s", strconv.Quote(a))}
}

func regoCondition(c Condition) []string {
	quoted := make([]string, len(c.Values))
	for i, v := range c.Values {
		quoted[i] = strconv.Quote(v)
	}
	switch c.Op {
	case StringEquals:
		if len(c.Values) == 1 {
			return []string{"input.tags.team == " + quoted[0]}
		}
		return []string{"input.tags.team in {" + strings.Join(quoted, ", ") + "}"}
	case IPAddress:
		if len(c.Values) == 1 {
			return []string{fmt.Sprintf("net.cidr_contains(%s, input.sourceIp)", quoted[0])}
		}
		return []string{"some cidr in [" + strings.Join(quoted, ", ") + "]", "net.cidr_contains(cidr, input.sourceIp)"}
	}
	// The corpus's Bool conditions have one value, "true" or "false".
	return []string{"input.secureTransport == " + c.Values[0]}
}

func (o *OPA) Name() string { return "opa" }

func (o *OPA) Decider() Decider { return o }

func (o *OPA) Decide(i int) (Decision, error) {
	rs, err := o.query.Eval(context.Background(), rego.EvalParsedInput(o.inputs[i]))
	if err != nil {
		return 0, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return 0, fmt.Errorf("opa: %d results", len(rs))
	}
	switch rs[0].Expressions[0].Value {
	case "allowed":
		return Allowed, nil
	case "explicitDeny":
		return ExplicitDeny, nil
	case "implicitDeny":
		return ImplicitDeny, nil
	}
	return 0, fmt.Errorf("opa: decision %v", rs[0].Expressions[0].Value)
}
