package provider

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// retryRecord is one OnRetry call, without the random delay.
type retryRecord struct {
	Endpoint  string
	Next, Max int
	Err       string
}

// TestOnRetryReportsEachRetry: a user waiting on an API that fails sees
// every retry as it happens, not only the final error.
func TestOnRetryReportsEachRetry(t *testing.T) {
	var calls atomic.Int32
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status":"ERROR","errors":[{"code":"SERVICE_UNAVAILABLE","message":"try later"}]}`))
			return
		}
		w.Write([]byte(`{"campaign":{"id":21000000,"domain":"shop.example","placementType":"DBS","business":{"id":9000000}}}`))
	})
	defer srv.Close()
	var (
		mu  sync.Mutex
		got []retryRecord
	)
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k", Retry: fastRetry, Hooks: Hooks{
		OnRetry: func(endpoint string, err error, next, max int, delay time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if delay < 0 || delay > fastRetry.MaxDelay {
				t.Errorf("OnRetry delay %v outside [0, %v]", delay, fastRetry.MaxDelay)
			}
			got = append(got, retryRecord{endpoint, next, max, err.Error()})
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCampaign(context.Background(), 21000000); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if !strings.Contains(got[i].Err, "503") {
			t.Errorf("retry %d: error %q does not name the status", i, got[i].Err)
		}
		got[i].Err = ""
	}
	want := []retryRecord{{EndpointGetCampaign, 2, 4, ""}, {EndpointGetCampaign, 3, 4, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OnRetry calls (-want +got):\n%s", diff)
	}
}
