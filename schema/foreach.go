package schema

import (
	"sort"

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
	// The key of a row is its cell, as the object's iteration gives it.
	n := v.LengthInt()
	keys, vals = make([]cty.Value, 0, n), make([]cty.Value, 0, n)
	for it := v.ElementIterator(); it.Next(); {
		_, r := it.Element()
		if r.IsMarked() || !r.IsKnown() || r.IsNull() || !r.Type().IsObjectType() || !r.Type().HasAttribute(name) {
			return nil, nil, nil, false
		}
		k := r.GetAttr(name)
		if k.IsMarked() || !k.IsKnown() || k.IsNull() || k.Type() != cty.String {
			return nil, nil, nil, false
		}
		if s := k.AsString(); cty.NormalizeString(s) != s {
			return nil, nil, nil, false
		}
		keys, vals = append(keys, k), append(vals, r)
	}
	sort.Sort(byKey{keys, vals})
	for i := 1; i < len(keys); i++ {
		if keys[i].AsString() == keys[i-1].AsString() {
			return nil, nil, nil, false // hcl words the error
		}
	}

	if _, diags = fe.CollExpr.Value(ctx); diags.HasErrors() {
		return nil, nil, diags, true
	}
	return keys, vals, diags, true
}

// byKey sorts rows by key, keys[i] the key of vals[i], without a slice of
// pairs.
type byKey struct{ keys, vals []cty.Value }

func (b byKey) Len() int           { return len(b.keys) }
func (b byKey) Less(i, j int) bool { return b.keys[i].AsString() < b.keys[j].AsString() }
func (b byKey) Swap(i, j int) {
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
	b.vals[i], b.vals[j] = b.vals[j], b.vals[i]
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
