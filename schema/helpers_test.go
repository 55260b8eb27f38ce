package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// providerHCL is added as provider.hcl to a test configuration that does
// not declare its own, so that snippets in main.hcl start at line 1.
const providerHCL = `provider "yandex_market" {
  campaign_id = 21000000
}
`

// writeDir writes files into a new temporary directory.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// withProvider adds provider.hcl unless a file of files mentions a provider.
func withProvider(files map[string]string) map[string]string {
	out := map[string]string{}
	has := false
	for name, src := range files {
		out[name] = src
		if strings.Contains(src, `provider "`) {
			has = true
		}
	}
	if !has {
		out["provider.hcl"] = providerHCL
	}
	return out
}

// loadAll runs both phases offline, as validate does, and returns the
// diagnostics of both.
func loadAll(t testing.TB, files map[string]string, opt LoadOptions) (*Config, []Order, string, hcl.Diagnostics) {
	t.Helper()
	dir := writeDir(t, withProvider(files))
	cfg, diags := Load(dir, opt)
	orders, od := cfg.Orders(nil)
	return cfg, orders, dir, append(diags, od...)
}

// render turns diagnostics into "error: Summary @ main.hcl:3:5" lines, with
// file names relative to dir.
func render(dir string, diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		at := "-"
		if d.Subject != nil {
			at = fmt.Sprintf("%s:%d:%d", rel(dir, d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column)
		}
		out = append(out, fmt.Sprintf("%s: %s @ %s", sev, d.Summary, at))
	}
	return out
}

// details returns the details of diags with dir stripped from file names.
func details(dir string, diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, strings.ReplaceAll(d.Detail, dir+string(filepath.Separator), ""))
	}
	return out
}

func rel(dir, name string) string {
	if r, err := filepath.Rel(dir, name); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return name
}

func ptr(s string) *string { return &s }

// withoutNoOrders drops the warning of a configuration without order
// blocks, for tests of other blocks.
func withoutNoOrders(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Summary != "No orders declared" {
			out = append(out, d)
		}
	}
	return out
}
