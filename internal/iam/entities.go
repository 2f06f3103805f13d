package iam

import (
	"context"
	"errors"

	"gatehouse/internal/kv"
)

// What users, groups, roles, instance profiles and policies share: a record under its
// lower-cased name and a path index.

func (t *txn) putEntity(kind entityKind, name, path string, rec any) error {
	if err := putJSON(t.tx, t.k.entity(kind, name), rec); err != nil {
		return err
	}
	return t.tx.Put(t.k.pathIndex(kind, path, name), nil)
}

func (t *txn) deleteEntity(kind entityKind, name, path string) error {
	if err := t.tx.Delete(t.k.entity(kind, name)); err != nil {
		return err
	}
	return t.tx.Delete(t.k.pathIndex(kind, path, name))
}

// movePrefix moves every key under from to the same suffix under to.
func (t *txn) movePrefix(from, to string) error {
	if from == to {
		return nil
	}
	ps, err := listAll(t.tx, from)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := t.tx.Delete(p.Key); err != nil {
			return err
		}
		if err := t.tx.Put(to+p.Key[len(from):], p.Value); err != nil {
			return err
		}
	}
	return nil
}

// moveKey moves one key if it exists.
func (t *txn) moveKey(from, to string) error {
	if from == to {
		return nil
	}
	b, err := t.tx.Get(from)
	if err != nil {
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		return err
	}
	if err := t.tx.Delete(from); err != nil {
		return err
	}
	return t.tx.Put(to, b)
}

// renameHeld re-keys what a principal holds when its name changes: inline policies,
// attachments in both directions, and the boundary index.
func (t *txn) renameHeld(kind entityKind, oldName, newName, boundary string) error {
	if lower(oldName) == lower(newName) {
		return nil
	}
	if err := t.movePrefix(t.k.inlinePrefix(kind, oldName), t.k.inlinePrefix(kind, newName)); err != nil {
		return err
	}
	att, err := listAll(t.tx, t.k.attachedPrefix(kind, oldName))
	if err != nil {
		return err
	}
	for _, p := range att {
		ref, ok := parsePolicyRef(p.Key[len(t.k.attachedPrefix(kind, oldName)):])
		if !ok {
			continue
		}
		if err := t.moveKey(t.k.policyEntity(ref, kind, oldName), t.k.policyEntity(ref, kind, newName)); err != nil {
			return err
		}
	}
	if err := t.movePrefix(t.k.attachedPrefix(kind, oldName), t.k.attachedPrefix(kind, newName)); err != nil {
		return err
	}
	if boundary != "" {
		if ref, ok := refFromARN(t.acct, boundary); ok {
			if err := t.moveKey(t.k.policyBoundary(ref, kind, oldName), t.k.policyBoundary(ref, kind, newName)); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteHeldCheck returns DeleteConflict when a principal still has inline or attached
// policies, with IAM's messages.
func deleteHeldCheck(tx kv.Tx, k keys, kind entityKind, name string) error {
	if has, err := hasAny(tx, k.inlinePrefix(kind, name)); err != nil || has {
		if err != nil {
			return err
		}
		return deleteConflict("Cannot delete entity, must delete policies first.")
	}
	if has, err := hasAny(tx, k.attachedPrefix(kind, name)); err != nil || has {
		if err != nil {
			return err
		}
		return deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	return nil
}

// listByPath returns one page of a kind's records under pathPrefix; decode is called for
// each entity's record in path-then-name order.
func (s *Service) listByPath(ctx context.Context, a Account, kind entityKind, op string, pathPrefix, marker *string, maxItems *int32, decode func(b []byte) error) (truncated bool, next string, err error) {
	return s.listByPathTx(ctx, a, kind, op, pathPrefix, marker, maxItems, func(_ kv.Tx, b []byte) error { return decode(b) })
}

// listByPathTx is listByPath for a decode that reads more of the snapshot.
func (s *Service) listByPathTx(ctx context.Context, a Account, kind entityKind, op string, pathPrefix, marker *string, maxItems *int32, decode func(tx kv.Tx, b []byte) error) (truncated bool, next string, err error) {
	k := keysFor(a.ID)
	pg, err := newPager(op, k.base(), marker, maxItems)
	if err != nil {
		return false, "", err
	}
	pp, err := s.listPrefix(pathPrefix, &rulePathPrefix)
	if err != nil {
		return false, "", err
	}
	prefix := k.pathIndexPrefix(kind, pp)
	err = s.view(ctx, func(tx kv.Tx) error {
		ps, tr, nx, err := pg.list(tx, prefix)
		if err != nil {
			return err
		}
		truncated, next = tr, nx
		for _, p := range ps {
			b, err := tx.Get(k.entity(kind, nameFromPathIndex(p.Key)))
			if err != nil {
				return err
			}
			if err := decode(tx, b); err != nil {
				return err
			}
		}
		return nil
	})
	return truncated, next, err
}

// markerOut is the Marker of a List output: set only when truncated.
func markerOut(truncated bool, next string) (*bool, *string) {
	if !truncated {
		return ptr(false), nil
	}
	return ptr(true), ptr(next)
}
