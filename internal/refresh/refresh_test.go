package refresh

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/provider/sandbox"
	"github.com/orderform/orderform/schema"
)

const key = "refresh-test-key"

func setup(t *testing.T, delay time.Duration) (*sandbox.Server, *provider.Client) {
	t.Helper()
	st, err := sandbox.LoadState(filepath.Join("..", "..", "testdata", "sandbox-small.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{key}, UpdateDelay: delay})
	hs := httptest.NewServer(contract.Handler(srv, contract.Both, contract.Errorf(t)))
	t.Cleanup(hs.Close)
	c, err := provider.New(provider.Config{Endpoint: hs.URL, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestReadOrdersWithAndWithoutBusiness(t *testing.T) {
	srv, c := setup(t, 0)
	refs := []provider.OrderRef{{OrderID: 1001, CampaignID: 21000000}, {OrderID: 2001, CampaignID: 22000000, Recipient: true}, {OrderID: 999999, CampaignID: 21000000}}
	for _, biz := range []int64{0, 9000000} {
		srv.ResetCalls()
		r := &Reader{API: c, BusinessID: biz}
		got, err := r.ReadOrders(context.Background(), refs)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got[999999]; ok {
			t.Errorf("business %d: an unknown order must be absent", biz)
		}
		if got[1001].Model != provider.ModelDBS || got[2001].Model != provider.ModelLaaS {
			t.Errorf("business %d: models %q, %q; want DBS, LAAS", biz, got[1001].Model, got[2001].Model)
		}
		if !got[2001].HasRecipient || got[2001].Delivery.Address.Phone == "" {
			t.Errorf("business %d: order 2001 declared a recipient, so it must be read with one: %+v", biz, got[2001])
		}
		count := map[sandbox.Endpoint]int{}
		for _, call := range srv.Calls() {
			count[call.Endpoint]++
		}
		// One batched business read, plus the campaign list only for the
		// order whose recipient is needed. Without a business ID each
		// campaign is asked once for its business (and model).
		want := map[sandbox.Endpoint]int{sandbox.EndpointBusinessOrders: 1, sandbox.EndpointListOrders: 1, sandbox.EndpointGetCampaign: 2}
		if biz != 0 {
			delete(want, sandbox.EndpointGetCampaign)
		}
		if diff := cmp.Diff(want, count); diff != "" {
			t.Errorf("business %d: calls (-want +got):\n%s", biz, diff)
		}
	}
}

func TestCurrentReportsAnOrderOfAnotherCampaign(t *testing.T) {
	_, c := setup(t, 0)
	r := &Reader{API: c, BusinessID: 9000000}
	cur, err := r.Current(context.Background(), []schema.Order{{Address: "order.2001", ID: 2001, CampaignID: 21000000}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cur[2001]; got.Found || got.ReadErr != "order 2001 belongs to campaign 22000000, not 21000000; set campaign_id = 22000000 in its block" {
		t.Errorf("got %+v", got)
	}
}

func TestReconcile(t *testing.T) {
	srv, c := setup(t, time.Hour) // operations stay IN_PROGRESS until Settle
	ctx := context.Background()
	iv := provider.Interval{FromDate: "2026-11-27", ToDate: "2026-11-27", FromTime: "14:00", ToTime: "18:00"}
	ops, err := c.UpdateOrder(ctx, 22000000, provider.OrderUpdate{OrderID: 2001, Interval: &iv})
	if err != nil {
		t.Fatal(err)
	}
	jops := []journal.Operation{{ID: ops[0].ID, Type: ops[0].Type}}
	intervalTargets := plan.Targets(nil, []plan.Field{{Path: plan.FieldIntervalFromTime, After: ptr("14:00")}, {Path: plan.FieldIntervalToTime, After: ptr("18:00")}})
	trackTargets := plan.Targets(nil, []plan.Field{{Path: plan.FieldTrackCode, After: ptr("RP-NEVER-SENT")}})
	now := time.Now().UTC()
	entries := []journal.Entry{
		{ID: "inflight", Call: journal.CallUpdate, OrderID: 2001, CampaignID: 22000000, Targets: intervalTargets, Operations: jops, SubmittedAt: now, State: journal.KindSubmitted},
		{ID: "lost-track", Call: journal.CallTrack, OrderID: 1001, CampaignID: 21000000, Targets: trackTargets, SubmittedAt: now, State: journal.KindIntent},
		{ID: "lost-track-old", Call: journal.CallTrack, OrderID: 1002, CampaignID: 21000000, Targets: trackTargets, SubmittedAt: now.Add(-journal.TrackGrace - time.Second), State: journal.KindUnknown},
		{ID: "lost-update-recent", Call: journal.CallUpdate, OrderID: 2005, CampaignID: 22000000, Targets: intervalTargets, SubmittedAt: now.Add(-time.Minute), State: journal.KindUnknown},
		{ID: "lost-update-old", Call: journal.CallUpdate, OrderID: 2008, CampaignID: 22000000, Targets: intervalTargets, SubmittedAt: now.Add(-journal.UpdateGrace - time.Minute), State: journal.KindUnknown},
	}
	read := func() map[int64]plan.Current {
		r := &Reader{API: c, BusinessID: 9000000}
		out, err := r.Current(ctx, []schema.Order{
			{ID: 2001, CampaignID: 22000000}, {ID: 1001, CampaignID: 21000000}, {ID: 1002, CampaignID: 21000000}, {ID: 2005, CampaignID: 22000000}, {ID: 2008, CampaignID: 22000000}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	verdictKinds := func(vs []Verdict) map[string]string {
		m := map[string]string{}
		for _, v := range vs {
			m[v.Entry.ID] = v.Kind
		}
		return m
	}
	r := &Reader{API: c, BusinessID: 9000000}
	subs, verdicts, err := r.Reconcile(ctx, entries, read(), now)
	if err != nil {
		t.Fatal(err)
	}
	// In flight (IN_PROGRESS) and recently lost writes stay pending; a
	// lost track or update past its grace no longer counts as in flight.
	if diff := cmp.Diff(map[string]string{"lost-track-old": journal.KindExpired, "lost-update-old": journal.KindExpired}, verdictKinds(verdicts)); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if len(subs[2001]) != 1 || subs[2001][0].Unknown || len(subs[2005]) != 1 || !subs[2005][0].Unknown || len(subs[1001]) != 1 {
		t.Errorf("pending submissions: %+v", subs)
	}

	srv.Settle() // the Market applies the interval
	subs, verdicts, err = r.Reconcile(ctx, entries[:1], read(), now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"inflight": journal.KindConfirmed}, verdictKinds(verdicts)); diff != "" || len(subs) != 0 {
		t.Errorf("after settling: verdicts (-want +got):\n%s; pending %+v", diff, subs)
	}

	// An operation still IN_PROGRESS is waited for however old its
	// submission, and asked in the campaign's business when the reader
	// has none.
	old := entries[0]
	old.SubmittedAt = now.Add(-24 * time.Hour)
	ops, err = c.UpdateOrder(ctx, 22000000, provider.OrderUpdate{OrderID: 2001, Interval: &provider.Interval{FromDate: "2026-11-28", ToDate: "2026-11-28", FromTime: "10:00", ToTime: "14:00"}})
	if err != nil {
		t.Fatal(err)
	}
	old.Operations = []journal.Operation{{ID: ops[0].ID, Type: ops[0].Type}}
	old.Targets = plan.Targets(nil, []plan.Field{{Path: plan.FieldIntervalFromDate, After: ptr("2026-11-28")}, {Path: plan.FieldIntervalFromTime, After: ptr("10:00")}})
	noBiz := &Reader{API: c}
	subs, verdicts, err = noBiz.Reconcile(ctx, []journal.Entry{old}, read(), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(verdicts) != 0 || len(subs[2001]) != 1 {
		t.Errorf("a day-old submission IN_PROGRESS: verdicts %+v, pending %+v; want it pending", verdicts, subs)
	}
	srv.Settle()

	// A FAILED operation is a failure, not something to wait for.
	srv.FailOperations(2002)
	iv2 := provider.Interval{FromDate: "2026-12-01", ToDate: "2026-12-01", FromTime: "10:00", ToTime: "14:00"}
	ops, err = c.UpdateOrder(ctx, 22000000, provider.OrderUpdate{OrderID: 2002, Interval: &iv2})
	if err != nil {
		t.Fatal(err)
	}
	srv.Settle()
	failed := journal.Entry{ID: "failed", Call: journal.CallUpdate, OrderID: 2002, CampaignID: 22000000, Targets: intervalTargets,
		Operations: []journal.Operation{{ID: ops[0].ID, Type: ops[0].Type}}, SubmittedAt: now, State: journal.KindSubmitted}
	_, verdicts, err = r.Reconcile(ctx, []journal.Entry{failed}, map[int64]plan.Current{failed.OrderID: {}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"failed": journal.KindFailed}, verdictKinds(verdicts)); diff != "" {
		t.Errorf("failed operation (-want +got):\n%s", diff)
	}
}

func ptr(s string) *string { return &s }

// callCounts counts the sandbox's recorded calls by endpoint.
func callCounts(srv *sandbox.Server) map[sandbox.Endpoint]int {
	count := map[sandbox.Endpoint]int{}
	for _, call := range srv.Calls() {
		count[call.Endpoint]++
	}
	return count
}

// Without a business ID and without recipients, the business is learnt from
// each campaign and no deprecated campaign read is made, for orders of
// several campaigns and businesses alike.
func TestReadOrdersLearnsEachCampaignsBusiness(t *testing.T) {
	srv, c := setup(t, 0)
	r := &Reader{API: c}
	refs := []provider.OrderRef{{OrderID: 1001, CampaignID: 21000000}, {OrderID: 1002, CampaignID: 21000000},
		{OrderID: 2001, CampaignID: 22000000}, {OrderID: 4001, CampaignID: 31000000}, {OrderID: 999999, CampaignID: 21000000}}
	got, err := r.ReadOrders(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1001, 1002, 2001, 4001} {
		if got[id].ID != id || got[id].Status == "" || got[id].Model == "" {
			t.Errorf("order %d: %+v, want it read with its status and model", id, got[id])
		}
	}
	if _, ok := got[999999]; ok {
		t.Error("an unknown order must be absent")
	}
	want := map[sandbox.Endpoint]int{sandbox.EndpointGetCampaign: 3, sandbox.EndpointBusinessOrders: 2}
	if diff := cmp.Diff(want, callCounts(srv)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	for _, call := range srv.Calls() {
		if call.Endpoint == sandbox.EndpointBusinessOrders && call.BusinessID != 9000000 && call.BusinessID != 9100000 {
			t.Errorf("business read of business %d", call.BusinessID)
		}
	}
	for campaign, business := range map[int64]int64{21000000: 9000000, 22000000: 9000000, 31000000: 9100000, 23000000: 0} {
		if got := r.Business(campaign); got != business {
			t.Errorf("Business(%d) = %d, want %d", campaign, got, business)
		}
	}
	if fb := r.Fallbacks(); len(fb) != 0 {
		t.Errorf("fallbacks %+v, want none", fb)
	}

	// A second read asks no campaign again.
	srv.ResetCalls()
	if _, err := r.ReadOrders(context.Background(), refs[:1]); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[sandbox.Endpoint]int{sandbox.EndpointBusinessOrders: 1}, callCounts(srv)); diff != "" {
		t.Errorf("second read: calls (-want +got):\n%s", diff)
	}
}

// A business whose order list refuses the key (403) is read through the
// campaign endpoints, once refused for the whole run, and reported; another
// business's orders still go through their business.
func TestReadOrdersFallsBackWhenTheBusinessListIsRefused(t *testing.T) {
	for _, configured := range []int64{0, 9000000} {
		srv, c := setup(t, 0)
		srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointBusinessOrders, OrderID: 1001, Status: 403, Count: 1})
		r := &Reader{API: c, BusinessID: configured}
		refs := []provider.OrderRef{{OrderID: 1001, CampaignID: 21000000}, {OrderID: 2001, CampaignID: 22000000}}
		if configured == 0 {
			refs = append(refs, provider.OrderRef{OrderID: 4001, CampaignID: 31000000})
		}
		got, err := r.ReadOrders(context.Background(), refs)
		if err != nil {
			t.Fatalf("business %d: %v", configured, err)
		}
		for _, ref := range refs {
			if o := got[ref.OrderID]; o.Status == "" || o.Model == "" || o.CampaignID != ref.CampaignID {
				t.Errorf("business %d: order %d: %+v, want it read", configured, ref.OrderID, o)
			}
		}
		fb := r.Fallbacks()
		if len(fb) != 1 || fb[0].BusinessID != 9000000 || !forbidden(fb[0].Err) {
			t.Fatalf("business %d: fallbacks %+v, want business 9000000 refused with a 403", configured, fb)
		}
		lists := map[int64]int{}
		for _, call := range srv.Calls() {
			if call.Endpoint == sandbox.EndpointListOrders {
				lists[call.CampaignID]++
			}
		}
		if diff := cmp.Diff(map[int64]int{21000000: 1, 22000000: 1}, lists); diff != "" {
			t.Errorf("business %d: campaign list reads (-want +got):\n%s", configured, diff)
		}

		// The refusal holds for the run: no second try of the business.
		srv.ResetCalls()
		if _, err := r.ReadOrders(context.Background(), refs[:1]); err != nil {
			t.Fatal(err)
		}
		count := callCounts(srv)
		if count[sandbox.EndpointBusinessOrders] != 0 || count[sandbox.EndpointListOrders] != 1 {
			t.Errorf("business %d: second read: calls %v, want the campaign list only", configured, count)
		}
		if len(r.Fallbacks()) != 1 {
			t.Errorf("business %d: the same refusal reported twice: %+v", configured, r.Fallbacks())
		}
	}
}

// Only a 403 falls back: another failure of the business list is the
// read's, and no deprecated endpoint is tried.
func TestReadOrdersDoesNotFallBackOnOtherFailures(t *testing.T) {
	srv, c := setup(t, 0)
	srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointBusinessOrders, Status: 404, Count: 1})
	r := &Reader{API: c}
	if _, err := r.ReadOrders(context.Background(), []provider.OrderRef{{OrderID: 1001, CampaignID: 21000000}}); err == nil {
		t.Fatal("a 404 of the business list read as success")
	}
	if n := callCounts(srv)[sandbox.EndpointListOrders]; n != 0 || len(r.Fallbacks()) != 0 {
		t.Errorf("%d campaign list reads, fallbacks %+v; want none", n, r.Fallbacks())
	}
}
