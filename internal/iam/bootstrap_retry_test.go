package iam

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gatehouse/internal/kv"
	"gatehouse/internal/store"
)

// retryingStore runs an Update's fn, throws the result away once as PostgreSQL does on a
// serialization failure — after a rival node committed its own first start — and runs fn
// again, as store.Postgres does.
type retryingStore struct {
	kv.Store
	rival func(kv.Tx) error
	done  bool
}

var errSerialization = errors.New("could not serialize access")

func (s *retryingStore) Update(ctx context.Context, fn func(kv.Tx) error) error {
	if !s.done {
		s.done = true
		err := s.Store.Update(ctx, func(tx kv.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errSerialization // roll back what fn did
		})
		if !errors.Is(err, errSerialization) {
			return err
		}
		if err := s.Store.Update(ctx, s.rival); err != nil {
			return err
		}
	}
	return s.Store.Update(ctx, fn)
}

// Two nodes start at once on an empty store: the one whose first start is rolled back and
// retried finds the other's account instead of creating a second one with the ID it drew
// the first time.
func TestBootstrapRetryFindsRivalsAccount(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "g.db"), store.Options{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const rivalAccount = "210987654321"
	rs := &retryingStore{Store: st, rival: func(tx kv.Tx) error {
		return putJSON(tx, accountKey(rivalAccount), accountRecord{ID: rivalAccount, Partition: "aws"})
	}}
	svc, err := New(Options{Store: rs, Sealer: newGCMSealer(t), Rand: rand.NewChaCha8([32]byte{7})})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Bootstrap(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Created || b.Account != rivalAccount {
		t.Fatalf("Bootstrap after a retry: account %s (created %v), want the rival's %s, not created", b.Account, b.Created, rivalAccount)
	}
	accts, err := svc.Accounts(context.Background())
	if err != nil || len(accts) != 1 {
		t.Fatalf("accounts %v (%v), want just %s", accts, err, rivalAccount)
	}
}
