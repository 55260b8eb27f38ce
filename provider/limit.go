package provider

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// window paces the requests of one endpoint for one campaign or business so
// that no Period-long span of time ever holds more than Limit of them at the
// server, whatever the server's window is (fixed, aligned or not, or sliding).
//
// A token bucket cannot promise that: a full bucket spent at the end of one
// fixed window and refilled for the start of the next puts 2*Limit requests
// into one Period. Instead window keeps a log of the last Limit requests it
// admitted and admits a new one only when the request Limit places back has
// finished, and Period (plus a small margin) has passed since then.
//
// Why that cannot overshoot: the server sees request i at some moment a(i)
// between the moment it was admitted, s(i), and the moment its answer was read
// (or the client gave up on it), d(i). Admission requires, for the new request
// n, s(n) >= max{d(j) : j <= n-Limit} + Period + margin. Take any Limit+1
// requests i(0) < ... < i(Limit) in admission order; i(Limit)-Limit >= i(0),
// so a(i(Limit)) >= s(i(Limit)) >= d(i(0)) + Period + margin > a(i(0)) + Period.
// Any Limit+1 requests are therefore spread over more than Period at the
// server, so no window of length Period, fixed or sliding, can hold more than
// Limit. Using the finish time d rather than the admission time s is what makes
// this hold whatever the network latency and its jitter are; the cost is one
// round trip per Period, negligible against real quotas (hours, minutes).
//
// Throughput: Limit requests start at once, the next Limit one Period (plus a
// round trip) after the first ones finished, and so on, which is the most a
// fixed-window server with the same quota would accept.
type window struct {
	mu      sync.Mutex
	limit   int
	period  time.Duration
	margin  time.Duration
	log     []*admission  // admitted requests, oldest first; at most limit once full
	floor   time.Time     // latest finish among the admissions dropped from log
	hold    time.Time     // the server said no more requests before this
	changed chan struct{} // closed and replaced when an admission finishes
}

// admission is one admitted request; done is when it finished (zero while it
// is in flight).
type admission struct {
	w    *window
	done time.Time
}

func newWindow(q Quota) *window {
	return &window{
		limit:   q.Limit,
		period:  q.Period,
		margin:  safetyMargin(q.Period),
		changed: make(chan struct{}),
	}
}

// safetyMargin covers clock granularity and rounding at the server: 1% of the
// period, at least 1ms, at most 1s.
func safetyMargin(period time.Duration) time.Duration {
	return min(max(period/100, time.Millisecond), time.Second)
}

// reserve admits a request at now if the window allows it. Otherwise it returns
// how long to wait (wait > 0), or a channel that is closed when an earlier
// request finishes (the wait depends on when it does).
func (w *window) reserve(now time.Time) (a *admission, wait time.Duration, changed <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Before(w.hold) {
		return nil, w.hold.Sub(now), nil
	}
	if n := len(w.log) - w.limit + 1; n > 0 {
		// The new request is the n-th past a full log: the n oldest
		// admissions must have finished Period ago.
		latest := w.floor
		for _, old := range w.log[:n] {
			if old.done.IsZero() {
				return nil, 0, w.changed
			}
			if old.done.After(latest) {
				latest = old.done
			}
		}
		if earliest := latest.Add(w.period + w.margin); now.Before(earliest) {
			return nil, earliest.Sub(now), nil
		}
		w.floor = latest
		clear(w.log[:n])
		w.log = w.log[n:]
	}
	a = &admission{w: w}
	w.log = append(w.log, a)
	return a, 0, nil
}

// finish records when the request ended: its answer read, or given up on.
func (a *admission) finish(now time.Time) {
	w := a.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if !a.done.IsZero() {
		return
	}
	a.done = now
	close(w.changed)
	w.changed = make(chan struct{})
}

// holdUntil stops admissions before t (the server's X-RateLimit-Resource-Until).
func (w *window) holdUntil(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t.After(w.hold) {
		w.hold = t
	}
}

// adopt takes the quota a 420 states ("N requests per P"), the server's word
// on its own window. A limit above ours means someone else shares the quota,
// not that ours is wrong: it changes nothing.
func (w *window) adopt(limit int, period time.Duration) {
	if period <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if limit >= 1 && limit <= w.limit {
		w.limit, w.period, w.margin = limit, period, safetyMargin(period)
	}
}

// observe follows the server's X-RateLimit-Resource-* headers: no Remaining
// means no request before Until. X-RateLimit-Resource-Limit alone is not
// followed: it does not say per what period, and a lower limit paced over
// ours (an hour) would stall a run whose server counts in seconds; the 420
// that names the period teaches the quota (adopt).
func (w *window) observe(h http.Header, now time.Time) {
	rem, err := strconv.Atoi(h.Get("X-RateLimit-Resource-Remaining"))
	if err != nil || rem > 0 {
		return
	}
	if w.full(now) {
		// Our own requests used the quota up: the log already holds the
		// next one back exactly as long as needed. Holding from this
		// answer instead (Until has a one-second resolution, so at most a
		// Period from now) would lose the burst's length every Period.
		return
	}
	// Someone else shares the quota and used it up.
	until := parseUntil(h)
	// Until has a one-second resolution; a window of our quota ends within
	// Period anyway, and a 420 corrects us if the server's is longer.
	until = minTime(until, now.Add(w.period))
	if until.After(now) {
		w.holdUntil(until)
	}
}

// full reports whether Limit of our own admissions are in flight or
// finished within the last Period: the server's count of them alone is
// then at its limit.
func (w *window) full(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, a := range w.log {
		if a.done.IsZero() || now.Sub(a.done) < w.period {
			n++
		}
	}
	return n >= w.limit
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// held reports whether the server's word (a 420's Until, or exhausted
// headers) holds requests at now, and the quota the window paces by.
func (w *window) held(now time.Time) (bool, Quota) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return now.Before(w.hold), Quota{Limit: w.limit, Period: w.period}
}

// errHoldTooLong is a wait longer than the caller allows: the request is not
// made.
type errHoldTooLong struct {
	d      time.Duration
	until  time.Time
	server bool
	quota  Quota
}

func (e *errHoldTooLong) Error() string { return "rate limit wait too long" }

// wait blocks until the window admits a request, calling onWait with each
// timed wait, or returns ctx.Err(). A timed wait longer than maxWait (when
// positive) is not waited: wait returns an *errHoldTooLong at once.
func (w *window) wait(ctx context.Context, now func() time.Time, maxWait time.Duration, onWait func(d time.Duration, server bool, q Quota)) (*admission, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t := now()
		a, d, changed := w.reserve(t)
		if a != nil {
			return a, nil
		}
		if changed != nil {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-changed:
			}
			continue
		}
		server, q := w.held(t)
		if maxWait > 0 && d > maxWait {
			return nil, &errHoldTooLong{d: d, until: t.Add(d), server: server, quota: q}
		}
		if onWait != nil {
			onWait(d, server, q)
		}
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// gate caps the requests in flight for one campaign or business. Its capacity
// only ever goes down, when the server says "Hit rate limit of N parallel
// requests".
type gate struct {
	mu       sync.Mutex
	capacity int
	inflight int
	freed    chan struct{} // closed and replaced when a slot frees
}

func newGate(capacity int) *gate {
	return &gate{capacity: capacity, freed: make(chan struct{})}
}

func (g *gate) acquire(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.inflight < g.capacity {
			g.inflight++
			g.mu.Unlock()
			return nil
		}
		freed := g.freed
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-freed:
		}
	}
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	close(g.freed)
	g.freed = make(chan struct{})
}

// lower sets the capacity to n if that is lower (never below 1).
func (g *gate) lower(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.capacity = max(1, min(g.capacity, n))
}
