package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A delivery_date block needs a calendar date and one of the API's two
// reasons, with no default; the shop's own reason is valid, with a warning
// at the reason, once for every instance of a for_each block.
func TestDeliveryDateChecks(t *testing.T) {
	block := func(to, reason string) map[string]string {
		return map[string]string{"main.hcl": `order "1001" {
  delivery_date {
    to_date = ` + to + `
    reason  = ` + reason + `
  }
}
`}
	}
	tests := []struct {
		name   string
		files  map[string]string
		want   []string
		detail string // in the first diagnostic's detail
	}{
		// Valid, and an order with only this block manages something.
		{name: "the buyer's reason", files: block(`"2026-12-05"`, `"USER_MOVED_DELIVERY_DATES"`)},
		{name: "the shop's reason warns", files: block(`"2026-12-05"`, `"PARTNER_MOVED_DELIVERY_DATES"`),
			want:   []string{"warning: Delivery date moved at the shop's cost @ main.hcl:4:15"},
			detail: "an order moved too often is cancelled (substatus TOO_MANY_DELIVERY_DATE_CHANGES)"},
		{name: "not a date", files: block(`"05.12.2026"`, `"USER_MOVED_DELIVERY_DATES"`),
			want: []string{"error: Invalid date @ main.hcl:3:15"}, detail: `to_date must be a date written YYYY-MM-DD`},
		{name: "not a day of the calendar", files: block(`"2026-02-30"`, `"USER_MOVED_DELIVERY_DATES"`),
			want: []string{"error: Invalid date @ main.hcl:3:15"}},
		{name: "a reason the API does not take", files: block(`"2026-12-05"`, `"USER_MOVED_DELIVERY_DATE"`),
			want: []string{"error: Invalid delivery date reason @ main.hcl:4:15"}, detail: `Did you mean "USER_MOVED_DELIVERY_DATES"?`},
		{name: "the reason is required", files: map[string]string{"main.hcl": `order "1001" {
  delivery_date {
    to_date = "2026-12-05"
  }
}
`}, want: []string{"error: Missing required argument @ main.hcl:2:17"}, detail: `"reason" is required`},
		{name: "a null reason", files: block(`"2026-12-05"`, `null`),
			want: []string{"error: Missing value @ main.hcl:4:15"}},
		{name: "for_each warns once", files: map[string]string{"main.hcl": `order "moves" {
  for_each = toset(["1001", "1002"])
  delivery_date {
    to_date = "2026-12-05"
    reason  = "PARTNER_MOVED_DELIVERY_DATES"
  }
}
`}, want: []string{"warning: Delivery date moved at the shop's cost @ main.hcl:5:15"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, dir, diags := loadAll(t, tt.files, LoadOptions{})
			if diff := cmp.Diff(tt.want, render(dir, diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\ndetails: %q", diff, details(dir, diags))
			}
			if tt.detail != "" && (len(diags) == 0 || !strings.Contains(diags[0].Detail, tt.detail)) {
				t.Errorf("details %q, want one with %q", details(dir, diags), tt.detail)
			}
		})
	}

	_, orders, _, diags := loadAll(t, block(`"2026-12-05"`, `"PARTNER_MOVED_DELIVERY_DATES"`), LoadOptions{})
	if diags.HasErrors() || len(orders) != 1 || orders[0].DeliveryDate == nil ||
		*orders[0].DeliveryDate != (DeliveryDate{ToDate: "2026-12-05", Reason: "PARTNER_MOVED_DELIVERY_DATES"}) {
		t.Errorf("orders %+v, %v; want the delivery date declared", orders, diags)
	}
	if r, ok := orders[0].Ranges["delivery_date.to_date"]; !ok || r.Start.Line != 3 {
		t.Errorf("the range of delivery_date.to_date is %+v, %v; want line 3", r, ok)
	}
}
