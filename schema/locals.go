package schema

import (
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

type local struct {
	name      string
	nameRange hcl.Range
	a         *attrExpr
	deps      []string // locals it refers to, in order of appearance
	inCycle   bool
}

// localSet holds the locals of every locals block of every file.
type localSet struct {
	byName map[string]*local
	list   []*local // declaration order
	topo   []*local // dependencies first
	values map[string]cty.Value
}

func (l *loader) decodeLocals(b *hcl.Block) {
	if l.locals == nil {
		l.locals = &localSet{byName: map[string]*local{}}
	}
	attrs, diags := b.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	for _, name := range sortedAttrs(attrs) {
		a := attrs[name]
		if prev, ok := l.locals.byName[name]; ok {
			l.diags = append(l.diags, errorDiag(a.NameRange, "Duplicate local value",
				"A local value named %q was already defined at %s. Local value names must be unique in the configuration.", name, place(prev.nameRange)))
			continue
		}
		lc := &local{name: name, nameRange: a.NameRange, a: newAttrExpr("", a)}
		lc.a.path = "local." + name
		l.locals.byName[name] = lc
		l.locals.list = append(l.locals.list, lc)
	}
}

// sortedAttrs returns attribute names in source order (JustAttributes gives
// a map).
func sortedAttrs(attrs hcl.Attributes) []string {
	names := sortedNames(attrs)
	slices.SortStableFunc(names, func(a, b string) int {
		return attrs[a].Range.Start.Byte - attrs[b].Range.Start.Byte
	})
	return names
}

// checkLocalRefs checks the references of locals, computes their
// dependencies and evaluation order, and reports cycles naming every local
// on them.
func (l *loader) checkLocalRefs() {
	if l.locals == nil {
		l.locals = &localSet{byName: map[string]*local{}}
	}
	ls := l.locals
	for _, lc := range ls.list {
		info := l.checkExpr(lc.a, scopeLocal)
		lc.deps = info.locals
	}
	state := map[*local]int{} // 0 new, 1 on the stack, 2 done
	var stack []*local
	reported := map[string]bool{}
	var visit func(lc *local)
	visit = func(lc *local) {
		state[lc] = 1
		stack = append(stack, lc)
		for _, dep := range lc.deps {
			d := ls.byName[dep]
			if d == nil {
				continue
			}
			switch state[d] {
			case 0:
				visit(d)
			case 1:
				start := len(stack) - 1
				for stack[start] != d {
					start--
				}
				cycle := stack[start:]
				names := make([]string, 0, len(cycle)+1)
				for _, c := range cycle {
					c.inCycle = true
					names = append(names, "local."+c.name)
				}
				names = append(names, "local."+d.name)
				key := strings.Join(slices.Sorted(slices.Values(names[:len(names)-1])), ",")
				if !reported[key] {
					reported[key] = true
					l.diags = append(l.diags, errorDiag(d.nameRange, "Cycle in local values",
						"These local values refer to each other in a cycle: %s. A local value cannot depend on itself, directly or through others: break the cycle.",
						strings.Join(names, " -> ")))
				}
			}
			if d.inCycle && !lc.inCycle {
				lc.a.bad = true // depends on a cycle: its value cannot be known
			}
			if d.a.data {
				lc.a.data = true
			}
			if d.a.bad {
				lc.a.bad = true
			}
		}
		stack = stack[:len(stack)-1]
		state[lc] = 2
		ls.topo = append(ls.topo, lc)
	}
	for _, lc := range ls.list {
		if state[lc] == 0 {
			visit(lc)
		}
	}
}

// evaluate computes the locals in dependency order into ls.values (phase 1,
// all of them) or into a copy (phase 2, only those that depend on data).
func (ls *localSet) evaluate(ev *evaluator, data cty.Value, onlyData bool, diags *hcl.Diagnostics) map[string]cty.Value {
	values := make(map[string]cty.Value, len(ls.list))
	for k, v := range ls.values {
		values[k] = v
	}
	for _, lc := range ls.topo {
		if onlyData && !lc.a.data {
			continue
		}
		if lc.inCycle || lc.a.bad {
			values[lc.name] = cty.DynamicVal
			continue
		}
		deps := make(map[string]cty.Value, len(lc.deps))
		for _, d := range lc.deps {
			if v, ok := values[d]; ok {
				deps[d] = v
			} else {
				deps[d] = cty.DynamicVal
			}
		}
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": ev.varVal, "local": cty.ObjectVal(deps), "data": data},
			Functions: ev.funcs,
		}
		v, d := lc.a.expr.Value(ctx)
		*diags = append(*diags, d...)
		if d.HasErrors() {
			v = cty.DynamicVal
		}
		values[lc.name] = v
	}
	if !onlyData {
		ls.values = values
	}
	return values
}
