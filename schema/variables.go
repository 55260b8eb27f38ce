package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// EnvVarPrefix starts the names of environment variables that set input
// variables: ORDERFORM_VAR_courier_service=51.
const EnvVarPrefix = "ORDERFORM_VAR_"

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}, {Name: "nullable"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true}, {Name: "error_message", Required: true},
	},
}

type variable struct {
	name      string
	declRange hcl.Range
	typ       cty.Type
	defaults  *typeexpr.Defaults
	// parseHCL says that values given as text (-var, environment) are HCL
	// expressions; a variable without a type, or of type string, takes
	// them literally, as in Terraform.
	parseHCL    bool
	broken      bool      // its declaration has errors, already reported
	def         cty.Value // cty.NilVal: no default
	sensitive   bool
	nullable    bool
	validations []*validation

	value cty.Value // final, marked when sensitive; unknown after an error
}

type validation struct {
	cond, msg hcl.Expression
	bad       bool
}

// rawValue is a value given to a variable, before conversion.
type rawValue struct {
	val  cty.Value
	rng  *hcl.Range // nil for -var and the environment
	from string     // "by -var", "in the environment", "in FILE"
}

func (l *loader) decodeVariable(b *hcl.Block) {
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.diags = append(l.diags, errorDiag(b.LabelRanges[0], "Invalid variable name",
			"A variable name must start with a letter and contain only letters, digits, underscores and dashes."))
		return
	}
	if prev, ok := l.vars[name]; ok {
		l.diags = append(l.diags, errorDiag(b.LabelRanges[0], "Duplicate variable declaration",
			"A variable named %q was already declared at %s. Variable names must be unique.", name, place(prev.declRange)))
		return
	}
	v := &variable{name: name, declRange: b.DefRange, typ: cty.DynamicPseudoType, def: cty.NilVal, nullable: true}
	l.vars[name] = v
	l.varList = append(l.varList, v)

	content, diags := b.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)
	if a, ok := content.Attributes["type"]; ok {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		l.diags = append(l.diags, diags...)
		v.broken = diags.HasErrors()
		if !diags.HasErrors() {
			v.typ, v.defaults = ty, defaults
			v.parseHCL = hcl.ExprAsKeyword(a.Expr) != "string"
		}
	}
	if a, ok := content.Attributes["description"]; ok {
		val, diags := l.constValue(a.Expr)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			if _, err := convert.Convert(val, cty.String); err != nil || !val.IsWhollyKnown() {
				l.diags = append(l.diags, errorDiag(a.Expr.Range(), "Invalid variable description", "The description must be a literal string."))
			}
		}
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		v.sensitive = l.constBool(a)
	}
	if a, ok := content.Attributes["nullable"]; ok {
		if val, ok := l.constBoolOK(a); ok {
			v.nullable = val
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		val, diags := l.constValue(a.Expr)
		l.diags = append(l.diags, diags...)
		v.broken = v.broken || diags.HasErrors()
		if !diags.HasErrors() {
			if v.defaults != nil {
				val = v.defaults.Apply(val)
			}
			conv, err := convert.Convert(val, v.typ)
			switch {
			case err != nil:
				v.broken = true
				l.diags = append(l.diags, errorDiag(a.Expr.Range(), "Invalid default value for variable",
					"This default value does not match the variable's type: %s. Change it, or the type.", pathError(err)))
			case conv.IsNull() && !v.nullable:
				// Not nullable with a null default is a required variable.
			default:
				v.def = conv
			}
		}
	}
	for _, vb := range content.Blocks {
		vc, diags := vb.Body.Content(validationSchema)
		l.diags = append(l.diags, diags...)
		cond, msg := vc.Attributes["condition"], vc.Attributes["error_message"]
		if cond == nil || msg == nil {
			continue
		}
		vd := &validation{cond: guardExpr(cond.Expr), msg: guardExpr(msg.Expr)}
		for _, e := range []hcl.Expression{cond.Expr, msg.Expr} {
			for _, tr := range e.Variables() {
				if name, _, ok := attrStep(tr, 1); ok && tr.RootName() == "var" && name == v.name {
					continue
				}
				vd.bad = true
				l.diags = append(l.diags, errorDiag(tr.SourceRange(), "Invalid reference in variable validation",
					"The validation of variable %q can refer only to the variable itself, as var.%s.", v.name, v.name))
			}
		}
		v.validations = append(v.validations, vd)
	}
}

func (l *loader) constBool(a *hcl.Attribute) bool {
	b, _ := l.constBoolOK(a)
	return b
}

func (l *loader) constBoolOK(a *hcl.Attribute) (bool, bool) {
	val, diags := l.constValue(a.Expr)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return false, false
	}
	conv, err := convert.Convert(val, cty.Bool)
	if err != nil || !conv.IsKnown() || conv.IsNull() {
		l.diags = append(l.diags, errorDiag(a.Expr.Range(), "Invalid value for "+a.Name, "%s must be true or false.", a.Name))
		return false, false
	}
	return conv.True(), true
}

// setVariables gives every variable its value: default, then the
// environment, then the directory's orderform.ofvars and *.auto.ofvars,
// then -var-file and -var in command-line order, the later winning; then converts to the type, runs the validations and marks
// sensitive values.
func (l *loader) setVariables(ev *evaluator) {
	raw := map[string]*rawValue{}
	for _, kv := range l.opt.Env {
		k, text, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		name, ok := strings.CutPrefix(k, EnvVarPrefix)
		v := l.vars[name]
		if !ok || v == nil {
			// Like Terraform: the environment may hold values for other
			// configurations.
			continue
		}
		if val, ok := l.parseText(v, text, fmt.Sprintf("<value for var.%s from %s%s>", name, EnvVarPrefix, name)); ok {
			raw[name] = &rawValue{val: val, from: "in " + EnvVarPrefix + name}
		}
	}
	// The directory's own variables files come after the environment and
	// before the command line, as terraform.tfvars and *.auto.tfvars do.
	auto := autoVarFiles(l.dir)
	args := make([]VarArg, 0, len(auto)+len(l.opt.VarArgs))
	for _, f := range auto {
		args = append(args, VarArg{File: true, Value: f})
	}
	args = append(args, l.opt.VarArgs...)
	for _, arg := range args {
		if arg.File {
			l.readVarFile(arg.Value, raw)
		} else {
			l.parseVarArg(arg.Value, raw)
		}
	}
	for _, v := range l.varList {
		l.finalize(ev, v, raw[v.name])
	}
}

func (l *loader) parseText(v *variable, text, filename string) (cty.Value, bool) {
	if !v.parseHCL {
		return cty.StringVal(text), true
	}
	if d := checkNesting([]byte(text), filename); d != nil {
		l.diags = append(l.diags, d)
		return cty.NilVal, false
	}
	expr, diags := hclsyntax.ParseExpression([]byte(text), filename, hcl.InitialPos)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	val, diags := l.constValue(expr)
	l.diags = append(l.diags, diags...)
	return val, !diags.HasErrors()
}

func (l *loader) parseVarArg(arg string, raw map[string]*rawValue) {
	name, text, ok := strings.Cut(arg, "=")
	if !ok || name == "" {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid -var option",
			Detail:   fmt.Sprintf("The option -var %q is not a variable name and a value separated by an equals sign: write -var 'name=value'.", arg),
		})
		return
	}
	v := l.vars[name]
	if v == nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Value for undeclared variable",
			Detail: fmt.Sprintf("A value was given with -var for %q, but the configuration declares no such variable.%s",
				name, orDeclare(didYouMean(name, sortedNames(l.vars)), fmt.Sprintf(" To use it, declare variable %q {}.", name))),
		})
		return
	}
	if val, ok := l.parseText(v, text, fmt.Sprintf("<value for var.%s>", name)); ok {
		raw[name] = &rawValue{val: val, from: "by -var"}
	}
}

func (l *loader) readVarFile(path string, raw map[string]*rawValue) {
	var (
		f     *hcl.File
		diags hcl.Diagnostics
	)
	given := path
	path = l.varFilePath(path)
	if src, err := readLimited(path, MaxConfigFileSize); err != nil {
		d := readFailed(err)
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			d.Detail = fmt.Sprintf("The variables file %s could not be read: %s.", path, pe.Err)
		}
		if !filepath.IsAbs(given) {
			d.Detail += fmt.Sprintf(" A relative -var-file is relative to the configuration directory (%s), like every path of a configuration.", l.dir)
		}
		diags = hcl.Diagnostics{d}
	} else {
		f, diags = l.parse(src, path, strings.HasSuffix(path, ".json"))
	}
	l.diags = append(l.diags, diags...)
	if f == nil {
		return
	}
	l.cfg.files[path] = f
	attrs, diags := f.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	for _, name := range sortedNames(attrs) {
		a := attrs[name]
		v := l.vars[name]
		if v == nil {
			// A warning, as in Terraform: one variables file may serve
			// several configurations.
			l.diags = append(l.diags, warningDiag(a.NameRange, "Value for undeclared variable",
				"The variables file assigns %q, but the configuration declares no such variable, so the value is ignored.%s",
				name, didYouMean(name, sortedNames(l.vars))))
			continue
		}
		val, diags := l.constValue(a.Expr)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		rng := a.Expr.Range()
		raw[name] = &rawValue{val: val, rng: &rng, from: "in " + path}
	}
}

func (l *loader) finalize(ev *evaluator, v *variable, src *rawValue) {
	v.value = cty.UnknownVal(v.typ)
	subject := v.declRange
	if src != nil && src.rng != nil {
		subject = *src.rng
	}
	var val cty.Value
	switch {
	case src != nil:
		val = src.val
	case v.def != cty.NilVal:
		val = v.def
	case v.broken:
		return
	default:
		l.diags = append(l.diags, errorDiag(v.declRange, "No value for required variable",
			"The variable %q has no default, and no value was given. Give one with -var '%s=...', in a -var-file, or as %s%s in the environment; or declare a default.",
			v.name, v.name, EnvVarPrefix, v.name))
		return
	}
	if val.IsNull() && !v.nullable {
		if v.def == cty.NilVal || v.def.IsNull() {
			l.diags = append(l.diags, errorDiag(subject, "Invalid value for variable",
				"The variable %q (declared at %s) is not nullable, and the value given %s is null. Give it a value.", v.name, place(v.declRange), src.from))
			return
		}
		val = v.def
	}
	if src != nil {
		if v.defaults != nil {
			val = v.defaults.Apply(val)
		}
		conv, err := convert.Convert(val, v.typ)
		if err != nil {
			l.diags = append(l.diags, errorDiag(subject, "Invalid value for variable",
				"The value given %s is not suitable for var.%s (declared at %s): %s.", src.from, v.name, place(v.declRange), pathError(err)))
			return
		}
		val = conv
	}
	if v.sensitive {
		val = val.Mark(sensitiveMark)
	}
	ok := true
	for _, vd := range v.validations {
		if !vd.bad && !l.validate(ev, v, vd, val, subject) {
			ok = false
		}
	}
	if ok {
		v.value = val
	}
}

// validate runs one validation block; false means it reported the value.
func (l *loader) validate(ev *evaluator, v *variable, vd *validation, val cty.Value, subject hcl.Range) bool {
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.name: val})},
		Functions: ev.funcs,
	}
	res, diags := vd.cond.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return false
	}
	res, _ = res.UnmarkDeep()
	if !res.IsKnown() {
		return true
	}
	if res.IsNull() {
		l.diags = append(l.diags, errorDiag(vd.cond.Range(), "Invalid variable validation result",
			"The condition evaluated to null; it must be true or false."))
		return false
	}
	res, err := convert.Convert(res, cty.Bool)
	if err != nil {
		l.diags = append(l.diags, errorDiag(vd.cond.Range(), "Invalid variable validation result",
			"The condition must be true or false: %s.", pathError(err)))
		return false
	}
	if res.True() {
		return true
	}
	msg := "(the error message could not be evaluated)"
	if m, diags := vd.msg.Value(ctx); !diags.HasErrors() {
		if m.IsMarked() {
			msg = "The error message included a sensitive value, so it is not displayed."
		} else if s, err := convert.Convert(m, cty.String); err == nil && s.IsKnown() && !s.IsNull() {
			msg = strings.TrimSpace(s.AsString())
		}
	}
	l.diags = append(l.diags, errorDiag(subject, "Invalid value for variable",
		"%s\n\nThis was checked by the validation rule of var.%s at %s.", msg, v.name, place(vd.cond.Range())))
	return false
}

// pathError renders a cty conversion error with the path it happened at,
// as Terraform does: `attribute "count": a number is required`.
func pathError(err error) string {
	var pe cty.PathError
	if !errors.As(err, &pe) || len(pe.Path) == 0 {
		return err.Error()
	}
	var b strings.Builder
	for i, step := range pe.Path {
		switch s := step.(type) {
		case cty.GetAttrStep:
			if i == 0 {
				fmt.Fprintf(&b, "attribute %q", s.Name)
			} else {
				fmt.Fprintf(&b, ".%s", s.Name)
			}
		case cty.IndexStep:
			switch s.Key.Type() {
			case cty.String:
				fmt.Fprintf(&b, "[%q]", s.Key.AsString())
			case cty.Number:
				fmt.Fprintf(&b, "[%s]", s.Key.AsBigFloat().Text('f', -1))
			default:
				b.WriteString("[...]")
			}
		}
	}
	return b.String() + ": " + pe.Error()
}
