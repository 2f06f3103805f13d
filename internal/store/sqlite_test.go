package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/kv"
	"gatehouse/internal/store/storetest"
)

func openSQLite(t *testing.T, path string) *SQLite {
	t.Helper()
	s, err := OpenSQLite(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	return s
}

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) kv.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	})
}

// Reopening runs the migrations again: they must find the schema current and change nothing.
func TestSQLiteReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	s := openSQLite(t, path)
	if err := s.Update(context.Background(), func(tx kv.Tx) error { return tx.Put("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s = openSQLite(t, path)
		var v []byte
		err := s.View(context.Background(), func(tx kv.Tx) error {
			var err error
			v, err = tx.Get("k")
			return err
		})
		if err != nil || string(v) != "v" {
			t.Fatalf("after reopen Get(k) = %q, %v; want v", v, err)
		}
		var n int
		if err := s.r.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		ms, _ := migrations()
		if n != len(ms) {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
		}
		if err := s.IntegrityCheck(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	s := openSQLite(t, path)
	if _, err := s.w.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := OpenSQLite(context.Background(), path, Options{}); err == nil {
		s.Close()
		t.Fatal("OpenSQLite accepted a database with a newer schema")
	}
}

func TestSQLiteSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	s := openSQLite(t, path)
	defer s.Close()
	if err := s.Update(context.Background(), func(tx kv.Tx) error { return tx.Put("k", nil) }); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600: it holds secrets", filepath.Base(f), fi.Mode().Perm())
		}
	}
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "5000",
	} {
		var got string
		if err := s.w.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	// List is an index range scan, never a full scan.
	var plan []string
	rows, err := s.r.Query("EXPLAIN QUERY PLAN "+s.s.list[0][1], "a/", "a0", -1)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	if len(plan) != 1 || !strings.Contains(plan[0], "SEARCH kv USING PRIMARY KEY (key>? AND key<?)") {
		t.Errorf("List's query plan = %q, want a primary key range search", plan)
	}
}

// Two processes on one file (here: two handles): each sees the keys the other changes.
func TestSQLiteWatcher(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	opts := Options{PollInterval: 20 * time.Millisecond}
	a, err := OpenSQLite(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSQLite(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	testWatcher(t, a, b)
}

// testWatcher: b watches; a writes and deletes keys and a range, then b writes one of its
// own, then a writes a marker. b's channel must carry a's keys in commit order (deleted
// ones only if they were there), a range delete that removed keys as Reset, and never b's own.
func testWatcher(t *testing.T, a, b interface {
	kv.Store
	kv.Watcher
}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	write := func(s kv.Store, fn func(kv.Tx) error) {
		t.Helper()
		if err := s.Update(context.Background(), fn); err != nil {
			t.Fatal(err)
		}
	}
	write(a, func(tx kv.Tx) error { return tx.Put("w/before", []byte("x")) }) // not reported
	ch := b.Changes(ctx)
	write(a, func(tx kv.Tx) error {
		if err := tx.Put("w/1", []byte("x")); err != nil {
			return err
		}
		return tx.Put("w/2", []byte("x"))
	})
	write(a, func(tx kv.Tx) error { return tx.Delete("w/1") })
	write(a, func(tx kv.Tx) error { return tx.Delete("w/never") })                                         // changes nothing
	write(a, func(tx kv.Tx) error { _, err := tx.DeleteRange("w/3", "w/9"); return err })                  // nothing in range
	write(a, func(tx kv.Tx) error { _, err := tx.DeleteRange("w/2", "w/3"); return err })                  // reported as Reset
	write(a, func(tx kv.Tx) error { _, err := tx.DeleteKeys([]string{"w/gone", "w/before"}); return err }) // the one that was there
	write(b, func(tx kv.Tx) error { return tx.Put("w/own", []byte("x")) })
	write(a, func(tx kv.Tx) error { return tx.Put("w/end", []byte("x")) })
	var got []string
	for k := range ch {
		got = append(got, k)
		if k == "w/end" {
			break
		}
	}
	want := []string{"w/1", "w/2", "w/1", Reset, "w/before", "w/end"}
	if !slices.Equal(got, want) {
		t.Fatalf("watched keys = %q, want %q", got, want)
	}
	cancel()
	for range ch { // the channel closes once ctx ends
	}
}

func TestSQLiteWatcherManyKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	opts := Options{PollInterval: 20 * time.Millisecond, UnsafeNoSync: true}
	a, err := OpenSQLite(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSQLite(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	testWatcherManyKeys(t, a, b)
}

// testWatcherManyKeys: one Update changes more keys than the largest change-log batch, in
// an order that is not the keys' order, and so does the next; b sees each key in change order.
func testWatcherManyKeys(t *testing.T, a, b interface {
	kv.Store
	kv.Watcher
}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := b.Changes(ctx)
	n := 2*batches[0] + batches[1] + 3 // every batch size used
	var want []string
	for round := range 2 {
		var keys []string
		for i := range n {
			keys = append(keys, fmt.Sprintf("m/%d/%04d", round, (i*37)%n))
		}
		if err := a.Update(context.Background(), func(tx kv.Tx) error {
			for _, k := range keys {
				if err := tx.Put(k, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want = append(want, keys...)
	}
	var got []string
	timeout := time.After(10 * time.Second)
	for len(got) < len(want) {
		select {
		case k := <-ch:
			got = append(got, k)
		case <-timeout:
			t.Fatalf("after 10 s the watcher sent %d of %d keys", len(got), len(want))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("watched keys:\n got %q\nwant %q", got, want)
	}
}

// testClock is a settable clock safe for the watcher's goroutine.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// A watcher that could not poll for longer than half the retention may have lost changes to
// pruning: it says so with Reset before the next keys.
func TestWatcherResetAfterStall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	clk := newTestClock()
	opts := Options{PollInterval: 10 * time.Millisecond, Now: clk.Now, ChangeRetention: time.Minute, UnsafeNoSync: true}
	a, err := OpenSQLite(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSQLite(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := b.Changes(ctx)
	clk.Advance(31 * time.Second)
	if err := a.Update(ctx, func(tx kv.Tx) error { return tx.Put("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	got := []string{<-ch, <-ch}
	if want := []string{Reset, "k"}; !slices.Equal(got, want) {
		t.Fatalf("after a stall the watcher sent %q, want %q", got, want)
	}
}

// The change log is pruned as writes go on: rows older than the retention disappear.
func TestChangeLogPruned(t *testing.T) {
	clk := newTestClock()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "g.db"),
		Options{Now: clk.Now, ChangeRetention: time.Minute, UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(k string) {
		t.Helper()
		if err := s.Update(context.Background(), func(tx kv.Tx) error { return tx.Put(k, []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	put("old")
	clk.Advance(2 * time.Minute)
	for i := range pruneEvery {
		put(fmt.Sprintf("new/%d", i))
	}
	var old, total int
	if err := s.r.QueryRow("SELECT COUNT(*) FROM changes WHERE key = 'old'").Scan(&old); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow("SELECT COUNT(*) FROM changes").Scan(&total); err != nil {
		t.Fatal(err)
	}
	if old != 0 || total == 0 {
		t.Fatalf("after %d commits the log holds %d expired and %d rows in all; want 0 expired, the rest kept", pruneEvery, old, total)
	}
}

// TestViewsMoreThanReaders runs many more concurrent Views than there are reader
// connections: each must get a connection in turn (a regression test for a pool that
// parked connections where waiters could not see them).
func TestViewsMoreThanReaders(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "db"), Options{Readers: 2, UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(ctx, func(tx kv.Tx) error { return tx.Put("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if err := s.View(ctx, func(tx kv.Tx) error { _, err := tx.Get("k"); return err }); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("View: %v", err)
	}
}
