package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// A change whose status comes before one its call allows is deferred, for
// every such status and every call that has them (a track, a DBS delivery
// date): not a change, not blocked, and it waits for the first status that
// allows it.
func TestDeferredEveryStatusBeforeProcessing(t *testing.T) {
	for _, status := range []string{"PLACING", "RESERVED", "UNPAID", "PENDING"} {
		for _, tc := range []struct {
			block    string
			desired  schema.Order
			waitsFor []string
		}{
			{"track", trackOrder(1001, "RP1"), []string{"PROCESSING", "DELIVERY", "PICKUP"}},
			{"delivery_date", dateOrder(1001, "2026-11-28", provider.DeliveryDatePartnerMoved), []string{"PROCESSING", "DELIVERY"}},
		} {
			p := Build(Input{Now: now, Desired: []schema.Order{tc.desired},
				Current: map[int64]Current{1001: {Found: true, Order: dbs(1001, status)}}})
			if len(p.Changes) != 0 || len(p.Blocked) != 0 || len(p.Deferred) != 1 {
				t.Fatalf("%s in %s: %d changes, %d blocked, %d deferred; want only 1 deferred: %+v",
					tc.block, status, len(p.Changes), len(p.Blocked), len(p.Deferred), p)
			}
			d := p.Deferred[0]
			if d.Blocks != tc.block || d.Status != status || d.Observed.Status != status || !slices.Equal(d.WaitsFor, tc.waitsFor) {
				t.Errorf("%s in %s: deferred %q in %s waiting for %v; want %s waiting for %v", tc.block, status, d.Blocks, d.Status, d.WaitsFor, tc.block, tc.waitsFor)
			}
			if len(d.Fields) == 0 || block(d.Fields[0].Path) != tc.block || d.Calls != nil {
				t.Errorf("%s in %s: fields %+v calls %v", tc.block, status, d.Fields, d.Calls)
			}
			if _, ok := d.Observed.Values[tc.block]; !ok || len(d.Observed.Values) != 1 {
				t.Errorf("%s in %s: observed %v, want the deferred block's state", tc.block, status, d.Observed.Values)
			}
			if !strings.Contains(d.Detail, "the order is "+status) {
				t.Errorf("%s in %s: detail %q", tc.block, status, d.Detail)
			}
			if s := p.Summary(); s.Deferred != 1 || s.Change != 0 || s.Blocked != 0 || !p.Converges() || p.HasChanges() {
				t.Errorf("%s in %s: summary %+v, converges %v", tc.block, status, s, p.Converges())
			}
		}
	}
}

// What the status or the model will never allow stays blocked: a status past
// the allowed ones (terminal, or PICKUP for a delivery date), and another
// selling model whatever its status.
func TestDeferredNeverForWhatNeverComes(t *testing.T) {
	fbs := dbs(1001, "PENDING")
	fbs.Model, fbs.Delivery.PartnerType = provider.ModelFBS, "YANDEX_MARKET"
	laasPending := laas(1001, "PENDING")
	laasPending.CampaignID = 21000000
	for _, tc := range []struct {
		name    string
		desired schema.Order
		order   provider.Order
		reason  Reason
	}{
		{"track, DELIVERED", trackOrder(1001, "RP1"), dbs(1001, "DELIVERED"), ReasonStatus},
		{"track, CANCELLED", trackOrder(1001, "RP1"), dbs(1001, "CANCELLED"), ReasonStatus},
		{"track, RETURNED", trackOrder(1001, "RP1"), dbs(1001, "RETURNED"), ReasonStatus},
		{"date, DELIVERED", dateOrder(1001, "2026-11-28", provider.DeliveryDatePartnerMoved), dbs(1001, "DELIVERED"), ReasonStatus},
		{"date, CANCELLED", dateOrder(1001, "2026-11-28", provider.DeliveryDatePartnerMoved), dbs(1001, "CANCELLED"), ReasonStatus},
		{"date, PICKUP", dateOrder(1001, "2026-11-28", provider.DeliveryDatePartnerMoved), dbs(1001, "PICKUP"), ReasonStatus},
		{"track, FBS, PENDING", trackOrder(1001, "RP1"), fbs, ReasonModel},
		{"track, LaaS, PENDING", trackOrder(1001, "RP1"), laasPending, ReasonModel},
		{"date, FBS, PENDING", dateOrder(1001, "2026-11-28", provider.DeliveryDatePartnerMoved), fbs, ReasonModel},
	} {
		p := Build(Input{Now: now, Desired: []schema.Order{tc.desired}, Current: map[int64]Current{1001: {Found: true, Order: tc.order}}})
		if len(p.Deferred) != 0 || len(p.Blocked) != 1 || p.Blocked[0].Reason != tc.reason {
			t.Errorf("%s: deferred %+v, blocked %+v; want blocked %s", tc.name, p.Deferred, p.Blocked, tc.reason)
		}
	}
}

// An order with a part that will never be allowed is blocked whole: what
// would only wait is listed with its blocked parts, and nothing of it is
// deferred (a saved plan's apply must not send it). A date in the past is
// such a part even while the status defers it.
func TestDeferredOrderWithBlockedPartIsBlocked(t *testing.T) {
	cancel := dbs(1001, "PENDING")
	cancel.CancelRequested = true
	both := trackOrder(1002, "RP2")
	both.DeliveryDate = &schema.DeliveryDate{ToDate: "2026-11-01", Reason: provider.DeliveryDatePartnerMoved}
	p := Build(Input{Now: now, Desired: []schema.Order{trackOrder(1001, "RP1"), both},
		Current: map[int64]Current{1001: {Found: true, Order: cancel}, 1002: {Found: true, Order: dbs(1002, "PENDING")}}})
	if len(p.Deferred) != 0 || len(p.Changes) != 0 {
		t.Fatalf("deferred %+v changes %+v; want none", p.Deferred, p.Changes)
	}
	var got []string
	for _, b := range p.Blocked {
		got = append(got, b.Address+" "+string(b.Reason))
	}
	want := []string{"order.1001 cancellation_requested", "order.1001 status_not_allowed",
		"order.1002 status_not_allowed", "order.1002 status_not_allowed", "order.1002 date_in_the_past"}
	if !slices.Equal(got, want) {
		t.Errorf("blocked %q, want %q", got, want)
	}
}

// A deferred part does not hold back the parts the status allows: they are
// a change of their own, and the deferred part waits. (No call of today's
// table allows what another defers, so the table is extended for the test.)
func TestDeferredBesideAChange(t *testing.T) {
	saved := calls
	t.Cleanup(func() { calls = saved })
	calls = slices.Clone(calls)
	for i := range calls {
		if calls[i].kind == CallDeliveryDate {
			// A date that could move from PENDING on.
			calls[i].gate.statuses = append([]string{"PENDING"}, calls[i].gate.statuses...)
			calls[i].gate.before = []string{"PLACING", "RESERVED", "UNPAID"}
		}
	}
	d := trackOrder(1001, "RP1")
	d.DeliveryDate = &schema.DeliveryDate{ToDate: "2026-11-28", Reason: provider.DeliveryDatePartnerMoved}
	p := Build(Input{Now: now, Desired: []schema.Order{d}, Current: map[int64]Current{1001: {Found: true, Order: dbs(1001, "PENDING")}}})
	if len(p.Changes) != 1 || len(p.Deferred) != 1 || len(p.Blocked) != 0 {
		t.Fatalf("changes %+v deferred %+v blocked %+v", p.Changes, p.Deferred, p.Blocked)
	}
	if c := p.Changes[0]; len(c.Calls) != 1 || c.Calls[0].Kind != CallDeliveryDate || c.Unchanged != 0 {
		t.Errorf("the change makes %+v (unchanged %d), want the delivery date alone", c.Calls, c.Unchanged)
	}
	if df := p.Deferred[0]; df.Blocks != "track" || len(df.Fields) != 2 || block(df.Fields[0].Path) != "track" || block(df.Fields[1].Path) != "track" {
		t.Errorf("deferred %q %+v, want the track", df.Blocks, df.Fields)
	}
}

// A deferred change re-read later: sent once the status allows it (the
// status moving is what it waited for), still waiting in another status
// before it, stale when the status went where it never comes back from or
// when what it was decided on moved.
func TestDeferredRecheck(t *testing.T) {
	p := Build(Input{Now: now, Desired: []schema.Order{trackOrder(1001, "RP1")},
		Current: map[int64]Current{1001: {Found: true, Order: dbs(1001, "UNPAID")}}})
	if len(p.Deferred) != 1 {
		t.Fatalf("deferred %+v", p.Deferred)
	}
	d := p.Deferred[0]
	cancel := dbs(1001, "PENDING")
	cancel.CancelRequested = true
	fbs := dbs(1001, "PROCESSING")
	fbs.Model = provider.ModelFBS
	for _, tc := range []struct {
		name  string
		order provider.Order
		ready bool
		stale string
	}{
		{"still UNPAID", dbs(1001, "UNPAID"), false, ""},
		{"PENDING", dbs(1001, "PENDING"), false, ""},
		{"PROCESSING", dbs(1001, "PROCESSING"), true, ""},
		{"PICKUP", dbs(1001, "PICKUP"), true, ""},
		{"CANCELLED", dbs(1001, "CANCELLED"), false, "status is CANCELLED, the plan saw UNPAID"},
		{"a track set meanwhile", dbs(1001, "PROCESSING", provider.Track{Code: "OTHER", DeliveryServiceID: 51}), false, "track changed since the plan was made"},
		{"another model", fbs, false, "selling model is FBS"},
		{"cancel requested", cancel, false, "the buyer asked to cancel"},
	} {
		ready, stale := d.Recheck(nil, tc.order)
		if ready != tc.ready || (tc.stale == "") != (stale == "") || !strings.Contains(stale, tc.stale) {
			t.Errorf("%s: ready %v stale %q; want ready %v stale %q", tc.name, ready, stale, tc.ready, tc.stale)
		}
	}
}
