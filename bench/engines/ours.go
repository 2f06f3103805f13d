package engines

import (
	"fmt"

	"gatehouse/internal/authz"
	"gatehouse/internal/policy"
)

// Ours is Gatehouse's engine: each principal's documents compiled once
// (policy.Cache.Strict) and indexed into an authz.Set, each request an authz.Request
// with its context built once, as the server holds them in steady state.
type Ours struct {
	reqs []authz.Request
}

// NewOurs loads c into Gatehouse's engine.
func NewOurs(c *Corpus) (*Ours, error) {
	cache := policy.NewCache()
	principals := make([]authz.Principal, len(c.Principals))
	sets := make([]*authz.Set, len(c.Principals))
	for i := range c.Principals {
		p := &c.Principals[i]
		ap, err := authz.ParsePrincipal(p.ARN)
		if err != nil {
			return nil, err
		}
		principals[i] = ap
		var pp authz.PrincipalPolicies
		for _, pol := range p.Policies {
			compiled, err := cache.Strict(pol.JSON(), policy.Identity)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", p.ARN, pol.Name, err)
			}
			pp.Identity = append(pp.Identity, authz.Attached{Label: pol.Name, Policy: compiled})
		}
		sets[i] = authz.NewSet(pp)
	}
	// The keys a principal brings (its ARN, account, tags) are built once per principal,
	// as the server keeps them with its policies (server.principalEntry.context); each
	// request's context holds only the request's own keys over them.
	bases := make([]*authz.Context, len(c.Principals))
	for i := range c.Principals {
		var tags map[string]string
		if t := c.Principals[i].Team; t != "" {
			tags = map[string]string{"team": t}
		}
		bases[i] = authz.NewContext(&principals[i], tags)
	}
	o := &Ours{reqs: make([]authz.Request, len(c.Requests))}
	for i, r := range c.Requests {
		ctx := authz.ContextOver(bases[r.Principal])
		if r.SourceIP != "" {
			ctx.Set(KeyIP, r.SourceIP)
		}
		if r.Secure != "" {
			ctx.Set(KeySecure, r.Secure)
		}
		o.reqs[i] = authz.Request{Principal: &principals[r.Principal], Action: r.Action, Resource: r.Resource,
			Context: ctx, Policies: sets[r.Principal]}
	}
	return o, nil
}

func (o *Ours) Name() string { return "gatehouse" }

func (o *Ours) Decider() Decider {
	d := &oursDecider{reqs: o.reqs}
	d.res.Matched = make([]authz.Matched, 0, 64)
	return d
}

type oursDecider struct {
	reqs []authz.Request
	res  authz.Result
}

func (d *oursDecider) Decide(i int) (Decision, error) {
	authz.Evaluate(&d.reqs[i], &d.res)
	switch d.res.Decision {
	case authz.Allowed:
		return Allowed, nil
	case authz.ExplicitDeny:
		return ExplicitDeny, nil
	}
	return ImplicitDeny, nil
}
