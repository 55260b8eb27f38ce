package journal

import (
	"context"
	"net/url"
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
	role := schema + "_rw"
	u, _ := url.Parse(conn)
	u.User = url.UserPassword(role, "rw-pw-123")
	for _, stmt := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD 'rw-pw-123'",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
	} {
		if _, err := c.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	// Reading alone is not enough, and says so at open, not at the first
	// intent.
	if w, err := OpenPG(ctx, u.String(), schema); err == nil || !strings.Contains(err.Error(), "may not read and write") {
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
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), conn); err == nil {
			defer c.Close(context.Background())
			_, _ = c.Exec(context.Background(), "DROP OWNED BY "+role)
			_, _ = c.Exec(context.Background(), "DROP ROLE "+role)
		}
	})
	w, err := OpenPG(ctx, u.String(), schema)
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
