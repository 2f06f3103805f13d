package store

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is everything that differs between SQLite and PostgreSQL. The SQL in store.go and
// migrations/ is written once, with '?' placeholders and {{words}} that a dialect fills in.
type dialect struct {
	name string
	// words fill the {{word}} slots of migrations.
	words map[string]string
	// dollarParams: PostgreSQL numbers its placeholders ($1, $2…); SQLite takes '?'.
	dollarParams bool
	// noLimit is the LIMIT argument that means "all rows": SQLite takes a negative
	// number, PostgreSQL NULL (it rejects negative limits).
	noLimit any
	// update and view are the transaction options of Update and View. SQLite ignores them
	// (its write lock comes from _txlock=immediate on the writer connection, and a deferred
	// read transaction is a snapshot in WAL mode).
	update, view *sql.TxOptions
	// beginView, when set, starts a View by hand on a pooled connection instead of through
	// database/sql's Tx (see core.viewOnConn). SQLite: a deferred BEGIN, whose snapshot is
	// fixed by the first read in WAL mode.
	beginView string
	// orderChanges runs just before an Update appends to the change log, and holds until
	// commit. In PostgreSQL, sequence values are handed out before commit, so without it a
	// change with a smaller seq could become visible after a watcher had moved past it.
	// The transaction-scoped advisory lock makes seq order commit order. SQLite has one
	// writer, so it needs nothing.
	orderChanges string
	// batchDeletes: DeleteKeys deletes up to 64 keys per statement (IN … RETURNING), since
	// each statement is a round trip to the server. SQLite runs statements in process, where
	// a prepared point delete per key costs less than its IN … RETURNING (measured: 250 keys
	// 0.25 ms against 0.6 ms of SQLite's own time), so it deletes key by key.
	batchDeletes bool
	// lockMigrations serializes nodes that start at once against the same database.
	lockMigrations string
	// retryable reports whether an Update that failed with err may be run again.
	retryable func(err error) bool
}

// lockKey is an arbitrary constant naming Gatehouse's advisory locks ("gatehous" in ASCII).
const lockKey = "7450469021618906483"

var sqliteDialect = &dialect{
	name: "sqlite",
	words: map[string]string{
		"key":  "TEXT",
		"blob": "BLOB",
		// The table is its primary key index: a List is one B-tree range scan.
		"without_rowid": " WITHOUT ROWID",
		// AUTOINCREMENT: a seq is never reused, even after pruning removed the largest.
		"serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
	},
	noLimit:   -1,
	beginView: "BEGIN",
	update:    nil,
	view:      nil,
	retryable: func(error) bool { return false },
}

var postgresDialect = &dialect{
	name: "postgres",
	words: map[string]string{
		"key":           `TEXT COLLATE "C"`,
		"blob":          "BYTEA",
		"without_rowid": "",
		"serial":        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	},
	dollarParams:   true,
	noLimit:        nil,
	update:         &sql.TxOptions{Isolation: sql.LevelSerializable},
	view:           &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	orderChanges:   "SELECT pg_advisory_xact_lock(" + lockKey + ")",
	batchDeletes:   true,
	lockMigrations: "SELECT pg_advisory_xact_lock(" + lockKey + ")",
	retryable: func(err error) bool {
		// 40001 serialization_failure, 40P01 deadlock_detected: the transaction lost a
		// race and running it again may succeed.
		var pe *pgconn.PgError
		return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
	},
}

// rebind rewrites '?' placeholders for the dialect. The statements here never contain a
// literal '?', so no quoting rules are needed.
func (d *dialect) rebind(q string) string {
	if !d.dollarParams {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// fill replaces the {{word}} slots of a migration.
func (d *dialect) fill(q string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(q, "{{")
		if i < 0 {
			b.WriteString(q)
			return b.String(), nil
		}
		j := strings.Index(q[i:], "}}")
		if j < 0 {
			return "", errors.New("unclosed {{")
		}
		w, ok := d.words[q[i+2:i+j]]
		if !ok {
			return "", errors.New("unknown dialect word " + q[i:i+j+2])
		}
		b.WriteString(q[:i])
		b.WriteString(w)
		q = q[i+j+2:]
	}
}
