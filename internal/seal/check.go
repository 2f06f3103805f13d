package seal

import (
	"context"
	"errors"
	"fmt"

	"gatehouse/internal/kv"
)

// CheckKey is where the store keeps a short record sealed under the master key of the node
// that first started on it, so that every later node — on the same machine or, with a
// shared PostgreSQL store, on another — learns at startup whether its master key is the
// store's, before it seals anything under a wrong one or fails on the first secret it opens.
const CheckKey = "seal/check"

// labelCheck separates the check record from every other kind of ciphertext.
const labelCheck = "gatehouse/seal/check/v1\x00"

// checkPlaintext is what the check record seals; it is not a secret.
var checkPlaintext = []byte("gatehouse master key")

// ErrWrongMasterKey is VerifyMasterKey's answer when the store's secrets were sealed under
// another master key.
var ErrWrongMasterKey = errors.New("seal: this master key is not the one the store's secrets are sealed under")

// StoreSealed reports whether the store holds anything sealed under a master key (the check
// record or the session keyring): then a node that has no master key must be given the
// store's, and must not make up a new one that opens nothing.
func StoreSealed(ctx context.Context, st kv.Store) (bool, error) {
	sealed := false
	err := st.View(ctx, func(tx kv.Tx) error {
		sealed = false
		for _, k := range []string{CheckKey, StoreKey} {
			_, err := tx.Get(k)
			if err == nil {
				sealed = true
				return nil
			}
			if !errors.Is(err, kv.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	return sealed, err
}

// VerifyMasterKey checks s's master key against the store's check record, and writes the
// record when there is none: in one Update, so that of nodes starting at once with
// different keys on an empty store, exactly one key wins and the others get
// ErrWrongMasterKey. A store written before the check record existed is checked against its
// session keyring instead, when it has one.
func VerifyMasterKey(ctx context.Context, st kv.Store, s *Sealer) error {
	return st.Update(ctx, func(tx kv.Tx) error {
		b, err := tx.Get(CheckKey)
		switch {
		case err == nil:
			if _, err := s.open(labelCheck, b, nil); err != nil {
				return ErrWrongMasterKey
			}
			return nil
		case !errors.Is(err, kv.ErrNotFound):
			return err
		}
		if b, err := tx.Get(StoreKey); err == nil {
			if _, err := s.open(labelKeyring, b, nil); err != nil {
				return ErrWrongMasterKey
			}
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		rec, err := s.seal(labelCheck, checkPlaintext, nil)
		if err != nil {
			return err
		}
		if err := tx.Put(CheckKey, rec); err != nil {
			return fmt.Errorf("seal: writing the master key check: %w", err)
		}
		return nil
	})
}
