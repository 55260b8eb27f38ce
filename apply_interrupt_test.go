package main

import (
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

// Ctrl-C during an apply of many changes with slow answers: no new write
// goes out after the interrupt, the writes in flight run to their answer
// and are journaled, the run exits 1, and a rerun converges with no change
// sent twice.
func TestApplyInterrupted(t *testing.T) {
	st, tracks, _ := batchState(40) // 20 DBS orders to track
	for i := 0; i < len(st.Orders); {
		if st.Orders[i].CampaignID != 21000000 {
			st.Orders = slices.Delete(st.Orders, i, i+1)
			continue
		}
		i++
	}
	e := newApplyEnv(t, st, sandbox.Options{}, map[string]string{"main.hcl": batchHCL(tracks, nil)})
	const latency = 150 * time.Millisecond
	e.srv.SetLatency(sandbox.EndpointTrack, latency)

	var (
		mu          sync.Mutex
		interrupted time.Time
		arrivals    []time.Time
	)
	e.setIntercept(func(_ http.ResponseWriter, r *http.Request) bool {
		if !isWrite(r) {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		arrivals = append(arrivals, time.Now())
		if len(arrivals) == 3 {
			interrupted = time.Now()
			e.signal(os.Interrupt)
		}
		return false
	})
	r := e.mustExit(1, "apply", "-auto-approve")
	e.setIntercept(nil)
	wantContains(t, "interrupted run", r.stdout, "Apply interrupted:")

	mu.Lock()
	var late int
	for _, a := range arrivals {
		// A write already on its way when the signal landed may arrive
		// a moment later; one that waited for a free slot arrives only
		// once an answer freed it, a whole latency later.
		if a.Sub(interrupted) > latency/3 {
			late++
		}
	}
	sent := len(arrivals)
	mu.Unlock()
	if late > 0 {
		t.Errorf("%d of %d writes reached the Market more than %v after Ctrl-C", late, sent, latency/3)
	}
	if sent >= len(tracks) {
		t.Fatalf("all %d writes were sent: the interrupt stopped nothing", sent)
	}
	// Every write sent ran to its answer, and the journal knows it.
	if n := e.effectiveWrites(0); n != sent {
		t.Errorf("%d of the %d writes sent took effect", n, sent)
	}
	submitted := 0
	for _, en := range e.journalEntries() {
		switch en.State {
		case journal.KindIntent, journal.KindUnknown:
			t.Errorf("journal entry for order %d left %s: the write in flight was not waited for", en.OrderID, en.State)
		case journal.KindSubmitted:
			submitted++
		}
	}
	if submitted != sent {
		t.Errorf("journal holds %d submitted writes, want the %d sent", submitted, sent)
	}
	t.Logf("Ctrl-C after 3 writes: %d sent in all", sent)

	r = e.mustExit(0, "apply", "-auto-approve")
	wantContains(t, "rerun", r.stdout, "Apply complete:")
	var all []int64
	for id, code := range tracks {
		all = append(all, id)
		e.wantField(id, "tracks", code+"@51")
	}
	e.wantWritesOnce(all)
}

// A second Ctrl-C quits at once, without waiting for a slow answer: the
// write in flight stays journaled as an intent, and the next run does not
// send it blind.
func TestApplySecondInterruptQuits(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
	e.srv.SetLatency(sandbox.EndpointTrack, 20*time.Second)
	var once sync.Once
	e.setIntercept(func(_ http.ResponseWriter, r *http.Request) bool {
		if isWrite(r) {
			once.Do(func() {
				go func() {
					e.signal(os.Interrupt)
					time.Sleep(200 * time.Millisecond)
					e.signal(os.Interrupt)
				}()
			})
		}
		return false
	})
	start := time.Now()
	r := e.orderform("apply", "-auto-approve", "-parallelism=1")
	e.setIntercept(nil)
	if !r.killed && r.code == 0 {
		t.Fatalf("exit %d after two interrupts, want the process ended by the signal\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("orderform took %v to quit after the second Ctrl-C; the answer it would have waited for takes 20s", d)
	}
	wantContains(t, "stderr", r.stderr, "Press Ctrl-C again to quit at once")
	intents := 0
	for _, en := range e.journalEntries() {
		if en.State == journal.KindIntent {
			intents++
		}
	}
	if intents != 1 {
		t.Errorf("journal holds %d intents without an outcome, want the write in flight", intents)
	}
}
