package provider

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/provider/sandbox"
)

// TestEndpointsMatchSandbox: the client's endpoint names and quotas are the
// emulator's, name for name: a name that differs would make Config.Quotas,
// the emulator's Options.Quotas and recorded calls disagree.
func TestEndpointsMatchSandbox(t *testing.T) {
	emulated := map[string]Quota{}
	for e, q := range sandbox.DocumentedQuotas() {
		emulated[string(e)] = Quota{Limit: q.Limit, Period: q.Period}
	}
	if diff := cmp.Diff(emulated, DefaultQuotas()); diff != "" {
		t.Errorf("quotas (-sandbox +provider):\n%s", diff)
	}
	if len(sandbox.Endpoints()) != len(emulated) {
		t.Errorf("sandbox.Endpoints() has %d names, its quotas %d", len(sandbox.Endpoints()), len(emulated))
	}
}
