package command

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/internal/refresh"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// runImport writes order blocks that declare the orders' current state, so
// an existing shop starts from what it has: a plan right after shows no
// changes for them.
func runImport(ctx context.Context, m *meta, args []string) int {
	fs := m.newFlagSet("import", "ORDER_ID...")
	out := fs.String("out", "", "write the blocks to FILE (in the configuration directory) instead of standard output")
	campaign := fs.Int64("campaign", 0, "campaign of the orders (default: the provider block's campaign_id)")
	showSensitive := fs.Bool("show-sensitive", false, "include recipient names and phones (personal data: think before committing them)")
	noColor := fs.Bool("no-color", false, "no colour in the output")
	var vars []schema.VarArg
	fs.Var(varArgs{list: &vars}, "var", "set a variable: -var NAME=VALUE (repeatable)")
	fs.Var(varArgs{list: &vars, file: true}, "var-file", "read variables from an HCL file (repeatable)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	opt := m.viewOptions(*noColor, false, m.Stderr)
	if fs.NArg() == 0 {
		m.errorf(opt, "import needs at least one order ID: orderform import 1001 1002")
		return exitError
	}
	var ids []int64
	for _, a := range fs.Args() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			m.errorf(opt, "%q is not an order ID (a positive integer)", a)
			return exitError
		}
		ids = append(ids, id)
	}
	cfg, diags := schema.Load(m.relDir, schema.LoadOptions{VarArgs: vars, Env: os.Environ()})
	diags = slices.DeleteFunc(diags, schema.IsNoOrders)
	if m.printDiags(diags, cfg, opt) {
		return exitError
	}
	c := *campaign
	if c == 0 {
		c = cfg.Provider.CampaignID
	}
	if c == 0 {
		m.errorf(opt, "no campaign: pass -campaign=ID or set campaign_id in the provider block")
		return exitError
	}
	conn, err := m.connect(cfg.Provider, 4)
	if err != nil {
		m.errorf(opt, "%v", err)
		return exitError
	}
	defer conn.close()
	reader := &refresh.Reader{API: conn.client, BusinessID: conn.businessID}
	refs := make([]apply.OrderRef, 0, len(ids))
	for _, id := range ids {
		refs = append(refs, apply.OrderRef{OrderID: id, CampaignID: c, Recipient: true})
	}
	orders, err := reader.ReadOrders(ctx, refs)
	if err != nil {
		m.errorf(opt, "%v", err)
		return exitError
	}
	// With a business ID the orders of its other campaigns are found too,
	// but a recipient is only in the answer of the order's own campaign.
	var again []apply.OrderRef
	for _, id := range ids {
		if o, ok := orders[id]; ok && o.CampaignID != c && *showSensitive {
			again = append(again, apply.OrderRef{OrderID: id, CampaignID: o.CampaignID, Recipient: true})
		}
	}
	if len(again) > 0 {
		more, err := reader.ReadOrders(ctx, again)
		if err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		maps.Copy(orders, more)
	}
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	missing := 0
	for i, id := range ids {
		o, ok := orders[id]
		if !ok {
			m.errorf(opt, "order %d was not found in campaign %d", id, c)
			missing++
			continue
		}
		if i > 0 {
			body.AppendNewline()
		}
		writeOrder(body, o, o.CampaignID != cfg.Provider.CampaignID, *showSensitive)
	}
	src := hclwrite.Format(f.Bytes())
	if *out == "" {
		_, _ = m.Stdout.Write(src)
	} else {
		path := *out
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.dir, path)
		}
		if _, err := os.Stat(path); err == nil {
			m.errorf(opt, "%s exists; import does not overwrite configuration files", *out)
			return exitError
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		fmt.Fprintf(m.Stderr, "Wrote %d order blocks to %s.\n", len(ids)-missing, *out)
	}
	if missing > 0 {
		return exitError
	}
	return exitOK
}

// writeOrder declares what orderform can manage of o, as it is now. A
// model's unmanageable parts are left out (an interval on a DBS order could
// never be changed, declaring it would only invite blocked plans).
func writeOrder(body *hclwrite.Body, o provider.Order, withCampaign, sensitive bool) {
	ob := body.AppendNewBlock("order", []string{strconv.FormatInt(o.ID, 10)}).Body()
	if withCampaign {
		ob.SetAttributeValue("campaign_id", cty.NumberIntVal(o.CampaignID))
	}
	model := plan.EffectiveModel(o)
	if model == provider.ModelDBS && len(o.Delivery.Tracks) > 0 {
		tracks := append([]provider.Track(nil), o.Delivery.Tracks...)
		sort.SliceStable(tracks, func(i, j int) bool { return tracks[i].Code < tracks[j].Code })
		tb := ob.AppendNewBlock("track", nil).Body()
		tb.SetAttributeValue("code", cty.StringVal(tracks[0].Code))
		tb.SetAttributeValue("delivery_service_id", cty.NumberIntVal(tracks[0].DeliveryServiceID))
	}
	if model == provider.ModelLaaS {
		d := o.Delivery.Dates
		from, ok1 := plan.NormDate(d.FromDate)
		to, ok2 := plan.NormDate(firstNonEmpty(d.ToDate, d.FromDate))
		ft, ok3 := plan.NormTime(d.FromTime)
		tt, ok4 := plan.NormTime(d.ToTime)
		if ok1 && ok2 && ok3 && ok4 {
			ib := ob.AppendNewBlock("delivery_interval", nil).Body()
			ib.SetAttributeValue("from_date", cty.StringVal(from))
			if to != from {
				ib.SetAttributeValue("to_date", cty.StringVal(to))
			}
			ib.SetAttributeValue("from_time", cty.StringVal(ft))
			ib.SetAttributeValue("to_time", cty.StringVal(tt))
		}
		if sensitive && o.HasRecipient {
			rb := ob.AppendNewBlock("recipient", nil).Body()
			set := func(k, v string) {
				if v = strings.TrimSpace(v); v != "" {
					rb.SetAttributeValue(k, cty.StringVal(v))
				}
			}
			set("first_name", o.Buyer.FirstName)
			set("last_name", o.Buyer.LastName)
			set("middle_name", o.Buyer.MiddleName)
			set("phone", o.Delivery.Address.Phone)
		}
	}
}
