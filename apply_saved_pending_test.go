package main

import (
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

// A reviewed plan that shows a change pending (an earlier update still in
// progress) is applied after that update's operations FAILED: the order does
// not have the change and nothing is sent, so the run must not end "Nothing
// to apply" with exit 0.
func TestSavedPlanPendingThatFailedSince(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, map[string]string{"main.hcl": crashUpdateHCL})
		use(e)
		e.mustExit(0, "apply", "-auto-approve", "-wait=0")
		wantContains(t, "plan", e.mustExit(0, "plan", "-out=p.bin").stdout, "1 pending")
		e.srv.FailOperations(2001)
		e.srv.Settle()
		r := e.orderform("apply", "p.bin")
		if r.code != 1 {
			t.Errorf("apply of the saved plan after its pending write failed: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "failed") {
			t.Errorf("the report does not say the earlier write failed:\n%s", r.stdout)
		}
		if n := e.effectiveWrites(2001); n != 1 {
			t.Errorf("order 2001 got %d updates, want 1 (the saved plan sends none)", n)
		}
	})
}
