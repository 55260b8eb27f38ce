package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/plan"
)

func reportFixture() apply.Report {
	return apply.Report{
		Results: []apply.Result{
			{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Outcome: apply.Confirmed, Fields: []string{plan.FieldTrackCode}},
			{Address: "order.2001", OrderID: 2001, CampaignID: 22000000, Outcome: apply.Applied,
				Fields: []string{plan.FieldIntervalFromDate}, Operations: []string{"8f3c2a91"}},
			{Address: "order.1002", OrderID: 1002, CampaignID: 21000000, Outcome: apply.Applied, Fields: []string{plan.FieldTrackCode},
				Detail: "no answer from the API; the order will be re-read, the change is not sent again"},
			{Address: "order.2004", OrderID: 2004, CampaignID: 22000000, Outcome: apply.Pending,
				Fields: []string{plan.FieldPhone}, Detail: "an earlier submission of this change is still being applied"},
			{Address: "order.1009", OrderID: 1009, CampaignID: 21000000, Outcome: apply.Failed, Fields: []string{plan.FieldTrackCode},
				Code: "STATUS_NOT_ALLOWED", Detail: "POST v2/campaigns/21000000/orders/1009/delivery/track: HTTP 400 for order 1009: STATUS_NOT_ALLOWED order is DELIVERED"},
			{Address: "order.2009", OrderID: 2009, CampaignID: 22000000, Outcome: apply.Failed, Fields: []string{plan.FieldIntervalFromDate},
				Code: "OPERATION_FAILED", Detail: "the Market reported the operation FAILED; the order is unchanged"},
			{Address: "order.1010", OrderID: 1010, CampaignID: 21000000, Outcome: apply.Stale, Fields: []string{plan.FieldTrackCode},
				Detail: "status is DELIVERED, the plan saw PROCESSING; plan again"},
			{Address: "order.1011", OrderID: 1011, CampaignID: 21000000, Outcome: apply.Unchanged, Fields: []string{plan.FieldTrackCode},
				Detail: "the order already shows this change"},
		},
		Blocked: blocked()[1:2],
	}
}

func TestApplyReportGolden(t *testing.T) {
	ok := apply.Report{Results: []apply.Result{
		{Address: "order.1001", Outcome: apply.Confirmed},
		{Address: "order.1002", Outcome: apply.Unchanged, Detail: "the order already shows this change"},
	}}
	interrupted := apply.Report{Interrupted: true, Results: []apply.Result{
		{Address: "order.1001", Outcome: apply.Confirmed},
		{Address: "order.1002", Outcome: apply.Skipped, Detail: "not started: the run was interrupted"},
	}}
	for _, tc := range []struct {
		name string
		r    apply.Report
	}{
		{"apply_mixed", reportFixture()},
		{"apply_ok", ok},
		{"apply_interrupted", interrupted},
		{"apply_nothing", apply.Report{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			ApplyReport(&b, tc.r, Options{})
			golden(t, tc.name, b.String())
		})
	}
}

func TestApplyReportHeadline(t *testing.T) {
	for _, tc := range []struct {
		r    apply.Report
		want string
	}{
		{apply.Report{Results: []apply.Result{{Address: "order.1", Outcome: apply.Confirmed}, {Address: "order.2", Outcome: apply.Applied}}},
			"Apply complete: 1 confirmed, 1 applied, 0 pending, 0 failed, 0 blocked, 0 stale, 0 unchanged."},
		{reportFixture(), "Apply failed: 1 confirmed, 2 applied, 1 pending, 2 failed, 1 blocked, 1 stale, 1 unchanged."},
		{apply.Report{Blocked: blocked()}, "Apply failed: 0 confirmed, 0 applied, 0 pending, 0 failed, 3 blocked, 0 stale, 0 unchanged."},
		{apply.Report{Interrupted: true, Results: []apply.Result{{Address: "order.1", Outcome: apply.Skipped}}},
			"Apply interrupted: 0 confirmed, 0 applied, 0 pending, 0 failed, 0 blocked, 0 stale, 0 unchanged, 1 skipped."},
	} {
		var b bytes.Buffer
		ApplyReport(&b, tc.r, Options{})
		if first, _, _ := strings.Cut(b.String(), "\n"); first != tc.want {
			t.Errorf("headline = %q, want %q", first, tc.want)
		}
	}
	var b bytes.Buffer
	ApplyReport(&b, reportFixture(), Options{Color: true})
	if !strings.HasPrefix(b.String(), "\x1b[31;1mApply failed:\x1b[0;22m") {
		t.Errorf("failed headline is not red and bold: %q", b.String())
	}
}

func TestEventJSON(t *testing.T) {
	for _, tc := range []struct {
		e    apply.Event
		want string
	}{
		{apply.Event{Type: "change_started", Address: "order.1001", OrderID: 1001},
			`{"type":"change_started","address":"order.1001","order_id":1001}`},
		{apply.Event{Type: "change_applied", Address: `order.x["1"]`, OrderID: 1, Call: "update", Operations: []string{"op-1"}},
			`{"type":"change_applied","address":"order.x[\"1\"]","order_id":1,"call":"update","operations":["op-1"]}`},
		{apply.Event{Type: "change_failed", Address: "order.2", OrderID: 2, Call: "track", Code: "BAD", Detail: "x <y>"},
			`{"type":"change_failed","address":"order.2","order_id":2,"call":"track","error_code":"BAD","detail":"x <y>"}`},
		{apply.Event{Type: "waiting", Pending: 3}, `{"type":"waiting","pending":3}`},
	} {
		got, err := EventJSON(tc.e)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("EventJSON(%+v) =\n%s\nwant\n%s", tc.e, got, tc.want)
		}
	}
}

func TestSummaryJSON(t *testing.T) {
	r := apply.Report{
		Results: []apply.Result{
			{Address: "order.2", OrderID: 2, CampaignID: 9, Outcome: apply.Failed, Fields: []string{"track.code"}, Code: "X", Detail: "refused"},
			{Address: "order.1", OrderID: 1, CampaignID: 9, Outcome: apply.Confirmed},
		},
		Blocked: blocked()[2:],
	}
	out, err := SummaryJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"type": "summary", "ok": false, "interrupted": false,
		"summary": map[string]any{"confirmed": 1.0, "applied": 0.0, "pending": 0.0, "failed": 1.0, "blocked": 1.0,
			"stale": 0.0, "unchanged": 0.0, "skipped": 0.0, "unknown": 0.0},
		"results": []any{
			map[string]any{"address": "order.1", "order_id": 1.0, "campaign_id": 9.0, "outcome": "confirmed",
				"fields": []any{}, "operations": []any{}},
			map[string]any{"address": "order.2", "order_id": 2.0, "campaign_id": 9.0, "outcome": "failed",
				"fields": []any{"track.code"}, "operations": []any{}, "error_code": "X", "detail": "refused"},
		},
		"blocked": []any{
			map[string]any{"address": "order.1004", "order_id": 1004.0, "campaign_id": 21000000.0,
				"status": "", "model": "", "field": "", "reason": "order_not_found",
				"detail": "order 1004 was not found in campaign 21000000", "available": []any{}},
		},
	}
	if diff := cmp.Diff(want, decode(t, out)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	out, err = SummaryJSON(apply.Report{})
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, out); got["ok"] != true || len(got["results"].([]any)) != 0 || len(got["blocked"].([]any)) != 0 {
		t.Errorf("empty run: %s", out)
	}
}
