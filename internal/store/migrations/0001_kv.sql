-- 0001: the key-value space and its change log.
--
-- Words in {{braces}} are the dialect's (dialect.go): the one place SQLite and PostgreSQL differ.
-- kv.key sorts bytewise in both: SQLite's BINARY collation is memcmp; PostgreSQL's "C" collation
-- is strcmp on the UTF-8 bytes. List relies on that to range-scan the primary key.
CREATE TABLE kv (
    key   {{key}} PRIMARY KEY,
    value {{blob}} NOT NULL
){{without_rowid}};

-- One row per key changed by a committed Update, in commit order; other nodes poll it to
-- invalidate their caches (kv.Watcher). Pruned after Options.ChangeRetention.
CREATE TABLE changes (
    seq  {{serial}},
    key  {{key}} NOT NULL,
    node {{key}} NOT NULL,
    at   BIGINT NOT NULL
);

CREATE INDEX changes_at ON changes (at);
