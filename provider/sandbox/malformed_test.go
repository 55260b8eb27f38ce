package sandbox

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// MalformNext answers the next matching requests with a body that is not
// the documented shape, after processing them: a read changes nothing, a
// write takes effect.
func TestMalformNext(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.MalformNext(Fault{Endpoint: EndpointGetOrder, OrderID: 1001})
	f.srv.MalformNext(Fault{Endpoint: EndpointTrack, Body: `{"status": "OK", "result": null}`})

	type result struct {
		Status int
		Body   string
	}
	got := []result{}
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v2/campaigns/21000000/orders/1002", ""}, // another order: not matched
		{"GET", "/v2/campaigns/21000000/orders/1001", ""},
		{"POST", "/v2/campaigns/21000000/orders/1001/delivery/track", `{"trackCode": "M1", "deliveryServiceId": 51}`},
		{"POST", "/v2/campaigns/21000000/orders/1001/delivery/track", `{"trackCode": "M2", "deliveryServiceId": 51}`},
	} {
		a := f.do(r.method, r.path, r.body)
		res := result{Status: a.status}
		if len(a.body) < 60 {
			res.Body = a.body
		}
		got = append(got, res)
	}
	want := []result{
		{200, ""},
		{200, "{}"},
		{200, `{"status": "OK", "result": null}`},
		{200, "{\"status\":\"OK\"}\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	calls := f.srv.Calls()
	if !calls[2].Processed {
		t.Error("the malformed answer's write was not processed")
	}
	o, _ := f.srv.Order(1001)
	if diff := cmp.Diff([]Track{{"M2", 51}}, o.Delivery.Tracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}
}
