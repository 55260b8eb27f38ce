package command

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/plan"
)

// planWaitLimit is the longest rate-limit wait a plan (or import) makes: a
// quota that resets later (the Market's 420 can name an hour) is an error
// naming the endpoint and the reset, not a plan that sits silent. apply
// waits up to its -wait, and at least this.
const planWaitLimit = 2 * time.Minute

func runPlan(ctx context.Context, m *meta, args []string) int {
	a, diags := arguments.ParsePlan(args)
	json := a.ViewType == arguments.ViewJSON
	opt := m.viewOptions(a.NoColor || json, a.ShowSensitive, m.Stdout)
	errOpt := m.viewOptions(a.NoColor, a.ShowSensitive, m.Stderr)
	if diags.HasErrors() {
		if json {
			m.printJSON(views.PlanJSON(nil, diags, opt))
			return exitError
		}
		return m.commandLineError("plan", diags, errOpt)
	}
	m.maxWait = planWaitLimit
	p, diags := m.makePlan(ctx, a.Operation, nil)
	if p.plan == nil {
		// What the data sources read is shown even so: an index past the
		// end of a list is fixed by looking at the list.
		var partial *plan.Plan
		if len(p.data) > 0 {
			partial = &plan.Plan{DataSources: p.data}
		}
		if json {
			m.printJSON(views.PlanJSON(partial, diags, opt))
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
	if json {
		if !m.printJSON(views.PlanJSON(p.plan, diags, opt)) {
			return exitError
		}
	} else {
		views.ShowPlanned(m.Stdout, views.Planned{Plan: p.plan, Files: p.cfg.Files(), Declared: p.declared,
			NoneSelected: p.noneSelected, Dir: m.relDir}, opt)
	}
	if a.Out != "" {
		path := a.Out
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.dir, path)
		}
		if err := plan.Write(path, &plan.File{Version: Version, Endpoint: p.conn.endpoint, Plan: p.plan}); err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		if !json {
			fmt.Fprintf(m.Stdout, "\nSaved the plan to %s. Apply exactly this plan with:\n    orderform apply %s\n", a.Out, a.Out)
		}
	}
	switch {
	case len(p.plan.Blocked) > 0:
		return exitError
	case a.DetailedExitcode && !p.plan.Converges():
		// A write whose outcome is unknown is not a match: the order
		// does not show the declared value, and nobody knows it will.
		return exitChanges
	}
	return exitOK
}
