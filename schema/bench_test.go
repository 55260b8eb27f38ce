package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
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

// hundredThousand is bench/plan10k's configuration at -n 100000: half the
// orders get a track from one CSV, the other half a delivery interval from
// another, each through a for_each over csvdecode(file(...)).
func hundredThousand(b *testing.B) string {
	var tracks, slots strings.Builder
	tracks.WriteString("order_id,track\n")
	slots.WriteString("order_id,from_date,to_date,from_time,to_time\n")
	for i := range 100000 {
		id := 100001 + i
		if id%2 == 1 {
			fmt.Fprintf(&tracks, "%d,RP%09dRU\n", id, id)
		} else {
			day := fmt.Sprintf("2026-12-%02d", 1+i%28)
			fmt.Fprintf(&slots, "%d,%s,%s,%s,%s\n", id, day, day, "10:00", "14:00")
		}
	}
	return writeDir(b, map[string]string{
		"tracks.csv": tracks.String(),
		"slots.csv":  slots.String(),
		"main.hcl":   plan10kHCL(b),
	})
}

// heapPeak samples the heap while a function runs: the largest heap of
// live and not yet collected objects it saw, and the largest live heap
// the collector marked (what remains after a cycle).
type heapPeak struct {
	stop            chan struct{}
	done            chan struct{}
	objects, marked uint64
	samples         []metrics.Sample
}

func startHeapPeak() *heapPeak {
	p := &heapPeak{stop: make(chan struct{}), done: make(chan struct{}), samples: []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"},
	}}
	go func() {
		defer close(p.done)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(p.samples)
			p.objects = max(p.objects, p.samples[0].Value.Uint64())
			p.marked = max(p.marked, p.samples[1].Value.Uint64())
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *heapPeak) end() (objects, marked uint64) {
	close(p.stop)
	<-p.done
	metrics.Read(p.samples)
	return max(p.objects, p.samples[0].Value.Uint64()), max(p.marked, p.samples[1].Value.Uint64())
}

// BenchmarkLoad100k is Load of bench/plan10k's configuration at -n 100000
// (no data source: Orders hands out Load's orders). Besides time and
// allocations it reports the peak heap during Load (peak-heap-MB, sampled)
// and the largest live heap a collection found (live-MB): orderform's
// peak RSS is set there.
func BenchmarkLoad100k(b *testing.B) {
	dir := hundredThousand(b)
	b.ReportAllocs()
	var peak, live uint64
	for b.Loop() {
		runtime.GC()
		p := startHeapPeak()
		cfg, diags := Load(dir, LoadOptions{})
		objects, marked := p.end()
		peak, live = max(peak, objects), max(live, marked)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if orders, _ := cfg.Orders(&DataResults{}); len(orders) != 100000 {
			b.Fatalf("%d orders", len(orders))
		}
	}
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(live)/1e6, "live-MB")
}

// plan10kHCL is bench/plan10k's configuration, read from its file.
func plan10kHCL(tb testing.TB) string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "bench", "plan10k", "main.hcl"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}
