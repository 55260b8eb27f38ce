package sandbox

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoutesRecorded: each path of the table reaches its endpoint, recorded
// with the path's IDs and the orders the request names.
func TestRoutesRecorded(t *testing.T) {
	tests := []struct {
		method, path, body string
		want               Call
	}{
		{"GET", "/v2/campaigns/21000000/orders/1001", "", Call{Endpoint: EndpointGetOrder, CampaignID: 21000000, BusinessID: 9000000, OrderIDs: []int64{1001}}},
		{"GET", "/v2/campaigns/22000000/orders?orderIds=2001,2002", "", Call{Endpoint: EndpointListOrders, CampaignID: 22000000, BusinessID: 9000000, OrderIDs: []int64{2001, 2002}}},
		{"POST", "/v1/businesses/9000000/orders", `{"orderIds": [1001, 2001]}`, Call{Endpoint: EndpointBusinessOrders, BusinessID: 9000000, OrderIDs: []int64{1001, 2001}}},
		{"GET", "/v2/campaigns/22000000", "", Call{Endpoint: EndpointGetCampaign, CampaignID: 22000000, BusinessID: 9000000}},
		{"POST", "/v2/campaigns/21000000/orders/1001/delivery/track", `{"trackCode": "X1", "deliveryServiceId": 51}`, Call{Endpoint: EndpointTrack, CampaignID: 21000000, BusinessID: 9000000, OrderIDs: []int64{1001}}},
		{"PUT", "/v2/campaigns/21000000/orders/1001/delivery/date", dateBody("2026-12-05", "USER_MOVED_DELIVERY_DATES"), Call{Endpoint: EndpointDeliveryDate, CampaignID: 21000000, BusinessID: 9000000, OrderIDs: []int64{1001}}},
		{"POST", "/v1/campaigns/22000000/orders/update-options", `{"id": 2001}`, Call{Endpoint: EndpointUpdateOptions, CampaignID: 22000000, BusinessID: 9000000, OrderIDs: []int64{2001}}},
		{"POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, ` + customerBody + `}}`, Call{Endpoint: EndpointUpdate, CampaignID: 22000000, BusinessID: 9000000, OrderIDs: []int64{2001}}},
		{"POST", "/v1/businesses/9000000/operations", `{"operationIds": ["x"]}`, Call{Endpoint: EndpointOperations, BusinessID: 9000000}},
		{"POST", "/v1/campaigns/22000000/delivery-options", `{}`, Call{Endpoint: EndpointDeliveryOptions, CampaignID: 22000000, BusinessID: 9000000}},
	}
	seen := map[Endpoint]bool{}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			f := newFixture(t, Options{})
			f.do(tt.method, tt.path, tt.body)
			calls := f.srv.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls recorded, want 1", len(calls))
			}
			c := calls[0]
			if !c.Processed {
				t.Errorf("not processed: HTTP %d", c.Status)
			}
			got := Call{Endpoint: c.Endpoint, CampaignID: c.CampaignID, BusinessID: c.BusinessID, OrderIDs: c.OrderIDs}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("call (-want +got):\n%s", diff)
			}
			if got, _, _ := strings.Cut(tt.path, "?"); c.Path != got || c.Method != tt.method {
				t.Errorf("recorded %s %s", c.Method, c.Path)
			}
			seen[c.Endpoint] = true
		})
	}
	for _, e := range Endpoints() {
		if !seen[e] {
			t.Errorf("endpoint %s not exercised: add a case", e)
		}
	}
}

// TestRoutesRefused: what the mux would answer its own way (a redirect for
// an unclean path, a GET handler for HEAD, a plain-text 405) the API answers
// with its envelope.
func TestRoutesRefused(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		method, path string
		status       int
		code, msg    string
		endpoint     Endpoint
	}{
		{"GET", "/v2/campaigns/21000000/orders/../orders/1001", 404, "NOT_FOUND", "no method at /v2/campaigns/21000000/orders/../orders/1001", ""},
		{"GET", "//v2/campaigns/21000000", 404, "NOT_FOUND", "no method at //v2/campaigns/21000000", ""},
		{"GET", "/v2/campaigns/21000000/", 404, "NOT_FOUND", "no method at /v2/campaigns/21000000/", ""},
		{"HEAD", "/v2/campaigns/21000000", 405, "", "", EndpointGetCampaign},
		{"DELETE", "/v2/campaigns/21000000/orders/1001/delivery/date", 405, "METHOD_NOT_ALLOWED",
			"/v2/campaigns/21000000/orders/1001/delivery/date takes PUT, not DELETE", EndpointDeliveryDate},
		{"PUT", "/v2/campaigns/21000000/orders/1001/delivery/track", 405, "METHOD_NOT_ALLOWED",
			"/v2/campaigns/21000000/orders/1001/delivery/track takes POST, not PUT", EndpointTrack},
		{"PUT", "/v2/campaigns/21000000/orders/x/delivery/date", 400, "BAD_REQUEST",
			`path parameter orderId must be a positive integer, got "x"`, EndpointDeliveryDate},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			f.srv.ResetCalls()
			req, err := http.NewRequest(tt.method, f.http.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Path = tt.path // as sent: no cleaning on the way
			req.Header.Set("Api-Key", "sandbox")
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("Location") != "" {
				t.Errorf("redirected to %s", resp.Header.Get("Location"))
			}
			calls := f.srv.Calls()
			if len(calls) != 1 || calls[0].Endpoint != tt.endpoint || calls[0].Processed {
				t.Errorf("calls = %+v, want one unprocessed call to %q", calls, tt.endpoint)
			}
			if tt.method == http.MethodHead {
				if resp.StatusCode != tt.status || len(body) != 0 {
					t.Errorf("HTTP %d with %d bytes, want %d without a body", resp.StatusCode, len(body), tt.status)
				}
				return
			}
			code, msg := errorOf(t, answer{status: resp.StatusCode, body: string(body)})
			if diff := cmp.Diff([]any{tt.status, tt.code, tt.msg}, []any{resp.StatusCode, code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
