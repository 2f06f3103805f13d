package iam

import (
	"context"
	"strings"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Users: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html and the
// operations beside it.

func userNotFound(name string) *awserr.Error {
	return noSuchEntity("The user with name %s cannot be found.", name)
}

// getUser reads a user by name, NoSuchEntity when absent.
func getUser(tx kv.Tx, k keys, name string) (userRecord, error) {
	var u userRecord
	found, err := getJSON(tx, k.entity(kindUser, name), &u)
	if err != nil {
		return u, err
	}
	if !found {
		return u, userNotFound(name)
	}
	return u, nil
}

func (s *Service) CreateUser(ctx context.Context, a Account, in *iamapi.CreateUserInput) (*iamapi.CreateUserOutput, error) {
	name, path := str(in.UserName), pathOr(in.Path)
	if err := s.checkPath("path", path, &rulePath); err != nil {
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
	var out userRecord
	err := s.update(ctx, a, "CreateUser", func() string { return a.arn(kindUser, path, name) }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.entity(kindUser, name)); err != nil {
			return err
		} else if found {
			return entityAlreadyExists("User with name %s already exists.", name)
		}
		if err := t.count(kindUser, 1, s.opt.Quotas.Users, "UsersPerAccount"); err != nil {
			return err
		}
		id, err := newUniqueID(s.opt.Rand, prefixUser)
		if err != nil {
			return err
		}
		out = userRecord{Name: name, Path: path, ID: id, Created: t.now, Tags: tags}
		if boundary != "" {
			if err := t.setBoundary(kindUser, name, "", boundary); err != nil {
				return err
			}
			out.Boundary = boundary
		}
		t.touchPrincipal(a.arn(kindUser, path, name))
		return t.putEntity(kindUser, name, path, out)
	})
	if err != nil {
		return nil, err
	}
	u := a.userOut(out, true)
	return &iamapi.CreateUserOutput{User: &u}, nil
}

// GetUser returns the named user or, without a name, the caller: a user, or the root user
// (whose "user" is the account: UserId is the account ID and Arn the root ARN).
func (s *Service) GetUser(ctx context.Context, a Account, in *iamapi.GetUserInput) (*iamapi.GetUserOutput, error) {
	name := str(in.UserName)
	if name == "" {
		p, ok := parsePrincipalARN(a.Caller)
		switch {
		case ok && p.Resource == "user":
			name = p.Name
		case ok && p.Resource == "root":
			return s.getRootUser(ctx, a)
		default:
			return nil, awserr.ValidationError("Must specify userName when calling with non-User credentials")
		}
	}
	// The generation is read before the record, so an entry is never newer than its tag.
	gen, now := s.Generation(a.ID), s.opt.Now()
	if rec, ok := s.users.get(a.ID, name, gen, now); ok {
		return &iamapi.GetUserOutput{User: a.userOut(rec, true)}, nil
	}
	var out userRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		out, err = getUser(tx, keysFor(a.ID), name)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.users.put(a.ID, name, gen, now, out)
	return &iamapi.GetUserOutput{User: a.userOut(out, true)}, nil
}

func (s *Service) getRootUser(ctx context.Context, a Account) (*iamapi.GetUserOutput, error) {
	var acct accountRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		_, err := getJSON(tx, accountKey(a.ID), &acct)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserOutput{User: iamapi.User{UserId: a.ID, Arn: "arn:" + a.partition() + ":iam::" + a.ID + ":root",
		CreateDate: acct.Created}}, nil
}

// UpdateUser renames a user or changes its path. Everything that names the user moves with
// it in the same transaction: its access keys, login profile, inline and attached policies,
// group memberships (both directions) and boundary index.
func (s *Service) UpdateUser(ctx context.Context, a Account, in *iamapi.UpdateUserInput) (*iamapi.UpdateUserOutput, error) {
	name := str(in.UserName)
	err := s.update(ctx, a, "UpdateUser", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		newName, newPath := u.Name, u.Path
		if in.NewUserName != nil {
			newName = *in.NewUserName
		}
		if in.NewPath != nil {
			newPath = *in.NewPath
		}
		oldARN := a.arn(kindUser, u.Path, u.Name)
		if lower(newName) != lower(u.Name) {
			if found, err := exists(t.tx, t.k.entity(kindUser, newName)); err != nil {
				return err
			} else if found {
				return entityAlreadyExists("User with name %s already exists.", newName)
			}
		}
		if err := t.deleteEntity(kindUser, u.Name, u.Path); err != nil {
			return err
		}
		if err := t.renameUserRefs(u, newName, newPath); err != nil {
			return err
		}
		t.touchPrincipal(oldARN)
		u.Name, u.Path = newName, newPath
		t.touchPrincipal(a.arn(kindUser, u.Path, u.Name))
		return t.putEntity(kindUser, u.Name, u.Path, u)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateUserOutput{}, nil
}

// renameUserRefs re-keys everything that names user u when its name becomes newName and its
// path newPath.
func (t *txn) renameUserRefs(u userRecord, newName, newPath string) error {
	if err := t.renameUserMFA(u.Name, newName); err != nil {
		return err
	}
	// Access keys: the per-user index moves and each key's record names the new spelling.
	keysIdx, err := listAll(t.tx, t.k.userKeyPrefix(u.Name))
	if err != nil {
		return err
	}
	for _, p := range keysIdx {
		id := p.Key[len(t.k.userKeyPrefix(u.Name)):]
		var rec accessKeyRecord
		if found, err := getJSON(t.tx, accessKeyKey(id), &rec); err != nil {
			return err
		} else if found {
			rec.User, rec.UserPath = newName, newPath
			if err := putJSON(t.tx, accessKeyKey(id), rec); err != nil {
				return err
			}
			t.accessKeys[id] = true
		}
	}
	if lower(u.Name) == lower(newName) {
		return nil
	}
	if err := t.movePrefix(t.k.userKeyPrefix(u.Name), t.k.userKeyPrefix(newName)); err != nil {
		return err
	}
	if err := t.moveKey(t.k.userLogin(u.Name), t.k.userLogin(newName)); err != nil {
		return err
	}
	groups, err := listAll(t.tx, t.k.userGroupPrefix(u.Name))
	if err != nil {
		return err
	}
	for _, g := range groups {
		group := g.Key[len(t.k.userGroupPrefix(u.Name)):]
		if err := t.moveKey(t.k.groupUser(group, u.Name), t.k.groupUser(group, newName)); err != nil {
			return err
		}
	}
	if err := t.movePrefix(t.k.userGroupPrefix(u.Name), t.k.userGroupPrefix(newName)); err != nil {
		return err
	}
	return t.renameHeld(kindUser, u.Name, newName, u.Boundary)
}

// DeleteUser deletes a user that holds nothing, with IAM's DeleteConflict messages for what
// must go first (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html).
func (s *Service) DeleteUser(ctx context.Context, a Account, in *iamapi.DeleteUserInput) (*iamapi.DeleteUserOutput, error) {
	name := str(in.UserName)
	err := s.update(ctx, a, "DeleteUser", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if has, err := exists(t.tx, t.k.userLogin(name)); err != nil {
			return err
		} else if has {
			return deleteConflict("Cannot delete entity, must delete login profile first.")
		}
		if has, err := hasAny(t.tx, t.k.userKeyPrefix(name)); err != nil {
			return err
		} else if has {
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		}
		if has, err := hasMFA(t.tx, t.k, name); err != nil {
			return err
		} else if has {
			return deleteConflict("Cannot delete entity, must delete MFA device first.")
		}
		if err := userCredentialsConflict(t.tx, t.k, u.ID); err != nil {
			return err
		}
		if err := deleteHeldCheck(t.tx, t.k, kindUser, name); err != nil {
			return err
		}
		if has, err := hasAny(t.tx, t.k.userGroupPrefix(name)); err != nil {
			return err
		} else if has {
			// IAM says the same as DeleteGroup with members here.
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := t.setBoundary(kindUser, u.Name, u.Boundary, ""); err != nil {
			return err
		}
		if err := t.count(kindUser, -1, 0, ""); err != nil {
			return err
		}
		t.touchPrincipal(a.arn(kindUser, u.Path, u.Name))
		return t.deleteEntity(kindUser, u.Name, u.Path)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserOutput{}, nil
}

// ListUsers lists users under PathPrefix, without tags or boundaries as IAM does.
func (s *Service) ListUsers(ctx context.Context, a Account, in *iamapi.ListUsersInput) (*iamapi.ListUsersOutput, error) {
	out := &iamapi.ListUsersOutput{Users: []iamapi.User{}}
	tr, next, err := s.listByPath(ctx, a, kindUser, "ListUsers", in.PathPrefix, in.Marker, in.MaxItems, func(b []byte) error {
		var u userRecord
		if err := jsonUnmarshal(b, &u); err != nil {
			return err
		}
		uo := a.userOut(u, false)
		uo.PermissionsBoundary = nil
		out.Users = append(out.Users, uo)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

func (s *Service) TagUser(ctx context.Context, a Account, in *iamapi.TagUserInput) (*iamapi.TagUserOutput, error) {
	name := str(in.UserName)
	err := s.update(ctx, a, "TagUser", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if u.Tags, err = mergeTags(u.Tags, tagsIn(in.Tags), "TagsPerUser"); err != nil {
			return err
		}
		t.touchPrincipal(a.arn(kindUser, u.Path, u.Name))
		return putJSON(t.tx, t.k.entity(kindUser, name), u)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagUserOutput{}, nil
}

func (s *Service) UntagUser(ctx context.Context, a Account, in *iamapi.UntagUserInput) (*iamapi.UntagUserOutput, error) {
	name := str(in.UserName)
	err := s.update(ctx, a, "UntagUser", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		u.Tags = removeTags(u.Tags, in.TagKeys)
		t.touchPrincipal(a.arn(kindUser, u.Path, u.Name))
		return putJSON(t.tx, t.k.entity(kindUser, name), u)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagUserOutput{}, nil
}

func (s *Service) ListUserTags(ctx context.Context, a Account, in *iamapi.ListUserTagsInput) (*iamapi.ListUserTagsOutput, error) {
	var u userRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		u, err = getUser(tx, keysFor(a.ID), str(in.UserName))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags, tr, next, err := pageTags(a, "ListUserTags", u.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListUserTagsOutput{Tags: tags}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// pageTags pages a tag list in its stored order; the marker holds the index reached.
func pageTags(a Account, op string, tags []tagRecord, marker *string, maxItems *int32) ([]iamapi.Tag, bool, string, error) {
	k := keysFor(a.ID)
	pg, err := newPager(op, k.base(), marker, maxItems)
	if err != nil {
		return nil, false, "", err
	}
	keyAt := func(i int) string { return k.base() + "tags/" + zeroPad(i) }
	start, end, tr, next := pg.window(len(tags), keyAt)
	out := tagsOut(tags[start:end])
	if out == nil {
		out = []iamapi.Tag{}
	}
	return out, tr, next, nil
}

func zeroPad(i int) string {
	s := strings.Repeat("0", 6) + itoa(i)
	return s[len(s)-6:]
}

func (s *Service) PutUserPermissionsBoundary(ctx context.Context, a Account, in *iamapi.PutUserPermissionsBoundaryInput) (*iamapi.PutUserPermissionsBoundaryOutput, error) {
	name, boundary := str(in.UserName), str(in.PermissionsBoundary)
	if err := checkBoundaryARN(a, boundary); err != nil {
		return nil, err
	}
	err := s.update(ctx, a, "PutUserPermissionsBoundary", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if err := t.setBoundary(kindUser, u.Name, u.Boundary, boundary); err != nil {
			return err
		}
		u.Boundary = boundary
		t.touchPrincipal(a.arn(kindUser, u.Path, u.Name))
		return putJSON(t.tx, t.k.entity(kindUser, name), u)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.PutUserPermissionsBoundaryOutput{}, nil
}

func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, a Account, in *iamapi.DeleteUserPermissionsBoundaryInput) (*iamapi.DeleteUserPermissionsBoundaryOutput, error) {
	name := str(in.UserName)
	err := s.update(ctx, a, "DeleteUserPermissionsBoundary", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if err := t.setBoundary(kindUser, u.Name, u.Boundary, ""); err != nil {
			return err
		}
		u.Boundary = ""
		t.touchPrincipal(a.arn(kindUser, u.Path, u.Name))
		return putJSON(t.tx, t.k.entity(kindUser, name), u)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserPermissionsBoundaryOutput{}, nil
}
