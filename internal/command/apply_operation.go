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
	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/refresh"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// applyOperation is one apply run once its arguments parsed, as
// Terraform's backend/local runs one: it takes the locks of the campaigns it
// writes to, makes the plan (or loads the saved one), settles what earlier
// runs left open, asks, writes, follows, and tells the view each step.
// Every problem reaches the view as a diagnostic, so that apply -json
// reports it in JSON like everything else.
type applyOperation struct {
	m      *meta
	args   *arguments.Apply
	view   views.Apply
	errOpt views.Options // stderr's, for the progress display

	holder  journal.Holder
	locks   journal.Locks
	backend journal.Backend
	conn    *connection
	// files are the configuration's, for the snippets of diagnostics.
	files map[string]*hcl.File
	// endedSince: orders a saved plan shows pending whose earlier write
	// has since failed or expired (reconcileSaved's verdicts): the plan
	// sends nothing for them, and they do not have the change.
	endedSince map[int64]string
	// warned: the reader's fallbacks (refresh.Reader.Fallbacks) already
	// shown as warnings.
	warned int
	// read: the orders a fresh plan applied without asking was made from,
	// read under this run's locks moments before (apply.Options.Read).
	read map[int64]provider.Order
	// prepared is the backend's Prepare (journal.Preparer), started once
	// the locks are held, while the orders are read; nil if not started.
	prepared chan error
}

// run is the whole operation; it returns the exit code.
func (op *applyOperation) run(ctx context.Context) int {
	m, a := op.m, op.args
	m.maxWait = max(a.Wait, planWaitLimit)
	op.holder = journal.Me("orderform apply "+strings.Join(a.CommandLine, " "), os.Getenv)
	defer op.release()

	// The plan, or the diagnostics of why there is none (its warnings
	// have been shown with it).
	var (
		p        *plan.Plan
		reader   *refresh.Reader
		verdicts []refresh.Verdict
		diags    hcl.Diagnostics
	)
	if a.PlanPath != "" {
		p, reader, verdicts, diags = op.saved(ctx)
	} else {
		p, reader, verdicts, diags = op.fresh(ctx)
	}
	if p == nil {
		return op.fail(apply.Report{}, diags...)
	}

	inFlight, err := op.settle(ctx, verdicts)
	if err != nil {
		return op.fail(apply.Report{Blocked: p.Blocked}, errDiag(err))
	}
	op.warnFallbacks(reader) // a saved plan's reads so far
	// Writes of earlier runs that never got an answer are followed (their
	// orders re-read) even when nothing is left to send: the run must not
	// end "complete" on a change nobody knows the fate of.
	// A saved plan's deferred changes are re-read: the order may allow
	// them now (a fresh plan has just found it does not).
	recheck := a.PlanPath != "" && len(p.Deferred) > 0
	if !p.HasChanges() && !recheck && p.Summary().Unknown == 0 && len(op.endedSince) == 0 {
		if d := op.closeConn(); d != nil {
			return op.fail(apply.Report{Blocked: p.Blocked}, d)
		}
		op.view.Nothing(p)
		if len(p.Blocked) > 0 {
			return exitError
		}
		return exitOK
	}
	if !a.AutoApprove && a.PlanPath == "" && p.HasChanges() {
		if code, ok := op.confirm(ctx, p); !ok {
			return code
		}
	}

	rep, err := op.write(ctx, p, reader, inFlight)
	op.warnFallbacks(reader) // apply's own reads
	if err != nil {
		return op.fail(rep, errDiag(err))
	}
	if d := op.closeConn(); d != nil {
		op.view.Diagnostics(hcl.Diagnostics{d}, nil)
		op.view.Report(rep)
		return exitError
	}
	op.view.Report(rep)
	if !rep.OK() {
		return exitError
	}
	return exitOK
}

// warnFallbacks shows the reader's fallbacks to the deprecated campaign
// reads not shown yet (makePlan's diagnostics showed the plan's).
func (op *applyOperation) warnFallbacks(reader *refresh.Reader) {
	fbs := reader.Fallbacks()
	if len(fbs) > op.warned {
		op.view.Diagnostics(fallbackDiags(fbs[op.warned:]), nil)
		op.warned = len(fbs)
	}
}

// write makes p's changes and follows them, showing the progress on stderr
// and each event to the view.
func (op *applyOperation) write(ctx context.Context, p *plan.Plan, reader *refresh.Reader, inFlight []journal.Entry) (apply.Report, error) {
	m := op.m
	// Deferred changes are re-read with the others, and made when their
	// order allows them now.
	progress := views.NewProgress(m.Stderr, len(p.Changes)+len(p.Deferred), isTerminal(m.Stderr), op.errOpt)
	m.onWait.Store(progress.RateLimitWait)
	m.onNote.Store(progress.Note)
	rep, err := apply.Run(ctx, p, op.conn.client, reader, op.applyOptions(reader, inFlight, func(e apply.Event) {
		op.view.Event(e)
		progress.Event(e)
	}))
	progress.Finish()
	if err != nil {
		return rep, err
	}
	for i, res := range rep.Results {
		if how, ok := op.endedSince[res.OrderID]; ok && res.Outcome == apply.Pending {
			rep.Results[i].Outcome = apply.Failed
			rep.Results[i].Detail = "the earlier write this plan shows pending " + how + " since the plan was made, and the plan sends nothing for it: plan again to send the change"
		}
	}
	return rep, nil
}

// applyOptions are how this run writes: through its journal, stamped with
// its endpoint and holder, at its parallelism, following for -wait, in the
// businesses reader knows of its campaigns.
func (op *applyOperation) applyOptions(reader *refresh.Reader, inFlight []journal.Entry, onEvent func(apply.Event)) apply.Options {
	a := op.args
	return apply.Options{
		Journal:      stamped{Backend: op.backend, endpoint: op.conn.endpoint, by: op.holder.Who()},
		BusinessID:   op.conn.businessID,
		BusinessOf:   reader.Business,
		Read:         op.read,
		Parallelism:  a.Parallelism,
		PerCampaign:  op.conn.client.Parallel(),
		Key:          op.conn.fpKey,
		Wait:         a.Wait,
		PollInterval: a.PollInterval,
		InFlight:     inFlight,
		OnEvent:      onEvent,
	}
}

// fail ends the run on diags (shown), with r what it knew by then.
func (op *applyOperation) fail(r apply.Report, diags ...*hcl.Diagnostic) int {
	if d := op.closeConn(); d != nil {
		diags = append(diags, d)
	}
	op.view.Diagnostics(diags, op.files)
	op.view.Failed(r)
	return exitError
}

// fresh makes the plan now, taking the locks once the orders and their
// campaigns are known and before their state is read: no other run can
// write to them between this plan and these writes.
func (op *applyOperation) fresh(ctx context.Context) (*plan.Plan, *refresh.Reader, []refresh.Verdict, hcl.Diagnostics) {
	pl, diags := op.m.makePlan(ctx, op.args.Operation, func(pl *planned) error {
		campaigns := make([]int64, 0, len(pl.desired))
		for _, o := range pl.desired {
			campaigns = append(campaigns, o.CampaignID)
		}
		if err := op.lock(ctx, pl.backend, pl.conn.endpoint, campaigns); err != nil {
			return err
		}
		// The journal gets ready (its files opened, pruned) while the plan
		// is made from the orders read: on the other core then, not
		// competing with the first reads.
		if p, ok := pl.backend.(journal.Preparer); ok {
			pl.afterRead = func() {
				op.prepared = make(chan error, 1)
				go func() { op.prepared <- p.Prepare(ctx, op.locks) }()
			}
		}
		return nil
	})
	op.files = pl.cfg.Files()
	if pl.plan == nil {
		return nil, nil, nil, diags
	}
	op.conn, op.backend = pl.conn, pl.backend
	op.warned = len(pl.reader.Fallbacks())
	if op.args.AutoApprove {
		// Nothing stands between this read and the writes but the plan
		// itself, under the locks: a second read would be the same.
		op.read = pl.read
	}
	op.view.Diagnostics(diags, op.files) // warnings, before the plan they are about
	op.view.Planned(views.Planned{Plan: pl.plan, Files: op.files, Declared: pl.declared,
		NoneSelected: pl.noneSelected, Dir: op.m.relDir})
	return pl.plan, pl.reader, pl.verdicts, nil
}

// saved loads a saved plan and connects to the API it was made on, taking
// the locks of every campaign it touches before re-reading their orders.
func (op *applyOperation) saved(ctx context.Context) (*plan.Plan, *refresh.Reader, []refresh.Verdict, hcl.Diagnostics) {
	m := op.m
	path := op.args.PlanPath
	if !filepath.IsAbs(path) {
		path = filepath.Join(m.dir, path)
	}
	file, err := plan.Read(path)
	if err != nil {
		return nil, nil, nil, hcl.Diagnostics{errDiag(err)}
	}
	p := file.Plan
	// The provider and backend blocks, if the directory's configuration
	// loads without the plan's -var flags; else the environment alone and
	// the local backend.
	var prov schema.Provider
	var bcfg schema.Backend
	if cfg, diags := schema.Load(m.relDir, schema.LoadOptions{Env: os.Environ()}); cfg != nil {
		bcfg = cfg.Backend
		op.files = cfg.Files()
		if !diags.HasErrors() {
			prov = cfg.Provider
		}
		if bcfg.Invalid {
			// Its defaults would be another journal and other locks than
			// every other run's.
			return nil, nil, nil, diags
		}
	}
	if op.backend, err = m.openBackend(ctx, bcfg, true); err != nil {
		return nil, nil, nil, hcl.Diagnostics{backendDiag(bcfg, err)}
	}
	if op.conn, err = m.connectSaved(file, prov, op.args.Parallelism); err != nil {
		return nil, nil, nil, hcl.Diagnostics{errDiag(err)}
	}
	var campaigns []int64
	for _, c := range p.Changes {
		campaigns = append(campaigns, c.CampaignID)
	}
	for _, pd := range p.Pending {
		campaigns = append(campaigns, pd.CampaignID)
	}
	for _, d := range p.Deferred {
		campaigns = append(campaigns, d.CampaignID)
	}
	if err := op.lock(ctx, op.backend, op.conn.endpoint, campaigns); err != nil {
		return nil, nil, nil, hcl.Diagnostics{errDiag(err)}
	}
	reader := &refresh.Reader{API: op.conn.client, BusinessID: op.conn.businessID, Parallelism: op.args.Parallelism, Key: op.conn.fpKey}
	verdicts, err := reconcileSaved(ctx, reader, op.backend, op.conn.endpoint, p)
	if err != nil {
		return nil, nil, nil, hcl.Diagnostics{errDiag(err)}
	}
	op.endedSince = endedPending(p, verdicts)
	op.view.Planned(views.Planned{Plan: p, Saved: true})
	return p, reader, verdicts, nil
}

// lock takes the locks of campaigns on b, telling the user while it waits
// for another run's.
func (op *applyOperation) lock(ctx context.Context, b journal.Backend, endpoint string, campaigns []int64) error {
	keys := make([]journal.LockKey, 0, len(campaigns))
	for _, c := range campaigns {
		keys = append(keys, journal.LockKey{Endpoint: endpoint, CampaignID: c})
	}
	timeout := op.args.LockTimeout
	l, err := b.Lock(ctx, keys, op.holder, timeout, func(k journal.LockKey, h journal.Holder) {
		op.m.note(views.LockWait(k, h, timeout))
	})
	op.locks = l
	return err
}

// settle records what became of earlier runs' open writes (now known,
// under the lock), prunes the journal and returns the writes still in
// flight.
func (op *applyOperation) settle(ctx context.Context, verdicts []refresh.Verdict) ([]journal.Entry, error) {
	prepared := op.prepared != nil
	if err := op.waitPrepared(); err != nil {
		return nil, err
	}
	jr := stamped{Backend: op.backend, endpoint: op.conn.endpoint, by: op.holder.Who()}
	recs := make([]journal.Record, 0, len(verdicts))
	for _, v := range verdicts {
		recs = append(recs, journal.Record{Kind: v.Kind, ID: v.Entry.ID, OrderID: v.Entry.OrderID, CampaignID: v.Entry.CampaignID})
	}
	if err := jr.Append(recs...); err != nil {
		return nil, err
	}
	// Pruned already, unless these verdicts have just settled something.
	if op.locks != nil && (!prepared || len(recs) > 0) {
		if err := op.backend.Prune(ctx, op.locks); err != nil {
			return nil, err
		}
	}
	all, err := op.backend.Records(ctx)
	if err != nil {
		return nil, err
	}
	return journal.OpenEntries(all, op.conn.endpoint), nil
}

// confirm asks whether to apply p; ok is false when the run ends there,
// with code.
func (op *applyOperation) confirm(ctx context.Context, p *plan.Plan) (code int, ok bool) {
	m := op.m
	if !isTerminal(m.Stdin) {
		return op.fail(apply.Report{Blocked: p.Blocked}, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: "apply asks for confirmation and standard input is not a terminal: review the plan and run `orderform apply -auto-approve`, or save it with `orderform plan -out=FILE` and run `orderform apply FILE`"}), false
	}
	op.view.Confirm(p)
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
		op.view.Cancelled()
		return exitError, false
	}
	return 0, true
}

// closeConn ends the connection (the embedded sandbox saves its state
// then); a failure is an error of the run.
func (op *applyOperation) closeConn() *hcl.Diagnostic {
	if op.conn == nil {
		return nil
	}
	err := op.conn.close()
	op.conn.close = func() error { return nil }
	if err != nil {
		return errDiag(err)
	}
	return nil
}

// waitPrepared waits for the backend's Prepare started with the locks, and
// returns its error (once: later calls return nil).
func (op *applyOperation) waitPrepared() error {
	if op.prepared == nil {
		return nil
	}
	err := <-op.prepared
	op.prepared = nil
	return err
}

// release gives the locks back, then closes the backend and the connection
// (closing frees the locks too, but leaves the holder's note behind).
func (op *applyOperation) release() {
	_ = op.waitPrepared() // never close the backend under it
	if op.locks != nil {
		_ = op.locks.Release()
	}
	if op.backend != nil {
		_ = op.backend.Close()
	}
	if op.conn != nil {
		_ = op.conn.close()
	}
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
func reconcileSaved(ctx context.Context, reader *refresh.Reader, b journal.Backend, endpoint string, p *plan.Plan) ([]refresh.Verdict, error) {
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
	for _, d := range p.Deferred {
		touched[d.OrderID] = true
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
	refs := make([]provider.OrderRef, 0, len(entries))
	for _, e := range entries {
		refs = append(refs, provider.OrderRef{OrderID: e.OrderID, CampaignID: e.CampaignID, Recipient: true})
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
