package schema

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestRowsByKey: where rowsByKey expands a for_each, it gives the keys and
// values, and the diagnostics, of evaluating the for expression and
// iterating the object; it leaves to that evaluation whatever it does not
// expand the same way.
func TestRowsByKey(t *testing.T) {
	row := func(id string, extra ...cty.Value) cty.Value {
		attrs := map[string]cty.Value{"order_id": cty.StringVal(id), "track": cty.StringVal("RP" + id)}
		if len(extra) > 0 {
			attrs["order_id"] = extra[0]
		}
		return cty.ObjectVal(attrs)
	}
	rows := cty.ListVal([]cty.Value{row("3"), row("1"), row("2"), row("10")})
	locals := map[string]cty.Value{
		"rows":          rows,
		"tuple":         cty.TupleVal([]cty.Value{row("b"), cty.ObjectVal(map[string]cty.Value{"order_id": cty.StringVal("a")})}),
		"empty":         cty.ListValEmpty(rows.Type().ElementType()),
		"dup":           cty.ListVal([]cty.Value{row("1"), row("2"), row("1")}),
		"number_key":    cty.ListVal([]cty.Value{row("", cty.NumberIntVal(1))}),
		"null_key":      cty.ListVal([]cty.Value{row("", cty.NullVal(cty.String))}),
		"unknown_key":   cty.ListVal([]cty.Value{row("", cty.UnknownVal(cty.String))}),
		"marked_key":    cty.ListVal([]cty.Value{row("", cty.StringVal("1").Mark(sensitiveMark))}),
		"nfd_key":       cty.TupleVal([]cty.Value{row("", cty.StringVal("e\u0301"))}),
		"marked_row":    cty.ListVal([]cty.Value{row("1").Mark(sensitiveMark), row("2")}),
		"marked_cell":   cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"order_id": cty.StringVal("1"), "track": cty.StringVal("x").Mark(sensitiveMark)})}),
		"marked_list":   rows.Mark(sensitiveMark),
		"unknown":       cty.UnknownVal(rows.Type()),
		"unknown_row":   cty.ListVal([]cty.Value{cty.UnknownVal(rows.Type().ElementType())}),
		"null":          cty.NullVal(rows.Type()),
		"null_row":      cty.ListVal([]cty.Value{cty.NullVal(rows.Type().ElementType())}),
		"set":           cty.SetVal([]cty.Value{row("1"), row("2")}),
		"map":           cty.MapVal(map[string]cty.Value{"x": row("1")}),
		"string":        cty.StringVal("x"),
		"missing":       cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("1")})}),
		"maps":          cty.ListVal([]cty.Value{cty.MapVal(map[string]cty.Value{"order_id": cty.StringVal("1")})}),
		"dynamic":       cty.DynamicVal,
		"list_of_lists": cty.ListVal([]cty.Value{cty.ListVal([]cty.Value{cty.StringVal("1")})}),
	}
	exprs := map[string]bool{ // whether rowsByKey expands it, over local.rows
		"{ for row in local.%s : row.order_id => row }":           true,
		"{ for r in local.%s : r.order_id => r }":                 true,
		"{ for row in local.%s : row.track => row }":              true,
		"{ for i, row in local.%s : row.order_id => row }":        false,
		"{ for row in local.%s : row.order_id => row if true }":   false,
		"{ for row in local.%s : row.order_id => row... }":        false,
		"{ for row in local.%s : row.order_id => row.track }":     false,
		"{ for row in local.%s : row[\"order_id\"] => row }":      false,
		"{ for row in local.%s : (row.order_id) => row }":         false,
		"{ for row in local.%s : local.rows[0].order_id => row }": false,
		"{ for row in tolist(local.%s) : row.order_id => row }":   false,
		"[ for row in local.%s : row ]":                           false,
		"local.%s":                                                false,
	}
	expanded := map[string]bool{}
	for _, tight := range []bool{false, true} {
		for src, fast := range exprs {
			for name := range locals {
				src := fmt.Sprintf(src, name)
				parsed, diags := hclsyntax.ParseExpression([]byte(src), "e.hcl", hcl.InitialPos)
				if diags.HasErrors() {
					t.Fatal(src, diags)
				}
				expr := guardExpr(parsed)
				// Each evaluation has a budget of its own, the same.
				ctxOf := func() *hcl.EvalContext {
					b := &budget{}
					if tight {
						b.elements.Store(maxEvalElements - 2)
					}
					funcs := functions(t.TempDir(), b)
					return &hcl.EvalContext{Variables: map[string]cty.Value{"local": cty.ObjectVal(locals)}, Functions: funcs}
				}
				keys, vals, gotDiags, ok := rowsByKey(expr, ctxOf())
				if name == "rows" && ok != fast {
					t.Errorf("%s: expanded %v, want %v", src, ok, fast)
				}
				if !ok {
					continue
				}
				if src == fmt.Sprintf("{ for row in local.%s : row.order_id => row }", name) {
					expanded[name] = true
				}
				v, wantDiags := expr.Value(ctxOf())
				if diff := cmp.Diff(summarizeDiags(wantDiags), summarizeDiags(gotDiags)); diff != "" {
					t.Errorf("%s (tight %v): diagnostics (-evaluated +expanded):\n%s", src, tight, diff)
					continue
				}
				if wantDiags.HasErrors() {
					if keys != nil || vals != nil {
						t.Errorf("%s: keys with errors", src)
					}
					continue
				}
				if v.IsMarked() || !v.Type().IsObjectType() {
					t.Errorf("%s: expanded, but evaluates to %#v", src, v)
					continue
				}
				var wantKeys, wantVals []cty.Value
				for it := v.ElementIterator(); it.Next(); {
					k, e := it.Element()
					wantKeys, wantVals = append(wantKeys, k), append(wantVals, e)
				}
				if len(keys) != len(wantKeys) {
					t.Errorf("%s: %d keys, want %d", src, len(keys), len(wantKeys))
					continue
				}
				for i := range keys {
					if !keys[i].RawEquals(wantKeys[i]) || !vals[i].RawEquals(wantVals[i]) {
						t.Errorf("%s: [%d] = %#v => %#v, want %#v => %#v", src, i, keys[i], vals[i], wantKeys[i], wantVals[i])
					}
				}
			}
		}
	}
	// By order_id, only these (cty.StringVal composes the NFD key); the
	// other collections are evaluated.
	want := map[string]bool{"rows": true, "tuple": true, "empty": true, "marked_cell": true, "nfd_key": true}
	if diff := cmp.Diff(want, expanded); diff != "" {
		t.Errorf("expanded by order_id (-want +got):\n%s", diff)
	}
}
