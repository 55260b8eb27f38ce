package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tenThousand is the plan benchmark's configuration: 10,000 orders declared
// with for_each over a csvdecode'd file.
func tenThousand(b *testing.B) string {
	var csv strings.Builder
	csv.WriteString("order_id,track,from_date\n")
	for i := range 10000 {
		fmt.Fprintf(&csv, "%d,RP%09dRU,2026-11-%02d\n", 100000+i, i, 1+i%28)
	}
	return writeDir(b, withProvider(map[string]string{
		"tracks.csv": csv.String(),
		"main.hcl": `variable "courier_service" {
  type    = number
  default = 51
}
locals {
  tracks = csvdecode(file("tracks.csv"))
}
order "from_carrier" {
  for_each = { for row in local.tracks : row.order_id => row }
  track {
    code                = each.value.track
    delivery_service_id = var.courier_service
  }
  delivery_interval {
    from_date = each.value.from_date
    from_time = "10:00"
    to_time   = "14:00"
  }
}
`,
	}))
}

// BenchmarkOrders10k is the evaluation of the orders with the data sources
// read. Without a data source Orders hands out Load's orders, evaluated
// once; the configuration declares one so that it evaluates them again, as
// such a configuration's plan does.
func BenchmarkOrders10k(b *testing.B) {
	dir := tenThousand(b)
	data := "data \"delivery_intervals\" \"o\" {\n  order_id = 100000\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "data.hcl"), []byte(data), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, diags := Load(dir, LoadOptions{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	results := &DataResults{Intervals: map[string][]Interval{"o": nil}}
	b.ReportAllocs()
	for b.Loop() {
		orders, diags := cfg.Orders(results)
		if len(diags) > 0 || len(orders) != 10000 {
			b.Fatalf("%d orders, %v", len(orders), diags)
		}
	}
}

// BenchmarkLoad10k includes parsing, phase 1 (which evaluates the orders
// once with data unknown) and Orders: what plan spends in this package.
func BenchmarkLoad10k(b *testing.B) {
	dir := tenThousand(b)
	b.ReportAllocs()
	for b.Loop() {
		cfg, diags := Load(dir, LoadOptions{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if orders, _ := cfg.Orders(&DataResults{}); len(orders) != 10000 {
			b.Fatalf("%d orders", len(orders))
		}
	}
}
