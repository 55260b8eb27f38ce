package apply

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

var pendingTrack = schema.Order{Address: "order.1007", ID: 1007, CampaignID: 21000000,
	Track: &schema.Track{Code: "RP7", DeliveryServiceID: 51}}

// A plan made while the order was PENDING: apply sends its deferred track
// only once a re-read finds the order in a status that allows it, exactly
// once, journaled like any write; before that it sends nothing and the run
// is OK; a status that will never allow it, or a track set meanwhile,
// makes it stale.
func TestDeferredSentOnceAllowed(t *testing.T) {
	pending := dbsOrder(1007)
	pending.Status = "PENDING"
	f := &fake{orders: map[int64]provider.Order{1007: pending}}
	p := plan.Build(plan.Input{Desired: []schema.Order{pendingTrack}, Now: time.Now(),
		Current: map[int64]plan.Current{1007: {Found: true, Order: pending}}})
	if len(p.Deferred) != 1 || len(p.Changes) != 0 {
		t.Fatalf("plan: %+v", p)
	}
	var events []EventType
	run := func() Report {
		t.Helper()
		j, _ := openJournal(t)
		events = nil
		rep, err := Run(context.Background(), p, f, f, Options{Journal: j, Wait: time.Minute, PollInterval: time.Millisecond,
			OnEvent: func(e Event) { events = append(events, e.Type) }})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	// Still PENDING, or in another status before PROCESSING: nothing sent,
	// and the run is OK.
	for _, status := range []string{"PENDING", "UNPAID"} {
		o := f.orders[1007]
		o.Status = status
		f.orders[1007] = o
		rep := run()
		if f.writes != 0 || !rep.OK() || len(rep.Results) != 1 || rep.Results[0].Outcome != Deferred ||
			rep.Results[0].Detail != "the order is "+status+"; track waits for PROCESSING" {
			t.Fatalf("in %s: %d writes, ok %v, results %+v", status, f.writes, rep.OK(), rep.Results)
		}
		if len(events) != 1 || events[0] != ChangeDeferred {
			t.Errorf("in %s: events %v, want one change_deferred", status, events)
		}
	}

	// PROCESSING: sent once and confirmed.
	o := f.orders[1007]
	o.Status = "PROCESSING"
	f.orders[1007] = o
	j, dir := openJournal(t)
	rep, err := Run(context.Background(), p, f, f, Options{Journal: j, Wait: time.Minute, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if f.writes != 1 || !rep.OK() || rep.Results[0].Outcome != Confirmed {
		t.Fatalf("in PROCESSING: %d writes, results %+v", f.writes, rep.Results)
	}
	if e := entries(t, dir); len(e) != 1 || e[0].Call != "track" || e[0].State != journal.KindConfirmed {
		t.Errorf("journal %+v, want one confirmed track", e)
	}
	// Again: the order shows it, nothing sent.
	if rep := run(); f.writes != 1 || rep.Results[0].Outcome != Unchanged {
		t.Errorf("again: %d writes, results %+v", f.writes, rep.Results)
	}

	// Cancelled instead: stale, nothing sent, not OK.
	f = &fake{orders: map[int64]provider.Order{1007: pending}}
	o = pending
	o.Status = "CANCELLED"
	f.orders[1007] = o
	if rep := run(); f.writes != 0 || rep.OK() || rep.Results[0].Outcome != Stale ||
		!strings.Contains(rep.Results[0].Detail, "status is CANCELLED, the plan saw PENDING") {
		t.Errorf("cancelled: %d writes, results %+v", f.writes, rep.Results)
	}
	// Another track set in the cabinet meanwhile: stale.
	o = pending
	o.Status, o.Delivery.Tracks = "PROCESSING", []provider.Track{{Code: "CAB", DeliveryServiceID: 51}}
	f.orders[1007] = o
	if rep := run(); f.writes != 0 || rep.Results[0].Outcome != Stale || !strings.Contains(rep.Results[0].Detail, "track changed since the plan was made") {
		t.Errorf("track set meanwhile: %d writes, results %+v", f.writes, rep.Results)
	}
}
