package views

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/provider"
)

// clock is a hand-moved time for Progress.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)} }

// Not on a terminal, Progress writes a line at most every 10 seconds,
// whatever the number of events, and the final state once at Finish.
func TestProgressNonTTYThrottles(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	p := newProgress(&out, 4, false, Options{}, c.now)
	step := func(d time.Duration, e apply.Event) {
		c.advance(d)
		p.Event(e)
	}
	step(0, apply.Event{Type: "change_started", Address: "order.1"})
	step(time.Second, apply.Event{Type: "change_started", Address: "order.2"})
	step(3*time.Second, apply.Event{Type: "change_applied", Address: "order.1", Call: "track"})
	if out.Len() != 0 {
		t.Fatalf("wrote before 10s had passed: %q", out.String())
	}
	step(6*time.Second, apply.Event{Type: "change_failed", Address: "order.2", Call: "update"}) // t=10s
	step(time.Second, apply.Event{Type: "change_started", Address: "order.3"})                  // t=11s: too soon
	p.RateLimitWait(provider.Wait{Endpoint: "update", Duration: 30 * time.Second})              // too soon too
	step(8*time.Second, apply.Event{Type: "change_stale", Address: "order.4"})                  // t=19s: too soon
	step(time.Second, apply.Event{Type: "change_applied", Address: "order.3", Call: "update"})  // t=20s
	step(time.Second, apply.Event{Type: "change_confirmed", Address: "order.1", Call: "track"}) // t=21s: too soon
	p.Finish()
	p.Finish() // nothing new: no second final line

	want := []string{
		"Applying: 2/4 done, 1 pending confirmation, ETA 10s",                                    // t=10s
		"Applying: 4/4 done, 2 pending confirmation, 1 waiting on rate limit until 10:00:41 UTC", // t=20s
		"Applying: 4/4 done, 1 pending confirmation, 1 waiting on rate limit until 10:00:41 UTC", // Finish, t=21s
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestProgressNonTTYFinish(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	p := newProgress(&out, 2, false, Options{}, c.now)
	p.Event(apply.Event{Type: "change_started", Address: "order.1"})
	c.advance(2 * time.Second)
	p.Event(apply.Event{Type: "change_applied", Address: "order.1", Call: "track"})
	p.Event(apply.Event{Type: "change_stale", Address: "order.2"})
	if out.Len() != 0 {
		t.Fatalf("a 2-second run wrote progress lines: %q", out.String())
	}
	p.Finish()
	if got, want := out.String(), "Applying: 2/2 done, 1 pending confirmation\n"; got != want {
		t.Errorf("Finish wrote %q, want %q", got, want)
	}

	// A run with no events writes nothing at all.
	out.Reset()
	newProgress(&out, 0, false, Options{}, c.now).Finish()
	if out.Len() != 0 {
		t.Errorf("an empty run wrote %q", out.String())
	}
}

// On a terminal every event redraws one line in place, and Finish clears it.
func TestProgressTTY(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	p := newProgress(&out, 2, true, Options{Width: 36}, c.now)
	p.Event(apply.Event{Type: "change_started", Address: "order.1"})
	p.Event(apply.Event{Type: "change_started", Address: "order.2"})
	c.advance(4 * time.Second)
	p.Event(apply.Event{Type: "change_confirmed", Address: "order.1", Call: "track"})
	p.Finish()
	want := "\rApplying: 0/2 done, 1 in flight" +
		"\rApplying: 0/2 done, 2 in flight" +
		"\rApplying: 1/2 done, 1 in flight, ET" + // cut to fit 36 columns
		"\r" + strings.Repeat(" ", 35) + "\r"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("terminal output (-want +got):\n%s", diff)
	}
	if strings.Contains(out.String(), "\n") {
		t.Errorf("terminal output has a newline: %q", out.String())
	}
}

// A shorter line overwrites the rest of a longer one with spaces.
func TestProgressTTYShorterLine(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	p := newProgress(&out, 1, true, Options{}, c.now)
	p.RateLimitWait(provider.Wait{Endpoint: "update", Duration: time.Second})
	c.advance(2 * time.Second)
	p.Event(apply.Event{Type: "waiting", Pending: 1})
	long := "Applying: 0/1 done, 1 waiting on rate limit"
	short := "Applying: 0/1 done"
	want := "\r" + long + "\r" + short + strings.Repeat(" ", len(long)-len(short))
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("terminal output (-want +got):\n%s", diff)
	}
}

// Events arrive from apply's workers and rate-limit waits from the
// client's: Progress must take both at once (run with -race).
func TestProgressConcurrent(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, 50, true, Options{})
	done := make(chan struct{})
	go func() {
		for i := 0; i < 50; i++ {
			p.RateLimitWait(provider.Wait{Endpoint: "update", Duration: time.Millisecond})
		}
		close(done)
	}()
	for i := 0; i < 50; i++ {
		a := "order." + string(rune('a'+i%26)) + string(rune('a'+i/26))
		p.Event(apply.Event{Type: "change_started", Address: a})
		p.Event(apply.Event{Type: "change_confirmed", Address: a, Call: "track"})
	}
	<-done
	p.Finish()
	if !strings.Contains(out.String(), "50/50 done") {
		t.Errorf("final state not shown: %q", out.String())
	}
}

// WaitNotices: a wait of 5 s or more is announced once per endpoint and
// scope (campaign or business); the same wait again, or one ending within a
// second of it, is not; a later end is; shorter waits (the limiter's
// ordinary pacing) never are.
func TestWaitNotices(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	q := provider.Quota{Limit: 100, Period: time.Minute}
	wait := func(endpoint string, campaign, business int64, d time.Duration, server bool) provider.Wait {
		return provider.Wait{Endpoint: endpoint, CampaignID: campaign, BusinessID: business, Duration: d, Until: at.Add(d), Quota: q, Server: server}
	}
	var n WaitNotices
	steps := []struct {
		w    provider.Wait
		want string
	}{
		{wait("track", 21000000, 0, 4900*time.Millisecond, true), ""},
		{wait("get_order", 21000000, 0, 5*time.Second, true),
			"Waiting 5s for the Market's rate limit on get_order in campaign 21000000, until 10:00:05 UTC."},
		{wait("track", 21000000, 0, 30*time.Second, true),
			"Waiting 30s for the Market's rate limit on track in campaign 21000000, until 10:00:30 UTC."},
		{wait("track", 21000000, 0, 30*time.Second, true), ""},         // the same wait, another request
		{wait("track", 21000000, 0, 30500*time.Millisecond, true), ""}, // within a second of it
		{wait("track", 22000000, 0, 30*time.Second, true),
			"Waiting 30s for the Market's rate limit on track in campaign 22000000, until 10:00:30 UTC."},
		{wait("update", 21000000, 0, 30*time.Second, false),
			"Waiting 30s for the quota of 100 requests per 1m0s on update in campaign 21000000, until 10:00:30 UTC."},
		{wait("operations", 0, 9000000, 10*time.Second, true),
			"Waiting 10s for the Market's rate limit on operations in business 9000000, until 10:00:10 UTC."},
		{wait("track", 21000000, 0, 2*time.Minute, true), // the end moved: announced again
			"Waiting 2m0s for the Market's rate limit on track in campaign 21000000, until 10:02:00 UTC."},
		{wait("track", 21000000, 0, time.Second, true), ""},
	}
	var want, got []string
	for _, s := range steps {
		want = append(want, s.want)
		got = append(got, n.Note(s.w))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
}
