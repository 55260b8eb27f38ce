package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
)

// dataSources is what a reschedule configuration reads: intervals for one
// order (one of them two days long), none for another, and options for items.
func dataSources() []plan.DataSource {
	return []plan.DataSource{
		{Address: "data.delivery_intervals.o2001", Kind: "delivery_intervals", CampaignID: 22000000, OrderID: 2001,
			Available: []provider.Interval{
				{FromDate: "2026-11-27", ToDate: "2026-11-27", FromTime: "10:00", ToTime: "14:00"},
				{FromDate: "2026-11-28", ToDate: "2026-11-29", FromTime: "10:00", ToTime: "18:00"},
			}},
		{Address: "data.delivery_intervals.o2003", Kind: "delivery_intervals", CampaignID: 22000000, OrderID: 2003,
			Available: []provider.Interval{}},
		{Address: "data.delivery_options.msk", Kind: "delivery_options", CampaignID: 22000000,
			Options: []provider.DeliveryOption{
				{WarehouseID: 1, Type: "courier", Interval: provider.Interval{FromDate: "2026-12-01", ToDate: "2026-12-01", FromTime: "10:00", ToTime: "14:00"}, Price: 290, Currency: "RUR"},
				{WarehouseID: 1, Type: "pickup", LogisticPointID: 101, Interval: provider.Interval{FromDate: "2026-12-01", ToDate: "2026-12-02"}, Price: 0, Currency: "RUR"},
			}},
	}
}

func TestPlanDataSourcesGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		plan *plan.Plan
	}{
		{"plan_data_sources", &plan.Plan{Changes: []plan.Change{recipientChange()}, DataSources: dataSources()}},
		{"plan_data_sources_no_changes", &plan.Plan{Unchanged: 1, DataSources: dataSources()[:1]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			Plan(&b, tc.plan, nil, Options{})
			golden(t, tc.name, b.String())
		})
	}
	var b bytes.Buffer
	Markdown(&b, &plan.Plan{Changes: []plan.Change{recipientChange()}, DataSources: dataSources()})
	golden(t, "markdown_data_sources", b.String())
}

// What users index into is shown under the expression they write, with
// its value: asserted directly, not only through a golden.
func TestPlanDataSourcesContract(t *testing.T) {
	var b bytes.Buffer
	Plan(&b, &plan.Plan{Changes: []plan.Change{trackChange()}, DataSources: dataSources()}, nil, Options{})
	out := b.String()
	for _, want := range []string{
		"Data sources read:\n",
		"  data.delivery_intervals.o2001.available[0] = 2026-11-27 10:00-14:00\n",
		"  data.delivery_intervals.o2001.available[1] = 2026-11-28 10:00 - 2026-11-29 18:00\n",
		"  data.delivery_intervals.o2003.available    = [] (the Market offers order 2003 no interval to move to)\n",
		"  data.delivery_options.msk.options[0]       = courier 2026-12-01 10:00-14:00, warehouse 1, 290 RUR\n",
		"  data.delivery_options.msk.options[1]       = pickup at point 101 2026-12-01 - 2026-12-02, warehouse 1, 0 RUR\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "Data sources read:"), strings.Index(out, "orderform will perform"); i < 0 || j < i {
		t.Errorf("the data sources do not come first:\n%s", out)
	}
	b.Reset()
	Plan(&b, &plan.Plan{Changes: []plan.Change{trackChange()}}, nil, Options{})
	if strings.Contains(b.String(), "Data sources") {
		t.Errorf("a plan without data sources has the section:\n%s", b.String())
	}
}

func TestPlanJSONDataSources(t *testing.T) {
	out, err := PlanJSON(&plan.Plan{DataSources: dataSources()}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"address": "data.delivery_intervals.o2001", "kind": "delivery_intervals", "campaign_id": 22000000.0, "order_id": 2001.0,
			"available": []any{
				map[string]any{"index": 0.0, "from_date": "2026-11-27", "to_date": "2026-11-27", "from_time": "10:00", "to_time": "14:00"},
				map[string]any{"index": 1.0, "from_date": "2026-11-28", "to_date": "2026-11-29", "from_time": "10:00", "to_time": "18:00"},
			}},
		map[string]any{"address": "data.delivery_intervals.o2003", "kind": "delivery_intervals", "campaign_id": 22000000.0, "order_id": 2003.0,
			"available": []any{}},
		map[string]any{"address": "data.delivery_options.msk", "kind": "delivery_options", "campaign_id": 22000000.0,
			"options": []any{
				map[string]any{"index": 0.0, "type": "courier", "warehouse_id": 1.0, "logistic_point_id": nil, "price": 290.0, "currency": "RUR",
					"from_date": "2026-12-01", "to_date": "2026-12-01", "from_time": "10:00", "to_time": "14:00"},
				map[string]any{"index": 1.0, "type": "pickup", "warehouse_id": 1.0, "logistic_point_id": 101.0, "price": 0.0, "currency": "RUR",
					"from_date": "2026-12-01", "to_date": "2026-12-02", "from_time": nil, "to_time": nil},
			}},
	}
	if diff := cmp.Diff(want, decode(t, out)["data_sources"]); diff != "" {
		t.Errorf("data_sources (-want +got):\n%s", diff)
	}
}
