package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/internal/kv"
	"gatehouse/internal/seal"
	"gatehouse/internal/sts"
)

// Another node rotating the session keyring reaches this node through the change log: it
// seals new sessions under the new key within the poll interval, without waiting for a
// token under the new key to fail here first.
func TestOtherNodesKeyringRotationReachesNode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := serveFlags{data: dir, region: "us-east-1", mode: "production", enforce: "strict"}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	node := func() *state {
		st, err := openState(ctx, f, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.close)
		return st
	}
	n1, n2 := node(), node()
	master, err := seal.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(master, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var before *seal.Keyring
	err = n1.store.View(ctx, func(tx kv.Tx) error {
		before, err = seal.LoadKeyring(tx, sealer, rand.Reader, time.Now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Node 1's hourly maintenance finds the key a day old and rotates.
	later := func() time.Time { return time.Now().Add(25 * time.Hour) }
	if _, err := seal.Maintain(ctx, n1.store, sealer, rand.Reader, later,
		seal.Rotation{Every: 24 * time.Hour, MaxTokenLifetime: sts.MaxTokenLifetime}); err != nil {
		t.Fatal(err)
	}
	// A node that holds only the keyring from before the rotation, and never reloads.
	stale, err := sts.New(sts.Options{Keyring: before, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		rec, err := n2.sts.SealRecord([]byte("r"), []byte("ad"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = stale.OpenRecord(ctx, rec, []byte("ad"))
		if errors.Is(err, sts.ErrInvalidRecord) {
			return // node 2 seals under a key made after before: the rotated one
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("node 2 still seals under the keyring from before node 1 rotated")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
