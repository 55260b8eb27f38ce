package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples runs every example the README points to as a user would, on
// the embedded sandbox, with no key and no endpoint in the environment: it
// validates, is formatted, plans changes, applies them, and a plan after the
// apply finds nothing left to do. The quick start is the first command of
// the README; it must stay true.
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("follows asynchronous updates of the embedded sandbox for seconds")
	}
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("examples")); err != nil {
		t.Fatal(err)
	}
	// No key, no endpoint, nothing of orderform's own.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "YANDEX_MARKET_") && !strings.HasPrefix(kv, "ORDERFORM_") {
			env = append(env, kv)
		}
	}
	env = append(env, "NO_COLOR=1")
	for _, name := range []string{"quickstart", "bulk-tracks", "reschedule"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			e := &applyEnv{t: t, dir: dir, environ: env}
			run := func(want int, args ...string) string { return e.mustExit(want, args...).stdout }
			run(0, "validate")
			run(0, "fmt", "-check")
			out := run(2, "plan", "-detailed-exitcode")
			if !strings.Contains(out, "to change") {
				t.Errorf("plan shows no change:\n%s", out)
			}
			// Only a run that wrote saves the embedded sandbox's state: a
			// plan beside an apply must not put back what it loaded.
			state := filepath.Join(dir, ".orderform", "sandbox-state.json")
			if _, err := os.Stat(state); err == nil {
				t.Errorf("plan saved the embedded sandbox's state")
			}
			out = run(0, "apply", "-auto-approve", "-poll-interval=200ms")
			if !strings.Contains(out, "Apply complete:") || strings.Contains(out, " 0 confirmed, 0 applied") {
				t.Errorf("apply did not apply:\n%s", out)
			}
			if _, err := os.Stat(state); err != nil {
				t.Errorf("apply did not save the embedded sandbox's state: %v", err)
			}
			run(0, "plan", "-detailed-exitcode")
		})
	}
}
