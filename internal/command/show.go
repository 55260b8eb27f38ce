package command

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/plan"
)

func runShow(_ context.Context, m *meta, args []string) int {
	a, diags := arguments.ParseShow(args)
	opt := m.viewOptions(a.NoColor || a.ViewType != arguments.ViewHuman, a.ShowSensitive, m.Stdout)
	errOpt := m.viewOptions(a.NoColor, false, m.Stderr)
	if diags.HasErrors() {
		return m.commandLineError("show", diags, errOpt)
	}
	path := a.PlanPath
	if !filepath.IsAbs(path) {
		path = filepath.Join(m.dir, path)
	}
	file, err := plan.Read(path)
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	switch a.ViewType {
	case arguments.ViewJSON:
		data, err := views.PlanJSON(file.Plan, nil, opt)
		if err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(data))
	case arguments.ViewMarkdown:
		views.Markdown(m.Stdout, file.Plan)
	default:
		views.Plan(m.Stdout, file.Plan, nil, opt)
	}
	return exitOK
}
