package seal

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/internal/kv"
	"gatehouse/internal/store"
)

func openTestStore(t *testing.T) kv.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "g.db"), store.Options{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// The first node's master key becomes the store's; a node with another key is refused, one
// with the same key accepted, whichever starts first.
func TestVerifyMasterKey(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	if sealed, err := StoreSealed(ctx, st); err != nil || sealed {
		t.Fatalf("an empty store: StoreSealed = %v, %v; want false", sealed, err)
	}
	a, b := newSealer(t, testKey(1)), newSealer(t, testKey(2))
	if err := VerifyMasterKey(ctx, st, a); err != nil {
		t.Fatalf("first key on an empty store: %v", err)
	}
	if sealed, err := StoreSealed(ctx, st); err != nil || !sealed {
		t.Fatalf("after the check record: StoreSealed = %v, %v; want true", sealed, err)
	}
	if err := VerifyMasterKey(ctx, st, a); err != nil {
		t.Fatalf("the same key again: %v", err)
	}
	if err := VerifyMasterKey(ctx, st, b); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("another key: got %v, want ErrWrongMasterKey", err)
	}
}

// A store written before the check record existed has a keyring: the key is checked
// against it, and the record is written only for the right key.
func TestVerifyMasterKeyAgainstKeyring(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	a, b := newSealer(t, testKey(1)), newSealer(t, testKey(2))
	if _, err := Maintain(ctx, st, a, rand.Reader, time.Now, Rotation{}); err != nil {
		t.Fatal(err)
	}
	if sealed, err := StoreSealed(ctx, st); err != nil || !sealed {
		t.Fatalf("a store with a keyring: StoreSealed = %v, %v; want true", sealed, err)
	}
	if err := VerifyMasterKey(ctx, st, b); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("another key than the keyring's: got %v, want ErrWrongMasterKey", err)
	}
	err := st.View(ctx, func(tx kv.Tx) error { _, err := tx.Get(CheckKey); return err })
	if !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("a wrong key wrote the check record: %v", err)
	}
	if err := VerifyMasterKey(ctx, st, a); err != nil {
		t.Fatalf("the keyring's key: %v", err)
	}
	if err := VerifyMasterKey(ctx, st, b); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("another key after the record: got %v, want ErrWrongMasterKey", err)
	}
}
