package refresh

import (
	"context"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
)

// A delivery date without an answer is judged like a track: the Market
// sets it synchronously, so an order that does not show it TrackGrace later
// proves it was not applied (expired), well before an update's grace; until
// then it stays in flight, unknown. One the order shows is confirmed.
func TestReconcileDeliveryDate(t *testing.T) {
	now := time.Now()
	targets := plan.Targets(nil, []plan.Field{
		{Path: plan.FieldDeliveryDate, After: ptr("2031-03-14")},
		{Path: plan.FieldDeliveryReason, After: ptr(provider.DeliveryDateUserMoved)},
	})
	entry := func(id string, order int64, age time.Duration) journal.Entry {
		return journal.Entry{ID: id, Call: string(plan.CallDeliveryDate), OrderID: order, CampaignID: 21000000,
			Targets: targets, SubmittedAt: now.Add(-age), State: journal.KindUnknown}
	}
	order := func(id int64, to string) plan.Current {
		return plan.Current{Found: true, Order: provider.Order{ID: id, CampaignID: 21000000, Model: provider.ModelDBS,
			Status: provider.StatusProcessing, Delivery: provider.Delivery{Dates: provider.Dates{ToDate: to}}}}
	}
	r := &Reader{API: &opsAPI{}}
	subs, verdicts, err := r.Reconcile(context.Background(), []journal.Entry{
		entry("recent", 1001, 30*time.Second),
		entry("past-grace", 1002, journal.TrackGrace+time.Second),
		entry("shown", 1004, journal.TrackGrace+time.Second),
	}, map[int64]plan.Current{1001: order(1001, "26-11-2026"), 1002: order(1002, "25-11-2026"), 1004: order(1004, "14-03-2031")}, now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range verdicts {
		got[v.Entry.ID] = v.Kind
	}
	if len(got) != 2 || got["past-grace"] != journal.KindExpired || got["shown"] != journal.KindConfirmed {
		t.Errorf("verdicts %v; want past-grace expired and shown confirmed", got)
	}
	if s := subs[1001]; len(s) != 1 || !s[0].Unknown {
		t.Errorf("in flight %+v; want the recent one, unknown", subs)
	}
}
