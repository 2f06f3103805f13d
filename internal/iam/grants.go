package iam

import (
	"context"
	"slices"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// ListPoliciesGrantingServiceAccess
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPoliciesGrantingServiceAccess.html):
// for each service namespace, the policies of a user (its own and its groups'), group or role
// whose Allow statements name an action of that service — the same reading access advisor
// uses (grantedServices). Managed policies are listed by ARN; inline ones with the entity
// that holds them. The whole answer fits one page.

type grantingPolicy struct {
	out iamapi.PolicyGrantingServiceAccess
	doc string
}

func (s *Service) ListPoliciesGrantingServiceAccess(ctx context.Context, a Account, in *iamapi.ListPoliciesGrantingServiceAccessInput) (*iamapi.ListPoliciesGrantingServiceAccessOutput, error) {
	arn := str(in.Arn)
	if m := str(in.Marker); m != "" {
		return nil, invalidInput("Invalid Marker.")
	}
	p, ok := parseIAMARN(arn)
	if !ok || p.Account != a.ID {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	var kind entityKind
	switch p.Resource {
	case "user":
		kind = kindUser
	case "group":
		kind = kindGroup
	case "role":
		kind = kindRole
	default:
		return nil, invalidInput("ARN %s is not valid: only users, groups and roles hold policies.", arn)
	}
	var pols []grantingPolicy
	err := s.view(ctx, func(tx kv.Tx) error {
		real, realARN, err := holder(tx, a, kind, p.Name)
		if err != nil {
			return err
		}
		if realARN != arn {
			return noSuchEntity("The %s with name %s cannot be found.", kind, p.Name)
		}
		holders := []struct {
			kind entityKind
			name string
		}{{kind, real}}
		if kind == kindUser {
			k := keysFor(a.ID)
			gs, err := listAll(tx, k.userGroupPrefix(real))
			if err != nil {
				return err
			}
			for _, g := range gs {
				var gr groupRecord
				if _, err := getJSON(tx, k.entity(kindGroup, g.Key[len(k.userGroupPrefix(real)):]), &gr); err != nil {
					return err
				}
				holders = append(holders, struct {
					kind entityKind
					name string
				}{kindGroup, gr.Name})
			}
		}
		for _, h := range holders {
			got, err := s.heldPolicies(tx, a, h.kind, h.name)
			if err != nil {
				return err
			}
			pols = append(pols, got...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListPoliciesGrantingServiceAccessOutput{PoliciesGrantingServiceAccess: []iamapi.ListPoliciesGrantingServiceAccessEntry{}, IsTruncated: ptr(false)}
	granted := make([][]string, len(pols))
	for i, p := range pols {
		granted[i] = grantedServices([]string{p.doc})
	}
	for _, ns := range in.ServiceNamespaces {
		e := iamapi.ListPoliciesGrantingServiceAccessEntry{ServiceNamespace: ptr(ns), Policies: []iamapi.PolicyGrantingServiceAccess{}}
		for i, p := range pols {
			if _, found := slices.BinarySearch(granted[i], ns); found {
				e.Policies = append(e.Policies, p.out)
			}
		}
		out.PoliciesGrantingServiceAccess = append(out.PoliciesGrantingServiceAccess, e)
	}
	return out, nil
}

var ownerType = map[entityKind]iamapi.PolicyOwnerEntityType{
	kindUser: iamapi.PolicyOwnerEntityTypeUSER, kindGroup: iamapi.PolicyOwnerEntityTypeGROUP, kindRole: iamapi.PolicyOwnerEntityTypeROLE,
}

// heldPolicies returns a principal's inline and attached managed policies with their
// documents.
func (s *Service) heldPolicies(tx kv.Tx, a Account, kind entityKind, name string) ([]grantingPolicy, error) {
	k := keysFor(a.ID)
	var out []grantingPolicy
	inl, err := listAll(tx, k.inlinePrefix(kind, name))
	if err != nil {
		return nil, err
	}
	for _, p := range inl {
		var r inlineRecord
		if err := jsonUnmarshal(p.Value, &r); err != nil {
			return nil, err
		}
		out = append(out, grantingPolicy{doc: r.Document, out: iamapi.PolicyGrantingServiceAccess{PolicyName: r.Name,
			PolicyType: iamapi.PolicyTypeINLINE, EntityType: ownerType[kind], EntityName: ptr(name)}})
	}
	prefix := k.attachedPrefix(kind, name)
	att, err := listAll(tx, prefix)
	if err != nil {
		return nil, err
	}
	for _, p := range att {
		ref, ok := parsePolicyRef(p.Key[len(prefix):])
		if !ok {
			continue
		}
		mp, found, err := s.managedPolicy(tx, a, ref)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, grantingPolicy{doc: mp.Document, out: iamapi.PolicyGrantingServiceAccess{PolicyName: mp.Name,
				PolicyType: iamapi.PolicyTypeMANAGED, PolicyArn: ptr(mp.ARN)}})
		}
	}
	return out, nil
}
