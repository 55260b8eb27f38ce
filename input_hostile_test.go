package main

// Go end-to-end tests of hostile input (issue 8, item 9), for what a script
// cannot set up: configurations of 100,000 nested brackets, a FIFO in the
// configuration directory, a saved plan edited to read a seed elsewhere.
// orderform runs as a separate process: a Go fatal error (a stack
// overflow, running out of memory) ends a process with exit 2 and a stack
// dump, which no recover in the same process could catch.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/orderform/orderform/provider/sandbox"
)

// flat joins the lines of a message as the terminal width wrapped them.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

const trackBlock = `
order "1001" {
  track {
    code                = "RP1"
    delivery_service_id = 51
  }
}
`

// TestDeepNestingIsAnError: 100,000 nested parentheses or lists (the
// parser's recursion overflowed its stack) are an error naming the file,
// exit 1, with no call made.
func TestDeepNestingIsAnError(t *testing.T) {
	for name, expr := range map[string]string{
		"parentheses": strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000),
		"lists":       strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000),
		"negations":   strings.Repeat("!", 1_000_000) + "true",
	} {
		t.Run(name, func(t *testing.T) {
			e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{
				"main.hcl": "provider \"yandex_market\" {\n  campaign_id = 21000000\n}\n\nlocals {\n  deep = " + expr + "\n}\n" + trackBlock,
			})
			for _, args := range [][]string{{"validate", "-no-color"}, {"plan", "-no-color"}, {"apply", "-auto-approve", "-no-color"}, {"fmt", "-check", "-no-color"}} {
				r := e.mustExit(1, args...)
				if !strings.Contains(r.stderr, "Error: Configuration nested too deeply") || !strings.Contains(r.stderr, "main.hcl line 6") {
					t.Errorf("%s: stderr does not name the mistake and its place:\n%.2000s", args[0], r.stderr)
				}
				if strings.Contains(r.stderr, "goroutine") || len(r.stderr) > 4000 {
					t.Errorf("%s: a stack dump, or a snippet of the whole line (%d bytes):\n%.2000s", args[0], len(r.stderr), r.stderr)
				}
			}
			if calls := e.srv.Calls(); len(calls) > 0 {
				t.Errorf("%d calls made, want none", len(calls))
			}
		})
	}
}

// TestFIFOIsRefused: file() on a FIFO inside the directory, or a FIFO
// named *.hcl, used to block validate forever (and swallow the first
// SIGTERM); they are refused at once, as not regular files.
func TestFIFOIsRefused(t *testing.T) {
	t.Run("file()", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{
			"main.hcl": "provider \"yandex_market\" {\n  campaign_id = 21000000\n}\n\norder \"1001\" {\n  track {\n    code                = trimspace(file(\"code.txt\"))\n    delivery_service_id = 51\n  }\n}\n",
		})
		if err := syscall.Mkfifo(filepath.Join(e.dir, "code.txt"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"validate", "-no-color"}, {"apply", "-auto-approve", "-no-color"}} {
			r := e.mustExit(1, args...)
			if !strings.Contains(flat(r.stderr), `"code.txt" is not a regular file (it is a named pipe)`) || !strings.Contains(r.stderr, "on main.hcl line 7") {
				t.Errorf("%s: stderr:\n%s", args[0], r.stderr)
			}
		}
		if n := e.effectiveWrites(0); n != 0 || len(e.srv.Calls()) != 0 {
			t.Errorf("%d writes, %d calls; want none", n, len(e.srv.Calls()))
		}
	})
	t.Run("a configuration file", func(t *testing.T) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": "provider \"yandex_market\" {\n  campaign_id = 21000000\n}\n" + trackBlock})
		if err := syscall.Mkfifo(filepath.Join(e.dir, "more.hcl"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := e.mustExit(1, "validate", "-no-color")
		if !strings.Contains(flat(r.stderr), `"more.hcl" is not a regular file (it is a named pipe)`) {
			t.Errorf("stderr:\n%s", r.stderr)
		}
	})
}

// TestSavedPlanSandboxConfined: a saved plan's endpoint "sandbox:PATH"
// names the seed the embedded sandbox reads. A plan file is no more
// trusted than a configuration: one edited to name a seed outside the
// directory is refused before anything is read or written.
func TestSavedPlanSandboxConfined(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "sandbox-small.json"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir, elsewhere := filepath.Join(root, "config"), filepath.Join(root, "elsewhere")
	for _, d := range []string{dir, elsewhere} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "seed.json"), seed, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := &applyEnv{t: t, dir: dir}
	e.write("main.hcl", "provider \"yandex_market\" {\n  campaign_id = 21000000\n  sandbox     = \"seed.json\"\n}\n"+trackBlock)
	e.mustExit(0, "plan", "-out=saved.plan", "-no-color")

	var file map[string]any
	data, err := os.ReadFile(filepath.Join(dir, "saved.plan"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if file["endpoint"] != "sandbox:seed.json" {
		t.Fatalf("endpoint = %v, want sandbox:seed.json", file["endpoint"])
	}
	for _, tt := range []struct{ endpoint, says string }{
		{"sandbox:../elsewhere/seed.json", `"../elsewhere/seed.json" is outside the configuration directory`},
		{"sandbox:" + filepath.Join(elsewhere, "seed.json"), "is an absolute path"},
		{"sandbox:/etc/passwd", `"/etc/passwd" is an absolute path`},
	} {
		file["endpoint"] = tt.endpoint
		data, err := json.Marshal(file)
		if err != nil {
			t.Fatal(err)
		}
		e.write("edited.plan", string(data))
		r := e.mustExit(1, "apply", "-no-color", "edited.plan")
		if !strings.Contains(flat(r.stderr), tt.says) {
			t.Errorf("%s: stderr does not say %q:\n%s", tt.endpoint, tt.says, r.stderr)
		}
		if strings.Contains(r.stderr, "root:") || strings.Contains(r.stdout, "Apply complete") {
			t.Errorf("%s: read or applied:\n%s\n%s", tt.endpoint, r.stdout, r.stderr)
		}
		// Only a run that wrote saves the embedded sandbox's state.
		if _, err := os.Stat(filepath.Join(dir, ".orderform", "sandbox-state.json")); err == nil {
			t.Fatalf("%s: the plan was applied on the seed outside the directory", tt.endpoint)
		}
	}
	// The plan as it was made still applies.
	r := e.mustExit(0, "apply", "-no-color", "saved.plan")
	if !strings.Contains(r.stdout, "Apply complete") {
		t.Errorf("the saved plan did not apply:\n%s", r.stdout)
	}
}
