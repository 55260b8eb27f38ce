// Package pgtest gives tests a real PostgreSQL server: the throw-away
// cluster that .ci/run (or, on a developer's machine, bash .ci/test) starts
// and names in ORDERFORM_TEST_PG, and a schema of their own in it for each
// test. Use it in the tests of the pg backend and in end-to-end tests that
// run orderform against it; tests that need no server use nothing here.
//
// In CI (CI=true) a missing server fails the test: the tests of the pg
// backend must never pass by being skipped.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that holds the connection string of the test
// server, a libpq URL that pgx and psql both take.
const EnvURL = "ORDERFORM_TEST_PG"

// URL returns the connection string of the test server. Without one it
// fails the test in CI and skips it elsewhere, saying how to run it.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts a server and sets it)", EnvURL)
		return ""
	}
	t.Skipf("needs PostgreSQL: run the suite with bash .ci/test (it starts a throw-away server), or set %s to a postgres:// URL", EnvURL)
	return ""
}

// Schema creates an empty schema that belongs to this test alone and
// returns its name; it is dropped, with all that the test put in it, when
// the test ends. Close what the test opened on it before then (t.Cleanup
// runs last-registered first, so register those after calling Schema).
func Schema(t testing.TB) string {
	t.Helper()
	name := SchemaName(t)
	exec(t, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize())
	return name
}

// SchemaName returns a name for a schema that belongs to this test alone
// and does not exist yet, for a test of what creates it on first use. A
// schema of that name is dropped when the test ends.
func SchemaName(t testing.TB) string {
	t.Helper()
	url := URL(t)
	name := schemaName(t.Name())
	t.Cleanup(func() {
		// The test's own context is done by now.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// Fail rather than hang when the test left a transaction open on it.
		if _, err := conn.Exec(ctx, "SET lock_timeout = '10s'"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// Connect opens a connection to the test server, closed when the test ends.
func Connect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, URL(t))
	if err != nil {
		t.Fatalf("connect to the test server (%s): %v", EnvURL, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec(t testing.TB, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, URL(t))
	if err != nil {
		t.Fatalf("connect to the test server (%s): %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// schemaName is the test's name, lower-cased and cut to what an identifier
// holds, and a random suffix: readable in a leftover, unique across runs
// and parallel tests.
func schemaName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() == 30 {
			break
		}
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	return "test_" + b.String() + "_" + hex.EncodeToString(suffix)
}
