package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

// A second run in the same directory while an apply is writing is refused
// at once, says why, and sends nothing; the first run is not disturbed.
func TestApplyLockHeld(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
	e.srv.SetLatency(sandbox.EndpointTrack, 1500*time.Millisecond)
	first := make(chan finished, 1)
	go func() { first <- e.orderform("apply", "-auto-approve", "-parallelism=1") }()
	// Wait until the first run is writing.
	deadline := time.Now().Add(30 * time.Second)
	for e.srv.Calls() == nil || !hasWrite(e.srv.Calls()) {
		if time.Now().After(deadline) {
			t.Fatal("the first apply never started writing")
		}
		time.Sleep(10 * time.Millisecond)
	}
	second := e.run(false, "apply", "-auto-approve")
	if second.code != 1 {
		t.Fatalf("second apply: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", second.code, second.stdout, second.stderr)
	}
	wantContains(t, "second apply", second.stderr, "the lock of campaign 21000000", "is held by", "pid", "orderform apply -auto-approve -parallelism=1", "-lock-timeout")
	r := <-first
	if r.code != 0 {
		t.Fatalf("first apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantCrashTracks(e)
}

func hasWrite(calls []sandbox.Call) bool {
	for _, c := range calls {
		if c.Endpoint == sandbox.EndpointTrack {
			return true
		}
	}
	return false
}

// Without a terminal apply cannot ask: it refuses before any write and says
// how to proceed.
func TestApplyRefusesWithoutTerminal(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
	r := e.mustExit(1, "apply")
	wantContains(t, "stderr", r.stderr, "standard input is not a terminal", "-auto-approve", "plan -out=FILE")
	if n := e.effectiveWrites(0); n != 0 {
		t.Errorf("%d writes without approval", n)
	}
}

// apply -json is a stream of one JSON object per line, every change's
// events, and a closing summary whose ok matches the exit code.
func TestApplyJSONStream(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
	r := e.mustExit(0, "apply", "-auto-approve", "-json", "-poll-interval=20ms")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	types := map[string]int{}
	var last map[string]any
	for i, line := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stdout line %d is not JSON: %v\n%s", i+1, err, line)
		}
		typ, _ := ev["type"].(string)
		types[typ]++
		last = ev
	}
	for _, typ := range []string{"change_started", "change_applied", "change_confirmed"} {
		if types[typ] != len(crashTrackOrders) {
			t.Errorf("%d %s events, want %d (one per change): %v", types[typ], typ, len(crashTrackOrders), types)
		}
	}
	if last["type"] != "summary" || last["ok"] != true {
		t.Errorf("last event %v, want a summary with ok true", last)
	}
	if s, _ := last["summary"].(map[string]any); s["confirmed"] != float64(len(crashTrackOrders)) {
		t.Errorf("summary counts %v", last["summary"])
	}
	wantCrashTracks(e)
}
