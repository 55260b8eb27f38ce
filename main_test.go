package main

// End-to-end tests: the real orderform command, run as a separate process
// by testscript (testdata/script/*.txtar), against the Market API emulator
// served by the test on loopback. The custom commands below let a script
// assert what a user relies on: the exact API calls made (and not made) and
// the final state of the orders.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/orderform/orderform/internal/command"
	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/provider/sandbox"
)

var update = flag.Bool("update", false, "rewrite the expectations of failing cmp commands in testdata/script")

// testKey is the API key the scripts' sandbox accepts. It is distinctive so
// a script can assert it leaks nowhere (stdout, stderr, plan files, journal).
const testKey = "e2e-SECRET-api-key-7f3a9c"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"orderform": func() {
			os.Exit(command.Run(os.Args[1:], command.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup:         setupSandbox,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"calls":       cmdCalls,
			"writes":      cmdWrites,
			"order":       cmdOrder,
			"mutate":      cmdMutate,
			"settle":      func(ts *testscript.TestScript, _ bool, _ []string) { server(ts).Settle() },
			"reset-calls": func(ts *testscript.TestScript, _ bool, _ []string) { server(ts).ResetCalls() },
			"fail-next":   cmdFailNext,
			"drop-next":   cmdDropNext,
			"malformed":   cmdMalformed,
			"fail-ops":    cmdFailOps,
			"latency":     cmdLatency,
			"no-secret":   cmdNoSecret,
			"exit":        cmdExit,
			"json":        cmdJSON,
			"mode":        cmdMode,
			"notified":    cmdNotified,
			"integration": cmdIntegration,
		},
	})
}

// sandboxOptions is the optional $WORK/sandbox-options.json of a script.
type sandboxOptions struct {
	UpdateDelay string `json:"update_delay"`
	Parallel    int    `json:"parallel"`
	Quotas      map[string]struct {
		Limit  int    `json:"limit"`
		Period string `json:"period"`
	} `json:"quotas"`
	// Notify is the sandbox's notification URL (sandbox.Options.NotifyURL),
	// NotifyCopies and NotifyRetry its Options.NotifyCopies and NotifyRetry.
	Notify       string `json:"notify"`
	NotifyCopies int    `json:"notify_copies"`
	NotifyRetry  string `json:"notify_retry"`
}

// setupSandbox serves a fresh emulator for each script, seeded from
// $WORK/seed.json when the script has one, else testdata/sandbox-small.json,
// and points orderform at it through the environment.
func setupSandbox(env *testscript.Env) error {
	seed := filepath.Join(env.WorkDir, "seed.json")
	if _, err := os.Stat(seed); err != nil {
		seed = filepath.Join("testdata", "sandbox-small.json")
	}
	st, err := sandbox.LoadState(seed)
	if err != nil {
		return err
	}
	opt := sandbox.Options{APIKeys: []string{testKey}, UpdateDelay: 200 * time.Millisecond}
	if data, err := os.ReadFile(filepath.Join(env.WorkDir, "sandbox-options.json")); err == nil {
		var so sandboxOptions
		if err := json.Unmarshal(data, &so); err != nil {
			return fmt.Errorf("sandbox-options.json: %w", err)
		}
		if so.UpdateDelay != "" {
			if opt.UpdateDelay, err = time.ParseDuration(so.UpdateDelay); err != nil {
				return fmt.Errorf("sandbox-options.json: %w", err)
			}
		}
		opt.Parallel = so.Parallel
		opt.NotifyURL, opt.NotifyCopies = so.Notify, so.NotifyCopies
		if so.NotifyRetry != "" {
			if opt.NotifyRetry, err = time.ParseDuration(so.NotifyRetry); err != nil {
				return fmt.Errorf("sandbox-options.json: %w", err)
			}
		}
		opt.Quotas = map[sandbox.Endpoint]sandbox.Quota{}
		for e, q := range so.Quotas {
			if !slices.Contains(sandbox.Endpoints(), sandbox.Endpoint(e)) {
				return fmt.Errorf("sandbox-options.json: quota for unknown endpoint %q; want one of %v", e, sandbox.Endpoints())
			}
			d, err := time.ParseDuration(q.Period)
			if err != nil {
				return fmt.Errorf("sandbox-options.json: %w", err)
			}
			opt.Quotas[sandbox.Endpoint(e)] = sandbox.Quota{Limit: q.Limit, Period: d}
		}
	}
	srv := sandbox.New(st, opt)
	// Every request orderform sends and every answer the sandbox gives is
	// checked against the official spec; the script fails at its end with
	// whatever broke it.
	var broken contract.Recorder
	hs := httptest.NewServer(contract.Handler(srv, contract.Both, broken.Report))
	env.Defer(func() {
		hs.Close() // every handler has returned: the record is complete
		if err := broken.Err(); err != nil {
			env.T().Fatal(err)
		}
	})
	env.Defer(func() { _ = srv.Close() })
	env.Values["sandbox"] = srv
	env.Setenv("YANDEX_MARKET_ENDPOINT", hs.URL)
	env.Setenv("YANDEX_MARKET_API_KEY", testKey)
	env.Setenv("NO_COLOR", "")
	return nil
}

func server(ts *testscript.TestScript) *sandbox.Server {
	return ts.Value("sandbox").(*sandbox.Server)
}

func atoi(ts *testscript.TestScript, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		ts.Fatalf("%q is not a number", s)
	}
	return n
}

func check(ts *testscript.TestScript, neg bool, ok bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	switch {
	case neg && ok:
		ts.Fatalf("unexpectedly: %s", msg)
	case !neg && !ok:
		ts.Fatalf("%s", msg)
	}
}

// calls ENDPOINT [ORDER] N: the sandbox received exactly N requests to
// ENDPOINT (any, for every endpoint), about ORDER when given.
func cmdCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: calls ENDPOINT [ORDER] N")
	}
	var order int64
	if len(args) == 3 {
		order = atoi(ts, args[1])
	}
	endpoint(ts, args[0])
	want := atoi(ts, args[len(args)-1])
	n := int64(0)
	var seen []string
	for _, c := range server(ts).Calls() {
		if (args[0] == "any" || string(c.Endpoint) == args[0]) && (order == 0 || slices.Contains(c.OrderIDs, order)) {
			n++
		}
		seen = append(seen, fmt.Sprintf("%s %s -> %d", c.Method, c.Path, c.Status))
	}
	check(ts, neg, n == want, "calls %s: got %d, want %d; calls:\n%s", strings.Join(args[:len(args)-1], " "), n, want, strings.Join(seen, "\n"))
}

// integration: every request the sandbox recorded (there must be some)
// named orderform and its version in the X-Market-Integration header, as
// the Market's request log shows it.
func cmdIntegration(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: integration")
	}
	want := provider.Integration(command.Version)
	calls := server(ts).Calls()
	if len(calls) == 0 {
		ts.Fatalf("integration: no request recorded")
	}
	for _, c := range calls {
		if c.Integration != want {
			ts.Fatalf("%s %s carried X-Market-Integration %q, want %q", c.Method, c.Path, c.Integration, want)
		}
	}
}

// writes ORDER N: exactly N writes (track, delivery_date, update) about
// ORDER (all: any order) took effect on the sandbox — processed with a 2xx,
// or processed and then dropped before the answer.
func cmdWrites(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: writes ORDER|all N")
	}
	var order int64
	if args[0] != "all" {
		order = atoi(ts, args[0])
	}
	want := atoi(ts, args[1])
	n := int64(0)
	for _, c := range server(ts).Calls() {
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
	check(ts, neg, n == want, "writes %s: got %d effective writes, want %d", args[0], n, want)
}

// orderField renders one field of an order's state as the scripts write it.
func orderField(o sandbox.OrderState, field string) (string, bool) {
	switch field {
	case "status":
		return o.Status, true
	case "tracks":
		var ts []string
		for _, t := range o.Delivery.Tracks {
			ts = append(ts, fmt.Sprintf("%s@%d", t.TrackCode, t.DeliveryServiceID))
		}
		if len(ts) == 0 {
			return "none", true
		}
		return strings.Join(ts, ","), true
	case "interval":
		d := o.Delivery.Dates
		return fmt.Sprintf("%s/%s/%s/%s", d.FromDate, d.ToDate, trimSeconds(d.FromTime), trimSeconds(d.ToTime)), true
	case "phone":
		return o.Delivery.Address.Phone, true
	case "first_name":
		return o.Buyer.FirstName, true
	case "last_name":
		return o.Buyer.LastName, true
	case "middle_name":
		return o.Buyer.MiddleName, true
	}
	return "", false
}

func trimSeconds(t string) string {
	if len(t) == 8 && strings.HasSuffix(t, ":00") {
		return t[:5]
	}
	return t
}

// order ID FIELD VALUE: the sandbox's order has FIELD = VALUE (status,
// tracks "CODE@SERVICE,...", interval "FROM/TO/HH:MM/HH:MM", phone,
// first_name, last_name, middle_name).
func cmdOrder(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: order ID FIELD VALUE")
	}
	o, ok := server(ts).Order(atoi(ts, args[0]))
	if !ok {
		ts.Fatalf("no order %s in the sandbox", args[0])
	}
	got, ok := orderField(o, args[1])
	if !ok {
		ts.Fatalf("unknown field %q", args[1])
	}
	check(ts, neg, got == args[2], "order %s %s: got %q, want %q", args[0], args[1], got, args[2])
}

// mutate ID FIELD VALUE: change an order "elsewhere" (in the seller cabinet,
// by the Market): status, phone, tracks "CODE@SERVICE", interval
// "FROM/TO/HH:MM/HH:MM".
func cmdMutate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: mutate ID FIELD VALUE")
	}
	err := server(ts).UpdateOrder(atoi(ts, args[0]), func(o *sandbox.OrderState) {
		switch args[1] {
		case "status":
			o.Status = args[2]
		case "phone":
			o.Delivery.Address.Phone = args[2]
		case "tracks":
			code, svc, ok := strings.Cut(args[2], "@")
			n, err := strconv.ParseInt(svc, 10, 64)
			if !ok || code == "" || err != nil {
				ts.Fatalf("mutate %s tracks %q: want CODE@SERVICE_ID", args[0], args[2])
			}
			o.Delivery.Tracks = []sandbox.Track{{TrackCode: code, DeliveryServiceID: n}}
		case "interval":
			p := strings.Split(args[2], "/")
			if len(p) != 4 {
				ts.Fatalf("mutate %s interval %q: want FROM_DATE/TO_DATE/FROM_TIME/TO_TIME", args[0], args[2])
			}
			o.Delivery.Dates.FromDate, o.Delivery.Dates.ToDate, o.Delivery.Dates.FromTime, o.Delivery.Dates.ToTime = p[0], p[1], p[2], p[3]
		default:
			ts.Fatalf("unknown field %q", args[1])
		}
	})
	ts.Check(err)
}

// cmdNotified checks the notifications the sandbox sent (or is still
// trying to send) of a type about an order: `notified TYPE ORDER [COUNT]`,
// COUNT (default 1) with the copies; `! notified TYPE ORDER`: none.
func cmdNotified(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 || (neg && len(args) == 3) {
		ts.Fatalf("usage: notified TYPE ORDER [COUNT], ! notified TYPE ORDER")
	}
	want := 1
	if len(args) == 3 {
		want = int(atoi(ts, args[2]))
	}
	id := atoi(ts, args[1])
	got := 0
	for _, s := range server(ts).Notifications() {
		if string(s.Notification.Type) == args[0] && s.Notification.OrderID == id {
			got++
		}
	}
	switch {
	case neg && got > 0:
		ts.Fatalf("%d %s notifications about order %d, want none", got, args[0], id)
	case !neg && got != want:
		ts.Fatalf("%d %s notifications about order %d, want %d", got, args[0], id, want)
	}
}

// endpoint reads an endpoint name of a script command ("any": "", every
// endpoint). A name the sandbox does not serve fails the script: a typo
// would otherwise match nothing, and a check of it could never fail.
func endpoint(ts *testscript.TestScript, name string) sandbox.Endpoint {
	if name == "any" {
		return ""
	}
	if !slices.Contains(sandbox.Endpoints(), sandbox.Endpoint(name)) {
		ts.Fatalf("unknown endpoint %q; want any or one of %v", name, sandbox.Endpoints())
	}
	return sandbox.Endpoint(name)
}

func endpointAndOrder(ts *testscript.TestScript, args []string) (sandbox.Endpoint, int64) {
	e := endpoint(ts, args[0])
	var order int64
	if args[1] != "any" {
		order = atoi(ts, args[1])
	}
	return e, order
}

// fail-next ENDPOINT ORDER|any COUNT STATUS [bare]: the next COUNT matching
// requests fail with STATUS without being processed; with "bare" the answer
// is a gateway's HTML page, without the API's error envelope.
func cmdFailNext(ts *testscript.TestScript, _ bool, args []string) {
	if len(args) != 4 && (len(args) != 5 || args[4] != "bare") {
		ts.Fatalf("usage: fail-next ENDPOINT ORDER|any COUNT STATUS [bare]")
	}
	e, order := endpointAndOrder(ts, args)
	server(ts).FailNext(sandbox.Fault{Endpoint: e, OrderID: order, Count: int(atoi(ts, args[2])), Status: int(atoi(ts, args[3])),
		Bare: len(args) == 5})
}

// drop-next ENDPOINT ORDER|any COUNT: the next COUNT matching writes are
// processed, then the connection is dropped without an answer.
func cmdDropNext(ts *testscript.TestScript, _ bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: drop-next ENDPOINT ORDER|any COUNT")
	}
	e, order := endpointAndOrder(ts, args)
	server(ts).DropAfterProcessing(sandbox.Fault{Endpoint: e, OrderID: order, Count: int(atoi(ts, args[2]))})
}

// malformed ENDPOINT ORDER|any COUNT [BODY]: the next COUNT matching
// requests are processed and answered with their 2xx status and BODY
// (default {}), a body that is not the documented shape.
func cmdMalformed(ts *testscript.TestScript, _ bool, args []string) {
	if len(args) != 3 && len(args) != 4 {
		ts.Fatalf("usage: malformed ENDPOINT ORDER|any COUNT [BODY]")
	}
	e, order := endpointAndOrder(ts, args)
	f := sandbox.Fault{Endpoint: e, OrderID: order, Count: int(atoi(ts, args[2]))}
	if len(args) == 4 {
		f.Body = args[3]
	}
	server(ts).MalformNext(f)
}

// fail-ops ORDER: the order's orders/update operations end FAILED.
func cmdFailOps(ts *testscript.TestScript, _ bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: fail-ops ORDER")
	}
	server(ts).FailOperations(atoi(ts, args[0]))
}

// latency ENDPOINT DURATION
func cmdLatency(ts *testscript.TestScript, _ bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: latency ENDPOINT DURATION")
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	server(ts).SetLatency(endpoint(ts, args[0]), d)
}

// no-secret FILE...: none of the files (stdout and stderr of the last
// command included, as "stdout" and "stderr") contains the API key; a
// directory is searched whole.
func cmdNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("no-secret does not take !")
	}
	for _, a := range args {
		switch a {
		case "stdout", "stderr":
			if strings.Contains(ts.ReadFile(a), testKey) {
				ts.Fatalf("the API key appears in %s", a)
			}
			continue
		}
		root := ts.MkAbs(a)
		err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.Contains(string(data), testKey) {
				return fmt.Errorf("the API key appears in %s", path)
			}
			return nil
		})
		ts.Check(err)
	}
}

// exit N PROGRAM [ARGS...]: run PROGRAM like exec does (its stdout and
// stderr are checked by the commands after it) and require exit code N.
// `! exec` accepts any failure; orderform's exit codes are a contract.
func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit N PROGRAM [ARGS...]")
	}
	want := int(atoi(ts, args[0]))
	err := ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args[1:], " "), got, want, ts.ReadFile("stdout"), ts.ReadFile("stderr"))
	}
}
