package command

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/plan"
)

// planWaitLimit is the longest rate-limit wait a plan (or import) makes: a
// quota that resets later (the Market's 420 can name an hour) is an error
// naming the endpoint and the reset, not a plan that sits silent. apply
// waits up to its -wait, and at least this.
const planWaitLimit = 2 * time.Minute

func runPlan(ctx context.Context, m *meta, args []string) int {
	fs := m.newFlagSet("plan", "")
	var f commonFlags
	f.register(fs)
	out := fs.String("out", "", "save the plan to `FILE`, for orderform apply FILE")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when there are changes, 0 when none, 1 on error")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(m.Stderr, "Error: plan takes no arguments (got %q); the configuration is every *.hcl in the directory, see -chdir\n", fs.Args())
		return exitError
	}
	opt := m.viewOptions(f.noColor || f.json, f.showSensitive, m.Stdout)
	errOpt := m.viewOptions(f.noColor, f.showSensitive, m.Stderr)
	if err := checkParallelism(f.parallelism); err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	m.maxWait = planWaitLimit
	p, diags := m.makePlan(ctx, &f, nil)
	if p.plan == nil {
		// What the data sources read is shown even so: an index past the
		// end of a list is fixed by looking at the list.
		var partial *plan.Plan
		if len(p.data) > 0 {
			partial = &plan.Plan{DataSources: p.data}
		}
		if f.json {
			data, err := views.PlanJSON(partial, diags, opt)
			if err != nil {
				m.errorf(errOpt, "%v", err)
				return exitError
			}
			fmt.Fprintln(m.Stdout, string(data))
		} else if partial != nil {
			views.DataSources(m.Stdout, partial.DataSources, opt)
		}
		m.printDiags(diags, p.cfg, errOpt)
		return exitError
	}
	defer func() {
		if err := p.closeAll(); err != nil {
			m.errorf(errOpt, "%v", err)
		}
	}()
	m.printDiags(diags, p.cfg, errOpt)
	if f.json {
		data, err := views.PlanJSON(p.plan, diags, opt)
		if err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(data))
	} else if p.noneSelected {
		views.NoneSelected(m.Stdout, p.declared)
	} else {
		m.viewPlan(p, opt)
	}
	if *out != "" {
		path := *out
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.dir, path)
		}
		if err := plan.Write(path, &plan.File{Version: Version, Endpoint: p.conn.endpoint, Plan: p.plan}); err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		if !f.json {
			fmt.Fprintf(m.Stdout, "\nSaved the plan to %s. Apply exactly this plan with:\n    orderform apply %s\n", *out, *out)
		}
	}
	switch {
	case len(p.plan.Blocked) > 0:
		return exitError
	case *detailed && !p.plan.Converges():
		// A write whose outcome is unknown is not a match: the order
		// does not show the declared value, and nobody knows it will.
		return exitChanges
	}
	return exitOK
}

// relPath is path relative to the working directory when that is shorter.
func relPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && len(r) < len(path) {
		return r
	}
	return path
}
