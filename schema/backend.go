package schema

import (
	"regexp"

	"github.com/hashicorp/hcl/v2"
)

// Backend is the backend block: where the journal and the locks live. The
// zero value is the local backend (files under .orderform/).
type Backend struct {
	Type       string // BackendLocal or BackendPG
	ConnStr    string // pg: "" = PG_CONN_STR, then the libpq variables
	SchemaName string // pg: "" = "orderform"
	DeclRange  hcl.Range
	// Invalid: the block has an error, so its values are not the ones
	// meant; it must not be used (not even by apply FILE, which tolerates
	// a configuration that needs the plan's -var flags).
	Invalid bool
}

// Backend types.
const (
	BackendLocal = "local"
	BackendPG    = "pg"
)

var backendSchemas = map[string]*hcl.BodySchema{
	BackendLocal: {},
	BackendPG:    {Attributes: []hcl.AttributeSchema{{Name: "conn_str"}, {Name: "schema_name"}}},
}

// schemaNamePattern is what a PostgreSQL schema name may be without quoting.
var schemaNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

type backendBlock struct {
	typ      string
	defRange hcl.Range
	attrs    map[string]*attrExpr
}

func (l *loader) decodeBackend(b *hcl.Block) {
	typ := b.Labels[0]
	s, ok := backendSchemas[typ]
	if !ok {
		l.diags = append(l.diags, errorDiag(b.LabelRanges[0], "Unsupported backend",
			"orderform keeps its journal and locks in the %q backend (files under .orderform/, one machine) or the %q backend (PostgreSQL, shared by every machine that applies).%s",
			BackendLocal, BackendPG, didYouMean(typ, []string{BackendLocal, BackendPG})))
		return
	}
	if l.backend != nil {
		l.diags = append(l.diags, errorDiag(b.DefRange, "Duplicate backend block",
			"A backend was already configured at %s. Keep one backend block.", place(l.backend.defRange)))
		return
	}
	content, diags := b.Body.Content(s)
	l.diags = append(l.diags, diags...)
	bb := &backendBlock{typ: typ, defRange: b.DefRange, attrs: map[string]*attrExpr{}}
	for name, a := range content.Attributes {
		bb.attrs[name] = newAttrExpr("", a)
	}
	l.backend = bb
}

func (l *loader) evalBackend(ev *evaluator) {
	b := l.backend
	out := &l.cfg.Backend
	out.Type = BackendLocal
	if b == nil {
		return
	}
	out.Type, out.DeclRange = b.typ, b.defRange
	// No variables, locals or functions, as in Terraform: the backend must
	// be the same for every run, and `apply FILE` takes no -var (a schema
	// from a variable gave it a journal and locks of its own).
	var ctx *hcl.EvalContext
	c := &checker{diags: &l.diags}
	before := len(l.diags)
	defer func() { out.Invalid = l.diags[before:].HasErrors() }()
	if a := b.attrs["conn_str"]; a != nil {
		if s, st := c.str(a, ctx); st == valid {
			out.ConnStr = s
		}
	}
	if a := b.attrs["schema_name"]; a != nil {
		if s, st := c.str(a, ctx); st == valid {
			if !schemaNamePattern.MatchString(s) {
				c.errorf(a, "Invalid schema_name", "schema_name is a PostgreSQL schema name: lowercase letters, digits and underscores, starting with a letter or an underscore, at most 63 characters, such as \"orderform\".")
			} else {
				out.SchemaName = s
			}
		}
	}
}
