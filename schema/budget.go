package schema

import (
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// A bound on each function's result is not enough: a for expression
// nested in another repeats its body once per element, and so multiplies
// what it builds ([for a in range(1024) : [for b in range(1024) : [for c
// in range(1024) : c]]] is a billion numbers), and a template repeated
// that way copies its strings each time. So an evaluation pass (Load, then
// each Orders) has a budget that every function result, every for
// expression's collection and every template part is charged to.
const (
	// maxEvalElements bounds the elements built and iterated in one pass:
	// ten times what a configuration of 100,000 orders from one CSV needs
	// (the rows, the for expression over them, for_each).
	maxEvalElements = 1_000_000
	// maxEvalBytes bounds the bytes of the strings built in one pass:
	// sixteen times what file() may read.
	maxEvalBytes = 16 * MaxReadFileSize
)

// budget is what one evaluation pass has left. Concurrent passes (Orders
// from several goroutines) share it; a reset by one only lets the other
// build more, never unboundedly.
type budget struct {
	elements, bytes atomic.Int64
}

func (b *budget) reset() {
	b.elements.Store(0)
	b.bytes.Store(0)
}

// charge counts what was built and refuses it once the pass has built too
// much.
func (b *budget) charge(elements, bytes int) error {
	if b == nil {
		return nil
	}
	if elements > 0 && b.elements.Add(int64(elements)) > maxEvalElements {
		return fmt.Errorf("the configuration builds or iterates more than %d elements in all; look for for expressions nested in each other", maxEvalElements)
	}
	if bytes > 0 && b.bytes.Add(int64(bytes)) > maxEvalBytes {
		return fmt.Errorf("the configuration builds more than %d MiB of strings in all; look for large strings repeated by a for expression", maxEvalBytes>>20)
	}
	return nil
}

// The functions that guardExpr calls. Their names cannot be written in a
// configuration, so no one calls them but the rewritten expressions.
const (
	forGuardName      = "(for expression)"
	templateGuardName = "(template)"
)

// budgetFunctions returns the two functions of guardExpr, charging b.
func budgetFunctions(b *budget) map[string]function.Function {
	pass := func(charge func(v cty.Value) error) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{
				Name: "value", Type: cty.DynamicPseudoType,
				AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true,
			}},
			Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				v, _ := args[0].Unmark()
				if v.IsKnown() && !v.IsNull() {
					if err := charge(v); err != nil {
						return cty.NilVal, err
					}
				}
				return args[0], nil
			},
		})
	}
	return map[string]function.Function{
		// forGuard calls it with the length of the collection, not the
		// collection: function.Call would walk every value in it to look
		// for marks.
		forGuardName: function.New(&function.Spec{
			Params: []function.Parameter{{Name: "elements", Type: cty.Number}},
			Type:   function.StaticReturnType(cty.Number),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				n, _ := args[0].AsBigFloat().Int64()
				return args[0], b.charge(int(n), 0)
			},
		}),
		templateGuardName: pass(func(v cty.Value) error {
			if v.Type() == cty.String {
				return b.charge(0, len(v.AsString()))
			}
			return nil
		}),
	}
}

// forGuard is the collection of a for expression, charged to the budget
// of the pass when it is evaluated: forGuardName is called with its
// length. It is the call forGuardName(collection) (what hclsyntax walks),
// evaluated as that call was when forGuardName took the collection itself,
// with the same result and diagnostics, but without function.Call's walk
// of the collection (a for_each over 100,000 rows made a value for each of
// their cells, and for each row's index, every time).
type forGuard struct {
	*hclsyntax.FunctionCallExpr // forGuardName(collection)
}

func (g *forGuard) Value(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	var f function.Function
	found := false
	for c := ctx; c != nil && !found; c = c.Parent() {
		f, found = c.Functions[forGuardName]
	}
	if !found {
		return g.FunctionCallExpr.Value(ctx) // the error hclsyntax reports
	}
	v, diags := g.Args[0].Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	u, _ := v.Unmark()
	if !u.IsKnown() || u.IsNull() || !u.CanIterateElements() {
		return v, diags
	}
	if _, err := f.Call([]cty.Value{cty.NumberIntVal(int64(u.LengthInt()))}); err != nil {
		// As hclsyntax reports a function's error.
		return cty.DynamicVal, append(diags, &hcl.Diagnostic{
			Severity:    hcl.DiagError,
			Summary:     "Error in function call",
			Detail:      fmt.Sprintf("Call to function %q failed: %s.", g.Name, err),
			Subject:     g.StartRange().Ptr(),
			Context:     g.Range().Ptr(),
			Expression:  g,
			EvalContext: ctx,
			Extra:       &callError{name: g.Name, err: err},
		})
	}
	return v, diags
}

// callError is the Extra of forGuard's diagnostic, as hclsyntax's: a
// hclsyntax.FunctionCallDiagExtra.
type callError struct {
	name string
	err  error
}

func (e *callError) CalledFunctionName() string { return e.name }
func (e *callError) FunctionCallError() error   { return e.err }

// guardExpr rewrites, in place, every for expression of e to pass its
// collection through forGuard and every interpolated part of a template
// through templateGuardName, and returns e. It is idempotent.
func guardExpr(e hcl.Expression) hcl.Expression {
	node, ok := e.(hclsyntax.Node)
	if !ok {
		return e // JSON: no for expressions, no templates that repeat
	}
	wrap := func(name string, x hclsyntax.Expression) hclsyntax.Expression {
		if call, ok := x.(*hclsyntax.FunctionCallExpr); ok && call.Name == name {
			return x
		}
		r := x.Range()
		return &hclsyntax.FunctionCallExpr{Name: name, Args: []hclsyntax.Expression{x}, NameRange: r, OpenParenRange: r, CloseParenRange: r}
	}
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		switch x := n.(type) {
		case *hclsyntax.ForExpr:
			if _, done := x.CollExpr.(*forGuard); !done {
				x.CollExpr = &forGuard{wrap(forGuardName, x.CollExpr).(*hclsyntax.FunctionCallExpr)}
			}
		case *hclsyntax.TemplateExpr:
			for i, p := range x.Parts {
				if _, literal := p.(*hclsyntax.LiteralValueExpr); !literal {
					x.Parts[i] = wrap(templateGuardName, p)
				}
			}
		}
		return nil
	})
	return e
}

// constValue evaluates an expression that may refer to nothing (a default,
// a -var value, a variables file), within the pass's budget. JSON is
// evaluated without a context, as before: with one, its strings would be
// read as templates.
func (l *loader) constValue(e hcl.Expression) (cty.Value, hcl.Diagnostics) {
	if _, native := e.(hclsyntax.Node); !native {
		return e.Value(nil)
	}
	return guardExpr(e).Value(&hcl.EvalContext{Functions: budgetFunctions(l.budget)})
}
