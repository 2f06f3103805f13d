package cli

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A node must open the store with the store's master key: one that has none, or another,
// refuses to start with a message naming the master key, and writes no key file of its own
// over a store that holds secrets.
func TestServeRefusesAnotherMasterKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := serveFlags{data: dir, region: "us-east-1", mode: "production", enforce: "strict"}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openState(ctx, f, logger)
	if err != nil {
		t.Fatal(err)
	}
	st.close()
	keyFile := filepath.Join(dir, "master.key")
	saved, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	// The key file lost: no new key is made up.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := openState(ctx, f, logger); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("no master key over a sealed store: got %v, want an error naming the master key", err)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("a new master.key was written over a sealed store (stat: %v)", err)
	}

	// Another key in the environment.
	defer func(g func(string) string) { osGetenv = g }(osGetenv)
	other := hex.EncodeToString(make([]byte, 32))
	osGetenv = func(k string) string {
		if k == "GATEHOUSE_MASTER_KEY" {
			return other
		}
		return ""
	}
	if _, err := openState(ctx, f, logger); err == nil || !strings.Contains(err.Error(), "same key") {
		t.Fatalf("another master key: got %v, want an error asking for the same key", err)
	}

	// The store's key, from the environment, opens it.
	osGetenv = func(k string) string {
		if k == "GATEHOUSE_MASTER_KEY" {
			return string(saved)
		}
		return ""
	}
	st, err = openState(ctx, f, logger)
	if err != nil {
		t.Fatalf("the store's master key from GATEHOUSE_MASTER_KEY: %v", err)
	}
	st.close()
}
