package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// fake is a scripted Market: orders it reads back, what each write answers,
// and the operations' statuses poll by poll. It records every call.
type fake struct {
	mu     sync.Mutex
	orders map[int64]provider.Order
	// track answers SetTrack; nil applies the track to the order.
	track func(ctx context.Context) error
	// date answers SetDeliveryDate; nil moves the order's delivery date.
	date  func(ctx context.Context) error
	dates []provider.DeliveryDate // what SetDeliveryDate was sent
	// opStatus answers the n-th Operations call (0-based) for op id.
	opStatus func(n int, id string) string
	opCalls  int
	opBiz    []int64 // the business of each Operations call
	writes   int
	reads    int // ReadOrders calls
}

func (f *fake) SetTrack(ctx context.Context, _, orderID int64, t provider.Track) error {
	f.mu.Lock()
	f.writes++
	answer := f.track
	f.mu.Unlock()
	if answer != nil {
		return answer(ctx) // it calls provider.Leaving if the write leaves
	}
	if err := provider.Leaving(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[orderID]
	o.Delivery.Tracks = append(o.Delivery.Tracks, t)
	f.orders[orderID] = o
	return nil
}

func (f *fake) SetDeliveryDate(ctx context.Context, _, orderID int64, d provider.DeliveryDate) error {
	f.mu.Lock()
	f.writes++
	f.dates = append(f.dates, d)
	answer := f.date
	f.mu.Unlock()
	if answer != nil {
		return answer(ctx)
	}
	if err := provider.Leaving(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[orderID]
	o.Delivery.Dates.ToDate = d.ToDate
	f.orders[orderID] = o
	return nil
}

func (f *fake) UpdateOrder(ctx context.Context, _ int64, u provider.OrderUpdate) ([]provider.Operation, error) {
	if err := provider.Leaving(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	return []provider.Operation{{ID: fmt.Sprint("iv-", u.OrderID), Type: "ORDER_DELIVERY_INTERVAL_UPDATE"},
		{ID: fmt.Sprint("rc-", u.OrderID), Type: "ORDER_RECIPIENT_UPDATE"}}, nil
}

func (f *fake) Operations(_ context.Context, businessID int64, _ string, ids []string) ([]provider.Operation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opBiz = append(f.opBiz, businessID)
	var out []provider.Operation
	for _, id := range ids {
		out = append(out, provider.Operation{ID: id, Status: f.opStatus(f.opCalls, id)})
	}
	f.opCalls++
	return out, nil
}

func (f *fake) ReadOrders(_ context.Context, refs []provider.OrderRef) (map[int64]provider.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	out := map[int64]provider.Order{}
	for _, r := range refs {
		if o, ok := f.orders[r.OrderID]; ok {
			out[r.OrderID] = o
		}
	}
	return out, nil
}

func sp(s string) *string { return &s }

func dbsOrder(id int64) provider.Order {
	return provider.Order{ID: id, CampaignID: 21000000, Model: provider.ModelDBS, Status: "PROCESSING", HasRecipient: true,
		Delivery: provider.Delivery{PartnerType: "SHOP"}}
}

func laasOrder(id int64) provider.Order {
	return provider.Order{ID: id, CampaignID: 22000000, Model: provider.ModelLaaS, Status: "PROCESSING", HasRecipient: true,
		Delivery: provider.Delivery{PartnerType: "YANDEX_MARKET",
			Address: provider.Address{Recipient: "Петров Иван", Phone: "+79990001122"},
			Dates:   provider.Dates{FromDate: "27-11-2026", ToDate: "27-11-2026", FromTime: "10:00", ToTime: "14:00"}}}
}

// build plans desired against f's orders.
func build(t *testing.T, f *fake, desired ...schema.Order) *plan.Plan {
	t.Helper()
	cur := map[int64]plan.Current{}
	for _, d := range desired {
		o := f.orders[d.ID]
		cur[d.ID] = plan.Current{Found: true, Order: o, AvailableRead: true, Available: []provider.Interval{
			{FromDate: "2026-11-27", ToDate: "2026-11-27", FromTime: "10:00", ToTime: "14:00"},
			{FromDate: "2026-11-28", ToDate: "2026-11-28", FromTime: "10:00", ToTime: "14:00"}}}
	}
	p := plan.Build(plan.Input{Desired: desired, Current: cur, BusinessID: 9000000, Now: time.Now()})
	if len(p.Blocked) > 0 || len(p.Changes) != len(desired) {
		t.Fatalf("plan: %d changes, blocked %+v", len(p.Changes), p.Blocked)
	}
	return p
}

func openJournal(t *testing.T) (*journal.Journal, string) {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j, dir
}

func entries(t *testing.T, dir string) []journal.Entry {
	t.Helper()
	recs, err := journal.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return journal.Fold(recs)
}

var moveAndCall = schema.Order{Address: "order.2001", ID: 2001, CampaignID: 22000000,
	Interval:  &schema.Interval{FromDate: "2026-11-28", ToDate: "2026-11-28", FromTime: "10:00", ToTime: "14:00"},
	Recipient: &schema.Recipient{Phone: sp("+79990009999")}}

// One operation of an update FAILED while its sibling still runs: the
// sibling may still change the order, so the change is not settled until it
// ends; then it fails.
func TestFailedOperationWaitsForItsSibling(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{2001: laasOrder(2001)}}
	f.opStatus = func(n int, id string) string {
		switch {
		case id == "iv-2001":
			return provider.OperationFailed
		case n < 3:
			return provider.OperationInProgress
		}
		return provider.OperationDone
	}
	j, dir := openJournal(t)
	rep, err := Run(context.Background(), build(t, f, moveAndCall), f, f, Options{Journal: j, Wait: time.Minute, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Results[0].Outcome; got != Failed || f.opCalls != 4 {
		t.Fatalf("outcome %s after %d polls, want failed after 4 (the sibling ends on the 4th)", got, f.opCalls)
	}
	if e := entries(t, dir); len(e) != 1 || e[0].State != journal.KindFailed {
		t.Errorf("journal %+v, want the submission failed", e)
	}

	// Wait runs out while the sibling still runs: pending, not failed.
	f = &fake{orders: map[int64]provider.Order{2001: laasOrder(2001)}}
	f.opStatus = func(_ int, id string) string {
		if id == "iv-2001" {
			return provider.OperationFailed
		}
		return provider.OperationInProgress
	}
	j, dir = openJournal(t)
	rep, err = Run(context.Background(), build(t, f, moveAndCall), f, f, Options{Journal: j, Wait: 30 * time.Millisecond, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Results[0].Outcome; got != Applied || !rep.OK() {
		t.Fatalf("outcome %s (ok %v), want applied: not over yet", got, rep.OK())
	}
	if e := entries(t, dir); len(e) != 1 || e[0].State != journal.KindSubmitted {
		t.Errorf("journal %+v, want the submission still open", e)
	}
}

// A track write without any answer that the order does not show: unknown,
// not applied, and the run is not OK; the journal keeps it open.
func TestNoAnswerIsUnknown(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{1001: dbsOrder(1001)}}
	f.track = func(ctx context.Context) error {
		if err := provider.Leaving(ctx); err != nil {
			return err
		}
		return fmt.Errorf("%w: %w", provider.ErrOutcomeUnknown, errors.New("connection reset"))
	}
	j, dir := openJournal(t)
	d := schema.Order{Address: "order.1001", ID: 1001, CampaignID: 21000000, Track: &schema.Track{Code: "RP1", DeliveryServiceID: 51}}
	rep, err := Run(context.Background(), build(t, f, d), f, f, Options{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Results[0].Outcome; got != Unknown || rep.OK() {
		t.Fatalf("outcome %s (ok %v), want unknown and not OK", got, rep.OK())
	}
	if e := entries(t, dir); len(e) != 1 || e[0].State != journal.KindUnknown || !e[0].Open() {
		t.Errorf("journal %+v, want the submission open as unknown", e)
	}
	if f.writes != 1 {
		t.Errorf("%d writes, want 1", f.writes)
	}
}

// Interrupted while a write waits for its turn (the client returns the
// context's error without sending, never calling provider.Leaving):
// skipped, and nothing journaled: no intent of a write that never left
// makes the next run hold back the change.
func TestInterruptBeforeSendingSkips(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{1001: dbsOrder(1001)}}
	ctx, cancel := context.WithCancel(context.Background())
	f.track = func(ctx context.Context) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	j, dir := openJournal(t)
	d := schema.Order{Address: "order.1001", ID: 1001, CampaignID: 21000000, Track: &schema.Track{Code: "RP1", DeliveryServiceID: 51}}
	rep, err := Run(ctx, build(t, f, d), f, f, Options{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Results[0].Outcome; got != Skipped || !rep.Interrupted {
		t.Fatalf("outcome %s (interrupted %v), want skipped", got, rep.Interrupted)
	}
	if e := entries(t, dir); len(e) != 0 {
		t.Errorf("journal %+v, want nothing: the write never left", e)
	}
}

// An earlier run's open submission carrying the whole change: pending, no
// write. Carrying part of it, or other values: refused as stale, no write.
func TestInFlightPerCall(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{2001: laasOrder(2001)}, opStatus: func(int, string) string { return provider.OperationInProgress }}
	p := build(t, f, moveAndCall)
	whole := plan.Targets(nil, p.Changes[0].Fields)
	part := map[string]string{}
	other := map[string]string{}
	for k, v := range whole {
		if k == plan.FieldPhone {
			part[k] = v
			other[k] = plan.Key(nil).Fingerprint(k, "79990000000")
		}
	}
	for _, c := range []struct {
		name    string
		targets map[string]string
		want    Outcome
	}{
		{"whole", whole, Pending},
		{"part", part, Stale},
		{"other values", other, Stale},
		// The recipient is sent whole: an earlier one setting the name
		// would be undone or raced by this one setting the phone.
		{"same block", map[string]string{plan.FieldFirstName: plan.Key(nil).Fingerprint(plan.FieldFirstName, "Пётр")}, Stale},
		{"other call", map[string]string{plan.FieldTrackCode: "x"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			j, _ := openJournal(t)
			open := []journal.Entry{{ID: "earlier", Call: journal.CallUpdate, OrderID: 2001, Targets: c.targets, State: journal.KindSubmitted, SubmittedAt: time.Now()}}
			before := f.writes
			rep, err := Run(context.Background(), p, f, f, Options{Journal: j, InFlight: open})
			if err != nil {
				t.Fatal(err)
			}
			sent := f.writes - before
			if c.want == "" { // no bearing on this change: sent
				if sent != 1 {
					t.Errorf("outcome %s after %d writes, want the change sent once", rep.Results[0].Outcome, sent)
				}
				return
			}
			if got := rep.Results[0].Outcome; got != c.want || sent != 0 {
				t.Errorf("outcome %s (%s) after %d writes, want %s and none", got, rep.Results[0].Detail, sent, c.want)
			}
		})
	}
}

// A write the Market refused unprocessed (a 420) and that the client sends
// again: the refused attempt's intent is closed before the retry waits its
// turn, so a crash during that wait leaves no open intent; the retry is a
// submission of its own. When the retry is never made (the limit resets
// beyond the run's wait), the change failed "not sent", and nothing stays
// open to hold the next run back.
func TestRefusedAttemptClosesItsIntent(t *testing.T) {
	refused := &provider.APIError{StatusCode: provider.StatusRateLimited, Endpoint: "POST track", Envelope: true,
		Errors: []provider.ErrorEntry{{Code: "LIMIT_EXCEEDED", Message: "Hit rate limit of 6 parallel requests"}}}
	d := schema.Order{Address: "order.1001", ID: 1001, CampaignID: 21000000, Track: &schema.Track{Code: "RP1", DeliveryServiceID: 51}}

	t.Run("sent again", func(t *testing.T) {
		f := &fake{orders: map[int64]provider.Order{1001: dbsOrder(1001)}}
		j, dir := openJournal(t)
		var atRetry []journal.Entry
		f.track = func(ctx context.Context) error {
			if err := provider.Leaving(ctx); err != nil {
				return err
			}
			provider.Refused(ctx, refused)
			atRetry = entries(t, dir) // what a crash now would leave
			if err := provider.Leaving(ctx); err != nil {
				return err
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			o := f.orders[1001]
			o.Delivery.Tracks = append(o.Delivery.Tracks, provider.Track{Code: "RP1", DeliveryServiceID: 51})
			f.orders[1001] = o
			return nil
		}
		rep, err := Run(context.Background(), build(t, f, d), f, f, Options{Journal: j, Wait: time.Minute, PollInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if len(atRetry) != 1 || atRetry[0].Open() {
			t.Errorf("journal while the retry waits: %+v, want the refused attempt closed", atRetry)
		}
		if got := rep.Results[0].Outcome; got != Confirmed || !rep.OK() {
			t.Fatalf("outcome %s (%s), want confirmed", got, rep.Results[0].Detail)
		}
		es := entries(t, dir)
		if len(es) != 2 || es[0].State != journal.KindFailed || es[1].State != journal.KindConfirmed || es[0].ID == es[1].ID {
			t.Errorf("journal %+v, want the refused attempt failed and the retry confirmed, each its own submission", es)
		}
	})

	t.Run("never sent again", func(t *testing.T) {
		f := &fake{orders: map[int64]provider.Order{1001: dbsOrder(1001)}}
		j, dir := openJournal(t)
		f.track = func(ctx context.Context) error {
			if err := provider.Leaving(ctx); err != nil {
				return err
			}
			provider.Refused(ctx, refused)
			return &provider.RateLimitError{Endpoint: "track", CampaignID: 21000000, Quota: provider.Quota{Limit: 10000, Period: time.Hour},
				Until: time.Now().Add(time.Hour), MaxWait: 5 * time.Minute, Server: true}
		}
		rep, err := Run(context.Background(), build(t, f, d), f, f, Options{Journal: j, Wait: time.Minute, PollInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		res := rep.Results[0]
		if res.Outcome != Failed || res.Code != "RATE_LIMITED" || !strings.HasPrefix(res.Detail, "not sent: rate limit of track") {
			t.Errorf("result %+v, want failed RATE_LIMITED, not sent", res)
		}
		for _, e := range entries(t, dir) {
			if e.Open() {
				t.Errorf("journal entry %+v still open: the next run would hold the change back", e)
			}
		}
	})
}

// The operations endpoint says IN_PROGRESS for ever, and the order never
// shows the change, while -wait is long enough for many rounds: apply asks
// the endpoint exactly OperationsBudget times, goes on re-reading the order
// after that, and ends applied (accepted, not confirmed) with a detail that
// says why it is not confirmed. The clock moves a minute a re-read, so the
// wait ends after 100 rounds whatever the machine's speed.
func TestOperationsBudget(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{2001: laasOrder(2001)}, opStatus: func(int, string) string { return provider.OperationInProgress }}
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	now := func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return base.Add(time.Duration(f.reads) * time.Minute)
	}
	j, dir := openJournal(t)
	rep, err := Run(context.Background(), build(t, f, moveAndCall), f, f, Options{Journal: j, Wait: 100 * time.Minute,
		PollInterval: 100 * time.Microsecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if f.opCalls != OperationsBudget {
		t.Errorf("%d calls to the operations endpoint, want exactly OperationsBudget (%d)", f.opCalls, OperationsBudget)
	}
	if f.reads < OperationsBudget+10 {
		t.Errorf("%d re-reads: the run stopped following once the budget was spent", f.reads)
	}
	res := rep.Results[0]
	if res.Outcome != Applied || !strings.Contains(res.Detail, "not confirmed yet") || !strings.Contains(res.Detail, fmt.Sprintf("budget of %d calls", OperationsBudget)) {
		t.Errorf("result %+v, want applied, saying it is not confirmed because the budget is spent", res)
	}
	if e := entries(t, dir); len(e) != 1 || e[0].State != journal.KindSubmitted {
		t.Errorf("journal %+v, want the submission still open for the next run to follow", e)
	}
}

// realOperations is the fake Market with the real client's operations
// endpoint, retries and all.
type realOperations struct {
	*fake
	client *provider.Client
}

func (r realOperations) Operations(ctx context.Context, businessID int64, opType string, ids []string) ([]provider.Operation, error) {
	return r.client.Operations(ctx, businessID, opType, ids)
}

// The budget is of requests the operations endpoint receives. Through the
// real client, which retries a read's 5xx up to 8 times, an endpoint that
// fails every time must still see at most OperationsBudget requests in a
// run, and each failure must leave the order to be re-read at once, not
// after the client's whole retry budget.
func TestOperationsBudgetCountsRequests(t *testing.T) {
	var hits atomic.Int32
	// The 500s are the test's own; what the client asks for is checked.
	srv := httptest.NewServer(contract.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"status":"ERROR","errors":[{"code":"INTERNAL_ERROR","message":"operations are down"}]}`))
	}), contract.Requests, contract.Errorf(t)))
	defer srv.Close()
	client, err := provider.New(provider.Config{Endpoint: srv.URL, APIKey: "k",
		Retry: provider.RetryPolicy{MaxAttempts: 8, BaseDelay: time.Microsecond, MaxDelay: time.Microsecond}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{orders: map[int64]provider.Order{2001: laasOrder(2001)}}
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	now := func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return base.Add(time.Duration(f.reads) * time.Minute)
	}
	j, _ := openJournal(t)
	rep, err := Run(context.Background(), build(t, f, moveAndCall), realOperations{f, client}, f, Options{Journal: j, Wait: 100 * time.Minute,
		PollInterval: 100 * time.Microsecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n > OperationsBudget {
		t.Errorf("the operations endpoint received %d requests in one run, more than OperationsBudget (%d)", n, OperationsBudget)
	}
	if res := rep.Results[0]; res.Outcome != Applied || !strings.Contains(res.Detail, "operations endpoint") {
		t.Errorf("result %+v, want applied, saying the operations endpoint could not tell", res)
	}
}

// blockedReader reads through the fake once (the check before writing),
// then answers every re-read with a rate limit that resets long after the
// run's wait.
type blockedReader struct {
	*fake
	until time.Time
}

func (b blockedReader) ReadOrders(ctx context.Context, refs []provider.OrderRef) (map[int64]provider.Order, error) {
	out, _ := b.fake.ReadOrders(ctx, refs)
	b.fake.mu.Lock()
	defer b.fake.mu.Unlock()
	if b.fake.reads == 1 {
		return out, nil
	}
	return nil, fmt.Errorf("read orders of campaign 21000000: %w", &provider.RateLimitError{Endpoint: "list_orders", CampaignID: 21000000,
		Quota: provider.Quota{Limit: 10000, Period: time.Hour}, Until: b.until, MaxWait: 5 * time.Minute, Server: true})
}

// When re-reading is refused by a rate limit that resets after -wait ends
// and nothing else can settle the writes, no later poll of this run can
// learn anything: the run ends at once, applied, saying why it is not
// confirmed, instead of polling a refusal until -wait runs out. (The clock
// moves a minute a read: without the stop the run would read 60 times.)
func TestFollowStopsWhenRereadsAreRateLimitedPastTheWait(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{1001: dbsOrder(1001)}}
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	now := func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return base.Add(time.Duration(f.reads) * time.Minute)
	}
	j, _ := openJournal(t)
	d := schema.Order{Address: "order.1001", ID: 1001, CampaignID: 21000000, Track: &schema.Track{Code: "RP1", DeliveryServiceID: 51}}
	rep, err := Run(context.Background(), build(t, f, d), f, blockedReader{f, base.Add(2 * time.Hour)}, Options{Journal: j, Wait: time.Hour,
		PollInterval: 100 * time.Microsecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if f.reads != 2 {
		t.Errorf("%d reads, want 2: the check before writing and one re-read, which says none is possible before the wait ends", f.reads)
	}
	res := rep.Results[0]
	if res.Outcome != Applied || !strings.Contains(res.Detail, "could not be re-read") || !strings.Contains(res.Detail, "rate limit of list_orders") {
		t.Errorf("result %+v, want applied, saying the order could not be re-read for the rate limit", res)
	}
}

var moveDate = schema.Order{Address: "order.1001", ID: 1001, CampaignID: 21000000,
	DeliveryDate: &schema.DeliveryDate{ToDate: "2099-01-15", Reason: provider.DeliveryDateUserMoved}}

// A delivery date is one synchronous call, journaled like a track: its
// intent names the call and both targets, the answer is confirmed by
// re-reading the order's date. A write that got no answer is followed for
// TrackGrace, not UpdateGrace, and then fails saying the order does not
// show the delivery date.
func TestDeliveryDateIsJournaledLikeATrack(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{1001: dbsOrder(1001)}}
	j, dir := openJournal(t)
	rep, err := Run(context.Background(), build(t, f, moveDate), f, f, Options{Journal: j, Wait: time.Minute, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Results[0].Outcome; got != Confirmed || !rep.OK() {
		t.Fatalf("outcome %s (ok %v), want confirmed", got, rep.OK())
	}
	if want := []provider.DeliveryDate{{ToDate: "2099-01-15", Reason: provider.DeliveryDateUserMoved}}; !cmp.Equal(f.dates, want) || f.writes != 1 {
		t.Errorf("sent %+v in %d writes, want %+v once", f.dates, f.writes, want)
	}
	e := entries(t, dir)
	if len(e) != 1 || e[0].Call != "delivery_date" || e[0].State != journal.KindConfirmed ||
		len(e[0].Targets) != 2 || e[0].Targets[plan.FieldDeliveryDate] == "" || e[0].Targets[plan.FieldDeliveryReason] == "" {
		t.Errorf("journal %+v, want one confirmed delivery_date call with the date and the reason as targets", e)
	}

	// No answer: unknown, followed by re-reading for TrackGrace only.
	f = &fake{orders: map[int64]provider.Order{1001: dbsOrder(1001)}}
	f.date = func(ctx context.Context) error {
		if err := provider.Leaving(ctx); err != nil {
			return err
		}
		return fmt.Errorf("%w: %w", provider.ErrOutcomeUnknown, errors.New("connection reset"))
	}
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return base.Add(time.Duration(f.reads) * 20 * time.Second)
	}
	j, dir = openJournal(t)
	rep, err = Run(context.Background(), build(t, f, moveDate), f, f, Options{Journal: j, Wait: time.Hour, PollInterval: time.Millisecond, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Results[0]
	if res.Outcome != Failed || !strings.Contains(res.Detail, "1m0s later the order does not show the delivery date: it was not applied") {
		t.Errorf("result %+v, want failed once TrackGrace has passed without the date", res)
	}
	if f.writes != 1 || f.reads > 6 {
		t.Errorf("%d writes and %d re-reads, want 1 write and re-reads for about TrackGrace, not the whole wait", f.writes, f.reads)
	}
	if e := entries(t, dir); len(e) != 1 || e[0].State != journal.KindFailed {
		t.Errorf("journal %+v, want the submission failed", e)
	}
}

// Without a business ID, updates are journaled and followed in the business
// each campaign's orders belong to (Options.BusinessOf, which the command
// layer answers with what refresh learnt from the campaigns); with none
// known they are followed by re-reading their orders.
func TestUpdatesAreFollowedInTheLearntBusiness(t *testing.T) {
	other := laasOrder(3101)
	other.CampaignID = 32000000
	moveOther := moveAndCall
	moveOther.Address, moveOther.ID, moveOther.CampaignID = "order.3101", 3101, 32000000
	businessOf := map[int64]int64{22000000: 9000000, 32000000: 9100000}
	for _, known := range []bool{true, false} {
		f := &fake{orders: map[int64]provider.Order{2001: laasOrder(2001), 3101: other}}
		f.opStatus = func(int, string) string { return provider.OperationDone }
		p := build(t, f, moveAndCall, moveOther)
		p.BusinessID = 0 // none configured
		j, dir := openJournal(t)
		// The fake's orders never show an update: with no business known,
		// -wait runs out with the updates applied, not confirmed.
		opt := Options{Journal: j, Wait: 30 * time.Millisecond, PollInterval: time.Millisecond}
		if known {
			opt.Wait = time.Minute
			opt.BusinessOf = func(c int64) int64 { return businessOf[c] }
		}
		rep, err := Run(context.Background(), p, f, f, opt)
		if err != nil {
			t.Fatal(err)
		}
		if known {
			if rep.Count(Confirmed) != 2 {
				t.Errorf("results %+v, want both confirmed through their operations", rep.Results)
			}
			slices.Sort(f.opBiz)
			if want := []int64{9000000, 9000000, 9100000, 9100000}; !slices.Equal(f.opBiz, want) {
				t.Errorf("operations asked in businesses %v, want %v (each order's own, once per operation type)", f.opBiz, want)
			}
		} else if len(f.opBiz) != 0 || rep.Count(Applied) != 2 {
			t.Errorf("operations asked in businesses %v with none known; results %+v", f.opBiz, rep.Results)
		}
		recs, err := journal.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Kind != journal.KindIntent {
				continue
			}
			want := int64(0)
			if known {
				want = businessOf[r.CampaignID]
			}
			if r.BusinessID != want {
				t.Errorf("known %v: intent of order %d journaled in business %d, want %d", known, r.OrderID, r.BusinessID, want)
			}
		}
	}
}

// With Options.Read (the orders a fresh plan was just made from, under the
// run's locks) a change of one of them is checked against it, with no read
// before the writes: a change whose order moved in it is stale and not
// sent; the others are written and confirmed by a real read afterwards. An
// order Read leaves out (an earlier write may be changing it) is read
// again before its change is sent.
func TestReadGivenIsNotReadAgain(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{1001: dbsOrder(1001), 1002: dbsOrder(1002), 1003: dbsOrder(1003)}}
	track := func(id int64) schema.Order {
		return schema.Order{Address: fmt.Sprint("order.", id), ID: id, CampaignID: 21000000, Track: &schema.Track{Code: fmt.Sprint("RP", id), DeliveryServiceID: 51}}
	}
	p := build(t, f, track(1001), track(1002), track(1003))
	read := map[int64]provider.Order{1001: f.orders[1001], 1002: f.orders[1002]}
	moved := read[1002]
	moved.Status = "CANCELLED"
	read[1002] = moved
	// 1003 is left out of Read, and has its track by the time it is read.
	o := f.orders[1003]
	o.Delivery.Tracks = []provider.Track{{Code: "RP1003", DeliveryServiceID: 51}}
	f.orders[1003] = o
	j, _ := openJournal(t)
	rep, err := Run(context.Background(), p, f, f, Options{Journal: j, Read: read, Wait: time.Minute, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	outcome := map[int64]Outcome{}
	for _, r := range rep.Results {
		outcome[r.OrderID] = r.Outcome
	}
	if want := map[int64]Outcome{1001: Confirmed, 1002: Stale, 1003: Unchanged}; !maps.Equal(outcome, want) || f.writes != 1 {
		t.Errorf("outcomes %v after %d writes, want %v and one write", outcome, f.writes, want)
	}
	// The read of 1003 before the writes, and the confirmation after.
	if f.reads != 2 {
		t.Errorf("%d reads, want the one of the order left out and the confirmation", f.reads)
	}
}

// No more changes of one campaign are in flight at once than PerCampaign
// (the client's parallel limit), whatever Parallelism allows: a write
// beyond it would only be admitted by the rate limiter to wait for a slot.
func TestPerCampaignBoundsWritesInFlight(t *testing.T) {
	f := &fake{orders: map[int64]provider.Order{}}
	var desired []schema.Order
	for i := range 20 {
		id := int64(1001 + i)
		f.orders[id] = dbsOrder(id)
		desired = append(desired, schema.Order{Address: fmt.Sprint("order.", id), ID: id, CampaignID: 21000000,
			Track: &schema.Track{Code: fmt.Sprint("RP", id), DeliveryServiceID: 51}})
	}
	var inFlight, most atomic.Int32
	f.track = func(ctx context.Context) error {
		if err := provider.Leaving(ctx); err != nil {
			return err
		}
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond) // let the others pile up, if they may
		inFlight.Add(-1)
		return nil
	}
	j, _ := openJournal(t)
	rep, err := Run(context.Background(), build(t, f, desired...), f, f, Options{Journal: j, Parallelism: 10, PerCampaign: 3})
	if err != nil {
		t.Fatal(err)
	}
	if f.writes != 20 || rep.Count(Applied)+rep.Count(Confirmed)+rep.Count(Unknown) != 20 {
		t.Fatalf("%d writes, results %+v", f.writes, rep.Results)
	}
	if m := most.Load(); m > 3 {
		t.Errorf("%d writes of one campaign in flight at once, want at most 3", m)
	}
}
