package main

// Go end-to-end tests of apply, for what a script cannot express: killing
// the orderform process at an exact moment of its conversation with the
// Market, Ctrl-C in the middle of a run, a lock held by another run, and the
// -json stream read line by line. orderform runs as a separate process (the
// test binary under the name TestMain's testscript.Main puts in PATH)
// against the sandbox, served through a handler the test controls.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

// applyEnv is one configuration directory and one sandbox.
type applyEnv struct {
	t   *testing.T
	dir string
	srv *sandbox.Server
	// sandbox is srv with its answers checked against the official spec:
	// what an intercept passes on to the sandbox goes through it.
	sandbox http.Handler
	url     string

	mu        sync.Mutex
	intercept func(w http.ResponseWriter, r *http.Request) bool // true: it answered (or aborted) the request
	proc      atomic.Pointer[os.Process]                        // the orderform run in progress
	// environ, when set, is the whole environment of orderform's runs
	// instead of one pointing at the sandbox with the test key.
	environ []string
	// pg, when set, is the PostgreSQL backend the configuration names
	// (usePG); the journal helpers read and age it there.
	pg *testPGBackend
	// extraEnv is added to the environment of orderform's runs (a later
	// entry wins over an earlier one of the same name).
	extraEnv []string
}

// newApplyEnv serves st (nil: testdata/sandbox-small.json) and writes files
// (name -> content) into a fresh configuration directory.
func newApplyEnv(t *testing.T, st *sandbox.State, opt sandbox.Options, files map[string]string) *applyEnv {
	t.Helper()
	if st == nil {
		var err error
		if st, err = sandbox.LoadState(filepath.Join("testdata", "sandbox-small.json")); err != nil {
			t.Fatal(err)
		}
	}
	opt.APIKeys = []string{testKey}
	e := &applyEnv{t: t, dir: t.TempDir(), srv: sandbox.New(st, opt)}
	// Every request orderform sends is checked against the official spec,
	// whether an intercept answers it or the sandbox does; the sandbox's
	// answers are checked too, an intercept's are the test's own.
	e.sandbox = contract.Handler(e.srv, contract.Answers, contract.Errorf(t))
	hs := httptest.NewServer(contract.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		f := e.intercept
		e.mu.Unlock()
		if f != nil && f(w, r) {
			return
		}
		e.sandbox.ServeHTTP(w, r)
	}), contract.Requests, contract.Errorf(t)))
	t.Cleanup(hs.Close)
	e.url = hs.URL
	for name, content := range files {
		e.write(name, content)
	}
	return e
}

// write puts a file into the configuration directory.
func (e *applyEnv) write(name, content string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// setIntercept routes every request through f first (nil: straight to the
// sandbox).
func (e *applyEnv) setIntercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.intercept = f
}

// finished is one orderform process that ended.
type finished struct {
	stdout, stderr string
	code           int
	killed         bool
}

// orderform runs orderform in the directory, stdin not a terminal, and
// waits for it to end.
func (e *applyEnv) orderform(args ...string) finished {
	e.t.Helper()
	return e.run(true, args...)
}

// run runs orderform; track makes it the run signal and killAt reach.
func (e *applyEnv) run(track bool, args ...string) finished {
	e.t.Helper()
	return e.runAt(e.dir, track, args...)
}

// runAt runs orderform in dir: another checkout of the configuration (a
// second CI runner), or e.dir.
func (e *applyEnv) runAt(dir string, track bool, args ...string) finished {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start orderform: %v", err)
	}
	if track {
		e.proc.Store(cmd.Process)
	}
	err := cmd.Wait()
	if track {
		e.proc.Store(nil)
	}
	r := finished{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		r.killed = !ee.Exited()
	case err != nil:
		e.t.Fatalf("orderform %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		e.t.Fatalf("orderform %s did not finish within a minute\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.stdout, r.stderr)
	}
	return r
}

// command is an orderform run in the directory, with the runs' environment.
func (e *applyEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "orderform", args...)
	cmd.Dir = e.dir
	cmd.Env = e.environ
	if cmd.Env == nil {
		cmd.Env = append(os.Environ(), "YANDEX_MARKET_ENDPOINT="+e.url, "YANDEX_MARKET_API_KEY="+testKey,
			"YANDEX_MARKET_BUSINESS_ID=", "NO_COLOR=1", "ORDERFORM_LOG=", "ORDERFORM_QUOTAS=", "PG_CONN_STR=", "ORDERFORM_FINGERPRINT_KEY=")
		if e.pg != nil {
			cmd.Env = append(cmd.Env, "PG_CONN_STR="+e.pg.url)
		}
	}
	cmd.Env = append(cmd.Env, e.extraEnv...)
	return cmd
}

// mustExit runs orderform and requires the exit code.
func (e *applyEnv) mustExit(code int, args ...string) finished {
	e.t.Helper()
	r := e.orderform(args...)
	if r.code != code || r.killed {
		e.t.Fatalf("orderform %s: exit %d (killed %v), want %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), r.code, r.killed, code, r.stdout, r.stderr)
	}
	return r
}

// signal sends sig to the orderform run in progress.
func (e *applyEnv) signal(sig os.Signal) {
	if p := e.proc.Load(); p != nil {
		if err := p.Signal(sig); err != nil {
			e.t.Errorf("signal %v: %v", sig, err)
		}
	}
}

// endpointOf names the API method of a request the way the sandbox does.
func endpointOf(r *http.Request) sandbox.Endpoint {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/delivery/track"):
		return sandbox.EndpointTrack
	case strings.HasSuffix(p, "/delivery/date"):
		return sandbox.EndpointDeliveryDate
	case strings.HasSuffix(p, "/orders/update"):
		return sandbox.EndpointUpdate
	case strings.HasSuffix(p, "/operations"):
		return sandbox.EndpointOperations
	case strings.HasSuffix(p, "/orders/update-options"):
		return sandbox.EndpointUpdateOptions
	case strings.HasPrefix(p, "/v1/businesses/") && strings.HasSuffix(p, "/orders"):
		return sandbox.EndpointBusinessOrders
	case strings.HasPrefix(p, "/v2/campaigns/") && strings.HasSuffix(p, "/orders"):
		return sandbox.EndpointListOrders
	}
	return ""
}

func isWrite(r *http.Request) bool {
	return endpointOf(r).IsWrite()
}

// effectiveWrites counts the writes about order (0: any) that took effect,
// as the scripts' `writes` does.
func (e *applyEnv) effectiveWrites(order int64) int {
	n := 0
	for _, c := range e.srv.Calls() {
		if !c.Endpoint.IsWrite() {
			continue
		}
		if order != 0 && !slices.Contains(c.OrderIDs, order) {
			continue
		}
		if c.Processed && (c.Dropped || (c.Status >= 200 && c.Status < 300)) {
			n++
		}
	}
	return n
}

// wantWritesOnce requires exactly one effective write for each order.
func (e *applyEnv) wantWritesOnce(orders []int64) {
	e.t.Helper()
	for _, id := range orders {
		if n := e.effectiveWrites(id); n != 1 {
			e.t.Errorf("order %d: %d effective writes, want exactly 1", id, n)
		}
	}
	if n := e.effectiveWrites(0); n != len(orders) {
		e.t.Errorf("%d effective writes in all, want %d", n, len(orders))
	}
}

// order returns the sandbox's order.
func (e *applyEnv) order(id int64) sandbox.OrderState {
	e.t.Helper()
	o, ok := e.srv.Order(id)
	if !ok {
		e.t.Fatalf("no order %d in the sandbox", id)
	}
	return o
}

// wantField requires one field of an order's state, rendered as the
// scripts' `order` command renders it.
func (e *applyEnv) wantField(id int64, field, want string) {
	e.t.Helper()
	got, ok := orderField(e.order(id), field)
	if !ok {
		e.t.Fatalf("unknown field %q", field)
	}
	if got != want {
		e.t.Errorf("order %d %s = %q, want %q", id, field, got, want)
	}
}

// journalEntries folds the journal: the directory's, or the PostgreSQL
// backend's.
func (e *applyEnv) journalEntries() []journal.Entry {
	e.t.Helper()
	return journal.Fold(e.journalRecords())
}

func (e *applyEnv) journalRecords() []journal.Record {
	e.t.Helper()
	if e.pg != nil {
		return e.pg.records(e.t)
	}
	recs, err := journal.Read(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// ageJournal moves every record of the journal d into the past, as if that
// much time had gone by since the run that wrote it.
func (e *applyEnv) ageJournal(d time.Duration) {
	e.t.Helper()
	if e.pg != nil {
		e.pg.age(e.t, d)
		return
	}
	path := filepath.Join(e.dir, journal.Dir, "journal.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	var out bytes.Buffer
	for line := range bytes.Lines(data) {
		var rec journal.Record
		if err := json.Unmarshal(line, &rec); err != nil {
			e.t.Fatalf("journal line %q: %v", line, err)
		}
		rec.Time = rec.Time.Add(-d)
		b, err := json.Marshal(rec)
		if err != nil {
			e.t.Fatal(err)
		}
		out.Write(append(b, '\n'))
	}
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// wantContains requires every want in s.
func wantContains(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}
