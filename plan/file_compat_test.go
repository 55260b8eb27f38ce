package plan

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/provider"
)

// The checked-in plan files are what earlier orderforms wrote, frozen: never
// regenerate them. A reader that reads them differently has changed the
// file format, whatever its Go types say.
//
// testdata/planfile/v1.plan is format 1.0, made by orderform plan -out from
// testdata/planfile/main.hcl on testdata/sandbox-small.json.
// testdata/planfile/v2.plan is format 2.0, written by Write from
// format2Plan (orderform at commit 53686d0): every part a plan has.
var planfileDir = filepath.Join("..", "testdata", "planfile")

// format2Plan is the plan testdata/planfile/v2.plan was written from.
func format2Plan() *Plan {
	created := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	submitted := time.Date(2026, 11, 23, 9, 41, 0, 0, time.UTC)
	return &Plan{
		FormatVersion: "1.0", CreatedAt: created, BusinessID: 9000000,
		Changes: []Change{
			{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Action: Update, Status: "PROCESSING", Model: "DBS",
				Fields:    []Field{{Path: FieldTrackCode, Before: sp("RP1"), After: sp("RP2")}},
				Unchanged: 1, Sensitive: []string{FieldTrackCode},
				Observed: Observed{Status: "PROCESSING", Model: "DBS", UpdatedAt: "20-11-2026 11:15:40",
					Values: map[string]string{"track": "RP1@51"}}},
			{Address: `order.laas["2001"]`, OrderID: 2001, CampaignID: 22000000, Action: Update, Status: "PROCESSING", Model: "LAAS",
				Fields: []Field{
					{Path: FieldIntervalFromDate, Before: sp("2026-11-25"), After: sp("2026-11-26")},
					{Path: FieldIntervalToDate, Before: sp("2026-11-25"), After: sp("2026-11-26")},
					{Path: FieldLastName, Before: sp("Петров"), After: sp("Иванов")},
					{Path: FieldPhone, Before: sp("+79990001122"), After: sp("+79990003333")},
				},
				Unchanged: 2,
				Observed: Observed{Status: "PROCESSING", Model: "LAAS", UpdatedAt: "21-11-2026 12:05:31",
					Values: map[string]string{"delivery_interval": "2026-11-25 10:00/2026-11-25 14:00", "recipient": "de5579caf297a6ad0fb548db"}}},
		},
		Deferred: []Deferred{},
		Pending: []Pending{
			{Address: "order.2004", OrderID: 2004, CampaignID: 22000000,
				Fields:     []string{FieldIntervalFromDate, FieldIntervalToDate},
				Operations: []string{"8f3c2a91"}, SubmittedAt: submitted},
			{Address: "order.2003", OrderID: 2003, CampaignID: 22000000,
				Fields: []string{FieldPhone}, SubmittedAt: submitted, Unknown: true, Why: "the operations endpoint answers 403"},
		},
		Blocked: []Blocked{
			{Address: "order.1003", OrderID: 1003, CampaignID: 21000000, Status: "DELIVERED", Model: "DBS", Field: "track",
				Reason: ReasonStatus, Detail: "a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is DELIVERED"},
			{Address: "order.2005", OrderID: 2005, CampaignID: 22000000, Status: "PROCESSING", Model: "LAAS", Field: "delivery_interval",
				Reason: ReasonIntervalNotOffered, Detail: "the interval 2026-12-01 10:00-14:00 is not available",
				Available: []provider.Interval{
					{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "10:00", ToTime: "14:00"},
					{FromDate: "2026-11-26", ToDate: "2026-11-27", FromTime: "14:00", ToTime: "10:00"},
				}},
			{Address: "order.9999", OrderID: 9999, CampaignID: 21000000, Reason: ReasonNotFound,
				Detail: "order 9999 was not found in campaign 21000000"},
		},
		Unchanged: 3,
		DataSources: []DataSource{
			{Address: "data.delivery_intervals.o2001", Kind: "delivery_intervals", CampaignID: 22000000, OrderID: 2001,
				Available: []provider.Interval{{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "10:00", ToTime: "14:00"}}},
			{Address: "data.delivery_options.moscow", Kind: "delivery_options", CampaignID: 22000000,
				Options: []provider.DeliveryOption{
					{WarehouseID: 77, Type: "courier", Interval: provider.Interval{FromDate: "2026-11-27", ToDate: "2026-11-27", FromTime: "09:00", ToTime: "18:00"}, Price: 249.5, Currency: "RUR"},
					{WarehouseID: 77, Type: "pickup", LogisticPointID: 1234, Interval: provider.Interval{FromDate: "2026-11-28", ToDate: "2026-11-28"}},
				}},
		},
	}
}

// What Read makes of v2.plan: the plan it was written from, the previous
// values of personal fields masked, slices never nil.
func TestReadFormat2File(t *testing.T) {
	f, err := Read(filepath.Join(planfileDir, "v2.plan"))
	if err != nil {
		t.Fatal(err)
	}
	want := format2Plan()
	want.Changes[1].Fields[2].Before = sp("П***")
	want.Changes[1].Fields[3].Before = sp("+*********22")
	if diff := cmp.Diff(want, f.Plan); diff != "" {
		t.Errorf("plan read from v2.plan (-want +got):\n%s", diff)
	}
	if f.Kind != "orderform-plan" || f.FormatVersion != "2.0" || f.Version != "0.1.0-dev" || f.Endpoint != "http://127.0.0.1:18931" {
		t.Errorf("file header = %q %q %q %q", f.Kind, f.FormatVersion, f.Version, f.Endpoint)
	}
}

// What Read makes of v1.plan: its fields as they are (format 1 kept the
// previous values in clear), without the calls, which it checked against
// the fields and dropped, and its observed state compared unkeyed.
func TestReadFormat1File(t *testing.T) {
	f, err := Read(filepath.Join(planfileDir, "v1.plan"))
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 12, 1, 9, 12, 21, 629396159, time.UTC)
	want := &Plan{
		FormatVersion: "1.0", CreatedAt: created, UnkeyedObserved: true,
		Changes: []Change{
			{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Action: Update, Status: "PROCESSING", Model: "DBS",
				Fields: []Field{{Path: FieldTrackCode, After: sp("RP123456789RU")}, {Path: FieldTrackService, After: sp("51")}},
				Observed: Observed{Status: "PROCESSING", Model: "DBS", UpdatedAt: "20-11-2026 11:15:40",
					Values: map[string]string{"track": ""}}},
			{Address: "order.1002", OrderID: 1002, CampaignID: 21000000, Action: Update, Status: "PROCESSING", Model: "DBS",
				Fields: []Field{{Path: FieldTrackCode, Before: sp("1523876401"), After: sp("RP000000002RU")}}, Unchanged: 1,
				Observed: Observed{Status: "PROCESSING", Model: "DBS", UpdatedAt: "21-11-2026 09:12:55",
					Values: map[string]string{"track": "1523876401@51"}}},
			{Address: "order.2001", OrderID: 2001, CampaignID: 22000000, Action: Update, Status: "PROCESSING", Model: "LAAS",
				Fields: []Field{
					{Path: FieldIntervalFromDate, Before: sp("2026-11-27"), After: sp("2026-11-28")},
					{Path: FieldIntervalToDate, Before: sp("2026-11-27"), After: sp("2026-11-28")},
					{Path: FieldFirstName, Before: sp("Сергей"), After: sp("Мария")},
					{Path: FieldPhone, Before: sp("+79035550101"), After: sp("+79035550122")},
				},
				Unchanged: 2,
				Observed: Observed{Status: "PROCESSING", Model: "LAAS", UpdatedAt: "21-11-2026 12:05:31",
					Values: map[string]string{"delivery_interval": "2026-11-27 10:00/2026-11-27 14:00", "recipient": "de5579caf297a6ad0fb548db"}}},
		},
		Pending: []Pending{}, Deferred: []Deferred{},
		Blocked: []Blocked{},
	}
	if diff := cmp.Diff(want, f.Plan); diff != "" {
		t.Errorf("plan read from v1.plan (-want +got):\n%s", diff)
	}
	if f.Kind != "orderform-plan" || f.FormatVersion != "1.0" || f.Version != "0.1.0-dev" || f.Endpoint != "http://127.0.0.1:18931" {
		t.Errorf("file header = %q %q %q %q", f.Kind, f.FormatVersion, f.Version, f.Endpoint)
	}
}
