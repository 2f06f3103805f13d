// Package kv owns the storage contract that Gatehouse's domains (iam, sts, ec2) write to: an
// ordered, transactional key-value space. It follows HashiCorp Vault's physical backend: a
// small contract, optional powers as separate interfaces, and one conformance suite
// (internal/store/storetest) that every backend passes. Keys are UTF-8 strings compared
// bytewise; values are opaque bytes the domain encodes. Backends live in internal/store.
package kv

import (
	"context"
	"errors"
	"unicode/utf8"
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
	// DeleteKeys removes those of keys that exist, as Delete would one by one, and returns
	// how many it removed; a key given twice counts once. Every key must be valid, or
	// nothing is removed. A backend deletes them in a few statements rather than one per key
	// (an emulator reset removes the access-key record of every user of an account). It
	// fails in a View transaction.
	DeleteKeys(keys []string) (int, error)
	// DeleteRange removes every key k with start <= k < end, in bytewise order, and returns
	// how many keys it removed; "" as end means no upper bound, and an end <= start removes
	// nothing. The bounds need not be keys, but must be valid UTF-8 without NUL, as List's.
	// It is one statement however many keys the range holds, so clearing a whole subtree
	// (an emulator reset) does not cost a round trip per key. It fails in a View
	// transaction. A Watcher reports a range delete that removed keys as Reset, not key by
	// key: listing them would cost what the range delete saves.
	DeleteRange(start, end string) (int, error)
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
	// Changes returns a channel of changed keys; it closes when ctx ends. Reset on the
	// channel means that any key may have changed: a cache drops everything.
	Changes(ctx context.Context) <-chan string
}

// Reset is what a Watcher sends instead of a key when it cannot name the keys that changed:
// a range was deleted (Tx.DeleteRange), or the watcher may have missed changes. It is the
// empty string, which is never a key.
const Reset = ""

// PrefixEnd returns the least string greater than every string that starts with prefix, and
// false when there is none (an empty prefix, or one of only U+10FFFF): DeleteRange(prefix,
// end) then removes exactly the keys with that prefix. It increments the last code point
// rather than the last byte so that the bound stays valid UTF-8, which PostgreSQL requires
// of text; UTF-8 byte order is code point order, so the bound is exact.
func PrefixEnd(prefix string) (string, bool) {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		if r == utf8.MaxRune {
			continue // nothing follows U+10FFFF at this position; carry into the one before
		}
		r++
		if r == 0xD800 { // surrogates are not valid UTF-8; no key holds them
			r = 0xE000
		}
		return prefix + string(r), true
	}
	return "", false
}
