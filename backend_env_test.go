package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/orderform/orderform/internal/pgtest"
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
	return &testPGBackend{url: pgtest.URL(t), schema: pgtest.SchemaName(t)}
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
	_ = pg.records(t) // the schema exists: opening it made sure
	ctx := context.Background()
	conn := pgtest.Connect(t)
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
