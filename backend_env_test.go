package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderform/orderform/journal"
)

// testPGBackend is a PostgreSQL schema of its own for one test: the
// configuration's backend "pg" block names it, PG_CONN_STR reaches it.
type testPGBackend struct {
	url, schema string
}

// newTestPG makes a fresh schema name on the database of ORDERFORM_TEST_PG
// (.ci/run starts one), dropped when the test ends. In CI a missing
// database fails the test; elsewhere it is skipped, saying how to run it.
func newTestPG(t *testing.T) *testPGBackend {
	t.Helper()
	url := os.Getenv("ORDERFORM_TEST_PG")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ORDERFORM_TEST_PG is not set: .ci/run starts a PostgreSQL and sets it")
		}
		t.Skip("ORDERFORM_TEST_PG is not set: run `bash .ci/test` to run the PostgreSQL tests")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	pg := &testPGBackend{url: url, schema: "e2e_" + hex.EncodeToString(b[:])}
	t.Cleanup(func() {
		pg.exec(t, "DROP SCHEMA IF EXISTS "+pg.schema+" CASCADE")
	})
	return pg
}

func (pg *testPGBackend) exec(t *testing.T, stmt string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// block is the backend block of a configuration using it.
func (pg *testPGBackend) block() string {
	return fmt.Sprintf("backend \"pg\" {\n  schema_name = %q\n}\n", pg.schema)
}

func (pg *testPGBackend) records(t *testing.T) []journal.Record {
	t.Helper()
	b, err := journal.OpenPG(context.Background(), pg.url, pg.schema)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	recs, err := b.Records(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// age moves every record d into the past.
func (pg *testPGBackend) age(t *testing.T, d time.Duration) {
	t.Helper()
	recs := pg.records(t)
	_ = recs // the schema exists: records opened (and so created) it
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT seq, record FROM "+pg.schema+".journal")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		seq  int64
		data []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.data); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	for _, r := range all {
		var rec journal.Record
		if err := json.Unmarshal(r.data, &rec); err != nil {
			t.Fatal(err)
		}
		rec.Time = rec.Time.Add(-d)
		data, _ := json.Marshal(rec)
		if _, err := conn.Exec(ctx, "UPDATE "+pg.schema+".journal SET record = $1, recorded_at = $2 WHERE seq = $3", data, rec.Time, r.seq); err != nil {
			t.Fatal(err)
		}
	}
}

// usePG points e's configuration at a fresh PostgreSQL backend.
func (e *applyEnv) usePG() {
	e.t.Helper()
	e.pg = newTestPG(e.t)
	e.write("backend.hcl", e.pg.block())
}

// forBackends runs f once per backend: use(e) switches a fresh env to it.
func forBackends(t *testing.T, f func(t *testing.T, use func(*applyEnv))) {
	t.Run("local", func(t *testing.T) { f(t, func(*applyEnv) {}) })
	t.Run("pg", func(t *testing.T) { f(t, func(e *applyEnv) { e.usePG() }) })
}
