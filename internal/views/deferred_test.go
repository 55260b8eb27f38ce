package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/plan"
)

// deferredTrack is a track declared for an order still PENDING.
func deferredTrack() plan.Deferred {
	c := trackChange()
	c.Address, c.OrderID, c.Status, c.Unchanged, c.Calls = "order.1007", 1007, "PENDING", 0, nil
	c.Observed = plan.Observed{Status: "PENDING", Model: "DBS", Values: map[string]string{"track": ""}}
	return plan.Deferred{Change: c, Blocks: "track", WaitsFor: []string{"PROCESSING", "DELIVERY", "PICKUP"},
		Detail: "a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is PENDING",
		Range:  hcl.Range{Filename: "orders.hcl", Start: hcl.Pos{Line: 30, Column: 3, Byte: 400}, End: hcl.Pos{Line: 30, Column: 8, Byte: 405}}}
}

func deferredPlan() *plan.Plan {
	return &plan.Plan{Changes: []plan.Change{trackChange()}, Pending: pending()[:1], Deferred: []plan.Deferred{deferredTrack()}}
}

// A deferred change has its own section, after the changes and what is
// pending, with the status it waits for and the fields it will set; the
// summary counts it before "blocked". Without one the wording is as it was.
func TestPlanDeferred(t *testing.T) {
	var b bytes.Buffer
	Plan(&b, deferredPlan(), nil, Options{})
	out := b.String()
	golden(t, "plan_deferred", out)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if got, want := lines[len(lines)-1], "Plan: 1 to change, 1 pending, 1 deferred, 0 blocked."; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
	for _, want := range []string{
		"Deferred (the order's status does not allow it yet; the first apply that finds it does sends it):\n\n" +
			"  ~ order.1007 (campaign 21000000, DBS, PENDING): track waits for PROCESSING\n" +
			`      ~ track.code                = (none) -> "RP123456789RU"` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "Deferred (") < strings.Index(out, "Pending (") || strings.Contains(out, "Error:") {
		t.Errorf("the deferred section comes after the pending one and is no error:\n%s", out)
	}

	// Deferred alone is not "No changes": it is shown.
	b.Reset()
	Plan(&b, &plan.Plan{Deferred: []plan.Deferred{deferredTrack()}}, nil, Options{})
	if out := b.String(); strings.Contains(out, "No changes") || !strings.HasSuffix(out, "Plan: 0 to change, 0 pending, 1 deferred, 0 blocked.\n") {
		t.Errorf("a plan with only a deferred change:\n%s", out)
	}

	for _, tc := range []struct {
		s    plan.Summary
		want string
	}{
		{plan.Summary{Change: 2, Pending: 1, Blocked: 3}, "Plan: 2 to change, 1 pending, 3 blocked."},
		{plan.Summary{Change: 2, Pending: 1, Unknown: 1, Blocked: 3}, "Plan: 2 to change, 1 pending, 1 unknown, 3 blocked."},
		{plan.Summary{Change: 2, Pending: 1, Deferred: 1}, "Plan: 2 to change, 1 pending, 1 deferred, 0 blocked."},
		{plan.Summary{Unknown: 1, Deferred: 2}, "Plan: 0 to change, 0 pending, 1 unknown, 2 deferred, 0 blocked."},
	} {
		if got := summaryLine(tc.s); got != tc.want {
			t.Errorf("summaryLine(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// plan -json lists it in deferred[], with what it waits for and its fields,
// and counts it in the summary.
func TestPlanJSONDeferred(t *testing.T) {
	out, err := PlanJSON(deferredPlan(), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, out)
	want := []any{map[string]any{
		"address": "order.1007", "order_id": 1007.0, "campaign_id": 21000000.0, "status": "PENDING", "model": "DBS",
		"blocks": "track", "waits_for": []any{"PROCESSING", "DELIVERY", "PICKUP"},
		"detail": "a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is PENDING",
		"fields": []any{
			map[string]any{"path": "track.code", "before": nil, "after": "RP123456789RU"},
			map[string]any{"path": "track.delivery_service_id", "before": nil, "after": 51.0},
		},
		"range": map[string]any{"filename": "orders.hcl",
			"start": map[string]any{"line": 30.0, "column": 3.0, "byte": 400.0},
			"end":   map[string]any{"line": 30.0, "column": 8.0, "byte": 405.0}},
	}}
	if diff := cmp.Diff(want, doc["deferred"]); diff != "" {
		t.Errorf("deferred (-want +got):\n%s", diff)
	}
	if s := doc["summary"].(map[string]any); s["deferred"] != 1.0 || s["change"] != 1.0 || s["blocked"] != 0.0 {
		t.Errorf("summary %v", s)
	}
	if n := len(doc["changes"].([]any)); n != 1 {
		t.Errorf("%d changes, want the one change only", n)
	}
}

// The Markdown view has a Deferred section and the summary counts it.
func TestMarkdownDeferred(t *testing.T) {
	var b bytes.Buffer
	Markdown(&b, deferredPlan())
	out := b.String()
	golden(t, "markdown_deferred", out)
	for _, want := range []string{
		"**Plan:** 1 to change, 1 pending, 1 deferred, 0 blocked.\n",
		"\n### Deferred\n",
		"- <code>order.1007</code> (campaign 21000000, DBS, PENDING): track, waits for PROCESSING\n",
		"  - track.code: (none) → \"RP123456789RU\"\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}
