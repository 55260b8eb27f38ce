package command

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/schema"
)

// runValidate checks everything that can be checked without the API:
// syntax, blocks and attributes, types, variables, and the static rules
// (dates, times, phones, lengths, duplicate orders, the endpoint). Data
// sources are unknown here, so checks that need their values wait for plan.
func runValidate(_ context.Context, m *meta, args []string) int {
	a, diags := arguments.ParseValidate(args)
	json := a.ViewType == arguments.ViewJSON
	opt := m.viewOptions(a.NoColor, false, m.Stderr)
	if diags.HasErrors() {
		if json {
			m.printJSON(views.DiagnosticsJSON(diags))
			return exitError
		}
		return m.commandLineError("validate", diags, opt)
	}
	// Load checks the orders too, with the data sources unknown: that is
	// everything that can be known without the API.
	cfg, diags := schema.Load(m.relDir, schema.LoadOptions{VarArgs: a.Vars, Env: os.Environ()})
	if json {
		if !m.printJSON(views.DiagnosticsJSON(diags)) {
			return exitError
		}
	} else {
		m.printDiags(diags, cfg, opt)
		switch {
		case diags.HasErrors():
		case !cfg.HasOrders():
			fmt.Fprintln(m.Stdout, "Success! The configuration is valid, but it declares no orders.")
		default:
			fmt.Fprintln(m.Stdout, "Success! The configuration is valid.")
		}
	}
	if diags.HasErrors() {
		return exitError
	}
	return exitOK
}

// maxFmtInput bounds what fmt reads from standard input.
const maxFmtInput = 16 << 20

// runFmt rewrites files in canonical style: the directory's *.hcl and
// *.ofvars, the files and directories named (relative to -chdir), or, for
// "-", standard input to standard output.
func runFmt(_ context.Context, m *meta, args []string) int {
	a, diags := arguments.ParseFmt(args)
	opt := m.viewOptions(a.NoColor, false, m.Stderr)
	if diags.HasErrors() {
		return m.commandLineError("fmt", diags, opt)
	}
	args = a.Paths
	if slices.Contains(args, "-") { // alone: ParseFmt refuses more
		return m.fmtStdin(a.Check, a.Diff, opt)
	}
	if len(args) == 0 {
		args = []string{"."}
	}
	var files []string
	for _, given := range args {
		// Paths are the user's, under -chdir: relative to the working
		// directory when -chdir is, so diagnostics name them as given.
		path := given
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.relDir, path)
		}
		fi, err := os.Stat(path)
		if err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		if !fi.IsDir() {
			files = append(files, path)
			continue
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		var inDir []string
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, schema.VarFileExt)) {
				continue
			}
			// Followed like configuration loading follows it: a link to a
			// file is a file.
			if fi, err := os.Stat(filepath.Join(path, name)); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			inDir = append(inDir, filepath.Join(path, name))
		}
		sort.Strings(inDir)
		files = append(files, inDir...)
	}
	code := exitOK
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			m.errorf(opt, "%v", err)
			code = exitError
			continue
		}
		// Never rewrite a file that does not parse: formatting it would
		// only move the mistake around.
		if f, diags := hclParse(src, path); diags.HasErrors() {
			views.Diagnostics(m.Stderr, diags, map[string]*hcl.File{path: f}, opt)
			code = exitError
			continue
		}
		out := schema.Format(src)
		if bytes.Equal(src, out) {
			continue
		}
		name := displayName(m, path)
		fmt.Fprintln(m.Stdout, name)
		if a.Diff {
			fmt.Fprint(m.Stdout, unifiedDiff(name, src, out))
		}
		if a.Check {
			if code == exitOK {
				code = exitFormat
			}
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			m.errorf(opt, "%v", err)
			code = exitError
			continue
		}
		if err := os.WriteFile(path, out, fi.Mode().Perm()); err != nil {
			m.errorf(opt, "%v", err)
			code = exitError
		}
	}
	return code
}

// fmtStdin is `fmt -`: standard input formatted to standard output, as
// terraform fmt - does; -check only sets the exit code and -diff prints
// the change instead of the text.
func (m *meta) fmtStdin(check, diff bool, opt views.Options) int {
	const name = "<stdin>"
	src, err := io.ReadAll(io.LimitReader(m.Stdin, maxFmtInput+1))
	if err != nil {
		m.errorf(opt, "read standard input: %v", err)
		return exitError
	}
	if len(src) > maxFmtInput {
		m.errorf(opt, "standard input is larger than %d MiB; fmt formats configuration files, not data", maxFmtInput>>20)
		return exitError
	}
	if f, diags := hclParse(src, name); diags.HasErrors() {
		views.Diagnostics(m.Stderr, diags, map[string]*hcl.File{name: f}, opt)
		return exitError
	}
	out := schema.Format(src)
	changed := !bytes.Equal(src, out)
	switch {
	case diff:
		if changed {
			fmt.Fprint(m.Stdout, unifiedDiff(name, src, out))
		}
	case !check:
		_, _ = m.Stdout.Write(out)
	}
	if check && changed {
		return exitFormat
	}
	return exitOK
}

// displayName is path relative to the configuration directory when it is
// inside it (the way fmt lists the files it changes), else as given.
func displayName(m *meta, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(m.dir, abs); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// unifiedDiff uses diff(1) when it is there, as gofmt -d does; otherwise it
// prints both versions whole.
func unifiedDiff(name string, a, b []byte) string {
	dir, err := os.MkdirTemp("", "orderform-fmt")
	if err == nil {
		defer os.RemoveAll(dir)
		pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		if os.WriteFile(pa, a, 0o600) == nil && os.WriteFile(pb, b, 0o600) == nil {
			out, _ := exec.Command("diff", "-u", "--label", "a/"+name, "--label", "b/"+name, pa, pb).Output()
			if len(out) > 0 {
				return string(out)
			}
		}
	}
	return fmt.Sprintf("--- a/%s\n%s+++ b/%s\n%s", name, a, name, b)
}

func hclParse(src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	return schema.ParseFile(src, name)
}
