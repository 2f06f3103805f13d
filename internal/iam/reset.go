package iam

import (
	"context"
	"fmt"
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
	a := Account{ID: accountID, Caller: resetCaller}
	return s.update(ctx, a, "Reset", func() string { return "account/" + accountID }, (*txn).reset)
}

// resetCaller names the reset in the audit trail.
const resetCaller = "gatehouse:reset"

// ResetAll is Reset of every account in one transaction, as /moto-api/reset empties them
// all: a crash or failure leaves either every account reset or none, and the accounts are
// the ones that exist when it commits. Each account gets its own audit record, generation
// bump and Change.
func (s *Service) ResetAll(ctx context.Context) error {
	var changes []Change
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		changes = nil // fn may run again (PostgreSQL): never accumulate across runs
		accts, err := listAll(tx, accountPrefix)
		if err != nil {
			return err
		}
		for _, p := range accts {
			id := p.Key[len(accountPrefix):]
			t := s.newTxn(tx, Account{ID: id, Caller: resetCaller})
			if err := t.reset(); err != nil {
				return fmt.Errorf("resetting account %s: %w", id, err)
			}
			c, err := t.finish("Reset", "account/"+id)
			if err != nil {
				return fmt.Errorf("resetting account %s: %w", id, err)
			}
			changes = append(changes, c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes { // as update does after its commit
		s.noteGeneration(c.Account, c.Generation)
		if s.opt.OnChange != nil {
			s.opt.OnChange(c)
		}
	}
	return nil
}

// reset is Reset's body for t's account.
func (t *txn) reset() error {
	accountID := t.acct.ID
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
}
