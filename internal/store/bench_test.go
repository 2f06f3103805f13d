package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"gatehouse/internal/kv"
)

// A user record about the size iam stores.
var benchValue = []byte(`{"UserName":"alice","UserId":"AIDAEXAMPLEEXAMPLE01","Arn":"arn:aws:iam::123456789012:user/alice","Path":"/","CreateDate":"2026-11-30T09:00:00Z","Tags":[]}`)

func benchSQLite(b *testing.B) *SQLite {
	b.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkUpdateSmall: one Update writing two small keys (a record and its name index),
// with synchronous=FULL. Serial: one writer, so every Update pays its own fsync. Parallel:
// 64 writers, as an API server under load; group commit shares the fsyncs.
func BenchmarkUpdateSmall(b *testing.B) {
	for _, par := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", par), func(b *testing.B) {
			benchUpdates(b, benchSQLite(b), par)
		})
	}
}

func benchUpdates(b *testing.B, s kv.Store, par int) {
	var n atomic.Int64
	update := func() {
		i := n.Add(1)
		err := s.Update(context.Background(), func(tx kv.Tx) error {
			k := fmt.Sprintf("user/%08d", i)
			if err := tx.Put(k, benchValue); err != nil {
				return err
			}
			return tx.Put("username/"+k, []byte(k))
		})
		if err != nil {
			b.Error(err)
		}
	}
	b.ResetTimer()
	if par == 1 {
		for b.Loop() {
			update()
		}
		return
	}
	b.SetParallelism((par + 1) / 2) // × GOMAXPROCS goroutines
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			update()
		}
	})
}

func fill(b *testing.B, s kv.Store, n int) {
	b.Helper()
	for i := 0; i < n; i += 1000 {
		err := s.Update(context.Background(), func(tx kv.Tx) error {
			for j := i; j < min(i+1000, n); j++ {
				if err := tx.Put(fmt.Sprintf("user/%08d", j), benchValue); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkViewGet: one View with one Get, from all cores, over 10,000 keys.
func BenchmarkViewGet(b *testing.B) {
	benchViewGet(b, benchSQLite(b))
}

func benchViewGet(b *testing.B, s kv.Store) {
	const n = 10000
	fill(b, s, n)
	var ctr atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprintf("user/%08d", ctr.Add(7919)%n)
			err := s.View(context.Background(), func(tx kv.Tx) error {
				_, err := tx.Get(k)
				return err
			})
			if err != nil {
				b.Error(err)
			}
		}
	})
}

// BenchmarkList: one page of 100 records from the middle of 10,000 (ListUsers' shape).
func BenchmarkList(b *testing.B) {
	s := benchSQLite(b)
	const n = 10000
	fill(b, s, n)
	b.ResetTimer()
	for b.Loop() {
		err := s.View(context.Background(), func(tx kv.Tx) error {
			ps, err := tx.List("user/", "user/00005000", 100)
			if err == nil && len(ps) != 100 {
				err = fmt.Errorf("got %d pairs", len(ps))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
