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

	"github.com/hashicorp/hcl/v2"

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
	lockTimeout := fs.Duration("lock-timeout", 0, "how long to wait for another run's lock of a campaign this run writes to; 0 fails within a second, naming the holder")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(m.Stderr, "Error: apply takes at most one argument, a saved plan file (got %q)\n", fs.Args())
		return exitError
	}
	opt := m.viewOptions(f.noColor || f.json, f.showSensitive, m.Stdout)
	errOpt := m.viewOptions(f.noColor, f.showSensitive, m.Stderr)
	if err := checkParallelism(f.parallelism); err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	if f.json && !*auto && fs.NArg() == 0 {
		m.errorf(errOpt, "apply -json cannot ask for confirmation: add -auto-approve, or apply a saved plan file")
		return exitError
	}
	if *wait < 0 || *lockTimeout < 0 {
		m.errorf(errOpt, "-wait and -lock-timeout must not be negative")
		return exitError
	}
	m.maxWait = max(*wait, planWaitLimit)

	if fs.NArg() == 1 {
		// A saved plan is applied as it was made: flags that would change
		// what it does have no place here.
		if len(f.vars) > 0 || len(f.targets) > 0 || len(f.excludes) > 0 {
			m.errorf(errOpt, "-var, -var-file, -target and -exclude cannot be used with a saved plan: it is applied exactly as planned; pass them to `orderform plan -out=FILE` instead")
			return exitError
		}
	}

	// The locks of the campaigns the run writes to, taken before their
	// orders are read: no other run can write to them between our plan
	// and our writes.
	holder := journal.Me("orderform apply "+strings.Join(withoutValues(args), " "), os.Getenv)
	var locks journal.Locks
	takeLocks := func(b journal.Backend, endpoint string, campaigns []int64) error {
		keys := make([]journal.LockKey, 0, len(campaigns))
		for _, c := range campaigns {
			keys = append(keys, journal.LockKey{Endpoint: endpoint, CampaignID: c})
		}
		l, err := b.Lock(ctx, keys, holder, *lockTimeout, func(k journal.LockKey, h journal.Holder) {
			m.note(views.LockWait(k, h, *lockTimeout))
		})
		locks = l
		return err
	}
	var (
		p        *plan.Plan
		conn     *connection
		backend  journal.Backend
		reader   *refresh.Reader
		verdicts []refresh.Verdict
		// endedSince: orders a saved plan shows pending whose earlier
		// write has since failed or expired (reconcileSaved's verdicts):
		// the plan sends nothing for them, and they do not have the change.
		endedSince map[int64]string
	)
	defer func() {
		// The locks go back before the backend closes (closing frees them
		// too, but leaves the holder's note behind).
		if locks != nil {
			_ = locks.Release()
		}
		if backend != nil {
			_ = backend.Close()
		}
	}()
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
		// The provider and backend blocks, if the directory's
		// configuration loads without the plan's -var flags; else the
		// environment alone and the local backend.
		var prov schema.Provider
		var bcfg schema.Backend
		if cfg, diags := schema.Load(m.relDir, schema.LoadOptions{Env: os.Environ()}); cfg != nil {
			bcfg = cfg.Backend
			if !diags.HasErrors() {
				prov = cfg.Provider
			}
			if bcfg.Invalid {
				// Its defaults would be another journal and other locks
				// than every other run's.
				m.printDiags(diags, cfg, errOpt)
				return exitError
			}
		}
		if backend, err = m.openBackend(ctx, bcfg, true); err != nil {
			m.printDiags(hcl.Diagnostics{backendDiag(bcfg, err)}, nil, errOpt)
			return exitError
		}
		conn, err = m.connectSaved(file, prov, f.parallelism)
		if err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
		var campaigns []int64
		for _, c := range p.Changes {
			campaigns = append(campaigns, c.CampaignID)
		}
		for _, pd := range p.Pending {
			campaigns = append(campaigns, pd.CampaignID)
		}
		if err := takeLocks(backend, conn.endpoint, campaigns); err != nil {
			m.errorf(errOpt, "%v", err)
			_ = conn.close()
			return exitError
		}
		reader = &refresh.Reader{API: conn.client, BusinessID: conn.businessID, Parallelism: f.parallelism, Key: conn.fpKey}
		verdicts, err = m.reconcileSaved(ctx, reader, backend, conn.endpoint, p)
		if err != nil {
			m.errorf(errOpt, "%v", err)
			_ = conn.close()
			return exitError
		}
		endedSince = endedPending(p, verdicts)
		if !f.json {
			views.Plan(m.Stdout, p, nil, opt)
		}
	} else {
		pl, diags := m.makePlan(ctx, &f, func(pl *planned) error {
			campaigns := make([]int64, 0, len(pl.desired))
			for _, o := range pl.desired {
				campaigns = append(campaigns, o.CampaignID)
			}
			return takeLocks(pl.backend, pl.conn.endpoint, campaigns)
		})
		m.printDiags(diags, pl.cfg, errOpt)
		if pl.plan == nil {
			return exitError
		}
		p, conn, backend, reader, verdicts = pl.plan, pl.conn, pl.backend, pl.reader, pl.verdicts
		switch {
		case f.json:
		case pl.noneSelected:
			views.NoneSelected(m.Stdout, pl.declared)
		default:
			m.viewPlan(pl, opt)
		}
	}
	defer func() {
		if err := conn.close(); err != nil {
			m.errorf(errOpt, "%v", err)
		}
	}()

	jr := stamped{Backend: backend, endpoint: conn.endpoint, by: holder.Who()}
	// What earlier runs left open is now known: record it, under the lock.
	recs := make([]journal.Record, 0, len(verdicts))
	for _, v := range verdicts {
		recs = append(recs, journal.Record{Kind: v.Kind, ID: v.Entry.ID, OrderID: v.Entry.OrderID, CampaignID: v.Entry.CampaignID})
	}
	if err := jr.Append(recs...); err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	if locks != nil {
		if err := backend.Prune(ctx, locks); err != nil {
			m.errorf(errOpt, "%v", err)
			return exitError
		}
	}
	all, err := backend.Records(ctx)
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	inFlight := journal.OpenEntries(all, conn.endpoint)

	// Writes of earlier runs that never got an answer are followed (their
	// orders re-read) even when nothing is left to send: the run must not
	// end "complete" on a change nobody knows the fate of.
	if !p.HasChanges() && p.Summary().Unknown == 0 && len(endedSince) == 0 {
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
	if !*auto && fs.NArg() == 0 && p.HasChanges() {
		if !isTerminal(m.Stdin) {
			m.errorf(errOpt, "apply asks for confirmation and standard input is not a terminal: review the plan and run `orderform apply -auto-approve`, or save it with `orderform plan -out=FILE` and run `orderform apply FILE`")
			return exitError
		}
		views.Confirm(m.Stdout, p, opt)
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
	m.onNote.Store(progress.Note)
	onEvent := func(e apply.Event) {
		if f.json {
			if data, err := views.EventJSON(e); err == nil {
				fmt.Fprintln(m.Stdout, string(data))
			}
		}
		progress.Event(e)
	}
	rep, err := apply.Run(ctx, p, conn.client, reader, apply.Options{
		Journal: jr, BusinessID: conn.businessID, Parallelism: f.parallelism, Key: conn.fpKey,
		Wait: *wait, PollInterval: *poll, InFlight: inFlight, OnEvent: onEvent,
	})
	progress.Finish()
	if err != nil {
		m.errorf(errOpt, "%v", err)
		return exitError
	}
	for i, res := range rep.Results {
		if how, ok := endedSince[res.OrderID]; ok && res.Outcome == apply.InFlight {
			rep.Results[i].Outcome = apply.Failed
			rep.Results[i].Detail = "the earlier write this plan shows pending " + how + " since the plan was made, and the plan sends nothing for it: plan again to send the change"
		}
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

// endedPending names the orders p shows pending whose earlier write a
// verdict says is over without the change (failed or expired), with how.
func endedPending(p *plan.Plan, verdicts []refresh.Verdict) map[int64]string {
	pending := map[int64]bool{}
	for _, pd := range p.Pending {
		pending[pd.OrderID] = true
	}
	out := map[int64]string{}
	for _, v := range verdicts {
		switch {
		case !pending[v.Entry.OrderID]:
		case v.Kind == journal.KindFailed:
			out[v.Entry.OrderID] = "failed"
		case v.Kind == journal.KindExpired:
			out[v.Entry.OrderID] = "was never confirmed and counts as not applied"
		}
	}
	return out
}

// reconcileSaved settles the journal's open submissions for the orders a
// saved plan touches, as makePlan does for a fresh one.
func (m *meta) reconcileSaved(ctx context.Context, reader *refresh.Reader, b journal.Backend, endpoint string, p *plan.Plan) ([]refresh.Verdict, error) {
	recs, err := b.Records(ctx)
	if err != nil {
		return nil, err
	}
	touched := map[int64]bool{}
	for _, c := range p.Changes {
		touched[c.OrderID] = true
	}
	for _, pd := range p.Pending {
		touched[pd.OrderID] = true
	}
	var entries []journal.Entry
	for _, e := range journal.OpenEntries(recs, endpoint) {
		if touched[e.OrderID] {
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return nil, nil
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
	for id := range touched {
		current[id] = plan.Current{}
	}
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
func (m *meta) connectSaved(file *plan.File, prov schema.Provider, parallelism int) (*connection, error) {
	if seed, ok := strings.CutPrefix(file.Endpoint, sandboxPrefix); ok {
		return m.connect(schema.Provider{BusinessID: file.Plan.BusinessID, Sandbox: seed}, parallelism)
	}
	here := target(prov)
	if here != journal.CanonicalEndpoint(file.Endpoint) {
		return nil, fmt.Errorf("the plan was made against %s, but this configuration and environment point at %s: apply it where it was made (set YANDEX_MARKET_ENDPOINT=%s), or plan again", file.Endpoint, here, file.Endpoint)
	}
	prov.Sandbox = ""
	prov.BusinessID = cmp.Or(file.Plan.BusinessID, prov.BusinessID)
	return m.connect(prov, parallelism)
}

// withoutValues is the command line with the values of -var and -var-file
// left out: a lock's note is shown to others and kept in the backend, and a
// variable may hold a secret (an API key).
func withoutValues(args []string) []string {
	out := make([]string, 0, len(args))
	skip := false
	for _, a := range args {
		if skip {
			skip = false
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "var" || name == "var-file") {
			out = append(out, "-"+name+"=…")
			skip = !hasValue
			continue
		}
		out = append(out, a)
	}
	return out
}
