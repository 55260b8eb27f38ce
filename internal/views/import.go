package views

import (
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
)

// Import is what import shows: the order blocks on stdout (unless they
// went to a file), and on stderr the problems, the orders left out and
// what was written.
type Import struct {
	stdout, stderr io.Writer
	opt            Options // stderr's
}

// NewImport returns import's view; opt is for stderr.
func NewImport(stdout, stderr io.Writer, opt Options) *Import {
	return &Import{stdout: stdout, stderr: stderr, opt: opt}
}

// Diagnostics shows problems and the orders left out, with snippets from
// files.
func (v *Import) Diagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	Diagnostics(v.stderr, diags, files, v.opt)
}

// NothingToImport says no order was read because every one given is
// declared already.
func (v *Import) NothingToImport() {
	fmt.Fprintln(v.stderr, "Nothing to import: every order given is already declared.")
}

// Imported shows the result: blocks (written blocks of them) on stdout
// when out is "", else what became of the file out.
func (v *Import) Imported(blocks []byte, written int, out string) {
	switch {
	case out == "":
		_, _ = v.stdout.Write(blocks)
	case written == 0:
		fmt.Fprintf(v.stderr, "No order block to write; %s not created.\n", out)
	default:
		fmt.Fprintf(v.stderr, "Wrote %d order %s to %s.\n", written, plural(written, "block", "blocks"), out)
	}
}
