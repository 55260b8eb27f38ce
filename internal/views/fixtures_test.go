package views

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/NAME.golden, or rewrites the file under
// -update. Goldens are always made with colour off.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/views/ -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is intended, run go test ./internal/views/ -update:\n%s", path, diff)
	}
}

func strp(s string) *string { return &s }

var (
	created   = time.Date(2026, 11, 23, 9, 58, 0, 0, time.UTC)
	submitted = time.Date(2026, 11, 23, 10, 1, 30, 0, time.UTC)
)

// Personal data of the fixtures: no view may show these unless asked to.
const (
	phoneBefore = "+79990001122"
	phoneAfter  = "+79995554433"
	lastBefore  = "Петров"
	lastAfter   = "Иванов"
	firstName   = "Пётр"
	secretTrack = "SECRET-TRACK-42"
	oldTrack    = "OLD-TRACK-1"
)

// trackChange sets a track on a DBS order that had none.
func trackChange() plan.Change {
	return plan.Change{
		Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Action: plan.Update,
		Status: "PROCESSING", Model: "DBS",
		Fields: []plan.Field{
			{Path: plan.FieldTrackCode, Before: nil, After: strp("RP123456789RU")},
			{Path: plan.FieldTrackService, Before: nil, After: strp("51")},
		},
		Unchanged: 2,
		Track:     &provider.Track{Code: "RP123456789RU", DeliveryServiceID: 51},
	}
}

// recipientChange moves a LaaS order's interval and changes its recipient.
func recipientChange() plan.Change {
	return plan.Change{
		Address: "order.2001", OrderID: 2001, CampaignID: 22000000, Action: plan.Update,
		Status: "PROCESSING", Model: "LAAS",
		Fields: []plan.Field{
			{Path: plan.FieldIntervalFromDate, Before: strp("2026-11-25"), After: strp("2026-11-26")},
			{Path: plan.FieldLastName, Before: strp(lastBefore), After: strp(lastAfter)},
			{Path: plan.FieldPhone, Before: strp(phoneBefore), After: strp(phoneAfter)},
		},
		Unchanged: 1,
		Update: &provider.OrderUpdate{
			OrderID:  2001,
			Interval: &provider.Interval{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "10:00", ToTime: "14:00"},
			Customer: &provider.Customer{FirstName: firstName, LastName: lastAfter, Phone: phoneAfter},
		},
	}
}

// secretChange replaces a track whose code comes from a sensitive variable.
func secretChange() plan.Change {
	return plan.Change{
		Address: `order.carrier["1007"]`, OrderID: 1007, CampaignID: 21000000, Action: plan.Update,
		Status: "DELIVERY", Model: "DBS",
		Fields: []plan.Field{
			{Path: plan.FieldTrackCode, Before: strp(oldTrack), After: strp(secretTrack)},
		},
		Unchanged: 1,
		Sensitive: []string{plan.FieldTrackCode},
		Track:     &provider.Track{Code: secretTrack, DeliveryServiceID: 51},
	}
}

func pending() []plan.Pending {
	return []plan.Pending{
		{Address: "order.2004", OrderID: 2004, CampaignID: 22000000,
			Fields:     []string{plan.FieldIntervalFromDate, plan.FieldIntervalToDate},
			Operations: []string{"8f3c2a91"}, SubmittedAt: submitted},
		{Address: "order.2003", OrderID: 2003, CampaignID: 22000000,
			Fields: []string{plan.FieldPhone}, SubmittedAt: submitted, Unknown: true},
	}
}

var available = []provider.Interval{
	{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "10:00", ToTime: "14:00"},
	{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "14:00", ToTime: "18:00"},
}

func blocked() []plan.Blocked {
	return []plan.Blocked{
		{Address: "order.2005", OrderID: 2005, CampaignID: 22000000, Status: "PROCESSING", Model: "LAAS",
			Field: "delivery_interval", Reason: plan.ReasonIntervalNotOffered,
			Detail:    "the interval 2026-12-01 10:00-14:00 is not available; available: 2026-11-26 10:00-14:00; 2026-11-26 14:00-18:00",
			Available: available},
		{Address: "order.1003", OrderID: 1003, CampaignID: 21000000, Status: "DELIVERED", Model: "DBS",
			Field: "track", Reason: plan.ReasonStatus,
			Detail: "a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is DELIVERED"},
		{Address: "order.1004", OrderID: 1004, CampaignID: 21000000, Reason: plan.ReasonNotFound,
			Detail: "order 1004 was not found in campaign 21000000"},
	}
}

// sources are where the fixtures' orders are declared.
var sources = Sources{
	"order.1003":                   {Filename: "orders.hcl", Line: 10, Column: 1},
	"order.1003 track":             {Filename: "orders.hcl", Line: 12, Column: 3},
	"order.2005":                   {Filename: "laas.hcl", Line: 4, Column: 1},
	"order.2005 delivery_interval": {Filename: "laas.hcl", Line: 7, Column: 3},
}

// fullPlan holds a bit of everything, its lists deliberately not in address
// order: the views sort.
func fullPlan() *plan.Plan {
	return &plan.Plan{
		FormatVersion: plan.FormatVersion, CreatedAt: created,
		Changes:   []plan.Change{recipientChange(), trackChange()},
		Pending:   pending(),
		Blocked:   blocked(),
		Unchanged: 3,
	}
}
