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

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/refresh"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// runImport writes order blocks that declare the orders' current state, so
// an existing shop starts from what it has: a plan right after shows no
// changes for them. Its arguments (internal/arguments), the operation
// (importOrders) and the view (views.Import) are apart, as apply's.
func runImport(ctx context.Context, m *meta, args []string) int {
	a, diags := arguments.ParseImport(args)
	opt := m.viewOptions(a.NoColor, false, m.Stderr)
	if diags.HasErrors() {
		return m.commandLineError("import", diags, opt)
	}
	v := views.NewImport(m.Stdout, m.Stderr, opt)
	res, diags := m.importOrders(ctx, a)
	v.Diagnostics(diags, res.files)
	switch {
	case res.allDeclared:
		v.NothingToImport()
	case res.made:
		v.Imported(res.blocks, res.written, a.Out)
	}
	if diags.HasErrors() {
		return exitError
	}
	return exitOK
}

// imported is what an import did.
type imported struct {
	// files are the configuration's, for the snippets of diagnostics.
	files map[string]*hcl.File
	// allDeclared: every order given is declared already, so none was read.
	allDeclared bool
	// made: the orders were read and their blocks made, written of them
	// (with -out they are in that file if written > 0).
	made    bool
	blocks  []byte
	written int
}

// importOrders reads the orders a asks for and makes their blocks, writing
// them to -out's file when there is one. An order that cannot be imported
// is a warning, one that is not found an error; the others are imported
// all the same.
func (m *meta) importOrders(ctx context.Context, a *arguments.Import) (imported, hcl.Diagnostics) {
	var res imported
	outPath := ""
	if a.Out != "" {
		var err error
		if outPath, err = m.importOutPath(a.Out); err != nil {
			return res, hcl.Diagnostics{errDiag(err)}
		}
	}
	cfg, diags := schema.Load(m.relDir, schema.LoadOptions{VarArgs: a.Vars, Env: os.Environ()})
	diags = slices.DeleteFunc(diags, schema.IsNoOrders)
	res.files = cfg.Files()
	if diags.HasErrors() {
		return res, diags
	}
	// An order declared already is left as it is: a second block for it
	// would only make the configuration invalid (one ID, two places).
	ids, d := skipDeclared(cfg, a.OrderIDs)
	diags = append(diags, d...)
	if len(ids) == 0 {
		res.allDeclared = true
		return res, diags
	}
	c := cfg.Provider.Campaign(a.Campaign)
	if c == 0 {
		return res, append(diags, errDiag(errors.New("no campaign: pass -campaign=ID or set campaign_id in the provider block")))
	}
	m.maxWait = planWaitLimit
	conn, err := m.connect(cfg.Provider, a.Parallelism)
	if err != nil {
		return res, append(diags, errDiag(err))
	}
	defer conn.close()
	reader := &refresh.Reader{API: conn.client, BusinessID: conn.businessID, Parallelism: a.Parallelism}
	refs := make([]provider.OrderRef, 0, len(ids))
	for _, id := range ids {
		refs = append(refs, provider.OrderRef{OrderID: id, CampaignID: c, Recipient: true})
	}
	orders, err := reader.ReadOrders(ctx, refs)
	if err != nil {
		return res, append(diags, errDiag(err))
	}
	// With a business ID the orders of its other campaigns are found too,
	// but a recipient is only in the answer of the order's own campaign.
	var again []provider.OrderRef
	for _, id := range ids {
		if o, ok := orders[id]; ok && o.CampaignID != c && a.ShowSensitive {
			again = append(again, provider.OrderRef{OrderID: id, CampaignID: o.CampaignID, Recipient: true})
		}
	}
	if len(again) > 0 {
		more, err := reader.ReadOrders(ctx, again)
		if err != nil {
			return res, append(diags, errDiag(err))
		}
		maps.Copy(orders, more)
	}
	diags = append(diags, fallbackDiags(reader.Fallbacks())...)
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	for _, id := range ids {
		o, ok := orders[id]
		if !ok {
			diags = append(diags, errDiag(fmt.Errorf("order %d was not found in campaign %d", id, c)))
			continue
		}
		// A block that declares nothing would manage nothing, and plan
		// would warn about it: say why the order is left out instead.
		if why := notImportable(o, a.ShowSensitive); why != "" {
			diags = append(diags, warning("order %d not imported: %s", id, why))
			continue
		}
		if res.written > 0 {
			body.AppendNewline()
		}
		writeOrder(body, o, o.CampaignID != cfg.Provider.CampaignID, a.ShowSensitive)
		res.written++
	}
	blocks := hclwrite.Format(f.Bytes())
	if outPath != "" && res.written > 0 {
		if err := writeNew(outPath, blocks); errors.Is(err, os.ErrExist) {
			return res, append(diags, errDiag(fmt.Errorf("%s exists; import does not overwrite configuration files", a.Out)))
		} else if err != nil {
			return res, append(diags, errDiag(err))
		}
	}
	res.made, res.blocks = true, blocks
	return res, diags
}

// writeNew creates path with data; it never overwrites, and never follows a
// link planted there (O_EXCL).
func writeNew(path string, data []byte) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = file.Write(data)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// warning is a warning that is about no place in the files.
func warning(format string, a ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: fmt.Sprintf(format, a...)}
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
// with a warning naming where, and the IDs given twice.
func skipDeclared(cfg *schema.Config, ids []int64) ([]int64, hcl.Diagnostics) {
	declared, _ := cfg.Orders(nil) // Load reported the problems already
	where := map[int64]schema.Order{}
	for _, o := range declared {
		where[o.ID] = o
	}
	var out []int64
	var diags hcl.Diagnostics
	for _, id := range ids {
		if o, ok := where[id]; ok {
			r := o.DeclRange
			diags = append(diags, warning("order %d not imported: it is already declared as %s (%s:%d)", id, o.Address, r.Filename, r.Start.Line))
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, diags
}

// notImportable says why nothing of o can be declared ("" when something
// can): blocks that manage nothing are not written. Which blocks an order's
// selling model allows, and which statuses end all change, are the plan's
// gates (plan.Blocks, plan.Terminal): import declares nothing plan would
// refuse for the model.
func notImportable(o provider.Order, sensitive bool) string {
	model := plan.EffectiveModel(o)
	switch {
	case plan.Terminal(o.Status):
		return fmt.Sprintf("it is %s, so nothing of it can be changed any more", o.Status)
	case len(plan.Blocks(model)) == 0:
		if model == "" {
			model = "unknown"
		}
		return fmt.Sprintf("its selling model is %s; orderform manages %s", model, managedSummary())
	case len(importBlocks(o, sensitive)) > 0:
		return ""
	case model == provider.ModelDBS:
		return fmt.Sprintf("it has no track and no delivery date yet, so there is nothing to declare; to set a track, write a block order %q { track { code = ..., delivery_service_id = ... } }", strconv.FormatInt(o.ID, 10))
	case model == provider.ModelLaaS:
		return "its delivery has no courier interval to declare, and its recipient (personal data) is left out without -show-sensitive"
	}
	return "it has nothing orderform manages to declare"
}

// managedSummary says what orderform manages of which orders, from the
// plan's table: "the track of DBS orders and the delivery interval and
// recipient of LaaS orders".
func managedSummary() string {
	var parts []string
	for _, m := range plan.Models() {
		var names []string
		for _, b := range plan.Blocks(m) {
			names = append(names, strings.ReplaceAll(b, "_", " "))
		}
		name := m
		if m == provider.ModelLaaS {
			name = "LaaS"
		}
		parts = append(parts, fmt.Sprintf("the %s of %s orders", andList(names), name))
	}
	return andList(parts)
}

func andList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// blockWriter appends one block declaring o's current value of it, or is
// nil when o has nothing of it to declare.
type blockWriter func(body *hclwrite.Body)

// importers make the writer of each managed block, by the block's name in
// plan.Blocks.
var importers = map[string]func(o provider.Order, sensitive bool) blockWriter{
	"track":             importTrack,
	"delivery_interval": importIntervalBlock,
	"recipient":         importRecipient,
	"delivery_date":     importDeliveryDate,
}

// importBlocks are the writers of the blocks of o that its model allows
// and that have something to declare, in the table's order.
func importBlocks(o provider.Order, sensitive bool) []blockWriter {
	var out []blockWriter
	for _, name := range plan.Blocks(plan.EffectiveModel(o)) {
		if imp := importers[name]; imp != nil {
			if w := imp(o, sensitive); w != nil {
				out = append(out, w)
			}
		}
	}
	return out
}

func importTrack(o provider.Order, _ bool) blockWriter {
	if len(o.Delivery.Tracks) == 0 {
		return nil
	}
	tracks := append([]provider.Track(nil), o.Delivery.Tracks...)
	sort.SliceStable(tracks, func(i, j int) bool { return tracks[i].Code < tracks[j].Code })
	return func(body *hclwrite.Body) {
		tb := body.AppendNewBlock("track", nil).Body()
		tb.SetAttributeValue("code", cty.StringVal(tracks[0].Code))
		tb.SetAttributeValue("delivery_service_id", cty.NumberIntVal(tracks[0].DeliveryServiceID))
	}
}

func importIntervalBlock(o provider.Order, _ bool) blockWriter {
	iv, ok := importInterval(o)
	if !ok {
		return nil
	}
	return func(body *hclwrite.Body) {
		ib := body.AppendNewBlock("delivery_interval", nil).Body()
		ib.SetAttributeValue("from_date", cty.StringVal(iv.FromDate))
		if iv.ToDate != iv.FromDate {
			ib.SetAttributeValue("to_date", cty.StringVal(iv.ToDate))
		}
		ib.SetAttributeValue("from_time", cty.StringVal(iv.FromTime))
		ib.SetAttributeValue("to_time", cty.StringVal(iv.ToTime))
	}
}

// importDeliveryDate declares the order's delivery date. The API takes a
// reason with every move and the order does not say who asked for the last
// one: the block says the buyer did (a move at the shop's cost must be
// declared on purpose), and a comment names the other reason.
func importDeliveryDate(o provider.Order, _ bool) blockWriter {
	to, ok := plan.NormDate(o.Delivery.Dates.ToDate)
	if !ok {
		return nil
	}
	return func(body *hclwrite.Body) {
		db := body.AppendNewBlock("delivery_date", nil).Body()
		db.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment,
			Bytes: []byte("# reason: " + provider.DeliveryDatePartnerMoved + " when the shop cannot deliver on time (it counts against the shop)\n")}})
		db.SetAttributeValue("to_date", cty.StringVal(to))
		db.SetAttributeValue("reason", cty.StringVal(provider.DeliveryDateUserMoved))
	}
}

// importRecipient declares the recipient (personal data) only when asked
// to with -show-sensitive, as the plan reads it: the delivery's recipient
// (a gift's is not the buyer), and the phone as the API takes it, "+digits"
// (the order shows it as people write it, which the configuration refuses).
func importRecipient(o provider.Order, sensitive bool) blockWriter {
	if !sensitive || !o.HasRecipient {
		return nil
	}
	return func(body *hclwrite.Body) {
		rb := body.AppendNewBlock("recipient", nil).Body()
		for _, f := range []struct{ attr, path string }{
			{"first_name", plan.FieldFirstName}, {"last_name", plan.FieldLastName},
			{"middle_name", plan.FieldMiddleName}, {"phone", plan.FieldPhone},
		} {
			v, _ := plan.CurrentValue(f.path, o)
			if f.path == plan.FieldPhone && plan.NormPhone(v) != "" {
				v = "+" + plan.NormPhone(v)
			}
			if v = strings.TrimSpace(v); v != "" {
				rb.SetAttributeValue(f.attr, cty.StringVal(v))
			}
		}
	}
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
	for _, w := range importBlocks(o, sensitive) {
		w(ob)
	}
}
