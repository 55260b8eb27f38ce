package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/plan"
)

// A blocked entry is an error at its declaration: with the configuration's
// files, a snippet of the line; without them (a saved plan, which holds
// ranges but no files) the place alone, still "on FILE line N".
func TestBlockedDiagnostic(t *testing.T) {
	p := &plan.Plan{Blocked: blocked()[1:2]} // order.1003, track on orders.hcl line 12
	var fresh, saved bytes.Buffer
	Plan(&fresh, p, sources, Options{})
	Plan(&saved, p, nil, Options{})
	const detail = "  status_not_allowed: a track number can be set only in status PROCESSING,\n" +
		"  DELIVERY or PICKUP; the order is DELIVERED\n\n"
	for name, tc := range map[string]struct{ got, want string }{
		"fresh": {fresh.String(), "Error: order.1003: track cannot be changed\n" +
			"  on orders.hcl line 12, in order \"1003\":\n" +
			"  12:   track {\n\n" + detail},
		"saved": {saved.String(), "Error: order.1003: track cannot be changed\n" +
			"  on orders.hcl line 12:\n" +
			"  (source code not available)\n\n" + detail},
	} {
		if !strings.HasPrefix(tc.got, tc.want) {
			t.Errorf("%s plan: want it to start with\n%s\ngot:\n%s", name, tc.want, tc.got)
		}
	}
	// In colour the snippet underlines the declaration, as HCL does.
	var b bytes.Buffer
	Plan(&b, p, sources, Options{Color: true})
	if want := "  12:   \x1b[1;4mtrack\x1b[0m {\n"; !strings.Contains(b.String(), want) {
		t.Errorf("coloured plan lacks %q:\n%q", want, b.String())
	}
}

// A saved plan's file name is text from a file: it reaches the terminal
// escaped, never as a control sequence; and a file of the configuration is
// found by the name as schema gave it.
func TestBlockedFilenameEscaped(t *testing.T) {
	evil := "orders\x1b[2J.hcl"
	bl := blocked()[1]
	bl.Range.Filename = evil
	for _, files := range []map[string]*hcl.File{nil, {evil: sources["orders.hcl"]}} {
		var b bytes.Buffer
		Plan(&b, &plan.Plan{Blocked: []plan.Blocked{bl}}, files, Options{})
		if strings.Contains(b.String(), "\x1b") {
			t.Fatalf("control characters reached the output: %q", b.String())
		}
		if !strings.Contains(b.String(), `  on orders\u001B[2J.hcl line 12`) {
			t.Errorf("the place is missing or not escaped:\n%s", b.String())
		}
		if files != nil && !strings.Contains(b.String(), "  12:   track {\n") {
			t.Errorf("the file was not found by its name:\n%s", b.String())
		}
	}
}

// The apply report gives a blocked interval one line, the intervals that
// are offered included, as the plan's detail once said them.
func TestApplyReportBlockedInterval(t *testing.T) {
	var b bytes.Buffer
	ApplyReport(&b, apply.Report{Blocked: blocked()[:1]}, Options{Width: 200})
	want := "interval_not_available: the interval 2026-12-01 10:00-14:00 is not available; available: 2026-11-26 10:00-14:00; 2026-11-26 14:00-18:00\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("apply report lacks %q:\n%s", want, b.String())
	}
}
