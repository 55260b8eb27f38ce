package journal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderform/orderform/internal/pgtest"
)

// backends runs f against a fresh instance of every backend: local always,
// pg on the PostgreSQL of ORDERFORM_TEST_PG. open makes another instance on
// the same store: another run, as far as locks go.
func backends(t *testing.T, f func(t *testing.T, open func() Backend)) {
	t.Run("local", func(t *testing.T) {
		dir := t.TempDir()
		f(t, func() Backend {
			b := OpenLocal(dir)
			t.Cleanup(func() { b.Close() })
			return b
		})
	})
	t.Run("pg", func(t *testing.T) {
		url, schema := pgSchema(t)
		f(t, func() Backend {
			b, err := OpenPG(context.Background(), url, schema)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		})
	})
}

// pgSchema returns the test database's URL and a fresh schema name, dropped
// when the test ends. In CI a missing database is a failure, not a skip.
func pgSchema(t *testing.T) (string, string) {
	t.Helper()
	return pgtest.URL(t), pgtest.SchemaName(t)
}

const (
	sandboxEP = "sandbox:seed.json"
	realEP    = "https://api.partner.market.yandex.ru"
)

func TestBackendAppendAndScope(t *testing.T) {
	backends(t, func(t *testing.T, open func() Backend) {
		b := open()
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ep := realEP
				if i%2 == 0 {
					ep = sandboxEP
				}
				if err := b.Append(Record{Kind: KindIntent, ID: fmt.Sprint("s", i), Call: CallTrack, OrderID: int64(1000 + i), CampaignID: 21, Endpoint: ep, By: "me@here"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := b.Append(Record{Kind: KindConfirmed, ID: "s1", OrderID: 1001}); err != nil {
			t.Fatal(err)
		}
		recs, err := open().Records(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 41 {
			t.Fatalf("%d records read back, want 41", len(recs))
		}
		real := OpenEntries(recs, realEP)
		if len(real) != 19 {
			t.Errorf("%d open entries of the real endpoint, want 19 (20, one confirmed)", len(real))
		}
		for _, e := range real {
			if e.Endpoint != realEP || e.By != "me@here" {
				t.Errorf("entry %+v in the real endpoint's scope", e)
			}
		}
		if n := len(OpenEntries(recs, sandboxEP)); n != 20 {
			t.Errorf("%d open entries of the sandbox, want 20", n)
		}
	})
}

func TestBackendLocks(t *testing.T) {
	backends(t, func(t *testing.T, open func() Backend) {
		ctx := context.Background()
		first, second := open(), open()
		alice := Holder{User: "alice", Host: "laptop", PID: 42, Command: "orderform apply", Since: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Info: "https://ci.example/job/7"}
		keys := []LockKey{{realEP, 22}, {realEP, 21}}
		held, err := first.Lock(ctx, keys, alice, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := held.Keys(); len(got) != 2 || got[0].CampaignID != 21 {
			t.Errorf("held keys %v, want both in order", got)
		}
		// Another run: refused at once, the holder named.
		_, err = second.Lock(ctx, []LockKey{{realEP, 21}}, Holder{User: "bob"}, 0, nil)
		var le *LockedError
		if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
			t.Fatalf("second lock: %v, want a LockedError", err)
		}
		for _, want := range []string{"alice@laptop", "pid 42", "orderform apply", "since 2026-12-01 09:00:00 UTC", "https://ci.example/job/7", "campaign 21"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
		// Another campaign, or the same campaign at another endpoint: free.
		other, err := second.Lock(ctx, []LockKey{{realEP, 23}, {sandboxEP, 21}}, Holder{User: "bob"}, 0, nil)
		if err != nil {
			t.Fatalf("lock of other keys: %v", err)
		}
		other.Release()

		// With a timeout it waits, says who it waits for, and proceeds
		// once the holder lets go.
		var waitedFor []string
		go func() {
			time.Sleep(300 * time.Millisecond)
			held.Release()
		}()
		got, err := second.Lock(ctx, []LockKey{{realEP, 21}}, Holder{User: "bob"}, 30*time.Second, func(k LockKey, h Holder) {
			waitedFor = append(waitedFor, h.User)
		})
		if err != nil {
			t.Fatalf("waiting lock: %v", err)
		}
		if len(waitedFor) != 1 || waitedFor[0] != "alice" {
			t.Errorf("onWait saw %v, want alice once", waitedFor)
		}
		got.Release()
	})
}

// A run that dies (its backend closed without releasing: the process gone,
// the connection dropped) leaves no lock behind.
func TestBackendLockDiesWithItsHolder(t *testing.T) {
	backends(t, func(t *testing.T, open func() Backend) {
		ctx := context.Background()
		dying := open()
		held, err := dying.Lock(ctx, []LockKey{{realEP, 21}}, Holder{User: "alice"}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ll, ok := held.(*localLocks); ok {
			// The process's files close when it dies; nothing unlocks.
			for _, f := range ll.files {
				f.Close()
			}
		} else {
			dying.Close() // the session ends
		}
		l, err := open().Lock(ctx, []LockKey{{realEP, 21}}, Holder{User: "bob"}, 0, nil)
		if err != nil {
			t.Fatalf("lock after its holder died: %v", err)
		}
		l.Release()
	})
}

// Two runs wanting overlapping campaigns in opposite orders never deadlock:
// locks are taken in one order.
func TestBackendLockOrder(t *testing.T) {
	backends(t, func(t *testing.T, open func() Backend) {
		ctx := context.Background()
		a, b := open(), open()
		var wg sync.WaitGroup
		for i, be := range []Backend{a, b} {
			keys := []LockKey{{realEP, 21}, {realEP, 22}, {realEP, 23}}
			if i == 1 {
				keys = []LockKey{{realEP, 23}, {realEP, 22}, {realEP, 21}}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					l, err := be.Lock(ctx, keys, Holder{User: fmt.Sprint(i)}, 20*time.Second, nil)
					if err != nil {
						t.Error(err)
						return
					}
					time.Sleep(5 * time.Millisecond)
					l.Release()
				}
			}()
		}
		wg.Wait()
	})
}

func TestBackendPrune(t *testing.T) {
	backends(t, func(t *testing.T, open func() Backend) {
		ctx := context.Background()
		b := open()
		recs := []Record{
			{Kind: KindIntent, ID: "done", Call: CallTrack, OrderID: 1, CampaignID: 21, Endpoint: realEP},
			{Kind: KindConfirmed, ID: "done", OrderID: 1},
			{Kind: KindIntent, ID: "open", Call: CallUpdate, OrderID: 2, CampaignID: 21, Endpoint: realEP},
			{Kind: KindUnknown, ID: "open", OrderID: 2, Error: "timeout"},
			{Kind: KindIntent, ID: "elsewhere", Call: CallTrack, OrderID: 3, CampaignID: 22, Endpoint: realEP},
			{Kind: KindFailed, ID: "elsewhere", OrderID: 3},
		}
		if err := b.Append(recs...); err != nil {
			t.Fatal(err)
		}
		l, err := b.Lock(ctx, []LockKey{{realEP, 21}}, Holder{}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		if err := b.Prune(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := b.Append(Record{Kind: KindIntent, ID: "next", Call: CallTrack, OrderID: 4, CampaignID: 21, Endpoint: realEP}); err != nil {
			t.Fatal(err)
		}
		got, err := b.Records(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, r := range got {
			ids[r.ID] = true
		}
		if ids["done"] || !ids["open"] || !ids["next"] {
			t.Errorf("after pruning: %v; want the settled submission gone, the open one and the next kept", ids)
		}
	})
}

// A lock its holder lets go of a moment after asking is taken even with a
// zero timeout: a run killed just before still holds its PostgreSQL locks
// until the server notices, and a rerun started at once is not refused.
func TestBackendLockSettles(t *testing.T) {
	backends(t, func(t *testing.T, open func() Backend) {
		ctx := context.Background()
		held, err := open().Lock(ctx, []LockKey{{realEP, 21}}, Holder{User: "alice"}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(100 * time.Millisecond)
			held.Release()
		}()
		l, err := open().Lock(ctx, []LockKey{{realEP, 21}}, Holder{User: "bob"}, 0, func(LockKey, Holder) {
			t.Error("a zero timeout announced a wait")
		})
		if err != nil {
			t.Fatalf("lock freed a moment later: %v", err)
		}
		l.Release()
	})
}
