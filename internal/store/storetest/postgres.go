package storetest

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// PostgresDSN is the local test server (trust auth); GATEHOUSE_TEST_POSTGRES overrides it.
func PostgresDSN() string {
	if dsn := os.Getenv("GATEHOUSE_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// PostgresSchema creates a fresh schema (named prefix + random text) for one test, drops it
// when the test ends, and returns a DSN whose search_path points at it, so the test's
// tables collide with no other test's. Without a reachable server the test skips, unless
// CI=true: then it fails, so that CI never passes by skipping. Register it before starting
// anything that uses the schema, so the drop runs after those have stopped.
func PostgresSchema(t testing.TB, prefix string) string {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresDSN())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s is unreachable and CI=true: %v", PostgresDSN(), err)
		}
		t.Skipf("PostgreSQL at %s is unreachable (set GATEHOUSE_TEST_POSTGRES, or CI=true to fail): %v", PostgresDSN(), err)
	}
	schema := prefix + strings.ToLower(crand.Text())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(PostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
