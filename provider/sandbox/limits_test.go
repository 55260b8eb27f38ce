package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// limitView is what a client sees of the rate limiter in one answer.
type limitView struct {
	Status                  int
	Limit, Remaining, Until string
	Code, Message           string
}

func viewLimit(t *testing.T, a answer) limitView {
	t.Helper()
	v := limitView{Status: a.status, Limit: a.header.Get("X-RateLimit-Resource-Limit"),
		Remaining: a.header.Get("X-RateLimit-Resource-Remaining"), Until: a.header.Get("X-RateLimit-Resource-Until")}
	if a.status != http.StatusOK {
		v.Code, v.Message = errorOf(t, a)
	}
	return v
}

func TestQuota(t *testing.T) {
	f := newFixture(t, Options{Quotas: map[Endpoint]Quota{EndpointGetOrder: {Limit: 3, Period: 50 * time.Millisecond}}})
	var got []limitView
	for range 4 {
		got = append(got, viewLimit(t, f.do("GET", "/v2/campaigns/21000000/orders/1001", "")))
	}
	// Another campaign, and another endpoint of the same campaign, have quotas of their own.
	got = append(got, viewLimit(t, f.do("GET", "/v2/campaigns/22000000/orders/2001", "")))
	got = append(got, viewLimit(t, f.do("GET", "/v2/campaigns/21000000/orders?orderIds=1001", "")))
	// The window ends 50ms after its first request.
	f.clock.Advance(49 * time.Millisecond)
	got = append(got, viewLimit(t, f.do("GET", "/v2/campaigns/21000000/orders/1001", "")))
	f.clock.Advance(time.Millisecond)
	got = append(got, viewLimit(t, f.do("GET", "/v2/campaigns/21000000/orders/1001", "")))

	const until = "Mon, 23 Nov 2026 09:00:01 GMT" // 12:00:00.050 MSK, rounded up
	refused := limitView{420, "3", "0", until, "LIMIT_EXCEEDED", "Hit rate limit of 3 requests per 50ms for resource 28"}
	want := []limitView{
		{200, "3", "2", until, "", ""},
		{200, "3", "1", until, "", ""},
		{200, "3", "0", until, "", ""},
		refused,
		{200, "3", "2", until, "", ""},
		{200, "10000", "9999", "Mon, 23 Nov 2026 10:00:00 GMT", "", ""},
		refused,
		{200, "3", "2", "Mon, 23 Nov 2026 09:00:01 GMT", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestQuotaRefusalIsNotProcessed(t *testing.T) {
	f := newFixture(t, Options{Quotas: map[Endpoint]Quota{EndpointTrack: {Limit: 2, Period: time.Hour}}})
	for _, order := range []string{"1001", "1002"} {
		if a := f.do("POST", "/v2/campaigns/21000000/orders/"+order+"/delivery/track", `{"trackCode": "T`+order+`", "deliveryServiceId": 51}`); a.status != 200 {
			t.Fatalf("HTTP %d: %s", a.status, a.body)
		}
	}
	before, _ := f.srv.Order(1005)
	got := viewLimit(t, f.do("POST", "/v2/campaigns/21000000/orders/1005/delivery/track", `{"trackCode": "T1005", "deliveryServiceId": 51}`))
	want := limitView{420, "2", "0", "Mon, 23 Nov 2026 10:00:00 GMT", "LIMIT_EXCEEDED", "Hit rate limit of 2 requests per hour for resource 136"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	after, _ := f.srv.Order(1005)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the refused track was applied (-want +got):\n%s", diff)
	}
	calls := f.srv.Calls()
	last := calls[len(calls)-1]
	if last.Status != 420 || last.Processed {
		t.Errorf("last call = %+v, want status 420 and not processed", last)
	}
}

func TestDocumentedQuotas(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		method, path, body string
		limit, until       string
	}{
		{"GET", "/v2/campaigns/21000000/orders/1001", "", "10000", "Mon, 23 Nov 2026 10:00:00 GMT"},
		{"GET", "/v2/campaigns/21000000/orders", "", "10000", "Mon, 23 Nov 2026 10:00:00 GMT"},
		{"POST", "/v1/businesses/9000000/orders", "{}", "10000", "Mon, 23 Nov 2026 10:00:00 GMT"},
		{"GET", "/v2/campaigns/21000000", "", "5000", "Mon, 23 Nov 2026 10:00:00 GMT"},
		{"POST", "/v2/campaigns/21000000/orders/1001/delivery/track", `{"trackCode": "X", "deliveryServiceId": 9}`, "10000", "Mon, 23 Nov 2026 10:00:00 GMT"},
		{"POST", "/v1/campaigns/22000000/orders/update-options", `{"id": 2001}`, "10000", "Mon, 23 Nov 2026 10:00:00 GMT"},
		{"POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, ` + customerBody + `}}`, "10000", "Mon, 23 Nov 2026 10:00:00 GMT"},
		{"POST", "/v1/businesses/9000000/operations", `{"operationType": "ORDER_RECIPIENT_UPDATE", "operationIds": ["x"]}`, "1000", "Mon, 23 Nov 2026 10:00:00 GMT"},
		{"POST", "/v1/campaigns/22000000/delivery-options", `{"items": [{"offerId": "A", "count": 1, "warehouseId": 1}], "pickupDelivery": {"logisticPointsIds": [101]}}`,
			"1000", "Mon, 23 Nov 2026 09:01:00 GMT"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := f.do(tt.method, tt.path, tt.body)
			want := limitView{Status: 200, Limit: tt.limit, Remaining: "", Until: tt.until}
			view := viewLimit(t, got)
			view.Remaining = ""
			if diff := cmp.Diff(want, view); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// waitInFlight waits until n requests have arrived (they are recorded on
// arrival) so that the next one meets them in flight.
func waitInFlight(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Calls()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests arrived", len(s.Calls()), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestParallelLimit(t *testing.T) {
	tests := []struct {
		name     string
		opt      Options
		endpoint Endpoint
		method   string
		path     func(i int) string
		body     func(i int) string
		limit    int
	}{
		{"documented 6 for GET order", Options{}, EndpointGetOrder, "GET",
			func(int) string { return "/v2/campaigns/21000000/orders/1001" }, func(int) string { return "" }, 6},
		{"Options.Parallel for track", Options{Parallel: 2}, EndpointTrack, "POST",
			func(i int) string { return "/v2/campaigns/21000000/orders/1001/delivery/track" },
			func(i int) string { return fmt.Sprintf(`{"trackCode": "P%d", "deliveryServiceId": 77}`, i) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opt)
			f.srv.SetLatency(tt.endpoint, 600*time.Millisecond) // long enough to outlast a slow waitInFlight
			var wg sync.WaitGroup
			statuses := make([]int, tt.limit)
			for i := range tt.limit {
				wg.Go(func() {
					a, err := send(f.http.URL, tt.method, tt.path(i), tt.body(i), "sandbox")
					if err != nil {
						t.Error(err)
					}
					statuses[i] = a.status
				})
			}
			waitInFlight(t, f.srv, tt.limit)
			got := viewLimit(t, f.do(tt.method, tt.path(tt.limit), tt.body(tt.limit)))
			// A request for another campaign is not limited by them.
			if tt.endpoint == EndpointGetOrder {
				if a := f.do("GET", "/v2/campaigns/22000000/orders/2001", ""); a.status != 200 {
					t.Errorf("other campaign: HTTP %d", a.status)
				}
			}
			wg.Wait()
			want := limitView{Status: StatusRateLimited, Limit: got.Limit, Remaining: got.Remaining, Until: got.Until,
				Code: "LIMIT_EXCEEDED", Message: fmt.Sprintf("Hit rate limit of %d parallel requests", tt.limit)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request over the parallel limit (-want +got):\n%s", diff)
			}
			if got.Limit == "" || got.Until == "" {
				t.Errorf("420 without rate-limit headers: %+v", got)
			}
			if diff := cmp.Diff(slices.Repeat([]int{200}, tt.limit), statuses); diff != "" {
				t.Errorf("requests within the limit (-want +got):\n%s", diff)
			}
			if refused := f.srv.Calls()[tt.limit]; refused.Processed || refused.Status != StatusRateLimited {
				t.Errorf("refused call recorded as %+v", refused)
			}
			// Once they are done, there is room again.
			f.srv.SetLatency(tt.endpoint, 0)
			if a := f.do(tt.method, tt.path(0), tt.body(tt.limit+1)); a.status != 200 {
				t.Errorf("after the burst: HTTP %d %s", a.status, a.body)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, key string
		status    int
		code, msg string
	}{
		{"no key", "", 401, "UNAUTHORIZED", "no authorization data: send the Api-Key header"},
		{"unknown key", "not-the-key", 403, "FORBIDDEN", "the API key is invalid or has no access to this resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.doKey("POST", "/v2/campaigns/21000000/orders/1001/delivery/track", `{"trackCode": "A", "deliveryServiceId": 5}`, tt.key)
			code, msg := errorOf(t, got)
			if diff := cmp.Diff([]any{tt.status, tt.code, tt.msg}, []any{got.status, code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.header.Get("X-RateLimit-Resource-Remaining") != "10000" {
				t.Errorf("an unauthenticated request counted against the quota: %v", got.header)
			}
		})
	}
	if o, _ := f.srv.Order(1001); len(o.Delivery.Tracks) != 0 {
		t.Errorf("an unauthenticated track was applied: %+v", o.Delivery.Tracks)
	}

	t.Run("keys from Options win over the state's", func(t *testing.T) {
		f := newFixture(t, Options{APIKeys: []string{"k1", "k2"}})
		got := []int{f.doKey("GET", "/v2/campaigns/21000000", "", "sandbox").status,
			f.doKey("GET", "/v2/campaigns/21000000", "", "k2").status}
		if diff := cmp.Diff([]int{403, 200}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("default key sandbox", func(t *testing.T) {
		st := Generate(2, 1)
		st.APIKeys = nil
		f := newFixtureState(t, st, Options{})
		if a := f.do("GET", "/v2/campaigns/21000000/orders/100001", ""); a.status != 200 {
			t.Errorf("HTTP %d %s", a.status, a.body)
		}
	})
}
