package engines

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
)

// Cedar is cedar-go (cedar.Authorize over a PolicySet and an EntityMap) with the
// corpus's policies translated into Cedar:
//
//   - one permit (Allow) or forbid (Deny) per statement, scoped `principal == User::"…"`;
//   - actions lower-cased (IAM action names are case-insensitive; Cedar UIDs are not):
//     an exact action is `action == Action::"s3:getobject"` (in the scope when it is the
//     statement's only pattern); a `*` pattern is `context.action like "s3:get*"`; a `?`
//     pattern, which `like` cannot express, is an action group, `action in
//     Action::"s3:g?tobject"`, and each catalog action is an Action entity whose parents
//     are the `?` groups that cover it (groups declared once, as a schema's action
//     hierarchy is). Several patterns are ORed in a `when` clause. (A first encoding put
//     every wildcard in the hierarchy and scoped `action in [A, B, …]`; cedar-go builds
//     a set per evaluation of such a scope and walks every parent of the action on a
//     miss, which made it ≈ 3× slower than this one.);
//   - resources as `context.arn == "…"` or `context.arn like "…"` (case-sensitive, `*`
//     only, which is all the corpus's resource patterns use), ORed;
//   - conditions as `when` clauses ANDed: `principal has team && (principal.team == …)`,
//     `context has sourceIp && (context.sourceIp.isInRange(ip("10.0.0.0/8")) || …)`,
//     `context has secureTransport && context.secureTransport == true`; a missing key
//     makes the clause false, as IAM's operators (without IfExists) do.
//
// cedar-go has no policy index (Authorize evaluates every policy of the set it is
// given), so each principal gets its own PolicySet, the slice of the corpus whose scope
// names it: the policy slicing Cedar recommends, and what a cache per principal (as
// Gatehouse keeps) would hold.
type Cedar struct {
	sets     []*cedar.PolicySet // by principal
	entities types.EntityMap
	reqs     []cedarRequest
}

type cedarRequest struct {
	set *cedar.PolicySet
	req cedar.Request
}

func cedarPrincipal(p *Principal) types.EntityUID {
	typ := "User"
	if p.Kind == "role" {
		typ = "Role"
	}
	return types.NewEntityUID(types.EntityType(typ), types.String(p.Name))
}

// NewCedar loads c into cedar-go.
func NewCedar(c *Corpus) (*Cedar, error) {
	e := &Cedar{entities: types.EntityMap{}}
	groups := map[string]bool{}
	for i := range c.Principals {
		p := &c.Principals[i]
		src := CedarPolicies(p)
		ps, err := cedar.NewPolicySetFromBytes(p.Name+".cedar", []byte(src))
		if err != nil {
			return nil, fmt.Errorf("cedar policies of %s: %w", p.ARN, err)
		}
		e.sets = append(e.sets, ps)
		uid := cedarPrincipal(p)
		attrs := types.RecordMap{}
		if p.Team != "" {
			attrs["team"] = types.String(p.Team)
		}
		e.entities[uid] = types.Entity{UID: uid, Attributes: types.NewRecord(attrs)}
		for _, pol := range p.Policies {
			for _, s := range pol.Statements {
				for _, a := range s.Actions {
					if strings.Contains(a, "?") {
						groups[strings.ToLower(a)] = true
					}
				}
			}
		}
	}
	// The action hierarchy: each catalog action under every group that covers it.
	var gs []string
	for g := range groups {
		gs = append(gs, g)
	}
	sort.Strings(gs)
	for _, a := range c.Actions {
		la := strings.ToLower(a)
		var parents []types.EntityUID
		for _, g := range gs {
			if Glob(g, la) {
				parents = append(parents, types.NewEntityUID("Action", types.String(g)))
			}
		}
		uid := types.NewEntityUID("Action", types.String(la))
		e.entities[uid] = types.Entity{UID: uid, Parents: types.NewEntityUIDSet(parents...)}
	}
	for _, r := range c.Requests {
		ctx := types.RecordMap{"arn": types.String(r.Resource), "action": types.String(strings.ToLower(r.Action))}
		if r.SourceIP != "" {
			ip, err := types.ParseIPAddr(r.SourceIP)
			if err != nil {
				return nil, err
			}
			ctx["sourceIp"] = ip
		}
		if r.Secure != "" {
			ctx["secureTransport"] = types.Boolean(r.Secure == "true")
		}
		e.reqs = append(e.reqs, cedarRequest{set: e.sets[r.Principal], req: cedar.Request{
			Principal: cedarPrincipal(&c.Principals[r.Principal]),
			Action:    types.NewEntityUID("Action", types.String(strings.ToLower(r.Action))),
			Resource:  types.NewEntityUID("Resource", types.String(r.Resource)),
			Context:   types.NewRecord(ctx),
		}})
	}
	return e, nil
}

// CedarPolicies returns p's policies in Cedar's syntax.
func CedarPolicies(p *Principal) string {
	var b strings.Builder
	uid := cedarPrincipal(p)
	for _, pol := range p.Policies {
		for _, s := range pol.Statements {
			fmt.Fprintf(&b, "@id(%s)\n", strconv.Quote(p.Name+"/"+pol.Name+"/"+s.Sid))
			effect := "permit"
			if s.Deny {
				effect = "forbid"
			}
			fmt.Fprintf(&b, "%s (principal == %s::%s, ", effect, uid.Type, strconv.Quote(string(uid.ID)))
			var actionWhen []string
			switch {
			case containsStar(s.Actions):
				b.WriteString("action")
			case len(s.Actions) == 1 && cedarActionScope(s.Actions[0]) != "":
				b.WriteString(cedarActionScope(s.Actions[0]))
			default:
				b.WriteString("action")
				for _, a := range s.Actions {
					actionWhen = append(actionWhen, cedarAction(a))
				}
			}
			b.WriteString(", resource)")
			if len(actionWhen) > 0 {
				b.WriteString("\nwhen { " + strings.Join(actionWhen, " || ") + " }")
			}
			if !containsStar(s.Resources) {
				b.WriteString("\nwhen { ")
				for i, r := range s.Resources {
					if i > 0 {
						b.WriteString(" || ")
					}
					if strings.Contains(r, "*") {
						fmt.Fprintf(&b, "context.arn like %s", strconv.Quote(r))
					} else {
						fmt.Fprintf(&b, "context.arn == %s", strconv.Quote(r))
					}
				}
				b.WriteString(" }")
			}
			for _, c := range s.Conditions {
				b.WriteString("\nwhen { ")
				switch c.Op {
				case StringEquals:
					b.WriteString("principal has team && (")
					for i, v := range c.Values {
						if i > 0 {
							b.WriteString(" || ")
						}
						fmt.Fprintf(&b, "principal.team == %s", strconv.Quote(v))
					}
					b.WriteString(")")
				case IPAddress:
					b.WriteString("context has sourceIp && (")
					for i, v := range c.Values {
						if i > 0 {
							b.WriteString(" || ")
						}
						fmt.Fprintf(&b, "context.sourceIp.isInRange(ip(%s))", strconv.Quote(v))
					}
					b.WriteString(")")
				case Bool:
					// The corpus's Bool conditions have one value, "true" or "false".
					fmt.Fprintf(&b, "context has secureTransport && context.secureTransport == %s", c.Values[0])
				}
				b.WriteString(" }")
			}
			b.WriteString(";\n")
		}
	}
	return b.String()
}

// cedarActionScope returns the scope constraint for a statement's only action pattern, or
// "" when a `when` clause must test it.
func cedarActionScope(pattern string) string {
	a := strings.ToLower(pattern)
	switch {
	case strings.Contains(a, "?"):
		return "action in Action::" + strconv.Quote(a)
	case strings.Contains(a, "*"):
		return ""
	}
	return "action == Action::" + strconv.Quote(a)
}

// cedarAction returns the expression that tests one action pattern: equality for an exact
// action, `like` on the lower-cased action name for `*`, and the action hierarchy for `?`
// (which `like` cannot express).
func cedarAction(pattern string) string {
	a := strings.ToLower(pattern)
	switch {
	case strings.Contains(a, "?"):
		return "action in Action::" + strconv.Quote(a)
	case strings.Contains(a, "*"):
		return "context.action like " + strconv.Quote(a)
	}
	return "action == Action::" + strconv.Quote(a)
}

func containsStar(patterns []string) bool {
	for _, p := range patterns {
		if p == "*" {
			return true
		}
	}
	return false
}

func (e *Cedar) Name() string { return "cedar-go" }

func (e *Cedar) Decider() Decider { return e }

func (e *Cedar) Decide(i int) (Decision, error) {
	r := &e.reqs[i]
	dec, diag := cedar.Authorize(r.set, e.entities, r.req)
	if len(diag.Errors) > 0 {
		return 0, fmt.Errorf("cedar: %s", diag.Errors[0].Message)
	}
	if dec == cedar.Allow {
		return Allowed, nil
	}
	if len(diag.Reasons) > 0 { // Authorize denies with reasons only when a forbid matched
		return ExplicitDeny, nil
	}
	return ImplicitDeny, nil
}
