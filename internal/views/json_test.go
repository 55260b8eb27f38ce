package views

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/orderform/orderform/plan"
)

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return m
}

func TestPlanJSON(t *testing.T) {
	p := fullPlan()
	p.Changes = append(p.Changes, secretChange())
	diags := hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Deprecated attribute", Detail: "Use track.code.",
		Subject: &hcl.Range{Filename: "orders.hcl", Start: hcl.Pos{Line: 2, Column: 3, Byte: 20}, End: hcl.Pos{Line: 2, Column: 8, Byte: 25}}}}
	out, err := PlanJSON(p, diags, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(string(out), '\n') {
		t.Errorf("plan -json is not one line: %s", out)
	}
	got := decode(t, out)
	noInterval := []any{}
	want := map[string]any{
		"format_version": plan.FormatVersion,
		"created_at":     "2026-11-23T09:58:00Z",
		"changes": []any{
			map[string]any{
				"address": "order.1001", "order_id": 1001.0, "campaign_id": 21000000.0, "action": "update",
				"status": "PROCESSING", "model": "DBS",
				"fields": []any{
					map[string]any{"path": "track.code", "before": nil, "after": "RP123456789RU"},
					map[string]any{"path": "track.delivery_service_id", "before": nil, "after": 51.0},
				},
				"calls": map[string]any{
					"track":  map[string]any{"track_code": "RP123456789RU", "delivery_service_id": 51.0},
					"update": nil,
				},
			},
			map[string]any{
				"address": "order.2001", "order_id": 2001.0, "campaign_id": 22000000.0, "action": "update",
				"status": "PROCESSING", "model": "LAAS",
				"fields": []any{
					map[string]any{"path": "delivery_interval.from_date", "before": "2026-11-25", "after": "2026-11-26"},
					map[string]any{"path": "recipient.last_name", "before": "П***", "after": "И***", "sensitive": true},
					map[string]any{"path": "recipient.phone", "before": "+*********22", "after": "+*********33", "sensitive": true},
				},
				"calls": map[string]any{
					"track": nil,
					"update": map[string]any{
						"order_id": 2001.0,
						"delivery_interval": map[string]any{
							"from_date": "2026-11-26", "to_date": "2026-11-26", "from_time": "10:00", "to_time": "14:00"},
						"customer": map[string]any{
							"first_name": "П***", "last_name": "И***", "middle_name": "", "phone": "+*********33"},
					},
				},
			},
			map[string]any{
				"address": `order.carrier["1007"]`, "order_id": 1007.0, "campaign_id": 21000000.0, "action": "update",
				"status": "DELIVERY", "model": "DBS",
				"fields": []any{
					map[string]any{"path": "track.code", "before": "(sensitive value)", "after": "(sensitive value)", "sensitive": true},
				},
				"calls": map[string]any{
					"track":  map[string]any{"track_code": "(sensitive value)", "delivery_service_id": 51.0},
					"update": nil,
				},
			},
		},
		"pending": []any{
			map[string]any{"address": "order.2003", "order_id": 2003.0, "campaign_id": 22000000.0,
				"fields": []any{"recipient.phone"}, "operations": []any{},
				"submitted_at": "2026-11-23T10:01:30Z", "outcome_unknown": true},
			map[string]any{"address": "order.2004", "order_id": 2004.0, "campaign_id": 22000000.0,
				"fields": []any{"delivery_interval.from_date", "delivery_interval.to_date"}, "operations": []any{"8f3c2a91"},
				"submitted_at": "2026-11-23T10:01:30Z", "outcome_unknown": false},
		},
		"blocked": []any{
			map[string]any{"address": "order.1003", "order_id": 1003.0, "campaign_id": 21000000.0,
				"status": "DELIVERED", "model": "DBS", "field": "track", "reason": "status_not_allowed",
				"detail":    "a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is DELIVERED",
				"available": noInterval,
				"range": map[string]any{"filename": "orders.hcl",
					"start": map[string]any{"line": 12.0, "column": 3.0, "byte": 190.0},
					"end":   map[string]any{"line": 12.0, "column": 8.0, "byte": 195.0}}},
			map[string]any{"address": "order.1004", "order_id": 1004.0, "campaign_id": 21000000.0,
				"status": "", "model": "", "field": "", "reason": "order_not_found",
				"detail":    "order 1004 was not found in campaign 21000000",
				"available": noInterval},
			map[string]any{"address": "order.2005", "order_id": 2005.0, "campaign_id": 22000000.0,
				"status": "PROCESSING", "model": "LAAS", "field": "delivery_interval", "reason": "interval_not_available",
				"detail": "the interval 2026-12-01 10:00-14:00 is not available",
				"available": []any{
					map[string]any{"from_date": "2026-11-26", "to_date": "2026-11-26", "from_time": "10:00", "to_time": "14:00"},
					map[string]any{"from_date": "2026-11-26", "to_date": "2026-11-26", "from_time": "14:00", "to_time": "18:00"},
				},
				"range": map[string]any{"filename": "laas.hcl",
					"start": map[string]any{"line": 7.0, "column": 3.0, "byte": 82.0},
					"end":   map[string]any{"line": 7.0, "column": 20.0, "byte": 99.0}}},
		},
		"data_sources": []any{}, "deferred": []any{},
		"diagnostics": []any{
			map[string]any{"severity": "warning", "summary": "Deprecated attribute", "detail": "Use track.code.",
				"range": map[string]any{"filename": "orders.hcl",
					"start": map[string]any{"line": 2.0, "column": 3.0, "byte": 20.0},
					"end":   map[string]any{"line": 2.0, "column": 8.0, "byte": 25.0}}},
		},
		"summary": map[string]any{"change": 3.0, "pending": 1.0, "unknown": 1.0, "blocked": 3.0, "unchanged": 3.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan -json (-want +got):\n%s", diff)
	}
}

// -show-sensitive lets the values through in JSON too; they stay marked.
func TestPlanJSONShowSensitive(t *testing.T) {
	out, err := PlanJSON(&plan.Plan{Changes: []plan.Change{recipientChange(), secretChange()}}, nil, Options{ShowSensitive: true})
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, out)
	changes := got["changes"].([]any)
	fields := func(i int) []any { return changes[i].(map[string]any)["fields"].([]any) }
	if diff := cmp.Diff(map[string]any{"path": "recipient.phone", "before": phoneBefore, "after": phoneAfter, "sensitive": true}, fields(0)[2]); diff != "" {
		t.Errorf("phone (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"path": "track.code", "before": oldTrack, "after": secretTrack, "sensitive": true}, fields(1)[0]); diff != "" {
		t.Errorf("track from a sensitive variable (-want +got):\n%s", diff)
	}
	customer := changes[0].(map[string]any)["calls"].(map[string]any)["update"].(map[string]any)["customer"]
	if diff := cmp.Diff(map[string]any{"first_name": firstName, "last_name": lastAfter, "middle_name": "", "phone": phoneAfter}, customer); diff != "" {
		t.Errorf("customer (-want +got):\n%s", diff)
	}
}

// An empty plan is still a complete document: every array present and
// empty, never null, so scripts can iterate without checking.
func TestPlanJSONEmpty(t *testing.T) {
	for _, p := range []*plan.Plan{nil, {}} {
		out, err := PlanJSON(p, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"format_version": plan.FormatVersion, "created_at": nil,
			"changes": []any{}, "pending": []any{}, "deferred": []any{}, "blocked": []any{}, "data_sources": []any{}, "diagnostics": []any{},
			"summary": map[string]any{"change": 0.0, "pending": 0.0, "blocked": 0.0, "unchanged": 0.0},
		}
		if diff := cmp.Diff(want, decode(t, out)); diff != "" {
			t.Errorf("empty plan -json (-want +got):\n%s", diff)
		}
	}
}
