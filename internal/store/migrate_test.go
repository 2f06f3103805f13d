package store

import (
	"slices"
	"strings"
	"testing"
)

func TestStatementsOf(t *testing.T) {
	src := "-- a comment; with a semicolon\nCREATE TABLE a (\n  x INT -- trailing words\n);\n\n  -- indented comment\nCREATE INDEX i ON a (x);\nSELECT 1"
	got := statementsOf(src)
	want := []string{"CREATE TABLE a (\n  x INT -- trailing words\n)", "CREATE INDEX i ON a (x)", "SELECT 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("statementsOf:\n got %q\nwant %q", got, want)
	}
}

// Every embedded migration fills in both dialects, with no {{word}} left over.
func TestMigrationsFillEveryDialect(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*dialect{sqliteDialect, postgresDialect} {
		for _, m := range ms {
			for _, st := range statementsOf(m.sql) {
				out, err := d.fill(st)
				if err != nil {
					t.Errorf("%s: %s: %v", d.name, m.name, err)
				}
				if strings.Contains(out, "{{") || strings.Contains(out, "}}") {
					t.Errorf("%s: %s: unfilled slot in %q", d.name, m.name, out)
				}
			}
		}
	}
	if _, err := sqliteDialect.fill("CREATE TABLE x (a {{nope}})"); err == nil {
		t.Error("fill accepted an unknown word")
	}
	if _, err := sqliteDialect.fill("CREATE TABLE x (a {{key)"); err == nil {
		t.Error("fill accepted an unclosed slot")
	}
}

func TestRebind(t *testing.T) {
	q := "SELECT key FROM kv WHERE key > ? AND key < ? LIMIT ?"
	if got := sqliteDialect.rebind(q); got != q {
		t.Errorf("sqlite rebind changed the query: %q", got)
	}
	if got, want := postgresDialect.rebind(q), "SELECT key FROM kv WHERE key > $1 AND key < $2 LIMIT $3"; got != want {
		t.Errorf("postgres rebind = %q, want %q", got, want)
	}
}
