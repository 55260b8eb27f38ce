package views

import (
	"io"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostics writes diags the way HCL tools do: severity and summary, the
// place with a snippet of the file (from files, by filename; "source code not
// available" when it is missing), then the detail wrapped at opt.Width.
//
// Unless opt.ShowSensitive, a diagnostic's expression and evaluation context
// are left out. HCL would otherwise add lines such as
// `with each.value as {phone = "+79990001122"}`: values of variables and
// for_each rows, which for orderform are recipients read from data files.
// Values from sensitive variables are marked and HCL skips them anyway;
// personal data is not marked, so the context goes.
func Diagnostics(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, opt Options) {
	shown := make(hcl.Diagnostics, 0, len(diags))
	for _, d := range diags {
		if d == nil {
			continue
		}
		if !opt.ShowSensitive && (d.Expression != nil || d.EvalContext != nil) {
			c := *d
			c.Expression, c.EvalContext = nil, nil
			d = &c
		}
		shown = append(shown, d)
	}
	wr := hcl.NewDiagnosticTextWriter(w, files, uint(opt.width()), opt.Color)
	_ = wr.WriteDiagnostics(shown) // a broken writer is the caller's to notice: there is nowhere else to report it
}
