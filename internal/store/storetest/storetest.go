// Package storetest owns the conformance suite for kv.Store: the one set of behaviours every
// backend must show (HashiCorp Vault's ExerciseBackend pattern). A backend's test calls Run
// with a function that opens a fresh, empty store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gatehouse/internal/kv"
)

// Run exercises a backend. open must return a new, empty store each time it is called; the
// suite closes what it opens.
func Run(t *testing.T, open func(t *testing.T) kv.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s kv.Store)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"Values", testValues},
		{"LargeValue", testLargeValue},
		{"InvalidKeys", testInvalidKeys},
		{"OrderBytewise", testOrderBytewise},
		{"ListPrefix", testListPrefix},
		{"ListAfterAndLimit", testListAfterAndLimit},
		{"ListPaging", testListPaging},
		{"DeleteKeys", testDeleteKeys},
		{"DeleteRange", testDeleteRange},
		{"DeleteRangeInvalidBounds", testDeleteRangeInvalidBounds},
		{"DeleteRangeInTx", testDeleteRangeInTx},
		{"RollbackOnError", testRollbackOnError},
		{"ReadYourWrites", testReadYourWrites},
		{"ViewSnapshot", testViewSnapshot},
		{"ViewIsReadOnly", testViewIsReadOnly},
		{"TxUnusableAfterReturn", testTxUnusableAfterReturn},
		{"ContextCancelled", testContextCancelled},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"ConcurrentFailuresIsolated", testConcurrentFailuresIsolated},
		{"PanicInUpdate", testPanicInUpdate},
		{"AgainstModel", testAgainstModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// put writes pairs in one Update.
func put(t *testing.T, s kv.Store, kvs ...string) {
	t.Helper()
	if len(kvs)%2 != 0 {
		t.Fatalf("put: odd number of arguments")
	}
	err := s.Update(context.Background(), func(tx kv.Tx) error {
		for i := 0; i < len(kvs); i += 2 {
			if err := tx.Put(kvs[i], []byte(kvs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// get reads one key in a View; "" and false when absent.
func get(t *testing.T, s kv.Store, key string) (string, bool) {
	t.Helper()
	var v []byte
	err := s.View(context.Background(), func(tx kv.Tx) error {
		var err error
		v, err = tx.Get(key)
		return err
	})
	if errors.Is(err, kv.ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v), true
}

// list returns the keys of List in a View.
func list(t *testing.T, s kv.Store, prefix, after string, limit int) []string {
	t.Helper()
	var keys []string
	err := s.View(context.Background(), func(tx kv.Tx) error {
		ps, err := tx.List(prefix, after, limit)
		keys = nil // a View may in principle run fn again; never accumulate
		for _, p := range ps {
			keys = append(keys, p.Key)
		}
		return err
	})
	if err != nil {
		t.Fatalf("List(%q, %q, %d): %v", prefix, after, limit, err)
	}
	return keys
}

func testGetPutDelete(t *testing.T, s kv.Store) {
	if v, ok := get(t, s, "missing"); ok {
		t.Fatalf("Get(missing) = %q, want ErrNotFound", v)
	}
	put(t, s, "k", "v1")
	if v, _ := get(t, s, "k"); v != "v1" {
		t.Fatalf("Get(k) = %q, want v1", v)
	}
	put(t, s, "k", "v2")
	if v, _ := get(t, s, "k"); v != "v2" {
		t.Fatalf("after overwrite Get(k) = %q, want v2", v)
	}
	err := s.Update(context.Background(), func(tx kv.Tx) error {
		if err := tx.Delete("k"); err != nil {
			return err
		}
		return tx.Delete("never-existed") // not an error
	})
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if v, ok := get(t, s, "k"); ok {
		t.Fatalf("after Delete Get(k) = %q, want ErrNotFound", v)
	}
	// ErrNotFound is the sentinel itself or wraps it.
	err = s.View(context.Background(), func(tx kv.Tx) error {
		_, err := tx.Get("k")
		return err
	})
	if !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get of deleted key: got %v, want kv.ErrNotFound", err)
	}
}

func testValues(t *testing.T, s kv.Store) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := map[string][]byte{
		"binary":        all,
		"empty":         {},
		"nil":           nil,
		"nul-only":      {0},
		"invalid-utf8":  []byte("\xff\xfe\xc3"),
		"json":          []byte(`{"UserName":"alice"}`),
		"trailing-zero": []byte("abc\x00\x00"),
	}
	err := s.Update(context.Background(), func(tx kv.Tx) error {
		for k, v := range cases {
			if err := tx.Put("v/"+k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	err = s.View(context.Background(), func(tx kv.Tx) error {
		for k, want := range cases {
			got, err := tx.Get("v/" + k)
			if err != nil {
				return fmt.Errorf("Get(%s): %w", k, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Get(%s) = %q, want %q", k, got, want)
			}
			if got == nil {
				t.Errorf("Get(%s) = nil, want a non-nil (possibly empty) slice", k)
			}
		}
		ps, err := tx.List("v/", "", 0)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if want := cases[strings.TrimPrefix(p.Key, "v/")]; !bytes.Equal(p.Value, want) {
				t.Errorf("List value of %s = %q, want %q", p.Key, p.Value, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	// The store must not keep the caller's slice: changing it after Put changes nothing.
	buf := []byte("original")
	if err := s.Update(context.Background(), func(tx kv.Tx) error { return tx.Put("alias", buf) }); err != nil {
		t.Fatal(err)
	}
	copy(buf, "CHANGED!")
	if v, _ := get(t, s, "alias"); v != "original" {
		t.Fatalf("Get(alias) = %q after the caller reused its buffer, want original", v)
	}
}

func testLargeValue(t *testing.T, s kv.Store) {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>8)
	}
	if err := s.Update(context.Background(), func(tx kv.Tx) error { return tx.Put("big", big) }); err != nil {
		t.Fatalf("Put 1 MiB: %v", err)
	}
	err := s.View(context.Background(), func(tx kv.Tx) error {
		got, err := tx.Get("big")
		if err != nil {
			return err
		}
		if !bytes.Equal(got, big) {
			t.Errorf("1 MiB value came back different (len %d)", len(got))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testInvalidKeys(t *testing.T, s kv.Store) {
	for _, k := range []string{"", "\xff", "a\x00b", "bad\xc3"} {
		err := s.Update(context.Background(), func(tx kv.Tx) error { return tx.Put(k, []byte("v")) })
		if err == nil {
			t.Errorf("Put(%q) succeeded, want an error (keys are non-empty UTF-8 without NUL)", k)
		}
	}
	if keys := list(t, s, "", "", 0); len(keys) != 0 {
		t.Errorf("after refused Puts, List = %q, want nothing", keys)
	}
}

// orderedKeys is in bytewise (Go string) order, which differs from code point-unaware or
// locale collations: upper case before lower, '/' before '0', multi-byte UTF-8 after ASCII.
var orderedKeys = []string{
	"A", "Z", "a", "a/", "a/b", "a0", "a~", "a\u00e9", "a\u00ff", "a\u4e2d", "a\U0001F600", "b", "\u00c5", "\uffff", "\U0010FFFF",
}

func testOrderBytewise(t *testing.T, s kv.Store) {
	if !slices.IsSorted(orderedKeys) {
		t.Fatal("test bug: orderedKeys is not sorted")
	}
	shuffled := slices.Clone(orderedKeys)
	slices.Reverse(shuffled)
	var kvs []string
	for _, k := range shuffled {
		kvs = append(kvs, k, "value of "+k)
	}
	put(t, s, kvs...)
	if got := list(t, s, "", "", 0); !slices.Equal(got, orderedKeys) {
		t.Fatalf("List all:\n got %q\nwant %q", got, orderedKeys)
	}
	for _, k := range orderedKeys {
		if v, _ := get(t, s, k); v != "value of "+k {
			t.Errorf("Get(%q) = %q", k, v)
		}
	}
}

func testListPrefix(t *testing.T, s kv.Store) {
	put(t, s,
		"a", "", "a/", "", "a/b", "", "a/b/c", "", "a0", "", "a.", "", "ab", "",
		"user/alice", "", "user/bob", "", "user0", "", "users/x", "",
		"x\U0010FFFF", "", "x\U0010FFFFa", "", "x\U0010FFFF\U0010FFFF", "", "y", "",
		"\uD7FF", "", "\uD7FFz", "", "\uE000", "",
	)
	cases := []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/", "a/b", "a/b/c"}},
		{"a", []string{"a", "a.", "a/", "a/b", "a/b/c", "a0", "ab"}},
		{"user/", []string{"user/alice", "user/bob"}},
		{"user", []string{"user/alice", "user/bob", "user0", "users/x"}},
		{"a/b/c/", nil},
		{"nothing", nil},
		// The last code point of the prefix is the largest there is: the bound must carry.
		{"x\U0010FFFF", []string{"x\U0010FFFF", "x\U0010FFFFa", "x\U0010FFFF\U0010FFFF"}},
		{"x", []string{"x\U0010FFFF", "x\U0010FFFFa", "x\U0010FFFF\U0010FFFF"}},
		// U+D7FF is followed by the surrogates, which UTF-8 cannot hold.
		{"\uD7FF", []string{"\uD7FF", "\uD7FFz"}},
	}
	for _, c := range cases {
		if got := list(t, s, c.prefix, "", 0); !slices.Equal(got, c.want) {
			t.Errorf("List(%q):\n got %q\nwant %q", c.prefix, got, c.want)
		}
	}
}

func testListAfterAndLimit(t *testing.T, s kv.Store) {
	put(t, s, "p/1", "", "p/2", "", "p/3", "", "p/4", "", "q", "", "o", "")
	cases := []struct {
		prefix, after string
		limit         int
		want          []string
		note          string
	}{
		{"p/", "", 0, []string{"p/1", "p/2", "p/3", "p/4"}, "no after, no limit"},
		{"p/", "p/2", 0, []string{"p/3", "p/4"}, "after is exclusive"},
		{"p/", "p/25", 0, []string{"p/3", "p/4"}, "after need not exist"},
		{"p/", "p/4", 0, nil, "after the last key"},
		{"p/", "p/", 0, []string{"p/1", "p/2", "p/3", "p/4"}, "after equal to the prefix skips only the prefix itself"},
		{"p/", "a", 0, []string{"p/1", "p/2", "p/3", "p/4"}, "after before the prefix range"},
		{"p/", "z", 0, nil, "after beyond the prefix range"},
		{"p/", "", 2, []string{"p/1", "p/2"}, "limit"},
		{"p/", "p/1", 2, []string{"p/2", "p/3"}, "after and limit"},
		{"p/", "", 100, []string{"p/1", "p/2", "p/3", "p/4"}, "limit above the count"},
		{"p/", "", -1, []string{"p/1", "p/2", "p/3", "p/4"}, "negative limit means none"},
		{"", "p/3", 0, []string{"p/4", "q"}, "empty prefix with after"},
		{"", "", 1, []string{"o"}, "empty prefix with limit"},
	}
	for _, c := range cases {
		if got := list(t, s, c.prefix, c.after, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("%s: List(%q, %q, %d):\n got %q\nwant %q", c.note, c.prefix, c.after, c.limit, got, c.want)
		}
	}
}

func testListPaging(t *testing.T, s kv.Store) {
	var kvs, want []string
	for i := range 103 {
		k := fmt.Sprintf("page/%04d", i)
		kvs = append(kvs, k, strconv.Itoa(i))
		want = append(want, k)
	}
	put(t, s, append(kvs, "page0", "", "pag", "")...)
	var got []string
	after := ""
	for {
		page := list(t, s, "page/", after, 10)
		if len(page) > 10 {
			t.Fatalf("page of %d, want at most 10", len(page))
		}
		got = append(got, page...)
		if len(page) < 10 {
			break
		}
		after = page[len(page)-1]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged List:\n got %q\nwant %q", got, want)
	}
}

// testDeleteKeys: existing keys go, missing ones are no error, a key given twice counts once,
// more keys than a backend deletes in one statement all go, and one invalid key refuses
// the whole call.
func testDeleteKeys(t *testing.T, s kv.Store) {
	var kvs, many []string
	for i := range 150 {
		k := fmt.Sprintf("dk/%03d", i)
		kvs = append(kvs, k, "v")
		if i%2 == 0 {
			many = append(many, k)
		}
	}
	put(t, s, append(kvs, "dk0", "v", "keep", "v")...)
	ctx := context.Background()
	del := func(keys []string) (int, error) {
		var n int
		err := s.Update(ctx, func(tx kv.Tx) error {
			var err error
			n, err = tx.DeleteKeys(keys)
			return err
		})
		return n, err
	}
	if n, err := del([]string{"dk0", "missing", "dk0", "dk/001"}); err != nil || n != 2 {
		t.Errorf("DeleteKeys(dk0, missing, dk0, dk/001) = %d, %v; want 2", n, err)
	}
	if n, err := del(nil); err != nil || n != 0 {
		t.Errorf("DeleteKeys(nil) = %d, %v; want 0", n, err)
	}
	// In an order that is not the keys' order, with the missing dk/001 among them.
	slices.Reverse(many)
	many = append(many, "dk/001")
	if n, err := del(many); err != nil || n != len(many)-1 {
		t.Errorf("DeleteKeys of %d keys = %d, %v; want %d", len(many), n, err, len(many)-1)
	}
	if _, err := del([]string{"keep", "bad\x00"}); err == nil {
		t.Error("DeleteKeys with a key holding NUL succeeded")
	}
	var want []string
	for i := 3; i < 150; i += 2 {
		want = append(want, fmt.Sprintf("dk/%03d", i))
	}
	want = append(want, "keep")
	if got := list(t, s, "", "", 0); !slices.Equal(got, want) {
		t.Errorf("after DeleteKeys:\n got %q\nwant %q", got, want)
	}
}

// testDeleteRange: [start, end) in bytewise order, with the bounds that a prefix delete
// (kv.PrefixEnd) and an open end produce; the count is of keys removed.
func testDeleteRange(t *testing.T, s kv.Store) {
	all := []string{"a", "a/", "a/b", "a/b/c", "a.", "a0", "ab", "b", "x\U0010FFFF", "x\U0010FFFFa", "y", "\uD7FF", "\uD7FFz", "\uE000"}
	slices.Sort(all)
	aEnd, _ := kv.PrefixEnd("a/")
	xEnd, _ := kv.PrefixEnd("x\U0010FFFF")
	dEnd, _ := kv.PrefixEnd("\uD7FF")
	cases := []struct {
		note       string
		start, end string
		gone       []string
	}{
		{"a prefix", "a/", aEnd, []string{"a/", "a/b", "a/b/c"}},
		{"end is exclusive, start inclusive", "a/b", "a0", []string{"a/b", "a/b/c"}},
		{"bounds need not be keys", "a/a", "a/b/d", []string{"a/b", "a/b/c"}},
		{"a prefix ending in the largest code point", "x\U0010FFFF", xEnd, []string{"x\U0010FFFF", "x\U0010FFFFa"}},
		{"a prefix before the surrogates", "\uD7FF", dEnd, []string{"\uD7FF", "\uD7FFz"}},
		{"no upper bound", "b", "", []string{"b", "x\U0010FFFF", "x\U0010FFFFa", "y", "\uD7FF", "\uD7FFz", "\uE000"}},
		{"from the beginning", "", "a/", []string{"a", "a."}},
		{"everything", "", "", all},
		{"an empty range", "a0", "a0", nil},
		{"end before start", "b", "a", nil},
		{"nothing in range", "c", "d", nil},
	}
	ctx := context.Background()
	for _, c := range cases {
		var kvs []string
		for _, k := range all {
			kvs = append(kvs, k, "v")
		}
		put(t, s, kvs...)
		var n int
		err := s.Update(ctx, func(tx kv.Tx) error {
			var err error
			n, err = tx.DeleteRange(c.start, c.end)
			return err
		})
		if err != nil {
			t.Fatalf("%s: DeleteRange(%q, %q): %v", c.note, c.start, c.end, err)
		}
		want := slices.DeleteFunc(slices.Clone(all), func(k string) bool { return slices.Contains(c.gone, k) })
		if got := list(t, s, "", "", 0); !slices.Equal(got, want) {
			t.Errorf("%s: after DeleteRange(%q, %q):\n got %q\nwant %q", c.note, c.start, c.end, got, want)
		}
		if n != len(c.gone) {
			t.Errorf("%s: DeleteRange(%q, %q) = %d, want %d", c.note, c.start, c.end, n, len(c.gone))
		}
	}
}

func testDeleteRangeInvalidBounds(t *testing.T, s kv.Store) {
	put(t, s, "k", "v")
	for _, b := range [][2]string{{"\xff", ""}, {"", "a\x00"}, {"bad\xc3", "z"}} {
		err := s.Update(context.Background(), func(tx kv.Tx) error {
			_, err := tx.DeleteRange(b[0], b[1])
			return err
		})
		if err == nil {
			t.Errorf("DeleteRange(%q, %q) succeeded, want an error (bounds are UTF-8 without NUL)", b[0], b[1])
		}
	}
	if v, _ := get(t, s, "k"); v != "v" {
		t.Errorf("after refused DeleteRanges Get(k) = %q, want v", v)
	}
}

// testDeleteRangeInTx: a range delete sees the transaction's own writes, and later writes
// in the same transaction see it.
func testDeleteRangeInTx(t *testing.T, s kv.Store) {
	put(t, s, "d/old", "1", "d/keep", "2", "e", "3")
	err := s.Update(context.Background(), func(tx kv.Tx) error {
		if err := tx.Put("d/new", []byte("n")); err != nil {
			return err
		}
		if err := tx.Put("d/old", []byte("changed")); err != nil {
			return err
		}
		n, err := tx.DeleteRange("d/", "d/keep")
		if err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("DeleteRange(d/, d/keep) = %d, want 0 (d/keep is the end)", n)
		}
		if n, err = tx.DeleteRange("d/keep0", "d0"); err != nil || n != 2 {
			t.Errorf("DeleteRange(d/keep0, d0) = %d, %v; want 2 (d/new, d/old)", n, err)
		}
		if _, err := tx.Get("d/new"); !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("Get(d/new) after its range was deleted: got %v, want ErrNotFound", err)
		}
		if err := tx.Put("d/again", []byte("a")); err != nil {
			return err
		}
		ps, err := tx.List("d/", "", 0)
		if err != nil {
			return err
		}
		var keys []string
		for _, p := range ps {
			keys = append(keys, p.Key+"="+string(p.Value))
		}
		if want := []string{"d/again=a", "d/keep=2"}; !slices.Equal(keys, want) {
			t.Errorf("List in its tx = %q, want %q", keys, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := list(t, s, "", "", 0), []string{"d/again", "d/keep", "e"}; !slices.Equal(got, want) {
		t.Errorf("after commit List = %q, want %q", got, want)
	}
}

var errBoom = errors.New("boom")

func testRollbackOnError(t *testing.T, s kv.Store) {
	put(t, s, "keep", "old", "doomed", "still here")
	err := s.Update(context.Background(), func(tx kv.Tx) error {
		for _, k := range []string{"new/1", "new/2"} {
			if err := tx.Put(k, []byte("x")); err != nil {
				return err
			}
		}
		if err := tx.Put("keep", []byte("new")); err != nil {
			return err
		}
		if err := tx.Delete("doomed"); err != nil {
			return err
		}
		if n, err := tx.DeleteRange("keep", "keep0"); err != nil || n != 1 {
			return fmt.Errorf("DeleteRange(keep, keep0) = %d, %v; want 1", n, err)
		}
		return errBoom
	})
	if err != errBoom { //nolint:errorlint // Update must return fn's error unchanged
		t.Fatalf("Update returned %v, want fn's error unchanged", err)
	}
	if got := list(t, s, "new/", "", 0); len(got) != 0 {
		t.Errorf("keys of a failed Update are visible: %q", got)
	}
	if v, _ := get(t, s, "keep"); v != "old" {
		t.Errorf("Get(keep) = %q after a failed Update, want old", v)
	}
	if v, ok := get(t, s, "doomed"); !ok || v != "still here" {
		t.Errorf("Get(doomed) = %q, %v after a failed Update, want it still there", v, ok)
	}
}

func testReadYourWrites(t *testing.T, s kv.Store) {
	put(t, s, "r/gone", "x", "r/old", "1")
	err := s.Update(context.Background(), func(tx kv.Tx) error {
		if err := tx.Put("r/new", []byte("n")); err != nil {
			return err
		}
		if err := tx.Put("r/old", []byte("2")); err != nil {
			return err
		}
		if err := tx.Delete("r/gone"); err != nil {
			return err
		}
		if v, err := tx.Get("r/new"); err != nil || string(v) != "n" {
			t.Errorf("Get(r/new) in its tx = %q, %v; want n", v, err)
		}
		if v, err := tx.Get("r/old"); err != nil || string(v) != "2" {
			t.Errorf("Get(r/old) in its tx = %q, %v; want 2", v, err)
		}
		if _, err := tx.Get("r/gone"); !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("Get(r/gone) after Delete in its tx: got %v, want ErrNotFound", err)
		}
		ps, err := tx.List("r/", "", 0)
		if err != nil {
			return err
		}
		var keys []string
		for _, p := range ps {
			keys = append(keys, p.Key+"="+string(p.Value))
		}
		if want := []string{"r/new=n", "r/old=2"}; !slices.Equal(keys, want) {
			t.Errorf("List in its tx = %q, want %q", keys, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testViewSnapshot(t *testing.T, s kv.Store) {
	put(t, s, "snap/a", "1")
	err := s.View(context.Background(), func(tx kv.Tx) error {
		v, err := tx.Get("snap/a")
		if err != nil || string(v) != "1" {
			return fmt.Errorf("first Get = %q, %v", v, err)
		}
		// Another transaction commits while this View is open.
		if err := s.Update(context.Background(), func(w kv.Tx) error {
			if err := w.Put("snap/a", []byte("2")); err != nil {
				return err
			}
			return w.Put("snap/b", []byte("new"))
		}); err != nil {
			return fmt.Errorf("concurrent Update: %w", err)
		}
		if v, err := tx.Get("snap/a"); err != nil || string(v) != "1" {
			t.Errorf("View saw a commit made after it started: Get(snap/a) = %q, %v; want 1", v, err)
		}
		if _, err := tx.Get("snap/b"); !errors.Is(err, kv.ErrNotFound) {
			t.Errorf("View saw a key created after it started: got %v, want ErrNotFound", err)
		}
		ps, err := tx.List("snap/", "", 0)
		if err != nil {
			return err
		}
		if len(ps) != 1 {
			t.Errorf("View's List saw %d keys, want the 1 of its snapshot", len(ps))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := get(t, s, "snap/a"); v != "2" {
		t.Errorf("a new View got %q, want the committed 2", v)
	}
}

func testViewIsReadOnly(t *testing.T, s kv.Store) {
	put(t, s, "ro", "1")
	err := s.View(context.Background(), func(tx kv.Tx) error {
		if err := tx.Put("ro", []byte("2")); err == nil {
			t.Error("Put in a View succeeded")
		}
		if err := tx.Put("ro-new", []byte("2")); err == nil {
			t.Error("Put of a new key in a View succeeded")
		}
		if err := tx.Delete("ro"); err == nil {
			t.Error("Delete in a View succeeded")
		}
		if n, err := tx.DeleteRange("", ""); err == nil {
			t.Errorf("DeleteRange in a View succeeded (%d keys)", n)
		}
		if n, err := tx.DeleteKeys([]string{"ro"}); err == nil {
			t.Errorf("DeleteKeys in a View succeeded (%d keys)", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := get(t, s, "ro"); v != "1" {
		t.Errorf("Get(ro) = %q after writes in a View, want 1", v)
	}
	if _, ok := get(t, s, "ro-new"); ok {
		t.Error("a key Put in a View exists")
	}
}

func testTxUnusableAfterReturn(t *testing.T, s kv.Store) {
	var leaked kv.Tx
	if err := s.Update(context.Background(), func(tx kv.Tx) error { leaked = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := leaked.Put("late", []byte("x")); err == nil {
		t.Error("Put on a Tx after Update returned succeeded")
	}
	if _, err := leaked.DeleteRange("", ""); err == nil {
		t.Error("DeleteRange on a Tx after Update returned succeeded")
	}
	if _, err := leaked.DeleteKeys([]string{"late"}); err == nil {
		t.Error("DeleteKeys on a Tx after Update returned succeeded")
	}
	if _, err := leaked.Get("late"); err == nil {
		t.Error("Get on a Tx after Update returned succeeded")
	}
	if err := s.View(context.Background(), func(tx kv.Tx) error { leaked = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := leaked.List("", "", 0); err == nil {
		t.Error("List on a Tx after View returned succeeded")
	}
	if _, ok := get(t, s, "late"); ok {
		t.Error("a late Put is visible")
	}
}

func testContextCancelled(t *testing.T, s kv.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.Update(ctx, func(tx kv.Tx) error { ran = true; return tx.Put("c/1", []byte("x")) })
	if err == nil {
		t.Error("Update with a cancelled context succeeded")
	}
	err = s.View(ctx, func(tx kv.Tx) error { _, err := tx.Get("c/1"); return err })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("View with a cancelled context: got %v, want context.Canceled", err)
	}
	// Cancelled while fn runs: the next operation fails and nothing commits.
	ctx, cancel = context.WithCancel(context.Background())
	err = s.Update(ctx, func(tx kv.Tx) error {
		if err := tx.Put("c/2", []byte("x")); err != nil {
			return err
		}
		cancel()
		return tx.Put("c/3", []byte("x"))
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update cancelled midway: got %v, want context.Canceled", err)
	}
	if got := list(t, s, "c/", "", 0); len(got) != 0 {
		t.Errorf("writes of cancelled Updates are visible: %q (fn ran on a dead context: %v)", got, ran)
	}
}

func testConcurrentIncrements(t *testing.T, s kv.Store) {
	const workers, each = 8, 25
	put(t, s, "counter", "0")
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.Update(context.Background(), func(tx kv.Tx) error {
					v, err := tx.Get("counter")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(string(v))
					if err != nil {
						return err
					}
					return tx.Put("counter", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Update: %v", err)
	}
	if v, _ := get(t, s, "counter"); v != strconv.Itoa(workers*each) {
		t.Fatalf("counter = %s after %d increments: updates were lost", v, workers*each)
	}
}

// Concurrent Updates of which some fail: the failures leave nothing, the others commit.
// (A backend that groups commits must roll back only the failing member.)
func testConcurrentFailuresIsolated(t *testing.T, s kv.Store) {
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k := fmt.Sprintf("iso/%02d", i)
			err := s.Update(context.Background(), func(tx kv.Tx) error {
				if err := tx.Put(k+"/a", []byte("x")); err != nil {
					return err
				}
				if err := tx.Put(k+"/b", []byte("x")); err != nil {
					return err
				}
				if i%3 == 0 {
					return errBoom
				}
				return nil
			})
			if (i%3 == 0) != errors.Is(err, errBoom) {
				t.Errorf("Update %d: got %v", i, err)
			}
		})
	}
	wg.Wait()
	var want []string
	for i := range n {
		if i%3 != 0 {
			want = append(want, fmt.Sprintf("iso/%02d/a", i), fmt.Sprintf("iso/%02d/b", i))
		}
	}
	if got := list(t, s, "iso/", "", 0); !slices.Equal(got, want) {
		t.Fatalf("after concurrent Updates, some failing:\n got %q\nwant %q", got, want)
	}
}

func testPanicInUpdate(t *testing.T, s kv.Store) {
	func() {
		defer func() {
			if v := recover(); v != "kaboom" {
				t.Errorf("recovered %v, want the panic of fn", v)
			}
		}()
		_ = s.Update(context.Background(), func(tx kv.Tx) error {
			if err := tx.Put("panic", []byte("x")); err != nil {
				return err
			}
			panic("kaboom")
		})
	}()
	if _, ok := get(t, s, "panic"); ok {
		t.Error("the write of a panicking Update is visible")
	}
	put(t, s, "after", "ok") // the store still works
	if v, _ := get(t, s, "after"); v != "ok" {
		t.Errorf("Get(after) = %q, want ok", v)
	}
}

// modelAlphabet builds keys that sit on every boundary List must get right: the separator
// and its successor, bytes below and above it, multi-byte UTF-8, the largest code point.
var modelAlphabet = []string{"a", "b", "/", "0", ".", "~", "\u00e9", "\u4e2d", "\U0010FFFF", "A"}

func randomKey(r *rand.Rand, maxLen int) string {
	var b strings.Builder
	for range 1 + r.IntN(maxLen) {
		b.WriteString(modelAlphabet[r.IntN(len(modelAlphabet))])
	}
	return b.String()
}

// testAgainstModel runs random Updates (some failing) and Lists against a sorted map and
// compares every result: prefix bounds, after, limits and order on keys made of boundary
// characters. The seed is fixed so that a failure reproduces.
func testAgainstModel(t *testing.T, s kv.Store) {
	r := rand.New(rand.NewPCG(1, 2))
	model := map[string]string{}
	ctx := context.Background()
	for round := range 60 {
		next := maps.Clone(model)
		fail := r.IntN(5) == 0
		err := s.Update(ctx, func(tx kv.Tx) error {
			for range 1 + r.IntN(6) {
				k := randomKey(r, 4)
				if r.IntN(12) == 0 {
					ks := []string{k, randomKey(r, 4), k}
					for _, mk := range slices.Sorted(maps.Keys(next)) { // sorted: the seed reproduces
						if r.IntN(8) == 0 {
							ks = append(ks, mk)
						}
					}
					want := 0
					for _, dk := range ks {
						if _, ok := next[dk]; ok {
							delete(next, dk)
							want++
						}
					}
					n, err := tx.DeleteKeys(ks)
					if err != nil {
						return err
					}
					if n != want {
						t.Errorf("round %d: DeleteKeys(%q) = %d, want %d", round, ks, n, want)
					}
					continue
				}
				if r.IntN(12) == 0 {
					start, end := "", randomKey(r, 2)
					if r.IntN(3) > 0 {
						start = randomKey(r, 2)
					}
					if r.IntN(4) == 0 {
						end = ""
					}
					want := 0
					for mk := range next {
						if mk >= start && (end == "" || mk < end) {
							delete(next, mk)
							want++
						}
					}
					n, err := tx.DeleteRange(start, end)
					if err != nil {
						return err
					}
					if n != want {
						t.Errorf("round %d: DeleteRange(%q, %q) = %d, want %d", round, start, end, n, want)
					}
					continue
				}
				if r.IntN(3) == 0 {
					if err := tx.Delete(k); err != nil {
						return err
					}
					delete(next, k)
					continue
				}
				v := fmt.Sprintf("%d/%s", round, k)
				if err := tx.Put(k, []byte(v)); err != nil {
					return err
				}
				next[k] = v
			}
			if fail {
				return errBoom
			}
			return nil
		})
		if fail != errors.Is(err, errBoom) || (!fail && err != nil) {
			t.Fatalf("round %d: Update: %v", round, err)
		}
		if !fail {
			model = next
		}
		keys := slices.Sorted(maps.Keys(model))
		for range 8 {
			prefix := ""
			if r.IntN(4) > 0 {
				prefix = randomKey(r, 2)
			}
			after := ""
			if r.IntN(2) == 0 {
				after = randomKey(r, 3)
			}
			limit := r.IntN(5) - 1
			var want []string
			for _, k := range keys {
				if strings.HasPrefix(k, prefix) && k > after && (limit <= 0 || len(want) < limit) {
					want = append(want, k)
				}
			}
			var got []string
			err := s.View(ctx, func(tx kv.Tx) error {
				ps, err := tx.List(prefix, after, limit)
				got = nil
				for _, p := range ps {
					got = append(got, p.Key)
					if string(p.Value) != model[p.Key] {
						t.Errorf("List value of %q = %q, want %q", p.Key, p.Value, model[p.Key])
					}
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: List(%q, %q, %d):\n got %q\nwant %q", round, prefix, after, limit, got, want)
			}
		}
	}
}
