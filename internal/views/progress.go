package views

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider"
)

// throttle is how often Progress writes a line when stderr is not a
// terminal: often enough to show a CI log that the run is alive, rarely
// enough not to bury it.
const throttle = 10 * time.Second

// Progress shows an apply as it runs, on stderr: fed every apply.Event (and
// every wait of the rate limiter), it keeps one status line such as
//
//	Applying: 3/5 done, 1 in flight, 2 pending confirmation, 1 waiting on rate limit, ETA 12s
//
// On a terminal the line is redrawn in place with "\r" on every event and
// cleared by Finish; elsewhere (a CI log) it is printed as a line of its own
// at most every 10 seconds, and once more by Finish if it changed since.
// "done" counts the orders whose writes have all been answered (including
// those still awaiting the Market's confirmation) or that were not sent
// (stale, skipped). Safe for concurrent use.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	total int
	tty   bool
	width int
	now   func() time.Time

	start     time.Time
	lastPrint time.Time // of the last line written (not a terminal)
	lastLine  string    // the last line written
	drawn     int       // runes of the status line on screen (terminal)
	orders    map[string]*orderProgress
	rateUntil []time.Time // ends of the rate-limit waits not yet over
	// The orders counted by state, kept as each event comes: the line is
	// redrawn on every event, and counting every order each time would
	// make a run of n changes cost n² here.
	done, inFlight, awaiting int
}

// orderProgress is what the events said of one order so far.
type orderProgress struct {
	started bool
	skipped bool                       // stale or skipped: nothing is sent
	calls   map[string]apply.EventType // call -> its last event
}

// NewProgress starts a display of an apply of total changes on w; tty says
// whether w is a terminal. Only opt.Width is used (the line is cut to fit so
// that "\r" can redraw it).
func NewProgress(w io.Writer, total int, tty bool, opt Options) *Progress {
	return newProgress(w, total, tty, opt, time.Now)
}

func newProgress(w io.Writer, total int, tty bool, opt Options, now func() time.Time) *Progress {
	t := now()
	return &Progress{w: w, total: total, tty: tty, width: opt.width(), now: now,
		start: t, lastPrint: t, orders: map[string]*orderProgress{}}
}

// Event takes one event of the run.
func (p *Progress) Event(e apply.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Address != "" {
		o := p.orders[e.Address]
		if o == nil {
			o = &orderProgress{calls: map[string]apply.EventType{}}
			p.orders[e.Address] = o
		}
		p.count(o, -1)
		switch e.Type {
		case apply.ChangeStarted:
			o.started = true
		case apply.ChangeApplied, apply.ChangeUnknown, apply.ChangeConfirmed, apply.ChangeFailed:
			o.calls[e.Call] = e.Type
		case apply.ChangeStale, apply.ChangeSkipped, apply.ChangeDeferred:
			o.skipped = true
		}
		p.count(o, +1)
	}
	p.update()
}

// RateLimitWait counts a request held back by a rate limit; it shows as
// "waiting on rate limit" (with the latest end, when it is 5 s or more
// away) until the wait has passed.
func (p *Progress) RateLimitWait(w provider.Wait) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rateUntil = append(p.rateUntil, p.now().Add(w.Duration))
	p.update()
}

// Finish ends the display: on a terminal it clears the status line, so the
// report that follows starts on a clean line; elsewhere it writes the final
// state unless the last line written already said it.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		if p.drawn > 0 {
			fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
			p.drawn = 0
		}
		return
	}
	if len(p.orders) == 0 && len(p.rateUntil) == 0 {
		return
	}
	if line := p.line(p.now()); line != p.lastLine {
		p.print(line, p.now())
	}
}

// update shows the current state, as the kind of output allows.
func (p *Progress) update() {
	now := p.now()
	if !p.tty {
		if now.Sub(p.lastPrint) >= throttle {
			p.print(p.line(now), now)
		}
		return
	}
	line := p.line(now)
	if limit := p.width - 1; utf8.RuneCountInString(line) > limit {
		line = string([]rune(line)[:limit])
	}
	if line == p.lastLine && p.drawn > 0 {
		return
	}
	n := utf8.RuneCountInString(line)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", max(0, p.drawn-n)))
	p.drawn = max(n, p.drawn)
	p.lastLine = line
}

func (p *Progress) print(line string, now time.Time) {
	fmt.Fprintln(p.w, line)
	p.lastPrint, p.lastLine = now, line
}

// count adds (sign +1) or takes away (-1) o's share of the counts.
func (p *Progress) count(o *orderProgress, sign int) {
	failed, confirmed := false, len(o.calls) > 0
	for _, t := range o.calls {
		failed = failed || t == apply.ChangeFailed
		confirmed = confirmed && t == apply.ChangeConfirmed
	}
	switch {
	case o.skipped || failed || confirmed:
		p.done += sign
	case len(o.calls) > 0:
		p.done += sign
		p.awaiting += sign
	case o.started:
		p.inFlight += sign
	}
}

// line is the status line at now.
func (p *Progress) line(now time.Time) string {
	done, inFlight, awaiting := p.done, p.inFlight, p.awaiting
	waiting := 0
	var until time.Time
	live := p.rateUntil[:0]
	for _, t := range p.rateUntil {
		if t.After(now) {
			waiting++
			live = append(live, t)
			if t.After(until) {
				until = t
			}
		}
	}
	p.rateUntil = live

	parts := []string{fmt.Sprintf("%d/%d done", done, p.total)}
	if inFlight > 0 {
		parts = append(parts, fmt.Sprintf("%d in flight", inFlight))
	}
	if awaiting > 0 {
		parts = append(parts, fmt.Sprintf("%d pending confirmation", awaiting))
	}
	if waiting > 0 {
		w := fmt.Sprintf("%d waiting on rate limit", waiting)
		if until.Sub(now) >= waitNoticeMin {
			w += " until " + until.UTC().Format("15:04:05 UTC")
		}
		parts = append(parts, w)
	}
	if done > 0 && done < p.total {
		// The pace so far, extrapolated: rough, but it tells a 2-minute
		// run from a 2-hour one, which is what the reader wants to know.
		eta := now.Sub(p.start) * time.Duration(p.total-done) / time.Duration(done)
		if eta = eta.Round(time.Second); eta > 0 {
			parts = append(parts, "ETA "+eta.String())
		}
	}
	return "Applying: " + strings.Join(parts, ", ")
}

// waitNoticeMin is the shortest rate-limit wait worth a line of its own:
// shorter ones are the limiter's ordinary pacing.
const waitNoticeMin = 5 * time.Second

// WaitNotices turns the client's rate-limit waits into lines for stderr:
// one when a wait of at least 5 s begins, not again for the same endpoint
// and campaign until the end it names moves. Safe for concurrent use.
type WaitNotices struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// Note returns the line to print for w, or "".
func (n *WaitNotices) Note(w provider.Wait) string {
	if w.Duration < waitNoticeMin {
		return ""
	}
	key := fmt.Sprintf("%s/%d/%d", w.Endpoint, w.CampaignID, w.BusinessID)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.last == nil {
		n.last = map[string]time.Time{}
	}
	if prev, ok := n.last[key]; ok && !w.Until.After(prev.Add(time.Second)) {
		return ""
	}
	n.last[key] = w.Until
	return RateLimitWait(w)
}

// RateLimitWait says who holds a request back, for how long and until when.
func RateLimitWait(w provider.Wait) string {
	scope := fmt.Sprintf("campaign %d", w.CampaignID)
	if w.BusinessID != 0 {
		scope = fmt.Sprintf("business %d", w.BusinessID)
	}
	who := fmt.Sprintf("the quota of %d requests per %v", w.Quota.Limit, w.Quota.Period)
	if w.Server {
		who = "the Market's rate limit"
	}
	return fmt.Sprintf("Waiting %v for %s on %s in %s, until %s.",
		w.Duration.Round(time.Second), who, w.Endpoint, scope, w.Until.UTC().Format("15:04:05 UTC"))
}

// Note writes a line of its own above the status line (a retry, say): on a
// terminal the status line is cleared first and redrawn after it.
func (p *Progress) Note(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
		p.drawn = 0
		fmt.Fprintln(p.w, line)
		p.lastLine = ""
		p.update()
		return
	}
	fmt.Fprintln(p.w, line)
}

// LockWait says whose lock a run waits for, and how long it will.
func LockWait(k journal.LockKey, h journal.Holder, timeout time.Duration) string {
	return fmt.Sprintf("Waiting up to %v for the lock of %s, held by %s.", timeout.Round(time.Second), k, h)
}
