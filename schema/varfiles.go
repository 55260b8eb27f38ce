package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Variables files are named apart from configuration, as .tfvars is from
// .tf: configuration loading reads *.hcl and never these.
const (
	// VarFileExt ends the name of a variables file in HCL syntax; with
	// ".json" after it (VarFileExt + ".json") the file is JSON.
	VarFileExt = ".ofvars"
	// DefaultVarFile is loaded from the configuration directory without
	// -var-file, like terraform.tfvars.
	DefaultVarFile = "orderform" + VarFileExt
	// autoVarFileSuffix marks the other files loaded without -var-file,
	// like *.auto.tfvars.
	autoVarFileSuffix = ".auto" + VarFileExt
)

// IsVarFileName reports whether name is named as a variables file
// (NAME.ofvars or NAME.ofvars.json).
func IsVarFileName(name string) bool {
	return strings.HasSuffix(name, VarFileExt) || strings.HasSuffix(name, VarFileExt+".json")
}

// autoVarFiles lists the names of the variables files of dir that are
// loaded without being named, in Terraform's order: orderform.ofvars, orderform.ofvars.json,
// then *.auto.ofvars and *.auto.ofvars.json by name.
func autoVarFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // parseDir reports an unreadable directory
	}
	var first, auto []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || ignoredFile(name) {
			continue
		}
		switch {
		case name == DefaultVarFile || name == DefaultVarFile+".json":
			first = append(first, name)
		case strings.HasSuffix(name, autoVarFileSuffix) || strings.HasSuffix(name, autoVarFileSuffix+".json"):
			auto = append(auto, name)
		}
	}
	sort.Strings(first) // "orderform.ofvars" before "orderform.ofvars.json"
	sort.Strings(auto)
	return append(first, auto...)
}

// varFilePath resolves a -var-file path: relative to the configuration
// directory, like every other path of a configuration (Terraform resolves
// it after -chdir too).
func (l *loader) varFilePath(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(l.dir, path)
}

// namedVarFiles are the absolute paths of the -var-file arguments, so that
// a *.hcl file named there is read as variables, not as configuration.
func (l *loader) namedVarFiles() map[string]bool {
	out := map[string]bool{}
	add := func(p string) {
		if abs, err := filepath.Abs(l.varFilePath(p)); err == nil {
			out[abs] = true
		}
	}
	for _, a := range l.opt.VarArgs {
		if a.File {
			add(a.Value)
		}
	}
	return out
}

// isNamedVarFile reports a configuration-directory file given with
// -var-file: it is read as variables only, with a warning to rename it.
func (l *loader) isNamedVarFile(path string, named map[string]bool) bool {
	abs, err := filepath.Abs(path)
	if err != nil || !named[abs] {
		return false
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Variables file named like configuration",
		Detail: fmt.Sprintf("%s is given with -var-file, and as a *.hcl file of the configuration directory it would also be read as configuration: this time it was read as variables only. Rename it to %s so that no command takes it for configuration.",
			filepath.Base(path), varFileName(filepath.Base(path))),
		Subject: &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
	})
	return true
}

// looksLikeVarFile reports a configuration file that assigns values and
// declares nothing: a variables file named *.hcl. Decoding it as
// configuration would give one "An argument named ... is not expected
// here" per value, which does not say what is wrong.
func (l *loader) looksLikeVarFile(body *hclsyntax.Body) bool {
	if len(body.Blocks) > 0 || len(body.Attributes) == 0 {
		return false
	}
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte })
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.Name
	}
	file := attrs[0].NameRange.Filename
	name := varFileName(filepath.Base(file))
	subject := attrs[0].NameRange
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Variables file among the configuration",
		Detail: fmt.Sprintf("This looks like a variables file: it only assigns values (%s), and configuration has no top-level arguments. Every *.hcl file of the directory is read as configuration; name this one %s and pass -var-file=%s, or name it %s (or NAME%s) to have it loaded without -var-file.",
			strings.Join(names, ", "), name, name, DefaultVarFile, autoVarFileSuffix),
		Subject: &subject,
	})
	return true
}

// varFileName suggests the variables-file name for a file named base:
// "prod.vars.hcl" and "prod.hcl" become "prod.ofvars".
func varFileName(base string) string {
	stem := strings.TrimSuffix(base, ".hcl")
	for _, s := range []string{".vars", ".tfvars", ".hclvars"} {
		if t := strings.TrimSuffix(stem, s); t != "" {
			stem = t
		}
	}
	return stem + VarFileExt
}
