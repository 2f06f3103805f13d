package iam

import (
	"context"
	"strings"

	"gatehouse/internal/kv"
)

// Reset empties an account — users, groups, roles, policies, instance profiles, keys,
// passwords, alias, password policy — and keeps the account itself, its root access keys and
// its audit trail. It is emulator mode's /moto-api/reset: test suites start each test from a
// clean account while the credentials file written at first start keeps working. Every
// principal of the account changes, so the Change it reports names none and a server drops
// the whole account (its generation moves); it names the access keys that went, so the
// server's key cache drops them at once.
//
// The account's own keys go in two range deletes (kv.Tx.DeleteRange) — everything under
// a/<acct>/ but the root's user-key index — rather than one Delete per key: a reset between
// every test of a suite must stay cheap however much the test created, and the values are
// never read. What lives outside the prefix is found through the account's indexes: the
// global records of the users' access keys (accesskey/<AKID>, removed together with one
// kv.Tx.DeleteKeys) and the delegation requests the account made. It is one transaction,
// so a crash leaves the account whole or reset.
func (s *Service) Reset(ctx context.Context, accountID string) error {
	a := Account{ID: accountID, Caller: "gatehouse:reset"}
	return s.update(ctx, a, "Reset", func() string { return "account/" + accountID }, func(t *txn) error {
		// The state is read before the range delete below takes its key with it: finish
		// writes it back with the generation bumped, and the entity counts are gone.
		st, err := t.state()
		if err != nil {
			return err
		}
		st.Counts = nil

		dels, err := listAll(t.tx, t.k.delegationIndexPrefix())
		if err != nil {
			return err
		}
		for _, p := range dels {
			if err := t.resetDelegation(p.Key[len(t.k.delegationIndexPrefix()):]); err != nil {
				return err
			}
		}
		base := t.k.base()
		rootKeys := t.k.userKeyPrefix("")
		userKeys, err := listAll(t.tx, base+"user-key/")
		if err != nil {
			return err
		}
		records := make([]string, 0, len(userKeys))
		for _, p := range userKeys {
			if strings.HasPrefix(p.Key, rootKeys) {
				continue
			}
			id := p.Key[strings.LastIndexByte(p.Key, '/')+1:]
			t.accessKeys[id] = true
			records = append(records, accessKeyKey(id))
		}
		if _, err := t.tx.DeleteKeys(records); err != nil {
			return err
		}

		rootEnd, _ := kv.PrefixEnd(rootKeys)
		baseEnd, _ := kv.PrefixEnd(base)
		if _, err := t.tx.DeleteRange(base, rootKeys); err != nil {
			return err
		}
		if _, err := t.tx.DeleteRange(rootEnd, baseEnd); err != nil {
			return err
		}

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
