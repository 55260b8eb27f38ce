package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadLetsTheRowsGo: without data sources Load's orders are final, so
// the Config keeps neither the locals' values (the rows of the CSVs) nor
// the functions (file()'s cache of their text), and Orders gives Load's
// orders without evaluating anything, also when there are none.
func TestLoadLetsTheRowsGo(t *testing.T) {
	for name, tt := range map[string]struct {
		csv string
		n   int
	}{"rows": {"order_id,track\n1001,RP1\n1002,RP2\n", 2}, "none": {"order_id,track\n", 0}} {
		t.Run(name, func(t *testing.T) {
			dir := writeDir(t, withProvider(map[string]string{
				"rows.csv": tt.csv,
				"main.hcl": `locals {
  rows = csvdecode(file("rows.csv"))
}
order "csv" {
  for_each = { for row in local.rows : row.order_id => row }
  track {
    code                = upper(each.value.track)
    delivery_service_id = 1
  }
}
`}))
			cfg, diags := Load(dir, LoadOptions{})
			if len(diags) > 0 {
				t.Fatal(diags)
			}
			if cfg.eval.locals.values != nil || cfg.eval.funcs != nil {
				t.Errorf("Load keeps %d locals and %d functions", len(cfg.eval.locals.values), len(cfg.eval.funcs))
			}
			want := cfg.eval.final
			if want == nil || len(want) != tt.n {
				t.Fatalf("final %v", want)
			}
			for _, results := range []*DataResults{nil, {}} {
				orders, diags := cfg.Orders(results)
				if len(diags) > 0 {
					t.Errorf("Orders(%v): %v", results, diags)
				}
				if diff := cmp.Diff(want, orders); diff != "" {
					t.Errorf("Orders(%v) (-Load's +got):\n%s", results, diff)
				}
			}
		})
	}
}
