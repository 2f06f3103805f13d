// Package store owns Gatehouse's durable state: the SQL backends behind kv.Store — SQLite for
// one machine (OpenSQLite) and PostgreSQL for several nodes sharing one database
// (OpenPostgres) — with one schema, its embedded migrations, and the change log that feeds
// kv.Watcher. Domain packages never import it; they see kv. internal/cli wires a backend in.
//
// Both backends keep the key space in one table, kv(key, value), whose primary key index is
// the order kv.Tx.List promises: bytewise on the keys' UTF-8 bytes. List and DeleteRange are
// range scans of that index. The change log (table changes) holds a row per key an Update
// changed, and one row with the empty key (Reset) for a DeleteRange that removed keys. Keys must be non-empty,
// valid UTF-8 and free of NUL bytes (PostgreSQL text cannot hold NUL); other keys fail with
// ErrInvalidKey.
//
// # How often Update runs fn
//
// kv.Store.Update promises serializable, durable transactions. The backends keep that
// promise differently, and a caller must write fn so that both are right:
//
//   - SQLite runs fn exactly once, on its single writer connection. Concurrent Updates are
//     grouped into one SQLite transaction (group commit): each fn runs in its own savepoint,
//     one after another, so each sees the others' writes as if run serially; a failing fn
//     is rolled back to its savepoint alone; one fsync then commits the group, and every
//     Update of the group returns after it. This is what makes synchronous=FULL fast: an
//     fsync costs about a millisecond here, and a group pays it once.
//   - PostgreSQL runs Updates as SERIALIZABLE transactions, and runs fn AGAIN when the
//     database aborts the transaction as a serialization failure (SQLSTATE 40001) or a
//     deadlock (40P01), up to a bounded number of attempts.
//
// So fn may run more than once, and must only act through its Tx: anything it does
// outside the transaction (sending a message, incrementing an in-memory counter, handing
// out an ID) must be idempotent or be done after Update returns nil. Values computed
// inside fn for use afterwards must be (re)assigned on every run, not appended to.
// fn runs on another goroutine under SQLite's group commit; a panic in fn is re-raised in
// the caller's goroutine. fn must not call Update on the same store: under SQLite the inner
// Update would wait forever for the group that is running its caller. (View is fine.)
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"crypto/rand"

	"gatehouse/internal/kv"
)

// Errors the backends return besides the ones fn returns.
var (
	// ErrReadOnly: Put or Delete in a View transaction.
	ErrReadOnly = errors.New("store: write in a read-only (View) transaction")
	// ErrTxDone: a Tx used after its function returned.
	ErrTxDone = errors.New("store: transaction used after its function returned")
	// ErrInvalidKey: an empty key, or one that is not valid UTF-8 or holds a NUL byte.
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
)

// Options tune a backend. The zero value is ready for production; withDefaults fills it.
type Options struct {
	// Readers is the size of the read connection pool (View). Default 2×GOMAXPROCS, at least 4.
	Readers int
	// BusyTimeout is how long SQLite waits for a lock held by another process. Default 5 s.
	BusyTimeout time.Duration
	// MaxBatch bounds how many concurrent Updates SQLite commits together. Default 128.
	MaxBatch int
	// ChangeRetention is how long the change log keeps a change for watchers. Default 10
	// min: hundreds of poll intervals, so no live watcher misses a change, while the log of
	// a busy node stays small (a watcher that falls further behind sends Reset).
	ChangeRetention time.Duration
	// PollInterval is how often a kv.Watcher polls the change log. Default 500 ms, so other
	// nodes see a change within a second.
	PollInterval time.Duration
	// Now is the clock that stamps the change log. Default time.Now.
	Now func() time.Time
	// Logger receives background errors (watcher polls). Default: discarded.
	Logger *slog.Logger
	// UnsafeNoSync turns SQLite's synchronous=FULL into OFF: a crash may lose recent
	// commits. For tests that do many writes; never for a real data directory.
	UnsafeNoSync bool
}

func (o Options) withDefaults() Options {
	if o.Readers <= 0 {
		o.Readers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 128
	}
	if o.ChangeRetention <= 0 {
		o.ChangeRetention = 10 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// pruneEvery: one committed Update in this many also deletes expired change-log rows.
const pruneEvery = 1024

// The SQL, written once. '?' placeholders are rebound per dialect.
const (
	qGet         = `SELECT value FROM kv WHERE key = ?`
	qPut         = `INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	qDelete      = `DELETE FROM kv WHERE key = ?`
	qDeleteFrom  = `DELETE FROM kv WHERE key >= ?`
	qDeleteRange = `DELETE FROM kv WHERE key >= ? AND key < ?`
	qPrune       = `DELETE FROM changes WHERE at < ?`
	qPoll        = `SELECT seq, key, node FROM changes WHERE seq > ? ORDER BY seq LIMIT 1000`
	qMaxSeq      = `SELECT COALESCE(MAX(seq), 0) FROM changes`
	qMigrTable   = `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`
	qMigrVersion = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`
	qMigrInsert  = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
)

// batches are the row counts of the multi-row statements (change-log inserts, DeleteKeys),
// largest first; the last is 1. A transaction that changed many keys (an emulator reset
// deletes the access-key record of every user of an account) appends its change-log rows in
// a few statements, not one per key: on PostgreSQL each statement is a round trip. Fixed
// sizes keep the statements few enough to prepare once.
var batches = [...]int{64, 8, 1}

// changeInsert is the change-log insert of n rows.
func changeInsert(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO changes (key, node, at) VALUES (?, ?, ?)`)
	for range n - 1 {
		b.WriteString(`, (?, ?, ?)`)
	}
	return b.String()
}

// deleteKeys is the delete of n keys, which returns the keys it removed for the change log.
// RETURNING: SQLite since 3.35, PostgreSQL since 8.2.
func deleteKeys(n int) string {
	return `DELETE FROM kv WHERE key IN (?` + strings.Repeat(`, ?`, n-1) + `) RETURNING key`
}

// listQuery builds the range scan for List: the lower bound is inclusive (the prefix) or
// exclusive (after); the upper bound, when the prefix has one, is exclusive. Never LIKE: a
// range on the primary key is an index seek.
func listQuery(exclusiveLower, upper bool) string {
	q := `SELECT key, value FROM kv WHERE key >= ?`
	if exclusiveLower {
		q = `SELECT key, value FROM kv WHERE key > ?`
	}
	if upper {
		q += ` AND key < ?`
	}
	return q + ` ORDER BY key LIMIT ?`
}

// statements holds the SQL rebound for one dialect.
type statements struct {
	get, put, del, prune, poll, maxSeq string
	change, delKeys                    [len(batches)]string // [i]: batches[i] rows or keys
	delRange                           [2]string            // [upper]
	list                               [2][2]string         // [exclusiveLower][upper]
}

func newStatements(d *dialect) *statements {
	s := &statements{
		get: d.rebind(qGet), put: d.rebind(qPut), del: d.rebind(qDelete),
		prune: d.rebind(qPrune), poll: d.rebind(qPoll),
		maxSeq:   d.rebind(qMaxSeq),
		delRange: [2]string{d.rebind(qDeleteFrom), d.rebind(qDeleteRange)},
	}
	for i, n := range batches {
		s.change[i] = d.rebind(changeInsert(n))
		if d.batchDeletes {
			s.delKeys[i] = d.rebind(deleteKeys(n))
		}
	}
	for _, ex := range []bool{false, true} {
		for _, up := range []bool{false, true} {
			s.list[b2i(ex)][b2i(up)] = d.rebind(listQuery(ex, up))
		}
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// core is what both backends share: the SQL, transactions, the change log and watchers.
type core struct {
	d    *dialect
	s    *statements
	w    *sql.DB // writes (SQLite: one connection)
	r    *sql.DB // reads (PostgreSQL: the same pool as w)
	opts Options
	// node names this process in the change log, so a watcher skips its own changes.
	node    string
	commits atomic.Uint64

	readers chan *readerConn // idle reader connections with prepared statements (SQLite)
	slots   chan struct{}    // one token per reader connection that may still be opened

	closed    chan struct{}
	closeOnce sync.Once
	watchers  sync.WaitGroup
}

func newCore(d *dialect, w, r *sql.DB, opts Options) *core {
	n := max(opts.Readers, 1)
	c := &core{d: d, s: newStatements(d), w: w, r: r, opts: opts, node: rand.Text(), closed: make(chan struct{}),
		readers: make(chan *readerConn, n), slots: make(chan struct{}, n)}
	for range n {
		c.slots <- struct{}{}
	}
	return c
}

func (c *core) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// View implements kv.Store.
func (c *core) View(ctx context.Context, fn func(kv.Tx) error) error {
	if c.isClosed() {
		return ErrClosed
	}
	if c.d.beginView != "" {
		return c.viewOnConn(ctx, fn)
	}
	q, err := c.r.BeginTx(ctx, c.d.view)
	if err != nil {
		return fmt.Errorf("store: begin view: %w", err)
	}
	defer q.Rollback() // read-only: nothing to commit
	t := &tx{c: c, ctx: ctx, sctx: ctx, q: q}
	defer t.finish()
	return fn(t)
}

// viewOnConn runs a View as BEGIN … ROLLBACK on a pooled reader connection. It does what
// database/sql's Tx does minus a goroutine per transaction, and each reader connection keeps
// its statements prepared (readerConn), so a one-Get View costs three statement steps and no
// SQL parsing.
func (c *core) viewOnConn(ctx context.Context, fn func(kv.Tx) error) error {
	rc, err := c.reader(ctx)
	if err != nil {
		return fmt.Errorf("store: view: %w", err)
	}
	if _, err := rc.ExecContext(ctx, c.d.beginView); err != nil {
		c.dropReader(rc)
		return fmt.Errorf("store: begin view: %w", err)
	}
	t := &tx{c: c, ctx: ctx, sctx: ctx, q: rc}
	defer func() {
		t.finish()
		if _, err := rc.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			// The connection's state is unknown: close it rather than reuse it.
			c.dropReader(rc)
			return
		}
		c.putReader(rc)
	}()
	return fn(t)
}

// stmtCache prepares each statement once on a database whose writes go through one
// connection (SQLite's writer), so that update transactions stop parsing the same SQL for
// every Get, Put and Delete.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepare prepares queries on db. It must run before a transaction holds db's only
// connection: preparing on the DB would then wait for that connection forever.
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB, queries []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	for _, q := range queries {
		if _, ok := c.m[q]; ok {
			continue
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		c.m[q] = st
	}
	return nil
}

// get returns the prepared statement of query, if prepare prepared it.
func (c *stmtCache) get(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	return st, ok
}

// writes lists the statements an update transaction runs.
func (s *statements) writes() []string {
	q := []string{s.get, s.put, s.del, s.delRange[0], s.delRange[1], s.prune}
	q = append(q, s.change[:]...)
	for _, dk := range s.delKeys {
		if dk != "" { // only where DeleteKeys batches
			q = append(q, dk)
		}
	}
	for _, l := range s.list {
		q = append(q, l[0], l[1])
	}
	return q
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = nil
}

// txStmts runs a transaction's statements through the writer's prepared statements:
// Tx.StmtContext reuses the statement the connection already prepared. A query that was
// not prepared runs as it is.
type txStmts struct {
	tx    *sql.Tx
	cache *stmtCache
	local map[string]*sql.Stmt
}

func (t *txStmts) stmt(ctx context.Context, query string) (*sql.Stmt, bool) {
	if st, ok := t.local[query]; ok {
		return st, true
	}
	st, ok := t.cache.get(query)
	if !ok {
		return nil, false
	}
	ts := t.tx.StmtContext(ctx, st)
	t.local[query] = ts
	return ts, true
}

func (t *txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := t.stmt(ctx, query); ok {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := t.stmt(ctx, query); ok {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := t.stmt(ctx, query); ok {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// readerConn is a reader connection held outside database/sql's pool together with its
// prepared statements, which go-sqlite3 would otherwise prepare (parse and plan) on every
// call.
type readerConn struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

// reader returns an idle reader connection, or opens one when fewer than Readers exist, or
// waits for one. The readers and slots channels are the only limit on reader connections:
// a connection held here never goes back to database/sql's pool, so waiting in that pool
// could wait forever.
func (c *core) reader(ctx context.Context) (*readerConn, error) {
	select {
	case rc := <-c.readers:
		return rc, nil
	default:
	}
	select {
	case rc := <-c.readers:
		return rc, nil
	case <-c.slots:
		conn, err := c.r.Conn(ctx)
		if err != nil {
			c.slots <- struct{}{}
			return nil, err
		}
		return &readerConn{conn: conn, stmts: make(map[string]*sql.Stmt)}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// putReader returns rc to the idle set, or closes it when the set is full.
func (c *core) putReader(rc *readerConn) {
	if c.isClosed() {
		c.dropReader(rc)
		return
	}
	select {
	case c.readers <- rc:
	default:
		c.dropReader(rc)
	}
}

func (c *core) dropReader(rc *readerConn) {
	for _, st := range rc.stmts {
		_ = st.Close()
	}
	_ = rc.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = rc.conn.Close()
	c.slots <- struct{}{}
}

// closeReaders closes the idle reader connections (on Close).
func (c *core) closeReaders() {
	for {
		select {
		case rc := <-c.readers:
			c.dropReader(rc)
		default:
			return
		}
	}
}

func (rc *readerConn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := rc.stmts[query]; ok {
		return st, nil
	}
	st, err := rc.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	rc.stmts[query] = st
	return st, nil
}

func (rc *readerConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := rc.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (rc *readerConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := rc.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (rc *readerConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := rc.stmt(ctx, query)
	if err != nil {
		// Let database/sql build the *sql.Row that carries the error.
		return rc.conn.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// queryer is what a tx runs statements on: a *sql.Tx, or a *sql.Conn inside BEGIN…ROLLBACK.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// updateDirect runs fn in its own database transaction, again while the database says the
// transaction lost a serialization race (PostgreSQL).
func (c *core) updateDirect(ctx context.Context, fn func(kv.Tx) error) error {
	const attempts = 20
	backoff := time.Millisecond
	for i := 1; ; i++ {
		if c.isClosed() {
			return ErrClosed
		}
		err := c.updateOnce(ctx, fn)
		if err == nil || i == attempts || !c.d.retryable(err) {
			return err
		}
		// Jitter spreads the retries of transactions that collided, so they do not collide
		// again in lockstep. Not a secret: math-quality randomness would do, crypto's is at hand.
		var b [1]byte
		_, _ = rand.Read(b[:])
		d := backoff + backoff*time.Duration(b[0])/256
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

func (c *core) updateOnce(ctx context.Context, fn func(kv.Tx) error) (err error) {
	q, err := c.w.BeginTx(ctx, c.d.update)
	if err != nil {
		return fmt.Errorf("store: begin update: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = q.Rollback()
		}
	}()
	t := &tx{c: c, ctx: ctx, sctx: ctx, q: q, write: true}
	err = fn(t)
	t.finish()
	if err != nil {
		return err
	}
	if err := c.appendChanges(ctx, q, t.changed); err != nil {
		return err
	}
	committed = true
	if err := q.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// appendChanges logs the keys a committing transaction changed, and now and then prunes
// the log, inside that transaction.
func (c *core) appendChanges(ctx context.Context, q queryer, changed []string) error {
	if len(changed) == 0 {
		return nil
	}
	if c.d.orderChanges != "" {
		if _, err := q.ExecContext(ctx, c.d.orderChanges); err != nil {
			return fmt.Errorf("store: order change log: %w", err)
		}
	}
	now := c.opts.Now()
	at := now.UnixNano()
	// Rows are inserted in the order of changed, so seq order stays change order.
	args := make([]any, 0, 3*min(len(changed), batches[0]))
	for i, n := range batches {
		for len(changed) >= n {
			args = args[:0]
			for _, k := range changed[:n] {
				args = append(args, k, c.node, at)
			}
			if _, err := q.ExecContext(ctx, c.s.change[i], args...); err != nil {
				return fmt.Errorf("store: append change log: %w", err)
			}
			changed = changed[n:]
		}
	}
	if c.commits.Add(1)%pruneEvery == 0 {
		if _, err := q.ExecContext(ctx, c.s.prune, now.Add(-c.opts.ChangeRetention).UnixNano()); err != nil {
			return fmt.Errorf("store: prune change log: %w", err)
		}
	}
	return nil
}

// tx implements kv.Tx over one database transaction (SQLite group commit: one savepoint).
type tx struct {
	c *core
	// ctx is the caller's; every operation checks it first. sctx runs the statements:
	// under SQLite group commit it is not the caller's, because cancelling a running
	// SQLite statement interrupts the whole connection and would roll back the group.
	ctx, sctx context.Context
	q         queryer
	write     bool
	done      bool
	changed   []string
	seen      map[string]struct{}
}

func (t *tx) finish() { t.done = true }

func (t *tx) check() error {
	if t.done {
		return ErrTxDone
	}
	return t.ctx.Err()
}

func validKey(k string) bool {
	return k != "" && utf8.ValidString(k) && strings.IndexByte(k, 0) < 0
}

// validBound reports whether s may bound a range: a key or "", since PostgreSQL refuses
// invalid UTF-8 and NUL in text and every backend refuses them alike.
func validBound(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func invalidKey(k string) error { return fmt.Errorf("%w: %q", ErrInvalidKey, k) }

func (t *tx) Get(key string) ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if !validKey(key) {
		return nil, invalidKey(key)
	}
	var v []byte
	err := t.q.QueryRowContext(t.sctx, t.c.s.get, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kv.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %q: %w", key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

func (t *tx) Put(key string, value []byte) error {
	if err := t.check(); err != nil {
		return err
	}
	if !t.write {
		return ErrReadOnly
	}
	if !validKey(key) {
		return invalidKey(key)
	}
	if value == nil {
		value = []byte{} // a nil []byte binds as NULL
	}
	if _, err := t.q.ExecContext(t.sctx, t.c.s.put, key, value); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	t.note(key)
	return nil
}

func (t *tx) Delete(key string) error {
	if err := t.check(); err != nil {
		return err
	}
	if !t.write {
		return ErrReadOnly
	}
	if !validKey(key) {
		return invalidKey(key)
	}
	res, err := t.q.ExecContext(t.sctx, t.c.s.del, key)
	if err != nil {
		return fmt.Errorf("store: delete %q: %w", key, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return nil // nothing changed, nothing to tell watchers
	}
	t.note(key)
	return nil
}

func (t *tx) DeleteKeys(keys []string) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	if !t.write {
		return 0, ErrReadOnly
	}
	for _, k := range keys {
		if !validKey(k) {
			return 0, invalidKey(k)
		}
	}
	removed := 0
	if !t.c.d.batchDeletes {
		for _, k := range keys {
			res, err := t.q.ExecContext(t.sctx, t.c.s.del, k)
			if err != nil {
				return removed, fmt.Errorf("store: delete %q: %w", k, err)
			}
			if n, err := res.RowsAffected(); err == nil && n > 0 {
				t.note(k)
				removed++
			}
		}
		return removed, nil
	}
	args := make([]any, 0, min(len(keys), batches[0]))
	for i, n := range batches {
		for len(keys) >= n {
			args = args[:0]
			for _, k := range keys[:n] {
				args = append(args, k)
			}
			keys = keys[n:]
			rows, err := t.q.QueryContext(t.sctx, t.c.s.delKeys[i], args...)
			if err != nil {
				return removed, fmt.Errorf("store: delete keys: %w", err)
			}
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					rows.Close()
					return removed, fmt.Errorf("store: delete keys: %w", err)
				}
				t.note(k) // only the keys that were there: nothing else changed
				removed++
			}
			if err := rows.Close(); err != nil {
				return removed, fmt.Errorf("store: delete keys: %w", err)
			}
			if err := rows.Err(); err != nil {
				return removed, fmt.Errorf("store: delete keys: %w", err)
			}
		}
	}
	return removed, nil
}

func (t *tx) DeleteRange(start, end string) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	if !t.write {
		return 0, ErrReadOnly
	}
	// Bounds travel as text, as List's do.
	for _, s := range []string{start, end} {
		if !validBound(s) {
			return 0, invalidKey(s)
		}
	}
	args := []any{start}
	bounded := end != ""
	if bounded {
		if end <= start {
			return 0, nil
		}
		args = append(args, end)
	}
	res, err := t.q.ExecContext(t.sctx, t.c.s.delRange[b2i(bounded)], args...)
	if err != nil {
		return 0, fmt.Errorf("store: delete range [%q, %q): %w", start, end, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete range [%q, %q): %w", start, end, err)
	}
	if n > 0 {
		// One change-log row for the whole range, not one per key: watchers drop everything
		// (kv.Reset). Naming each key would take a row per key, the cost a range delete avoids.
		t.note(Reset)
	}
	return int(n), nil
}

func (t *tx) note(key string) {
	if t.seen == nil {
		t.seen = make(map[string]struct{})
	}
	if _, ok := t.seen[key]; !ok {
		t.seen[key] = struct{}{}
		t.changed = append(t.changed, key)
	}
}

func (t *tx) List(prefix, after string, limit int) ([]kv.Pair, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	// Bounds travel as text: PostgreSQL refuses invalid UTF-8 and NUL, so refuse them here
	// for every backend alike.
	for _, s := range []string{prefix, after} {
		if !validBound(s) {
			return nil, invalidKey(s)
		}
	}
	lower, exclusive := prefix, false
	if after != "" && after >= prefix {
		lower, exclusive = after, true
	}
	end, bounded := prefixEnd(prefix)
	args := []any{lower}
	if bounded {
		if lower >= end {
			return nil, nil
		}
		args = append(args, end)
	}
	var lim any = t.c.d.noLimit
	if limit > 0 {
		lim = limit
	}
	args = append(args, lim)
	rows, err := t.q.QueryContext(t.sctx, t.c.s.list[b2i(exclusive)][b2i(bounded)], args...)
	if err != nil {
		return nil, fmt.Errorf("store: list %q: %w", prefix, err)
	}
	defer rows.Close()
	var out []kv.Pair
	if limit > 0 {
		out = make([]kv.Pair, 0, min(limit, 64))
	}
	for rows.Next() {
		var p kv.Pair
		if err := rows.Scan(&p.Key, &p.Value); err != nil {
			return nil, fmt.Errorf("store: list %q: %w", prefix, err)
		}
		if p.Value == nil {
			p.Value = []byte{}
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list %q: %w", prefix, err)
	}
	return out, nil
}

// prefixEnd is kv.PrefixEnd: List's exclusive upper bound for a prefix.
func prefixEnd(prefix string) (string, bool) { return kv.PrefixEnd(prefix) }

// Reset (kv.Reset) is what a watcher sends instead of a key when it cannot name the keys
// that changed: a committed DeleteRange that removed keys (logged as one row with the empty
// key), or a watcher that may have missed changes — after it could not read the change log
// for longer than Options.ChangeRetention/2 (the log may have been pruned past it), or when
// it could not take its starting point at once. It is the empty string, which is never a
// key: a cache receiving it drops everything.
const Reset = kv.Reset

// Changes implements kv.Watcher: it polls the change log every Options.PollInterval and
// sends the keys that other processes (nodes) changed after the call, in commit order; a
// key changed twice is sent twice. The channel closes when ctx ends or the store closes.
// A slow reader delays polling but loses nothing; a watcher that cannot poll for too long
// sends Reset.
func (c *core) Changes(ctx context.Context) <-chan string {
	ch := make(chan string, 256)
	var last int64
	started := false
	lastOK := c.opts.Now()
	start := func() {
		if err := c.r.QueryRowContext(ctx, c.s.maxSeq).Scan(&last); err != nil {
			c.opts.Logger.Warn("store: watcher start", "err", err)
			return
		}
		started = true
	}
	// The starting point is read before Changes returns, so every change committed after
	// the call is reported.
	start()
	late := !started
	c.watchers.Add(1)
	go func() {
		defer c.watchers.Done()
		defer close(ch)
		send := func(k string) bool {
			select {
			case ch <- k:
				return true
			case <-ctx.Done():
			case <-c.closed:
			}
			return false
		}
		tick := time.NewTicker(c.opts.PollInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.closed:
				return
			case <-tick.C:
			}
			if !started {
				start()
				continue
			}
			for {
				keys, seq, n, err := c.poll(ctx, last)
				if err != nil {
					if ctx.Err() == nil && !c.isClosed() {
						c.opts.Logger.Warn("store: watcher poll", "err", err)
					}
					break
				}
				now := c.opts.Now()
				if late || now.Sub(lastOK) > c.opts.ChangeRetention/2 {
					if !send(Reset) {
						return
					}
					late = false
				}
				last, lastOK = seq, now
				for _, k := range keys {
					if !send(k) {
						return
					}
				}
				if n < 1000 {
					break
				}
			}
		}
	}()
	return ch
}

// poll reads the change log after seq; it returns the keys other nodes changed, the last
// seq read, and how many rows were read.
func (c *core) poll(ctx context.Context, after int64) (keys []string, last int64, n int, err error) {
	last = after
	rows, err := c.r.QueryContext(ctx, c.s.poll, after)
	if err != nil {
		return nil, after, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var key, node string
		if err := rows.Scan(&last, &key, &node); err != nil {
			return nil, after, 0, err
		}
		n++
		if node != c.node {
			keys = append(keys, key)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, after, 0, err
	}
	return keys, last, n, nil
}

// --- migrations ---

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. A file is NNNN_name.sql.
func migrations() ([]migration, error) {
	ents, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".sql")
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration file %q is not NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := range ms {
		if ms[i].version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 1, 2, …; found %q", ms[i].name)
		}
	}
	return ms, nil
}

// statementsOf splits a migration into statements: '--' comment lines are dropped and ';'
// at a line's end ends a statement. Migrations hold no string literals with ';'.
func statementsOf(src string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.Lines(src) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// migrate brings the schema to the newest embedded version in one transaction; run at
// every open, it does nothing when the schema is current. A database newer than this
// binary is refused rather than used with a schema the code does not know.
func (c *core) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	q, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer q.Rollback()
	if c.d.lockMigrations != "" {
		if _, err := q.ExecContext(ctx, c.d.lockMigrations); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	if _, err := q.ExecContext(ctx, qMigrTable); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var have int
	if err := q.QueryRowContext(ctx, qMigrVersion).Scan(&have); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("store: the database's schema is version %d, newer than this binary's %d", have, len(ms))
	}
	for _, m := range ms[have:] {
		for _, st := range statementsOf(m.sql) {
			st, err := c.d.fill(st)
			if err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
			if _, err := q.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
		}
		if _, err := q.ExecContext(ctx, c.d.rebind(qMigrInsert), m.version, m.name, c.opts.Now().Unix()); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	if err := q.Commit(); err != nil {
		return fmt.Errorf("store: migrate: commit: %w", err)
	}
	return nil
}
