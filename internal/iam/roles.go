package iam

import (
	"context"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Roles: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html and the
// operations beside it.

func roleNotFound(name string) *awserr.Error {
	return noSuchEntity("The role with name %s cannot be found.", name)
}

func getRole(tx kv.Tx, k keys, name string) (roleRecord, error) {
	var r roleRecord
	found, err := getJSON(tx, k.entity(kindRole, name), &r)
	if err != nil {
		return r, err
	}
	if !found {
		return r, roleNotFound(name)
	}
	return r, nil
}

// checkTrustPolicy validates a role's trust policy and its size (ACLSizePerRole, 2,048
// characters without white space).
func checkTrustPolicy(doc string) (string, error) {
	if !trustJSONValid(doc) {
		return "", malformedPolicyDocument("This policy contains invalid Json")
	}
	doc, size, err := validatePolicyDocument(trustPolicy, doc)
	if err != nil {
		return "", err
	}
	if err := checkTrustActions(doc); err != nil {
		return "", err
	}
	if size > maxTrustPolicySize {
		return "", quota("ACLSizePerRole", maxTrustPolicySize)
	}
	return doc, nil
}

// createRoleTrust is CreateRole's trust policy: checkTrustPolicy's, or under
// Options.MotoLenient a document that fails it kept verbatim. moto server's create_role
// (moto/iam/models.py) stores AssumeRolePolicyDocument without looking at it, and moto's own
// tests create roles with trust policies such as "some policy"; its
// update_assume_role_policy, put_role_policy and create_policy do validate, so only
// CreateRole is lenient. Whatever reads the stored document copes with one that does not
// parse: it grants nothing (authz), is left alone by trustPrincipalIDs and shownTrust, and
// is returned URL-encoded as every stored document is.
func (s *Service) createRoleTrust(doc string) (string, error) {
	trust, err := checkTrustPolicy(doc)
	if err != nil && s.opt.MotoLenient {
		return doc, nil
	}
	return trust, err
}

// checkSessionDuration enforces MaxSessionDuration's range, 1 to 12 hours.
func checkSessionDuration(d *int32) (int, error) {
	if d == nil {
		return defaultSessionDuration, nil
	}
	if *d < minSessionDuration || *d > maxSessionDuration {
		return 0, awserr.ValidationError("The requested MaxSessionDuration %d is not between 3600 and 43200 seconds.", *d)
	}
	return int(*d), nil
}

func (s *Service) CreateRole(ctx context.Context, a Account, in *iamapi.CreateRoleInput) (*iamapi.CreateRoleOutput, error) {
	name, path := str(in.RoleName), pathOr(in.Path)
	if err := s.checkPath("path", path, &rulePath); err != nil {
		return nil, err
	}
	if err := checkNotServiceRolePath(path); err != nil {
		return nil, err
	}
	trust, err := s.createRoleTrust(str(in.AssumeRolePolicyDocument))
	if err != nil {
		return nil, err
	}
	dur, err := checkSessionDuration(in.MaxSessionDuration)
	if err != nil {
		return nil, err
	}
	tags := tagsIn(in.Tags)
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	boundary := str(in.PermissionsBoundary)
	if boundary != "" {
		if err := checkBoundaryARN(a, boundary); err != nil {
			return nil, err
		}
	}
	var out roleRecord
	err = s.update(ctx, a, "CreateRole", func() string { return "role/" + name }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.entity(kindRole, name)); err != nil {
			return err
		} else if found {
			return entityAlreadyExists("Role with name %s already exists.", name)
		}
		if err := t.count(kindRole, 1, s.opt.Quotas.Roles, "RolesPerAccount"); err != nil {
			return err
		}
		id, err := newUniqueID(s.opt.Rand, prefixRole)
		if err != nil {
			return err
		}
		trustIDs, err := trustPrincipalIDs(t.tx, a, trust, s.opt.MotoLenient)
		if err != nil {
			return err
		}
		out = roleRecord{Name: name, Path: path, ID: id, Created: t.now, TrustPolicy: trust, TrustIDs: trustIDs,
			Description: str(in.Description), MaxSessionDuration: dur, Tags: tags}
		if boundary != "" {
			if err := t.setBoundary(kindRole, name, "", boundary); err != nil {
				return err
			}
			out.Boundary = boundary
		}
		t.touchPrincipal(a.arn(kindRole, path, name))
		return t.putEntity(kindRole, name, path, out)
	})
	if err != nil {
		return nil, err
	}
	r := a.roleOut(out, false)
	r.PermissionsBoundary, r.Tags = boundaryOut(out.Boundary), tagsOut(out.Tags)
	// CreateRole's answer leaves out Description and MaxSessionDuration even when they were
	// given; GetRole shows them (recorded against AWS in LocalStack's test_iam_roles
	// snapshots, e.g. test_list_roles_pagination and test_role_permissions_boundary_lifecycle).
	r.Description, r.MaxSessionDuration = nil, nil
	return &iamapi.CreateRoleOutput{Role: r}, nil
}

func (s *Service) GetRole(ctx context.Context, a Account, in *iamapi.GetRoleInput) (*iamapi.GetRoleOutput, error) {
	var r roleRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		if r, err = getRole(tx, keysFor(a.ID), str(in.RoleName)); err != nil {
			return err
		}
		r, err = withShownTrust(tx, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRoleOutput{Role: a.roleOut(r, true)}, nil
}

// modifyRole applies fn to a role's record in one mutation.
func (s *Service) modifyRole(ctx context.Context, a Account, action, name string, fn func(t *txn, r *roleRecord) error) (roleRecord, error) {
	var out roleRecord
	err := s.update(ctx, a, action, func() string { return "role/" + name }, func(t *txn) error {
		r, err := getRole(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if err := fn(t, &r); err != nil {
			return err
		}
		t.touchPrincipal(a.arn(kindRole, r.Path, r.Name))
		if err := putJSON(t.tx, t.k.entity(kindRole, name), r); err != nil {
			return err
		}
		out, err = withShownTrust(t.tx, r)
		return err
	})
	return out, err
}

// UpdateRole changes a role's description and maximum session duration; a parameter left
// out keeps its value.
func (s *Service) UpdateRole(ctx context.Context, a Account, in *iamapi.UpdateRoleInput) (*iamapi.UpdateRoleOutput, error) {
	var dur int
	if in.MaxSessionDuration != nil {
		var err error
		if dur, err = checkSessionDuration(in.MaxSessionDuration); err != nil {
			return nil, err
		}
	}
	_, err := s.modifyRole(ctx, a, "UpdateRole", str(in.RoleName), func(t *txn, r *roleRecord) error {
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = dur
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateRoleOutput{}, nil
}

func (s *Service) UpdateRoleDescription(ctx context.Context, a Account, in *iamapi.UpdateRoleDescriptionInput) (*iamapi.UpdateRoleDescriptionOutput, error) {
	r, err := s.modifyRole(ctx, a, "UpdateRoleDescription", str(in.RoleName), func(t *txn, r *roleRecord) error {
		r.Description = str(in.Description)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ro := a.roleOut(r, true)
	// Unlike GetRole, the role UpdateRoleDescription returns has no MaxSessionDuration and no
	// RoleLastUsed (recorded against AWS in LocalStack's test_iam_roles.py::test_update_role).
	ro.MaxSessionDuration, ro.RoleLastUsed = nil, nil
	return &iamapi.UpdateRoleDescriptionOutput{Role: &ro}, nil
}

func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, a Account, in *iamapi.UpdateAssumeRolePolicyInput) (*iamapi.UpdateAssumeRolePolicyOutput, error) {
	trust, err := checkTrustPolicy(str(in.PolicyDocument))
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, a, "UpdateAssumeRolePolicy", str(in.RoleName), func(t *txn, r *roleRecord) error {
		if err := checkRoleModifiable(*r); err != nil {
			return err
		}
		ids, err := trustPrincipalIDs(t.tx, a, trust, s.opt.MotoLenient)
		if err != nil {
			return err
		}
		r.TrustPolicy, r.TrustIDs = trust, ids
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAssumeRolePolicyOutput{}, nil
}

// DeleteRole deletes a role that is in no instance profile and holds no policies
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html).
func (s *Service) DeleteRole(ctx context.Context, a Account, in *iamapi.DeleteRoleInput) (*iamapi.DeleteRoleOutput, error) {
	name := str(in.RoleName)
	err := s.update(ctx, a, "DeleteRole", func() string { return "role/" + name }, func(t *txn) error {
		r, err := getRole(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if err := checkRoleModifiable(r); err != nil {
			return err
		}
		if has, err := hasAny(t.tx, t.k.roleProfilePrefix(name)); err != nil {
			return err
		} else if has {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		if err := deleteHeldCheck(t.tx, t.k, kindRole, name); err != nil {
			return err
		}
		if err := t.setBoundary(kindRole, r.Name, r.Boundary, ""); err != nil {
			return err
		}
		if err := t.count(kindRole, -1, 0, ""); err != nil {
			return err
		}
		t.touchPrincipal(a.arn(kindRole, r.Path, r.Name))
		return t.deleteEntity(kindRole, r.Name, r.Path)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteRoleOutput{}, nil
}

// ListRoles lists roles under PathPrefix; like IAM it leaves out tags, boundary and last use.
func (s *Service) ListRoles(ctx context.Context, a Account, in *iamapi.ListRolesInput) (*iamapi.ListRolesOutput, error) {
	out := &iamapi.ListRolesOutput{Roles: []iamapi.Role{}}
	tr, next, err := s.listByPathTx(ctx, a, kindRole, "ListRoles", in.PathPrefix, in.Marker, in.MaxItems, func(tx kv.Tx, b []byte) error {
		var r roleRecord
		if err := jsonUnmarshal(b, &r); err != nil {
			return err
		}
		r, err := withShownTrust(tx, r)
		if err != nil {
			return err
		}
		out.Roles = append(out.Roles, a.roleOut(r, false))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

func (s *Service) TagRole(ctx context.Context, a Account, in *iamapi.TagRoleInput) (*iamapi.TagRoleOutput, error) {
	_, err := s.modifyRole(ctx, a, "TagRole", str(in.RoleName), func(t *txn, r *roleRecord) error {
		var err error
		r.Tags, err = mergeTags(r.Tags, tagsIn(in.Tags), "TagsPerRole")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagRoleOutput{}, nil
}

func (s *Service) UntagRole(ctx context.Context, a Account, in *iamapi.UntagRoleInput) (*iamapi.UntagRoleOutput, error) {
	_, err := s.modifyRole(ctx, a, "UntagRole", str(in.RoleName), func(t *txn, r *roleRecord) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagRoleOutput{}, nil
}

func (s *Service) ListRoleTags(ctx context.Context, a Account, in *iamapi.ListRoleTagsInput) (*iamapi.ListRoleTagsOutput, error) {
	var r roleRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		r, err = getRole(tx, keysFor(a.ID), str(in.RoleName))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags, tr, next, err := pageTags(a, "ListRoleTags", r.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListRoleTagsOutput{Tags: tags}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

func (s *Service) PutRolePermissionsBoundary(ctx context.Context, a Account, in *iamapi.PutRolePermissionsBoundaryInput) (*iamapi.PutRolePermissionsBoundaryOutput, error) {
	boundary := str(in.PermissionsBoundary)
	if err := checkBoundaryARN(a, boundary); err != nil {
		return nil, err
	}
	_, err := s.modifyRole(ctx, a, "PutRolePermissionsBoundary", str(in.RoleName), func(t *txn, r *roleRecord) error {
		if err := checkRoleModifiable(*r); err != nil {
			return err
		}
		if err := t.setBoundary(kindRole, r.Name, r.Boundary, boundary); err != nil {
			return err
		}
		r.Boundary = boundary
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.PutRolePermissionsBoundaryOutput{}, nil
}

func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, a Account, in *iamapi.DeleteRolePermissionsBoundaryInput) (*iamapi.DeleteRolePermissionsBoundaryOutput, error) {
	_, err := s.modifyRole(ctx, a, "DeleteRolePermissionsBoundary", str(in.RoleName), func(t *txn, r *roleRecord) error {
		if err := checkRoleModifiable(*r); err != nil {
			return err
		}
		if err := t.setBoundary(kindRole, r.Name, r.Boundary, ""); err != nil {
			return err
		}
		r.Boundary = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteRolePermissionsBoundaryOutput{}, nil
}
