package iam

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/store"
)

// manualClock stands still until told to move.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// GetUser's read cache: a change made on this node is visible to the very next call; one
// made by another node sharing the store is visible within the cache's second.
func TestGetUserReadCache(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"), store.Options{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := &manualClock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	node := func(seed byte) *Service {
		s, err := New(Options{Store: st, Sealer: newGCMSealer(t), ManagedPolicies: testManaged(), Now: clock.Now,
			Rand: rand.NewChaCha8([32]byte{seed})})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Bootstrap(ctx(), testAccount); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := node(1), node(2)
	name := "u"
	tags := func(s *Service) map[string]string {
		t.Helper()
		out, err := s.GetUser(ctx(), root(), &iamapi.GetUserInput{UserName: &name})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tg := range out.User.Tags {
			m[str(tg.Key)] = str(tg.Value)
		}
		return m
	}
	tag := func(s *Service, k, v string) {
		t.Helper()
		if _, err := s.TagUser(ctx(), root(), &iamapi.TagUserInput{UserName: &name, Tags: []iamapi.Tag{{Key: &k, Value: &v}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.CreateUser(ctx(), root(), &iamapi.CreateUserInput{UserName: &name}); err != nil {
		t.Fatal(err)
	}
	if got := tags(a); len(got) != 0 {
		t.Fatalf("new user: got tags %v, want none", got)
	}
	tag(a, "team", "blue")
	if got := tags(a); got["team"] != "blue" {
		t.Fatalf("after this node's TagUser: got %v, want team=blue at once", got)
	}
	tag(b, "cc", "42") // another node
	if got := tags(a); got["cc"] != "" {
		t.Fatalf("another node's change within the cache's second: got %v; the read did not come from the cache", got)
	}
	clock.Add(readCacheTTL)
	if got := tags(a); got["cc"] != "42" || got["team"] != "blue" {
		t.Fatalf("another node's change after a second: got %v, want team=blue and cc=42", got)
	}
	// Case does not split entries, and a delete on this node is seen at once.
	upper := "U"
	if _, err := a.GetUser(ctx(), root(), &iamapi.GetUserInput{UserName: &upper}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeleteUser(ctx(), root(), &iamapi.DeleteUserInput{UserName: &name}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"u", "U"} {
		_, err := a.GetUser(ctx(), root(), &iamapi.GetUserInput{UserName: &n})
		wantErr(t, err, "NoSuchEntity", "")
	}
}
