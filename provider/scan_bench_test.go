package provider

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/orderform/orderform/provider/sandbox"
)

// BenchmarkScanBusinessOrders decodes one page of 50 orders as the
// emulator answers POST v1/businesses/{businessId}/orders: the client's
// share of every batched read.
func BenchmarkScanBusinessOrders(b *testing.B) {
	st := sandbox.Generate(100, 1)
	srv := sandbox.New(st, sandbox.Options{Quotas: map[sandbox.Endpoint]sandbox.Quota{sandbox.EndpointBusinessOrders: {}}})
	ids := make([]string, 0, 50)
	for _, o := range st.Orders[:50] {
		ids = append(ids, strconv.FormatInt(o.ID, 10))
	}
	req := httptest.NewRequest("POST", "/v1/businesses/9000000/orders?limit=50", strings.NewReader(`{"orderIds":[`+strings.Join(ids, ",")+`]}`))
	req.Header.Set("Api-Key", "sandbox")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("HTTP %d %s", rec.Code, rec.Body)
	}
	page := rec.Body.Bytes()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var r businessOrdersResponse
		if err := decode(page, &r); err != nil || len(r.Orders) != 50 {
			b.Fatalf("%d orders, %v", len(r.Orders), err)
		}
	}
}
