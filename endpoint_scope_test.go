package main

import (
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

// One API spelt two ways (with and without a trailing slash, as a teammate
// may set YANDEX_MARKET_ENDPOINT) is one API: the client sends to the same
// place, so the journal's scope and the locks must be the same too, or the
// second run cannot see the first's write in flight and sends it again.
func TestEndpointSpellingsShareTheJournal(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, map[string]string{"main.hcl": crashUpdateHCL})
		use(e)
		e.mustExit(0, "apply", "-auto-approve", "-wait=0")
		e.extraEnv = []string{"YANDEX_MARKET_ENDPOINT=" + e.url + "/"}
		r := e.orderform("apply", "-auto-approve", "-wait=0")
		if !strings.Contains(r.stdout, "1 pending") {
			t.Errorf("the second apply, endpoint with a trailing slash: exit %d, want the first write pending\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if n := e.effectiveWrites(2001); n != 1 {
			t.Errorf("order 2001 got %d updates, want 1", n)
		}
	})
}
