package command

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/schema"
)

// runValidate checks everything that can be checked without the API:
// syntax, blocks and attributes, types, variables, and the static rules
// (dates, times, phones, lengths, duplicate orders). Data sources are
// unknown here, so checks that need their values wait for plan.
func runValidate(_ context.Context, m *meta, args []string) int {
	fs := m.newFlagSet("validate", "")
	var f commonFlags
	f.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	opt := m.viewOptions(f.noColor, false, m.Stderr)
	cfg, diags := schema.Load(m.relDir, m.loadOptions(&f))
	// Load checks the orders too, with the data sources unknown: that is
	// everything that can be known without the API.
	if !diags.HasErrors() {
		_, d := selectOrders(nil, cfg.Provider, f.targets, f.excludes)
		diags = append(diags, d...)
	}
	if f.json {
		data, err := views.DiagnosticsJSON(diags)
		if err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(data))
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

// runFmt rewrites files in canonical style: the directory's *.hcl, or the
// files named.
func runFmt(_ context.Context, m *meta, args []string) int {
	fs := m.newFlagSet("fmt", "[FILES...]")
	check := fs.Bool("check", false, "change nothing; exit 3 when a file is not formatted")
	diff := fs.Bool("diff", false, "print the changes as a unified diff")
	noColor := fs.Bool("no-color", false, "no colour in the output")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	opt := m.viewOptions(*noColor, false, m.Stderr)
	files := fs.Args()
	if len(files) == 0 {
		matches, err := filepath.Glob(filepath.Join(m.dir, "*.hcl"))
		if err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		files = matches
	} else {
		for i, f := range files {
			if !filepath.IsAbs(f) {
				files[i] = filepath.Join(m.dir, f)
			}
		}
	}
	sort.Strings(files)
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
		if _, diags := hclParse(src, path); diags.HasErrors() {
			m.printDiags(diags, nil, opt)
			code = exitError
			continue
		}
		out := schema.Format(src)
		if bytes.Equal(src, out) {
			continue
		}
		name := displayName(m, path)
		fmt.Fprintln(m.Stdout, name)
		if *diff {
			fmt.Fprint(m.Stdout, unifiedDiff(name, src, out))
		}
		if *check {
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

func displayName(m *meta, path string) string {
	if r, err := filepath.Rel(m.dir, path); err == nil && !strings.HasPrefix(r, "..") {
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
