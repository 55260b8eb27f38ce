package command

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/internal/refresh"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// planned is a plan with what it was made from.
type planned struct {
	cfg      *schema.Config
	declared int // order instances the configuration declares, before -target
	desired  []schema.Order
	plan     *plan.Plan
	conn     *connection
	reader   *refresh.Reader
	verdicts []refresh.Verdict
}

// makePlan runs the stages up to a plan: load and check the configuration
// (no API call if that fails), connect, read the data sources, evaluate the
// orders, read their state and the journal's, and diff. Problems come back
// as diagnostics (warnings too), for the caller to print as text or JSON;
// p is nil when there is no plan. The caller owns p.conn.close.
func (m *meta) makePlan(ctx context.Context, f *commonFlags) (*planned, hcl.Diagnostics) {
	cfg, diags := schema.Load(m.relDir, m.loadOptions(f))
	if diags.HasErrors() {
		return &planned{cfg: cfg}, diags
	}
	// Load has already checked the orders with the data sources unknown, so
	// a mistake in an order costs no API call.
	p := &planned{cfg: cfg}
	conn, err := m.connect(cfg.Provider, f.parallelism)
	if err != nil {
		return p, append(diags, errDiag(err))
	}
	fail := func(d ...*hcl.Diagnostic) (*planned, hcl.Diagnostics) {
		_ = conn.close()
		return p, append(diags, d...)
	}
	results := &schema.DataResults{}
	if len(cfg.Data) > 0 {
		results, err = refresh.Data(ctx, conn.client, cfg.Data, cfg.Provider.CampaignID)
		if err != nil {
			// Point at the data block the API refused.
			d := errDiag(err)
			var de *refresh.DataError
			if errors.As(err, &de) {
				r := de.Source.DeclRange
				d.Subject = &r
			}
			return fail(d)
		}
	}
	desired, d := cfg.Orders(results)
	diags = append(diags, d...)
	if d.HasErrors() {
		return fail()
	}
	p.declared = len(desired)
	desired, d = selectOrders(desired, cfg.Provider, f.targets, f.excludes)
	diags = append(diags, d...)
	if d.HasErrors() {
		return fail()
	}
	p.desired = desired

	p.reader = &refresh.Reader{API: conn.client, BusinessID: conn.businessID, Parallelism: f.parallelism}
	current, err := p.reader.Current(ctx, desired)
	if err != nil {
		return fail(errDiag(err))
	}
	entries, err := journal.OpenEntries(m.dir)
	if err != nil {
		return fail(errDiag(err))
	}
	now := time.Now().UTC()
	subs, verdicts, err := p.reader.Reconcile(ctx, entries, current, now)
	if err != nil {
		return fail(errDiag(err))
	}
	p.verdicts = verdicts
	in := plan.Input{Desired: desired, Current: current, Submissions: subs, BusinessID: conn.businessID, Now: now}
	if err := p.reader.Intervals(ctx, &in); err != nil {
		return fail(errDiag(err))
	}
	p.conn = conn
	p.plan = plan.Build(in)
	return p, diags
}

// viewPlan renders a fresh plan for humans. A configuration that declares
// no order says so: "Your orders match the configuration" would suggest
// orders were checked.
func (m *meta) viewPlan(p *planned, opt views.Options) {
	if p.declared == 0 {
		fmt.Fprintf(m.Stdout, "No orders are declared in %s, so there is nothing to plan.\n", dirName(m.relDir))
		return
	}
	views.Plan(m.Stdout, p.plan, sources(p.desired), opt)
}

// dirName names a configuration directory as the user gave it.
func dirName(dir string) string {
	if dir == "." || dir == "" {
		return "this directory"
	}
	return dir
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

// selectOrders resolves each order's campaign and applies -target and
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
	matches := func(addr, pattern string) bool {
		return addr == pattern || strings.HasPrefix(addr, pattern+"[")
	}
	used := map[string]bool{}
	var out []schema.Order
	for _, o := range orders {
		if o.CampaignID == 0 {
			o.CampaignID = prov.CampaignID
		}
		if o.CampaignID == 0 {
			r := o.DeclRange
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No campaign for order",
				Detail:  fmt.Sprintf("%s has no campaign_id: set campaign_id in its block or in the provider block.", o.Address),
				Subject: &r})
			continue
		}
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
	return out, diags
}

// sources maps order addresses (and "address field") to where they are
// declared, so blocked errors point at the line to edit.
func sources(orders []schema.Order) views.Sources {
	out := views.Sources{}
	for _, o := range orders {
		r := o.DeclRange
		out[o.Address] = views.Source{Filename: r.Filename, Line: r.Start.Line, Column: r.Start.Column}
		keys := make([]string, 0, len(o.Ranges))
		for k := range o.Ranges {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			rr := o.Ranges[k]
			src := views.Source{Filename: rr.Filename, Line: rr.Start.Line, Column: rr.Start.Column}
			out[o.Address+" "+k] = src
			// Blocked entries name the block ("track"), not the attribute.
			block, _, _ := strings.Cut(k, ".")
			if _, ok := out[o.Address+" "+block]; !ok {
				out[o.Address+" "+block] = src
			}
		}
	}
	return out
}
