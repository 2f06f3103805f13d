package iam

import (
	"context"
	"strings"
)

// Reset empties an account — users, groups, roles, policies, instance profiles, keys,
// passwords, alias, password policy — and keeps the account itself, its root access keys and
// its audit trail. It is emulator mode's /moto-api/reset: test suites start each test from a
// clean account while the credentials file written at first start keeps working. Every
// principal of the account changes, so the Change it reports names none and a server drops
// the whole account (its generation moves).
func (s *Service) Reset(ctx context.Context, accountID string) error {
	a := Account{ID: accountID, Caller: "gatehouse:reset"}
	return s.update(ctx, a, "Reset", func() string { return "account/" + accountID }, func(t *txn) error {
		base := t.k.base()
		rootKeys := t.k.userKeyPrefix("")
		ps, err := listAll(t.tx, base)
		if err != nil {
			return err
		}
		for _, p := range ps {
			switch {
			case p.Key == t.k.state() || strings.HasPrefix(p.Key, rootKeys):
				continue
			case strings.HasPrefix(p.Key, base+"delegation/"):
				if err := t.resetDelegation(p.Key[len(base+"delegation/"):]); err != nil {
					return err
				}
			case strings.HasPrefix(p.Key, base+"user-key/"):
				id := p.Key[strings.LastIndexByte(p.Key, '/')+1:]
				t.accessKeys[id] = true
				if err := t.tx.Delete(accessKeyKey(id)); err != nil {
					return err
				}
			}
			if err := t.tx.Delete(p.Key); err != nil {
				return err
			}
		}
		st, err := t.state()
		if err != nil {
			return err
		}
		st.Counts = nil // written by finish with the new generation
		var acct accountRecord
		if found, err := getJSON(t.tx, accountKey(accountID), &acct); err != nil || !found {
			return err
		}
		if acct.Alias != "" {
			if err := t.tx.Delete(aliasKey(acct.Alias)); err != nil {
				return err
			}
			acct.Alias = ""
			return putJSON(t.tx, accountKey(accountID), acct)
		}
		return nil
	})
}
