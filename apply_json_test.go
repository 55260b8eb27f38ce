package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

// jsonRun is apply -json's stdout read as the stream it must be: every
// line one JSON object, the last one the summary.
type jsonRun struct {
	lines   []map[string]any
	summary map[string]any
}

func readJSONRun(t *testing.T, r finished) jsonRun {
	t.Helper()
	var jr jsonRun
	if strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("apply -json printed nothing on stdout; stderr:\n%s", r.stderr)
	}
	for i, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("stdout line %d is not a JSON object: %v\n%s", i+1, err, r.stdout)
		}
		jr.lines = append(jr.lines, v)
	}
	jr.summary = jr.lines[len(jr.lines)-1]
	if jr.summary["type"] != "summary" {
		t.Fatalf("the last line is not the summary:\n%s", r.stdout)
	}
	return jr
}

// failedWith checks that the run failed as a script sees it: exit 1, ok
// false, and an error diagnostic whose summary (or detail) says each of
// wants. A person's "Error:" text must not be printed instead, on either
// stream.
func (jr jsonRun) failedWith(t *testing.T, r finished, wants ...string) map[string]any {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	if jr.summary["ok"] != false {
		t.Errorf("summary ok = %v, want false", jr.summary["ok"])
	}
	if strings.Contains(r.stderr, "Error:") || strings.Contains(r.stdout, "Error:") {
		t.Errorf("the error is printed as text too:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	diags, _ := jr.summary["diagnostics"].([]any)
	for _, d := range diags {
		d, _ := d.(map[string]any)
		text := oneLine(d["summary"].(string) + " " + d["detail"].(string))
		hit := d["severity"] == "error"
		for _, w := range wants {
			hit = hit && strings.Contains(text, w)
		}
		if hit {
			return d
		}
	}
	t.Errorf("no error diagnostic says %q; summary:\n%v", wants, jr.summary)
	return nil
}

// Every way apply can fail keeps apply -json's contract: JSON on stdout
// (the events so far, then the summary with the diagnostics) and exit 1,
// whether the mistake is in the command line, the backend, the lock or the
// saved plan.
func TestApplyJSONErrors(t *testing.T) {
	t.Run("a flag value that does not parse", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
		r := e.orderform("apply", "-json", "-auto-approve", "-wait=soon")
		readJSONRun(t, r).failedWith(t, r, `invalid value "soon" for flag -wait`)
		if strings.Contains(r.stderr, "Usage:") {
			t.Errorf("the usage is printed under -json:\n%s", r.stderr)
		}
		if n := len(e.srv.Calls()); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})
	t.Run("flags that parse but cannot go together", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
		r := e.orderform("apply", "-json", "-parallelism=0", "-lock-timeout=-1s")
		jr := readJSONRun(t, r)
		jr.failedWith(t, r, "-parallelism=0")
		jr.failedWith(t, r, "-wait and -lock-timeout must not be negative")
		jr.failedWith(t, r, "apply -json cannot ask for confirmation")
	})
	t.Run("a mistake in the configuration", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": strings.Replace(crashTracksHCL, "delivery_service_id", "delivery_servce_id", 1)})
		r := e.orderform("apply", "-json", "-auto-approve")
		d := readJSONRun(t, r).failedWith(t, r, "Unsupported argument")
		if rng, _ := d["range"].(map[string]any); rng["filename"] != "main.hcl" {
			t.Errorf("the diagnostic's range is %v, want main.hcl's", d["range"])
		}
	})
	t.Run("an unreachable backend", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL,
			"backend.hcl": "backend \"pg\" {\n  conn_str = \"postgres://orderform:pw@127.0.0.1:1/orderform?sslmode=disable&connect_timeout=5\"\n}\n"})
		r := e.orderform("apply", "-json", "-auto-approve")
		d := readJSONRun(t, r).failedWith(t, r, "Backend unavailable", "127.0.0.1:1", "Nothing was read or sent")
		if rng, _ := d["range"].(map[string]any); rng["filename"] != "backend.hcl" {
			t.Errorf("the diagnostic's range is %v, want backend.hcl's", d["range"])
		}
		if n := len(e.srv.Calls()); n != 0 {
			t.Errorf("%d requests reached the Market, want none", n)
		}
	})
	t.Run("a lock held by another run", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
		e.srv.SetLatency(sandbox.EndpointTrack, 1500*time.Millisecond)
		first := make(chan finished, 1)
		go func() { first <- e.orderform("apply", "-auto-approve", "-parallelism=1") }()
		deadline := time.Now().Add(30 * time.Second)
		for !hasWrite(e.srv.Calls()) {
			if time.Now().After(deadline) {
				t.Fatal("the first apply never started writing")
			}
			time.Sleep(10 * time.Millisecond)
		}
		r := e.run(false, "apply", "-auto-approve", "-json")
		readJSONRun(t, r).failedWith(t, r, "the lock of campaign 21000000", "is held by", "-lock-timeout")
		if f := <-first; f.code != 0 {
			t.Fatalf("first apply: exit %d\n%s\n%s", f.code, f.stdout, f.stderr)
		}
		wantCrashTracks(e)
	})
	t.Run("a saved plan gone stale", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
		e.mustExit(0, "plan", "-out=p.plan")
		if err := e.srv.UpdateOrder(1002, func(o *sandbox.OrderState) {
			o.Delivery.Tracks = []sandbox.Track{{TrackCode: "CABINET0001", DeliveryServiceID: 51}}
		}); err != nil {
			t.Fatal(err)
		}
		r := e.orderform("apply", "-json", "-poll-interval=20ms", "p.plan")
		jr := readJSONRun(t, r)
		if r.code != 1 || jr.summary["ok"] != false {
			t.Errorf("exit %d, ok %v; want 1, false", r.code, jr.summary["ok"])
		}
		if s, _ := jr.summary["summary"].(map[string]any); s["stale"] != 1.0 || s["confirmed"] != 3.0 {
			t.Errorf("summary counts %v, want 1 stale and 3 confirmed", jr.summary["summary"])
		}
		stale := 0
		for _, l := range jr.lines {
			if l["type"] == "change_stale" {
				stale++
			}
		}
		if stale != 1 {
			t.Errorf("%d change_stale events, want 1:\n%s", stale, r.stdout)
		}
		if n := e.effectiveWrites(1002); n != 0 {
			t.Errorf("%d writes to the stale order", n)
		}
	})
	t.Run("a saved plan that is not one", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL, "p.plan": `{"kind": "orderform-pl`})
		r := e.orderform("apply", "-json", "p.plan")
		readJSONRun(t, r).failedWith(t, r, "p.plan")
		if n := len(e.srv.Calls()); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})
	t.Run("a saved plan made against another API", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
		e.mustExit(0, "plan", "-out=p.plan")
		e.extraEnv = append(e.extraEnv, "YANDEX_MARKET_ENDPOINT=http://127.0.0.1:1")
		r := e.orderform("apply", "-json", "p.plan")
		readJSONRun(t, r).failedWith(t, r, "the plan was made against "+e.url)
		if n := e.effectiveWrites(0); n != 0 {
			t.Errorf("%d writes", n)
		}
	})
}
