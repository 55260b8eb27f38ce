package command

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/internal/refresh"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/schema"
)

func runApply(ctx context.Context, m *meta, args []string) int {
	fs := m.newFlagSet("apply", "[PLANFILE]")
	var f commonFlags
	f.register(fs)
	auto := fs.Bool("auto-approve", false, "apply without asking for confirmation")
	wait := fs.Duration("wait", 5*time.Minute, "how long to follow asynchronous operations until the Market confirms them; 0 submits and returns")
	poll := fs.Duration("poll-interval", 2*time.Second, "how often to check asynchronous operations while waiting")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(m.Stderr, "Error: apply takes at most one argument, a saved plan file (got %q)\n", fs.Args())
		return exitError
	}
	opt := m.viewOptions(f.noColor || f.json, f.showSensitive, m.Stdout)
	errOpt := m.viewOptions(f.noColor, f.showSensitive, m.Stderr)
	if f.json && !*auto && fs.NArg() == 0 {
		m.errorf(errOpt, "apply -json cannot ask for confirmation: add -auto-approve, or apply a saved plan file")
		return exitError
	}
	if *wait < 0 {
		m.errorf(errOpt, "-wait must not be negative")
		return exitError
	}

	if fs.NArg() == 1 {
		// A saved plan is applied as it was made: flags that would change
		// what it does have no place here.
		if len(f.vars) > 0 || len(f.targets) > 0 || len(f.excludes) > 0 {
			m.errorf(errOpt, "-var, -var-file, -target and -exclude cannot be used with a saved plan: it is applied exactly as planned; pass them to `orderform plan -out=FILE` instead")
			return exitError
		}
	}

	// One run at a time per directory: taken before reading anything, so
	// no other run can write between our plan and our writes.
	lock, err := journal.Acquire(m.dir)
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	defer lock.Release()

	var (
		p        *plan.Plan
		conn     *connection
		reader   *refresh.Reader
		verdicts []refresh.Verdict
	)
	if fs.NArg() == 1 {
		path := fs.Arg(0)
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.dir, path)
		}
		file, err := plan.Read(path)
		if err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		p = file.Plan
		conn, err = m.connectSaved(file, f.parallelism)
		if err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		reader = &refresh.Reader{API: conn.client, BusinessID: conn.businessID, Parallelism: f.parallelism}
		verdicts, err = m.reconcileSaved(ctx, reader, p)
		if err != nil {
			m.errorf(errOpt, "%v", err)
			_ = conn.close()
			return exitError
		}
		if !f.json {
			views.Plan(m.Stdout, p, nil, opt)
		}
	} else {
		pl, diags := m.makePlan(ctx, &f)
		m.printDiags(diags, pl.cfg, errOpt)
		if pl.plan == nil {
			return exitError
		}
		p, conn, reader, verdicts = pl.plan, pl.conn, pl.reader, pl.verdicts
		if !f.json {
			m.viewPlan(pl, opt)
		}
	}
	defer func() {
		if err := conn.close(); err != nil {
			m.errorf(errOpt, "%v", err)
		}
	}()

	jr, err := journal.Open(m.dir)
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	defer jr.Close()
	// What earlier runs left open is now known: record it, under the lock.
	recs := make([]journal.Record, 0, len(verdicts))
	for _, v := range verdicts {
		recs = append(recs, journal.Record{Kind: v.Kind, ID: v.Entry.ID, OrderID: v.Entry.OrderID})
	}
	if err := jr.Append(recs...); err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	if err := jr.Compact(); err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	inFlight, err := journal.OpenEntries(m.dir)
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}

	if !p.HasChanges() {
		if f.json {
			data, _ := views.SummaryJSON(apply.Report{Blocked: p.Blocked})
			fmt.Fprintln(m.Stdout, string(data))
		} else if len(p.Blocked) == 0 {
			fmt.Fprintln(m.Stdout, "\nNothing to apply.")
		}
		if len(p.Blocked) > 0 {
			return exitError
		}
		return exitOK
	}
	if !*auto && fs.NArg() == 0 {
		if !isTerminal(m.Stdin) {
			m.errorf(errOpt, "apply asks for confirmation and standard input is not a terminal: review the plan and run `orderform apply -auto-approve`, or save it with `orderform plan -out=FILE` and run `orderform apply FILE`")
			return exitError
		}
		fmt.Fprintf(m.Stdout, "\nDo you want to make these changes to %d orders?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", len(p.Changes))
		// Ctrl-C at the prompt must end the run at once, not wait for Enter.
		answers := make(chan string, 1)
		go func() {
			a, _ := bufio.NewReader(m.Stdin).ReadString('\n')
			answers <- a
		}()
		var answer string
		select {
		case answer = <-answers:
		case <-ctx.Done():
		}
		if strings.TrimSpace(answer) != "yes" {
			fmt.Fprintln(m.Stdout, "\nApply cancelled.")
			return exitError
		}
	}

	progress := views.NewProgress(m.Stderr, len(p.Changes), isTerminal(m.Stderr), errOpt)
	m.onWait.Store(progress.RateLimitWait)
	onEvent := func(e apply.Event) {
		if f.json {
			if data, err := views.EventJSON(e); err == nil {
				fmt.Fprintln(m.Stdout, string(data))
			}
		}
		progress.Event(e)
	}
	rep, err := apply.Run(ctx, p, conn.client, reader, apply.Options{
		Journal: jr, BusinessID: conn.businessID, Parallelism: f.parallelism,
		Wait: *wait, PollInterval: *poll, InFlight: inFlight, OnEvent: onEvent,
	})
	progress.Finish()
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	if f.json {
		data, _ := views.SummaryJSON(rep)
		fmt.Fprintln(m.Stdout, string(data))
	} else {
		fmt.Fprintln(m.Stdout)
		views.ApplyReport(m.Stdout, rep, opt)
	}
	if !rep.OK() {
		return exitError
	}
	return exitOK
}

// reconcileSaved settles the journal's open submissions for the orders a
// saved plan touches, as makePlan does for a fresh one.
func (m *meta) reconcileSaved(ctx context.Context, reader *refresh.Reader, p *plan.Plan) ([]refresh.Verdict, error) {
	entries, err := journal.OpenEntries(m.dir)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	refs := make([]apply.OrderRef, 0, len(entries))
	for _, e := range entries {
		refs = append(refs, apply.OrderRef{OrderID: e.OrderID, CampaignID: e.CampaignID, Recipient: true})
	}
	orders, err := reader.ReadOrders(ctx, refs)
	if err != nil {
		return nil, err
	}
	current := map[int64]plan.Current{}
	for id, o := range orders {
		current[id] = plan.Current{Found: true, Order: o}
	}
	_, verdicts, err := reader.Reconcile(ctx, entries, current, time.Now().UTC())
	return verdicts, err
}

// connectSaved connects for a saved plan: to the API it was made on and only
// there. The key (plan files hold none) and the endpoint come from the
// provider block and the environment as for a fresh plan; if they point
// somewhere else than the plan was made on, nothing is sent, the key
// included. A plan made on the embedded sandbox is applied to it.
func (m *meta) connectSaved(file *plan.File, parallelism int) (*connection, error) {
	if seed, ok := strings.CutPrefix(file.Endpoint, sandboxPrefix); ok {
		return m.connect(schema.Provider{BusinessID: file.Plan.BusinessID, Sandbox: seed}, parallelism)
	}
	// The provider block, if the directory's configuration loads without
	// the plan's -var flags; else the environment alone.
	var prov schema.Provider
	if cfg, diags := schema.Load(m.relDir, schema.LoadOptions{Env: os.Environ()}); !diags.HasErrors() && cfg != nil {
		prov = cfg.Provider
	}
	here := target(prov)
	if strings.TrimRight(here, "/") != strings.TrimRight(file.Endpoint, "/") {
		return nil, fmt.Errorf("the plan was made against %s, but this configuration and environment point at %s: apply it where it was made (set YANDEX_MARKET_ENDPOINT=%s), or plan again", file.Endpoint, here, file.Endpoint)
	}
	prov.Sandbox = ""
	prov.BusinessID = cmp.Or(file.Plan.BusinessID, prov.BusinessID)
	return m.connect(prov, parallelism)
}
