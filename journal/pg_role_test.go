package journal

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A team's DBA creates the schema and its tables once and gives the role
// that applies no more than their use (no CREATE on the database or the
// schema): that role applies, since the tables are already at this version.
func TestPGRoleWithoutCreate(t *testing.T) {
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
	role, rw := readerRole(t, c, conn, schema, "_rw")
	// Reading alone is not enough, and says so at open, not at the first
	// intent.
	if w, err := OpenPG(ctx, rw, schema); err == nil || !strings.Contains(err.Error(), "may not read and write") {
		if w != nil {
			w.Close()
		}
		t.Fatalf("open as a role that may only read: %v, want the permissions it lacks", err)
	}
	for _, stmt := range []string{
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
		"GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + role,
	} {
		if _, err := c.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	w, err := OpenPG(ctx, rw, schema)
	if err != nil {
		t.Fatalf("open as a role that may use the tables but create nothing: %v", err)
	}
	defer w.Close()
	l, err := w.Lock(ctx, []LockKey{{realEP, 21}}, Holder{User: "ci"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if err := w.Append(Record{Kind: KindIntent, ID: "a", Call: CallTrack, OrderID: 1, CampaignID: 21, Endpoint: realEP}); err != nil {
		t.Fatal(err)
	}
	if err := w.Prune(ctx, l); err != nil {
		t.Fatal(err)
	}
}
