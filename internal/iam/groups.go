package iam

import (
	"context"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Groups and membership: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateGroup.html
// and the operations beside it.

func groupNotFound(name string) *awserr.Error {
	return noSuchEntity("The group with name %s cannot be found.", name)
}

func getGroup(tx kv.Tx, k keys, name string) (groupRecord, error) {
	var g groupRecord
	found, err := getJSON(tx, k.entity(kindGroup, name), &g)
	if err != nil {
		return g, err
	}
	if !found {
		return g, groupNotFound(name)
	}
	return g, nil
}

func (s *Service) CreateGroup(ctx context.Context, a Account, in *iamapi.CreateGroupInput) (*iamapi.CreateGroupOutput, error) {
	name, path := str(in.GroupName), pathOr(in.Path)
	if err := s.checkPath("path", path, &rulePath); err != nil {
		return nil, err
	}
	var out groupRecord
	err := s.update(ctx, a, "CreateGroup", func() string { return "group/" + name }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.entity(kindGroup, name)); err != nil {
			return err
		} else if found {
			return entityAlreadyExists("Group with name %s already exists.", name)
		}
		if err := t.count(kindGroup, 1, s.opt.Quotas.Groups, "GroupsPerAccount"); err != nil {
			return err
		}
		id, err := newUniqueID(s.opt.Rand, prefixGroup)
		if err != nil {
			return err
		}
		out = groupRecord{Name: name, Path: path, ID: id, Created: t.now}
		return t.putEntity(kindGroup, name, path, out)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateGroupOutput{Group: a.groupOut(out)}, nil
}

// GetGroup returns a group and one page of its members, sorted by name.
func (s *Service) GetGroup(ctx context.Context, a Account, in *iamapi.GetGroupInput) (*iamapi.GetGroupOutput, error) {
	name := str(in.GroupName)
	k := keysFor(a.ID)
	pg, err := newPager("GetGroup", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetGroupOutput{Users: []iamapi.User{}}
	err = s.view(ctx, func(tx kv.Tx) error {
		g, err := getGroup(tx, k, name)
		if err != nil {
			return err
		}
		out.Group = a.groupOut(g)
		ps, tr, next, err := pg.list(tx, k.groupUserPrefix(name))
		if err != nil {
			return err
		}
		for _, p := range ps {
			var u userRecord
			found, err := getJSON(tx, k.entity(kindUser, p.Key[len(k.groupUserPrefix(name)):]), &u)
			if err != nil {
				return err
			}
			if found {
				uo := a.userOut(u, false)
				uo.PermissionsBoundary = nil
				out.Users = append(out.Users, uo)
			}
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateGroup renames a group or changes its path; memberships, inline and attached
// policies move with it.
func (s *Service) UpdateGroup(ctx context.Context, a Account, in *iamapi.UpdateGroupInput) (*iamapi.UpdateGroupOutput, error) {
	name := str(in.GroupName)
	err := s.update(ctx, a, "UpdateGroup", func() string { return "group/" + name }, func(t *txn) error {
		g, err := getGroup(t.tx, t.k, name)
		if err != nil {
			return err
		}
		newName, newPath := g.Name, g.Path
		if in.NewGroupName != nil {
			newName = *in.NewGroupName
		}
		if in.NewPath != nil {
			newPath = *in.NewPath
		}
		if lower(newName) != lower(g.Name) {
			if found, err := exists(t.tx, t.k.entity(kindGroup, newName)); err != nil {
				return err
			} else if found {
				return entityAlreadyExists("Group with name %s already exists.", newName)
			}
			members, err := listAll(t.tx, t.k.groupUserPrefix(g.Name))
			if err != nil {
				return err
			}
			for _, m := range members {
				user := m.Key[len(t.k.groupUserPrefix(g.Name)):]
				if err := t.moveKey(t.k.userGroup(user, g.Name), t.k.userGroup(user, newName)); err != nil {
					return err
				}
			}
			if err := t.movePrefix(t.k.groupUserPrefix(g.Name), t.k.groupUserPrefix(newName)); err != nil {
				return err
			}
			if err := t.renameHeld(kindGroup, g.Name, newName, ""); err != nil {
				return err
			}
		}
		if err := t.deleteEntity(kindGroup, g.Name, g.Path); err != nil {
			return err
		}
		g.Name, g.Path = newName, newPath
		t.touchGroup(newName)
		return t.putEntity(kindGroup, g.Name, g.Path, g)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateGroupOutput{}, nil
}

func (s *Service) DeleteGroup(ctx context.Context, a Account, in *iamapi.DeleteGroupInput) (*iamapi.DeleteGroupOutput, error) {
	name := str(in.GroupName)
	err := s.update(ctx, a, "DeleteGroup", func() string { return "group/" + name }, func(t *txn) error {
		g, err := getGroup(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if has, err := hasAny(t.tx, t.k.groupUserPrefix(name)); err != nil {
			return err
		} else if has {
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := deleteHeldCheck(t.tx, t.k, kindGroup, name); err != nil {
			return err
		}
		if err := t.count(kindGroup, -1, 0, ""); err != nil {
			return err
		}
		return t.deleteEntity(kindGroup, g.Name, g.Path)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteGroupOutput{}, nil
}

func (s *Service) ListGroups(ctx context.Context, a Account, in *iamapi.ListGroupsInput) (*iamapi.ListGroupsOutput, error) {
	out := &iamapi.ListGroupsOutput{Groups: []iamapi.Group{}}
	tr, next, err := s.listByPath(ctx, a, kindGroup, "ListGroups", in.PathPrefix, in.Marker, in.MaxItems, func(b []byte) error {
		var g groupRecord
		if err := jsonUnmarshal(b, &g); err != nil {
			return err
		}
		out.Groups = append(out.Groups, a.groupOut(g))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// AddUserToGroup adds a member; adding one already there changes nothing, as in IAM. A user
// is in at most 10 groups.
func (s *Service) AddUserToGroup(ctx context.Context, a Account, in *iamapi.AddUserToGroupInput) (*iamapi.AddUserToGroupOutput, error) {
	group, user := str(in.GroupName), str(in.UserName)
	err := s.update(ctx, a, "AddUserToGroup", func() string { return "group/" + group + " user/" + user }, func(t *txn) error {
		if _, err := getGroup(t.tx, t.k, group); err != nil {
			return err
		}
		u, err := getUser(t.tx, t.k, user)
		if err != nil {
			return err
		}
		if in, err := exists(t.tx, t.k.userGroup(user, group)); err != nil || in {
			return err
		}
		have, err := listAll(t.tx, t.k.userGroupPrefix(user))
		if err != nil {
			return err
		}
		if len(have) >= maxGroupsPerUser {
			return quota("GroupsPerUser", maxGroupsPerUser)
		}
		if err := t.tx.Put(t.k.userGroup(user, group), nil); err != nil {
			return err
		}
		t.touchPrincipal(a.arn(kindUser, u.Path, u.Name))
		return t.tx.Put(t.k.groupUser(group, user), nil)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddUserToGroupOutput{}, nil
}

func (s *Service) RemoveUserFromGroup(ctx context.Context, a Account, in *iamapi.RemoveUserFromGroupInput) (*iamapi.RemoveUserFromGroupOutput, error) {
	group, user := str(in.GroupName), str(in.UserName)
	err := s.update(ctx, a, "RemoveUserFromGroup", func() string { return "group/" + group + " user/" + user }, func(t *txn) error {
		// IAM looks the user up before the group: with neither present it names the user
		// (recorded against AWS in LocalStack's test_remove_user_from_unknown_group).
		u, err := getUser(t.tx, t.k, user)
		if err != nil {
			return err
		}
		if _, err := getGroup(t.tx, t.k, group); err != nil {
			return err
		}
		// Removing a user that is not a member succeeds and changes nothing, as in IAM.
		if member, err := exists(t.tx, t.k.userGroup(user, group)); err != nil || !member {
			return err
		}
		if err := t.tx.Delete(t.k.userGroup(user, group)); err != nil {
			return err
		}
		t.touchPrincipal(a.arn(kindUser, u.Path, u.Name))
		return t.tx.Delete(t.k.groupUser(group, user))
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveUserFromGroupOutput{}, nil
}

func (s *Service) ListGroupsForUser(ctx context.Context, a Account, in *iamapi.ListGroupsForUserInput) (*iamapi.ListGroupsForUserOutput, error) {
	user := str(in.UserName)
	k := keysFor(a.ID)
	pg, err := newPager("ListGroupsForUser", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListGroupsForUserOutput{Groups: []iamapi.Group{}}
	err = s.view(ctx, func(tx kv.Tx) error {
		if _, err := getUser(tx, k, user); err != nil {
			return err
		}
		ps, tr, next, err := pg.list(tx, k.userGroupPrefix(user))
		if err != nil {
			return err
		}
		for _, p := range ps {
			var g groupRecord
			found, err := getJSON(tx, k.entity(kindGroup, p.Key[len(k.userGroupPrefix(user)):]), &g)
			if err != nil {
				return err
			}
			if found {
				out.Groups = append(out.Groups, a.groupOut(g))
			}
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
