// Command apply1k measures one `orderform apply -auto-approve` of 1,000 track
// changes against the in-process emulator, with the emulator's track quota
// scaled down so that it binds (100 requests per second) and the client told
// the same quota through ORDERFORM_QUOTAS. It checks what the limiter
// promises: the run takes little more than the quota forces, the emulator
// never answers 420, and every order's track is written exactly once.
//
//	go run ./bench/apply1k                  # 1,000 tracks, 100/1s, 5ms latency
//	go run ./bench/apply1k -n 200 -limit 20 -period 200ms
//
// It prints wall time, the lower bound the quota implies, their ratio, the
// 420 answers, the track writes, CPU time (user+sys, from getrusage) and peak
// resident memory, and exits 1 when a target is missed. The emulator runs in
// the same process, so its work is in the CPU and memory figures too.
//
// BenchmarkApply1k (bench_test.go) runs the same apply under the testing
// package; TestApplySmall checks the counts on a small run in `go test`.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/orderform/orderform/bench/internal/tracksconfig"
	"github.com/orderform/orderform/bench/internal/usage"
	"github.com/orderform/orderform/internal/command"
	"github.com/orderform/orderform/provider/sandbox"
)

// apiKey is the key the benchmark's emulator accepts.
const apiKey = "apply1k-key"

// dbsCampaign is the campaign of the generated DBS orders, whose tracks the
// shop sets.
const dbsCampaign = 21000000

// Fixture is a configuration directory declaring a new track for n DBS
// orders and an emulator that holds them.
type Fixture struct {
	Dir    string
	URL    string
	Server *sandbox.Server
	Orders []int64 // the declared orders
	Quota  sandbox.Quota
	close  func()
}

// Close stops the emulator.
func (f *Fixture) Close() { f.close() }

// NewFixture writes into dir a configuration that sets a new track on every
// DBS order of sandbox.Generate(2n, 1) (n of them, all made PROCESSING so
// no change is blocked; about half already carry another track), through
// for_each over a CSV as a shop would. The emulator counts the track
// endpoint in windows of quota and delays every request by latency; the
// reads' quotas are large enough never to bind, so that only the writes are
// paced.
func NewFixture(dir string, n int, quota sandbox.Quota, latency time.Duration) (*Fixture, error) {
	st := sandbox.Generate(2*n, 1)
	var tracks strings.Builder
	tracks.WriteString("order_id,track\n")
	var orders []int64
	for i := range st.Orders {
		o := &st.Orders[i]
		if o.CampaignID != dbsCampaign {
			continue
		}
		o.Status, o.Substatus = "PROCESSING", "READY_TO_SHIP"
		orders = append(orders, o.ID)
		fmt.Fprintf(&tracks, "%d,%s\n", o.ID, TrackCode(o.ID))
	}
	if len(orders) != n {
		return nil, fmt.Errorf("generated %d DBS orders, want %d", len(orders), n)
	}
	if err := tracksconfig.Write(dir, dbsCampaign, tracks.String()); err != nil {
		return nil, err
	}
	quotas := map[sandbox.Endpoint]sandbox.Quota{sandbox.EndpointTrack: quota}
	for _, e := range []sandbox.Endpoint{sandbox.EndpointListOrders, sandbox.EndpointBusinessOrders, sandbox.EndpointGetOrder,
		sandbox.EndpointGetCampaign, sandbox.EndpointOperations} {
		quotas[e] = sandbox.Quota{Limit: 1 << 30, Period: time.Hour}
	}
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{apiKey}, Quotas: quotas})
	for _, e := range []sandbox.Endpoint{sandbox.EndpointTrack, sandbox.EndpointListOrders, sandbox.EndpointBusinessOrders,
		sandbox.EndpointGetOrder, sandbox.EndpointGetCampaign, sandbox.EndpointOperations} {
		srv.SetLatency(e, latency)
	}
	hs := httptest.NewServer(srv)
	return &Fixture{Dir: dir, URL: hs.URL, Server: srv, Orders: orders, Quota: quota, close: hs.Close}, nil
}

// TrackCode is the track the configuration declares for an order.
func TrackCode(orderID int64) string { return fmt.Sprintf("RP%09dRU", orderID) }

// Env is the environment the apply needs: the emulator, and the client's
// track quota set to the emulator's.
func (f *Fixture) Env() map[string]string {
	return map[string]string{"YANDEX_MARKET_ENDPOINT": f.URL, "YANDEX_MARKET_API_KEY": apiKey,
		"YANDEX_MARKET_BUSINESS_ID": "", "NO_COLOR": "", "ORDERFORM_LOG": "",
		"ORDERFORM_QUOTAS": fmt.Sprintf("track=%d/%v", f.Quota.Limit, f.Quota.Period)}
}

// Apply runs `orderform -chdir=DIR apply -auto-approve -no-color` with its
// output to out (progress to stderr).
func (f *Fixture) Apply(out, progress io.Writer) int {
	args := []string{"-chdir=" + f.Dir, "apply", "-auto-approve", "-no-color"}
	return command.Run(args, command.Streams{Stdin: strings.NewReader(""), Stdout: out, Stderr: progress})
}

// Result is what the emulator saw of one apply.
type Result struct {
	RateLimited int // 420 answers, any endpoint
	TrackWrites int // track requests that took effect
	// WrittenOnce and Tracked count the declared orders whose track was
	// written exactly once, and that show the declared track afterwards.
	WrittenOnce, Tracked int
	// FirstWrite and LastWrite are the arrivals of the first and the last
	// track request the emulator processed.
	FirstWrite, LastWrite time.Time
}

// Result reads the emulator's recorded calls and the orders' state.
func (f *Fixture) Result() Result {
	var r Result
	writes := map[int64]int{}
	for _, c := range f.Server.Calls() {
		if c.Status == sandbox.StatusRateLimited {
			r.RateLimited++
		}
		if c.Endpoint != sandbox.EndpointTrack || !c.Processed || c.Status/100 != 2 {
			continue
		}
		r.TrackWrites++
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
	for _, id := range f.Orders {
		if writes[id] == 1 {
			r.WrittenOnce++
		}
		o, ok := f.Server.Order(id)
		if ok && len(o.Delivery.Tracks) > 0 && o.Delivery.Tracks[0].TrackCode == TrackCode(id) {
			r.Tracked++
		}
	}
	return r
}

// Bound is the least time n requests can take under a quota of q.Limit per
// q.Period, from the first request sent to the last one answered. Whether
// the server counts in fixed windows opened by the first request after the
// previous one ended (the emulator) or in a sliding window (no span of
// Period holds more than Limit), request k*Limit+1 cannot arrive before
// k*Period after the first: the last, number n, arrives floor((n-1)/Limit)
// = ceil(n/Limit)-1 periods after it, at the earliest, and is answered one
// latency later.
func Bound(n int, q sandbox.Quota, latency time.Duration) time.Duration {
	return time.Duration((n-1)/q.Limit)*q.Period + latency
}

func main() { os.Exit(run()) }

func run() int {
	n := flag.Int("n", 1000, "track changes to apply")
	limit := flag.Int("limit", 100, "the track quota: requests ...")
	period := flag.Duration("period", time.Second, "... per period")
	latency := flag.Duration("latency", 5*time.Millisecond, "the emulator's delay before it answers a request")
	maxRatio := flag.Float64("max-ratio", 1.1, "fail when wall time exceeds the bound by more than this factor")
	flag.Parse()
	if *limit < 1 || *n <= *limit || *period <= 0 || *latency < 0 {
		fmt.Fprintln(os.Stderr, "apply1k: want -limit >= 1, -n > -limit (the quota must bind), -period > 0, -latency >= 0")
		return 2
	}
	dir, err := os.MkdirTemp("", "apply1k-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	quota := sandbox.Quota{Limit: *limit, Period: *period}
	f, err := NewFixture(dir, *n, quota, *latency)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	env := f.Env()
	for k, v := range env {
		os.Setenv(k, v)
	}
	runtime.GC()
	before := usage.Take()
	start := time.Now()
	code := f.Apply(io.Discard, os.Stderr) // stderr: progress, and why if it fails
	elapsed := time.Since(start)
	after := usage.Take()
	r := f.Result()
	bound := Bound(*n, quota, *latency)
	ratio := elapsed.Seconds() / bound.Seconds()

	failed := false
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		failed = true
		return "MISSED"
	}
	fmt.Printf("apply of %d track changes (emulator: track quota %d/%v, latency %v; ORDERFORM_QUOTAS=%s): exit %d\n",
		*n, *limit, *period, *latency, env["ORDERFORM_QUOTAS"], code)
	fmt.Printf("elapsed     %v (the whole command: plan, %d writes, report)\n", elapsed.Round(time.Millisecond), *n)
	fmt.Printf("bound       %v ((ceil(%d/%d)-1) x %v + one %v answer)\n", bound, *n, *limit, *period, *latency)
	fmt.Printf("ratio       %.3f (target <= %.2f: %s)\n", ratio, *maxRatio, verdict(ratio <= *maxRatio))
	if !r.FirstWrite.IsZero() {
		// Where the time went: the quota only paces the middle part.
		fmt.Printf("  before    %v until the first track write arrived (plan: config, reads, journal)\n",
			r.FirstWrite.Sub(start).Round(time.Millisecond))
		fmt.Printf("  writes    %v from the first track write's arrival to the last's (the quota allows %v at best: ratio %.3f)\n",
			r.LastWrite.Sub(r.FirstWrite).Round(time.Millisecond), bound-*latency,
			r.LastWrite.Sub(r.FirstWrite).Seconds()/(bound-*latency).Seconds())
		fmt.Printf("  after     %v from the last track write's arrival to the end (its answer, confirmation reads, journal, report)\n",
			start.Add(elapsed).Sub(r.LastWrite).Round(time.Millisecond))
	}
	fmt.Printf("420 answers %d (target 0: %s)\n", r.RateLimited, verdict(r.RateLimited == 0))
	fmt.Printf("writes      %d track writes processed; %d of %d orders written exactly once, %d show the new track (target %d: %s)\n",
		r.TrackWrites, r.WrittenOnce, *n, r.Tracked, *n, verdict(r.TrackWrites == *n && r.WrittenOnce == *n && r.Tracked == *n))
	fmt.Printf("exit code   %d (target 0: %s)\n", code, verdict(code == 0))
	usage.Print(os.Stdout, before, after, "the apply", "the generated orders and the emulator")
	if failed {
		return 1
	}
	return 0
}
