package views

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
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
		Calls:     []plan.Call{{Kind: plan.CallTrack, Track: &provider.Track{Code: "RP123456789RU", DeliveryServiceID: 51}}},
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
		Calls: []plan.Call{{Kind: plan.CallUpdate, Update: &provider.OrderUpdate{
			OrderID:  2001,
			Interval: &provider.Interval{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "10:00", ToTime: "14:00"},
			Customer: &provider.Customer{FirstName: firstName, LastName: lastAfter, Phone: phoneAfter},
		}}},
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
		Calls:     []plan.Call{{Kind: plan.CallTrack, Track: &provider.Track{Code: secretTrack, DeliveryServiceID: 51}}},
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
			Detail:    "the interval 2026-12-01 10:00-14:00 is not available",
			Available: available, Range: nestedBlockRange("laas.hcl", "2005", "delivery_interval")},
		{Address: "order.1003", OrderID: 1003, CampaignID: 21000000, Status: "DELIVERED", Model: "DBS",
			Field: "track", Reason: plan.ReasonStatus,
			Detail: "a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is DELIVERED",
			Range:  nestedBlockRange("orders.hcl", "1003", "track")},
		{Address: "order.1004", OrderID: 1004, CampaignID: 21000000, Reason: plan.ReasonNotFound,
			Detail: "order 1004 was not found in campaign 21000000"},
	}
}

// sources are the files the fixtures' orders are declared in: order.1003's
// track on line 12 of orders.hcl, order.2005's interval on line 7 of
// laas.hcl (order.1004 is in none).
var sources = map[string]*hcl.File{
	"orders.hcl": parseFixture("orders.hcl", `# Orders shipped by our own couriers (DBS).

order "1001" {
  track {
    code                = "RP123456789RU"
    delivery_service_id = 51
  }
}

order "1003" {
  # Delivered last week.
  track {
    code                = "RP000000003RU"
    delivery_service_id = 51
  }
}
`),
	"laas.hcl": parseFixture("laas.hcl", `# Orders the Market delivers (LaaS).


order "2005" {
  campaign_id = 22000000

  delivery_interval {
    from_date = "2026-12-01"
    from_time = "10:00"
    to_time   = "14:00"
  }
}
`),
}

func parseFixture(name, src string) *hcl.File {
	f, diags := hclsyntax.ParseConfig([]byte(src), name, hcl.InitialPos)
	if diags.HasErrors() {
		panic(diags.Error())
	}
	return f
}

// nestedBlockRange is the header of the block of type inner in the order
// block labelled label of a fixture file: where schema says it is declared.
func nestedBlockRange(file, label, inner string) hcl.Range {
	for _, b := range sources[file].Body.(*hclsyntax.Body).Blocks {
		if b.Type == "order" && b.Labels[0] == label {
			for _, nb := range b.Body.Blocks {
				if nb.Type == inner {
					return nb.DefRange()
				}
			}
		}
	}
	panic("no " + inner + " in order " + label + " of " + file)
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
