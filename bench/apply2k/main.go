// Command apply2k measures one `orderform apply -auto-approve` of 2,000
// declared DBS orders of which 200 are missing their track, against the
// in-process emulator with a latency on every endpoint (5 ms) and the
// documented 6 requests in parallel per campaign (or business), and compares
// it with the physical floor of that work: the 40 batched reads of the
// declared orders and the 200 track writes, 6 at a time, each one round
// trip at the latency measured against the emulator.
//
//	go run ./bench/apply2k                   # 2,000 orders, 200 tracks, 5ms
//	go run ./bench/apply2k -n 500 -missing 50 -latency 20ms
//
// It prints the floor, the time, their ratio and where the time went
// (before the first write, between the first and the last, after), the
// requests made, and exits 1 when the ratio is above -max-ratio or a write
// is missing or doubled. The journal is the local backend, fsynced as in
// any run: its intents are durable before each write leaves.
//
// BenchmarkApply2k (bench_test.go) runs the same apply under the testing
// package; TestApplySmall checks its counts on a small run in `go test`.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/orderform/orderform/bench/internal/tracksconfig"
	"github.com/orderform/orderform/bench/internal/usage"
	"github.com/orderform/orderform/internal/command"
	"github.com/orderform/orderform/provider/sandbox"
)

// apiKey is the key the benchmark's emulator accepts.
const apiKey = "apply2k-key"

// dbsCampaign is the campaign of the generated DBS orders.
const dbsCampaign = 21000000

// parallel is the documented limit of requests in flight per campaign or
// business, which orderform keeps to.
const parallel = 6

// batch is the most orders one batched read names.
const batch = 50

// Fixture is a configuration directory declaring the tracks of n DBS
// orders, missing of them without it yet, and an emulator that holds them.
type Fixture struct {
	Dir     string
	URL     string
	Server  *sandbox.Server
	Orders  []int64 // the declared orders
	Missing []int64 // those whose track is to be written
	Latency time.Duration
	close   func()
}

// Close stops the emulator.
func (f *Fixture) Close() { f.close() }

// TrackCode is the track the configuration declares for an order.
func TrackCode(orderID int64) string { return fmt.Sprintf("RP%09dRU", orderID) }

// NewFixture writes into dir a configuration declaring a track for n DBS
// orders of sandbox.Generate(2n, 1), all made PROCESSING, through for_each
// over a CSV as a shop would; every one of them already shows its track but
// the first missing, which have none. The emulator delays every request by
// latency; quotas are large enough never to bind, and the parallel limits
// are the documented ones.
func NewFixture(dir string, n, missing int, latency time.Duration) (*Fixture, error) {
	if missing > n {
		return nil, fmt.Errorf("%d orders missing a track out of %d", missing, n)
	}
	st := sandbox.Generate(2*n, 1)
	var tracks strings.Builder
	tracks.WriteString("order_id,track\n")
	f := &Fixture{Dir: dir, Latency: latency}
	for i := range st.Orders {
		o := &st.Orders[i]
		if o.CampaignID != dbsCampaign {
			continue
		}
		o.Status, o.Substatus = "PROCESSING", "READY_TO_SHIP"
		o.Delivery.Tracks = []sandbox.Track{{TrackCode: TrackCode(o.ID), DeliveryServiceID: 51}}
		if len(f.Missing) < missing {
			o.Delivery.Tracks = nil
			f.Missing = append(f.Missing, o.ID)
		}
		f.Orders = append(f.Orders, o.ID)
		fmt.Fprintf(&tracks, "%d,%s\n", o.ID, TrackCode(o.ID))
	}
	if len(f.Orders) != n {
		return nil, fmt.Errorf("generated %d DBS orders, want %d", len(f.Orders), n)
	}
	if err := tracksconfig.Write(dir, dbsCampaign, tracks.String()); err != nil {
		return nil, err
	}
	quotas := map[sandbox.Endpoint]sandbox.Quota{}
	for _, e := range sandbox.Endpoints() {
		quotas[e] = sandbox.Quota{Limit: 1 << 30, Period: time.Hour}
	}
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{apiKey}, Quotas: quotas, Own: true})
	for _, e := range sandbox.Endpoints() {
		srv.SetLatency(e, latency)
	}
	hs := httptest.NewServer(srv)
	f.URL, f.Server, f.close = hs.URL, srv, hs.Close
	return f, nil
}

// Env is the environment the apply needs.
func (f *Fixture) Env() map[string]string {
	return map[string]string{"YANDEX_MARKET_ENDPOINT": f.URL, "YANDEX_MARKET_API_KEY": apiKey,
		"YANDEX_MARKET_BUSINESS_ID": "", "NO_COLOR": "", "ORDERFORM_LOG": "", "ORDERFORM_QUOTAS": ""}
}

// Apply runs `orderform -chdir=DIR apply -auto-approve -no-color` with its
// output to out (progress to progress).
func (f *Fixture) Apply(out, progress io.Writer) int {
	args := []string{"-chdir=" + f.Dir, "apply", "-auto-approve", "-no-color"}
	return command.Run(args, command.Streams{Stdin: strings.NewReader(""), Stdout: out, Stderr: progress})
}

// RoundTrip is the time one request to the emulator takes from this
// process, the median of a few GET campaign requests (which hold nothing
// back but the latency): the unit of the floor.
func (f *Fixture) RoundTrip() (time.Duration, error) {
	var times []time.Duration
	for range 15 {
		req, err := http.NewRequest(http.MethodGet, f.URL+fmt.Sprintf("/v2/campaigns/%d", dbsCampaign), nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Api-Key", apiKey)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		times = append(times, time.Since(start))
	}
	f.Server.ResetCalls()
	slices.Sort(times)
	return times[len(times)/2], nil
}

// Floor is the least time the apply's necessary requests take: every
// declared order read once in batches of 50, then every missing track
// written, parallel at a time, each request one round trip.
func Floor(n, missing, parallel int, roundTrip time.Duration) time.Duration {
	reads := (n + batch - 1) / batch
	rounds := (reads+parallel-1)/parallel + (missing+parallel-1)/parallel
	return time.Duration(rounds) * roundTrip
}

// Result is what the emulator saw of one apply.
type Result struct {
	Calls map[sandbox.Endpoint]int
	// WrittenOnce and Tracked count the missing orders whose track was
	// written exactly once, and that show it afterwards; Others counts
	// track writes to any other order.
	WrittenOnce, Tracked, Others int
	// FirstWrite and LastWrite are the arrivals of the first and the last
	// track write; LastAnswer is when the last one was answered (its
	// arrival plus the latency).
	FirstWrite, LastWrite time.Time
}

// Result reads the emulator's recorded calls and the orders' state.
func (f *Fixture) Result() Result {
	r := Result{Calls: map[sandbox.Endpoint]int{}}
	writes := map[int64]int{}
	for _, c := range f.Server.Calls() {
		r.Calls[c.Endpoint]++
		if c.Endpoint != sandbox.EndpointTrack || !c.Processed || c.Status/100 != 2 {
			continue
		}
		for _, id := range c.OrderIDs {
			writes[id]++
		}
		if r.FirstWrite.IsZero() || c.Time.Before(r.FirstWrite) {
			r.FirstWrite = c.Time
		}
		if c.Time.After(r.LastWrite) {
			r.LastWrite = c.Time
		}
	}
	missing := map[int64]bool{}
	for _, id := range f.Missing {
		missing[id] = true
		if writes[id] == 1 {
			r.WrittenOnce++
		}
		if o, ok := f.Server.Order(id); ok && len(o.Delivery.Tracks) == 1 && o.Delivery.Tracks[0].TrackCode == TrackCode(id) {
			r.Tracked++
		}
	}
	for id, k := range writes {
		if !missing[id] {
			r.Others += k
		}
	}
	return r
}

func main() { os.Exit(run()) }

func run() int {
	n := flag.Int("n", 2000, "DBS orders to declare")
	missing := flag.Int("missing", 200, "of them, orders missing their track (the writes)")
	latency := flag.Duration("latency", 5*time.Millisecond, "the emulator's delay before it answers any request")
	maxRatio := flag.Float64("max-ratio", 1.3, "fail when the time exceeds the floor by more than this factor")
	flag.Parse()
	if *n < 1 || *missing < 1 || *missing > *n || *latency < 0 {
		fmt.Fprintln(os.Stderr, "apply2k: want -n >= 1, 1 <= -missing <= -n, -latency >= 0")
		return 2
	}
	dir, err := os.MkdirTemp("", "apply2k-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	f, err := NewFixture(dir, *n, *missing, *latency)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	for k, v := range f.Env() {
		os.Setenv(k, v)
	}
	rt, err := f.RoundTrip()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	floor := Floor(*n, *missing, parallel, rt)
	runtime.GC()
	before := usage.Take()
	start := time.Now()
	code := f.Apply(io.Discard, io.Discard)
	elapsed := time.Since(start)
	after := usage.Take()
	r := f.Result()
	ratio := elapsed.Seconds() / floor.Seconds()

	failed := false
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		failed = true
		return "MISSED"
	}
	reads := (*n + batch - 1) / batch
	fmt.Printf("apply of %d declared DBS orders, %d missing a track (emulator latency %v, %d in parallel per campaign): exit %d\n",
		*n, *missing, *latency, parallel, code)
	fmt.Printf("round trip  %v (median of 15 requests to the emulator)\n", rt.Round(10*time.Microsecond))
	fmt.Printf("floor       %v (%d batched reads and %d writes, %d at a time: %d round trips)\n",
		floor.Round(100*time.Microsecond), reads, *missing, parallel, floor/rt)
	fmt.Printf("elapsed     %v (the whole command)\n", elapsed.Round(100*time.Microsecond))
	fmt.Printf("ratio       %.2f (target <= %.2f: %s)\n", ratio, *maxRatio, verdict(ratio <= *maxRatio))
	if !r.FirstWrite.IsZero() {
		writes := r.LastWrite.Sub(r.FirstWrite) + rt
		fmt.Printf("  before    %v until the first track write arrived (configuration, %d batched reads, journal, plan)\n",
			r.FirstWrite.Sub(start).Round(100*time.Microsecond), reads)
		fmt.Printf("  writes    %v from the first write's arrival to the last one's answer (%d writes at %d at a time allow %v)\n",
			writes.Round(100*time.Microsecond), *missing, parallel, time.Duration((*missing+parallel-1)/parallel)*rt)
		fmt.Printf("  after     %v from the last write's answer to the end (the confirmation read, the journal, the report)\n",
			start.Add(elapsed).Sub(r.LastWrite.Add(rt)).Round(100*time.Microsecond))
	}
	fmt.Printf("requests    %s\n", callSummary(r.Calls))
	fmt.Printf("writes      %d of %d missing tracks written exactly once, %d show it, %d writes to other orders (target %d, %d, 0: %s)\n",
		r.WrittenOnce, *missing, r.Tracked, r.Others, *missing, *missing,
		verdict(r.WrittenOnce == *missing && r.Tracked == *missing && r.Others == 0))
	fmt.Printf("exit code   %d (target 0: %s)\n", code, verdict(code == 0))
	usage.Print(os.Stdout, before, after, "the apply", "the generated orders and the emulator")
	if failed {
		return 1
	}
	return 0
}

// callSummary lists the requests by endpoint, in the table's order.
func callSummary(calls map[sandbox.Endpoint]int) string {
	var parts []string
	for _, e := range sandbox.Endpoints() {
		if calls[e] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", e, calls[e]))
		}
	}
	return strings.Join(parts, ", ")
}
