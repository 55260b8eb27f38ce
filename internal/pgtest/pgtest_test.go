package pgtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/orderform/orderform/internal/pgtest"
)

func schemaExists(t *testing.T, name string) bool {
	t.Helper()
	var n int
	err := pgtest.Connect(t).QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// The server CI starts works, and each test gets a schema of its own that
// is empty, usable, and gone after the test.
func TestSchemaIsEmptyUsableAndDroppedAfterTheTest(t *testing.T) {
	var first, second string
	t.Run("inner", func(t *testing.T) {
		first, second = pgtest.Schema(t), pgtest.Schema(t)
		if first == second {
			t.Fatalf("two schemas of one test are both named %s", first)
		}
		if !schemaExists(t, first) {
			t.Fatalf("schema %s does not exist", first)
		}
		ctx := context.Background()
		conn := pgtest.Connect(t)
		var tables int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", first).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("new schema %s has %d tables, want none", first, tables)
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE %q.entries (id text PRIMARY KEY); INSERT INTO %q.entries VALUES ('a')`, first, first)); err != nil {
			t.Fatal(err)
		}
	})
	for _, name := range []string{first, second} {
		if schemaExists(t, name) {
			t.Errorf("schema %s is still there after its test", name)
		}
	}
}

// SchemaName is for tests of what creates its schema on first use: the
// name is free, and whatever the test made under it is dropped after.
func TestSchemaNameIsFreeAndDroppedAfterTheTest(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		name = pgtest.SchemaName(t)
		if !strings.HasPrefix(name, "test_") || len(name) > 63 {
			t.Errorf("schema name %q: want test_..., at most 63 bytes", name)
		}
		if schemaExists(t, name) {
			t.Fatalf("schema %s exists before the test made it", name)
		}
		if _, err := pgtest.Connect(t).Exec(context.Background(), fmt.Sprintf("CREATE SCHEMA %q", name)); err != nil {
			t.Fatal(err)
		}
	})
	if schemaExists(t, name) {
		t.Errorf("schema %s is still there after its test", name)
	}
}

// The pg backend commits an intent before the write leaves; that proves
// nothing on a server that acknowledges commits it has not flushed.
func TestServerCommitsSynchronously(t *testing.T) {
	var setting string
	if err := pgtest.Connect(t).QueryRow(context.Background(), "SHOW synchronous_commit").Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if setting != "on" {
		t.Errorf("synchronous_commit = %s, want on", setting)
	}
}

// recorder stands in for a test to see how URL ends it.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Fatalf(f string, args ...any) { r.fatal = fmt.Sprintf(f, args...) }
func (r *recorder) Skipf(f string, args ...any)  { r.skip = fmt.Sprintf(f, args...) }

// Without a server the PostgreSQL tests fail in CI and are skipped, with
// the command that runs them, elsewhere.
func TestURLWithoutAServer(t *testing.T) {
	t.Setenv(pgtest.EnvURL, "")
	for _, tc := range []struct {
		ci        string
		wantFatal bool
	}{
		{ci: "true", wantFatal: true},
		{ci: "", wantFatal: false},
		{ci: "false", wantFatal: false},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			if got := pgtest.URL(r); got != "" {
				t.Errorf("URL = %q, want empty", got)
			}
			if tc.wantFatal {
				if r.fatal == "" || r.skip != "" {
					t.Errorf("in CI: fatal %q, skip %q; want a failure, no skip", r.fatal, r.skip)
				}
				return
			}
			if r.skip == "" || r.fatal != "" {
				t.Errorf("outside CI: fatal %q, skip %q; want a skip, no failure", r.fatal, r.skip)
			}
			if !strings.Contains(r.skip, "bash .ci/test") {
				t.Errorf("skip message %q does not say how to run the tests", r.skip)
			}
		})
	}
}

func TestURLFromTheEnvironment(t *testing.T) {
	const url = "postgres://orderform:secret@127.0.0.1:1/orderform?sslmode=disable"
	t.Setenv(pgtest.EnvURL, url)
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	if got := pgtest.URL(r); got != url || r.fatal != "" || r.skip != "" {
		t.Errorf("URL = %q (fatal %q, skip %q), want %q", got, r.fatal, r.skip, url)
	}
}
