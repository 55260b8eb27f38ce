package journal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// terminate ends b's session from another connection, as a database
// restart, a failover or an idle timeout in between would.
func terminate(t *testing.T, url string, b *PG) {
	t.Helper()
	ctx := context.Background()
	b.mu.Lock()
	var pid int
	err := b.conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid)
	b.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var ok bool
	if err := admin.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate backend %d: %v %v", pid, ok, err)
	}
	// The server closes the socket right after; wait until it has.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&n); err == nil && n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("backend %d still there", pid)
}

// A session lost while it holds no lock (a watcher between its writes) is
// replaced: the next read, lock and append work on a new connection. One
// lost while it holds locks is not: the locks went with it, and nothing
// more is journaled (so no write can leave) until they are given back.
func TestPGConnectionLost(t *testing.T) {
	url, schema := pgSchema(t)
	ctx := context.Background()
	b, err := OpenPG(ctx, url, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	key := LockKey{Endpoint: sandboxEP, CampaignID: 21000000}
	rec := func(id string) Record {
		return Record{Kind: KindIntent, ID: id, OrderID: 1001, CampaignID: 21000000, Call: "track", Endpoint: sandboxEP}
	}

	// Without locks: replaced.
	terminate(t, url, b)
	if _, err := b.Records(ctx); err != nil {
		t.Fatalf("Records after the session was lost without locks: %v", err)
	}
	terminate(t, url, b)
	locks, err := b.Lock(ctx, []LockKey{key}, Holder{User: "t"}, 0, nil)
	if err != nil {
		t.Fatalf("Lock after the session was lost without locks: %v", err)
	}
	if err := b.Append(rec("a1")); err != nil {
		t.Fatalf("Append under the new session's lock: %v", err)
	}

	// With a lock: not replaced; the next run may take the lock at once.
	terminate(t, url, b)
	if err := b.Append(rec("a2")); err == nil {
		t.Fatal("Append after the session holding the lock was lost: no error")
	}
	if _, err := b.Records(ctx); err == nil || !strings.Contains(err.Error(), "locks") {
		t.Fatalf("Records after the session holding the lock was lost: %v, want an error about the lost locks", err)
	}
	other, err := OpenPG(ctx, url, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ol, err := other.Lock(ctx, []LockKey{key}, Holder{User: "other"}, 0, nil)
	if err != nil {
		t.Fatalf("another run cannot take the lock the lost session held: %v", err)
	}
	_ = ol.Release()

	// Once they are given back, the backend connects again.
	_ = locks.Release()
	recs, err := b.Records(ctx)
	if err != nil {
		t.Fatalf("Records once the lost locks are given back: %v", err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "a1" {
		t.Errorf("journal holds %v, want only a1 (a2 was refused)", ids)
	}
}
