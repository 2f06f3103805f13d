package server

import (
	"context"
	"slices"
	"strings"

	"gatehouse/internal/authmsg"
	"gatehouse/internal/authz"
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/policy"
)

// unauthorizedEC2 is EC2's UnauthorizedOperation for a denied check: AWS's sentence, then
// the encoded authorization failure message that STS DecodeAuthorizationMessage opens
// ("You are not authorized to perform this operation. User: … is not authorized to
// perform: ec2:RunInstances on resource: … because no identity-based policy allows the
// ec2:RunInstances action. Encoded authorization failure message: …";
// https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
// EC2's Describe calls answer without one, as on AWS; so does a server without a session
// keyring, which could not decode it.
func (s *Server) unauthorizedEC2(c *call, ch *ec2Check, res *authz.Result) error {
	msg := "You are not authorized to perform this operation. " + res.Message()
	if s.sts == nil || strings.HasPrefix(ch.action, "ec2:Describe") {
		return ec2api.UnauthorizedOperation("%s", msg)
	}
	m := s.failureMessage(c.r.Context(), c, ch, res)
	enc, err := authmsg.Seal(s.sts, c.caller.account.ID, s.cfg.Now(), m)
	if err != nil {
		// The denial stands; only its details are lost.
		s.cfg.Logger.Warn("sealing an authorization failure message", "request_id", c.requestID, "err", err.Error())
		return ec2api.UnauthorizedOperation("%s", msg)
	}
	return ec2api.UnauthorizedOperation("%s. Encoded authorization failure message: %s", msg, enc)
}

// failureMessage describes a denied EC2 check: the caller, the action (an EC2 action by
// its operation name, "RunInstances", as AWS's messages show it; another service's with
// its prefix, "iam:PassRole"), the resource, the condition keys the check carried with
// those derived from the resource ARN, and the Deny statements that decided.
func (s *Server) failureMessage(ctx context.Context, c *call, ch *ec2Check, res *authz.Result) *authmsg.Message {
	p := &c.caller.principal
	m := &authmsg.Message{ExplicitDeny: res.Decision == authz.ExplicitDeny}
	m.Context.Principal = authmsg.Principal{ID: p.UserID, ARN: p.ARN}
	if p.Kind == authz.User {
		m.Context.Principal.Name = p.Name
	}
	m.Context.Action = ch.action
	if svc, name, ok := strings.Cut(ch.action, ":"); ok && svc == "ec2" {
		m.Context.Action = name
	}
	m.Context.Resource = ch.resource
	conds := make([]authmsg.Condition, 0, len(ch.keys)+len(ch.multi)+7)
	for k, v := range ch.keys {
		conds = append(conds, authmsg.NewCondition(k, v))
	}
	for k, vs := range ch.multi {
		conds = append(conds, authmsg.NewCondition(k, vs...))
	}
	// Keys the check set itself win over the derived ones, as in its request context.
	for _, d := range append([]authmsg.Condition{authmsg.NewCondition("ec2:Region", s.cfg.Region)},
		authmsg.ResourceKeys(ch.resource, s.cfg.Region)...) {
		if !slices.ContainsFunc(conds, func(c authmsg.Condition) bool { return strings.EqualFold(c.Key, d.Key) }) {
			conds = append(conds, d)
		}
	}
	authmsg.SortConditions(conds)
	m.Context.Conditions.Items = conds
	m.MatchedStatements.Items = s.matchedStatements(ctx, c, res.Matched)
	return m
}

// matchedStatements describes the Deny statements that decided a denial — AWS's messages
// list those and leave out the Allows they overrode; an implicit deny lists none — read
// from the caller's policy documents as written (the compiled forms keep neither the case
// of actions and condition keys nor the documents' text). Each lists the caller's unique
// ID as its principal and, for a group's policy, the group's ID. Only explicit denials pay
// for this read.
func (s *Server) matchedStatements(ctx context.Context, c *call, matched []authz.Matched) []authmsg.Statement {
	if !slices.ContainsFunc(matched, func(m authz.Matched) bool { return m.Effect == policy.Deny }) {
		return nil
	}
	type source struct {
		doc    *policy.Document
		holder string
	}
	docs := map[string]source{}
	add := func(label, holder, text string) {
		if _, ok := docs[label]; ok {
			return
		}
		if d, err := policy.ParseLenient([]byte(text)); err == nil {
			docs[label] = source{d, holder}
		}
	}
	cl := c.caller
	owner := cl.principal.ARN
	if cl.session != nil {
		owner = cl.session.SourceARN
		if cl.session.Policy != "" {
			add("session", "", cl.session.Policy)
		}
	}
	if ps, err := s.iam.PrincipalPolicies(ctx, owner); err == nil {
		for _, sp := range ps.Policies {
			label := sp.ARN
			if label == "" {
				label = sp.Holder + "/" + sp.Name
			}
			add(label, sp.Holder, sp.Document)
		}
		if ps.Boundary != nil {
			add(ps.Boundary.ARN, ps.Boundary.Holder, ps.Boundary.Document)
		}
	}
	groupIDs := map[string]string{}
	out := make([]authmsg.Statement, 0, len(matched))
	for _, mt := range matched {
		if mt.Effect != policy.Deny {
			continue
		}
		src, ok := docs[mt.Policy]
		if !ok || mt.Index < 0 || mt.Index >= len(src.doc.Statements) {
			// A policy changed since the decision, or one whose text this node cannot
			// read (a managed session policy): what the decision recorded.
			out = append(out, authmsg.Statement{StatementID: mt.Sid, Effect: authmsg.Effect(mt.Effect),
				Principals: authmsg.Values(cl.principal.UserID)})
			continue
		}
		var groups []string
		if name, ok := groupName(src.holder); ok {
			id, seen := groupIDs[name]
			if !seen {
				id = s.groupID(ctx, c, name)
				groupIDs[name] = id
			}
			if id != "" {
				groups = []string{id}
			}
		}
		out = append(out, authmsg.FromStatement(&src.doc.Statements[mt.Index], []string{cl.principal.UserID}, groups))
	}
	return out
}

// groupName returns the name in a group ARN (arn:aws:iam::ACCOUNT:group/PATH/NAME).
func groupName(holder string) (string, bool) {
	_, res, ok := strings.Cut(holder, ":group/")
	if !ok || strings.Count(holder, ":") != 5 {
		return "", false
	}
	return res[strings.LastIndexByte(res, '/')+1:], true
}

// groupID returns a group's unique ID (AGPA…), or "" when it cannot be read.
func (s *Server) groupID(ctx context.Context, c *call, name string) string {
	out, err := s.iam.GetGroup(ctx, c.caller.account, &iamapi.GetGroupInput{GroupName: &name})
	if err != nil {
		if _, ok := awserr.As(err); !ok {
			s.cfg.Logger.Warn("reading a group for an authorization failure message", "request_id", c.requestID, "err", err.Error())
		}
		return ""
	}
	return out.Group.GroupId
}
