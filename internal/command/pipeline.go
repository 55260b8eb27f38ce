package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/refresh"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// planned is a plan with what it was made from.
type planned struct {
	cfg     *schema.Config
	desired []schema.Order
	plan    *plan.Plan
	// read are the orders the plan was made from, as read (apply.Options.Read).
	read     map[int64]provider.Order
	conn     *connection
	backend  journal.Backend // the caller closes it (closeAll)
	reader   *refresh.Reader
	verdicts []refresh.Verdict
	// noneSelected: orders are declared but -target and -exclude leave
	// none of them (declared counts them).
	noneSelected bool
	declared     int
	// data is what the data sources read, kept when the orders then fail
	// to evaluate: that is when the lists indexed into are most needed.
	data []plan.DataSource
	// afterRead, when set (by makePlan's beforeRead), runs once the last
	// orders (and their intervals) are read, while their part of the plan
	// is made; nothing fails after it.
	afterRead func()
}

// makePlan runs the stages up to a plan: load and check the configuration
// (no API call if that fails), open the backend, connect, read the data
// sources, evaluate the orders, read their state and the journal's, and
// diff. beforeRead, when set, runs once the orders and their campaigns are
// known and before their state is read (apply takes its locks there); it
// also opens the backend for writing, where plan only reads it.
// Problems come back as diagnostics (warnings too), for the caller to print
// as text or JSON; p is nil when there is no plan. The caller owns
// p.closeAll.
func (m *meta) makePlan(ctx context.Context, o arguments.Operation, beforeRead func(*planned) error) (*planned, hcl.Diagnostics) {
	cfg, diags := schema.Load(m.relDir, schema.LoadOptions{VarArgs: o.Vars, Env: os.Environ()})
	if diags.HasErrors() {
		return &planned{cfg: cfg}, diags
	}
	// Load has already checked the orders with the data sources unknown, so
	// a mistake in an order costs no API call.
	p := &planned{cfg: cfg}
	if d := m.openAll(ctx, p, beforeRead != nil, o.Parallelism); d != nil {
		return p, append(diags, d)
	}
	diags = append(diags, m.planOrders(ctx, p, o, nil, beforeRead)...)
	if p.plan == nil {
		p.closeAll()
	}
	return p, diags
}

// openAll opens p.cfg's backend (for writing, or only reading), then
// connects to its API. The backend comes first: a database that cannot be
// reached stops the run before any request, the key included.
func (m *meta) openAll(ctx context.Context, p *planned, write bool, parallelism int) *hcl.Diagnostic {
	backend, err := m.openBackend(ctx, p.cfg.Backend, write)
	if err != nil {
		return backendDiag(p.cfg.Backend, err)
	}
	conn, err := m.connect(p.cfg.Provider, parallelism)
	if err != nil {
		_ = backend.Close()
		return errDiag(err)
	}
	p.backend, p.conn = backend, conn
	return nil
}

// planOrders makes the plan of p.cfg through p's open backend and
// connection: read the data sources, evaluate the orders, select them
// (-target, -exclude, then keep when set: watch's one order), call
// beforeRead, read their state and the journal's, and diff. It closes
// nothing: p.plan is nil when there is no plan, and the diagnostics say why.
// A run that lives on (watch) calls it once per reconcile on one
// connection.
func (m *meta) planOrders(ctx context.Context, p *planned, o arguments.Operation, keep func(schema.Order) bool, beforeRead func(*planned) error) hcl.Diagnostics {
	var diags hcl.Diagnostics
	cfg, conn, backend := p.cfg, p.conn, p.backend
	results := &schema.DataResults{}
	if len(cfg.Data) > 0 {
		var err error
		results, err = refresh.Data(ctx, conn.client, cfg.Data, cfg.Provider)
		if err != nil {
			// Point at the data block the API refused.
			d := errDiag(err)
			var de *refresh.DataError
			if errors.As(err, &de) {
				r := de.Source.DeclRange
				d.Subject = &r
			}
			return append(diags, d)
		}
		p.data = dataSourcesRead(cfg.Data, results, cfg.Provider)
	}
	desired, d := cfg.Orders(results)
	diags = append(diags, d...)
	if d.HasErrors() {
		return diags
	}
	p.declared = len(desired)
	desired, d = selectOrders(desired, cfg.Provider, o.Targets, o.Excludes)
	diags = append(diags, d...)
	if d.HasErrors() {
		return diags
	}
	if keep != nil {
		// A new slice: desired may be schema's own (selectOrders), which
		// later reconciles of a watcher are given again.
		var kept []schema.Order
		for _, o := range desired {
			if keep(o) {
				kept = append(kept, o)
			}
		}
		desired = kept
	}
	p.desired = desired
	p.noneSelected = p.declared > 0 && len(desired) == 0

	if beforeRead != nil {
		if err := beforeRead(p); err != nil {
			return append(diags, errDiag(err))
		}
	}
	p.reader = &refresh.Reader{API: conn.client, BusinessID: conn.businessID, Parallelism: o.Parallelism, Key: conn.fpKey}
	// The journal first (under the locks, for apply): the writes still in
	// flight are judged against the read of their orders that follows.
	recs, err := backend.Records(ctx)
	if err != nil {
		return append(diags, errDiag(err))
	}
	entries := map[int64][]journal.Entry{}
	for _, e := range journal.OpenEntries(recs, conn.endpoint) {
		entries[e.OrderID] = append(entries[e.OrderID], e)
	}
	recs = nil
	now := time.Now().UTC()
	// The plan is made a chunk of orders at a time, in address order, and
	// the chunks' plans joined: what was read of a chunk's orders is let
	// go once its part of the plan is made, so a plan of 100,000 orders
	// never holds them all.
	p.plan = plan.Build(plan.Input{Now: now, BusinessID: conn.businessID, Key: conn.fpKey})
	p.read = map[int64]provider.Order{}
	sorted := plan.ByAddress(desired)
	for start := 0; start < len(sorted); start += chunkOrders {
		end := min(start+chunkOrders, len(sorted))
		if err := m.planChunk(ctx, p, sorted[start:end], entries, now, end == len(sorted)); err != nil {
			p.plan = nil
			return append(diags, errDiag(err))
		}
	}
	p.plan.DataSources = p.data
	diags = append(diags, fallbackDiags(p.reader.Fallbacks())...)
	return diags
}

// chunkOrders is how many desired orders one part of a plan is made from:
// 200 batched reads keep the parallel slots busy, and what they read (some
// 400 bytes an order) is let go when the part is made.
var chunkOrders = 10000

// planChunk reads the state of chunk's orders, judges their writes still in
// flight (entries, by order), and joins their part of the plan to p.plan,
// calling p.afterRead once the last chunk's reads have all succeeded.
// p.read keeps the read of the orders the part changes, unless a write of
// theirs may still be landing (apply.Options.Read).
func (m *meta) planChunk(ctx context.Context, p *planned, chunk []schema.Order, entries map[int64][]journal.Entry, now time.Time, last bool) error {
	current, err := p.reader.Current(ctx, chunk)
	if err != nil {
		return err
	}
	var open []journal.Entry
	for _, d := range chunk {
		open = append(open, entries[d.ID]...)
	}
	subs, verdicts, err := p.reader.Reconcile(ctx, open, current, now)
	if err != nil {
		return err
	}
	p.verdicts = append(p.verdicts, verdicts...)
	in := plan.Input{Desired: chunk, Current: current, Submissions: subs, BusinessID: p.conn.businessID, Now: now, Key: p.conn.fpKey}
	if err := p.reader.Intervals(ctx, &in); err != nil {
		return err
	}
	// Nothing after this fails: what afterRead starts never runs beside
	// makePlan closing the backend on an error.
	if last && p.afterRead != nil {
		p.afterRead()
	}
	part := plan.Build(in)
	keep := func(id int64) {
		// The orders an earlier write may be changing are left out: the
		// operations endpoint may report it done after this read (so the
		// plan offers the change again), and only a new read then shows it.
		if c := current[id]; c.Found && len(entries[id]) == 0 {
			p.read[id] = c.Order
		}
	}
	for _, c := range part.Changes {
		keep(c.OrderID)
	}
	for _, d := range part.Deferred {
		keep(d.OrderID)
	}
	p.plan.Merge(part)
	return nil
}

// fallbackDiags warns, one line each, of the businesses whose order list
// refused the key: their orders were read through the deprecated campaign
// endpoints, which shut down on refresh.CampaignReadsShutdown.
func fallbackDiags(fbs []refresh.Fallback) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, fb := range fbs {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning,
			Summary: fmt.Sprintf("POST v1/businesses/%d/orders refused this API key (HTTP 403), so orders were read through GET v2/campaigns/{campaignId}/orders, which shuts down on %s; give the key access to business %d",
				fb.BusinessID, refresh.CampaignReadsShutdown, fb.BusinessID)})
	}
	return diags
}

// closeAll closes the connection and the backend, reporting the first error.
func (p *planned) closeAll() error {
	var err error
	if p.conn != nil {
		err = p.conn.close()
		p.conn = nil
	}
	if p.backend != nil {
		if berr := p.backend.Close(); err == nil {
			err = berr
		}
		p.backend = nil
	}
	return err
}

// backendDiag is a backend that cannot be opened, pointing at its block.
func backendDiag(b schema.Backend, err error) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Backend unavailable", Detail: err.Error() +
		". Nothing was read or sent."}
	if b.DeclRange.Filename != "" {
		r := b.DeclRange
		d.Subject = &r
	}
	return d
}

// errDiag turns an error that is not about a place in the files (the API,
// the network, the journal) into a diagnostic, so every problem reaches
// the user through one channel, as text or as JSON.
func errDiag(err error) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: err.Error()}
	// The API's own words for a refused key vary; say what to do.
	if ae, ok := provider.AsAPIError(err); ok && ae.AuthFailed() {
		d.Detail = "The Market API refused the API key. Check YANDEX_MARKET_API_KEY (or api_key in the provider block): it must be a valid token with the inventory-and-order-processing permission, issued for the business that owns the campaign."
	}
	return d
}

// selectOrders puts each order in its campaign and applies -target and
// -exclude. A target that matches nothing is a warning, as in Terraform.
func selectOrders(orders []schema.Order, prov schema.Provider, targets, excludes []string) ([]schema.Order, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	for _, t := range append(append([]string{}, targets...), excludes...) {
		if !strings.HasPrefix(t, "order.") {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid address",
				Detail: fmt.Sprintf("%q is not an order address; write order.LABEL or order.LABEL[\"KEY\"].", t)})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	// Without -target or -exclude every order is selected: the slice is
	// schema's own, not copied (100,000 orders are 16 MB), unless an
	// order's campaign is still to be resolved. Callers must not change it.
	if len(targets) == 0 && len(excludes) == 0 && !slices.ContainsFunc(orders, func(o schema.Order) bool { return o.CampaignID != prov.Campaign(o.CampaignID) }) {
		return orders, nil
	}
	matches := func(addr, pattern string) bool {
		return addr == pattern || strings.HasPrefix(addr, pattern+"[")
	}
	used := map[string]bool{}
	out := make([]schema.Order, 0, len(orders))
	for _, o := range orders {
		o.CampaignID = prov.Campaign(o.CampaignID)
		if len(targets) > 0 {
			hit := false
			for _, t := range targets {
				if matches(o.Address, t) {
					hit, used[t] = true, true
				}
			}
			if !hit {
				continue
			}
		}
		excluded := false
		for _, x := range excludes {
			if matches(o.Address, x) {
				excluded, used[x] = true, true
			}
		}
		if !excluded {
			out = append(out, o)
		}
	}
	for _, t := range append(append([]string{}, targets...), excludes...) {
		if !used[t] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Address matches no order",
				Detail: fmt.Sprintf("%s matches no declared order.", t)})
		}
	}
	if len(orders) > 0 && len(out) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "No order selected",
			Detail: fmt.Sprintf("-target and -exclude together leave out every declared order (%d): nothing is read, planned or applied. Check the addresses given.", len(orders))})
	}
	return out, diags
}
