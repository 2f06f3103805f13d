package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"

	"gatehouse/internal/kv"
)

// SQLite is the single-machine backend: one database file in WAL mode with
// synchronous=FULL, one writer connection fed by a group committer, and a pool of reader
// connections so that Views run in parallel with each other and with the writer.
type SQLite struct {
	*core
	path string
	reqs chan *updateReq
	// committerDone closes when the committer goroutine has finished its last group.
	committerDone chan struct{}
	// writerStmts are the writer connection's prepared statements (used by the committer only).
	writerStmts stmtCache
}

var (
	_ kv.Store   = (*SQLite)(nil)
	_ kv.Watcher = (*SQLite)(nil)
)

// OpenSQLite opens (creating if needed) the database at path, applies pending migrations,
// and starts the group committer. Close releases it.
func OpenSQLite(ctx context.Context, path string, opts Options) (*SQLite, error) {
	opts = opts.withDefaults()
	if path == "" || strings.ContainsAny(path, "?#") {
		// go-sqlite3 reads what follows '?' as its own parameters.
		return nil, fmt.Errorf("store: sqlite path %q must be a file name without '?' or '#'", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// The database holds password hashes and sealed secrets: only its owner may read it.
	// SQLite gives the -wal and -shm files the database file's permissions, so creating
	// the (empty, hence valid) file first with 0600 covers all three.
	if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("store: create %s: %w", abs, err)
	}
	sync := "FULL"
	if opts.UnsafeNoSync {
		sync = "OFF"
	}
	common := url.Values{
		"_busy_timeout":    {strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)},
		"_foreign_keys":    {"on"},
		"_stmt_cache_size": {"32"},
	}
	wp := url.Values{
		"_journal_mode": {"WAL"},
		"_synchronous":  {sync},
		// Every write transaction takes the write lock at BEGIN, so it never fails midway
		// with SQLITE_BUSY when upgrading a read lock (another process may share the file).
		"_txlock": {"immediate"},
	}
	rp := url.Values{
		// Readers cannot write even by mistake; View's Tx refuses first anyway.
		"_query_only": {"true"},
	}
	for k, v := range common {
		wp[k], rp[k] = v, v
	}
	w, err := sql.Open("sqlite3", abs+"?"+wp.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	// One writer: SQLite allows one anyway, and one connection keeps its statement cache hot.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := checkWAL(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite3", abs+"?"+rp.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	s := &SQLite{
		core:          newCore(sqliteDialect, w, r, opts),
		path:          abs,
		reqs:          make(chan *updateReq),
		committerDone: make(chan struct{}),
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	// Prepared now, before any transaction holds the one writer connection.
	if err := s.writerStmts.prepare(ctx, w, s.s.writes()); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: sqlite: prepare: %w", err)
	}
	go s.committer()
	return s, nil
}

// checkWAL confirms the settings took: go-sqlite3 applies DSN pragmas silently, and a file
// system without shared memory support leaves the journal in its old mode.
func checkWAL(ctx context.Context, w *sql.DB) error {
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("store: sqlite: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("store: sqlite: journal_mode is %q, want wal", mode)
	}
	return nil
}

// Path is the database file's absolute path.
func (s *SQLite) Path() string { return s.path }

// IntegrityCheck runs PRAGMA integrity_check and returns an error unless it says "ok".
func (s *SQLite) IntegrityCheck(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: integrity_check: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return fmt.Errorf("store: integrity_check: %w", err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: integrity_check: %w", err)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		return fmt.Errorf("store: integrity_check: %s", strings.Join(lines, "; "))
	}
	return nil
}

// Close waits for the group being committed, refuses new Updates, stops watchers and
// closes the database.
func (s *SQLite) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		<-s.committerDone
		s.watchers.Wait()
		s.closeReaders()
		s.writerStmts.close()
		err = s.r.Close()
		if werr := s.w.Close(); err == nil {
			err = werr
		}
	})
	return err
}

// updateReq is one Update waiting for the committer.
type updateReq struct {
	ctx  context.Context
	fn   func(kv.Tx) error
	done chan error
}

// panicked carries a panic in fn from the committer back to the caller's goroutine.
type panicked struct {
	value any
	stack []byte
}

func (p *panicked) Error() string {
	return fmt.Sprintf("store: panic in Update: %v\n%s", p.value, p.stack)
}

// Update implements kv.Store. It hands fn to the group committer and returns when the group
// holding it has committed (nil) or when fn failed (fn's error, and fn's writes are gone).
func (s *SQLite) Update(ctx context.Context, fn func(kv.Tx) error) error {
	r := &updateReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return ErrClosed
	}
	// Once handed over, wait for the outcome even if ctx ends: fn may already be committed,
	// and returning ctx.Err() then would report a failure that did not happen.
	err := <-r.done
	if p, ok := err.(*panicked); ok {
		panic(p.value)
	}
	return err
}

// committer takes the Updates waiting at this moment (up to MaxBatch), runs them one after
// another in one transaction, each in a savepoint, and commits them with one fsync. While
// it commits, new Updates queue up and form the next group: the group size follows the
// load with no added delay.
func (s *SQLite) committer() {
	defer close(s.committerDone)
	group := make([]*updateReq, 0, s.opts.MaxBatch)
	for {
		select {
		case r := <-s.reqs:
			group = append(group[:0], r)
		case <-s.closed:
			return
		}
	more:
		for len(group) < s.opts.MaxBatch {
			select {
			case r := <-s.reqs:
				group = append(group, r)
			default:
				break more
			}
		}
		s.commitGroup(group)
		clear(group)
	}
}

func (s *SQLite) commitGroup(group []*updateReq) {
	// Statements run under a context that is never cancelled: see tx.sctx.
	bg := context.Background()
	q, err := s.w.BeginTx(bg, nil)
	if err != nil {
		for _, r := range group {
			r.done <- fmt.Errorf("store: begin update: %w", err)
		}
		return
	}
	alone := len(group) == 1
	wq := &txStmts{tx: q, cache: &s.writerStmts, local: make(map[string]*sql.Stmt)}
	var ok []*updateReq
	var changed []string
	var broken error // set when the transaction itself failed; everything fails
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		if !alone {
			if _, err := q.ExecContext(bg, "SAVEPOINT u"); err != nil {
				broken = err
				fail(group[i:], err)
				break
			}
		}
		t := &tx{c: s.core, ctx: r.ctx, sctx: bg, q: wq, write: true}
		err := runFn(r.fn, t)
		t.finish()
		if err != nil {
			if !alone {
				if _, rerr := q.ExecContext(bg, "ROLLBACK TO u; RELEASE u"); rerr != nil {
					broken = rerr
					r.done <- err
					fail(group[i+1:], rerr)
					break
				}
			}
			r.done <- err
			continue
		}
		if !alone {
			if _, err := q.ExecContext(bg, "RELEASE u"); err != nil {
				broken = err
				fail(group[i:], err)
				break
			}
		}
		ok = append(ok, r)
		changed = append(changed, t.changed...)
	}
	if broken == nil && len(ok) > 0 {
		broken = s.appendChanges(bg, wq, changed)
	}
	if broken != nil || len(ok) == 0 {
		_ = q.Rollback()
		if broken != nil {
			fail(ok, fmt.Errorf("store: update: %w", broken))
		}
		return
	}
	err = q.Commit()
	if err != nil {
		err = fmt.Errorf("store: commit: %w", err)
	}
	for _, r := range ok {
		r.done <- err
	}
}

func fail(rs []*updateReq, err error) {
	for _, r := range rs {
		r.done <- err
	}
}

// runFn runs fn, turning a panic into a *panicked error so the committer survives it.
func runFn(fn func(kv.Tx) error, t *tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicked{value: v, stack: debug.Stack()}
		}
	}()
	return fn(t)
}
