package iam

import (
	"context"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Access keys: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
// and the operations beside it. Without UserName, an operation acts on the caller's own keys
// ("If you do not specify a user name, IAM determines the user name implicitly based on the
// Amazon Web Services access key ID signing the request"), which for the root user are the
// account's root keys.

func accessKeyNotFound(id string) *awserr.Error {
	return noSuchEntity("The Access Key with id %s cannot be found.", id)
}

// keyOwner resolves the user an access-key operation acts on: the named user, or the caller.
// It returns the user's name as spelt, "" for root, and the user's record (nil for root).
func keyOwnerRecord(tx kv.Tx, a Account, name *string) (string, *userRecord, error) {
	if name == nil || *name == "" {
		p, ok := parsePrincipalARN(a.Caller)
		switch {
		case ok && p.Resource == "root":
			return "", nil, nil
		case ok && p.Resource == "user":
			name = &p.Name
		default:
			return "", nil, awserr.ValidationError("Must specify userName when calling with non-User credentials")
		}
	}
	u, err := getUser(tx, keysFor(a.ID), *name)
	return u.Name, &u, err
}

func keyOwner(tx kv.Tx, a Account, name *string) (string, error) {
	owner, _, err := keyOwnerRecord(tx, a, name)
	return owner, err
}

// keyOwnerOf is keyOwner for UpdateAccessKey and DeleteAccessKey of key id. Without a
// UserName IAM acts on the caller's own keys, so the account root naming a user's key is
// NoSuchEntity; under Options.MotoLenient it is that user's key, as in moto server, whose
// update_access_key and delete_access_key look the owner up by the key when no UserName is
// given (moto/iam/responses.py) and whose tests call them so while signed with test keys.
func (s *Service) keyOwnerOf(tx kv.Tx, a Account, name *string, id string) (string, error) {
	owner, err := keyOwner(tx, a, name)
	if err != nil || owner != "" || !s.opt.MotoLenient {
		return owner, err
	}
	var rec accessKeyRecord
	found, err := getJSON(tx, accessKeyKey(id), &rec)
	if err != nil {
		return "", err
	}
	if found && rec.Account == a.ID {
		return rec.User, nil
	}
	return owner, nil
}

// ownedKey reads an access key that must belong to owner ("" = root) in the account.
func ownedKey(tx kv.Tx, a Account, owner, id string) (accessKeyRecord, error) {
	var rec accessKeyRecord
	found, err := getJSON(tx, accessKeyKey(id), &rec)
	if err != nil {
		return rec, err
	}
	if !found || rec.Account != a.ID || lower(rec.User) != lower(owner) {
		return rec, accessKeyNotFound(id)
	}
	return rec, nil
}

// CreateAccessKey creates an Active key; the secret is in this response only and is stored
// sealed. A user has at most 2 keys.
func (s *Service) CreateAccessKey(ctx context.Context, a Account, in *iamapi.CreateAccessKeyInput) (*iamapi.CreateAccessKeyOutput, error) {
	var rec accessKeyRecord
	var secret string
	err := s.update(ctx, a, "CreateAccessKey", func() string { return "user/" + str(in.UserName) }, func(t *txn) error {
		owner, u, err := keyOwnerRecord(t.tx, a, in.UserName)
		if err != nil {
			return err
		}
		have, err := listAll(t.tx, t.k.userKeyPrefix(owner))
		if err != nil {
			return err
		}
		if len(have) >= maxAccessKeys {
			return quota("AccessKeysPerUser", maxAccessKeys)
		}
		rec, secret, err = t.newAccessKey(u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateAccessKeyOutput{AccessKey: iamapi.AccessKey{UserName: rec.User, AccessKeyId: rec.ID,
		Status: iamapi.StatusTypeActive, SecretAccessKey: secret, CreateDate: timePtr(rec.Created)}}, nil
}

func (s *Service) UpdateAccessKey(ctx context.Context, a Account, in *iamapi.UpdateAccessKeyInput) (*iamapi.UpdateAccessKeyOutput, error) {
	id := str(in.AccessKeyId)
	if in.Status != iamapi.StatusTypeActive && in.Status != iamapi.StatusTypeInactive {
		// IAM quotes no value in validation errors (constraint.IAM).
		return nil, awserr.ValidationError("1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")
	}
	err := s.update(ctx, a, "UpdateAccessKey", func() string { return "accesskey/" + id }, func(t *txn) error {
		owner, err := s.keyOwnerOf(t.tx, a, in.UserName, id)
		if err != nil {
			return err
		}
		rec, err := ownedKey(t.tx, a, owner, id)
		if err != nil {
			return err
		}
		rec.Status = string(in.Status)
		t.accessKeys[id] = true
		return putJSON(t.tx, accessKeyKey(id), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAccessKeyOutput{}, nil
}

func (s *Service) DeleteAccessKey(ctx context.Context, a Account, in *iamapi.DeleteAccessKeyInput) (*iamapi.DeleteAccessKeyOutput, error) {
	id := str(in.AccessKeyId)
	err := s.update(ctx, a, "DeleteAccessKey", func() string { return "accesskey/" + id }, func(t *txn) error {
		owner, err := s.keyOwnerOf(t.tx, a, in.UserName, id)
		if err != nil {
			return err
		}
		if _, err := ownedKey(t.tx, a, owner, id); err != nil {
			return err
		}
		if err := t.tx.Delete(t.k.userKey(owner, id)); err != nil {
			return err
		}
		t.accessKeys[id] = true
		return t.tx.Delete(accessKeyKey(id))
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteAccessKeyOutput{}, nil
}

// ListAccessKeys lists a user's keys without their secrets.
func (s *Service) ListAccessKeys(ctx context.Context, a Account, in *iamapi.ListAccessKeysInput) (*iamapi.ListAccessKeysOutput, error) {
	k := keysFor(a.ID)
	pg, err := newPager("ListAccessKeys", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListAccessKeysOutput{AccessKeyMetadata: []iamapi.AccessKeyMetadata{}}
	err = s.view(ctx, func(tx kv.Tx) error {
		owner, err := keyOwner(tx, a, in.UserName)
		if err != nil {
			return err
		}
		ps, tr, next, err := pg.list(tx, k.userKeyPrefix(owner))
		if err != nil {
			return err
		}
		for _, p := range ps {
			var rec accessKeyRecord
			found, err := getJSON(tx, accessKeyKey(p.Key[len(k.userKeyPrefix(owner)):]), &rec)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			md := iamapi.AccessKeyMetadata{AccessKeyId: ptr(rec.ID), Status: iamapi.StatusType(rec.Status), CreateDate: timePtr(rec.Created)}
			if rec.User != "" {
				md.UserName = ptr(rec.User)
			}
			out.AccessKeyMetadata = append(out.AccessKeyMetadata, md)
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lastUsedDenied is IAM's answer to GetAccessKeyLastUsed for a key the caller's account does
// not own, whether it exists elsewhere or not at all: AccessDenied (403) naming the key, not
// NoSuchEntity, so the call cannot probe for keys (recorded against AWS in LocalStack's
// test_access_key_errors; the resource is "access key ID", not an ARN).
func lastUsedDenied(a Account, id string) *awserr.Error {
	caller := a.Caller
	if caller == "" {
		caller = arnOf(a.partition(), a.ID, "root", "", "")
	}
	return awserr.AccessDenied("User: " + caller + " is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key " + id)
}

// GetAccessKeyLastUsed reports a key's last use: "N/A" for service and region when it was
// never used, as IAM does. Uses noted on this node and not yet flushed count.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, a Account, in *iamapi.GetAccessKeyLastUsedInput) (*iamapi.GetAccessKeyLastUsedOutput, error) {
	id := str(in.AccessKeyId)
	var rec accessKeyRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		found, err := getJSON(tx, accessKeyKey(id), &rec)
		if err != nil {
			return err
		}
		if !found || rec.Account != a.ID {
			return lastUsedDenied(a, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if u, ok := s.pendingUse(id); ok && (rec.LastUsed == nil || u.Time.After(*rec.LastUsed)) {
		t := u.Time
		rec.LastUsed, rec.LastService, rec.LastRegion = &t, u.Service, u.Region
	}
	lu := &iamapi.AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}
	if rec.LastUsed != nil {
		lu = &iamapi.AccessKeyLastUsed{LastUsedDate: rec.LastUsed, ServiceName: rec.LastService, Region: rec.LastRegion}
	}
	out := &iamapi.GetAccessKeyLastUsedOutput{AccessKeyLastUsed: lu}
	if rec.User != "" {
		out.UserName = ptr(rec.User)
	}
	return out, nil
}
