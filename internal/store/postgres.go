package store

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"gatehouse/internal/kv"
)

// Postgres is the backend for several nodes sharing one database. Updates are SERIALIZABLE
// transactions, retried on serialization failure (see the package doc: fn may run more
// than once); Views are read-only REPEATABLE READ snapshots. Each node watches the change
// log of the others (kv.Watcher) by polling.
//
// An Update that changed keys takes a transaction-scoped advisory lock just before it
// commits, so that the change log's sequence order is its commit order and a watcher never
// steps over a change that commits late with a smaller sequence number. PostgreSQL
// serializes NOTIFY at commit the same way. Write throughput is therefore about one commit
// per WAL flush across all nodes: ample for IAM, whose writes are rare next to its reads.
type Postgres struct {
	*core
	db *sql.DB
}

var (
	_ kv.Store   = (*Postgres)(nil)
	_ kv.Watcher = (*Postgres)(nil)
)

// OpenPostgres connects with a pgx connection string (postgres://… or key=value), applies
// pending migrations under an advisory lock (nodes starting together do not race), and
// returns the store. The schema lives in the connection's search_path: give
// ?search_path=NAME to keep Gatehouse's tables in their own schema.
func OpenPostgres(ctx context.Context, dsn string, opts Options) (*Postgres, error) {
	opts = opts.withDefaults()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	db.SetMaxOpenConns(opts.Readers + 4) // Views and Updates share one pool
	db.SetMaxIdleConns(opts.Readers + 4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	p := &Postgres{core: newCore(postgresDialect, db, db, opts), db: db}
	if err := p.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return p, nil
}

// Update implements kv.Store: a SERIALIZABLE transaction, run again (fn included) when
// PostgreSQL aborts it as a serialization failure or deadlock.
func (p *Postgres) Update(ctx context.Context, fn func(kv.Tx) error) error {
	return p.updateDirect(ctx, fn)
}

// Close stops watchers and closes the connection pool.
func (p *Postgres) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closed)
		p.watchers.Wait()
		err = p.db.Close()
	})
	return err
}
