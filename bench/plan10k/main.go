// Command plan10k measures one `orderform plan` of 10,000 declared orders
// against the in-process emulator, without latency: wall time, CPU time
// (user+sys, from getrusage) and peak resident memory. The emulator runs in
// the same process, so its work is in the figures too: they are an upper
// bound of orderform's own cost.
//
//	go run ./bench/plan10k            # 10,000 orders, with a business ID
//	go run ./bench/plan10k -business=false -n 2000
//
// BenchmarkPlan10k (bench_test.go) runs the same plan under the testing
// package for ns/op, B/op and allocs/op.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/orderform/orderform/bench/internal/usage"
	"github.com/orderform/orderform/internal/command"
	"github.com/orderform/orderform/provider/sandbox"
)

// apiKey is the key the benchmark's emulator accepts.
const apiKey = "plan10k-key"

// Fixture is a configuration directory declaring n orders and an emulator
// that holds them.
type Fixture struct {
	Dir    string
	URL    string
	Server *sandbox.Server
	close  func()
}

// Close stops the emulator.
func (f *Fixture) Close() { f.close() }

// Mix is what a plan of the fixture should find.
type Mix struct {
	TrackChanges, IntervalChanges int // declared values that differ from the order's
}

// NewFixture writes a configuration into dir that declares every order of
// sandbox.Generate(n, 1) through for_each over CSV files, as a shop would
// (the carrier's export of track numbers, the delivery slots of the LaaS
// orders), and serves the orders on loopback.
//
// The mix is mostly no-op, as a real run is: every DBS order carries its
// track except one in ten, which gets a new one; every LaaS order declares
// its current interval except one in ten, which moves to another slot the
// Market offers. Changes that the order's status forbids are blocked. With
// business, the provider block sets the business ID (batched reads).
func NewFixture(dir string, n int, business bool) (*Fixture, Mix, error) {
	st := sandbox.Generate(n, 1)
	rng := rand.New(rand.NewPCG(2, 3))
	var tracks, intervals strings.Builder
	tracks.WriteString("order_id,track\n")
	intervals.WriteString("order_id,from_date,to_date,from_time,to_time\n")
	var mix Mix
	for i := range st.Orders {
		o := &st.Orders[i]
		change := rng.IntN(10) == 0
		switch o.CampaignID {
		case 21000000: // DBS: the shop ships, the track is ours to set
			code := fmt.Sprintf("RP%09dRU", o.ID)
			if !change {
				// Shipped earlier: the order already shows the track.
				o.Delivery.Tracks = []sandbox.Track{{TrackCode: code, DeliveryServiceID: 51}}
			} else {
				mix.TrackChanges++
			}
			fmt.Fprintf(&tracks, "%d,%s\n", o.ID, code)
		case 22000000: // LaaS: the Market delivers, the slot can move
			d := o.Delivery.Dates
			if change && len(o.AvailableIntervals) > 1 {
				a := o.AvailableIntervals[1]
				if a.FromDate != d.FromDate || a.FromTime != d.FromTime || a.ToTime != d.ToTime {
					mix.IntervalChanges++
				}
				d = sandbox.Dates{FromDate: a.FromDate, ToDate: a.ToDate, FromTime: a.FromTime, ToTime: a.ToTime}
			}
			fmt.Fprintf(&intervals, "%d,%s,%s,%s,%s\n", o.ID, d.FromDate, d.ToDate, d.FromTime, d.ToTime)
		}
	}
	businessLine := ""
	if business {
		businessLine = "\n  business_id = 9000000"
	}
	config := fmt.Sprintf(`provider "yandex_market" {
  campaign_id = 21000000%s
}

variable "courier_service" {
  type    = number
  default = 51
}

locals {
  tracks = csvdecode(file("tracks.csv"))
  slots  = csvdecode(file("slots.csv"))
}

order "shipped" {
  for_each = { for row in local.tracks : row.order_id => row }

  track {
    code                = each.value.track
    delivery_service_id = var.courier_service
  }
}

order "slot" {
  for_each    = { for row in local.slots : row.order_id => row }
  campaign_id = 22000000

  delivery_interval {
    from_date = each.value.from_date
    to_date   = each.value.to_date
    from_time = each.value.from_time
    to_time   = each.value.to_time
  }
}
`, businessLine)
	for name, data := range map[string]string{"main.hcl": config, "tracks.csv": tracks.String(), "slots.csv": intervals.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return nil, Mix{}, err
		}
	}
	// Quotas large enough never to bind: the point is orderform's CPU, not
	// the rate limits (which stay on, with their headers).
	quotas := map[sandbox.Endpoint]sandbox.Quota{}
	for _, e := range []sandbox.Endpoint{sandbox.EndpointListOrders, sandbox.EndpointBusinessOrders, sandbox.EndpointGetOrder,
		sandbox.EndpointGetCampaign, sandbox.EndpointUpdateOptions, sandbox.EndpointOperations} {
		quotas[e] = sandbox.Quota{Limit: 1 << 30, Period: time.Hour}
	}
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{apiKey}, Quotas: quotas, Own: true})
	hs := httptest.NewServer(srv)
	return &Fixture{Dir: dir, URL: hs.URL, Server: srv, close: hs.Close}, mix, nil
}

// Plan runs `orderform -chdir=DIR plan -no-color` with its output to out.
func (f *Fixture) Plan(out io.Writer, extra ...string) int {
	args := append([]string{"-chdir=" + f.Dir, "plan", "-no-color"}, extra...)
	return command.Run(args, command.Streams{Stdin: strings.NewReader(""), Stdout: out, Stderr: os.Stderr})
}

// Env is the environment the plan needs.
func (f *Fixture) Env() map[string]string {
	return map[string]string{"YANDEX_MARKET_ENDPOINT": f.URL, "YANDEX_MARKET_API_KEY": apiKey, "NO_COLOR": ""}
}

func main() { os.Exit(run()) }

func run() int {
	n := flag.Int("n", 10000, "orders to declare")
	business := flag.Bool("business", true, "set business_id in the provider block (batched business reads)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the plan to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the plan to this file")
	flag.Parse()
	dir, err := os.MkdirTemp("", "plan10k-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	f, mix, err := NewFixture(dir, *n, *business)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	for k, v := range f.Env() {
		os.Setenv(k, v)
	}
	runtime.GC()
	if *memProfile != "" {
		runtime.MemProfileRate = 4096
	}
	stopCPU := func() {}
	if *cpuProfile != "" {
		out, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		stopCPU = pprof.StopCPUProfile
	}
	before := usage.Take()
	start := time.Now()
	code := f.Plan(io.Discard)
	elapsed := time.Since(start)
	after := usage.Take()
	stopCPU()
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Printf("plan of %d orders (business_id: %v; %d track and %d interval changes declared): exit %d\n",
		*n, *business, mix.TrackChanges, mix.IntervalChanges, code)
	fmt.Printf("elapsed     %v\n", elapsed.Round(time.Millisecond))
	usage.Print(os.Stdout, before, after, "the plan")
	// The mix has blocked changes (status gates): 1 is the expected exit.
	if code != 1 {
		return 1
	}
	return 0
}

func writeHeapProfile(path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	return pprof.Lookup("allocs").WriteTo(out, 0)
}
