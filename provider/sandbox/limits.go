package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Quota is a number of requests allowed per period, counted in fixed windows
// that start with the first request after the previous window ended.
type Quota struct {
	Limit  int
	Period time.Duration
}

// limitKey is what a quota counts: one endpoint for one campaign (or business).
type limitKey struct {
	endpoint Endpoint
	scope    int64
}

type window struct {
	start time.Time
	used  int
}

// limiter holds the fixed windows and in-flight counts; the server's mutex
// guards it.
type limiter struct {
	quotas   map[Endpoint]Quota
	parallel map[Endpoint]int
	windows  map[limitKey]*window
	inflight map[limitKey]int
}

func newLimiter(opt Options) *limiter {
	l := &limiter{
		quotas:   map[Endpoint]Quota{},
		parallel: map[Endpoint]int{},
		windows:  map[limitKey]*window{},
		inflight: map[limitKey]int{},
	}
	for _, e := range Endpoints() {
		l.quotas[e] = limitsOf(e).quota
		if q, ok := opt.Quotas[e]; ok {
			l.quotas[e] = q
		}
		switch {
		case opt.Parallel > 0:
			l.parallel[e] = opt.Parallel
		case opt.Parallel == 0:
			l.parallel[e] = limitsOf(e).parallel
		}
	}
	return l
}

// rateHeaders are the X-RateLimit-Resource-* values of one answer.
type rateHeaders struct {
	limit, remaining int
	until            time.Time
	set              bool
}

func (h rateHeaders) write(w http.ResponseWriter) {
	if !h.set {
		return
	}
	w.Header().Set("X-RateLimit-Resource-Limit", strconv.Itoa(h.limit))
	w.Header().Set("X-RateLimit-Resource-Remaining", strconv.Itoa(h.remaining))
	// Rounded up: a client that waits until -Until never comes back early.
	until := h.until
	if until.Truncate(time.Second) != until {
		until = until.Truncate(time.Second).Add(time.Second)
	}
	w.Header().Set("X-RateLimit-Resource-Until", until.UTC().Format(http.TimeFormat))
}

// current returns the key's window at now, starting a new one when the last
// has ended, or nil when the endpoint has no quota.
func (l *limiter) current(k limitKey, now time.Time) (*window, Quota) {
	q := l.quotas[k.endpoint]
	if q.Limit <= 0 || q.Period <= 0 {
		return nil, q
	}
	w := l.windows[k]
	if w == nil || !now.Before(w.start.Add(q.Period)) {
		w = &window{start: now}
		l.windows[k] = w
	}
	return w, q
}

// peek reports the headers without counting a request.
func (l *limiter) peek(k limitKey, now time.Time) rateHeaders {
	w, q := l.current(k, now)
	if w == nil {
		return rateHeaders{}
	}
	return rateHeaders{limit: q.Limit, remaining: max(q.Limit-w.used, 0), until: w.start.Add(q.Period), set: true}
}

// admit counts a request against the parallel limit and the quota, or refuses
// it (without counting it) with the 420 the API answers. An admitted request
// must be released.
func (l *limiter) admit(k limitKey, now time.Time) (rateHeaders, *apiError) {
	h := l.peek(k, now)
	if p := l.parallel[k.endpoint]; p > 0 && l.inflight[k] >= p {
		return h, limitError(fmt.Sprintf("Hit rate limit of %d parallel requests", p))
	}
	if h.set {
		if h.remaining == 0 {
			q := l.quotas[k.endpoint]
			return h, limitError(fmt.Sprintf("Hit rate limit of %d requests per %s for resource %d",
				q.Limit, periodText(q.Period), limitsOf(k.endpoint).resource))
		}
		l.windows[k].used++
		h.remaining--
	}
	l.inflight[k]++
	return h, nil
}

func (l *limiter) release(k limitKey) {
	if l.inflight[k]--; l.inflight[k] <= 0 {
		delete(l.inflight, k)
	}
}

func periodText(d time.Duration) string {
	switch d {
	case time.Hour:
		return "hour"
	case time.Minute:
		return "minute"
	case time.Second:
		return "second"
	}
	return d.String()
}

func limitError(msg string) *apiError {
	return &apiError{status: StatusRateLimited, errs: []errorEntry{{"LIMIT_EXCEEDED", msg}}}
}

// StatusRateLimited is the HTTP status of the API's rate-limit answer.
const StatusRateLimited = 420
