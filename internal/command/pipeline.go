package command

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/internal/refresh"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/schema"
)

// planned is a plan with what it was made from.
type planned struct {
	cfg      *schema.Config
	desired  []schema.Order
	plan     *plan.Plan
	conn     *connection
	reader   *refresh.Reader
	verdicts []refresh.Verdict
	warnings hcl.Diagnostics
}

// makePlan runs the stages up to a plan: load and check the configuration
// (no API call if that fails), connect, read the data sources, evaluate the
// orders, read their state and the journal's, and diff. It prints
// diagnostics itself and returns ok=false when it cannot go on; the caller
// owns p.conn.close.
func (m *meta) makePlan(ctx context.Context, f *commonFlags, opt views.Options) (*planned, bool) {
	cfg, diags := schema.Load(m.relDir, m.loadOptions(f))
	if m.printDiags(diags, cfg, opt) {
		return nil, false
	}
	p := &planned{cfg: cfg}
	// Check the orders offline first whenever data sources are declared:
	// a mistake in an order must not cost a single API call.
	if len(cfg.Data) > 0 {
		if _, d := cfg.Orders(nil); d.HasErrors() {
			m.printDiags(d, cfg, opt)
			return nil, false
		}
	}
	conn, err := m.connect(cfg.Provider, f.parallelism, "")
	if err != nil {
		m.errorf(opt, "%v", err)
		return nil, false
	}
	p.conn = conn
	fail := func() (*planned, bool) {
		_ = conn.close()
		return nil, false
	}
	results := &schema.DataResults{}
	if len(cfg.Data) > 0 {
		results, err = refresh.Data(ctx, conn.client, cfg.Data, cfg.Provider.CampaignID)
		if err != nil {
			m.errorf(opt, "%v", err)
			return fail()
		}
	}
	desired, d := cfg.Orders(results)
	if d.HasErrors() {
		m.printDiags(d, cfg, opt)
		return fail()
	}
	p.warnings = d
	desired, d = selectOrders(desired, cfg.Provider, f.targets, f.excludes)
	if d.HasErrors() {
		m.printDiags(d, cfg, opt)
		return fail()
	}
	p.warnings = append(p.warnings, d...)
	p.desired = desired

	p.reader = &refresh.Reader{API: conn.client, BusinessID: conn.businessID, Parallelism: f.parallelism}
	current, err := p.reader.Current(ctx, desired)
	if err != nil {
		m.errorf(opt, "%v", err)
		return fail()
	}
	entries, err := journal.OpenEntries(m.dir)
	if err != nil {
		m.errorf(opt, "%v", err)
		return fail()
	}
	now := time.Now().UTC()
	subs, verdicts, err := p.reader.Reconcile(ctx, entries, current, now)
	if err != nil {
		m.errorf(opt, "%v", err)
		return fail()
	}
	p.verdicts = verdicts
	in := plan.Input{Desired: desired, Current: current, Submissions: subs, BusinessID: conn.businessID, Now: now}
	if err := p.reader.Intervals(ctx, &in); err != nil {
		m.errorf(opt, "%v", err)
		return fail()
	}
	p.plan = plan.Build(in)
	return p, true
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
