package iam

import (
	"strings"
	"sync"
	"time"
)

// userCache keeps recently read user records so that a steady stream of GetUser calls does
// not open a store transaction each time (a third of a signed GetUser's CPU). An entry
// serves while the account's generation on this node is the one read before the record was
// (every mutation on this node bumps it, so a change is visible to the next call), and for
// at most readCacheTTL, so that a change committed by another node sharing the store shows
// within a second, as DESIGN.md asks of every cache.
type userCache struct {
	mu sync.Mutex
	m  map[userCacheKey]userCacheEntry
}

type userCacheKey struct{ account, name string } // name lower-cased: IAM names ignore case

type userCacheEntry struct {
	rec  userRecord
	gen  uint64
	read time.Time
}

const (
	readCacheTTL = time.Second
	// readCacheMax bounds memory: past it the cache starts over rather than grow.
	readCacheMax = 50_000
)

func (c *userCache) get(account, name string, gen uint64, now time.Time) (userRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[userCacheKey{account, strings.ToLower(name)}]
	if !ok || e.gen != gen || now.Sub(e.read) >= readCacheTTL || now.Before(e.read) {
		return userRecord{}, false
	}
	return e.rec, true
}

func (c *userCache) put(account, name string, gen uint64, now time.Time, rec userRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= readCacheMax {
		c.m = make(map[userCacheKey]userCacheEntry)
	}
	c.m[userCacheKey{account, strings.ToLower(name)}] = userCacheEntry{rec: rec, gen: gen, read: now}
}
