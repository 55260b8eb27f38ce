package command

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/schema"
)

// runJournal lists the writes still in flight against the configuration's
// endpoint, from its backend. It reads the journal only: no lock, no API
// call, nothing written.
func runJournal(ctx context.Context, m *meta, args []string) int {
	fs := m.newFlagSet("journal", "")
	asJSON := fs.Bool("json", false, "print the writes in flight as one JSON document")
	noColor := fs.Bool("no-color", false, "no colour in the output")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	errOpt := m.viewOptions(*noColor, false, m.Stderr)
	if fs.NArg() > 0 {
		m.errorf(errOpt, "journal takes no arguments (got %q); it lists the writes in flight of the configuration in the directory, see -chdir", fs.Args())
		return exitError
	}
	cfg, diags := schema.Load(m.relDir, schema.LoadOptions{Env: os.Environ()})
	if diags.HasErrors() {
		m.printDiags(diags, cfg, errOpt)
		return exitError
	}
	b, err := m.openBackend(ctx, cfg.Backend, false)
	if err != nil {
		m.printDiags(hcl.Diagnostics{backendDiag(cfg.Backend, err)}, cfg, errOpt)
		return exitError
	}
	defer b.Close()
	recs, err := b.Records(ctx)
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	endpoint := target(cfg.Provider)
	entries := journal.OpenEntries(recs, endpoint)
	if *asJSON {
		data, err := views.JournalJSON(entries, endpoint, b.Name())
		if err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(data))
		return exitOK
	}
	views.Journal(m.Stdout, entries, endpoint, b.Name(), m.viewOptions(*noColor, false, m.Stdout))
	return exitOK
}
