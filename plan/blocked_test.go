package plan

import (
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/schema"
)

func line(n int) hcl.Range {
	return hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: n, Column: 3}, End: hcl.Pos{Line: n, Column: 8}}
}

// A blocked entry points at the most precise declaration known: the
// attribute, its block, the first declared of several blocks, else the
// order block's header.
func TestDeclRange(t *testing.T) {
	d := schema.Order{Address: "order.1", DeclRange: line(1), Ranges: map[string]hcl.Range{
		"track": line(3), "track.code": line(4), "recipient": line(9), "recipient.phone": {},
	}}
	for _, tc := range []struct {
		field string
		line  int
	}{
		{"track.code", 4},
		{"track.delivery_service_id", 3},
		{"track", 3},
		{"recipient.phone", 9}, // a range without a file is no place
		{"delivery_interval", 1},
		{"delivery_interval, recipient", 9},
		{"", 1},
	} {
		if got := declRange(d, tc.field); got.Start.Line != tc.line {
			t.Errorf("declRange(%q) is on line %d, want %d", tc.field, got.Start.Line, tc.line)
		}
	}
	if got := declRange(schema.Order{}, "track"); got != (hcl.Range{}) {
		t.Errorf("an order from no file has range %v", got)
	}
}

// Build gives every blocked entry its range, whatever blocked it.
func TestBuildLocatesBlocked(t *testing.T) {
	ranged := func(o schema.Order, header int, blocks map[string]int) schema.Order {
		o.DeclRange, o.Ranges = line(header), map[string]hcl.Range{}
		for k, n := range blocks {
			o.Ranges[k] = line(n)
		}
		return o
	}
	rcp := &schema.Recipient{Phone: sp("+79990003333")}
	both := ranged(intervalOrder(1002, slot1), 20, map[string]int{"delivery_interval": 22, "recipient": 27})
	both.CampaignID, both.Recipient = 21000000, rcp
	cancel := dbs(1004, "PROCESSING")
	cancel.CancelRequested = true
	p := Build(Input{Now: now,
		Desired: []schema.Order{
			ranged(trackOrder(1001, "RP9"), 10, map[string]int{"track": 11, "track.code": 12}),
			both,
			ranged(trackOrder(1003, "RP9"), 30, map[string]int{"track": 31}),
			ranged(trackOrder(1004, "RP9"), 40, map[string]int{"track": 41}),
		},
		Current: map[int64]Current{
			1001: {Found: true, Order: dbs(1001, "DELIVERED")},
			1002: {Found: true, Order: dbs(1002, "PROCESSING")},
			1004: {Found: true, Order: cancel},
		},
	})
	want := []struct {
		address string
		reason  Reason
		line    int
	}{
		{"order.1001", ReasonStatus, 11},             // the track block
		{"order.1002", ReasonModel, 22},              // delivery_interval, recipient: the first
		{"order.1002", ReasonIncompleteCustomer, 27}, // recipient
		{"order.1003", ReasonNotFound, 30},           // the order
		{"order.1004", ReasonCancelRequested, 40},    // the order
	}
	if len(p.Blocked) != len(want) {
		t.Fatalf("blocked = %+v", p.Blocked)
	}
	for i, b := range p.Blocked {
		w := want[i]
		if b.Address != w.address || b.Reason != w.reason || b.Range.Start.Line != w.line || b.Range.Filename != "main.hcl" {
			t.Errorf("blocked %d = %s %s at %v, want %s %s on line %d", i, b.Address, b.Reason, b.Range, w.address, w.reason, w.line)
		}
	}
}
