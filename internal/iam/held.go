package iam

import (
	"context"
	"strings"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Inline policies and managed-policy attachments, shared by users, groups and roles
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPolicy.html,
// API_AttachUserPolicy.html and their group and role twins).

// principalRules are a principal kind's inline size quota and attachment quota.
type principalRules struct {
	inlineMax   int
	inlineQuota string
	attachQuota string
	noun        string // in "The user policy with name X cannot be found."
}

var rulesFor = map[entityKind]principalRules{
	kindUser:  {maxUserPolicySize, "UserPolicySize", "PoliciesPerUser", "user"},
	kindGroup: {maxGroupPolicySize, "GroupPolicySize", "PoliciesPerGroup", "group"},
	kindRole:  {maxRolePolicySize, "RolePolicySize", "PoliciesPerRole", "role"},
}

// holder reads a user, group or role by name and returns its name as spelt; NoSuchEntity when
// absent. In a txn it also records the policy-set change.
func holder(tx kv.Tx, a Account, kind entityKind, name string) (string, string, error) {
	k := keysFor(a.ID)
	switch kind {
	case kindUser:
		u, err := getUser(tx, k, name)
		return u.Name, a.arn(kindUser, u.Path, u.Name), err
	case kindGroup:
		g, err := getGroup(tx, k, name)
		return g.Name, a.arn(kindGroup, g.Path, g.Name), err
	default:
		r, err := getRole(tx, k, name)
		return r.Name, a.arn(kindRole, r.Path, r.Name), err
	}
}

func (t *txn) touchHolder(kind entityKind, name, arn string) {
	if kind == kindGroup {
		t.touchGroup(name)
		return
	}
	t.touchPrincipal(arn)
}

func (s *Service) putInline(ctx context.Context, a Account, kind entityKind, action, name, policy, doc string) error {
	rules := rulesFor[kind]
	doc, size, err := validatePolicyDocument(inlinePolicy, doc)
	if err != nil {
		return err
	}
	return s.update(ctx, a, action, func() string { return string(kind) + "/" + name + " policy/" + policy }, func(t *txn) error {
		real, arn, err := holder(t.tx, a, kind, name)
		if err != nil {
			return err
		}
		// The quota is on the aggregate of a principal's inline policies.
		have, err := listAll(t.tx, t.k.inlinePrefix(kind, name))
		if err != nil {
			return err
		}
		total := size
		for _, p := range have {
			if p.Key == t.k.inline(kind, name, policy) {
				continue
			}
			var rec inlineRecord
			if err := jsonValue(p, &rec); err != nil {
				return err
			}
			total += rec.Size
		}
		if total > rules.inlineMax {
			return quota(rules.inlineQuota, rules.inlineMax)
		}
		t.touchHolder(kind, real, arn)
		return putJSON(t.tx, t.k.inline(kind, name, policy), inlineRecord{Name: policy, Document: doc, Size: size})
	})
}

func inlineNotFound(kind entityKind, policy string) *awserr.Error {
	return noSuchEntity("The %s policy with name %s cannot be found.", rulesFor[kind].noun, policy)
}

func (s *Service) getInline(ctx context.Context, a Account, kind entityKind, name, policy string) (string, inlineRecord, error) {
	var rec inlineRecord
	var real string
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		if real, _, err = holder(tx, a, kind, name); err != nil {
			return err
		}
		found, err := getJSON(tx, keysFor(a.ID).inline(kind, name, policy), &rec)
		if err != nil {
			return err
		}
		if !found {
			return inlineNotFound(kind, policy)
		}
		return nil
	})
	return real, rec, err
}

func (s *Service) deleteInline(ctx context.Context, a Account, kind entityKind, action, name, policy string) error {
	return s.update(ctx, a, action, func() string { return string(kind) + "/" + name + " policy/" + policy }, func(t *txn) error {
		real, arn, err := holder(t.tx, a, kind, name)
		if err != nil {
			return err
		}
		if found, err := exists(t.tx, t.k.inline(kind, name, policy)); err != nil {
			return err
		} else if !found {
			return inlineNotFound(kind, policy)
		}
		t.touchHolder(kind, real, arn)
		return t.tx.Delete(t.k.inline(kind, name, policy))
	})
}

// listInline pages a principal's inline policy names, sorted as IAM sorts them (by name).
func (s *Service) listInline(ctx context.Context, a Account, kind entityKind, op, name string, marker *string, maxItems *int32) ([]string, *bool, *string, error) {
	k := keysFor(a.ID)
	pg, err := newPager(op, k.base(), marker, maxItems)
	if err != nil {
		return nil, nil, nil, err
	}
	names := []string{}
	var tr bool
	var next string
	err = s.view(ctx, func(tx kv.Tx) error {
		if _, _, err := holder(tx, a, kind, name); err != nil {
			return err
		}
		ps, t, n, err := pg.list(tx, k.inlinePrefix(kind, name))
		if err != nil {
			return err
		}
		tr, next = t, n
		for _, p := range ps {
			var rec inlineRecord
			if err := jsonValue(p, &rec); err != nil {
				return err
			}
			names = append(names, rec.Name)
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	it, m := markerOut(tr, next)
	return names, it, m, nil
}

func (s *Service) attachPolicy(ctx context.Context, a Account, kind entityKind, action, name, policyARN string) error {
	return s.update(ctx, a, action, func() string { return string(kind) + "/" + name + " " + policyARN }, func(t *txn) error {
		real, arn, err := holder(t.tx, a, kind, name)
		if err != nil {
			return err
		}
		t.touchHolder(kind, real, arn)
		return t.attach(kind, real, policyARN, rulesFor[kind].attachQuota)
	})
}

func (s *Service) detachPolicy(ctx context.Context, a Account, kind entityKind, action, name, policyARN string) error {
	return s.update(ctx, a, action, func() string { return string(kind) + "/" + name + " " + policyARN }, func(t *txn) error {
		real, arn, err := holder(t.tx, a, kind, name)
		if err != nil {
			return err
		}
		t.touchHolder(kind, real, arn)
		return t.detach(kind, real, policyARN)
	})
}

// listAttached pages a principal's attached managed policies whose path starts with
// pathPrefix, in key order (AWS's own first, then the account's, each by name).
func (s *Service) listAttached(ctx context.Context, a Account, kind entityKind, op, name string, pathPrefix, marker *string, maxItems *int32) ([]iamapi.AttachedPolicy, *bool, *string, error) {
	k := keysFor(a.ID)
	pg, err := newPager(op, k.base(), marker, maxItems)
	if err != nil {
		return nil, nil, nil, err
	}
	prefix := pathOr(pathPrefix)
	type item struct {
		key string
		ap  iamapi.AttachedPolicy
	}
	var items []item
	err = s.view(ctx, func(tx kv.Tx) error {
		if _, _, err := holder(tx, a, kind, name); err != nil {
			return err
		}
		ps, err := listAll(tx, k.attachedPrefix(kind, name))
		if err != nil {
			return err
		}
		for _, p := range ps {
			ref, ok := parsePolicyRef(p.Key[len(k.attachedPrefix(kind, name)):])
			if !ok {
				continue
			}
			mp, found, err := s.managedPolicy(tx, a, ref)
			if err != nil {
				return err
			}
			if !found || !strings.HasPrefix(mp.Path, prefix) {
				continue
			}
			items = append(items, item{key: p.Key, ap: iamapi.AttachedPolicy{PolicyName: ptr(mp.Name), PolicyArn: ptr(mp.ARN)}})
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	start, end, tr, next := pg.window(len(items), func(i int) string { return items[i].key })
	out := []iamapi.AttachedPolicy{}
	for _, it := range items[start:end] {
		out = append(out, it.ap)
	}
	it, m := markerOut(tr, next)
	return out, it, m, nil
}

// The operations, per principal kind.

func (s *Service) PutUserPolicy(ctx context.Context, a Account, in *iamapi.PutUserPolicyInput) (*iamapi.PutUserPolicyOutput, error) {
	if err := s.checkInlineName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.putInline(ctx, a, kindUser, "PutUserPolicy", str(in.UserName), str(in.PolicyName), str(in.PolicyDocument)); err != nil {
		return nil, err
	}
	return &iamapi.PutUserPolicyOutput{}, nil
}

func (s *Service) GetUserPolicy(ctx context.Context, a Account, in *iamapi.GetUserPolicyInput) (*iamapi.GetUserPolicyOutput, error) {
	if err := s.checkStoredInlineName(ctx, a, kindUser, str(in.UserName), in.PolicyName); err != nil {
		return nil, err
	}
	real, rec, err := s.getInline(ctx, a, kindUser, str(in.UserName), str(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserPolicyOutput{UserName: real, PolicyName: rec.Name, PolicyDocument: encodeDocument(rec.Document)}, nil
}

func (s *Service) DeleteUserPolicy(ctx context.Context, a Account, in *iamapi.DeleteUserPolicyInput) (*iamapi.DeleteUserPolicyOutput, error) {
	if err := s.checkStoredInlineName(ctx, a, kindUser, str(in.UserName), in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.deleteInline(ctx, a, kindUser, "DeleteUserPolicy", str(in.UserName), str(in.PolicyName)); err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserPolicyOutput{}, nil
}

func (s *Service) ListUserPolicies(ctx context.Context, a Account, in *iamapi.ListUserPoliciesInput) (*iamapi.ListUserPoliciesOutput, error) {
	names, tr, m, err := s.listInline(ctx, a, kindUser, "ListUserPolicies", str(in.UserName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserPoliciesOutput{PolicyNames: names, IsTruncated: tr, Marker: m}, nil
}

func (s *Service) PutGroupPolicy(ctx context.Context, a Account, in *iamapi.PutGroupPolicyInput) (*iamapi.PutGroupPolicyOutput, error) {
	if err := s.checkInlineName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.putInline(ctx, a, kindGroup, "PutGroupPolicy", str(in.GroupName), str(in.PolicyName), str(in.PolicyDocument)); err != nil {
		return nil, err
	}
	return &iamapi.PutGroupPolicyOutput{}, nil
}

func (s *Service) GetGroupPolicy(ctx context.Context, a Account, in *iamapi.GetGroupPolicyInput) (*iamapi.GetGroupPolicyOutput, error) {
	if err := s.checkStoredInlineName(ctx, a, kindGroup, str(in.GroupName), in.PolicyName); err != nil {
		return nil, err
	}
	real, rec, err := s.getInline(ctx, a, kindGroup, str(in.GroupName), str(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &iamapi.GetGroupPolicyOutput{GroupName: real, PolicyName: rec.Name, PolicyDocument: encodeDocument(rec.Document)}, nil
}

func (s *Service) DeleteGroupPolicy(ctx context.Context, a Account, in *iamapi.DeleteGroupPolicyInput) (*iamapi.DeleteGroupPolicyOutput, error) {
	if err := s.checkStoredInlineName(ctx, a, kindGroup, str(in.GroupName), in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.deleteInline(ctx, a, kindGroup, "DeleteGroupPolicy", str(in.GroupName), str(in.PolicyName)); err != nil {
		return nil, err
	}
	return &iamapi.DeleteGroupPolicyOutput{}, nil
}

func (s *Service) ListGroupPolicies(ctx context.Context, a Account, in *iamapi.ListGroupPoliciesInput) (*iamapi.ListGroupPoliciesOutput, error) {
	names, tr, m, err := s.listInline(ctx, a, kindGroup, "ListGroupPolicies", str(in.GroupName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListGroupPoliciesOutput{PolicyNames: names, IsTruncated: tr, Marker: m}, nil
}

func (s *Service) PutRolePolicy(ctx context.Context, a Account, in *iamapi.PutRolePolicyInput) (*iamapi.PutRolePolicyOutput, error) {
	if err := s.checkInlineName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.roleModifiable(ctx, a, str(in.RoleName)); err != nil {
		return nil, err
	}
	if err := s.putInline(ctx, a, kindRole, "PutRolePolicy", str(in.RoleName), str(in.PolicyName), str(in.PolicyDocument)); err != nil {
		return nil, err
	}
	return &iamapi.PutRolePolicyOutput{}, nil
}

func (s *Service) GetRolePolicy(ctx context.Context, a Account, in *iamapi.GetRolePolicyInput) (*iamapi.GetRolePolicyOutput, error) {
	if err := s.checkStoredInlineName(ctx, a, kindRole, str(in.RoleName), in.PolicyName); err != nil {
		return nil, err
	}
	real, rec, err := s.getInline(ctx, a, kindRole, str(in.RoleName), str(in.PolicyName))
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRolePolicyOutput{RoleName: real, PolicyName: rec.Name, PolicyDocument: encodeDocument(rec.Document)}, nil
}

func (s *Service) DeleteRolePolicy(ctx context.Context, a Account, in *iamapi.DeleteRolePolicyInput) (*iamapi.DeleteRolePolicyOutput, error) {
	if err := s.checkStoredInlineName(ctx, a, kindRole, str(in.RoleName), in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.roleModifiable(ctx, a, str(in.RoleName)); err != nil {
		return nil, err
	}
	if err := s.deleteInline(ctx, a, kindRole, "DeleteRolePolicy", str(in.RoleName), str(in.PolicyName)); err != nil {
		return nil, err
	}
	return &iamapi.DeleteRolePolicyOutput{}, nil
}

func (s *Service) ListRolePolicies(ctx context.Context, a Account, in *iamapi.ListRolePoliciesInput) (*iamapi.ListRolePoliciesOutput, error) {
	names, tr, m, err := s.listInline(ctx, a, kindRole, "ListRolePolicies", str(in.RoleName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRolePoliciesOutput{PolicyNames: names, IsTruncated: tr, Marker: m}, nil
}

func (s *Service) AttachUserPolicy(ctx context.Context, a Account, in *iamapi.AttachUserPolicyInput) (*iamapi.AttachUserPolicyOutput, error) {
	if err := s.attachPolicy(ctx, a, kindUser, "AttachUserPolicy", str(in.UserName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.AttachUserPolicyOutput{}, nil
}

func (s *Service) DetachUserPolicy(ctx context.Context, a Account, in *iamapi.DetachUserPolicyInput) (*iamapi.DetachUserPolicyOutput, error) {
	if err := s.detachPolicy(ctx, a, kindUser, "DetachUserPolicy", str(in.UserName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.DetachUserPolicyOutput{}, nil
}

func (s *Service) ListAttachedUserPolicies(ctx context.Context, a Account, in *iamapi.ListAttachedUserPoliciesInput) (*iamapi.ListAttachedUserPoliciesOutput, error) {
	aps, tr, m, err := s.listAttached(ctx, a, kindUser, "ListAttachedUserPolicies", str(in.UserName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedUserPoliciesOutput{AttachedPolicies: aps, IsTruncated: tr, Marker: m}, nil
}

func (s *Service) AttachGroupPolicy(ctx context.Context, a Account, in *iamapi.AttachGroupPolicyInput) (*iamapi.AttachGroupPolicyOutput, error) {
	if err := s.attachPolicy(ctx, a, kindGroup, "AttachGroupPolicy", str(in.GroupName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.AttachGroupPolicyOutput{}, nil
}

func (s *Service) DetachGroupPolicy(ctx context.Context, a Account, in *iamapi.DetachGroupPolicyInput) (*iamapi.DetachGroupPolicyOutput, error) {
	if err := s.detachPolicy(ctx, a, kindGroup, "DetachGroupPolicy", str(in.GroupName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.DetachGroupPolicyOutput{}, nil
}

func (s *Service) ListAttachedGroupPolicies(ctx context.Context, a Account, in *iamapi.ListAttachedGroupPoliciesInput) (*iamapi.ListAttachedGroupPoliciesOutput, error) {
	aps, tr, m, err := s.listAttached(ctx, a, kindGroup, "ListAttachedGroupPolicies", str(in.GroupName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedGroupPoliciesOutput{AttachedPolicies: aps, IsTruncated: tr, Marker: m}, nil
}

func (s *Service) AttachRolePolicy(ctx context.Context, a Account, in *iamapi.AttachRolePolicyInput) (*iamapi.AttachRolePolicyOutput, error) {
	if err := s.roleModifiable(ctx, a, str(in.RoleName)); err != nil {
		return nil, err
	}
	if err := s.attachPolicy(ctx, a, kindRole, "AttachRolePolicy", str(in.RoleName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.AttachRolePolicyOutput{}, nil
}

func (s *Service) DetachRolePolicy(ctx context.Context, a Account, in *iamapi.DetachRolePolicyInput) (*iamapi.DetachRolePolicyOutput, error) {
	if err := s.roleModifiable(ctx, a, str(in.RoleName)); err != nil {
		return nil, err
	}
	if err := s.detachPolicy(ctx, a, kindRole, "DetachRolePolicy", str(in.RoleName), str(in.PolicyArn)); err != nil {
		return nil, err
	}
	return &iamapi.DetachRolePolicyOutput{}, nil
}

func (s *Service) ListAttachedRolePolicies(ctx context.Context, a Account, in *iamapi.ListAttachedRolePoliciesInput) (*iamapi.ListAttachedRolePoliciesOutput, error) {
	aps, tr, m, err := s.listAttached(ctx, a, kindRole, "ListAttachedRolePolicies", str(in.RoleName), in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedRolePoliciesOutput{AttachedPolicies: aps, IsTruncated: tr, Marker: m}, nil
}
