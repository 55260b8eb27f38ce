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

// TestLoadLetsLocalsGoBlockByBlock: Load's phase 1 lets go of the locals
// that the blocks left do not refer to, directly or through another local;
// the orders and diagnostics of Load and Orders are those without, also
// when the orders are not final and Orders evaluates again with the
// locals evaluated once more, within the budget they had.
func TestLoadLetsLocalsGoBlockByBlock(t *testing.T) {
	defer func(old bool) { releaseLocals = old }(releaseLocals)
	blocks := `locals {
  tracks = csvdecode(file("tracks.csv"))
  slots  = csvdecode(file("slots.csv"))
  alias  = local.tracks
  unused = upper("x")
}
order "shipped" {
  for_each = { for row in local.tracks : row.order_id => row }
  track {
    code                = each.value.track
    delivery_service_id = 1
  }
}
order "slot" {
  for_each = { for row in local.slots : row.order_id => row }
  delivery_interval {
    from_date = each.value.from_date
    from_time = "10:00"
    to_time   = "14:00"
  }
}
order "again" {
  for_each = { for row in local.alias : "${row.order_id}0" => row }
  track {
    code                = lower(each.value.track)
    delivery_service_id = 1
  }
}
`
	for name, extra := range map[string]string{
		"final": "",
		"error": `order "late" {
  id = length(local.slots) + length(local.tracks)
  track {
    code                = ""
    delivery_service_id = 1
  }
}
`,
		// The locals take most of the budget, phase 1 the rest and more:
		// evaluated again from where phase 1 ended, local.big would be
		// over it.
		"budget": `locals {
  big = [for i in range(1000) : [for j in range(400) : j]]
}
order "big" {
  id = length(local.big)
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
order "spend" {
  id = length([for r in local.big : length([for x in r : x])])
  track {
    code                = "RP2"
    delivery_service_id = 1
  }
}
`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeDir(t, withProvider(map[string]string{
				"tracks.csv": "order_id,track\n1001,RP1\n1002,RP2\n",
				"slots.csv":  "order_id,from_date\n2001,2026-12-01\n",
				"main.hcl":   blocks + extra,
			}))
			results := &DataResults{}
			releaseLocals = false
			want := evaluate(t, dir, parallelMin, results)
			releaseLocals = true
			got := evaluate(t, dir, parallelMin, results)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("letting locals go (-without +with):\n%s", diff)
			}
			if len(want.Offline) == 0 || (name == "final") != (len(want.LoadDiags) == 0) {
				t.Errorf("orders %v, Load: %v", want.Offline, want.LoadDiags)
			}
			if cfg, _ := Load(dir, LoadOptions{}); !cfg.eval.released {
				t.Error("no local let go of")
			}
		})
	}
}
