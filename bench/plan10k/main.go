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
	_ "embed"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/orderform/orderform/bench/internal/usage"
	"github.com/orderform/orderform/internal/command"
	"github.com/orderform/orderform/provider/sandbox"
)

// mainHCL is the configuration planned (main.hcl).
//
//go:embed main.hcl
var mainHCL string

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
// orders), and serves the orders on loopback, in this process.
//
// The mix is mostly no-op, as a real run is: every DBS order carries its
// track except one in ten, which gets a new one; every LaaS order declares
// its current interval except one in ten, which moves to another slot the
// Market offers. Changes that the order's status forbids are blocked. With
// business, the provider block sets the business ID (batched reads).
func NewFixture(dir string, n int, business bool) (*Fixture, Mix, error) {
	st, mix, err := WriteConfig(dir, n, business)
	if err != nil {
		return nil, Mix{}, err
	}
	srv := Serve(st)
	hs := httptest.NewServer(srv)
	return &Fixture{Dir: dir, URL: hs.URL, Server: srv, close: hs.Close}, mix, nil
}

// WriteConfig writes NewFixture's configuration into dir and returns the
// state its orders are read from.
func WriteConfig(dir string, n int, business bool) (*sandbox.State, Mix, error) {
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
	config := mainHCL
	if !business {
		config = strings.Replace(config, "  business_id = 9000000\n", "", 1)
	}
	for name, data := range map[string]string{"main.hcl": config, "tracks.csv": tracks.String(), "slots.csv": intervals.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return nil, Mix{}, err
		}
	}
	return st, mix, nil
}

// Serve is the emulator of the fixture's orders. It takes st as its own.
func Serve(st *sandbox.State) *sandbox.Server {
	// Quotas large enough never to bind: the point is orderform's CPU, not
	// the rate limits (which stay on, with their headers).
	quotas := map[sandbox.Endpoint]sandbox.Quota{}
	for _, e := range []sandbox.Endpoint{sandbox.EndpointListOrders, sandbox.EndpointBusinessOrders, sandbox.EndpointGetOrder,
		sandbox.EndpointGetCampaign, sandbox.EndpointUpdateOptions, sandbox.EndpointOperations} {
		quotas[e] = sandbox.Quota{Limit: 1 << 30, Period: time.Hour}
	}
	return sandbox.New(st, sandbox.Options{APIKeys: []string{apiKey}, Quotas: quotas, Own: true})
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
	business := flag.Bool("business", true, "set business_id in the provider block (else it is learnt from the campaigns)")
	inProcess := flag.Bool("inprocess", false, "serve the emulator in this process: its work and memory then count in the figures (an upper bound of orderform's own)")
	serveDir := flag.String("serve", "", "the emulator's side of a run (started by the run itself): write the configuration into `DIR`, serve its orders, print the URL and the mix, and serve until stdin closes")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the plan to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the plan to this file")
	flag.Parse()
	if *serveDir != "" {
		return serveOrders(*serveDir, *n, *business)
	}
	dir, err := os.MkdirTemp("", "plan10k-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	var (
		f   *Fixture
		mix Mix
		emu *emulator
	)
	if *inProcess {
		f, mix, err = NewFixture(dir, *n, *business)
	} else {
		emu, mix, err = startEmulator(dir, *n, *business)
		if emu != nil {
			f = &Fixture{Dir: dir, URL: emu.url, close: func() {}}
		}
	}
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
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	before := usage.Take()
	start := time.Now()
	code := f.Plan(io.Discard)
	elapsed := time.Since(start)
	after := usage.Take()
	runtime.ReadMemStats(&m1)
	stopCPU()
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	where := "in a child process, measured apart"
	if *inProcess {
		where = "in this process, counted in the figures"
	}
	fmt.Printf("plan of %d orders (business_id: %v; %d track and %d interval changes declared; emulator %s): exit %d\n",
		*n, *business, mix.TrackChanges, mix.IntervalChanges, where, code)
	fmt.Printf("elapsed     %v\n", elapsed.Round(time.Millisecond))
	held := "the generated orders and the emulator"
	if !*inProcess {
		held = "orderform's own start"
	}
	usage.Print(os.Stdout, before, after, "the plan", held)
	fmt.Printf("allocated   %.0f allocations and %.1f KB per order (%d in all, %s MiB)\n",
		float64(m1.Mallocs-m0.Mallocs)/float64(*n), float64(m1.TotalAlloc-m0.TotalAlloc)/float64(*n)/1000,
		m1.Mallocs-m0.Mallocs, usage.MiB(int64(m1.TotalAlloc-m0.TotalAlloc)))
	if emu != nil {
		if s, err := emu.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "emulator:", err)
		} else if s.Measured() {
			fmt.Printf("emulator    peak RSS %s MiB over its life (generating, serving), cpu %v\n",
				usage.MiB(s.MaxRSS), (s.User + s.Sys).Round(time.Millisecond))
		}
	}
	// The mix has blocked changes (status gates): 1 is the expected exit.
	if code != 1 {
		return 1
	}
	return 0
}

// emulator is the fixture's emulator in a child process: this program run
// with -serve.
type emulator struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
}

// startEmulator starts the child that writes the configuration into dir
// and serves its orders, and waits until it serves.
func startEmulator(dir string, n int, business bool) (*emulator, Mix, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, Mix{}, err
	}
	cmd := exec.Command(self, "-serve", dir, "-n", strconv.Itoa(n), "-business="+strconv.FormatBool(business))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, Mix{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, Mix{}, err
	}
	if err := cmd.Start(); err != nil {
		return nil, Mix{}, err
	}
	e := &emulator{cmd: cmd, stdin: stdin}
	var mix Mix
	if _, err := fmt.Fscanln(stdout, &e.url, &mix.TrackChanges, &mix.IntervalChanges); err != nil {
		_, _ = e.stop()
		return nil, Mix{}, fmt.Errorf("emulator did not start: %w", err)
	}
	return e, mix, nil
}

// stop ends the child and returns what it used.
func (e *emulator) stop() (usage.Sample, error) {
	_ = e.stdin.Close()
	if err := e.cmd.Wait(); err != nil {
		return usage.Sample{}, err
	}
	return usage.Exited(e.cmd.ProcessState), nil
}

// serveOrders is the child's side: the configuration and the state, then
// the orders served until stdin closes.
func serveOrders(dir string, n int, business bool) int {
	st, mix, err := WriteConfig(dir, n, business)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hs := &http.Server{Handler: Serve(st), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	fmt.Printf("http://%s %d %d\n", ln.Addr(), mix.TrackChanges, mix.IntervalChanges)
	_, _ = io.Copy(io.Discard, os.Stdin)
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
