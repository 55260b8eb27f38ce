package sandbox

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFailNext(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.FailNext(Fault{Endpoint: EndpointTrack, OrderID: 1001, Count: 2, Status: 503})
	f.srv.FailNext(Fault{Endpoint: EndpointGetCampaign, Status: StatusRateLimited})
	f.srv.FailNext(Fault{Endpoint: EndpointUpdate, OrderID: 2001, Status: 400})

	type result struct {
		Status    int
		Code      string
		Processed bool
	}
	run := func(method, path, body string) result {
		a := f.do(method, path, body)
		r := result{Status: a.status}
		if a.status != 200 {
			r.Code, _ = errorOf(t, a)
		}
		calls := f.srv.Calls()
		r.Processed = calls[len(calls)-1].Processed
		return r
	}
	track := func(order, code string) result {
		return run("POST", "/v2/campaigns/21000000/orders/"+order+"/delivery/track", `{"trackCode": "`+code+`", "deliveryServiceId": 51}`)
	}
	got := []result{
		track("1001", "A1"),
		track("1002", "B1"), // another order: not matched
		track("1001", "A2"),
		track("1001", "A3"), // the fault is used up
		run("GET", "/v2/campaigns/22000000", ""),
		run("GET", "/v2/campaigns/22000000", ""),
		run("POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, `+customerBody+`}}`),
	}
	want := []result{
		{503, "INTERNAL_ERROR", false},
		{200, "", true},
		{503, "INTERNAL_ERROR", false},
		{200, "", true},
		{420, "LIMIT_EXCEEDED", false},
		{200, "", true},
		{400, "BAD_REQUEST", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	o, _ := f.srv.Order(1001)
	if diff := cmp.Diff([]Track{{"A3", 51}}, o.Delivery.Tracks); diff != "" {
		t.Errorf("failed requests were applied (-want +got):\n%s", diff)
	}
	if ops := f.srv.Snapshot().Operations; len(ops) != 0 {
		t.Errorf("a failed update started operations: %+v", ops)
	}
}

func TestDropAfterProcessing(t *testing.T) {
	f := newFixture(t, Options{UpdateDelay: time.Minute})
	f.srv.DropAfterProcessing(Fault{Endpoint: EndpointUpdate, OrderID: 2001})
	f.srv.DropAfterProcessing(Fault{Endpoint: EndpointTrack})

	// A refused request is not "processed then dropped": it answers.
	if a := f.do("POST", "/v2/campaigns/21000000/orders/1003/delivery/track", `{"trackCode": "X", "deliveryServiceId": 51}`); a.status != 400 {
		t.Errorf("refused track: HTTP %d", a.status)
	}
	_, err := send(f.http.URL, "POST", "/v2/campaigns/21000000/orders/1001/delivery/track", `{"trackCode": "DROP1", "deliveryServiceId": 51}`, "sandbox")
	if err == nil {
		t.Error("dropped track answered")
	}
	_, err = send(f.http.URL, "POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, `+customerBody+`}}`, "sandbox")
	if err == nil {
		t.Error("dropped update answered")
	}
	// Both took effect.
	o, _ := f.srv.Order(1001)
	if diff := cmp.Diff([]Track{{"DROP1", 51}}, o.Delivery.Tracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}
	ops := f.srv.Snapshot().Operations
	if len(ops) != 1 || ops[0].OrderID != 2001 || ops[0].Status != OperationInProgress {
		t.Errorf("operations = %+v, want one pending for 2001", ops)
	}
	var dropped []bool
	for _, c := range f.srv.Calls() {
		dropped = append(dropped, c.Dropped && c.Processed && c.Status == 200)
	}
	if diff := cmp.Diff([]bool{false, true, true}, dropped); diff != "" {
		t.Errorf("calls dropped (-want +got):\n%s", diff)
	}
	// The faults are used up: the next write answers.
	if a := f.do("POST", "/v2/campaigns/21000000/orders/1002/delivery/track", `{"trackCode": "OK2", "deliveryServiceId": 51}`); a.status != 200 {
		t.Errorf("HTTP %d %s", a.status, a.body)
	}
}

func TestLatency(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.SetLatency(EndpointGetCampaign, 80*time.Millisecond)
	start := time.Now()
	if a := f.do("GET", "/v2/campaigns/21000000", ""); a.status != 200 {
		t.Fatalf("HTTP %d", a.status)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("answered in %v, want at least 80ms", d)
	}
	start = time.Now()
	f.do("GET", "/v2/campaigns/21000000/orders/1001", "") // other endpoints are not delayed
	if d := time.Since(start); d > 70*time.Millisecond {
		t.Errorf("GET order took %v", d)
	}

	t.Run("a client that gives up first leaves the write unprocessed", func(t *testing.T) {
		f.srv.SetLatency(EndpointTrack, 300*time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", f.http.URL+"/v2/campaigns/21000000/orders/1001/delivery/track",
			strings.NewReader(`{"trackCode": "LATE", "deliveryServiceId": 51}`))
		req.Header.Set("Api-Key", "sandbox")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatal("the request did not time out")
		}
		time.Sleep(500 * time.Millisecond) // past the latency: a live handler would have applied it
		if o, _ := f.srv.Order(1001); len(o.Delivery.Tracks) != 0 {
			t.Errorf("tracks = %+v, want none", o.Delivery.Tracks)
		}
		calls := f.srv.Calls()
		if last := calls[len(calls)-1]; last.Processed || last.Status != 0 {
			t.Errorf("call = %+v, want unprocessed without status", last)
		}
	})

	// A real server that has read the whole request processes it, whoever
	// waits for the answer: a client killed with its write on the wire
	// cannot know whether it took effect.
	t.Run("with ProcessAbandoned the write is processed all the same", func(t *testing.T) {
		f := newFixture(t, Options{ProcessAbandoned: true})
		f.srv.SetLatency(EndpointTrack, 100*time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", f.http.URL+"/v2/campaigns/21000000/orders/1001/delivery/track",
			strings.NewReader(`{"trackCode": "LATE", "deliveryServiceId": 51}`))
		req.Header.Set("Api-Key", "sandbox")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatal("the request did not time out")
		}
		var last Call
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			calls := f.srv.Calls()
			if last = calls[len(calls)-1]; last.Processed {
				break
			}
		}
		if !last.Processed || last.Status != 200 {
			t.Fatalf("call = %+v, want processed with 200", last)
		}
		if o, _ := f.srv.Order(1001); len(o.Delivery.Tracks) != 1 || o.Delivery.Tracks[0].TrackCode != "LATE" {
			t.Errorf("tracks = %+v, want the abandoned write's", o.Delivery.Tracks)
		}
	})
}

func TestCalls(t *testing.T) {
	f := newFixture(t, Options{})
	f.do("GET", "/v2/campaigns/22000000/orders?orderIds=2001,2002", "")
	f.do("POST", "/v1/businesses/9000000/orders", `{"orderIds": [1001]}`)
	f.do("POST", "/v1/campaigns/22000000/orders/update-options", `{"id": 2001}`)
	f.doKey("GET", "/v2/campaigns/21000000/orders/1001", "", "")
	at := newClock().Now()
	want := []Call{
		{Time: at, Method: "GET", Path: "/v2/campaigns/22000000/orders", Query: "orderIds=2001,2002", Endpoint: EndpointListOrders,
			CampaignID: 22000000, BusinessID: 9000000, OrderIDs: []int64{2001, 2002}, Body: []byte{}, Status: 200, Processed: true},
		{Time: at, Method: "POST", Path: "/v1/businesses/9000000/orders", Endpoint: EndpointBusinessOrders,
			BusinessID: 9000000, OrderIDs: []int64{1001}, Body: []byte(`{"orderIds": [1001]}`), Status: 200, Processed: true},
		{Time: at, Method: "POST", Path: "/v1/campaigns/22000000/orders/update-options", Endpoint: EndpointUpdateOptions,
			CampaignID: 22000000, BusinessID: 9000000, OrderIDs: []int64{2001}, Body: []byte(`{"id": 2001}`), Status: 200, Processed: true},
		{Time: at, Method: "GET", Path: "/v2/campaigns/21000000/orders/1001", Endpoint: EndpointGetOrder,
			CampaignID: 21000000, BusinessID: 9000000, OrderIDs: []int64{1001}, Body: []byte{}, Status: 401},
	}
	if diff := cmp.Diff(want, f.srv.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	f.srv.ResetCalls()
	if n := len(f.srv.Calls()); n != 0 {
		t.Errorf("%d calls after ResetCalls", n)
	}
}
