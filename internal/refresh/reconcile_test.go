package refresh

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
)

// opsAPI answers the operations endpoint from a table and records which
// business each call was about; GetCampaign says every campaign is in
// business 9100000. Other reads are not expected.
type opsAPI struct {
	API
	status    map[string]string
	fail      error
	asked     []int64
	campaigns int
}

func (a *opsAPI) Operations(_ context.Context, businessID int64, _ string, ids []string) ([]provider.Operation, error) {
	a.asked = append(a.asked, businessID)
	if a.fail != nil {
		return nil, a.fail
	}
	var out []provider.Operation
	for _, id := range ids {
		if s, ok := a.status[id]; ok {
			out = append(out, provider.Operation{ID: id, Status: s})
		}
	}
	return out, nil
}

func (a *opsAPI) GetCampaign(_ context.Context, id int64) (provider.Campaign, error) {
	a.campaigns++
	return provider.Campaign{ID: id, BusinessID: 9100000, Model: provider.ModelLaaS}, nil
}

func update(id string, business int64, age time.Duration, ops ...string) journal.Entry {
	e := journal.Entry{ID: id, Call: journal.CallUpdate, OrderID: 2001, CampaignID: 22000000, BusinessID: business,
		Targets:     plan.Targets(nil, []plan.Field{{Path: plan.FieldPhone, After: ptr("+79990009999")}}),
		SubmittedAt: time.Now().Add(-age), State: journal.KindSubmitted}
	for _, o := range ops {
		e.Operations = append(e.Operations, journal.Operation{ID: o, Type: "ORDER_RECIPIENT_UPDATE"})
	}
	return e
}

func TestReconcileOperationVerdicts(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	kinds := func(vs []Verdict) map[string]string {
		m := map[string]string{}
		for _, v := range vs {
			m[v.Entry.ID] = v.Kind
		}
		return m
	}
	api := &opsAPI{status: map[string]string{
		"f1": provider.OperationFailed, "r1": provider.OperationInProgress, // failed, sibling running
		"f2": provider.OperationFailed, "d2": provider.OperationDone, // failed, sibling over
	}}
	// The order was read, and does not show the change yet.
	read2001 := map[int64]plan.Current{2001: {}}
	r := &Reader{API: api, BusinessID: 9000000}
	subs, verdicts, err := r.Reconcile(context.Background(), []journal.Entry{
		update("running", 0, day, "f1", "r1"),
		update("over", 0, day, "f2", "d2"),
	}, read2001, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(verdicts); len(got) != 1 || got["over"] != journal.KindFailed {
		t.Errorf("verdicts %v; want only 'over' failed: a FAILED operation waits for its running sibling", got)
	}
	if len(subs[2001]) != 1 {
		t.Errorf("pending %+v, want 'running'", subs)
	}

	// The business the submission was journaled with wins over the
	// reader's; without either, the campaign's.
	api = &opsAPI{status: map[string]string{"x": provider.OperationInProgress, "y": provider.OperationInProgress}}
	r = &Reader{API: api, BusinessID: 9000000}
	if _, _, err := r.Reconcile(context.Background(), []journal.Entry{update("j", 9200000, day, "x")}, read2001, now); err != nil {
		t.Fatal(err)
	}
	r = &Reader{API: api}
	if _, _, err := r.Reconcile(context.Background(), []journal.Entry{update("c", 0, day, "y")}, read2001, now); err != nil {
		t.Fatal(err)
	}
	if len(api.asked) != 2 || api.asked[0] != 9200000 || api.asked[1] != 9100000 {
		t.Errorf("operations asked in businesses %v, want [9200000 9100000]", api.asked)
	}

	// The endpoint failing is no verdict: the submission stays in flight,
	// however old, and the plan goes on. It is unknown, not pending: only
	// an operation the endpoint reports IN_PROGRESS is pending.
	api = &opsAPI{fail: errors.New("HTTP 403")}
	r = &Reader{API: api, BusinessID: 9000000}
	subs, verdicts, err = r.Reconcile(context.Background(), []journal.Entry{update("unknown", 0, day, "z")}, read2001, now)
	if err != nil || len(verdicts) != 0 || len(subs[2001]) != 1 {
		t.Fatalf("operations endpoint failing: err %v, verdicts %v, pending %+v; want it in flight, no error", err, kinds(verdicts), subs)
	}
	if s := subs[2001][0]; !s.Unknown || !strings.Contains(s.Why, "operations endpoint could not be asked") || !strings.Contains(s.Why, "HTTP 403") {
		t.Errorf("submission %+v, want it unknown, saying the operations endpoint could not be asked and why", s)
	}
}

// An entry of an order that was not read (another configuration sharing the
// backend, an order left out by -target) is left alone: no verdict, nothing
// pending, no operations asked.
func TestReconcileLeavesOtherOrdersAlone(t *testing.T) {
	api := &opsAPI{status: map[string]string{"x": provider.OperationDone}}
	r := &Reader{API: api, BusinessID: 9000000}
	old := update("other", 0, 48*time.Hour, "x")
	subs, verdicts, err := r.Reconcile(context.Background(), []journal.Entry{old}, map[int64]plan.Current{1001: {}}, time.Now())
	if err != nil || len(verdicts) != 0 || len(subs) != 0 || len(api.asked) != 0 {
		t.Errorf("err %v, verdicts %+v, subs %+v, asked %v; want the entry left alone", err, verdicts, subs, api.asked)
	}
}
