package iam

import (
	"context"
	"strings"

	"gatehouse/internal/kv"
)

// RemoteChange brings this node's account generations up to date with a key that a
// kv.Watcher reports another node changed, and returns the accounts whose generation moved.
// Every mutating transaction writes its account's GenerationKey, so that key is the one
// signal that matters: policy sets, trust policies and read-cache entries are stamped with
// the generation they were read at and go stale on their own once Generation moves; the
// caller drops what is not stamped (the server's access-key cache) for the returned
// accounts. kv.Reset — the watcher could not name the keys (a range delete, or a log pruned
// past this node) — re-reads every account this node knows.
func (s *Service) RemoteChange(ctx context.Context, key string) []string {
	var accounts []string
	if key == kv.Reset {
		s.genMu.Lock()
		for acct := range s.gens {
			accounts = append(accounts, acct)
		}
		s.genMu.Unlock()
	} else if acct, ok := generationKeyAccount(key); ok {
		accounts = []string{acct}
	}
	moved := accounts[:0]
	for _, acct := range accounts {
		before := s.Generation(acct)
		g, err := s.StoredGeneration(ctx, acct)
		// A failed read counts as moved: dropping a cache entry is always safe.
		if err != nil || g != before {
			moved = append(moved, acct)
		}
	}
	return moved
}

// generationKeyAccount is GenerationKey's inverse.
func generationKeyAccount(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "a/")
	if !ok {
		return "", false
	}
	acct, tail, ok := strings.Cut(rest, "/")
	if !ok || GenerationKey(acct) != key || tail == "" {
		return "", false
	}
	return acct, true
}
