package main

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/orderform/orderform/provider/sandbox"
)

// A write the Market refuses with a message holding a NUL character (its
// JSON escape \u0000, which PostgreSQL's jsonb refuses) is failed, and that
// outcome is journaled on either backend: the next run sends the change
// again at once, instead of finding a bare intent it cannot settle.
func TestRefusalWithNULIsJournaled(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
		use(e)
		var refused atomic.Bool
		e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
			if endpointOf(r) == sandbox.EndpointTrack && refused.CompareAndSwap(false, true) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"status":"ERROR","errors":[{"code":"BAD_REQUEST","message":"bad \u0000 value"}]}`))
				return true
			}
			return false
		})
		r := e.mustExit(1, "apply", "-auto-approve", "-parallelism=1")
		wantContains(t, "first apply", r.stdout, "1 failed")
		r = e.orderform("apply", "-auto-approve")
		if r.code != 0 || strings.Contains(r.stdout, "unknown") {
			t.Errorf("the rerun: exit %d, want 0 with the refused track sent again\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		wantCrashTracks(e)
	})
}
