package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

// killRunsEnv sets how many kills TestApplyKillNineProperty makes.
const killRunsEnv = "ORDERFORM_KILL_RUNS"

// killSeedEnv replays the kills of one earlier run of the test.
const killSeedEnv = "ORDERFORM_KILL_SEED"

// killStats counts what the kills of TestApplyKillNineProperty hit.
type killStats struct {
	mu        sync.Mutex
	runs      int
	killed    int // the process died by the SIGKILL (the others had finished)
	unknown   int // runs whose rerun reported an unknown outcome
	noByte    int // unknown orders of which no write reached the sandbox at all
	refused   int // unknown orders whose writes all reached it unprocessed (a 420)
	rerunDone int // runs whose one rerun left every order in its declared state
}

// The kill -9 property (issue 8, "Done means"): orderform is SIGKILLed at a
// random moment of an apply of a mix of track changes (DBS) and recipient
// updates (LaaS), against a sandbox that takes few requests in parallel
// (so 420s lower the client's gate and writes queue behind it) and answers
// writes slowly, and that processes a write whose client died with it on
// the wire (as a real server that read the request does). Then ONE rerun.
// After it:
//
//   - no change reached the Market twice;
//   - every order is in its declared state, except orders the rerun reported
//     unknown (exit 1) whose write never took effect: the one window no
//     journal can close is a kill between an intent's fsync and the
//     request's first byte (or between a 420 and the fsync that closes the
//     refused attempt);
//   - the rerun never says "Apply complete" or exits 0 while an order is not
//     in its declared state;
//
// and once the grace of those unknown writes has passed, one more run
// converges, with every change made exactly once.
//
// The default suite makes 3 kills so the property is exercised in CI. The
// full run makes 30 or more (each kill and its reruns take under a second):
//
//	ORDERFORM_KILL_RUNS=30 go test -count=1 -run TestApplyKillNineProperty -v .
//
// Each run logs its seed; ORDERFORM_KILL_SEED=N replays one.
func TestApplyKillNineProperty(t *testing.T) {
	runs, rng := propertyRuns(t, killRunsEnv, 3, 0x6b696c6c, "kills")
	var st killStats
	for i := range runs {
		t.Run(strconv.Itoa(i), func(t *testing.T) { killOnce(t, rng, &st) })
	}
	t.Logf("%d runs: %d killed, %d rerun(s) left every order in its declared state, %d rerun(s) reported unknown "+
		"(the unavoidable window): %d unknown order(s) of which no byte had reached the Market, %d whose writes were all refused unprocessed",
		st.runs, st.killed, st.rerunDone, st.unknown, st.noByte, st.refused)
}

func killOnce(t *testing.T, rng *rand.Rand, st *killStats) {
	parallel := 1 + rng.IntN(2)                                 // the sandbox's limit per endpoint and campaign
	latency := time.Duration(5+rng.IntN(30)) * time.Millisecond // each write's
	clientParallelism := []int{2, 3, 10}[rng.IntN(3)]
	orders := 16
	// The kill comes after the first write arrives, anywhere in the time
	// the writes take, or (one time in four) in the first milliseconds,
	// while the first writes leave together and meet their 420s.
	span := time.Duration(orders)*latency/time.Duration(parallel) + 20*time.Millisecond
	if rng.IntN(4) == 0 {
		span = 3 * time.Millisecond
	}
	killAfter := time.Duration(rng.Int64N(int64(span)))
	t.Logf("sandbox parallel %d, write latency %v, -parallelism=%d, kill %v after the first write", parallel, latency, clientParallelism, killAfter)

	state, tracks, phones := batchState(orders)
	e := newApplyEnv(t, state, sandbox.Options{UpdateDelay: 20 * time.Millisecond, Parallel: parallel, ProcessAbandoned: true},
		map[string]string{"main.hcl": batchHCL(tracks, phones)})
	e.srv.SetLatency(sandbox.EndpointTrack, latency)
	e.srv.SetLatency(sandbox.EndpointUpdate, latency)
	var all []int64
	for id := range tracks {
		all = append(all, id)
	}
	for id := range phones {
		all = append(all, id)
	}
	declared := func(id int64) bool {
		o := e.order(id)
		if code, ok := tracks[id]; ok {
			for _, tr := range o.Delivery.Tracks {
				if tr.TrackCode == code && tr.DeliveryServiceID == 51 {
					return true
				}
			}
			return false
		}
		return o.Delivery.Address.Phone == phones[id]
	}

	k := e.armKill(killAfter)
	args := []string{"apply", "-auto-approve", "-poll-interval=20ms", fmt.Sprintf("-parallelism=%d", clientParallelism)}
	r := e.orderform(args...)
	k.disarmAndWait()
	e.srv.Settle() // the Market applies what it accepted
	st.mu.Lock()
	st.runs++
	if r.killed {
		st.killed++
	}
	st.mu.Unlock()
	if !r.killed && r.code != 0 {
		t.Fatalf("the run that was not killed: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, id := range all {
		if n := e.effectiveWrites(id); n > 1 {
			t.Errorf("order %d: %d effective writes in the killed run", id, n)
		}
	}
	before := map[int64][]sandbox.Call{} // the killed run's writes, by order
	for _, c := range e.srv.Calls() {
		if c.Endpoint == sandbox.EndpointTrack || c.Endpoint == sandbox.EndpointUpdate {
			for _, id := range c.OrderIDs {
				before[id] = append(before[id], c)
			}
		}
	}
	open := map[int64]bool{}
	for _, en := range e.journalEntries() {
		if en.Open() {
			open[en.OrderID] = true
		}
	}

	// ONE rerun.
	r = e.orderform(args...)
	if r.killed || (r.code != 0 && r.code != 1) {
		t.Fatalf("rerun: exit %d (killed %v)\nstdout:\n%s\nstderr:\n%s", r.code, r.killed, r.stdout, r.stderr)
	}
	outcomes := map[int64]string{}
	if !strings.Contains(r.stdout, "\nNothing to apply.") {
		outcomes = reportOutcomes(t, r.stdout)
	}
	var unknown, behind []int64
	for _, id := range all {
		if n := e.effectiveWrites(id); n > 1 {
			t.Errorf("order %d: %d effective writes after the rerun: a change reached the Market twice", id, n)
		}
		if outcomes[id] == "unknown" {
			unknown = append(unknown, id)
		}
		if declared(id) {
			if outcomes[id] == "unknown" {
				t.Errorf("order %d shows its change, yet the rerun reported it unknown", id)
			}
			continue
		}
		behind = append(behind, id)
		switch {
		case outcomes[id] != "unknown":
			t.Errorf("order %d is not in its declared state after the rerun, which reported it %q\nstdout:\n%s", id, outcomes[id], r.stdout)
		case e.effectiveWrites(id) != 0:
			t.Errorf("order %d: a write of it took effect, yet it is not in its declared state", id)
		case !open[id]:
			t.Errorf("order %d reported unknown without an open journal entry before the rerun", id)
		}
	}
	if len(behind) > 0 && (r.code == 0 || strings.Contains(r.stdout, "Apply complete")) {
		t.Errorf("the rerun exited %d with orders %v not in their declared state\nstdout:\n%s", r.code, behind, r.stdout)
	}
	if len(unknown) > 0 && r.code != 1 {
		t.Errorf("the rerun reported %v unknown and exited %d, want 1", unknown, r.code)
	}
	st.mu.Lock()
	if len(behind) == 0 {
		st.rerunDone++
	}
	if len(unknown) > 0 {
		st.unknown++
	}
	for _, id := range unknown {
		if len(before[id]) == 0 {
			st.noByte++
		} else {
			st.refused++
		}
	}
	st.mu.Unlock()
	for _, id := range unknown {
		var seen []string
		for _, c := range before[id] {
			seen = append(seen, fmt.Sprintf("%s %d", c.Endpoint, c.Status))
		}
		t.Logf("order %d unknown after the rerun (the window); its writes the sandbox saw: %v", id, seen)
	}

	if len(behind) > 0 {
		// Their grace passes with no sign of them: one more run sends them.
		e.ageJournal(journal.UpdateGrace + time.Minute)
		r = e.mustExit(0, args...)
		wantContains(t, "run after the grace", r.stdout, "Apply complete:")
	}
	for _, id := range all {
		if !declared(id) {
			t.Errorf("order %d is not in its declared state at the end", id)
		}
	}
	e.wantWritesOnce(all)
	for _, x := range e.journalEntries() {
		if x.Open() {
			t.Errorf("journal entry still open at the end: %+v", x)
		}
	}
}

// killer SIGKILLs the orderform run a set time after its first write
// arrives, and knows when the sandbox is done with the dead process's last
// requests.
type killer struct {
	e        *applyEnv
	mu       sync.Mutex
	inflight int  // requests being answered
	armed    bool // the kill is for the run under way only
}

// armKill routes every request through a killer: after the first write
// arrives, and after, the run in progress is killed.
func (e *applyEnv) armKill(after time.Duration) *killer {
	k := &killer{e: e, armed: true}
	var first atomic.Bool
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		k.mu.Lock()
		k.inflight++
		k.mu.Unlock()
		defer func() {
			k.mu.Lock()
			k.inflight--
			k.mu.Unlock()
		}()
		if isWrite(r) && first.CompareAndSwap(false, true) {
			time.AfterFunc(after, func() {
				k.mu.Lock()
				defer k.mu.Unlock()
				if p := e.proc.Load(); p != nil && k.armed {
					_ = p.Kill()
				}
			})
		}
		e.sandbox.ServeHTTP(w, r)
		return true
	})
	return k
}

// disarmAndWait cancels a kill still to come, waits until nothing is in
// flight and nothing new arrives for a while (a request the dead process
// had on the wire may still be read), and removes the intercept.
func (k *killer) disarmAndWait() {
	k.mu.Lock()
	k.armed = false
	k.mu.Unlock()
	for calls, quiet := -1, 0; quiet < 3; time.Sleep(20 * time.Millisecond) {
		k.mu.Lock()
		idle := k.inflight == 0
		k.mu.Unlock()
		n := len(k.e.srv.Calls())
		if idle && n == calls {
			quiet++
		} else {
			quiet = 0
		}
		calls = n
	}
	k.e.setIntercept(nil)
}

// propertyRuns is how many runs a property test makes (runsEnv, else
// defaultRuns) and its random source: seeded from the clock, or from
// ORDERFORM_KILL_SEED to replay a run, the seed logged either way. stream
// keeps two tests given one seed from drawing the same numbers.
func propertyRuns(t *testing.T, runsEnv string, defaultRuns int, stream uint64, what string) (int, *rand.Rand) {
	t.Helper()
	runs := defaultRuns
	if v := os.Getenv(runsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of %s", runsEnv, v, what)
		}
		runs = n
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv(killSeedEnv); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a number", killSeedEnv, v)
		}
		seed = n
	}
	t.Logf("seed %d (%s=%d replays it), %d %s", seed, killSeedEnv, seed, runs, what)
	return runs, rand.New(rand.NewPCG(uint64(seed), stream))
}
