package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gatehouse/internal/kv"
	"gatehouse/internal/store/storetest"
)

// pgSchema is a fresh schema of this test's own (storetest.PostgresSchema).
func pgSchema(t testing.TB) string { return storetest.PostgresSchema(t, "t_") }

func openPostgres(t testing.TB, dsn string, opts Options) *Postgres {
	t.Helper()
	p, err := OpenPostgres(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	return p
}

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) kv.Store {
		return openPostgres(t, pgSchema(t), Options{})
	})
}

func TestPostgresMigrationsIdempotent(t *testing.T) {
	dsn := pgSchema(t)
	// Several nodes start at once: the advisory lock lets one migrate; the others find the
	// schema current.
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			p, err := OpenPostgres(context.Background(), dsn, Options{})
			if err == nil {
				p.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent OpenPostgres: %v", err)
		}
	}
	p := openPostgres(t, dsn, Options{})
	defer p.Close()
	var n int
	if err := p.db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if ms, _ := migrations(); n != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
	}
}

// Two nodes on one database: each sees the keys the other changes, not its own.
func TestPostgresWatcher(t *testing.T) {
	dsn := pgSchema(t)
	opts := Options{PollInterval: 20 * time.Millisecond}
	a, b := openPostgres(t, dsn, opts), openPostgres(t, dsn, opts)
	defer a.Close()
	defer b.Close()
	testWatcher(t, a, b)
}

func TestPostgresWatcherManyKeys(t *testing.T) {
	dsn := pgSchema(t)
	opts := Options{PollInterval: 20 * time.Millisecond}
	a, b := openPostgres(t, dsn, opts), openPostgres(t, dsn, opts)
	defer a.Close()
	defer b.Close()
	testWatcherManyKeys(t, a, b)
}

// BenchmarkPostgresUpdateSmall: BenchmarkUpdateSmall's Update against PostgreSQL
// (SERIALIZABLE, the server's own fsync settings).
func BenchmarkPostgresUpdateSmall(b *testing.B) {
	for _, par := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", par), func(b *testing.B) {
			p := openPostgres(b, pgSchema(b), Options{})
			b.Cleanup(func() { p.Close() })
			benchUpdates(b, p, par)
		})
	}
}

// BenchmarkPostgresViewGet: one View with one Get, from all cores, over 10,000 keys.
func BenchmarkPostgresViewGet(b *testing.B) {
	p := openPostgres(b, pgSchema(b), Options{})
	b.Cleanup(func() { p.Close() })
	benchViewGet(b, p)
}
