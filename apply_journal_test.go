package main

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

// Two applies in a row, the Market still busy with the first one's update
// when the second starts: the second run compacts the journal and must go on
// recording to the compacted file. Every submission of both runs is on disk
// afterwards, and a third run sends nothing twice.
func TestJournalKeepsEveryRunsRecords(t *testing.T) {
	st, _, phones := batchState(8)
	var ids []int64
	for id := range phones {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	a, b := ids[0], ids[1]
	e := newApplyEnv(t, st, sandbox.Options{UpdateDelay: 5 * time.Second}, nil)
	e.write("main.hcl", batchHCL(nil, map[int64]string{a: phones[a]}))
	e.mustExit(0, "apply", "-auto-approve", "-wait=0")
	e.write("main.hcl", batchHCL(nil, map[int64]string{a: phones[a], b: phones[b]}))
	r := e.mustExit(0, "apply", "-auto-approve", "-wait=0")
	wantContains(t, "second apply", r.stdout, "1 applied", "1 pending")

	seen := map[int64]string{}
	for _, en := range e.journalEntries() {
		seen[en.OrderID] = en.State
	}
	for _, id := range []int64{a, b} {
		if seen[id] != journal.KindSubmitted {
			t.Errorf("journal: order %d is %q, want %q (journal: %v)", id, seen[id], journal.KindSubmitted, seen)
		}
	}
	// Neither run's update has settled yet: a third run must not send them.
	e.mustExit(0, "apply", "-auto-approve", "-wait=0")
	e.wantWritesOnce([]int64{a, b})
}

// A track write that gets no answer at all (the connection dies before the
// Market sees it) and that the order does not show: apply cannot know it
// was not applied, so it reports the outcome unknown (exit 1) and no run
// sends it again until journal.TrackGrace has passed. Then it goes, once.
func TestApplyTrackWithoutAnswer(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
	var aborted atomic.Bool
	e.setIntercept(func(_ http.ResponseWriter, r *http.Request) bool {
		if endpointOf(r) == sandbox.EndpointTrack && strings.Contains(r.URL.Path, "/1004/") && aborted.CompareAndSwap(false, true) {
			panic(http.ErrAbortHandler)
		}
		return false
	})
	r := e.mustExit(1, "apply", "-auto-approve", "-wait=2s", "-poll-interval=20ms")
	e.setIntercept(nil)
	wantContains(t, "apply", r.stdout, "Apply failed: 3 confirmed, 0 applied, 0 pending, 0 failed, 0 blocked, 0 stale, 0 unchanged, 1 unknown.",
		"sent, but no answer from the API")
	r = e.mustExit(1, "apply", "-auto-approve")
	wantContains(t, "rerun", r.stdout, "Plan: 0 to change, 0 pending, 1 unknown, 0 blocked.", ", 1 unknown.")
	if n := e.effectiveWrites(1004); n != 0 {
		t.Fatalf("order 1004 written %d times, want none yet", n)
	}
	e.ageJournal(journal.TrackGrace + time.Second)
	r = e.mustExit(0, "apply", "-auto-approve", "-poll-interval=20ms")
	wantContains(t, "run after the grace", r.stdout, "Plan: 1 to change, 0 pending, 0 blocked.", "Apply complete: 1 confirmed")
	wantCrashTracks(e)
}

// A saved plan applied after another run submitted part of it: the part in
// flight is not sent twice. A change wholly in flight is pending (exit 0); a
// change in flight in part is refused until a fresh plan sends the rest.
func TestSavedPlanAfterAnotherRunsSubmission(t *testing.T) {
	const interval = `
  delivery_interval {
    from_date = "2026-11-28"
    from_time = "10:00"
    to_time   = "14:00"
  }`
	const recipient = `
  recipient {
    phone = "+79990005555"
  }`
	hcl := func(body string) string {
		return "provider \"yandex_market\" {\n  campaign_id = 22000000\n  business_id = 9000000\n}\n\norder \"2001\" {" + body + "\n}\n"
	}
	e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, nil)
	e.write("main.hcl", hcl(interval+recipient))
	e.mustExit(2, "plan", "-detailed-exitcode", "-out=both.plan")
	e.write("main.hcl", hcl(interval))
	e.mustExit(2, "plan", "-detailed-exitcode", "-out=interval.plan")
	e.mustExit(0, "apply", "-auto-approve", "-wait=0")
	if n := e.effectiveWrites(2001); n != 1 {
		t.Fatalf("%d writes, want the interval's", n)
	}

	r := e.mustExit(0, "apply", "interval.plan")
	wantContains(t, "apply of a plan in flight", r.stdout, "order.2001   pending")
	r = e.mustExit(1, "apply", "both.plan")
	wantContains(t, "apply of a plan in flight in part", r.stdout, "stale", "carries part of this change and is still in flight")
	if n := e.effectiveWrites(2001); n != 1 {
		t.Errorf("%d writes in all, want only the first", n)
	}
}
