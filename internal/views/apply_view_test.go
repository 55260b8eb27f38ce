package views

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/plan"
)

var (
	lockHeld = &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "the lock of campaign 21000000 is held by pid 7"}
	noMatch  = &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Address matches no order", Detail: "order.9 matches no declared order."}
)

// A run that fails before it writes anything: a person reads the error on
// stderr and nothing on stdout; a script reads one summary, ok false, with
// the diagnostics, and nothing on stderr.
func TestApplyViewFailed(t *testing.T) {
	var out, errOut bytes.Buffer
	v := NewApply(arguments.ViewHuman, &out, &errOut, Options{}, Options{})
	v.Diagnostics(hcl.Diagnostics{lockHeld}, nil)
	v.Usage(func(w io.Writer) { io.WriteString(w, "Usage: orderform apply\n") })
	v.Failed(apply.Report{})
	if out.Len() != 0 {
		t.Errorf("human stdout: %q, want nothing", out.String())
	}
	if want := "Error: the lock of campaign 21000000 is held by pid 7\n\nUsage: orderform apply\n"; errOut.String() != want {
		t.Errorf("human stderr:\n%q\nwant\n%q", errOut.String(), want)
	}

	out.Reset()
	errOut.Reset()
	v = NewApply(arguments.ViewJSON, &out, &errOut, Options{}, Options{})
	v.Diagnostics(hcl.Diagnostics{noMatch}, nil)
	v.Diagnostics(hcl.Diagnostics{lockHeld}, nil)
	v.Usage(func(w io.Writer) { io.WriteString(w, "Usage: orderform apply\n") })
	v.Failed(apply.Report{Blocked: blocked()[2:]})
	if errOut.Len() != 0 {
		t.Errorf("JSON stderr: %q, want nothing", errOut.String())
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("JSON stdout is not one line:\n%s", out.String())
	}
	got := decode(t, out.Bytes())
	if got["type"] != "summary" || got["ok"] != false || len(got["blocked"].([]any)) != 1 {
		t.Errorf("summary %v, want ok false and the blocked change", got)
	}
	want := []any{
		map[string]any{"severity": "warning", "summary": "Address matches no order", "detail": "order.9 matches no declared order."},
		map[string]any{"severity": "error", "summary": "the lock of campaign 21000000 is held by pid 7", "detail": ""},
	}
	if diff := cmp.Diff(want, got["diagnostics"]); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// A run that applied: the events are lines of the stream, then the summary;
// a warning leaves ok as the report says it is.
func TestApplyViewJSONStream(t *testing.T) {
	var out, errOut bytes.Buffer
	v := NewApply(arguments.ViewJSON, &out, &errOut, Options{}, Options{})
	v.Diagnostics(hcl.Diagnostics{noMatch}, nil)
	v.Planned(Planned{Plan: &plan.Plan{}, Saved: true})
	v.Event(apply.Event{Type: "change_started", Address: "order.1001", OrderID: 1001})
	v.Report(apply.Report{Results: []apply.Result{{Address: "order.1001", OrderID: 1001, Outcome: apply.Confirmed}}})
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != `{"type":"change_started","address":"order.1001","order_id":1001}` {
		t.Fatalf("stream:\n%s", out.String())
	}
	got := decode(t, []byte(lines[1]))
	if got["ok"] != true || len(got["diagnostics"].([]any)) != 1 {
		t.Errorf("summary %v, want ok true with the warning", got)
	}
	if errOut.Len() != 0 {
		t.Errorf("JSON stderr: %q", errOut.String())
	}
}

// Nothing to apply: said to a person unless blocked changes (shown with the
// plan) make it a failure; a script gets the summary with them.
func TestApplyViewNothing(t *testing.T) {
	var out, errOut bytes.Buffer
	v := NewApply(arguments.ViewHuman, &out, &errOut, Options{}, Options{})
	v.Nothing(&plan.Plan{})
	v.Nothing(&plan.Plan{Blocked: blocked()[2:]})
	if out.String() != "\nNothing to apply.\n" {
		t.Errorf("human stdout %q", out.String())
	}
	out.Reset()
	v = NewApply(arguments.ViewJSON, &out, &errOut, Options{}, Options{})
	v.Nothing(&plan.Plan{Blocked: blocked()[2:]})
	if got := decode(t, out.Bytes()); got["ok"] != false || len(got["blocked"].([]any)) != 1 {
		t.Errorf("summary %v", got)
	}
	if _, ok := decode(t, out.Bytes())["diagnostics"]; ok {
		t.Errorf("a run without diagnostics has a diagnostics key: %s", out.String())
	}
}

// What the human views say of a plan besides its changes.
func TestShowPlanned(t *testing.T) {
	for _, tc := range []struct {
		p    Planned
		want string
	}{
		{Planned{Plan: &plan.Plan{}, Declared: 0, Dir: "."}, "No orders are declared in this directory, so there is nothing to plan.\n"},
		{Planned{Plan: &plan.Plan{}, Declared: 0, Dir: "orders"}, "No orders are declared in orders, so there is nothing to plan.\n"},
		{Planned{Plan: &plan.Plan{}, Declared: 2, NoneSelected: true}, "No order selected: -target and -exclude leave out all 2 declared orders, so none was read or planned.\n"},
		{Planned{Plan: &plan.Plan{}, Declared: 1}, "No changes. Your orders match the configuration.\n"},
		{Planned{Plan: &plan.Plan{}, Saved: true}, "No changes. Your orders match the configuration.\n"},
	} {
		var b bytes.Buffer
		ShowPlanned(&b, tc.p, Options{})
		if b.String() != tc.want {
			t.Errorf("ShowPlanned(%+v) = %q, want %q", tc.p, b.String(), tc.want)
		}
	}
}
