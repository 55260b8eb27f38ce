package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FuzzLoad: no configuration file makes Load or Orders panic, offline or
// with every data source bound.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/example/*.hcl")
	fmtSeeds, _ := filepath.Glob("testdata/fmt/*.input")
	for _, p := range append(seeds, fmtSeeds...) {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(string(src), "courier_service=51")
		}
	}
	f.Add(dataHCL, "x=1")
	f.Add(serviceVarHCL, "svc=[1, {a = 2}]")
	f.Add("locals {\n  a = local.b\n  b = local.a\n}\n", "")
	f.Add("order \"x\" {\n  for_each = toset([\"1\", \"\"])\n  id = each.key\n  recipient {\n    phone = each.value\n  }\n}\n", "")
	f.Add("variable \"v\" {\n  type = object({a = optional(number, 1)})\n  validation {\n    condition = var.v.a > 0\n    error_message = \"no\"\n  }\n}\n", "v={}")
	// Hostile and careless input (issue 8): each must come back as
	// diagnostics, never as a fatal error, a hang or a panic. Small, so
	// that fuzzing stays fast: 1,000 levels are ten times the bound (the
	// for expressions nested to a billion are TestFunctionBounds').
	track := func(code string) string {
		return "provider \"yandex_market\" {\n  campaign_id = 1\n}\norder \"1001\" {\n  track {\n    code                = " + code + "\n    delivery_service_id = 51\n  }\n}\n"
	}
	f.Add("locals {\n  a = "+strings.Repeat("(", 1000)+"1"+strings.Repeat(")", 1000)+"\n}\n", "")
	f.Add("locals {\n  a = "+strings.Repeat("[", 1000)+strings.Repeat("]", 1000)+"\n}\n", "x="+strings.Repeat("[", 1000))
	f.Add("locals {\n  a = "+strings.Repeat("!", 1000)+"true\n}\n", "")
	f.Add("locals {\n  a = \""+strings.Repeat("${\"", 200)+strings.Repeat("\"}", 200)+"\"\n}\n", "")
	f.Add("locals {\n  s = toset([for i in range(40) : tostring(i)])\n  p = setproduct(local.s, local.s, local.s, local.s, local.s, local.s)\n}\n", "")
	f.Add(track(`format("%0999999999d", 1)`), "")
	f.Add(track(`"RP1\n\u0000\u202e"`), "")
	f.Add(track("true"), "")
	f.Add(track(`file("tracks.csv")`), "")
	f.Add(track(`csvdecode(file("tracks.csv"))[0].track`), "")
	f.Add("provider \"yandex_market\" {\n  campaign_id = 1\n  sandbox = \"/etc/passwd\"\n}\n", "")
	f.Add("data \"delivery_options\" \"d\" {\n  campaign_id = 1\n  courier_address = \"Moscow\"\n  items = [{ offer_id = \"A\", count = 1 }]\n}\n", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, src, varArg string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tracks.csv"), []byte("\ufefforder_id,track\n1007,RP7\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(dir, LoadOptions{VarArgs: varArgs(varArg), Env: []string{EnvVarPrefix + varArg}})
		if cfg == nil {
			t.Fatal("Load returned a nil Config")
		}
		checkDiags(t, diags)
		_, diags = cfg.Orders(nil)
		checkDiags(t, diags)
		results := &DataResults{Intervals: map[string][]Interval{}, Options: map[string][]DeliveryOption{}}
		for _, d := range cfg.Data {
			results.Intervals[d.Name] = []Interval{{FromDate: "2026-11-25", ToDate: "2026-11-25", FromTime: "10:00", ToTime: "14:00"}}
			results.Options[d.Name] = []DeliveryOption{{WarehouseID: 1, Type: "pickup", LogisticPointID: 0}}
		}
		orders, diags := cfg.Orders(results)
		checkDiags(t, diags)
		for _, o := range orders {
			if o.Address == "" {
				t.Errorf("an order without address: %+v", o)
			}
		}
	})
}

func checkDiags(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Summary == "" {
			t.Errorf("a diagnostic without summary: %+v", d)
		}
	}
}

// FuzzVarValue: no -var or environment value makes Load panic, whatever
// the variable's type.
func FuzzVarValue(f *testing.F) {
	for _, s := range []string{"1", `"a"`, "[1, 2]", "{ a = 1 }", "null", "${", "a.b", "1 +", `["x", null]`, "{ code = \"RP\" }"} {
		f.Add(s)
	}
	dir := writeDir(f, map[string]string{"main.hcl": `variable "n" {
  type = number
}
variable "s" {
  type = string
}
variable "any" {
}
variable "l" {
  type = list(string)
}
variable "o" {
  type     = object({ code = string, svc = optional(number, 51) })
  nullable = false
  validation {
    condition     = length(var.o.code) > 0
    error_message = "empty ${var.o.code}"
  }
}
`})
	f.Fuzz(func(t *testing.T, text string) {
		opt := LoadOptions{
			VarArgs: varArgs("n="+text, "s="+text, "any="+text),
			Env:     []string{EnvVarPrefix + "l=" + text, EnvVarPrefix + "o=" + text},
		}
		if _, diags := Load(dir, opt); diags == nil {
			return
		}
	})
}

// FuzzFormat: Format never panics, and on source that parses it is
// idempotent.
func FuzzFormat(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/fmt/*.input")
	for _, p := range inputs {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("a = 1\nbb = 2\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		once := Format(src)
		if _, diags := hclsyntax.ParseConfig(src, "in.hcl", hcl.InitialPos); diags.HasErrors() {
			return
		}
		if twice := Format(once); !bytes.Equal(once, twice) {
			t.Errorf("not idempotent:\n%q\n%q", once, twice)
		}
	})
}
