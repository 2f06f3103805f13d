// Package kv owns the storage contract that Gatehouse's domains (iam, sts, ec2) write to: an
// ordered, transactional key-value space. It follows HashiCorp Vault's physical backend: a
// small contract, optional powers as separate interfaces, and one conformance suite
// (internal/store/storetest) that every backend passes. Keys are UTF-8 strings compared
// bytewise; values are opaque bytes the domain encodes. Backends live in internal/store.
package kv

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Get for a key that does not exist.
var ErrNotFound = errors.New("kv: not found")

// Store is a transactional key-value space.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a serializable read-write transaction. It commits, durably,
	// when fn returns nil and rolls everything back when fn returns an error, which
	// Update then returns unchanged. A commit that returned nil survives a crash.
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is one transaction. A Tx must not be used after its function returns.
type Tx interface {
	// Get returns the value at key, or ErrNotFound.
	Get(key string) ([]byte, error)
	// Put creates or replaces the value at key. It fails in a View transaction.
	Put(key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key string) error
	// List returns up to limit pairs whose keys start with prefix and sort after the
	// key `after` (exclusive; "" starts at the beginning), in ascending key order.
	// limit <= 0 means no limit.
	List(prefix, after string, limit int) ([]Pair, error)
}

// Pair is one key and its value.
type Pair struct {
	Key   string
	Value []byte
}

// Watcher is an optional power: a backend shared by several nodes reports the keys others
// changed, so that caches (compiled policies) are invalidated within a second.
type Watcher interface {
	// Changes returns a channel of changed keys; it closes when ctx ends.
	Changes(ctx context.Context) <-chan string
}
