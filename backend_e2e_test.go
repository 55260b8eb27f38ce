package main

// End-to-end tests of the shared state (issue 9): two orderform processes in
// two directories ("two CI runners") sharing one PostgreSQL backend, locks
// that wait and name their holder, a backend that cannot be reached, the
// journal scoped by endpoint, and no reversible personal data in it.

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider/sandbox"
)

// second makes another checkout of e's configuration: a second runner.
func (e *applyEnv) second() string {
	e.t.Helper()
	dir := e.t.TempDir()
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, en := range entries {
		if en.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(e.dir, en.Name()))
		if err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, en.Name()), data, 0o600); err != nil {
			e.t.Fatal(err)
		}
	}
	return dir
}

// Two runners, one backend, started at the same moment on the same 50
// orders (tracks and recipient updates, slow writes): one applies, the other
// waits for its locks and then finds nothing left to send. Every order ends
// right and the Market received each change exactly once.
func TestTwoRunnersOneBackend(t *testing.T) {
	st, tracks, phones := batchState(50)
	e := newApplyEnv(t, st, sandbox.Options{UpdateDelay: 50 * time.Millisecond}, map[string]string{"main.hcl": batchHCL(tracks, phones)})
	e.usePG()
	e.srv.SetLatency(sandbox.EndpointTrack, 10*time.Millisecond)
	e.srv.SetLatency(sandbox.EndpointUpdate, 10*time.Millisecond)
	other := e.second()
	var wg sync.WaitGroup
	results := make([]finished, 2)
	start := make(chan struct{})
	for i, dir := range []string{e.dir, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = e.runAt(dir, false, "apply", "-auto-approve", "-lock-timeout=50s", "-poll-interval=20ms")
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("runner %d: exit %d\nstdout:\n%s\nstderr:\n%s", i, r.code, r.stdout, r.stderr)
		}
	}
	// One did the work; the other waited for it (saying whose lock) and
	// found the orders as declared.
	var waited, idle int
	for _, r := range results {
		if strings.Contains(r.stderr, "Waiting up to 50s for the lock of campaign") && strings.Contains(r.stderr, "held by") {
			waited++
		}
		if strings.Contains(r.stdout, "No changes.") || strings.Contains(r.stdout, "Nothing to apply.") {
			idle++
		}
	}
	// Which of the two gets the locks first is the scheduler's choice, and
	// whether the other is started before the first is done too: it either
	// waited for the locks or came after them, and then found nothing to do.
	if idle != 1 || waited > 1 {
		t.Errorf("%d runners waited for a lock and %d found nothing to do, want at most 1 and exactly 1\nfirst:\n%s%s\nsecond:\n%s%s",
			waited, idle, results[0].stdout, results[0].stderr, results[1].stdout, results[1].stderr)
	}
	t.Logf("%d of the two runners waited for the other's locks", waited)
	wantBatch(e, tracks, phones)
	e.mustExit(0, "plan", "-detailed-exitcode")
}

// One runner killed in the middle of an apply; the other finishes from its
// own directory: it is not kept out by a lock left behind, sends nothing
// twice, and loses nothing.
func TestKilledRunnerFinishedByAnother(t *testing.T) {
	st, tracks, phones := batchState(30)
	e := newApplyEnv(t, st, sandbox.Options{UpdateDelay: 10 * time.Millisecond}, map[string]string{"main.hcl": batchHCL(tracks, phones)})
	e.usePG()
	e.srv.SetLatency(sandbox.EndpointTrack, 5*time.Millisecond)
	e.srv.SetLatency(sandbox.EndpointUpdate, 5*time.Millisecond)
	e.killedRun(e.killAt(isWrite, 8, beforeMarket), "apply", "-auto-approve")
	other := e.second()
	// -lock-timeout=0s: a lock the dead runner left would fail this run.
	r := e.runAt(other, false, "apply", "-auto-approve", "-lock-timeout=0s", "-poll-interval=20ms")
	if r.code != 0 && r.code != 1 || strings.Contains(r.stderr, "is held by") {
		t.Fatalf("the second runner: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r.code == 1 && !strings.Contains(r.stdout, " unknown.") {
		t.Fatalf("the second runner failed for another reason than writes of unknown outcome:\n%s\n%s", r.stdout, r.stderr)
	}
	// What the dead runner had in flight waits out its grace, then goes.
	e.ageJournal(time.Hour)
	if r := e.runAt(other, false, "apply", "-auto-approve", "-lock-timeout=0s", "-poll-interval=20ms"); r.code != 0 {
		t.Fatalf("the last run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantBatch(e, tracks, phones)
	if r := e.runAt(e.dir, false, "plan", "-detailed-exitcode"); r.code != 0 {
		t.Errorf("plan from the first runner's directory: exit %d\n%s", r.code, r.stdout)
	}
}

// -lock-timeout=0s fails at once, naming the holder; -lock-timeout=30s
// waits for it and then proceeds. Both backends.
func TestLockTimeout(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
		use(e)
		e.srv.SetLatency(sandbox.EndpointTrack, 400*time.Millisecond)
		first := make(chan finished, 1)
		go func() {
			first <- e.run(false, "apply", "-auto-approve", "-parallelism=1", "-poll-interval=20ms")
		}()
		deadline := time.Now().Add(30 * time.Second)
		for !hasWrite(e.srv.Calls()) {
			if time.Now().After(deadline) {
				t.Fatal("the first apply never started writing")
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Setenv("ORDERFORM_LOCK_INFO", "")
		now := e.run(false, "apply", "-auto-approve", "-lock-timeout=0s")
		if now.code != 1 {
			t.Fatalf("-lock-timeout=0s: exit %d, want 1\n%s\n%s", now.code, now.stdout, now.stderr)
		}
		wantContains(t, "-lock-timeout=0s", now.stderr, "the lock of campaign 21000000", "is held by", "orderform apply -auto-approve -parallelism=1", "since ")
		waited := e.run(false, "apply", "-auto-approve", "-lock-timeout=30s", "-poll-interval=20ms")
		if waited.code != 0 {
			t.Fatalf("-lock-timeout=30s: exit %d\n%s\n%s", waited.code, waited.stdout, waited.stderr)
		}
		wantContains(t, "-lock-timeout=30s", waited.stderr, "Waiting up to 30s for the lock of campaign 21000000", "held by")
		wantContains(t, "-lock-timeout=30s", waited.stdout, "Nothing to apply.")
		if r := <-first; r.code != 0 {
			t.Fatalf("first apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		wantCrashTracks(e)
	})
}

// A backend that cannot be used (the server down, a wrong password) stops
// plan and apply before anything reaches the Market, naming the backend
// block and saying why.
func TestBackendUnavailable(t *testing.T) {
	pg := newTestPG(t)
	for _, c := range []struct{ name, conn, want string }{
		{"server down", "postgres://orderform:pw@127.0.0.1:1/orderform?sslmode=disable&connect_timeout=5", "connect to 127.0.0.1:1"},
		{"wrong password", wrongPassword(t, pg.url), "password authentication failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": crashTracksHCL})
			e.write("backend.hcl", "backend \"pg\" {\n  schema_name = \""+pg.schema+"\"\n}\n")
			e.pg = &testPGBackend{url: c.conn, schema: pg.schema}
			for _, args := range [][]string{{"apply", "-auto-approve"}, {"plan"}} {
				r := e.mustExit(1, args...)
				wantContains(t, strings.Join(args, " "), oneLine(r.stderr), "Backend unavailable", "backend.hcl line 1", c.want, "Nothing was read or sent")
				if strings.Contains(r.stderr, "not-the-password") {
					t.Errorf("the password shows in:\n%s", r.stderr)
				}
			}
			if calls := e.srv.Calls(); len(calls) != 0 {
				t.Errorf("%d requests reached the Market, want none", len(calls))
			}
		})
	}
}

func wrongPassword(t *testing.T, url string) string {
	t.Helper()
	i := strings.Index(url, "://")
	j := strings.Index(url, "@")
	if i < 0 || j < 0 {
		t.Fatalf("ORDERFORM_TEST_PG %q has no user info", url)
	}
	user, _, _ := strings.Cut(url[i+3:j], ":")
	return url[:i+3] + user + ":not-the-password" + url[j:]
}

// Writes made against one endpoint (a sandbox) never make an order pending
// against another: the journal is scoped by endpoint.
func TestJournalScopedByEndpoint(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, map[string]string{"main.hcl": crashUpdateHCL})
		use(e)
		r := e.mustExit(0, "apply", "-auto-approve", "-wait=0")
		wantContains(t, "apply", r.stdout, "Apply complete: 0 confirmed, 1 applied")
		wantContains(t, "plan, same endpoint", e.mustExit(0, "plan").stdout, "Plan: 0 to change, 1 pending, 0 blocked.")

		st, err := sandbox.LoadState(filepath.Join("testdata", "sandbox-small.json"))
		if err != nil {
			t.Fatal(err)
		}
		srv := sandbox.New(st, sandbox.Options{APIKeys: []string{testKey}})
		elsewhere := httptest.NewServer(contract.Handler(srv, contract.Both, contract.Errorf(t)))
		defer elsewhere.Close()
		e.environ = append(os.Environ(), "YANDEX_MARKET_ENDPOINT="+elsewhere.URL, "YANDEX_MARKET_API_KEY="+testKey,
			"YANDEX_MARKET_BUSINESS_ID=", "NO_COLOR=1", "ORDERFORM_LOG=", "ORDERFORM_QUOTAS=", "ORDERFORM_FINGERPRINT_KEY=")
		if e.pg != nil {
			e.environ = append(e.environ, "PG_CONN_STR="+e.pg.url)
		}
		r = e.mustExit(2, "plan", "-detailed-exitcode")
		wantContains(t, "plan, other endpoint", r.stdout, "Plan: 1 to change, 0 pending, 0 blocked.")
	})
}

// The journal of a recipient update keeps neither the phone's digits nor
// any unkeyed hash of them, and its keyed fingerprint still tells the value
// in flight from another: the same phone is pending, another is refused
// while the first is in flight.
func TestJournalKeepsNoPhone(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, map[string]string{"main.hcl": crashUpdateHCL})
		use(e)
		e.mustExit(0, "apply", "-auto-approve", "-wait=0")
		recs := e.journalRecords()
		var raw strings.Builder
		for _, r := range recs {
			for k, v := range r.Targets {
				raw.WriteString(k + "=" + v + "\n")
			}
			raw.WriteString(r.Error + "\n")
		}
		if e.pg == nil {
			data, err := os.ReadFile(filepath.Join(e.dir, journal.Dir, "journal.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			raw.Write(data)
		}
		const phone = "79990001122"
		unkeyed := plan.Key(nil).Fingerprint(plan.FieldPhone, phone)
		for _, bad := range []string{phone, "9990001122", unkeyed, "Мария"} {
			if strings.Contains(raw.String(), bad) {
				t.Errorf("the journal holds %q", bad)
			}
		}
		found := false
		for _, r := range recs {
			if fp, ok := r.Targets[plan.FieldPhone]; ok {
				found = fp != "" && fp != unkeyed
			}
		}
		if !found {
			t.Fatalf("no keyed phone fingerprint in the journal: %+v", recs)
		}
		wantContains(t, "same phone", e.mustExit(0, "plan").stdout, "1 pending")
		e.write("main.hcl", strings.Replace(crashUpdateHCL, "+79990001122", "+79990003344", 1))
		r := e.mustExit(1, "plan")
		wantContains(t, "other phone", oneLine(r.stdout+r.stderr), "recipient.phone cannot be changed", "earlier change of this field is still being applied")
	})
}

// orderform journal lists what is in flight, read-only, from either
// backend: order, call, fields, when and by whom, operations.
func TestJournalCommand(t *testing.T) {
	forBackends(t, func(t *testing.T, use func(*applyEnv)) {
		e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, map[string]string{"main.hcl": crashUpdateHCL})
		use(e)
		r := e.mustExit(0, "journal")
		wantContains(t, "empty journal", r.stdout, "No writes in flight against "+e.url)
		e.mustExit(0, "apply", "-auto-approve", "-wait=0")
		before := len(e.srv.Calls())
		r = e.mustExit(0, "journal")
		wantContains(t, "journal", r.stdout, "1 write in flight against "+e.url, "order.2001 (order 2001, campaign 22000000)",
			"update: delivery_interval.from_date", "recipient.phone", "sent 20", " by ", "operations ")
		r = e.mustExit(0, "journal", "-json")
		wantContains(t, "journal -json", r.stdout, `"in_flight":[{"address":"order.2001"`, `"call":"update"`, `"state":"submitted"`, `"operations":[{"id":`)
		if n := len(e.srv.Calls()); n != before {
			t.Errorf("orderform journal made %d requests, want none", n-before)
		}
	})
}

// oneLine folds every run of white space into one space: wrapped
// diagnostics read as the sentences they are.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
