package provider

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"
)

var epoch = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestWindowWaitsForTheRequestLimitPlacesBack(t *testing.T) {
	w := newWindow(Quota{Limit: 2, Period: 100 * time.Millisecond})
	margin := safetyMargin(100 * time.Millisecond)
	a1, _, _ := w.reserve(epoch)
	a2, _, _ := w.reserve(epoch)
	if a1 == nil || a2 == nil {
		t.Fatal("the first Limit requests must be admitted at once")
	}
	a, d, changed := w.reserve(epoch)
	if a != nil || d != 0 || changed == nil {
		t.Fatalf("third request with the first in flight: got admission %v, wait %v, changed %v; want to wait for the first to finish", a, d, changed)
	}
	a1.finish(epoch.Add(10 * time.Millisecond))
	select {
	case <-changed:
	default:
		t.Fatal("finishing an admission did not wake the waiters")
	}
	a, d, _ = w.reserve(epoch.Add(20 * time.Millisecond))
	if want := 90*time.Millisecond + margin; a != nil || d != want {
		t.Fatalf("third request at +20ms: got admission %v, wait %v; want wait %v (first finished at +10ms)", a, d, want)
	}
	if a, _, _ = w.reserve(epoch.Add(110*time.Millisecond + margin)); a == nil {
		t.Fatal("third request not admitted a Period after the first finished")
	}
}

func TestWindowHoldAndLower(t *testing.T) {
	w := newWindow(Quota{Limit: 3, Period: time.Second})
	w.holdUntil(epoch.Add(5 * time.Second))
	if a, d, _ := w.reserve(epoch); a != nil || d != 5*time.Second {
		t.Fatalf("held window: got admission %v, wait %v; want wait 5s", a, d)
	}
	w.holdUntil(epoch.Add(time.Second)) // never shortens a hold
	if _, d, _ := w.reserve(epoch); d != 5*time.Second {
		t.Fatalf("hold was shortened: wait %v", d)
	}
	now := epoch.Add(5 * time.Second)
	for range 3 {
		a, _, _ := w.reserve(now)
		if a == nil {
			t.Fatal("not admitted after the hold")
		}
		a.finish(now)
	}
	w.adopt(1, 0) // a limit without its period is not followed
	w.adopt(1, time.Second)
	w.adopt(5, 100*time.Millisecond) // never raises: someone else shares the quota
	if a, d, _ := w.reserve(now); a != nil || d <= time.Second-time.Millisecond {
		t.Fatalf("after lowering to 1: got admission %v, wait %v; want a wait of about a Period", a, d)
	}
	if got := w.limit; got != 1 {
		t.Errorf("limit = %d, want 1", got)
	}
}

// TestWindowAdoptsShorterPeriod: a server that counts "2 requests per
// 300ms" against our hour paces us by its window, not by 2 per hour.
func TestWindowAdoptsShorterPeriod(t *testing.T) {
	w := newWindow(Quota{Limit: 10000, Period: time.Hour})
	for range 3 {
		a, _, _ := w.reserve(epoch)
		if a == nil {
			t.Fatal("not admitted")
		}
		a.finish(epoch)
	}
	w.adopt(2, 300*time.Millisecond)
	a, d, _ := w.reserve(epoch)
	if want := 300*time.Millisecond + safetyMargin(300*time.Millisecond); a != nil || d != want {
		t.Fatalf("after adopting 2 per 300ms: got admission %v, wait %v; want wait %v", a, d, want)
	}
}

// TestWindowNeverOvershoots drives the window with simulated time, random
// latencies and a random moment at which the server counts each request
// (anywhere between admission and finish), and checks the property the
// client's zero-420 promise rests on: no Period-long span at the server holds
// more than Limit requests; and that it still reaches the quota's throughput.
func TestWindowNeverOvershoots(t *testing.T) {
	for _, tc := range []struct {
		limit    int
		period   time.Duration
		parallel int
		latency  time.Duration // maximum; each request draws in [0, latency]
	}{
		{50, 100 * time.Millisecond, 6, 5 * time.Millisecond},
		{10, 100 * time.Millisecond, 10, 40 * time.Millisecond},
		{3, time.Second, 6, 900 * time.Millisecond},
		{100, time.Hour, 6, 2 * time.Second},
	} {
		rng := rand.New(rand.NewPCG(uint64(tc.limit), uint64(tc.period)))
		w := newWindow(Quota{Limit: tc.limit, Period: tc.period})
		type flight struct {
			a    *admission
			done time.Time
		}
		var (
			now      = epoch
			inflight []flight
			arrivals []time.Time
			n        = 6 * tc.limit
			slots    = make([]time.Time, tc.parallel) // when each parallel slot frees
		)
		finishUntil := func(t time.Time) {
			slices.SortFunc(inflight, func(a, b flight) int { return a.done.Compare(b.done) })
			for len(inflight) > 0 && !inflight[0].done.After(t) {
				inflight[0].a.finish(inflight[0].done)
				inflight = inflight[1:]
			}
		}
		for len(arrivals) < n {
			finishUntil(now)
			a, d, _ := w.reserve(now)
			switch {
			case a != nil:
				// Like Client.attempt: admitted first, then it waits for
				// a parallel slot.
				slices.SortFunc(slots, time.Time.Compare)
				start := now
				if slots[0].After(start) {
					start = slots[0]
				}
				lat := time.Duration(rng.Int64N(int64(tc.latency) + 1))
				slots[0] = start.Add(lat)
				arrivals = append(arrivals, start.Add(time.Duration(rng.Int64N(int64(lat)+1))))
				inflight = append(inflight, flight{a, start.Add(lat)})
			case d > 0:
				now = now.Add(d)
			default: // waiting for an in-flight request to finish
				now = inflight[0].done
			}
		}
		finishUntil(now.Add(24 * time.Hour))
		slices.SortFunc(arrivals, time.Time.Compare)
		for i := tc.limit; i < len(arrivals); i++ {
			if span := arrivals[i].Sub(arrivals[i-tc.limit]); span <= tc.period {
				t.Fatalf("quota %d/%v: requests %d..%d reached the server within %v", tc.limit, tc.period, i-tc.limit, i, span)
			}
		}
		// No scheme can do better than n/limit-1 periods; the window adds a
		// margin and a round trip per period, and the parallel cap spreads
		// each burst.
		elapsed := arrivals[len(arrivals)-1].Sub(arrivals[0])
		periods := time.Duration(n/tc.limit - 1)
		burst := time.Duration((tc.limit+tc.parallel-1)/tc.parallel+1) * tc.latency
		if bound := periods*(tc.period+safetyMargin(tc.period)+tc.latency) + burst; elapsed > bound {
			t.Errorf("quota %d/%v: %d requests took %v, want at most %v", tc.limit, tc.period, n, elapsed, bound)
		}
		t.Logf("quota %d/%v, latency up to %v: %d requests in %v (lower bound %v)", tc.limit, tc.period, tc.latency, n, elapsed, periods*tc.period)
	}
}

func TestWindowWaitHonoursContext(t *testing.T) {
	w := newWindow(Quota{Limit: 1, Period: time.Hour})
	a, _, _ := w.reserve(time.Now())
	a.finish(time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var waited time.Duration
	_, err := w.wait(ctx, time.Now, 0, func(d time.Duration, _ bool, _ Quota) { waited = d })
	if err != context.DeadlineExceeded {
		t.Fatalf("wait = %v, want context.DeadlineExceeded", err)
	}
	if waited < 59*time.Minute {
		t.Errorf("OnWait reported %v, want about an hour", waited)
	}
}

func TestGateLowers(t *testing.T) {
	g := newGate(3)
	ctx := context.Background()
	for range 3 {
		if err := g.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	g.lower(1)
	g.lower(0) // never below 1
	if got := g.limit(); got != 1 {
		t.Fatalf("limit = %d, want 1", got)
	}
	g.release()
	g.release()
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := g.acquire(short); err == nil {
		t.Fatal("acquired a slot with 1 in flight and a capacity of 1")
	}
	g.release()
	if err := g.acquire(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestObserveHoldsOnlyForOthers: "Remaining: 0" after our own Limit
// requests is already covered by the log, and holding a Period from the
// last answer would waste the burst's length each Period; after fewer than
// Limit of ours it means someone else shares the quota, and holds.
func TestObserveHoldsOnlyForOthers(t *testing.T) {
	h := http.Header{}
	h.Set("X-RateLimit-Resource-Remaining", "0")
	h.Set("X-RateLimit-Resource-Until", epoch.Add(time.Hour).UTC().Format(http.TimeFormat))

	burst := func(w *window, n int, step time.Duration) time.Time {
		now := epoch
		for range n {
			a, _, _ := w.reserve(now)
			if a == nil {
				t.Fatal("not admitted")
			}
			now = now.Add(step)
			a.finish(now)
		}
		return now
	}

	own := newWindow(Quota{Limit: 3, Period: time.Second})
	last := burst(own, 3, 50*time.Millisecond)
	own.observe(h, last)
	_, d, _ := own.reserve(last)
	// The log admits the 4th a Period (plus margin) after the 1st finished.
	if want := 50*time.Millisecond + time.Second + safetyMargin(time.Second) - 150*time.Millisecond; d != want {
		t.Errorf("after our own full burst: wait %v, want %v (the log's, not a Period from the last answer)", d, want)
	}

	shared := newWindow(Quota{Limit: 3, Period: time.Second})
	last = burst(shared, 1, 50*time.Millisecond)
	shared.observe(h, last)
	if _, d, _ := shared.reserve(last); d != time.Second {
		t.Errorf("quota used up by someone else: wait %v, want a Period (Until is later)", d)
	}
}

// limit is the gate's capacity now, for tests.
func (g *gate) limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.capacity
}
