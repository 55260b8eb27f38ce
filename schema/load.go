package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/orderform/orderform/internal/endpoint"
)

const providerName = "yandex_market"

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "provider", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "order", LabelNames: []string{"label"}},
		{Type: "data", LabelNames: []string{"kind", "name"}},
		{Type: "backend", LabelNames: []string{"type"}},
	},
}

var providerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "campaign_id"}, {Name: "business_id"}, {Name: "endpoint"}, {Name: "api_key"}, {Name: "sandbox"},
	},
}

// attrExpr is one attribute's expression with what the static reference
// check found out about it.
type attrExpr struct {
	name string // attribute name
	path string // "track.code"
	expr hcl.Expression
	rng  hcl.Range // the expression's range
	bad  bool      // it has invalid references: never evaluated
	each bool      // it refers to each.key or each.value
	data bool      // it depends on a data source, directly or through a local
	// calls: it calls a function, or builds a for expression or template
	// (guardExpr makes those function calls). Without, it charges the
	// budget nothing, and unless it refers to each it has one value for
	// every instance of a block (see fixedValues).
	calls bool
	// ref is set when the expression is each.key, each.value or
	// each.value.NAME: an instance finds its value without a context.
	ref eachRef
}

// eachRef is a reference to each that an instance resolves from its key
// and value alone (see eachBinding.lookup).
type eachRef struct {
	kind refKind
	name string // of each.value.NAME
}

type refKind uint8

const (
	refNone      refKind = iota
	refKey               // each.key
	refValue             // each.value
	refValueAttr         // each.value.NAME
)

// eachRefOf recognizes each.key, each.value and each.value.NAME.
func eachRefOf(e hcl.Expression) eachRef {
	st, ok := e.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(st.Traversal) < 2 || len(st.Traversal) > 3 {
		return eachRef{}
	}
	t := st.Traversal
	root, ok0 := t[0].(hcl.TraverseRoot)
	step, ok1 := t[1].(hcl.TraverseAttr)
	if !ok0 || !ok1 || root.Name != "each" {
		return eachRef{}
	}
	switch {
	case len(t) == 2 && step.Name == "key":
		return eachRef{kind: refKey}
	case len(t) == 2 && step.Name == "value":
		return eachRef{kind: refValue}
	case step.Name == "value":
		if attr, ok := t[2].(hcl.TraverseAttr); ok {
			return eachRef{kind: refValueAttr, name: attr.Name}
		}
	}
	return eachRef{}
}

func newAttrExpr(prefix string, a *hcl.Attribute) *attrExpr {
	if a == nil {
		return nil
	}
	path := a.Name
	if prefix != "" {
		path = prefix + "." + a.Name
	}
	return &attrExpr{name: a.Name, path: path, expr: guardExpr(a.Expr), rng: a.Expr.Range(), calls: callsFunctions(a.Expr), ref: eachRefOf(a.Expr)}
}

// callsFunctions reports whether e calls a function; an expression that is
// not native syntax counts as one.
func callsFunctions(e hcl.Expression) bool {
	node, ok := e.(hclsyntax.Node)
	if !ok {
		return true
	}
	calls := false
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n.(type) {
		case *hclsyntax.FunctionCallExpr, *forGuard:
			calls = true
		}
		return nil
	})
	return calls
}

type providerBlock struct {
	defRange hcl.Range
	attrs    map[string]*attrExpr
}

// loader carries the state of one Load.
type loader struct {
	dir    string
	opt    LoadOptions
	parser *hclparse.Parser
	cfg    *Config
	diags  hcl.Diagnostics
	budget *budget // of the evaluations of Load

	fileOrder map[string]int

	vars     map[string]*variable
	varList  []*variable
	locals   *localSet
	provider *providerBlock
	backend  *backendBlock
	data     []*dataBlock
	dataIdx  map[string]map[string]*dataBlock // kind -> name -> block
	orders   []*orderBlock
}

// Load reads every *.hcl file of dir (not recursive, by name), sets the
// input variables from opt, and evaluates and checks everything that does
// not need the data sources' results: see the package documentation.
//
// The returned Config is never nil, so that Files can render the
// diagnostics; when the diagnostics have errors it must not be used to plan.
// Diagnostics from evaluating the order blocks (with the data sources
// unknown) are part of Load's; Orders does not repeat them.
func Load(dir string, opt LoadOptions) (*Config, hcl.Diagnostics) {
	l := &loader{
		dir:       dir,
		opt:       opt,
		parser:    hclparse.NewParser(),
		cfg:       &Config{Dir: dir, files: map[string]*hcl.File{}},
		fileOrder: map[string]int{},
		vars:      map[string]*variable{},
		dataIdx:   map[string]map[string]*dataBlock{KindDeliveryIntervals: {}, KindDeliveryOptions: {}},
		budget:    &budget{},
	}
	bodies := l.parseDir()
	for _, body := range bodies {
		l.decodeFile(body)
	}
	l.checkOrderLabels()

	ev := &evaluator{
		funcs:     functions(dir, l.budget),
		budget:    l.budget,
		reported:  map[diagKey]bool{},
		fileOrder: l.fileOrder,
		orders:    l.orders,
		data:      l.data,
	}
	l.setVariables(ev)
	ev.varVal = l.varObject()
	l.checkLocalRefs()
	ev.locals = l.locals
	l.checkRefs()
	elements0, bytes0 := l.budget.elements.Load(), l.budget.bytes.Load()
	l.locals.evaluate(ev, ev.unknownData(), false, &l.diags)
	l.evalProvider(ev)
	l.evalBackend(ev)
	l.evalData(ev)
	ev.providerHasCampaign = l.providerHasCampaign()
	ev.providerCampaign = l.cfg.Provider.CampaignID
	l.cfg.eval = ev

	// Phase 1 of the orders: every static check on what is known without
	// the data sources.
	orders, od := ev.evalOrders(nil, releaseLocals && len(l.data) == 0)
	l.diags = append(l.diags, od...)
	l.diags = append(l.diags, l.warnUnmanaged()...)
	if len(l.orders) == 0 && len(l.fileOrder) > 0 && !l.diags.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  noOrdersSummary,
			Detail:   "This configuration declares no order block, so plan and apply have nothing to do. Declare each order to manage in an order block.",
		})
	}
	ev.loadErrors = l.diags.HasErrors()
	if len(l.data) == 0 && !ev.loadErrors {
		// Nothing is unknown without data sources: phase 2 would compute
		// exactly these orders again (and, for 100,000 of them from a
		// CSV, spend as long on it as phase 1 did). Without any order
		// too: final nil would evaluate them again, without locals.
		if orders == nil {
			orders = []Order{}
		}
		ev.final = orders
		// Nothing evaluates again: the locals' values (the rows of every
		// CSV) and the functions (file()'s cache: the text of every CSV)
		// can go.
		ev.locals.values = nil
		ev.funcs = nil
	} else if ev.released {
		// Orders evaluates them again: the locals that phase 1 let go of
		// are evaluated again, to the same values, charged from where
		// their first evaluation started and without its diagnostics,
		// which Load has.
		elements1, bytes1 := l.budget.elements.Load(), l.budget.bytes.Load()
		l.budget.elements.Store(elements0)
		l.budget.bytes.Store(bytes0)
		ev.locals.values = nil
		l.locals.evaluate(ev, ev.unknownData(), false, new(hcl.Diagnostics))
		l.budget.elements.Store(elements1)
		l.budget.bytes.Store(bytes1)
	}

	l.diags = dedup(l.diags, ev.reported)
	sortDiags(l.diags, l.fileOrder)
	return l.cfg, l.diags
}

// releaseLocals lets Load's phase 1 let go of the locals the blocks left
// do not need; tests compare with what it gives without.
var releaseLocals = true

const noOrdersSummary = "No orders declared"

// IsNoOrders reports whether d is Load's warning that the configuration
// declares no order block: import, which writes the first ones, leaves it
// out.
func IsNoOrders(d *hcl.Diagnostic) bool {
	return d.Severity == hcl.DiagWarning && d.Summary == noOrdersSummary && d.Subject == nil
}

// ignoredFile reports editor and system leftovers, which Terraform skips too.
func ignoredFile(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "#") || strings.HasSuffix(name, "~")
}

func (l *loader) parseDir() []*hclsyntax.Body {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Failed to read configuration directory",
			Detail:   fmt.Sprintf("Could not read %s: %s.", l.dir, err),
		})
		return nil
	}
	var bodies []*hclsyntax.Body
	named := l.namedVarFiles()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".hcl") || ignoredFile(name) {
			continue
		}
		path := filepath.Join(l.dir, name)
		if info, err := os.Stat(path); err != nil || info.IsDir() {
			continue
		}
		if l.isNamedVarFile(path, named) {
			continue
		}
		src, err := readRegular(path, name, MaxConfigFileSize)
		if err != nil {
			d := readFailed(err)
			d.Subject = &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos}
			l.diags = append(l.diags, d)
			continue
		}
		f, diags := l.parse(src, path, false)
		l.diags = append(l.diags, diags...)
		if f == nil {
			continue
		}
		l.fileOrder[path] = len(l.fileOrder)
		l.cfg.files[path] = f
		if body, ok := f.Body.(*hclsyntax.Body); ok {
			bodies = append(bodies, body)
		}
	}
	if len(l.fileOrder) == 0 && !l.diags.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("There is no *.hcl file in %s. Write the configuration there, or point -chdir at the directory that holds it.", l.dir),
		})
	}
	return bodies
}

// parse parses a configuration or variables file (JSON when json is set),
// refusing what nests too deeply for the parser before it sees it.
func (l *loader) parse(src []byte, path string, json bool) (*hcl.File, hcl.Diagnostics) {
	if json {
		if d := checkJSONNesting(src, path); d != nil {
			return nil, hcl.Diagnostics{d}
		}
		return l.parser.ParseJSON(src, path)
	}
	if d := checkNesting(src, path); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return l.parser.ParseHCL(src, path)
}

// readFailed is the diagnostic of a file that could not be read; err names
// the file.
func readFailed(err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Failed to read file",
		Detail:   fmt.Sprintf("Could not read the file: %s.", err),
	}
}

func (l *loader) decodeFile(body *hclsyntax.Body) {
	if l.looksLikeVarFile(body) {
		return
	}
	content, diags := body.Content(rootSchema)
	l.diags = append(l.diags, diags...)
	for _, b := range content.Blocks {
		switch b.Type {
		case "provider":
			l.decodeProvider(b)
		case "backend":
			l.decodeBackend(b)
		case "variable":
			l.decodeVariable(b)
		case "locals":
			l.decodeLocals(b)
		case "order":
			l.decodeOrder(b)
		case "data":
			l.decodeData(b)
		}
	}
}

func (l *loader) decodeProvider(b *hcl.Block) {
	if b.Labels[0] != providerName {
		l.diags = append(l.diags, errorDiag(b.LabelRanges[0], "Unsupported provider",
			"orderform knows one provider, %q.%s", providerName, didYouMean(b.Labels[0], []string{providerName})))
		return
	}
	if l.provider != nil {
		l.diags = append(l.diags, errorDiag(b.DefRange, "Duplicate provider block",
			"The provider %q was already configured at %s. Keep one provider block.", providerName, place(l.provider.defRange)))
		return
	}
	content, diags := b.Body.Content(providerSchema)
	l.diags = append(l.diags, diags...)
	p := &providerBlock{defRange: b.DefRange, attrs: map[string]*attrExpr{}}
	for name, a := range content.Attributes {
		p.attrs[name] = newAttrExpr("", a)
	}
	l.provider = p
}

var labelPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (l *loader) decodeOrder(b *hcl.Block) {
	ob := decodeOrderBlock(b, &l.diags)
	if !labelPattern.MatchString(ob.label) {
		l.diags = append(l.diags, errorDiag(b.LabelRanges[0], "Invalid order label",
			"An order label may contain only letters, digits, underscores and dashes, such as \"1001\" or \"from_carrier\": it becomes the address order.LABEL."))
		ob.badLabel = true
	}
	l.orders = append(l.orders, ob)
}

// checkOrderLabels reports labels declared twice: addresses must be unique.
func (l *loader) checkOrderLabels() {
	first := map[string]*orderBlock{}
	for _, ob := range l.orders {
		if prev, ok := first[ob.label]; ok {
			l.diags = append(l.diags, errorDiag(ob.labelRange, "Duplicate order block",
				"An order block labelled %q was already declared at %s. Labels must be unique: rename one of them.", ob.label, place(prev.labelRange)))
			ob.duplicate = true
			continue
		}
		first[ob.label] = ob
	}
}

func (l *loader) warnUnmanaged() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, ob := range l.orders {
		if len(ob.blocks) == 0 {
			names := strings.Join(blockTypes[:len(blockTypes)-1], ", ") + " or " + blockTypes[len(blockTypes)-1]
			diags = append(diags, warningDiag(ob.defRange, "Order manages nothing",
				"order.%s declares no %s block, so orderform will never change it. Add one of those blocks, or remove the order block.", ob.label, names))
		}
		if r := ob.blocks["recipient"]; r != nil && len(r.attrs) == 0 {
			diags = append(diags, warningDiag(r.defRange, "Empty recipient block",
				"This recipient block declares no attribute, so nothing of the recipient is managed. Declare first_name, last_name, middle_name or phone, or remove the block."))
		}
	}
	return diags
}

func (l *loader) evalProvider(ev *evaluator) {
	p := l.provider
	if p == nil {
		return
	}
	out := &l.cfg.Provider
	out.DeclRange = p.defRange
	ctx := ev.rootContext(l.locals.values, ev.unknownData())
	c := &checker{diags: &l.diags}
	if a := p.attrs["campaign_id"]; a != nil {
		out.CampaignID, _ = c.positiveInt(a, ctx, "campaign ID", "21000000")
	}
	if a := p.attrs["business_id"]; a != nil {
		out.BusinessID, _ = c.positiveInt(a, ctx, "business ID", "9000000")
	}
	if a := p.attrs["endpoint"]; a != nil {
		if s, st := c.str(a, ctx); st == valid {
			if err := endpoint.Check(s); err != nil {
				c.errorf(a, "Invalid endpoint", "%s", endpointDetail(err))
			} else {
				out.Endpoint = s
			}
		}
	}
	if a := p.attrs["api_key"]; a != nil {
		if s, st := c.str(a, ctx); st == valid {
			out.APIKey = s
			if len(a.expr.Variables()) == 0 {
				l.diags = append(l.diags, warningDiag(a.rng, "API key in the configuration",
					"An API key written in a configuration file ends up in git. Remove api_key and set YANDEX_MARKET_API_KEY in the environment instead (or use a sensitive variable)."))
			}
		}
	}
	if a := p.attrs["sandbox"]; a != nil {
		if s, st := c.str(a, ctx); st == valid {
			if strings.TrimSpace(s) == "" {
				c.errorf(a, "Invalid sandbox", "sandbox is the path of the emulator's seed file, relative to the configuration directory, such as \"sandbox.json\"; it must not be empty. Remove it to use the real API.")
			} else if err := checkInside(l.dir, s); err != nil {
				c.errorf(a, "Invalid sandbox", "sandbox is the path of the emulator's seed file inside the configuration directory, such as \"sandbox.json\": %s.", err)
			} else {
				out.Sandbox = s
			}
		}
		if e := p.attrs["endpoint"]; e != nil {
			c.errorf(a, "Conflicting provider arguments",
				"sandbox makes orderform talk to its built-in emulator, and endpoint names a real API server (at %s): set only one of them.", place(e.rng))
		}
	}
}

// varObject is the value of the "var" namespace.
func (l *loader) varObject() cty.Value {
	m := make(map[string]cty.Value, len(l.vars))
	for name, v := range l.vars {
		m[name] = v.value
	}
	return cty.ObjectVal(m)
}

// sortedNames returns a map's keys, for suggestions and stable messages.
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
