package provider

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hookLog records, in order, the BeforeSend and NotProcessed calls of one
// write, and what the server saw between them.
type hookLog struct {
	mu  sync.Mutex
	got []string
}

func (l *hookLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, s)
}

func (l *hookLog) ctx() context.Context {
	ctx := BeforeSend(context.Background(), func() error { l.add("leaving"); return nil })
	return NotProcessed(ctx, func(err error) {
		what := "not processed"
		if ae, ok := AsAPIError(err); ok && ae.RateLimited() {
			what += ": 420"
		}
		l.add(what)
	})
}

// A write the Market refuses with a 420 was not processed: NotProcessed
// tells the caller before the retry waits its turn (so a journal can close
// the attempt's intent), and the retry calls BeforeSend again. The last
// attempt's refusal is the call's error and is not reported twice.
func TestNotProcessedBeforeEachRetryOfAWrite(t *testing.T) {
	var log hookLog
	var calls atomic.Int32
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		log.add(fmt.Sprintf("server %d", n))
		if n <= 2 {
			w.WriteHeader(StatusRateLimited)
			w.Write([]byte(`{"status":"ERROR","errors":[{"code":"LIMIT_EXCEEDED","message":"Hit rate limit of 6 parallel requests"}]}`))
			return
		}
		w.Write([]byte(`{"status":"OK"}`))
	})
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k", Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetTrack(log.ctx(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51}); err != nil {
		t.Fatal(err)
	}
	want := []string{"leaving", "server 1", "not processed: 420", "leaving", "server 2", "not processed: 420", "leaving", "server 3"}
	if diff := cmp.Diff(want, log.got); diff != "" {
		t.Errorf("hooks and requests (-want +got):\n%s", diff)
	}

	t.Run("the last attempt's refusal is the error", func(t *testing.T) {
		var log hookLog
		srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
			log.add("server")
			w.WriteHeader(StatusRateLimited)
			w.Write([]byte(`{"status":"ERROR","errors":[{"code":"LIMIT_EXCEEDED","message":"Hit rate limit of 6 parallel requests"}]}`))
		})
		defer srv.Close()
		c, err := New(Config{Endpoint: srv.URL, APIKey: "k", Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: fastRetry.BaseDelay, MaxDelay: fastRetry.MaxDelay}})
		if err != nil {
			t.Fatal(err)
		}
		err = c.SetTrack(log.ctx(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51})
		if ae, ok := AsAPIError(err); !ok || !ae.RateLimited() {
			t.Fatalf("error %v, want the 420", err)
		}
		want := []string{"leaving", "server", "not processed: 420", "leaving", "server"}
		if diff := cmp.Diff(want, log.got); diff != "" {
			t.Errorf("hooks and requests (-want +got):\n%s", diff)
		}
	})

	t.Run("nothing reached the server", func(t *testing.T) {
		// A port nobody listens on: every dial fails before a byte leaves.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		var log hookLog
		c, err := New(Config{Endpoint: "http://" + addr, APIKey: "k", Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: fastRetry.BaseDelay, MaxDelay: fastRetry.MaxDelay}})
		if err != nil {
			t.Fatal(err)
		}
		err = c.SetTrack(log.ctx(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51})
		if err == nil || !strings.Contains(err.Error(), "giving up after 2 attempts") {
			t.Fatalf("error %v, want the dial failure after 2 attempts", err)
		}
		want := []string{"leaving", "not processed", "leaving"}
		if diff := cmp.Diff(want, log.got); diff != "" {
			t.Errorf("hooks (-want +got):\n%s", diff)
		}
	})

	t.Run("a read never calls it", func(t *testing.T) {
		var log hookLog
		var calls atomic.Int32
		srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				w.WriteHeader(StatusRateLimited)
				w.Write([]byte(`{"status":"ERROR","errors":[{"code":"LIMIT_EXCEEDED","message":"Hit rate limit of 6 parallel requests"}]}`))
				return
			}
			w.Write([]byte(`{"campaign":{"id":21000000,"domain":"shop.example","placementType":"DBS","business":{"id":9000000}}}`))
		})
		defer srv.Close()
		c, err := New(Config{Endpoint: srv.URL, APIKey: "k", Retry: fastRetry})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetCampaign(log.ctx(), 21000000); err != nil {
			t.Fatal(err)
		}
		for _, x := range log.got {
			if strings.HasPrefix(x, "not processed") {
				t.Errorf("a read reported %q: hooks %v", x, log.got)
			}
		}
	})
}

// OneAttempt: a read that fails is not retried, and OnRetry is not called.
func TestOneAttemptIsNeverRetried(t *testing.T) {
	var calls atomic.Int32
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"status":"ERROR","errors":[{"code":"INTERNAL_ERROR","message":"down"}]}`))
	})
	defer srv.Close()
	retried := false
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k", Retry: fastRetry, Hooks: Hooks{
		OnRetry: func(string, error, int, int, time.Duration) { retried = true }}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Operations(OneAttempt(context.Background()), 9000000, "ORDER_RECIPIENT_UPDATE", []string{"op-1"})
	if ae, ok := AsAPIError(err); !ok || ae.StatusCode != 500 {
		t.Fatalf("error %v, want the 500", err)
	}
	if n := calls.Load(); n != 1 || retried {
		t.Errorf("%d requests (OnRetry called: %v), want 1 and none", n, retried)
	}
	// Without it the same read is retried.
	calls.Store(0)
	if _, err := c.Operations(context.Background(), 9000000, "ORDER_RECIPIENT_UPDATE", []string{"op-1"}); err == nil {
		t.Fatal("no error")
	}
	if n := calls.Load(); n != int32(fastRetry.MaxAttempts) {
		t.Errorf("%d requests without OneAttempt, want %d", n, fastRetry.MaxAttempts)
	}
}
