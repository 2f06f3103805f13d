package iam

import (
	"context"
	"fmt"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Instance profiles: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html
// and the operations beside it. A profile holds at most one role; the role → profiles index
// is kept beside the profile's record so ListInstanceProfilesForRole and DeleteRole's
// conflict check are range reads.

func profileNotFound(name string) *awserr.Error {
	return noSuchEntity("Instance Profile %s cannot be found.", name)
}

func getProfile(tx kv.Tx, k keys, name string) (profileRecord, error) {
	var p profileRecord
	found, err := getJSON(tx, k.entity(kindProfile, name), &p)
	if err != nil {
		return p, err
	}
	if !found {
		return p, profileNotFound(name)
	}
	return p, nil
}

// profileOut is an instance profile with its role. The role inside has no MaxSessionDuration
// and no Description (GetAccountAuthorizationDetails of a role described "testing role"),
// and GetInstanceProfile (withTags) always has a tag list, empty or not (recorded against AWS
// in LocalStack's test_iam_instance_profiles snapshots).
func (s *Service) profileOut(tx kv.Tx, a Account, p profileRecord, withTags bool) (iamapi.InstanceProfile, error) {
	out := iamapi.InstanceProfile{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileId: p.ID,
		Arn: a.arn(kindProfile, p.Path, p.Name), CreateDate: p.Created, Roles: []iamapi.Role{}}
	if withTags {
		out.Tags = append([]iamapi.Tag{}, tagsOut(p.Tags)...)
	}
	if p.Role != "" {
		var r roleRecord
		found, err := getJSON(tx, keysFor(a.ID).entity(kindRole, p.Role), &r)
		if err != nil {
			return out, err
		}
		if found {
			if r, err = withShownTrust(tx, r); err != nil {
				return out, err
			}
			ro := a.roleOut(r, false)
			ro.MaxSessionDuration, ro.Description = nil, nil
			out.Roles = append(out.Roles, ro)
		}
	}
	return out, nil
}

func (s *Service) CreateInstanceProfile(ctx context.Context, a Account, in *iamapi.CreateInstanceProfileInput) (*iamapi.CreateInstanceProfileOutput, error) {
	name, path := str(in.InstanceProfileName), pathOr(in.Path)
	if err := s.checkPath("path", path, &rulePath); err != nil {
		return nil, err
	}
	tags := tagsIn(in.Tags)
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	var out profileRecord
	err := s.update(ctx, a, "CreateInstanceProfile", func() string { return "instance-profile/" + name }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.entity(kindProfile, name)); err != nil {
			return err
		} else if found {
			return entityAlreadyExists("Instance Profile %s already exists.", name)
		}
		if err := t.count(kindProfile, 1, s.opt.Quotas.InstanceProfiles, "InstanceProfilesPerAccount"); err != nil {
			return err
		}
		id, err := newUniqueID(s.opt.Rand, prefixProfile)
		if err != nil {
			return err
		}
		out = profileRecord{Name: name, Path: path, ID: id, Created: t.now, Tags: tags}
		return t.putEntity(kindProfile, name, path, out)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateInstanceProfileOutput{InstanceProfile: iamapi.InstanceProfile{Path: out.Path, InstanceProfileName: out.Name,
		InstanceProfileId: out.ID, Arn: a.arn(kindProfile, out.Path, out.Name), CreateDate: out.Created, Roles: []iamapi.Role{},
		Tags: tagsOut(out.Tags)}}, nil
}

func (s *Service) GetInstanceProfile(ctx context.Context, a Account, in *iamapi.GetInstanceProfileInput) (*iamapi.GetInstanceProfileOutput, error) {
	var out iamapi.InstanceProfile
	err := s.view(ctx, func(tx kv.Tx) error {
		p, err := getProfile(tx, keysFor(a.ID), str(in.InstanceProfileName))
		if err != nil {
			return err
		}
		out, err = s.profileOut(tx, a, p, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetInstanceProfileOutput{InstanceProfile: out}, nil
}

func (s *Service) DeleteInstanceProfile(ctx context.Context, a Account, in *iamapi.DeleteInstanceProfileInput) (*iamapi.DeleteInstanceProfileOutput, error) {
	name := str(in.InstanceProfileName)
	err := s.update(ctx, a, "DeleteInstanceProfile", func() string { return "instance-profile/" + name }, func(t *txn) error {
		p, err := getProfile(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if p.Role != "" {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		if err := t.count(kindProfile, -1, 0, ""); err != nil {
			return err
		}
		return t.deleteEntity(kindProfile, p.Name, p.Path)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteInstanceProfileOutput{}, nil
}

func (s *Service) ListInstanceProfiles(ctx context.Context, a Account, in *iamapi.ListInstanceProfilesInput) (*iamapi.ListInstanceProfilesOutput, error) {
	out := &iamapi.ListInstanceProfilesOutput{InstanceProfiles: []iamapi.InstanceProfile{}}
	var recs []profileRecord
	tr, next, err := s.listByPath(ctx, a, kindProfile, "ListInstanceProfiles", in.PathPrefix, in.Marker, in.MaxItems, func(b []byte) error {
		var p profileRecord
		if err := jsonUnmarshal(b, &p); err != nil {
			return err
		}
		recs = append(recs, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.view(ctx, func(tx kv.Tx) error {
		for _, p := range recs {
			po, err := s.profileOut(tx, a, p, false)
			if err != nil {
				return err
			}
			out.InstanceProfiles = append(out.InstanceProfiles, po)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// AddRoleToInstanceProfile puts a role in a profile; a profile holds one role
// ("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1").
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, a Account, in *iamapi.AddRoleToInstanceProfileInput) (*iamapi.AddRoleToInstanceProfileOutput, error) {
	name, role := str(in.InstanceProfileName), str(in.RoleName)
	err := s.update(ctx, a, "AddRoleToInstanceProfile", func() string { return "instance-profile/" + name + " role/" + role }, func(t *txn) error {
		p, err := getProfile(t.tx, t.k, name)
		if err != nil {
			return err
		}
		r, err := getRole(t.tx, t.k, role)
		if err != nil {
			return err
		}
		if p.Role != "" {
			return quota("InstanceSessionsPerInstanceProfile", maxRolesPerProfile)
		}
		p.Role = lower(r.Name)
		if err := t.tx.Put(t.k.roleProfile(r.Name, p.Name), nil); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.entity(kindProfile, name), p)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddRoleToInstanceProfileOutput{}, nil
}

func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, a Account, in *iamapi.RemoveRoleFromInstanceProfileInput) (*iamapi.RemoveRoleFromInstanceProfileOutput, error) {
	name, role := str(in.InstanceProfileName), str(in.RoleName)
	err := s.update(ctx, a, "RemoveRoleFromInstanceProfile", func() string { return "instance-profile/" + name + " role/" + role }, func(t *txn) error {
		p, err := getProfile(t.tx, t.k, name)
		if err != nil {
			return err
		}
		r, err := getRole(t.tx, t.k, role)
		if err != nil {
			return err
		}
		if p.Role != lower(r.Name) {
			// Recorded against AWS (test_role_instance_profile_operations_errors).
			return noSuchEntity("Role %s in Instance Profile %s cannot be found.", role, name)
		}
		p.Role = ""
		if err := t.tx.Delete(t.k.roleProfile(r.Name, p.Name)); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.entity(kindProfile, name), p)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveRoleFromInstanceProfileOutput{}, nil
}

func (s *Service) ListInstanceProfilesForRole(ctx context.Context, a Account, in *iamapi.ListInstanceProfilesForRoleInput) (*iamapi.ListInstanceProfilesForRoleOutput, error) {
	role := str(in.RoleName)
	k := keysFor(a.ID)
	pg, err := newPager("ListInstanceProfilesForRole", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListInstanceProfilesForRoleOutput{InstanceProfiles: []iamapi.InstanceProfile{}}
	err = s.view(ctx, func(tx kv.Tx) error {
		if _, err := getRole(tx, k, role); err != nil {
			return err
		}
		ps, tr, next, err := pg.list(tx, k.roleProfilePrefix(role))
		if err != nil {
			return err
		}
		for _, p := range ps {
			var pr profileRecord
			found, err := getJSON(tx, k.entity(kindProfile, p.Key[len(k.roleProfilePrefix(role)):]), &pr)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			po, err := s.profileOut(tx, a, pr, false)
			if err != nil {
				return err
			}
			out.InstanceProfiles = append(out.InstanceProfiles, po)
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) modifyProfile(ctx context.Context, a Account, action, name string, fn func(p *profileRecord) error) error {
	return s.update(ctx, a, action, func() string { return "instance-profile/" + name }, func(t *txn) error {
		p, err := getProfile(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.entity(kindProfile, name), p)
	})
}

func (s *Service) TagInstanceProfile(ctx context.Context, a Account, in *iamapi.TagInstanceProfileInput) (*iamapi.TagInstanceProfileOutput, error) {
	err := s.modifyProfile(ctx, a, "TagInstanceProfile", str(in.InstanceProfileName), func(p *profileRecord) error {
		var err error
		p.Tags, err = mergeTags(p.Tags, tagsIn(in.Tags), "TagsPerInstanceProfile")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagInstanceProfileOutput{}, nil
}

func (s *Service) UntagInstanceProfile(ctx context.Context, a Account, in *iamapi.UntagInstanceProfileInput) (*iamapi.UntagInstanceProfileOutput, error) {
	err := s.modifyProfile(ctx, a, "UntagInstanceProfile", str(in.InstanceProfileName), func(p *profileRecord) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagInstanceProfileOutput{}, nil
}

func (s *Service) ListInstanceProfileTags(ctx context.Context, a Account, in *iamapi.ListInstanceProfileTagsInput) (*iamapi.ListInstanceProfileTagsOutput, error) {
	var p profileRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		p, err = getProfile(tx, keysFor(a.ID), str(in.InstanceProfileName))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags, tr, next, err := pageTags(a, "ListInstanceProfileTags", p.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListInstanceProfileTagsOutput{Tags: tags}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// InstanceProfileRole returns the ARN of the role in the instance profile that profileARN
// names (for EC2 and the instance metadata service); "" when the profile holds no role.
func (s *Service) InstanceProfileRole(ctx context.Context, profileARN string) (roleARN string, err error) {
	p, ok := parseIAMARN(profileARN)
	if !ok || p.Resource != "instance-profile" {
		return "", noSuchEntity("Instance Profile %s cannot be found.", profileARN)
	}
	a := Account{ID: p.Account, Partition: p.Partition}
	err = s.view(ctx, func(tx kv.Tx) error {
		k := keysFor(a.ID)
		pr, err := getProfile(tx, k, p.Name)
		if err != nil {
			return err
		}
		if !samePath(pr.Path, p.Path) {
			return profileNotFound(p.Name)
		}
		if pr.Role == "" {
			return nil
		}
		r, err := getRole(tx, k, pr.Role)
		if err != nil {
			return fmt.Errorf("iam: instance profile %s names missing role %s: %w", p.Name, pr.Role, err)
		}
		roleARN = a.arn(kindRole, r.Path, r.Name)
		return nil
	})
	return roleARN, err
}
