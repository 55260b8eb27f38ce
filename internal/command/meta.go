package command

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/provider/sandbox"
	"github.com/orderform/orderform/schema"
)

// meta is what every command shares: the streams and the configuration
// directory.
type meta struct {
	Streams
	dir    string // absolute configuration directory
	relDir string // as the user gave it, for messages
	// maxWait bounds one rate-limit wait of the client (provider.Config
	// MaxWait): plan's planWaitLimit, apply's -wait (at least that).
	maxWait time.Duration
	// onWait receives the client's rate-limit waits once a progress
	// display exists (the client is made before it).
	onWait atomic.Value // func(provider.Wait)
	// waits says long rate-limit waits on stderr as they begin, whatever
	// the command: a run that sits silent for minutes looks hung.
	waits views.WaitNotices
	// onNote, when set, shows a line of progress (a retry) on stderr in
	// place of printing it: apply's progress display keeps its status line.
	onNote atomic.Value // func(line string)
	// onAnswer, when set, sees every HTTP answer of the API (watch's
	// metrics).
	onAnswer atomic.Value // func(provider.Answer)
	notesMu  sync.Mutex
}

// retried shows a request about to be retried, as it happens: an API that
// cannot be reached otherwise costs the whole retry budget in silence. A
// 420 is left out: the rate-limit waits are shown as such.
func (m *meta) retried(endpoint string, err error, next, max int, delay time.Duration) {
	if ae, ok := provider.AsAPIError(err); ok && ae.RateLimited() {
		return
	}
	m.note(views.RetryLine(endpoint, err, next, max, delay))
}

// note writes a line of progress to stderr, through apply's progress
// display when there is one.
func (m *meta) note(line string) {
	if f, ok := m.onNote.Load().(func(string)); ok {
		f(line)
		return
	}
	m.notesMu.Lock()
	defer m.notesMu.Unlock()
	fmt.Fprintln(m.Stderr, line)
}

// isTerminal reports whether w (or r) is a terminal.
func isTerminal(f any) bool {
	if x, ok := f.(interface{ Fd() uintptr }); ok {
		return term.IsTerminal(int(x.Fd()))
	}
	return false
}

// viewOptions decides colour and sensitivity once, for every view.
func (m *meta) viewOptions(noColor, showSensitive bool, w io.Writer) views.Options {
	color := !noColor && os.Getenv("NO_COLOR") == "" && isTerminal(w)
	width := 0
	if x, ok := w.(interface{ Fd() uintptr }); ok && color {
		if cols, _, err := term.GetSize(int(x.Fd())); err == nil {
			width = cols
		}
	}
	return views.Options{Color: color, ShowSensitive: showSensitive, Width: width}
}

// errorf prints one error the way diagnostics look: "Error: ..." in bold
// red on a terminal.
func (m *meta) errorf(opt views.Options, format string, a ...any) {
	c := color.New(color.FgRed, color.Bold)
	if opt.Color {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	fmt.Fprintf(m.Stderr, "%s %s\n", c.Sprint("Error:"), fmt.Sprintf(format, a...))
}

// commandLineError shows, on stderr, the diagnostics of a command line
// that did not parse and, when its flags themselves did not, the command's
// usage; it returns the exit code.
func (m *meta) commandLineError(name string, diags hcl.Diagnostics, opt views.Options) int {
	views.Diagnostics(m.Stderr, diags, nil, opt)
	if arguments.FlagsDidNotParse(diags) {
		arguments.Usage(m.Stderr, name)
	}
	return exitError
}

// printJSON writes a JSON document and a newline to stdout; it reports
// whether there was one to write.
func (m *meta) printJSON(data []byte, err error) bool {
	if err != nil {
		m.errorf(m.viewOptions(false, false, m.Stderr), "%v", err)
		return false
	}
	fmt.Fprintln(m.Stdout, string(data))
	return true
}

// printDiags prints diagnostics with their snippets; it reports whether any
// is an error.
func (m *meta) printDiags(diags hcl.Diagnostics, cfg *schema.Config, opt views.Options) bool {
	if len(diags) == 0 {
		return false
	}
	var files map[string]*hcl.File
	if cfg != nil {
		files = cfg.Files()
	}
	views.Diagnostics(m.Stderr, diags, files, opt)
	return diags.HasErrors()
}

// openBackend opens the backend a backend block names: local (files under
// .orderform/) without one; pg from conn_str, else PG_CONN_STR, else the
// libpq variables and .pgpass.
// write says the run will lock and append (apply): otherwise it only reads,
// creates nothing and needs no more than SELECT (plan, journal).
func (m *meta) openBackend(ctx context.Context, b schema.Backend, write bool) (journal.Backend, error) {
	if b.Type != schema.BackendPG {
		return journal.OpenLocal(m.dir), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	open := journal.OpenPGReadOnly
	if write {
		open = journal.OpenPG
	}
	pg, err := open(ctx, cmp.Or(b.ConnStr, os.Getenv("PG_CONN_STR")), b.SchemaName)
	if err != nil {
		return nil, err
	}
	return pg, nil
}

// fingerprintKeyEnv names the secret that keys the journal's fingerprints
// when the API key should not (several keys sharing one journal).
const fingerprintKeyEnv = "ORDERFORM_FINGERPRINT_KEY"

// fingerprintKey is the key of the fingerprints the journal and plan files
// keep of recipients' names and phones: a secret the machines sharing a
// journal all have and the journal does not. ORDERFORM_FINGERPRINT_KEY if
// set, else one derived from the API key (HMAC, so the key itself is never
// the fingerprints' key). The embedded sandbox's key is made up per run, and
// its data are made up too: its fingerprints are keyed by its seed's name.
func fingerprintKey(secret, apiKey, endpoint string) plan.Key {
	if secret == "" {
		secret = apiKey
	}
	if strings.HasPrefix(endpoint, sandboxPrefix) {
		secret = endpoint
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("orderform journal fingerprints v1"))
	return m.Sum(nil)
}

// stamped is the journal apply writes through: every record carries the
// endpoint it is about, and intents who sent them.
type stamped struct {
	journal.Backend
	endpoint, by string
}

func (s stamped) Append(recs ...journal.Record) error {
	s.stamp(recs)
	return s.Backend.Append(recs...)
}

// AppendLater is the backend's journal.LaterAppender, or a plain Append in
// the background.
func (s stamped) AppendLater(recs ...journal.Record) (wait func() error) {
	s.stamp(recs)
	if l, ok := s.Backend.(journal.LaterAppender); ok {
		return l.AppendLater(recs...)
	}
	done := make(chan error, 1)
	go func() { done <- s.Backend.Append(recs...) }()
	return func() error { return <-done }
}

func (s stamped) stamp(recs []journal.Record) {
	for i := range recs {
		recs[i].Endpoint = s.endpoint
		if recs[i].Kind == journal.KindIntent {
			recs[i].By = s.by
		}
	}
}

// connection is a configured API client and what to do when the command ends.
type connection struct {
	client     *provider.Client
	endpoint   string // for the plan file: a URL, or "sandbox:" + seed path
	businessID int64
	close      func() error
	// fpKey keys the fingerprints of the journal and plan files.
	fpKey plan.Key
}

const sandboxPrefix = "sandbox:"

// maxSeedSize bounds the embedded sandbox's seed and state files: the
// repository's seed is 36 KiB for 19 orders, so 64 MiB hold some 35,000.
const maxSeedSize = 64 << 20

// sandboxStateFile is where the embedded sandbox keeps its state between
// runs, so plan, apply, plan shows the change and then convergence.
const sandboxStateFile = "sandbox-state.json"

// sandboxDelay is how long the embedded sandbox keeps an orders/update
// IN_PROGRESS: long enough to show the asynchronous behaviour, short enough
// for a demo.
const sandboxDelay = 2 * time.Second

// connect builds the API client from the provider block, then the
// environment: a value in the block wins over the environment.
func (m *meta) connect(p schema.Provider, parallelism int) (*connection, error) {
	// Checked first: a mistyped quota must stop the run before any request,
	// the embedded sandbox's included.
	quotas, err := parseQuotas(os.Getenv(quotasEnv))
	if err != nil {
		return nil, err
	}
	businessID := p.BusinessID
	if businessID == 0 {
		if v := os.Getenv("YANDEX_MARKET_BUSINESS_ID"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return nil, fmt.Errorf("YANDEX_MARKET_BUSINESS_ID=%q is not a business ID (a positive integer)", v)
			}
			businessID = id
		}
	}
	conn := &connection{businessID: businessID, endpoint: target(p), close: func() error { return nil }}
	endpoint := conn.endpoint
	key := firstNonEmpty(p.APIKey, os.Getenv("YANDEX_MARKET_API_KEY"))
	conn.fpKey = fingerprintKey(os.Getenv(fingerprintKeyEnv), key, conn.endpoint)
	if p.Sandbox != "" {
		key, endpoint, conn.close, err = m.startSandbox(p.Sandbox)
		if err != nil {
			return nil, err
		}
	} else if key == "" {
		return nil, errors.New("no API key: set YANDEX_MARKET_API_KEY (a token with the inventory-and-order-processing permission), or set sandbox = \"FILE\" in the provider block to try orderform on the built-in emulator")
	}
	cfg := provider.Config{Endpoint: endpoint, APIKey: key, Quotas: quotas, Parallel: min(max(parallelism, 1), 6),
		MaxWait: m.maxWait, Version: Version,
		Hooks: provider.Hooks{OnWait: func(w provider.Wait) {
			if line := m.waits.Note(w); line != "" {
				m.note(line)
			}
			if f, ok := m.onWait.Load().(func(provider.Wait)); ok {
				f(w)
			}
		}, OnRetry: m.retried, OnAnswer: func(a provider.Answer) {
			if f, ok := m.onAnswer.Load().(func(provider.Answer)); ok {
				f(a)
			}
		}}}
	if strings.EqualFold(os.Getenv("ORDERFORM_LOG"), "debug") {
		cfg.DebugLog = m.Stderr
	}
	client, err := provider.New(cfg)
	if err != nil {
		_ = conn.close()
		return nil, err
	}
	conn.client = client
	return conn, nil
}

// target names the API a provider block (and the environment) points at: the
// base URL, or sandboxPrefix and the seed of the embedded sandbox. It is what
// a saved plan records and is applied on.
func target(p schema.Provider) string {
	if p.Sandbox != "" {
		return sandboxPrefix + p.Sandbox
	}
	return journal.CanonicalEndpoint(firstNonEmpty(p.Endpoint, os.Getenv("YANDEX_MARKET_ENDPOINT"), provider.DefaultEndpoint))
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// startSandbox serves the embedded emulator on a loopback port for the
// length of the command. Its state starts from .orderform/sandbox-state.json
// when an earlier run left one, else from the seed file, and is saved back
// when a command that wrote ends. The key is made up per run: nothing to configure,
// nothing to leak.
//
// The seed is read as file() reads: inside the configuration directory
// only, a regular file, bounded. A saved plan names its seed too, and a
// plan file is no more trusted than a configuration.
func (m *meta) startSandbox(seed string) (key, endpoint string, closeFn func() error, err error) {
	stateRel := filepath.Join(journal.Dir, sandboxStateFile)
	statePath := filepath.Join(m.dir, stateRel)
	path := stateRel
	if _, err := os.Lstat(statePath); err != nil {
		path = seed
	}
	data, err := schema.ReadInside(m.dir, path, maxSeedSize)
	if err != nil {
		return "", "", nil, fmt.Errorf("embedded sandbox: %w", err)
	}
	st, err := sandbox.ParseState(data)
	if err != nil {
		return "", "", nil, fmt.Errorf("embedded sandbox: %s: %w", path, err)
	}
	key = "sandbox-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{key}, UpdateDelay: sandboxDelay})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", nil, fmt.Errorf("embedded sandbox: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	closeFn = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = srv.Close() // the seed's timeline stops before the state is saved
		// Only a run that wrote saves: a plan running beside an apply
		// (plan takes no lock) must not put back the state it loaded over
		// the apply's writes. Operations still in progress are in the
		// saved state with their times and settle on the next run.
		if !wroteAny(srv) {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(statePath), 0o700); err != nil {
			return fmt.Errorf("embedded sandbox: save state: %w", err)
		}
		if err := srv.Save(statePath); err != nil {
			return fmt.Errorf("embedded sandbox: save state: %w", err)
		}
		return nil
	}
	return key, "http://" + ln.Addr().String(), closeFn, nil
}

// wroteAny reports whether the sandbox processed a write.
func wroteAny(srv *sandbox.Server) bool { return srv.Wrote() }
