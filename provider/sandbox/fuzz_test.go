package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzHandler feeds arbitrary methods, paths, queries and bodies through the
// handler: it must never panic and must always answer JSON, an error
// envelope unless it succeeded.
func FuzzHandler(f *testing.F) {
	seeds := []struct{ method, path, query, body string }{
		{"GET", "/v2/campaigns/21000000/orders/1001", "", ""},
		{"GET", "/v2/campaigns/22000000/orders", "orderIds=2001,2002&limit=1", ""},
		{"GET", "/v2/campaigns/22000000/orders", "status=PROCESSING&pageToken=YWZ0ZXI6MjAwMQ&fromDate=01-11-2026", ""},
		{"POST", "/v1/businesses/9000000/orders", "limit=2", `{"orderIds":[2001,1001],"dates":{"updateDateFrom":"2026-11-01T00:00:00+03:00"}}`},
		{"GET", "/v2/campaigns/22000000", "", ""},
		{"POST", "/v2/campaigns/21000000/orders/1001/delivery/track", "", `{"trackCode":"RP1","deliveryServiceId":51}`},
		{"PUT", "/v2/campaigns/21000000/orders/1001/delivery/date", "", `{"dates":{"toDate":"2026-12-05"},"reason":"PARTNER_MOVED_DELIVERY_DATES"}`},
		{"POST", "/v1/campaigns/22000000/orders/update-options", "", `{"id":2001,"orderUpdateOption":"UPDATE_DELIVERY_INTERVAL"}`},
		{"POST", "/v1/campaigns/22000000/orders/update", "", `{"order":{"id":2001,"deliveryInterval":{"deliveryDateInterval":{"fromDate":"2026-11-27","toDate":"2026-11-27"},"deliveryTimeInterval":{"fromTime":"14:00","toTime":"18:00"}},"customer":{"firstName":"А","lastName":"Б","phone":"+79990001122"}}}`},
		{"POST", "/v1/businesses/9000000/operations", "", `{"operationType":"ORDER_RECIPIENT_UPDATE","operationIds":["x","y"]}`},
		{"POST", "/v1/campaigns/22000000/delivery-options", "", `{"items":[{"offerId":"A","count":1,"warehouseId":1}],"pickupDelivery":{"logisticPointsIds":[101]}}`},
		{"POST", "/v1/campaigns/22000000/orders/update", "", `{"order":{"id":null,"customer":{"firstName":null}}}`},
		{"DELETE", "//v2/campaigns/%00/orders", "orderIds=%zz", "\xff\xfe"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.body, true)
	}
	st, err := LoadState(seedPath)
	if err != nil {
		f.Fatal(err)
	}
	quotasOff := map[Endpoint]Quota{}
	for _, e := range Endpoints() {
		quotasOff[e] = Quota{} // the fuzzer would spend its time on 420s otherwise
	}
	srv := New(st, Options{Quotas: quotasOff, UpdateDelay: time.Millisecond})

	f.Fuzz(func(t *testing.T, method, path, query, body string, withKey bool) {
		if method == "" || strings.ContainsAny(method, " \t\r\n") {
			method = "GET"
		}
		req := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: query},
			Header:     http.Header{},
			Body:       io.NopCloser(strings.NewReader(body)),
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
		}
		req = req.WithContext(t.Context())
		if withKey {
			req.Header.Set("Api-Key", "sandbox")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		srv.ResetCalls() // the record would grow for the whole run

		var answer struct {
			Status string `json:"status"`
			Errors []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("HTTP %d, body is not a JSON object: %v\n%q", rec.Code, err, rec.Body.String())
		}
		if rec.Code/100 != 2 && (answer.Status != "ERROR" || len(answer.Errors) == 0 || answer.Errors[0].Code == "") {
			t.Fatalf("HTTP %d without an error envelope: %s", rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("internal error: %s", rec.Body.String())
		}
	})
}

func BenchmarkGetOrder(b *testing.B) {
	srv := New(Generate(10000, 1), Options{Quotas: map[Endpoint]Quota{EndpointGetOrder: {}}})
	req := httptest.NewRequest("GET", "/v2/campaigns/22000000/orders/105000", nil)
	req.Header.Set("Api-Key", "sandbox")
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("HTTP %d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkBusinessOrders(b *testing.B) {
	srv := New(Generate(10000, 1), Options{Quotas: map[Endpoint]Quota{EndpointBusinessOrders: {}}})
	body := `{"statuses": ["PROCESSING"], "programTypes": ["LAAS"]}`
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/businesses/9000000/orders?limit=50", strings.NewReader(body))
		req.Header.Set("Api-Key", "sandbox")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("HTTP %d %s", rec.Code, rec.Body)
		}
	}
}
