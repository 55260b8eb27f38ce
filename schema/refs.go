package schema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// scope says what an expression may refer to.
type scope int

const (
	scopeLocal     scope = iota // var, local, data
	scopeStatic                 // var, and locals that do not depend on data: provider and data arguments
	scopeForEach                // var, local, data
	scopeOrder                  // var, local, data
	scopeOrderEach              // var, local, data, each
)

// resultAttr is the attribute of each data source kind that holds what was
// read.
var resultAttr = map[string]string{
	KindDeliveryIntervals: "available",
	KindDeliveryOptions:   "options",
}

type refInfo struct {
	locals []string
}

// attrStep returns the name of the attribute step at index i of tr.
func attrStep(tr hcl.Traversal, i int) (string, hcl.Range, bool) {
	if len(tr) <= i {
		return "", hcl.Range{}, false
	}
	switch s := tr[i].(type) {
	case hcl.TraverseAttr:
		return s.Name, s.SrcRange, true
	case hcl.TraverseRoot:
		return s.Name, s.SrcRange, true
	}
	return "", hcl.Range{}, false
}

// checkRefs checks the references of the provider, data source and order
// expressions; checkLocalRefs has done the locals.
func (l *loader) checkRefs() {
	if p := l.provider; p != nil {
		for _, name := range sortedNames(p.attrs) {
			l.checkExpr(p.attrs[name], scopeStatic)
		}
	}
	for _, d := range l.data {
		for _, a := range d.attrList() {
			l.checkExpr(a, scopeStatic)
		}
	}
	for _, ob := range l.orders {
		if ob.forEach != nil {
			for _, name := range l.checkExpr(ob.forEach, scopeForEach).locals {
				ob.locals = appendOnce(ob.locals, name)
			}
		}
		sc := scopeOrder
		if ob.forEach != nil {
			sc = scopeOrderEach
		}
		for _, a := range ob.attrList() {
			for _, name := range l.checkExpr(a, sc).locals {
				ob.locals = appendOnce(ob.locals, name)
			}
		}
	}
}

// checkExpr checks every reference of a's expression against the
// declarations, with did-you-mean suggestions, and records on a what it
// depends on. An expression with a bad reference is never evaluated, so
// that a mistake is reported once.
func (l *loader) checkExpr(a *attrExpr, sc scope) refInfo {
	var info refInfo
	bad := func(rng hcl.Range, summary, detail string, args ...any) {
		a.bad = true
		l.diags = append(l.diags, errorDiag(rng, summary, detail, args...))
	}
	for _, tr := range a.expr.Variables() {
		root := tr.RootName()
		whole := tr.SourceRange()
		name, nameRng, hasName := attrStep(tr, 1)
		if hasName {
			whole = hcl.RangeBetween(tr[0].SourceRange(), nameRng)
		}
		switch root {
		case "var":
			if !hasName {
				bad(tr.SourceRange(), "Invalid reference", `The "var" object cannot be used as a whole: refer to one variable, such as var.NAME.`)
				continue
			}
			if _, ok := l.vars[name]; !ok {
				bad(whole, "Reference to undeclared input variable",
					"An input variable named %q has not been declared.%s", name, orDeclare(didYouMean(name, sortedNames(l.vars)), fmt.Sprintf(" Declare it with a variable %q {} block.", name)))
			}
		case "local":
			if !hasName {
				bad(tr.SourceRange(), "Invalid reference", `The "local" object cannot be used as a whole: refer to one local value, such as local.NAME.`)
				continue
			}
			lc := l.locals.byName[name]
			if lc == nil {
				bad(whole, "Reference to undeclared local value",
					"A local value named %q has not been declared.%s", name, orDeclare(didYouMean(name, sortedNames(l.locals.byName)), " Define it in a locals block."))
				continue
			}
			info.locals = appendOnce(info.locals, name)
			if sc != scopeLocal && lc.a.data {
				a.data = true
			}
			if sc == scopeStatic && lc.a.data {
				bad(whole, "Invalid reference",
					"local.%s depends on a data source, whose result is read after the provider and the data sources' arguments are evaluated. These may refer to variables and to locals that do not depend on data.", name)
			}
		case "data":
			if sc == scopeStatic {
				bad(tr.SourceRange(), "Invalid reference",
					"The provider and the data sources' arguments cannot refer to a data source: they are evaluated before any is read.")
				continue
			}
			a.data = true
			l.checkDataRef(tr, bad)
		case "each":
			if sc != scopeOrderEach {
				where := "here"
				if sc == scopeForEach {
					where = "in for_each itself"
				}
				bad(tr.SourceRange(), `Reference to "each" in context without for_each`,
					"each.key and each.value exist only in an order block that sets for_each, and cannot be used %s.", where)
				continue
			}
			if !hasName || (name != "key" && name != "value") {
				bad(tr.SourceRange(), "Invalid each reference",
					`The "each" object has two attributes: each.key and each.value.%s`, didYouMean(name, []string{"key", "value"}))
				continue
			}
			a.each = true
		default:
			bad(tr[0].SourceRange(), "Invalid reference",
				"There is no %q in an orderform configuration: references start with var., local., data. or, in an order block with for_each, each.%s",
				root, didYouMean(root, []string{"var", "local", "data", "each"}))
		}
	}
	return info
}

func (l *loader) checkDataRef(tr hcl.Traversal, bad func(hcl.Range, string, string, ...any)) {
	kind, kindRng, ok := attrStep(tr, 1)
	if !ok {
		bad(tr.SourceRange(), "Invalid reference", `The "data" object cannot be used as a whole: refer to one data source, such as data.delivery_intervals.NAME.available.`)
		return
	}
	byName, known := l.dataIdx[kind]
	if !known {
		bad(kindRng, "Invalid data source kind",
			"There is no data source kind %q: the kinds are delivery_intervals and delivery_options.%s",
			kind, didYouMean(kind, []string{KindDeliveryIntervals, KindDeliveryOptions}))
		return
	}
	name, nameRng, ok := attrStep(tr, 2)
	if !ok {
		bad(tr.SourceRange(), "Invalid reference",
			"Refer to one data source, such as data.%s.NAME.%s.", kind, resultAttr[kind])
		return
	}
	if _, ok := byName[name]; !ok {
		bad(hcl.RangeBetween(tr[0].SourceRange(), nameRng), "Reference to undeclared data source",
			"A data source %q %q has not been declared.%s", kind, name,
			orDeclare(didYouMean(name, sortedNames(byName)), fmt.Sprintf(" Declare it with a data %q %q {} block.", kind, name)))
		return
	}
	if len(tr) > 3 {
		attr, attrRng, ok := attrStep(tr, 3)
		if want := resultAttr[kind]; !ok || attr != want {
			if !ok {
				attrRng = tr[3].SourceRange()
			}
			bad(attrRng, "Unsupported attribute",
				"A %s data source has one attribute, %q: use data.%s.%s.%s.", kind, want, kind, name, want)
		}
	}
}

func orDeclare(suggestion, declare string) string {
	if suggestion != "" {
		return suggestion
	}
	return declare
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
