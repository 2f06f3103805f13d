package server

import (
	"gatehouse/internal/authz"
	"gatehouse/internal/sts"
)

// sessionRequestKeys sets the condition keys a request for a new role session carries into
// its decisions, whichever of AssumeRole, AssumeRoleWithWebIdentity and AssumeRoleWithSAML
// asks: sts:RoleSessionName, sts:SourceIdentity (the one the request sets, if any), and the
// session tags as aws:RequestTag/…, aws:TagKeys and sts:TransitiveTagKeys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_rolesessionname,
// id_session-tags.html#id_session-tags_permissions-required).
func sessionRequestKeys(cond *authz.Context, plan *sts.Session, sourceIdentity string) {
	cond.Set("sts:RoleSessionName", plan.Name)
	if sourceIdentity != "" {
		cond.Set("sts:SourceIdentity", sourceIdentity)
	}
	if len(plan.Tags) == 0 {
		return
	}
	keys := make([]string, 0, len(plan.Tags))
	for _, t := range plan.Tags {
		cond.Set("aws:RequestTag/"+t.Key, t.Value)
		keys = append(keys, t.Key)
	}
	cond.SetMulti("aws:TagKeys", keys)
	if len(plan.TransitiveTagKeys) > 0 {
		cond.SetMulti("sts:TransitiveTagKeys", plan.TransitiveTagKeys)
	}
}

// decideSession decides a request for a new role session: action (the sts:AssumeRole* the
// call is), then sts:TagSession when it passes session tags and sts:SetSourceIdentity when
// it sets a source identity, each of which the role's trust policy must also allow
// (id_session-tags.html#id_session-tags_permissions-required,
// id_credentials_temp_control-access_monitor.html#id_credentials_temp_control-access_monitor-perms).
// denied builds the error for the first denial.
func (s *Server) decideSession(c *call, req *authz.Request, action string, tags, sourceIdentity bool,
	denied func(action string, res *authz.Result) error) error {
	res := resultPool.Get().(*authz.Result)
	defer resultPool.Put(res)
	for _, a := range [...]string{action, "sts:TagSession", "sts:SetSourceIdentity"} {
		if a == "sts:TagSession" && !tags || a == "sts:SetSourceIdentity" && !sourceIdentity {
			continue
		}
		req.Action = a
		authz.Evaluate(req, res)
		s.metrics.observeDecision(res.Decision.String())
		if s.denies(c, req, res) {
			return denied(a, res)
		}
	}
	return nil
}
