package views

import (
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/plan"
)

// Apply is what apply shows as it runs, for a person or for a script
// (apply -json). The command layer calls it at each step; it decides
// nothing and reads nothing. A person sees the plan and the question on
// stdout, every problem at once on stderr, and the closing table. A script
// gets one JSON object per line on stdout, the events as they happen and
// last one summary that carries every diagnostic of the run: even a run
// stopped before it read anything prints JSON on stdout, and nothing else.
// (Progress and retries go to stderr whatever the view: see Progress.)
type Apply interface {
	// Diagnostics shows problems and warnings (files: the configuration's,
	// for the snippets).
	Diagnostics(diags hcl.Diagnostics, files map[string]*hcl.File)
	// Usage follows the diagnostics of a command line that did not parse.
	Usage(usage func(io.Writer))
	// Planned shows the plan about to be applied.
	Planned(p Planned)
	// Confirm asks whether to make p's changes; the caller reads the
	// answer. Cancelled says the answer was not yes.
	Confirm(p *plan.Plan)
	Cancelled()
	// Event is one step of the writes, as it happens.
	Event(e apply.Event)
	// Nothing ends a run that had nothing to send; p's blocked changes are
	// its failures.
	Nothing(p *plan.Plan)
	// Report ends a run that ran: the outcome of each change.
	Report(r apply.Report)
	// Failed ends a run stopped by an error of the diagnostics; r is what
	// it knew by then (the plan's blocked changes).
	Failed(r apply.Report)
}

// NewApply returns apply's view of type vt: ViewJSON, else the human one.
// opt is for stdout, errOpt for stderr (colour is decided per stream).
func NewApply(vt arguments.ViewType, stdout, stderr io.Writer, opt, errOpt Options) Apply {
	if vt == arguments.ViewJSON {
		return &applyJSON{stdout: stdout}
	}
	return &applyHuman{stdout: stdout, stderr: stderr, opt: opt, errOpt: errOpt}
}

type applyHuman struct {
	stdout, stderr io.Writer
	opt, errOpt    Options
}

func (v *applyHuman) Diagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	Diagnostics(v.stderr, diags, files, v.errOpt)
}

func (v *applyHuman) Usage(usage func(io.Writer)) { usage(v.stderr) }
func (v *applyHuman) Planned(p Planned)           { ShowPlanned(v.stdout, p, v.opt) }
func (v *applyHuman) Confirm(p *plan.Plan)        { Confirm(v.stdout, p, v.opt) }
func (v *applyHuman) Cancelled()                  { fmt.Fprintln(v.stdout, "\nApply cancelled.") }
func (v *applyHuman) Event(apply.Event)           {}

func (v *applyHuman) Nothing(p *plan.Plan) {
	// Blocked changes were shown with the plan, as errors.
	if len(p.Blocked) == 0 {
		fmt.Fprintln(v.stdout, "\nNothing to apply.")
	}
}

func (v *applyHuman) Report(r apply.Report) {
	fmt.Fprintln(v.stdout)
	ApplyReport(v.stdout, r, v.opt)
}

func (v *applyHuman) Failed(apply.Report) {}

// applyJSON is apply -json's stream. Diagnostics are kept for the summary,
// the last line, whose "ok" is false when any is an error.
type applyJSON struct {
	stdout io.Writer
	diags  hcl.Diagnostics
}

func (v *applyJSON) Diagnostics(diags hcl.Diagnostics, _ map[string]*hcl.File) {
	v.diags = append(v.diags, diags...)
}

func (v *applyJSON) Usage(func(io.Writer)) {}
func (v *applyJSON) Planned(Planned)       {}
func (v *applyJSON) Confirm(*plan.Plan)    {} // -json never asks (arguments.ParseApply)
func (v *applyJSON) Cancelled()            {}

func (v *applyJSON) Event(e apply.Event) {
	if data, err := EventJSON(e); err == nil {
		fmt.Fprintln(v.stdout, string(data))
	}
}

func (v *applyJSON) Nothing(p *plan.Plan)  { v.summary(apply.Report{Blocked: p.Blocked}) }
func (v *applyJSON) Report(r apply.Report) { v.summary(r) }
func (v *applyJSON) Failed(r apply.Report) { v.summary(r) }

func (v *applyJSON) summary(r apply.Report) {
	data, err := SummaryJSON(r, v.diags...)
	if err != nil {
		// Nothing in a report fails to encode; say so in JSON anyway.
		data = []byte(`{"type":"summary","ok":false}`)
	}
	fmt.Fprintln(v.stdout, string(data))
}

// Planned is a plan as the human views show it before anything is sent,
// with what they say besides its changes.
type Planned struct {
	Plan *plan.Plan
	// Saved: read from a plan file (which knows no line of the
	// configuration). Otherwise made now from the configuration:
	Saved bool
	// Files are the configuration's, for the snippets of blocked errors.
	Files map[string]*hcl.File
	// Declared counts the orders the configuration declares; NoneSelected
	// is set when -target and -exclude leave none of them.
	Declared     int
	NoneSelected bool
	// Dir is the configuration directory as the user gave it.
	Dir string
}

// ShowPlanned writes p for a person. A configuration that declares no
// order, or a selection that leaves none, says so: "Your orders match the
// configuration" would suggest orders were checked.
func ShowPlanned(w io.Writer, p Planned, opt Options) {
	switch {
	case p.Saved:
		Plan(w, p.Plan, nil, opt)
	case p.NoneSelected:
		NoneSelected(w, p.Declared)
	case p.Declared == 0:
		fmt.Fprintf(w, "No orders are declared in %s, so there is nothing to plan.\n", dirName(p.Dir))
	default:
		Plan(w, p.Plan, p.Files, opt)
	}
}

// dirName names a configuration directory as the user gave it.
func dirName(dir string) string {
	if dir == "." || dir == "" {
		return "this directory"
	}
	return dir
}
