package contract

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orderform/orderform/provider/sandbox"
)

// answering is a server that answers every request with status and body.
func answering(t *testing.T, status int, contentType, body string) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(hs.Close)
	return hs
}

// roundTrip sends one request through a Transport and returns what it
// reported.
func roundTrip(t *testing.T, ctx context.Context, hs *httptest.Server, method, path, body string) []Violation {
	t.Helper()
	var rec Recorder
	c := &http.Client{Transport: Transport(nil, rec.Report)}
	req, err := http.NewRequestWithContext(ctx, method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Api-Key", "k")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return rec.Violations()
}

// ignoreReason: kin-openapi's wording is its own; where, what and which
// rule are the contract.
var ignoreReason = cmpopts.IgnoreFields(Violation{}, "Reason")

const (
	trackPath = "/v2/campaigns/21000000/orders/1001/delivery/track"
	trackOp   = "setOrderDeliveryTrackCode"
	trackRte  = "POST /v2/campaigns/{campaignId}/orders/{orderId}/delivery/track"
)

func TestTransportPassesAValidExchange(t *testing.T) {
	hs := answering(t, 200, "application/json", `{"status":"OK"}`)
	if vs := roundTrip(t, context.Background(), hs, "POST", trackPath, `{"trackCode":"RP1","deliveryServiceId":51}`); len(vs) != 0 {
		t.Errorf("a valid request and answer reported: %v", vs)
	}
}

func TestTransportCatchesARequestBodyOfTheWrongType(t *testing.T) {
	hs := answering(t, 200, "application/json", `{"status":"OK"}`)
	got := roundTrip(t, context.Background(), hs, "POST", trackPath, `{"trackCode":12,"deliveryServiceId":"51"}`)
	want := []Violation{
		{Operation: trackOp, Route: trackRte, Message: "request", In: "body", Pointer: "/deliveryServiceId", Keyword: "type", Value: `"51"`},
		{Operation: trackOp, Route: trackRte, Message: "request", In: "body", Pointer: "/trackCode", Keyword: "type", Value: `12`},
	}
	if diff := cmp.Diff(want, got, ignoreReason, cmpopts.SortSlices(func(a, b Violation) bool { return a.Pointer < b.Pointer })); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}

func TestTransportCatchesAnAnswerMissingARequiredField(t *testing.T) {
	hs := answering(t, 200, "application/json", `{}`)
	got := roundTrip(t, context.Background(), hs, "POST", trackPath, `{"trackCode":"RP1","deliveryServiceId":51}`)
	want := []Violation{{Operation: trackOp, Route: trackRte, Message: "response 200", In: "body", Pointer: "/status", Keyword: "required", Value: `{}`}}
	if diff := cmp.Diff(want, got, ignoreReason); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}

func TestTransportCatchesAnUndocumentedField(t *testing.T) {
	hs := answering(t, 200, "application/json", `{"status":"OK"}`)
	got := roundTrip(t, context.Background(), hs, "POST", trackPath, `{"trackCode":"RP1","deliveryServiceId":51,"deliveryServiceID":51}`)
	want := []Violation{{Operation: trackOp, Route: trackRte, Message: "request", In: "body", Pointer: "/deliveryServiceID", Keyword: "additionalProperties", Value: `51`}}
	if diff := cmp.Diff(want, got, ignoreReason); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}

func TestTransportCatchesQueryAndPathParameters(t *testing.T) {
	hs := answering(t, 200, "application/json", `{"orders":[],"paging":{}}`)
	got := roundTrip(t, context.Background(), hs, "GET", "/v2/campaigns/0/orders?orderIds=1,2&limit=500", "")
	for _, want := range []struct{ in, pointer string }{{"path", "campaignId"}, {"query", "orderIds"}, {"query", "limit"}} {
		found := false
		for _, v := range got {
			found = found || v.In == want.in && strings.HasPrefix(v.Pointer, want.pointer)
		}
		if !found {
			t.Errorf("no violation of %s parameter %s in %v", want.in, want.pointer, got)
		}
	}
}

func TestTransportCatchesAnUndocumentedRouteAndStatus(t *testing.T) {
	hs := answering(t, 418, "application/json", `{"status":"ERROR","errors":[{"code":"TEAPOT","message":"no"}]}`)
	got := roundTrip(t, context.Background(), hs, "DELETE", trackPath, "")
	want := []Violation{{Route: "DELETE " + trackPath, Message: "request"}}
	if diff := cmp.Diff(want, got, ignoreReason); diff != "" {
		t.Errorf("a method the spec does not have (-want +got):\n%s", diff)
	}
	got = roundTrip(t, context.Background(), hs, "POST", trackPath, `{"trackCode":"RP1","deliveryServiceId":51}`)
	want = []Violation{{Operation: trackOp, Route: trackRte, Message: "response 418", Keyword: "status"}}
	if diff := cmp.Diff(want, got, ignoreReason); diff != "" {
		t.Errorf("a status the spec does not have (-want +got):\n%s", diff)
	}
}

func TestTransportChecksErrorEnvelopes(t *testing.T) {
	for _, status := range []int{400, 404, 420, 500, 503} {
		hs := answering(t, status, "application/json", `{"status":"ERROR","errors":[]}`)
		got := roundTrip(t, context.Background(), hs, "POST", trackPath, `{"trackCode":"RP1","deliveryServiceId":51}`)
		if len(got) != 1 || got[0].Pointer != "/errors" || got[0].Keyword != "minItems" {
			t.Errorf("HTTP %d with no errors: got %v, want one minItems violation at /errors", status, got)
		}
	}
}

func TestOnPurposeExcusesOnlyTheNamedPointer(t *testing.T) {
	hs := answering(t, 200, "application/json", `{"status":"OK"}`)
	ctx := OnPurpose(context.Background(), "/trackCode")
	got := roundTrip(t, ctx, hs, "POST", trackPath, `{"trackCode":12,"deliveryServiceId":"51"}`)
	if len(got) != 1 || got[0].Pointer != "/deliveryServiceId" {
		t.Errorf("got %v, want only the violation at /deliveryServiceId", got)
	}
}

func TestTransportLeavesTheExchangeAsItWas(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 100)
		n, _ := r.Body.Read(b)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"OK","echo":` + string(b[:n]) + `}`))
	}))
	defer hs.Close()
	c := &http.Client{Transport: Transport(nil, func([]Violation) {})}
	resp, err := c.Post(hs.URL+trackPath, "application/json", strings.NewReader(`"sent"`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"status":"OK","echo":"sent"}`; string(b) != want {
		t.Errorf("the client read %q, want %q", b, want)
	}
}

// serve sends one request to next wrapped in a Handler and returns what it
// reported.
func serve(t *testing.T, mode Mode, next http.Handler, method, path, body string) []Violation {
	t.Helper()
	var rec Recorder
	hs := httptest.NewServer(Handler(next, mode, rec.Report))
	defer hs.Close()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Api-Key", "k")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	hs.Close() // the handler has returned: its report is in
	return rec.Violations()
}

func TestHandlerCatchesAnAnswerMissingARequiredField(t *testing.T) {
	// An order without its id and with a date in the wrong format.
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"order":{"status":"PROCESSING","delivery":{"dates":{"fromDate":"2026-11-26"}}}}`))
	})
	got := serve(t, Both, next, "GET", "/v2/campaigns/21000000/orders/1001", "")
	route := "GET /v2/campaigns/{campaignId}/orders/{orderId}"
	var pointers []string
	for _, v := range got {
		if v.Operation != "getOrder" || v.Route != route || v.Message != "response 200" || v.In != "body" {
			t.Errorf("violation %v: want getOrder's response 200 body", v)
		}
		pointers = append(pointers, v.Pointer+" "+v.Keyword)
	}
	for _, want := range []string{"/order/id required", `/order/delivery/dates/fromDate format`} {
		found := false
		for _, p := range pointers {
			found = found || p == want
		}
		if !found {
			t.Errorf("no violation %q among %q", want, pointers)
		}
	}
}

func TestHandlerChecksRequestsUnlessAnswersOnly(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(`{"status":"ERROR","errors":[{"code":"BAD_REQUEST","message":"trackCode"}]}`))
	})
	got := serve(t, Both, next, "POST", trackPath, `{"deliveryServiceId":51}`)
	want := []Violation{{Operation: trackOp, Route: trackRte, Message: "request", In: "body", Pointer: "/trackCode", Keyword: "required", Value: `{"deliveryServiceId":51}`}}
	if diff := cmp.Diff(want, got, ignoreReason); diff != "" {
		t.Errorf("Both (-want +got):\n%s", diff)
	}
	if got := serve(t, Answers, next, "POST", trackPath, `{"deliveryServiceId":51}`); len(got) != 0 {
		t.Errorf("Answers reported the request: %v", got)
	}
}

func TestHandlerChecksAnswersToPathsTheSpecLacks(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []Violation
	}{
		{"the envelope", `{"status":"ERROR","errors":[{"code":"NOT_FOUND","message":"no method"}]}`, nil},
		{"not the envelope", `{"error":"not found"}`, []Violation{
			{Route: "GET /v2/nowhere", Message: "response 404", In: "body", Pointer: "/status", Keyword: "required", Value: `{"error":"not found"}`}}},
	} {
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			w.Write([]byte(tc.body))
		})
		got := serve(t, Answers, next, "GET", "/v2/nowhere", "")
		if diff := cmp.Diff(tc.want, got, ignoreReason); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestRecorderErrNamesEveryViolation(t *testing.T) {
	var rec Recorder
	if err := rec.Err(); err != nil {
		t.Errorf("nothing recorded: %v", err)
	}
	rec.Report([]Violation{{Operation: "getOrder", Route: "GET /v2/campaigns/{campaignId}/orders/{orderId}", Message: "response 200",
		In: "body", Pointer: "/order/id", Keyword: "type", Value: `"1001"`, Reason: "value must be an integer"}})
	want := `getOrder (GET /v2/campaigns/{campaignId}/orders/{orderId}): response 200 body /order/id = "1001": value must be an integer`
	if err := rec.Err(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Err() = %v, want it to contain %q", err, want)
	}
}

func TestHandlerLeavesTheSandboxsDeliberateAnswersUnchecked(t *testing.T) {
	if deliberateHeader != sandbox.FaultHeader {
		t.Fatalf("deliberateHeader %q is not the sandbox's FaultHeader %q", deliberateHeader, sandbox.FaultHeader)
	}
	st, err := sandbox.LoadState("../../testdata/sandbox-small.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{"k"}})
	campaign := "/v2/campaigns/21000000"
	if got := serve(t, Both, srv, "GET", campaign, ""); len(got) != 0 {
		t.Fatalf("the sandbox's campaign: %v", got)
	}
	srv.MalformNext(sandbox.Fault{Endpoint: sandbox.EndpointGetCampaign, Body: `{"campaign":{"id":"21000000"}}`})
	if got := serve(t, Both, srv, "GET", campaign, ""); len(got) != 0 {
		t.Errorf("an answer malformed on purpose was checked: %v", got)
	}
}

func TestHandlerChecksNoAnswerWhenTheClientLeft(t *testing.T) {
	arrived := make(chan struct{})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done() // as the sandbox does during its latency
	})
	var rec Recorder
	hs := httptest.NewServer(Handler(next, Both, rec.Report))
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", hs.URL+"/v2/campaigns/21000000", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Api-Key", "k")
	go func() {
		<-arrived
		cancel()
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request was answered")
	}
	hs.Close()
	if vs := rec.Violations(); len(vs) != 0 {
		t.Errorf("an answer nobody received was checked: %v", vs)
	}
}

// failing is a testing.TB that keeps what Errorf was given.
type failing struct {
	testing.TB
	errors []string
}

func (f *failing) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestErrorfFailsTheTestWithEachViolation(t *testing.T) {
	f := &failing{TB: t}
	hs := answering(t, 200, "application/json", `{}`)
	c := &http.Client{Transport: Transport(nil, Errorf(f))}
	resp, err := c.Post(hs.URL+trackPath, "application/json", strings.NewReader(`{"trackCode":12,"deliveryServiceId":51}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(f.errors) != 2 {
		t.Fatalf("Errorf called %d times, want once for the request and once for the answer: %q", len(f.errors), f.errors)
	}
	for i, want := range []string{
		"setOrderDeliveryTrackCode (" + trackRte + "): request body /trackCode = 12: ",
		"setOrderDeliveryTrackCode (" + trackRte + "): response 200 body /status = {}: ",
	} {
		if !strings.Contains(f.errors[i], want) {
			t.Errorf("report %d = %q, want it to contain %q", i, f.errors[i], want)
		}
	}
}

func TestHandlerRequestsChecksTheRequestAndNeverTheAnswer(t *testing.T) {
	// Answers no spec allows: a success that is not JSON, a status the
	// spec lacks with a body that is not the envelope, a dropped
	// connection.
	answers := map[string]http.HandlerFunc{
		"garbage": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("{not json"))
		},
		"418": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(418)
			w.Write([]byte(`{"teapot":true}`))
		},
		"dropped": func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		},
	}
	for name, next := range answers {
		t.Run(name, func(t *testing.T) {
			var both Recorder
			hs := httptest.NewServer(Handler(next, Both, both.Report))
			send(t, hs, "POST", trackPath, `{"trackCode":"RP1","deliveryServiceId":51}`)
			hs.Close()
			if name != "dropped" && len(both.Violations()) == 0 {
				t.Fatalf("Both found nothing wrong with the answer: the case proves nothing")
			}

			var valid Recorder
			hs = httptest.NewServer(Handler(next, Requests, valid.Report))
			send(t, hs, "POST", trackPath, `{"trackCode":"RP1","deliveryServiceId":51}`)
			hs.Close()
			if vs := valid.Violations(); len(vs) != 0 {
				t.Errorf("Requests reported a valid request or its answer: %v", vs)
			}

			var invalid Recorder
			hs = httptest.NewServer(Handler(next, Requests, invalid.Report))
			send(t, hs, "POST", trackPath, `{"deliveryServiceId":51}`)
			hs.Close()
			want := []Violation{{Operation: trackOp, Route: trackRte, Message: "request", In: "body", Pointer: "/trackCode", Keyword: "required", Value: `{"deliveryServiceId":51}`}}
			if diff := cmp.Diff(want, invalid.Violations(), ignoreReason); diff != "" {
				t.Errorf("Requests, an invalid request (-want +got):\n%s", diff)
			}
		})
	}
}

// send sends one request to hs, whatever comes of it.
func send(t *testing.T, hs *httptest.Server, method, path, body string) {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Api-Key", "k")
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
