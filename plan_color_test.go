//go:build linux

package main

// Colour is decided once, in the command layer: on for a terminal, off
// under -no-color, NO_COLOR, -json or a pipe. A testscript's stdout is never
// a terminal, so a script can only show the "off" half; this test gives the
// command a real pseudo-terminal, so that "off" is shown to be a decision and
// not the only thing the code can do.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/orderform/orderform/internal/command"
	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/provider/sandbox"
)

const colorConfig = `provider "yandex_market" {
  campaign_id = 21000000
}

order "1001" {
  track {
    code                = "RP123456789RU"
    delivery_service_id = 51
  }
}

order "1003" {
  track {
    code                = "RP000000003RU"
    delivery_service_id = 51
  }
}
`

// openPTY opens a pseudo-terminal pair: what is written to slave can be
// read from master, and slave is a terminal (isatty) to whoever holds it.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), req, uintptr(arg)); e != 0 {
			return e
		}
		return nil
	}
	var n uint32
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		m.Close()
		t.Skipf("no pseudo-terminal here: TIOCGPTN: %v", err)
	}
	var unlock int32
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		m.Close()
		t.Skipf("no pseudo-terminal here: TIOCSPTLCK: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// runOnTerminal runs orderform with stdout and stderr on a fresh terminal
// and returns what it wrote there.
func runOnTerminal(t *testing.T, args ...string) (string, int) {
	t.Helper()
	master, slave := openPTY(t)
	done := make(chan []byte)
	go func() {
		var buf bytes.Buffer
		_, _ = io.Copy(&buf, master) // ends with EIO once the slave is closed
		done <- buf.Bytes()
	}()
	code := command.Run(args, command.Streams{Stdin: strings.NewReader(""), Stdout: slave, Stderr: slave})
	slave.Close()
	return string(<-done), code
}

func colorSandbox(t *testing.T) string {
	t.Helper()
	st, err := sandbox.LoadState(filepath.Join("testdata", "sandbox-small.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{testKey}})
	hs := httptest.NewServer(contract.Handler(srv, contract.Both, contract.Errorf(t)))
	t.Cleanup(hs.Close)
	t.Setenv("YANDEX_MARKET_ENDPOINT", hs.URL)
	t.Setenv("YANDEX_MARKET_API_KEY", testKey)
	t.Setenv("NO_COLOR", "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(colorConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPlanColorOnTerminalOnly(t *testing.T) {
	dir := colorSandbox(t)
	const esc = "\x1b["

	out, code := runOnTerminal(t, "-chdir="+dir, "plan")
	if code != 1 {
		t.Fatalf("plan exited %d, want 1 (1003 is blocked); output:\n%s", code, out)
	}
	// The plan is coloured: the update symbol, the error label, the summary.
	for _, want := range []string{"\x1b[33m~", "\x1b[31;1mError:", "\x1b[1mPlan: 1 to change, 0 pending, 1 blocked."} {
		if !strings.Contains(out, want) {
			t.Errorf("on a terminal, the plan has no %q; output:\n%q", want, out)
		}
	}

	for _, tc := range []struct {
		name    string
		noColor string
		args    []string
	}{
		{"-no-color", "", []string{"-chdir=" + dir, "plan", "-no-color"}},
		{"NO_COLOR", "1", []string{"-chdir=" + dir, "plan"}},
		{"-json", "", []string{"-chdir=" + dir, "plan", "-json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tc.noColor)
			out, code := runOnTerminal(t, tc.args...)
			if code != 1 {
				t.Fatalf("plan exited %d, want 1; output:\n%s", code, out)
			}
			if !strings.Contains(out, "1003") {
				t.Fatalf("no plan in the output:\n%s", out)
			}
			if strings.Contains(out, esc) {
				t.Errorf("%s: escape sequences on the terminal:\n%q", tc.name, out)
			}
			if tc.name == "-json" {
				var doc map[string]any
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Errorf("plan -json on a terminal is not one JSON document: %v\n%s", err, out)
				}
			}
		})
	}

	// Not a terminal: plain, whatever the environment.
	var stdout, stderr bytes.Buffer
	code = command.Run([]string{"-chdir=" + dir, "plan"}, command.Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
	if code != 1 || !strings.Contains(stdout.String(), "Plan: 1 to change") {
		t.Fatalf("plan to a buffer exited %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), esc) {
		t.Errorf("escape sequences written to a buffer:\n%q", stdout.String()+stderr.String())
	}
}
