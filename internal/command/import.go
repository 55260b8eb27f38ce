package command

import (
	"context"
	"errors"
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
	"github.com/orderform/orderform/internal/views"
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
	parallelism := fs.Int("parallelism", 10, "at most N reads in flight")
	var vars []schema.VarArg
	fs.Var(varArgs{list: &vars}, "var", "set a variable: -var NAME=VALUE (repeatable)")
	fs.Var(varArgs{list: &vars, file: true}, "var-file", "read variables from an HCL file (repeatable)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	opt := m.viewOptions(*noColor, false, m.Stderr)
	if err := checkParallelism(*parallelism); err != nil {
		m.errorf(opt, "%v", err)
		return exitError
	}
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
	outPath := ""
	if *out != "" {
		var err error
		if outPath, err = m.importOutPath(*out); err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
	}
	cfg, diags := schema.Load(m.relDir, schema.LoadOptions{VarArgs: vars, Env: os.Environ()})
	diags = slices.DeleteFunc(diags, schema.IsNoOrders)
	if m.printDiags(diags, cfg, opt) {
		return exitError
	}
	// An order declared already is left as it is: a second block for it
	// would only make the configuration invalid (one ID, two places).
	ids = m.skipDeclared(cfg, ids, opt)
	if len(ids) == 0 {
		fmt.Fprintln(m.Stderr, "Nothing to import: every order given is already declared.")
		return exitOK
	}
	c := *campaign
	if c == 0 {
		c = cfg.Provider.CampaignID
	}
	if c == 0 {
		m.errorf(opt, "no campaign: pass -campaign=ID or set campaign_id in the provider block")
		return exitError
	}
	m.maxWait = planWaitLimit
	conn, err := m.connect(cfg.Provider, *parallelism)
	if err != nil {
		m.errorf(opt, "%v", err)
		return exitError
	}
	defer conn.close()
	reader := &refresh.Reader{API: conn.client, BusinessID: conn.businessID, Parallelism: *parallelism}
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
	missing, written := 0, 0
	for _, id := range ids {
		o, ok := orders[id]
		if !ok {
			m.errorf(opt, "order %d was not found in campaign %d", id, c)
			missing++
			continue
		}
		// A block that declares nothing would manage nothing, and plan
		// would warn about it: say why the order is left out instead.
		if why := notImportable(o, *showSensitive); why != "" {
			m.warnf(opt, "order %d not imported: %s", id, why)
			continue
		}
		if written > 0 {
			body.AppendNewline()
		}
		writeOrder(body, o, o.CampaignID != cfg.Provider.CampaignID, *showSensitive)
		written++
	}
	src := hclwrite.Format(f.Bytes())
	switch {
	case *out == "":
		_, _ = m.Stdout.Write(src)
	case written == 0:
		fmt.Fprintf(m.Stderr, "No order block to write; %s not created.\n", *out)
	default:
		// O_EXCL: never overwrite, and never follow a link planted there.
		file, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			m.errorf(opt, "%s exists; import does not overwrite configuration files", *out)
			return exitError
		}
		if err == nil {
			_, err = file.Write(src)
			if cerr := file.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		noun := "blocks"
		if written == 1 {
			noun = "block"
		}
		fmt.Fprintf(m.Stderr, "Wrote %d order %s to %s.\n", written, noun, *out)
	}
	if missing > 0 {
		return exitError
	}
	return exitOK
}

// importOutPath resolves -out: a new file directly in the configuration
// directory, where loading will find it. A path elsewhere (../escape.hcl,
// a subdirectory, which is not loaded) is refused before anything is read.
func (m *meta) importOutPath(out string) (string, error) {
	path := out
	if !filepath.IsAbs(path) {
		path = filepath.Join(m.dir, path)
	}
	path = filepath.Clean(path)
	if filepath.Dir(path) != m.dir {
		return "", fmt.Errorf("-out=%s is not in the configuration directory (%s): import writes configuration, which is read from that directory only; name a file there, such as -out=imported.hcl", out, m.relDir)
	}
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("%s exists; import does not overwrite configuration files", out)
	}
	return path, nil
}

// skipDeclared leaves out the orders the configuration already declares,
// with a warning naming where.
func (m *meta) skipDeclared(cfg *schema.Config, ids []int64, opt views.Options) []int64 {
	declared, _ := cfg.Orders(nil) // Load reported the problems already
	where := map[int64]schema.Order{}
	for _, o := range declared {
		where[o.ID] = o
	}
	var out []int64
	for _, id := range ids {
		if o, ok := where[id]; ok {
			r := o.DeclRange
			m.warnf(opt, "order %d not imported: it is already declared as %s (%s:%d)", id, o.Address, r.Filename, r.Start.Line)
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// notImportable says why nothing of o can be declared ("" when something
// can): blocks that manage nothing are not written.
func notImportable(o provider.Order, sensitive bool) string {
	model := plan.EffectiveModel(o)
	switch {
	case o.Status == provider.StatusDelivered || o.Status == provider.StatusCancelled:
		return fmt.Sprintf("it is %s, so nothing of it can be changed any more", o.Status)
	case model == provider.ModelDBS:
		if len(o.Delivery.Tracks) == 0 {
			return fmt.Sprintf("it has no track yet, so there is nothing to declare; to set one, write a block order %q { track { code = ..., delivery_service_id = ... } }", strconv.FormatInt(o.ID, 10))
		}
	case model == provider.ModelLaaS:
		if _, ok := importInterval(o); !ok && !(sensitive && o.HasRecipient) {
			return "its delivery has no courier interval to declare, and its recipient (personal data) is left out without -show-sensitive"
		}
	default:
		if model == "" {
			model = "unknown"
		}
		return fmt.Sprintf("its selling model is %s; orderform manages the track of DBS orders and the delivery interval and recipient of LaaS orders", model)
	}
	return ""
}

// importInterval is o's current delivery interval, normalised, if it has
// a complete one.
func importInterval(o provider.Order) (provider.Interval, bool) {
	d := o.Delivery.Dates
	from, ok1 := plan.NormDate(d.FromDate)
	to, ok2 := plan.NormDate(firstNonEmpty(d.ToDate, d.FromDate))
	ft, ok3 := plan.NormTime(d.FromTime)
	tt, ok4 := plan.NormTime(d.ToTime)
	return provider.Interval{FromDate: from, ToDate: to, FromTime: ft, ToTime: tt}, ok1 && ok2 && ok3 && ok4
}

// writeOrder declares what orderform can manage of o, as it is now (o is
// importable: see notImportable). A model's unmanageable parts are left
// out (an interval on a DBS order could never be changed, declaring it
// would only invite blocked plans).
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
		if iv, ok := importInterval(o); ok {
			ib := ob.AppendNewBlock("delivery_interval", nil).Body()
			ib.SetAttributeValue("from_date", cty.StringVal(iv.FromDate))
			if iv.ToDate != iv.FromDate {
				ib.SetAttributeValue("to_date", cty.StringVal(iv.ToDate))
			}
			ib.SetAttributeValue("from_time", cty.StringVal(iv.FromTime))
			ib.SetAttributeValue("to_time", cty.StringVal(iv.ToTime))
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
