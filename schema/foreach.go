package schema

import (
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// rowsByKey expands for_each = { for row in COLL : row.KEY => row }, the
// way a CSV is declared, into the keys and values that evaluating it and
// iterating the object would give (keys sorted), without building the
// object: hcl's for expression makes a context and a map for each row,
// then a map of every row and the object's two copies of it, all garbage
// once expand has the keys. ok is false for any other expression, and for
// whatever would not give exactly those keys and values without a
// diagnostic: COLL other than a reference, unknown, null, sensitive or not
// a list or tuple; a row that is not an object with KEY; a KEY that is not
// a known string, or is sensitive, not in NFC, or found twice. Then the
// expression is evaluated as before. Otherwise diags are those of charging
// the collection to the budget, as the for expression does, and with
// errors there are no keys.
func rowsByKey(e hcl.Expression, ctx *hcl.EvalContext) (keys, vals []cty.Value, diags hcl.Diagnostics, ok bool) {
	fe, isFor := e.(*hclsyntax.ForExpr)
	if !isFor || fe.KeyVar != "" || fe.CondExpr != nil || fe.Group || fe.KeyExpr == nil {
		return nil, nil, nil, false
	}
	guard, isGuard := fe.CollExpr.(*forGuard)
	if !isGuard || len(guard.Args) != 1 {
		return nil, nil, nil, false
	}
	coll, isRef := guard.Args[0].(*hclsyntax.ScopeTraversalExpr)
	if !isRef {
		return nil, nil, nil, false
	}
	if !isVarRef(fe.ValExpr, fe.ValVar, 1) || !isVarRef(fe.KeyExpr, fe.ValVar, 2) {
		return nil, nil, nil, false
	}
	name := fe.KeyExpr.(*hclsyntax.ScopeTraversalExpr).Traversal[1].(hcl.TraverseAttr).Name

	// A reference has no side effect: it is evaluated again through the
	// guard once the rows are known to fit.
	v, d := coll.Value(ctx)
	if len(d) > 0 || v.IsMarked() || !v.IsKnown() || v.IsNull() || !(v.Type().IsListType() || v.Type().IsTupleType()) {
		return nil, nil, nil, false
	}
	type row struct {
		key string
		val cty.Value
	}
	rows := make([]row, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, r := it.Element()
		if r.IsMarked() || !r.IsKnown() || r.IsNull() || !r.Type().IsObjectType() || !r.Type().HasAttribute(name) {
			return nil, nil, nil, false
		}
		k := r.GetAttr(name)
		if k.IsMarked() || !k.IsKnown() || k.IsNull() || k.Type() != cty.String {
			return nil, nil, nil, false
		}
		s := k.AsString()
		if cty.NormalizeString(s) != s {
			return nil, nil, nil, false
		}
		rows = append(rows, row{s, r})
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.key, b.key) })
	for i := 1; i < len(rows); i++ {
		if rows[i].key == rows[i-1].key {
			return nil, nil, nil, false // hcl words the error
		}
	}

	if _, diags = fe.CollExpr.Value(ctx); diags.HasErrors() {
		return nil, nil, diags, true
	}
	keys, vals = make([]cty.Value, len(rows)), make([]cty.Value, len(rows))
	for i, r := range rows {
		keys[i], vals[i] = cty.StringVal(r.key), r.val
	}
	return keys, vals, diags, true
}

// isVarRef reports whether e is the reference name (n 1) or name.ATTR
// (n 2).
func isVarRef(e hclsyntax.Expression, name string, n int) bool {
	st, ok := e.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(st.Traversal) != n {
		return false
	}
	root, ok := st.Traversal[0].(hcl.TraverseRoot)
	if !ok || root.Name != name {
		return false
	}
	if n == 2 {
		_, ok = st.Traversal[1].(hcl.TraverseAttr)
	}
	return ok
}
