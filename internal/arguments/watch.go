package arguments

import (
	"flag"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Watch is the command line of watch: plan and apply's flags that make
// sense for a run that does not end, and its own.
type Watch struct {
	Operation
	View
	ViewType ViewType
	// Interval is how often everything is reconciled (with jitter).
	Interval time.Duration
	// Listen is where the notification endpoint, /healthz and /metrics
	// are served ("" = not served).
	Listen string
	// AllowFrom is -allow-from as given: the networks allowed to notify.
	AllowFrom string
	// Observe never writes: each reconcile reports the drift.
	Observe     bool
	LockTimeout time.Duration
	// CommandLine is the arguments with -var and -var-file's values left
	// out, for the locks' notes (see Apply).
	CommandLine []string
}

func (w *Watch) flagSet() *flag.FlagSet {
	fs := flagSet("watch")
	w.Operation.register(fs)
	w.View.register(fs)
	fs.Var(jsonFlag{&w.ViewType}, "json", "log one JSON object per line on stdout")
	fs.DurationVar(&w.Interval, "interval", 10*time.Minute, "reconcile everything this often (with ±10% jitter)")
	fs.StringVar(&w.Listen, "listen", "", "serve the Market's notifications (POST /notification), /healthz and /metrics at `ADDR` (e.g. 127.0.0.1:8080)")
	fs.StringVar(&w.AllowFrom, "allow-from", "", "only accept notifications from these networks (`CIDR,...`; \"market\" is the Market's documented ones)")
	fs.BoolVar(&w.Observe, "observe", false, "never write: report the drift each reconcile finds")
	fs.DurationVar(&w.LockTimeout, "lock-timeout", 0, "how long a write waits for another run's lock of its campaign; 0 gives up within a second and retries with backoff")
	return fs
}

// ParseWatch reads watch's command line.
func ParseWatch(args []string) (*Watch, hcl.Diagnostics) {
	w := &Watch{ViewType: ViewHuman, CommandLine: withoutValues(args)}
	fs := w.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		if jsonAsked(args) {
			w.ViewType = ViewJSON
		}
		return w, diags
	}
	var diags hcl.Diagnostics
	if fs.NArg() > 0 {
		diags = append(diags, errorf("watch takes no arguments (got %q); the configuration is every *.hcl in the directory, see -chdir", fs.Args()))
	}
	if d := checkParallelism(w.Parallelism); d != nil {
		diags = append(diags, d)
	}
	if w.Interval < time.Second {
		diags = append(diags, errorf("-interval=%s: reconciling more often than once a second only spends the API's quota; the default is 10m", w.Interval))
	}
	if w.LockTimeout < 0 {
		diags = append(diags, errorf("-lock-timeout must not be negative"))
	}
	if w.AllowFrom != "" && w.Listen == "" {
		diags = append(diags, errorf("-allow-from filters the notification endpoint, which only -listen=ADDR serves"))
	}
	return w, diags
}
