package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

// A process killed at any point of an apply, then a rerun: every order ends
// in its declared state and no change reaches the Market twice. The kill is
// a real SIGKILL of the orderform process, at an exact moment of its
// conversation with the Market.

// killPoint is when, around one request, orderform dies.
type killPoint int

const (
	// beforeMarket: the request arrived; the Market never sees it.
	beforeMarket killPoint = iota
	// afterProcessing: the Market processed it; the answer never leaves.
	afterProcessing
)

// killAt SIGKILLs the orderform run at the nth request that match accepts.
// It reports whether it fired.
func (e *applyEnv) killAt(match func(*http.Request) bool, nth int, when killPoint) *atomic.Bool {
	var n atomic.Int32
	var fired atomic.Bool
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r) || int(n.Add(1)) != nth {
			return false
		}
		if when == afterProcessing {
			e.sandbox.ServeHTTP(httptest.NewRecorder(), r)
		}
		// Marked before the kill: the test reads it as soon as the
		// process is gone.
		fired.Store(true)
		if p := e.proc.Load(); p != nil {
			_ = p.Kill()
		}
		panic(http.ErrAbortHandler) // no answer: the client is gone
	})
	return &fired
}

// killedRun runs orderform expecting killAt to kill it.
func (e *applyEnv) killedRun(fired *atomic.Bool, args ...string) {
	e.t.Helper()
	r := e.orderform(args...)
	e.setIntercept(nil)
	if !fired.Load() || !r.killed {
		e.t.Fatalf("orderform %s was not killed (exit %d)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
}

const crashTracksHCL = `
provider "yandex_market" {
  campaign_id = 21000000
}

locals {
  tracks = { "1001" = "RP100000001RU", "1002" = "RP200000002RU", "1004" = "RP400000004RU", "1005" = "RP500000005RU" }
}

order "dbs" {
  for_each = local.tracks
  id       = each.key
  track {
    code                = each.value
    delivery_service_id = 51
  }
}
`

var crashTrackOrders = []int64{1001, 1002, 1004, 1005}

func wantCrashTracks(e *applyEnv) {
	e.t.Helper()
	e.wantWritesOnce(crashTrackOrders)
	e.wantField(1001, "tracks", "RP100000001RU@51")
	e.wantField(1002, "tracks", "RP200000002RU@51")
	e.wantField(1004, "tracks", "80082354127663@1,RP400000004RU@51")
	e.wantField(1005, "tracks", "RP500000005RU@51")
	e.mustExit(0, "plan", "-detailed-exitcode")
}

const crashUpdateHCL = `
provider "yandex_market" {
  campaign_id = 22000000
  business_id = 9000000
}

order "2001" {
  delivery_interval {
    from_date = "2026-11-28"
    from_time = "10:00"
    to_time   = "14:00"
  }
  recipient {
    first_name = "Мария"
    phone      = "+79990001122"
  }
}
`

func wantCrashUpdate(e *applyEnv) {
	e.t.Helper()
	e.wantWritesOnce([]int64{2001})
	if n := len(e.srv.Calls()); n == 0 {
		e.t.Fatal("no calls recorded")
	}
	e.wantField(2001, "interval", "2026-11-28/2026-11-28/10:00/14:00")
	e.wantField(2001, "first_name", "Мария")
	e.wantField(2001, "phone", "+79990001122")
	e.wantField(2001, "last_name", "Новиков")
	e.mustExit(0, "plan", "-detailed-exitcode")
}

func isEndpoint(ep sandbox.Endpoint) func(*http.Request) bool {
	return func(r *http.Request) bool { return endpointOf(r) == ep }
}

// (a) The intent is journaled, the write never reaches the Market.
func TestApplyKilledBeforeTheWriteArrives(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		t.Run("track", func(t *testing.T) {
			e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
			use(e)
			// One change at a time: the first write is answered, the second
			// is journaled and dies on its way.
			e.killedRun(e.killAt(isWrite, 2, beforeMarket), "apply", "-auto-approve", "-parallelism=1")
			if n := e.effectiveWrites(0); n != 1 {
				t.Fatalf("%d writes took effect before the kill, want 1", n)
			}
			open := 0
			for _, en := range e.journalEntries() {
				if en.State == journal.KindIntent {
					open++
				}
			}
			if open != 1 {
				t.Errorf("%d intents without an outcome in the journal, want the one killed: %+v", open, e.journalEntries())
			}
			// The rerun re-reads: the answered write is there, the lost
			// one is not. The Market may still be at a write it never
			// answered, so the rerun does not send it again before
			// journal.TrackGrace, and says its outcome is unknown (exit 1,
			// never "complete"); the two never started go at once.
			r := e.mustExit(1, "apply", "-auto-approve", "-poll-interval=20ms")
			wantContains(t, "rerun", r.stdout, "Plan: 2 to change, 0 pending, 1 unknown, 0 blocked.",
				"Apply failed: 2 confirmed, 0 applied, 0 pending, 0 failed, 0 blocked, 0 stale, 0 unchanged, 1 unknown.",
				`order.dbs["1002"]   unknown     an earlier write of this change (sent `)
			e.mustExit(2, "plan", "-detailed-exitcode")
			if n := e.effectiveWrites(1002); n != 0 {
				t.Fatalf("order 1002 written %d times within the grace, want 0", n)
			}
			e.ageJournal(journal.TrackGrace + time.Second)
			r = e.mustExit(0, "apply", "-auto-approve", "-poll-interval=20ms")
			wantContains(t, "run after the grace", r.stdout, "Plan: 1 to change, 0 pending, 0 blocked.", "Apply complete: 1 confirmed")
			wantCrashTracks(e)
		})
		t.Run("update", func(t *testing.T) {
			e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: 20 * time.Millisecond}, map[string]string{"main.hcl": crashUpdateHCL})
			use(e)
			e.killedRun(e.killAt(isWrite, 1, beforeMarket), "apply", "-auto-approve")
			if n := e.effectiveWrites(0); n != 0 {
				t.Fatalf("%d writes took effect, want none", n)
			}
			// An update may have started an operation the run never heard
			// of: the rerun does not send it blind (it waits for the order
			// to show it, for journal.UpdateGrace), and says its outcome is
			// unknown: exit 1, not "Nothing to apply".
			r := e.mustExit(1, "apply", "-auto-approve", "-poll-interval=20ms")
			wantContains(t, "rerun", r.stdout, "Plan: 0 to change, 0 pending, 1 unknown, 0 blocked.",
				"Apply failed: 0 confirmed, 0 applied, 0 pending, 0 failed, 0 blocked, 0 stale, 0 unchanged, 1 unknown.")
			e.mustExit(2, "plan", "-detailed-exitcode")
			if n := len(e.journalEntries()); n != 1 {
				t.Errorf("journal holds %d submissions, want the one still awaited", n)
			}
			// Once the grace has passed with no sign of it, it was not
			// applied: the next run sends it, once.
			e.ageJournal(journal.UpdateGrace + time.Minute)
			r = e.mustExit(0, "apply", "-auto-approve", "-poll-interval=20ms")
			wantContains(t, "run after the grace", r.stdout, "Plan: 1 to change, 0 pending, 0 blocked.", "Apply complete: 1 confirmed")
			wantCrashUpdate(e)
		})
	})
}

// (b) The Market processed the write; its answer never arrived.
func TestApplyKilledBeforeTheAnswer(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		t.Run("track", func(t *testing.T) {
			e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
			use(e)
			e.killedRun(e.killAt(isWrite, 2, afterProcessing), "apply", "-auto-approve", "-parallelism=1")
			if n := e.effectiveWrites(0); n != 2 {
				t.Fatalf("%d writes took effect before the kill, want 2", n)
			}
			// The rerun finds both tracks on their orders: only the two
			// never started are sent.
			r := e.mustExit(0, "apply", "-auto-approve", "-poll-interval=20ms")
			wantContains(t, "rerun", r.stdout, "Plan: 2 to change, 0 pending, 0 blocked.", "Apply complete: 2 confirmed")
			wantCrashTracks(e)
		})
		t.Run("update", func(t *testing.T) {
			e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, map[string]string{"main.hcl": crashUpdateHCL})
			use(e)
			e.killedRun(e.killAt(isWrite, 1, afterProcessing), "apply", "-auto-approve")
			if n := e.effectiveWrites(2001); n != 1 {
				t.Fatalf("%d writes took effect, want 1", n)
			}
			// The operation is IN_PROGRESS but the run never learnt its ID:
			// nobody can say it is pending. Unknown (exit 1), not sent again.
			r := e.mustExit(1, "apply", "-auto-approve", "-wait=0")
			wantContains(t, "rerun", r.stdout, "Plan: 0 to change, 0 pending, 1 unknown, 0 blocked.", "1 unknown.")
			if n := e.effectiveWrites(2001); n != 1 {
				t.Fatalf("order 2001 written %d times, want once", n)
			}
			e.srv.Settle()
			r = e.mustExit(0, "apply", "-auto-approve")
			wantContains(t, "rerun once applied", r.stdout, "Nothing to apply.")
			if n := len(e.journalEntries()); n != 0 {
				t.Errorf("journal holds %d submissions after the change was seen applied, want none", n)
			}
			wantCrashUpdate(e)
		})
	})
}

// (c) The writes were answered and journaled; orderform dies while it
// follows them.
func TestApplyKilledWhileFollowing(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		t.Run("operations", func(t *testing.T) {
			e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, map[string]string{"main.hcl": crashUpdateHCL})
			use(e)
			e.killedRun(e.killAt(isEndpoint(sandbox.EndpointOperations), 1, beforeMarket), "apply", "-auto-approve")
			var ops int
			for _, en := range e.journalEntries() {
				if en.State != journal.KindSubmitted {
					t.Errorf("journal entry %+v, want it submitted", en)
				}
				ops += len(en.Operations)
			}
			if ops != 2 {
				t.Errorf("the journal names %d operations, want the interval's and the recipient's", ops)
			}
			// The rerun asks the operations endpoint: IN_PROGRESS, pending.
			r := e.mustExit(0, "apply", "-auto-approve", "-wait=0")
			wantContains(t, "rerun", r.stdout, "Plan: 0 to change, 1 pending, 0 blocked.", "Nothing to apply.")
			e.srv.Settle()
			r = e.mustExit(0, "apply", "-auto-approve")
			wantContains(t, "rerun once applied", r.stdout, "Nothing to apply.")
			wantCrashUpdate(e)
		})
		t.Run("re-read", func(t *testing.T) {
			e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
			use(e)
			// Tracks are followed by re-reading the orders (through the
			// business learnt from the campaign): die on the first read
			// after the writes.
			var wrote atomic.Int32
			afterWrites := func(r *http.Request) bool {
				if isWrite(r) {
					wrote.Add(1)
					return false
				}
				return wrote.Load() == int32(len(crashTrackOrders)) && endpointOf(r) == sandbox.EndpointBusinessOrders
			}
			e.killedRun(e.killAt(afterWrites, 1, beforeMarket), "apply", "-auto-approve")
			if n := e.effectiveWrites(0); n != len(crashTrackOrders) {
				t.Fatalf("%d writes took effect before the kill, want %d", n, len(crashTrackOrders))
			}
			r := e.mustExit(0, "apply", "-auto-approve")
			wantContains(t, "rerun", r.stdout, "Nothing to apply.")
			wantCrashTracks(e)
		})
	})
}

// (d) In the middle of a batch of many changes, with several writes in
// flight at the kill: some answered and journaled, some processed without
// an answer, some journaled and never sent, most never started.
func TestApplyKilledInTheMiddleOfABatch(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		st, tracks, phones := batchState(40)
		e := newApplyEnv(t, st, sandbox.Options{UpdateDelay: 10 * time.Millisecond}, map[string]string{"main.hcl": batchHCL(tracks, phones)})
		use(e)
		e.srv.SetLatency(sandbox.EndpointTrack, 5*time.Millisecond)
		e.srv.SetLatency(sandbox.EndpointUpdate, 5*time.Millisecond)
		e.killedRun(e.killAt(isWrite, 12, beforeMarket), "apply", "-auto-approve")
		before := e.effectiveWrites(0)
		if before == 0 || before >= len(tracks)+len(phones) {
			t.Fatalf("%d writes took effect before the kill, want some but not all", before)
		}
		states := map[string]int{}
		for _, en := range e.journalEntries() {
			states[en.State]++
		}
		if states[journal.KindIntent] == 0 || states[journal.KindSubmitted] == 0 {
			t.Fatalf("journal at the kill: %v; want answered submissions and at least one intent without an outcome", states)
		}
		t.Logf("at the kill: %d writes took effect; journal %v", before, states)

		// Writes that were in flight at the kill never got an answer: the
		// rerun sends everything else, and says those are unknown (exit 1).
		// Once their grace has passed with no sign of them, the next run sends
		// them, once.
		r := e.mustExit(1, "apply", "-auto-approve", "-poll-interval=20ms")
		wantContains(t, "rerun", r.stdout, "Apply failed:", " unknown.")
		e.ageJournal(journal.UpdateGrace + time.Minute)
		e.mustExit(0, "apply", "-auto-approve", "-poll-interval=20ms")
		r = e.mustExit(0, "apply", "-auto-approve")
		wantContains(t, "last rerun", r.stdout, "Nothing to apply.")

		wantBatch(e, tracks, phones)
		e.mustExit(0, "plan", "-detailed-exitcode")
	})
}

// wantBatch requires every order of batchState in its declared state, each
// written exactly once.
func wantBatch(e *applyEnv, tracks, phones map[int64]string) {
	e.t.Helper()
	var all []int64
	for id, code := range tracks {
		all = append(all, id)
		e.wantField(id, "tracks", code+"@51")
	}
	for id, phone := range phones {
		all = append(all, id)
		e.wantField(id, "phone", phone)
	}
	e.wantWritesOnce(all)
}

// batchState is sandbox.Generate's n orders made changeable: its DBS orders
// in PROCESSING without a track, its LaaS ones in PROCESSING. It returns the
// track to set on each DBS order and the phone to set on each LaaS one.
func batchState(n int) (*sandbox.State, map[int64]string, map[int64]string) {
	st := sandbox.Generate(n, 1)
	tracks, phones := map[int64]string{}, map[int64]string{}
	for i := range st.Orders {
		o := &st.Orders[i]
		o.Status, o.Substatus = "PROCESSING", "STARTED"
		if o.CampaignID == 21000000 {
			o.Delivery.Tracks = nil
			tracks[o.ID] = fmt.Sprintf("BT%dRU", o.ID)
		} else {
			phones[o.ID] = fmt.Sprintf("+7999%07d", o.ID)
		}
	}
	return st, tracks, phones
}

func batchHCL(tracks, phones map[int64]string) string {
	var b strings.Builder
	b.WriteString("provider \"yandex_market\" {\n  campaign_id = 21000000\n  business_id = 9000000\n}\n\nlocals {\n  tracks = {\n")
	for id, code := range tracks {
		fmt.Fprintf(&b, "    %q = %q\n", fmt.Sprint(id), code)
	}
	b.WriteString("  }\n  phones = {\n")
	for id, phone := range phones {
		fmt.Fprintf(&b, "    %q = %q\n", fmt.Sprint(id), phone)
	}
	b.WriteString(`  }
}

order "track" {
  for_each = local.tracks
  id       = each.key
  track {
    code                = each.value
    delivery_service_id = 51
  }
}

order "recipient" {
  for_each    = local.phones
  id          = each.key
  campaign_id = 22000000
  recipient {
    phone = each.value
  }
}
`)
	return b.String()
}
