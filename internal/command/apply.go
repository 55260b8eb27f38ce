package command

import (
	"context"
	"io"

	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/views"
)

// runApply is apply in three steps, as Terraform's: the arguments
// (internal/arguments), the operation (applyOperation) and the view
// (views.Apply), which renders every outcome, errors included, for a person
// or as apply -json's stream.
func runApply(ctx context.Context, m *meta, args []string) int {
	a, diags := arguments.ParseApply(args)
	json := a.ViewType == arguments.ViewJSON
	opt := m.viewOptions(a.NoColor || json, a.ShowSensitive, m.Stdout)
	errOpt := m.viewOptions(a.NoColor, a.ShowSensitive, m.Stderr)
	v := views.NewApply(a.ViewType, m.Stdout, m.Stderr, opt, errOpt)
	if diags.HasErrors() {
		v.Diagnostics(diags, nil)
		if arguments.FlagsDidNotParse(diags) {
			v.Usage(func(w io.Writer) { arguments.Usage(w, "apply") })
		}
		v.Failed(apply.Report{})
		return exitError
	}
	op := &applyOperation{m: m, args: a, view: v, errOpt: errOpt}
	return op.run(ctx)
}
