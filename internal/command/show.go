package command

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/plan"
)

func runShow(_ context.Context, m *meta, args []string) int {
	fs := m.newFlagSet("show", "PLANFILE")
	asJSON := fs.Bool("json", false, "print the plan as one JSON document")
	asMarkdown := fs.Bool("markdown", false, "print the plan as Markdown for a pull-request comment (always masked)")
	noColor := fs.Bool("no-color", false, "no colour in the output")
	showSensitive := fs.Bool("show-sensitive", false, "show recipient names, phones and sensitive values in clear")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	opt := m.viewOptions(*noColor || *asJSON || *asMarkdown, *showSensitive, m.Stdout)
	errOpt := m.viewOptions(*noColor, false, m.Stderr)
	if fs.NArg() != 1 || (*asJSON && *asMarkdown) {
		m.errorf(errOpt, "show takes one plan file and at most one of -json and -markdown")
		return exitError
	}
	path := fs.Arg(0)
	if !filepath.IsAbs(path) {
		path = filepath.Join(m.dir, path)
	}
	file, err := plan.Read(path)
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	switch {
	case *asJSON:
		data, err := views.PlanJSON(file.Plan, nil, opt)
		if err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(data))
	case *asMarkdown:
		views.Markdown(m.Stdout, file.Plan)
	default:
		views.Plan(m.Stdout, file.Plan, nil, opt)
	}
	return exitOK
}
