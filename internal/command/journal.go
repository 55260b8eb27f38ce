package command

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/schema"
)

// runJournal lists the writes still in flight against the configuration's
// endpoint, from its backend. It reads the journal only: no lock, no API
// call, nothing written.
func runJournal(ctx context.Context, m *meta, args []string) int {
	a, diags := arguments.ParseJournal(args)
	errOpt := m.viewOptions(a.NoColor, false, m.Stderr)
	if diags.HasErrors() {
		return m.commandLineError("journal", diags, errOpt)
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
	if a.ViewType == arguments.ViewJSON {
		data, err := views.JournalJSON(entries, endpoint, b.Name())
		if err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(data))
		return exitOK
	}
	views.Journal(m.Stdout, entries, endpoint, b.Name(), m.viewOptions(a.NoColor, false, m.Stdout))
	return exitOK
}
