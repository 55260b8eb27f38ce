package journal

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Every way of not reaching a usable database is an error at open, before
// anything else happens, that says what is wrong and never shows the
// password.
func TestPGOpenErrors(t *testing.T) {
	good, schema := pgSchema(t)
	u, err := url.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	wrongPW := *u
	wrongPW.User = url.UserPassword(u.User.Username(), "not-the-password-x9")
	down := *u
	down.Host = "127.0.0.1:1"
	for _, c := range []struct {
		name, conn string
		want       []string
	}{
		{"unparseable", "postgres://a:not-the-password-x9@host:notaport/db", []string{"connection string", "cannot be parsed"}},
		{"server down", down.String(), []string{"connect to 127.0.0.1:1"}},
		{"wrong password", wrongPW.String(), []string{"connect to", "password authentication failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := OpenPG(context.Background(), c.conn, schema)
			if err == nil {
				b.Close()
				t.Fatal("OpenPG succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "not-the-password-x9") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// The tables are created on first use with their version; a version a
// newer orderform wrote is refused rather than misread.
func TestPGSchemaVersion(t *testing.T) {
	conn, schema := pgSchema(t)
	ctx := context.Background()
	b, err := OpenPG(ctx, conn, schema)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var v string
	if err := c.QueryRow(ctx, "SELECT value FROM "+schema+".meta WHERE key = 'schema_version'").Scan(&v); err != nil || v != "1" {
		t.Fatalf("schema_version %q (%v), want 1", v, err)
	}
	if _, err := c.Exec(ctx, "UPDATE "+schema+".meta SET value = '99' WHERE key = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	if b, err := OpenPG(ctx, conn, schema); err == nil || !strings.Contains(err.Error(), "newer orderform") {
		if b != nil {
			b.Close()
		}
		t.Fatalf("open of version 99 tables: %v, want a refusal", err)
	}
}

// A role that may read the journal but not write it is refused at open.
func TestPGMissingPermission(t *testing.T) {
	conn, schema := pgSchema(t)
	ctx := context.Background()
	b, err := OpenPG(ctx, conn, schema)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	_, ro := readerRole(t, c, conn, schema, "_ro")
	if b, err := OpenPG(ctx, ro, schema); err == nil || !strings.Contains(err.Error(), "permission denied") && !strings.Contains(err.Error(), "may not read and write") {
		if b != nil {
			b.Close()
		}
		t.Fatalf("open as a read-only role: %v, want a permission error", err)
	}
}

// A reader (plan, journal) creates nothing, reads a schema no apply made
// yet as an empty journal, needs no more than SELECT, and cannot write.
func TestPGReadOnly(t *testing.T) {
	conn, schema := pgSchema(t)
	ctx := context.Background()
	r, err := OpenPGReadOnly(ctx, conn, schema)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := r.Records(ctx)
	if err != nil || len(recs) != 0 {
		t.Fatalf("a schema not created yet: %d records, %v; want none", len(recs), err)
	}
	if err := r.Append(Record{Kind: KindIntent, ID: "x", Call: CallTrack, OrderID: 1}); err == nil {
		t.Error("a read-only backend appended")
	}
	if _, err := r.Lock(ctx, []LockKey{{realEP, 21}}, Holder{}, 0, nil); err == nil {
		t.Error("a read-only backend locked")
	}
	r.Close()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var exists *string
	if err := c.QueryRow(ctx, "SELECT to_regnamespace($1)::text", schema).Scan(&exists); err != nil || exists != nil {
		t.Fatalf("the reader created schema %v (%v)", exists, err)
	}

	w, err := OpenPG(ctx, conn, schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(Record{Kind: KindIntent, ID: "a", Call: CallTrack, OrderID: 1, Endpoint: realEP}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	_, reader := readerRole(t, c, conn, schema, "_reader")
	r, err = OpenPGReadOnly(ctx, reader, schema)
	if err != nil {
		t.Fatalf("a SELECT-only role reading: %v", err)
	}
	defer r.Close()
	if recs, err := r.Records(ctx); err != nil || len(recs) != 1 {
		t.Fatalf("read %d records (%v), want 1", len(recs), err)
	}
}

// readerRole creates a login role (schema+suffix) that may use schema and
// SELECT its tables, no more, dropped when the test ends. It returns the
// role's name and a connection string that logs in as it.
func readerRole(t *testing.T, admin *pgx.Conn, conn, schema, suffix string) (role, roleURL string) {
	t.Helper()
	ctx := context.Background()
	role = schema + suffix
	password := "pw-" + role
	for _, stmt := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), conn); err == nil {
			defer c.Close(context.Background())
			_, _ = c.Exec(context.Background(), "DROP OWNED BY "+role)
			_, _ = c.Exec(context.Background(), "DROP ROLE "+role)
		}
	})
	u, err := url.Parse(conn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	return role, u.String()
}
