package schema

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestEachLookup: each.key, each.value and each.value.NAME found without
// a context are what evaluating them in the instance's context gives, with
// no diagnostics; whatever lookup leaves to the evaluation (an attribute
// the value lacks, a map, a sensitive or unknown value) is evaluated.
func TestEachLookup(t *testing.T) {
	row := cty.ObjectVal(map[string]cty.Value{"track": cty.StringVal("RP1"), "n": cty.NumberIntVal(2)})
	values := map[string]cty.Value{
		"object":           row,
		"object with null": cty.ObjectVal(map[string]cty.Value{"track": cty.NullVal(cty.String)}),
		"map":              cty.MapVal(map[string]cty.Value{"track": cty.StringVal("RP2")}),
		"sensitive":        row.Mark(sensitiveMark),
		"sensitive attr":   cty.ObjectVal(map[string]cty.Value{"track": cty.StringVal("RP3").Mark(sensitiveMark)}),
		"unknown":          cty.UnknownVal(row.Type()),
		"dynamic":          cty.DynamicVal,
		"null":             cty.NullVal(row.Type()),
		"string":           cty.StringVal("x"),
		"list":             cty.ListVal([]cty.Value{row}),
	}
	exprs := []string{"each.key", "each.value", "each.value.track", "each.value.n", "each.value.missing", `each.value["track"]`, "each.value.track.x"}
	looked := 0
	for name, value := range values {
		for _, src := range exprs {
			expr, diags := hclsyntax.ParseExpression([]byte(src), "e.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			a := &attrExpr{expr: expr, ref: eachRefOf(expr)}
			b := &eachBinding{}
			b.bind(cty.StringVal("k"), value)
			want, wantDiags := expr.Value(b.context(&hcl.EvalContext{}))
			got, ok := b.lookup(a)
			if !ok {
				continue
			}
			looked++
			if wantDiags.HasErrors() || !got.RawEquals(want) {
				t.Errorf("%s of %s: looked up %#v, evaluated %#v (%v)", src, name, got, want, wantDiags)
			}
		}
	}
	// each.key and each.value of all; .track and .n of the object, .track
	// of the object with null and of the one whose track is sensitive.
	if want := 2*len(values) + 4; looked != want {
		t.Errorf("%d lookups, want %d", looked, want)
	}
}
