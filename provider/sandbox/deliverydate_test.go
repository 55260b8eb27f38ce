package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"time"

	"github.com/google/go-cmp/cmp"
)

const datePath = "/v2/campaigns/21000000/orders/%s/delivery/date"

func dateBody(toDate, reason string) string {
	return `{"dates": {"toDate": "` + toDate + `"}, "reason": "` + reason + `"}`
}

func TestDeliveryDate(t *testing.T) {
	tests := []struct {
		name, order, body string
		wantFrom, wantTo  string // delivery.dates as GET order answers them
	}{
		{"PROCESSING, later date", "1001", dateBody("2026-12-05", "USER_MOVED_DELIVERY_DATES"), "26-11-2026", "05-12-2026"},
		{"DELIVERY, by the shop", "1004", dateBody("2026-11-30", "PARTNER_MOVED_DELIVERY_DATES"), "24-11-2026", "30-11-2026"},
		{"earlier than fromDate moves it too", "1001", dateBody("2026-11-25", "USER_MOVED_DELIVERY_DATES"), "25-11-2026", "25-11-2026"},
		{"today is not the past", "1001", dateBody("2026-11-23", "USER_MOVED_DELIVERY_DATES"), "23-11-2026", "23-11-2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			before := f.do("GET", "/v2/campaigns/21000000/orders/"+tt.order, "").json(t)
			expect(t, f.do("PUT", fmt.Sprintf(datePath, tt.order), tt.body), http.StatusOK, `{"status": "OK"}`)
			after := f.do("GET", "/v2/campaigns/21000000/orders/"+tt.order, "").json(t)
			got := []any{field(after, "order", "delivery", "dates", "fromDate"), field(after, "order", "delivery", "dates", "toDate")}
			if diff := cmp.Diff([]any{tt.wantFrom, tt.wantTo}, got); diff != "" {
				t.Errorf("delivery.dates from, to (-want +got):\n%s", diff)
			}
			if field(after, "order", "updatedAt") == field(before, "order", "updatedAt") {
				t.Errorf("updatedAt did not move: %v", field(after, "order", "updatedAt"))
			}
			if !f.srv.Wrote() {
				t.Error("Wrote() = false after a delivery date took effect")
			}
		})
	}

	t.Run("the same date again changes nothing and does not count", func(t *testing.T) {
		f := newFixture(t, Options{PartnerMovesLimit: 1})
		before, _ := f.srv.Order(1001)
		expect(t, f.do("PUT", fmt.Sprintf(datePath, "1001"), dateBody("2026-11-26", "PARTNER_MOVED_DELIVERY_DATES")),
			http.StatusOK, `{"status": "OK"}`)
		after, _ := f.srv.Order(1001)
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("order changed (-before +after):\n%s", diff)
		}
	})
}

// TestDeliveryDatePartnerMoves: moves the shop causes count, the buyer's do
// not; with a limit, the move that reaches it cancels the order, and the
// cancelled order refuses further moves.
func TestDeliveryDatePartnerMoves(t *testing.T) {
	f := newFixture(t, Options{PartnerMovesLimit: 3})
	move := func(to, reason string) answer {
		t.Helper()
		return f.do("PUT", fmt.Sprintf(datePath, "1001"), dateBody(to, reason))
	}
	state := func() []any {
		o, _ := f.srv.Order(1001)
		return []any{o.Status, o.Substatus, o.PartnerDateMoves, o.Delivery.Dates.ToDate}
	}
	for i, step := range []struct {
		to, reason string
		want       []any
	}{
		{"2026-11-27", "PARTNER_MOVED_DELIVERY_DATES", []any{"PROCESSING", "STARTED", 1, "2026-11-27"}},
		{"2026-11-28", "USER_MOVED_DELIVERY_DATES", []any{"PROCESSING", "STARTED", 1, "2026-11-28"}},
		{"2026-11-29", "PARTNER_MOVED_DELIVERY_DATES", []any{"PROCESSING", "STARTED", 2, "2026-11-29"}},
		{"2026-11-30", "PARTNER_MOVED_DELIVERY_DATES", []any{"CANCELLED", "TOO_MANY_DELIVERY_DATE_CHANGES", 3, "2026-11-30"}},
	} {
		expect(t, move(step.to, step.reason), http.StatusOK, `{"status": "OK"}`)
		if diff := cmp.Diff(step.want, state()); diff != "" {
			t.Errorf("after move %d (-want +got):\n%s", i+1, diff)
		}
	}
	got := move("2026-12-01", "USER_MOVED_DELIVERY_DATES")
	code, _ := errorOf(t, got)
	if diff := cmp.Diff([]any{400, "STATUS_NOT_ALLOWED"}, []any{got.status, code}); diff != "" {
		t.Errorf("a move of the cancelled order (-want +got):\n%s", diff)
	}

	t.Run("no limit: no number of moves cancels", func(t *testing.T) {
		f := newFixture(t, Options{})
		for i, to := range []string{"2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"} {
			expect(t, f.do("PUT", fmt.Sprintf(datePath, "1001"), dateBody(to, "PARTNER_MOVED_DELIVERY_DATES")), http.StatusOK, `{"status": "OK"}`)
			if o, _ := f.srv.Order(1001); o.Status != "PROCESSING" || o.PartnerDateMoves != i+1 {
				t.Fatalf("after move %d: status %s, partnerDateMoves %d", i+1, o.Status, o.PartnerDateMoves)
			}
		}
	})
}

func TestDeliveryDateRefused(t *testing.T) {
	ok := dateBody("2026-12-05", "USER_MOVED_DELIVERY_DATES")
	tests := []struct {
		name, path, body string
		status           int
		errs             []errorEntry
	}{
		{"LaaS campaign", "/v2/campaigns/22000000/orders/2001/delivery/date", ok, 400,
			[]errorEntry{{"CAMPAIGN_TYPE_NOT_SUPPORTED", "campaign 22000000 is LAAS: this method is available only for DBS campaigns"}}},
		{"FBS campaign", "/v2/campaigns/23000000/orders/3001/delivery/date", ok, 400,
			[]errorEntry{{"CAMPAIGN_TYPE_NOT_SUPPORTED", "campaign 23000000 is FBS: this method is available only for DBS campaigns"}}},
		{"unknown campaign", "/v2/campaigns/12345/orders/1001/delivery/date", ok, 404,
			[]errorEntry{{"NOT_FOUND", "campaign 12345 not found"}}},
		{"order of another campaign", fmt.Sprintf(datePath, "4001"), ok, 404,
			[]errorEntry{{"NOT_FOUND", "order 4001 not found in campaign 21000000"}}},
		{"DELIVERED", fmt.Sprintf(datePath, "1003"), ok, 400,
			[]errorEntry{{"STATUS_NOT_ALLOWED", "order 1003 is in status DELIVERED: the delivery date can be changed only in status PROCESSING or DELIVERY"}}},
		{"PICKUP", fmt.Sprintf(datePath, "1005"), ok, 400,
			[]errorEntry{{"STATUS_NOT_ALLOWED", "order 1005 is in status PICKUP: the delivery date can be changed only in status PROCESSING or DELIVERY"}}},
		{"CANCELLED", fmt.Sprintf(datePath, "1006"), ok, 400,
			[]errorEntry{{"STATUS_NOT_ALLOWED", "order 1006 is in status CANCELLED: the delivery date can be changed only in status PROCESSING or DELIVERY"}}},
		{"UNPAID", fmt.Sprintf(datePath, "1007"), ok, 400,
			[]errorEntry{{"STATUS_NOT_ALLOWED", "order 1007 is in status UNPAID: the delivery date can be changed only in status PROCESSING or DELIVERY"}}},
		{"no body", fmt.Sprintf(datePath, "1001"), "", 400,
			[]errorEntry{{"BAD_REQUEST", "request body is required"}}},
		{"empty object", fmt.Sprintf(datePath, "1001"), `{}`, 400,
			[]errorEntry{{"BAD_REQUEST", "dates is required"}, {"BAD_REQUEST", "reason is required"}}},
		{"no toDate", fmt.Sprintf(datePath, "1001"), `{"dates": {}, "reason": "USER_MOVED_DELIVERY_DATES"}`, 400,
			[]errorEntry{{"BAD_REQUEST", "dates.toDate is required"}}},
		{"DD-MM-YYYY date", fmt.Sprintf(datePath, "1001"), dateBody("05-12-2026", "USER_MOVED_DELIVERY_DATES"), 400,
			[]errorEntry{{"BAD_REQUEST", `dates.toDate "05-12-2026" is not a date (want YYYY-MM-DD)`}}},
		{"no such day", fmt.Sprintf(datePath, "1001"), dateBody("2026-02-30", "USER_MOVED_DELIVERY_DATES"), 400,
			[]errorEntry{{"BAD_REQUEST", `dates.toDate "2026-02-30" is not a date (want YYYY-MM-DD)`}}},
		{"yesterday", fmt.Sprintf(datePath, "1001"), dateBody("2026-11-22", "USER_MOVED_DELIVERY_DATES"), 400,
			[]errorEntry{{"BAD_REQUEST", "dates.toDate 2026-11-22 is in the past (today is 2026-11-23)"}}},
		{"unknown reason", fmt.Sprintf(datePath, "1001"), dateBody("2026-12-05", "BUYER_ASKED"), 400,
			[]errorEntry{{"BAD_REQUEST", `reason "BUYER_ASKED" is not one of USER_MOVED_DELIVERY_DATES, PARTNER_MOVED_DELIVERY_DATES`}}},
		{"toDate not a string", fmt.Sprintf(datePath, "1001"), `{"dates": {"toDate": 20261205}, "reason": "USER_MOVED_DELIVERY_DATES"}`, 400,
			[]errorEntry{{"BAD_REQUEST", "field dates.toDate: expected string, got number"}}},
		{"wrong method", fmt.Sprintf(datePath, "1001"), ok, 405,
			[]errorEntry{{"METHOD_NOT_ALLOWED", "/v2/campaigns/21000000/orders/1001/delivery/date takes PUT, not POST"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			before := f.srv.Snapshot()
			method := "PUT"
			if tt.status == http.StatusMethodNotAllowed {
				method = "POST"
			}
			got := f.do(method, tt.path, tt.body)
			var e errorBody
			if err := json.Unmarshal([]byte(got.body), &e); err != nil || e.Status != "ERROR" {
				t.Fatalf("HTTP %d, not an error envelope: %s", got.status, got.body)
			}
			if diff := cmp.Diff([]any{tt.status, tt.errs}, []any{got.status, e.Errors}); diff != "" {
				t.Errorf("status, errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, f.srv.Snapshot()); diff != "" {
				t.Errorf("a refused request changed the state (-before +after):\n%s", diff)
			}
			if f.srv.Wrote() {
				t.Error("Wrote() = true after a refused write")
			}
		})
	}
}

// TestDeliveryDateQuota: 10,000 an hour per campaign, as documented, with
// the rate-limit headers.
func TestDeliveryDateQuota(t *testing.T) {
	f := newFixture(t, Options{Quotas: map[Endpoint]Quota{EndpointDeliveryDate: {Limit: 1, Period: time.Hour}}})
	if q := DocumentedQuotas()[EndpointDeliveryDate]; q != (Quota{10000, time.Hour}) {
		t.Errorf("documented quota = %+v, want 10000 an hour", q)
	}
	first := f.do("PUT", fmt.Sprintf(datePath, "1001"), dateBody("2026-12-05", "USER_MOVED_DELIVERY_DATES"))
	if first.status != http.StatusOK || first.header.Get("X-RateLimit-Resource-Limit") != "1" || first.header.Get("X-RateLimit-Resource-Remaining") != "0" {
		t.Errorf("first: HTTP %d, limit %q, remaining %q", first.status,
			first.header.Get("X-RateLimit-Resource-Limit"), first.header.Get("X-RateLimit-Resource-Remaining"))
	}
	second := f.do("PUT", fmt.Sprintf(datePath, "1004"), dateBody("2026-12-05", "USER_MOVED_DELIVERY_DATES"))
	code, msg := errorOf(t, second)
	if diff := cmp.Diff([]any{StatusRateLimited, "LIMIT_EXCEEDED", "Hit rate limit of 1 requests per hour for resource 138"},
		[]any{second.status, code, msg}); diff != "" {
		t.Errorf("second (-want +got):\n%s", diff)
	}
	if o, _ := f.srv.Order(1004); o.Delivery.Dates.ToDate != "2026-11-24" {
		t.Errorf("a refused move took effect: toDate %s", o.Delivery.Dates.ToDate)
	}
}
