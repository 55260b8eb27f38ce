package main

// End-to-end tests of `orderform watch` (issue 12): the watcher runs as a
// separate process against the sandbox, with -json so that the test reads
// its events line by line, and receives the Market's notifications on a
// loopback port it picks itself.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

// watchProc is one running watch.
type watchProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string // its endpoint, host:port
	mu     sync.Mutex
	events []map[string]any
	stderr bytes.Buffer
	exited chan struct{}
	code   int
}

// watchDeadline bounds every wait for an event of a watcher: generous, so
// a loaded machine does not fail the tests.
const watchDeadline = 30 * time.Second

// startWatch starts orderform watch -json in dir (e.dir when ""), serving
// on a loopback port, and waits until it listens.
func (e *applyEnv) startWatch(dir string, args ...string) *watchProc {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	e.t.Cleanup(cancel)
	cmd := e.command(ctx, append([]string{"watch", "-json", "-listen=127.0.0.1:0"}, args...)...)
	if dir != "" {
		cmd.Dir = dir
	}
	w := &watchProc{t: e.t, cmd: cmd, exited: make(chan struct{})}
	cmd.Stderr = &syncWriter{mu: &w.mu, w: &w.stderr}
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start orderform watch: %v", err)
	}
	go w.read(out)
	e.t.Cleanup(func() {
		select {
		case <-w.exited:
		default:
			_ = cmd.Process.Kill()
			<-w.exited
		}
	})
	ev := w.waitFor("listening", func(ev map[string]any) bool { return ev["msg"] == "listening" })
	w.addr, _ = ev["addr"].(string)
	return w
}

type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// read collects the watcher's JSON lines until it exits; a line that is not
// JSON fails the test (watch -json writes nothing else to stdout).
func (w *watchProc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			w.t.Errorf("watch -json wrote a line that is not JSON: %q", sc.Text())
			continue
		}
		w.mu.Lock()
		w.events = append(w.events, ev)
		w.mu.Unlock()
	}
	err := w.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		w.code = ee.ExitCode()
	}
	close(w.exited)
}

// log is everything the watcher said, for failure messages.
func (w *watchProc) log() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, ev := range w.events {
		data, _ := json.Marshal(ev)
		b.Write(append(data, '\n'))
	}
	b.WriteString("stderr:\n" + w.stderr.String())
	return b.String()
}

// count is how many events match.
func (w *watchProc) count(match func(map[string]any) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, ev := range w.events {
		if match(ev) {
			n++
		}
	}
	return n
}

// waitFor waits for the first event that matches.
func (w *watchProc) waitFor(what string, match func(map[string]any) bool) map[string]any {
	w.t.Helper()
	return w.waitForN(what, 1, match)
}

// waitForN waits until n events match and returns the last.
func (w *watchProc) waitForN(what string, n int, match func(map[string]any) bool) map[string]any {
	w.t.Helper()
	deadline := time.Now().Add(watchDeadline)
	for {
		w.mu.Lock()
		var found []map[string]any
		for _, ev := range w.events {
			if match(ev) {
				found = append(found, ev)
			}
		}
		w.mu.Unlock()
		if len(found) >= n {
			return found[n-1]
		}
		select {
		case <-w.exited:
			w.t.Fatalf("watch exited (code %d) before %s\n%s", w.code, what, w.log())
		default:
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no %s within %v\n%s", what, watchDeadline, w.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// post sends a notification to the watcher as the Market does.
func (w *watchProc) post(body string) (int, map[string]any) {
	w.t.Helper()
	resp, err := http.Post("http://"+w.addr+"/notification", "application/json", strings.NewReader(body))
	if err != nil {
		w.t.Fatalf("POST /notification: %v", err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		w.t.Fatalf("POST /notification answered %d %q: not JSON", resp.StatusCode, data)
	}
	return resp.StatusCode, out
}

// get fetches a path of the watcher's endpoint.
func (w *watchProc) get(path string) (int, string) {
	w.t.Helper()
	resp, err := http.Get("http://" + w.addr + path)
	if err != nil {
		w.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// stop sends SIGTERM and returns the exit code.
func (w *watchProc) stop() int {
	w.t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		w.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-w.exited:
	case <-time.After(watchDeadline):
		w.t.Fatalf("watch did not exit within %v of SIGTERM\n%s", watchDeadline, w.log())
	}
	return w.code
}

func isMsg(msg string) func(map[string]any) bool {
	return func(ev map[string]any) bool { return ev["msg"] == msg }
}

// reconciled matches the end of a reconcile by its trigger.
func reconciled(trigger string) func(map[string]any) bool {
	return func(ev map[string]any) bool { return ev["msg"] == "reconciled" && ev["trigger"] == trigger }
}

func statusNotification(order int64, status string) string {
	return fmt.Sprintf(`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":21000000,"orderId":%d,"status":%q,"substatus":"STARTED","updatedAt":"2026-12-01T10:00:00Z"}`, order, status)
}

// unpaidTrackHCL declares a track for 1007, UNPAID in the seed: not
// allowed until the order is PROCESSING.
const unpaidTrackHCL = `
provider "yandex_market" {
  campaign_id = 21000000
}

order "o1007" {
  id = 1007
  track {
    code                = "RP700000007RU"
    delivery_service_id = 51
  }
}
`

// pay moves 1007 to PROCESSING, as the Market does once the buyer paid.
func (e *applyEnv) pay() {
	e.t.Helper()
	if err := e.srv.UpdateOrder(1007, func(o *sandbox.OrderState) { o.Status, o.Substatus = "PROCESSING", "STARTED" }); err != nil {
		e.t.Fatal(err)
	}
}

// PING, malformed and undeclared notifications are answered as the
// Market's contract says; none of them makes a reconcile.
func TestWatchNotificationContract(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": unpaidTrackHCL})
	w := e.startWatch("", "-interval=1h")
	w.waitFor("the first reconcile", reconciled("start"))

	status, out := w.post(`{"notificationType":"PING","time":"2026-12-01T10:00:00Z"}`)
	if status != 200 || out["name"] != "orderform" || out["version"] == "" {
		t.Errorf("PING: %d %v, want 200 with name and version", status, out)
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(out["time"])); err != nil {
		t.Errorf("PING: time %v is not RFC 3339", out["time"])
	}
	for _, body := range []string{`{"notificationType":`, `{"orderId":1007}`, `{"notificationType":"ORDER_STATUS_UPDATED","campaignId":21000000}`} {
		status, out := w.post(body)
		errObj, _ := out["error"].(map[string]any)
		if status != 400 || errObj["type"] != "WRONG_EVENT_FORMAT" || errObj["message"] == "" {
			t.Errorf("%s: %d %v, want 400 WRONG_EVENT_FORMAT with a message", body, status, out)
		}
	}
	// 1001 is not declared: 200, and nothing happens.
	if status, out := w.post(statusNotification(1001, "PROCESSING")); status != 200 || out["name"] != "orderform" {
		t.Errorf("undeclared order: %d %v, want 200", status, out)
	}
	w.waitFor("the undeclared order ignored", func(ev map[string]any) bool {
		return ev["msg"] == "notification ignored" && ev["order_id"] == float64(1001)
	})
	if code, body := w.get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d %q, want 200 after a reconcile that read", code, body)
	}
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	if n := w.count(reconciled("notification")); n != 0 {
		t.Errorf("%d reconciles on notifications, want none\n%s", n, w.log())
	}
	if n := e.effectiveWrites(0); n != 0 {
		t.Errorf("%d writes, want none", n)
	}
}

// A notification for a declared order reconciles it at once, and the
// change is sent exactly once though the Market delivered it three times.
func TestWatchNotificationSendsOnce(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": unpaidTrackHCL})
	w := e.startWatch("", "-interval=1h")
	w.waitFor("the first reconcile", reconciled("start"))
	e.wantField(1007, "tracks", "none")

	e.pay()
	for range 3 {
		if status, out := w.post(statusNotification(1007, "PROCESSING")); status != 200 {
			t.Fatalf("notification: %d %v", status, out)
		}
	}
	w.waitFor("the track confirmed", func(ev map[string]any) bool {
		return (ev["msg"] == "change_confirmed" || ev["msg"] == "change_applied") && ev["order_id"] == float64(1007)
	})
	// Every delivery is answered before its reconcile ends: the last
	// one's queued reconcile finds nothing left to send.
	w.waitForN("the queued reconcile", 2, reconciled("notification"))
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	e.wantField(1007, "tracks", "RP700000007RU@51")
	e.wantWritesOnce([]int64{1007})
	if n := w.count(reconciled("notification")); n > 2 {
		t.Errorf("%d reconciles for three deliveries, want at most 2 (one in flight, one queued)\n%s", n, w.log())
	}
}

// The interval reconcile catches a change no notification announced.
func TestWatchIntervalCatchesAMissedNotification(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": unpaidTrackHCL})
	w := e.startWatch("", "-interval=1s")
	w.waitFor("the first reconcile", reconciled("start"))
	e.pay()
	w.waitFor("the track set", func(ev map[string]any) bool {
		return (ev["msg"] == "change_confirmed" || ev["msg"] == "change_applied") && ev["order_id"] == float64(1007)
	})
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	e.wantField(1007, "tracks", "RP700000007RU@51")
	e.wantWritesOnce([]int64{1007})
}

// -observe reports an edit made in the seller dashboard as drift, with the
// recipient's phone masked, and sends nothing.
func TestWatchObserveReportsDrift(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": `
provider "yandex_market" {
  campaign_id = 22000000
}

order "o2001" {
  id = 2001
  recipient {
    phone = "+79035550101"
  }
}
`})
	w := e.startWatch("", "-interval=1s", "-observe")
	w.waitFor("the first reconcile", reconciled("start"))
	if n := w.count(isMsg("drift")); n != 0 {
		t.Fatalf("%d drift events before any edit\n%s", n, w.log())
	}
	// Someone edits the phone in the dashboard.
	if err := e.srv.UpdateOrder(2001, func(o *sandbox.OrderState) { o.Delivery.Address.Phone = "+70001234567" }); err != nil {
		t.Fatal(err)
	}
	ev := w.waitFor("drift of 2001", func(ev map[string]any) bool { return ev["msg"] == "drift" && ev["order_id"] == float64(2001) })
	data, _ := json.Marshal(ev)
	if !strings.Contains(string(data), "recipient.phone") || !strings.Contains(string(data), "67") {
		t.Errorf("drift event %s: want the phone field, masked but recognisable", data)
	}
	w.waitForN("another interval reconcile", 2, reconciled("interval"))
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	log := w.log()
	for _, secret := range []string{"+79035550101", "+70001234567", testKey} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q unmasked\n%s", secret, log)
		}
	}
	if n := e.effectiveWrites(0); n != 0 {
		t.Errorf("-observe: %d writes, want none", n)
	}
}

// A configuration edited into an invalid one is reported, and the last
// good one keeps working: a notification still sets its track.
func TestWatchInvalidConfigKeepsTheLastGood(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": unpaidTrackHCL})
	w := e.startWatch("", "-interval=1h")
	w.waitFor("the first reconcile", reconciled("start"))
	e.write("main.hcl", unpaidTrackHCL+"\norder \"broken\" {\n  id = \n}\n")
	ev := w.waitFor("the invalid configuration reported", func(ev map[string]any) bool {
		return strings.HasPrefix(fmt.Sprint(ev["msg"]), "configuration invalid")
	})
	if !strings.Contains(fmt.Sprint(ev["diagnostics"]), "main.hcl") {
		t.Errorf("the report does not point at the file: %v", ev)
	}
	e.pay()
	w.post(statusNotification(1007, "PROCESSING"))
	w.waitFor("the track set by the last good configuration", func(ev map[string]any) bool {
		return (ev["msg"] == "change_confirmed" || ev["msg"] == "change_applied") && ev["order_id"] == float64(1007)
	})
	// Fixed, it is taken up.
	e.write("main.hcl", unpaidTrackHCL)
	w.waitFor("the reload", isMsg("configuration reloaded"))
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	e.wantWritesOnce([]int64{1007})
}

// SIGTERM while writes are slow: the write on the wire finishes and is
// journaled, nothing new is sent, exit 0; an apply afterwards sends the
// rest, each change exactly once in all.
func TestWatchSIGTERMDuringWrites(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
	e.srv.SetLatency(sandbox.EndpointTrack, 700*time.Millisecond)
	w := e.startWatch("", "-interval=1h", "-parallelism=1")
	deadline := time.Now().Add(watchDeadline)
	for !hasWrite(e.srv.Calls()) {
		if time.Now().After(deadline) {
			t.Fatalf("watch never started writing\n%s", w.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code := w.stop(); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	// The write on the wire (700ms) finished; no other was started.
	if n := e.effectiveWrites(0); n != 1 {
		t.Errorf("%d writes took effect, want the one in flight at SIGTERM\n%s", n, w.log())
	}
	for _, en := range e.journalEntries() {
		if en.State == journal.KindIntent {
			t.Errorf("order %d: the journal still has its intent open: the answer was not journaled", en.OrderID)
		}
	}
	e.mustExit(0, "apply", "-auto-approve")
	wantCrashTracks(e)
}

// Two watchers on one configuration and one PostgreSQL backend, both told
// of one change: it is sent exactly once.
func TestTwoWatchersOneBackend(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": unpaidTrackHCL})
	e.usePG()
	e.srv.SetLatency(sandbox.EndpointTrack, 300*time.Millisecond)
	other := e.second()
	a := e.startWatch("", "-interval=1h", "-lock-timeout=20s")
	b := e.startWatch(other, "-interval=1h", "-lock-timeout=20s")
	a.waitFor("a's first reconcile", reconciled("start"))
	b.waitFor("b's first reconcile", reconciled("start"))
	e.pay()
	var wg sync.WaitGroup
	for _, w := range []*watchProc{a, b} {
		wg.Go(func() { w.post(statusNotification(1007, "PROCESSING")) })
	}
	wg.Wait()
	a.waitFor("a's reconcile", reconciled("notification"))
	b.waitFor("b's reconcile", reconciled("notification"))
	for _, w := range []*watchProc{a, b} {
		if code := w.stop(); code != 0 {
			t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
		}
	}
	e.wantField(1007, "tracks", "RP700000007RU@51")
	e.wantWritesOnce([]int64{1007})
}

// /healthz says whether the last reconcile could read the orders, and
// /metrics counts the reconciles and the API's answers; a reconcile that
// failed is retried without waiting for the interval.
func TestWatchHealthAndMetrics(t *testing.T) {
	// 1003 is DELIVERED: its track is blocked for good.
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": strings.ReplaceAll(unpaidTrackHCL, "1007", "1003")})
	var refusing atomic.Bool
	refusing.Store(true)
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !refusing.Load() {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"status":"ERROR","errors":[{"code":"FORBIDDEN","message":"Access denied"}]}`)
		return true
	})
	w := e.startWatch("", "-interval=1h")
	w.waitFor("a failed reconcile", isMsg("reconcile failed"))
	if code, body := w.get("/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz after failed reads: %d %q, want 503", code, body)
	}
	refusing.Store(false)
	w.waitFor("the retried reconcile", reconciled("retry"))
	if code, body := w.get("/healthz"); code != 200 {
		t.Errorf("/healthz after a good reconcile: %d %q, want 200", code, body)
	}
	code, metrics := w.get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	wantContains(t, "/metrics", metrics,
		`orderform_watch_reconciles_total{result="error",trigger="start"} 1`,
		`orderform_watch_reconciles_total{result="ok",trigger="retry"} 1`,
		`orderform_watch_api_requests_total{code="403",endpoint=`,
		`orderform_watch_api_requests_total{code="200",endpoint=`,
		`orderform_watch_blocked 1`,
		"orderform_watch_last_success_timestamp_seconds ")
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
}

// An apply from CI and a watcher on one configuration interleave: the
// watcher, finding the campaign locked, retries and then finds the changes
// made; each is sent once in all.
func TestWatchAndApplyInterleave(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
	e.srv.SetLatency(sandbox.EndpointTrack, 400*time.Millisecond)
	applied := make(chan finished, 1)
	go func() { applied <- e.run(false, "apply", "-auto-approve", "-parallelism=1") }()
	deadline := time.Now().Add(watchDeadline)
	for !hasWrite(e.srv.Calls()) {
		if time.Now().After(deadline) {
			t.Fatal("apply never started writing")
		}
		time.Sleep(10 * time.Millisecond)
	}
	w := e.startWatch("", "-interval=1h")
	w.waitFor("the lock refused", func(ev map[string]any) bool {
		return ev["msg"] == "write failed" && strings.Contains(fmt.Sprint(ev["error"]), "lock")
	})
	if r := <-applied; r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	w.waitFor("the retry that finds nothing to send", reconciled("retry"))
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	wantCrashTracks(e)
}

// receiver forwards the sandbox's notifications to a watcher whose port
// is known only once it runs.
type receiver struct {
	srv    *httptest.Server
	target atomic.Pointer[string]
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := rc.target.Load()
		if addr == nil {
			http.Error(w, `{"error":{"type":"UNKNOWN","message":"no watcher yet"}}`, http.StatusInternalServerError)
			return
		}
		resp, err := http.Post("http://"+*addr+r.URL.Path, "application/json", r.Body)
		if err != nil {
			http.Error(w, `{"error":{"type":"UNKNOWN","message":"watcher unreachable"}}`, http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// The sandbox's own ORDER_STATUS_UPDATED, delivered three times, makes a
// running watch set the track within 2 s, exactly once; every copy is
// answered 200.
func TestWatchSandboxNotificationSetsTheTrack(t *testing.T) {
	rc := newReceiver(t)
	e := newApplyEnv(t, nil, sandbox.Options{NotifyURL: rc.srv.URL, NotifyCopies: 3, NotifyRetry: 100 * time.Millisecond},
		map[string]string{"main.hcl": unpaidTrackHCL})
	// The order waits for the shop's confirmation (its notification finds
	// no watcher yet: the sandbox retries it, and the watcher reconciles
	// the order for nothing).
	if err := e.srv.SetStatus(1007, "PENDING", "AWAIT_CONFIRMATION"); err != nil {
		t.Fatal(err)
	}
	// Deferred in the plan: not a change, not an error.
	r := e.mustExit(0, "plan", "-detailed-exitcode")
	wantContains(t, "plan", r.stdout, "1 deferred")
	w := e.startWatch("", "-interval=1h")
	rc.target.Store(&w.addr)
	ev := w.waitFor("the first reconcile", reconciled("start"))
	if ev["deferred"] != float64(1) {
		t.Errorf("the first reconcile: %v, want the track deferred", ev)
	}
	w.waitFor("the deferred track reported", func(ev map[string]any) bool { return ev["msg"] == "deferred" && ev["order_id"] == float64(1007) })
	e.wantField(1007, "tracks", "none")

	paid := time.Now()
	if err := e.srv.SetStatus(1007, "PROCESSING", "STARTED"); err != nil {
		t.Fatal(err)
	}
	w.waitFor("the track set", func(ev map[string]any) bool {
		return (ev["msg"] == "change_confirmed" || ev["msg"] == "change_applied") && ev["order_id"] == float64(1007)
	})
	if took := time.Since(paid); took > 2*time.Second {
		t.Errorf("the track was set %v after the notification, want within 2s", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), watchDeadline)
	defer cancel()
	if err := e.srv.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	copies := 0
	for _, s := range e.srv.Notifications() {
		if s.Notification.Type == "ORDER_STATUS_UPDATED" && s.Notification.OrderID == 1007 && s.Notification.Status == "PROCESSING" {
			copies++
			if !s.Delivered || len(s.Attempts) != 1 {
				t.Errorf("copy %d: delivered %v after %d attempts, want answered 200 at the first", s.Copy, s.Delivered, len(s.Attempts))
			}
		}
	}
	if copies != 3 {
		t.Errorf("the sandbox sent %d copies, want 3", copies)
	}
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	e.wantField(1007, "tracks", "RP700000007RU@51")
	e.wantWritesOnce([]int64{1007})
}

// SIGHUP reloads the configuration though no file changed, and the reload
// reconciles everything at once.
func TestWatchSIGHUPReloads(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": unpaidTrackHCL})
	w := e.startWatch("", "-interval=1h")
	w.waitFor("the first reconcile", reconciled("start"))
	if err := w.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	w.waitFor("the reload", isMsg("configuration reloaded"))
	w.waitFor("the reconcile after it", reconciled("reload"))
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
}

// An asynchronous orders/update is submitted and not followed under the
// lock: the next reconciles find it pending, then done, and never send it
// again. The other declared order, which already matches, is reconciled
// with it every time (the write's re-plan under the lock, made for the
// touched order alone, leaves the configuration's orders as they were).
func TestWatchUpdateSettlesOnLaterReconciles(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: 3 * time.Second}, map[string]string{"main.hcl": `
provider "yandex_market" {
  campaign_id = 22000000
}

order "o2001" {
  id = 2001
  recipient {
    phone = "+79990001199"
  }
}

order "o2002" {
  id = 2002
  delivery_interval {
    from_date = "2026-11-30"
    from_time = "14:00"
    to_time   = "18:00"
  }
}
`})
	w := e.startWatch("", "-interval=1s")
	w.waitFor("the update submitted", func(ev map[string]any) bool { return ev["msg"] == "change_applied" && ev["order_id"] == float64(2001) })
	w.waitFor("a reconcile that finds it pending", func(ev map[string]any) bool {
		return ev["msg"] == "reconciled" && ev["trigger"] == "interval" && ev["pending"] == float64(1)
	})
	w.waitFor("a reconcile that finds it done", func(ev map[string]any) bool {
		return ev["msg"] == "reconciled" && ev["trigger"] == "interval" && ev["pending"] == float64(0) && ev["changes"] == float64(0) &&
			ev["unchanged"] == float64(2)
	})
	if code := w.stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, w.log())
	}
	if n := w.count(func(ev map[string]any) bool { return ev["msg"] == "reconcile failed" }); n != 0 {
		t.Errorf("%d reconciles failed, want none:\n%s", n, w.log())
	}
	e.wantField(2001, "phone", "+79990001199")
	e.wantWritesOnce([]int64{2001})
}
