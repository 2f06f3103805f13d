package iam

import (
	"context"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// ChangePassword: an IAM user changes its own console password
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html). The user is
// the caller; the root user's password is not affected by this operation, so any other
// caller gets InvalidUserType. The edge has authorized iam:ChangePassword on the caller's own
// user ARN. The new password must satisfy the account's password policy, including
// PasswordReusePrevention ("prevents IAM users from reusing a specified number of previous
// passwords",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html);
// a successful change clears PasswordResetRequired.

// maxPasswordHistory is the largest PasswordReusePrevention IAM accepts (1–24).
const maxPasswordHistory = 24

func invalidUserType() *awserr.Error {
	return awserr.New(400, "InvalidUserType", "The request was rejected because the type of user for the transaction was incorrect.")
}

// wrongOldPassword is IAM's answer to a ChangePassword whose OldPassword does not match: the
// operation's only client error that concerns the caller rather than the new password.
func wrongOldPassword() *awserr.Error {
	return awserr.New(400, "InvalidUserType", "The old password is incorrect.")
}

// setHash makes hash the current password and remembers the one it replaces.
func (r *loginRecord) setHash(hash string, now time.Time) {
	if r.Hash != "" {
		r.History = append([]string{r.Hash}, r.History...)
		if len(r.History) > maxPasswordHistory {
			r.History = r.History[:maxPasswordHistory]
		}
	}
	r.Hash = hash
	r.Changed = &now
}

// changedAt is when the password was last set.
func (r loginRecord) changedAt() time.Time {
	if r.Changed != nil {
		return *r.Changed
	}
	return r.Created
}

func (s *Service) ChangePassword(ctx context.Context, a Account, in *iamapi.ChangePasswordInput) (*iamapi.ChangePasswordOutput, error) {
	p, ok := parsePrincipalARN(a.Caller)
	if !ok || p.Resource != "user" {
		return nil, invalidUserType()
	}
	name, oldPW, newPW := p.Name, str(in.OldPassword), str(in.NewPassword)
	k := keysFor(a.ID)
	// Read and check outside the transaction: Argon2id is deliberately slow. The update
	// below re-reads the record and refuses if it changed meanwhile.
	var rec loginRecord
	var pol passwordPolicy
	var hasPolicy bool
	err := s.view(ctx, func(tx kv.Tx) error {
		u, err := getUser(tx, k, name)
		if err != nil {
			return err
		}
		found, err := getJSON(tx, k.userLogin(name), &rec)
		if err != nil {
			return err
		}
		if !found {
			return loginNotFound(u.Name)
		}
		if hasPolicy, err = getJSON(tx, k.passwordPolicy(), &pol); err != nil {
			return err
		}
		return checkPassword(tx, k, newPW, s.opt.MotoLenient)
	})
	if err != nil {
		return nil, err
	}
	if !verifyHash(rec.Hash, oldPW) {
		return nil, wrongOldPassword()
	}
	if hasPolicy && pol.ReusePrevention > 0 {
		// The current password counts as one of the remembered ones.
		remembered := append([]string{rec.Hash}, rec.History...)
		for i, h := range remembered {
			if i >= pol.ReusePrevention {
				break
			}
			if verifyHash(h, newPW) {
				return nil, passwordViolation()
			}
		}
	}
	hash, err := s.hashPassword(newPW)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, a, "ChangePassword", func() string { return "user/" + name }, func(t *txn) error {
		var cur loginRecord
		found, err := getJSON(t.tx, t.k.userLogin(name), &cur)
		if err != nil {
			return err
		}
		if !found {
			return loginNotFound(name)
		}
		if cur.Hash != rec.Hash {
			return awserr.New(409, "EntityTemporarilyUnmodifiable", "Login Profile for User %s is being modified; try again.", name)
		}
		cur.setHash(hash, t.now)
		cur.ResetRequired = false
		return putJSON(t.tx, t.k.userLogin(name), cur)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ChangePasswordOutput{}, nil
}
