package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/internal/contract"
)

func TestNewChecksEndpoint(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		ok       bool
	}{
		{"", true},
		{"https://api.partner.market.yandex.ru", true},
		{"https://api.partner.market.yandex.ru/", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.1.2.3", true},
		{"http://localhost:9000", true},
		{"http://LOCALHOST", true},
		{"http://[::1]:9000", true},
		{"http://api.partner.market.yandex.ru", false},
		{"http://10.0.0.1:8080", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"ftp://localhost", false},
		{"api.partner.market.yandex.ru", false},
		{"https://user:secret@api.partner.market.yandex.ru", false},
	} {
		_, err := New(Config{Endpoint: tc.endpoint, APIKey: "k"})
		if (err == nil) != tc.ok {
			t.Errorf("New(Endpoint: %q) error = %v, want ok = %v", tc.endpoint, err, tc.ok)
		}
	}
}

func TestNewChecksQuotas(t *testing.T) {
	for _, q := range []map[string]Quota{
		{"tracks": {1, time.Second}},
		{EndpointTrack: {0, time.Second}},
		{EndpointTrack: {1, 0}},
	} {
		if _, err := New(Config{Quotas: q}); err == nil {
			t.Errorf("New(Quotas: %v) succeeded, want an error", q)
		}
	}
	if _, err := New(Config{Parallel: -1}); err == nil {
		t.Error("New(Parallel: -1) succeeded, want an error")
	}
}

// fastRetry keeps retry tests quick.
var fastRetry = RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

func TestWriteTimeoutIsOutcomeUnknownAndNotResent(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
	})
	defer srv.Close()
	defer close(release)
	c, err := New(Config{
		Endpoint:   srv.URL,
		APIKey:     "k",
		HTTPClient: &http.Client{Timeout: 50 * time.Millisecond},
		Retry:      fastRetry,
	})
	if err != nil {
		t.Fatal(err)
	}
	err = c.SetTrack(context.Background(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51})
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("SetTrack after a timeout: %v, want ErrOutcomeUnknown", err)
	}
	if !strings.HasPrefix(err.Error(), "set track for order 1001: ") {
		t.Errorf("error %q does not name the operation", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("server saw %d requests, want exactly 1", n)
	}
}

func TestWriteNotSentIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Write([]byte(`{"status":"OK"}`))
	})
	defer srv.Close()
	// The first dial fails as a refused connection would: nothing was sent.
	var dials atomic.Int32
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return dial(ctx, network, addr)
	}
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k", HTTPClient: &http.Client{Transport: tr}, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetTrack(context.Background(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51}); err != nil {
		t.Fatalf("SetTrack after a refused connection: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("server saw %d requests, want exactly 1", n)
	}
}

func TestWriteToUnreachableServerIsNotUnknown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c, err := New(Config{Endpoint: "http://" + addr, APIKey: "k", Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	err = c.SetTrack(context.Background(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51})
	if err == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("SetTrack to a closed port: %v, want an error that is not ErrOutcomeUnknown", err)
	}
}

func TestErrorWithoutEnvelope(t *testing.T) {
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, "<html>bad request for key secret-key-123</html>")
	})
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, APIKey: "secret-key-123"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCampaign(context.Background(), 21000000)
	apiErr, ok := AsAPIError(err)
	if !ok {
		t.Fatalf("GetCampaign: %v, want an APIError", err)
	}
	want := &APIError{
		StatusCode: http.StatusBadRequest,
		Endpoint:   "GET v2/campaigns/{campaignId}",
		CampaignID: 21000000,
		Errors:     []ErrorEntry{{Message: "<html>bad request for key REDACTED</html>"}},
	}
	if diff := cmp.Diff(want, apiErr); diff != "" {
		t.Errorf("APIError mismatch (-want +got):\n%s", diff)
	}
	if !apiErr.Rejected() || apiErr.RateLimited() || apiErr.NotFound() || apiErr.AuthFailed() {
		t.Errorf("a 400 should be Rejected only: %+v", apiErr)
	}
}

func TestReadRetriesCutShortBody(t *testing.T) {
	var calls atomic.Int32
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			// Promise more than is sent, then hang up.
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte(`{"campaign":{"id":`))
			return
		}
		w.Write([]byte(`{"campaign":{"id":21000000,"domain":"shop.example","placementType":"DBS","business":{"id":9000000}}}`))
	})
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k", Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetCampaign(context.Background(), 21000000)
	if err != nil {
		t.Fatal(err)
	}
	want := Campaign{ID: 21000000, BusinessID: 9000000, Model: ModelDBS, Name: "shop.example"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("campaign mismatch (-want +got):\n%s", diff)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestRequestBodyLimit(t *testing.T) {
	c, err := New(Config{Endpoint: "http://127.0.0.1:1", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	items := make([]Item, 20000)
	for i := range items {
		items[i] = Item{OfferID: strings.Repeat("x", 30), Count: 1, WarehouseID: 1}
	}
	_, err = c.DeliveryOptions(context.Background(), 22000000, DeliveryOptionsRequest{Items: items, CourierAddress: "Moscow"})
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("DeliveryOptions with a huge body: %v, want a body size error before sending", err)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var leaked atomic.Bool
	elsewhere := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Api-Key") != "" {
			leaked.Store(true)
		}
		w.Write([]byte(`{"status":"OK"}`))
	})
	defer elsewhere.Close()
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	})
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k", HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.SetTrack(context.Background(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51})
	if apiErr, ok := AsAPIError(err); !ok || apiErr.StatusCode != http.StatusFound {
		t.Errorf("SetTrack answered by a redirect: %v, want an APIError with HTTP 302", err)
	}
	if leaked.Load() {
		t.Error("the API key was sent to the redirect target")
	}
}

// A write whose TLS handshake fails never left: the error is not
// ErrOutcomeUnknown, also through a transport that wraps the standard one
// and passes requests on unchanged (the contract checker of these tests):
// httptrace's GotConn still tells a request that left from one that did not.
func TestWriteRefusedByTLSThroughAWrapperIsNotUnknown(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the request reached the server: %s %s", r.Method, r.URL.Path)
	}))
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is logged
	// The client does not trust the test server's certificate.
	hc := &http.Client{Transport: contract.Transport(http.DefaultTransport.(*http.Transport).Clone(), contract.Errorf(t))}
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k", Retry: fastRetry, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	err = c.SetTrack(context.Background(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51})
	if err == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("SetTrack refused at the handshake: %v, want an error that is not ErrOutcomeUnknown", err)
	}
}
