package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

func dateOrder(id int64, to, reason string) schema.Order {
	return schema.Order{Address: "order." + itoa(id), ID: id, CampaignID: 21000000,
		DeliveryDate: &schema.DeliveryDate{ToDate: to, Reason: reason},
		Ranges: map[string]hcl.Range{
			"delivery_date":         {Filename: "main.hcl", Start: hcl.Pos{Line: 3}},
			"delivery_date.to_date": {Filename: "main.hcl", Start: hcl.Pos{Line: 4}},
		}}
}

// A delivery date is compared with delivery.dates.toDate as a date (the
// campaign endpoints answer DD-MM-YYYY), moves only a DBS order in
// PROCESSING or DELIVERY, and only to today or later in Moscow; the reason
// goes with the date and is never compared on its own.
func TestDeliveryDate(t *testing.T) {
	// 22:30 UTC on the 23rd is already the 24th in Moscow.
	late := time.Date(2026, 11, 23, 22, 30, 0, 0, time.UTC)
	laasOrder := laas(2001, "PROCESSING")
	laasOrder.CampaignID = 21000000
	fbs := dbs(3001, "PROCESSING")
	fbs.Model, fbs.Delivery.PartnerType = provider.ModelFBS, "YANDEX_MARKET"
	cases := []struct {
		name    string
		now     time.Time
		desired schema.Order
		order   provider.Order
		want    result
	}{
		{
			name: "the same day in the other format is no change, whatever the reason",
			now:  now, desired: dateOrder(1001, "2026-11-25", provider.DeliveryDatePartnerMoved), order: dbs(1001, "PROCESSING"),
			want: result{Unchanged: 1},
		},
		{
			name: "a later day moves it, with the reason",
			now:  now, desired: dateOrder(1001, "2026-12-05", provider.DeliveryDateUserMoved), order: dbs(1001, "DELIVERY"),
			want: result{Changes: []Change{{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Action: Update, Status: "DELIVERY", Model: "DBS",
				Fields: []Field{
					{Path: FieldDeliveryDate, Before: sp("2026-11-25"), After: sp("2026-12-05")},
					{Path: FieldDeliveryReason, After: sp(provider.DeliveryDateUserMoved)},
				},
				Calls:    []Call{{Kind: CallDeliveryDate, DeliveryDate: &provider.DeliveryDate{ToDate: "2026-12-05", Reason: provider.DeliveryDateUserMoved}}},
				Observed: Observed{Status: "DELIVERY", Model: "DBS", Values: map[string]string{"delivery_date": "2026-11-25"}}}}},
		},
		{
			name: "today in Moscow is not the past",
			now:  late, desired: dateOrder(1001, "2026-11-24", provider.DeliveryDateUserMoved), order: dbs(1001, "PROCESSING"),
			want: result{Changes: []Change{{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Action: Update, Status: "PROCESSING", Model: "DBS",
				Fields: []Field{
					{Path: FieldDeliveryDate, Before: sp("2026-11-25"), After: sp("2026-11-24")},
					{Path: FieldDeliveryReason, After: sp(provider.DeliveryDateUserMoved)},
				},
				Calls:    []Call{{Kind: CallDeliveryDate, DeliveryDate: &provider.DeliveryDate{ToDate: "2026-11-24", Reason: provider.DeliveryDateUserMoved}}},
				Observed: Observed{Status: "PROCESSING", Model: "DBS", Values: map[string]string{"delivery_date": "2026-11-25"}}}}},
		},
		{
			name: "yesterday in Moscow is blocked at its to_date",
			now:  late, desired: dateOrder(1001, "2026-11-23", provider.DeliveryDateUserMoved), order: dbs(1001, "PROCESSING"),
			want: result{Blocked: []Blocked{{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Status: "PROCESSING", Model: "DBS",
				Field: FieldDeliveryDate, Reason: ReasonDateInPast, Range: hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 4}},
				Detail: "the delivery date 2026-11-23 is in the past (today is 2026-11-24 in Moscow): a delivery moves to today or a later day"}}},
		},
		{
			name: "a status other than PROCESSING or DELIVERY is blocked",
			now:  now, desired: dateOrder(1005, "2026-12-05", provider.DeliveryDateUserMoved), order: dbs(1005, "PICKUP"),
			want: result{Blocked: []Blocked{{Address: "order.1005", OrderID: 1005, CampaignID: 21000000, Status: "PICKUP", Model: "DBS",
				Field: "delivery_date", Reason: ReasonStatus, Range: hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 3}},
				Detail: "a delivery date can be moved only in status PROCESSING or DELIVERY; the order is PICKUP"}}},
		},
		{
			name: "a LaaS order is blocked",
			now:  now, desired: dateOrder(2001, "2026-12-05", provider.DeliveryDateUserMoved), order: laasOrder,
			want: result{Blocked: []Blocked{{Address: "order.2001", OrderID: 2001, CampaignID: 21000000, Status: "PROCESSING", Model: "LAAS",
				Field: "delivery_date", Reason: ReasonModel, Range: hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 3}},
				Detail: "delivery dates are moved only for DBS orders; this order's campaign works by LAAS"}}},
		},
		{
			name: "an FBS order is blocked",
			now:  now, desired: dateOrder(3001, "2026-12-05", provider.DeliveryDateUserMoved), order: fbs,
			want: result{Blocked: []Blocked{{Address: "order.3001", OrderID: 3001, CampaignID: 21000000, Status: "PROCESSING", Model: "FBS",
				Field: "delivery_date", Reason: ReasonModel, Range: hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 3}},
				Detail: "delivery dates are moved only for DBS orders; this order's campaign works by FBS"}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Build(Input{Now: tc.now, Desired: []schema.Order{tc.desired},
				Current: map[int64]Current{tc.desired.ID: {Found: true, Order: tc.order}}})
			got := result{Changes: p.Changes, Pending: p.Pending, Blocked: p.Blocked, Unchanged: p.Unchanged}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

// A delivery date is journaled like a track: the order confirms it by its
// date (the reason is not part of the order), a change of the date since
// the plan makes it stale, and the call is made again from the fields.
func TestDeliveryDateAppliedStaleAndCalls(t *testing.T) {
	p := Build(Input{Now: now, Desired: []schema.Order{dateOrder(1001, "2026-12-05", provider.DeliveryDatePartnerMoved)},
		Current: map[int64]Current{1001: {Found: true, Order: dbs(1001, "PROCESSING")}}})
	if len(p.Changes) != 1 {
		t.Fatalf("want one change, got %+v / %+v", p.Changes, p.Blocked)
	}
	c := p.Changes[0]
	targets := Targets(nil, c.FieldsOf(CallDeliveryDate))
	if len(targets) != 2 {
		t.Fatalf("targets %v, want the date and the reason", targets)
	}
	moved := dbs(1001, "PROCESSING")
	moved.Delivery.Dates.ToDate = "05-12-2026"
	if Applied(nil, targets, dbs(1001, "PROCESSING")) || !Applied(nil, targets, moved) {
		t.Error("Applied must follow the order's toDate, as a date")
	}
	if Applied(nil, map[string]string{FieldDeliveryReason: targets[FieldDeliveryReason]}, moved) {
		t.Error("a reason alone is nothing a read can confirm")
	}
	if why := c.Stale(nil, moved); why != "delivery_date changed since the plan was made" {
		t.Errorf("Stale = %q", why)
	}
	calls, err := c.MakeCalls(dbs(1001, "PROCESSING"))
	if err != nil || !cmp.Equal(calls, c.Calls) {
		t.Errorf("MakeCalls = %+v, %v; want the plan's %+v", calls, err, c.Calls)
	}

	// A saved plan edited to send what the API does not take is refused
	// before anything is sent.
	for _, tc := range []struct {
		fields []Field
		want   string
	}{
		{[]Field{{Path: FieldDeliveryDate, After: sp("2026-12-05")}}, "delivery_date.reason is missing"},
		{[]Field{{Path: FieldDeliveryReason, After: sp(provider.DeliveryDateUserMoved)}}, "delivery_date.to_date is missing"},
		{[]Field{{Path: FieldDeliveryDate, After: sp("2026-12-05")}, {Path: FieldDeliveryReason, After: sp("BECAUSE")}}, `"BECAUSE" is not one the API takes`},
		{[]Field{{Path: FieldDeliveryDate, After: sp("5 December")}, {Path: FieldDeliveryReason, After: sp(provider.DeliveryDateUserMoved)}}, `"5 December" is not a date`},
	} {
		bad := c
		bad.Fields = tc.fields
		if _, err := bad.MakeCalls(dbs(1001, "PROCESSING")); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("MakeCalls(%+v) = %v, want %q", tc.fields, err, tc.want)
		}
	}
}
