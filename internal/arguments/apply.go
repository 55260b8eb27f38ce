package arguments

import (
	"flag"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Apply is the command line of apply.
type Apply struct {
	Operation
	View
	ViewType ViewType
	// PlanPath is the saved plan to apply, as given ("" = plan now).
	PlanPath    string
	AutoApprove bool
	// Wait bounds how long asynchronous operations are followed (0: submit
	// and return); PollInterval is how often they are asked about.
	Wait, PollInterval time.Duration
	// LockTimeout is how long to wait for another run's lock (0: fail
	// within a second, naming the holder).
	LockTimeout time.Duration
	// CommandLine is the arguments as given with the values of -var and
	// -var-file left out: a lock's note shows it to other runs and keeps it
	// in the backend, and a variable may hold a secret.
	CommandLine []string
}

func (a *Apply) flagSet() *flag.FlagSet {
	fs := flagSet("apply")
	a.Operation.register(fs)
	a.View.register(fs)
	fs.Var(jsonFlag{&a.ViewType}, "json", "machine-readable output")
	fs.BoolVar(&a.AutoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.DurationVar(&a.Wait, "wait", 5*time.Minute, "how long to follow asynchronous operations until the Market confirms them; 0 submits and returns")
	fs.DurationVar(&a.PollInterval, "poll-interval", 2*time.Second, "how often to check asynchronous operations while waiting")
	fs.DurationVar(&a.LockTimeout, "lock-timeout", 0, "how long to wait for another run's lock of a campaign this run writes to; 0 fails within a second, naming the holder")
	return fs
}

// ParseApply reads apply's command line. Its errors include the
// combinations apply refuses before it does anything: -json without a way
// to approve, negative durations, and flags that would change a saved
// plan, which is applied exactly as it was made.
func ParseApply(args []string) (*Apply, hcl.Diagnostics) {
	a := &Apply{ViewType: ViewHuman, CommandLine: withoutValues(args)}
	fs := a.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		if jsonAsked(args) {
			a.ViewType = ViewJSON
		}
		return a, diags
	}
	var diags hcl.Diagnostics
	switch fs.NArg() {
	case 0:
	case 1:
		a.PlanPath = fs.Arg(0)
	default:
		diags = append(diags, errorf("apply takes at most one argument, a saved plan file (got %q)", fs.Args()))
	}
	if d := checkParallelism(a.Parallelism); d != nil {
		diags = append(diags, d)
	}
	if a.ViewType == ViewJSON && !a.AutoApprove && fs.NArg() == 0 {
		diags = append(diags, errorf("apply -json cannot ask for confirmation: add -auto-approve, or apply a saved plan file"))
	}
	if a.Wait < 0 || a.LockTimeout < 0 {
		diags = append(diags, errorf("-wait and -lock-timeout must not be negative"))
	}
	if fs.NArg() == 1 && (len(a.Vars) > 0 || len(a.Targets) > 0 || len(a.Excludes) > 0) {
		diags = append(diags, errorf("-var, -var-file, -target and -exclude cannot be used with a saved plan: it is applied exactly as planned; pass them to `orderform plan -out=FILE` instead"))
	}
	return a, diags
}

// withoutValues is args with the values of -var and -var-file left out.
func withoutValues(args []string) []string {
	out := make([]string, 0, len(args))
	skip := false
	for _, a := range args {
		if skip {
			skip = false
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "var" || name == "var-file") {
			out = append(out, "-"+name+"=…")
			skip = !hasValue
			continue
		}
		out = append(out, a)
	}
	return out
}
