package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

// hostileRunsEnv sets how many networks TestApplyOnAHostileNetwork tries.
const hostileRunsEnv = "ORDERFORM_HOSTILE_RUNS"

// A hostile network: a random mix of the faults a real one has (the
// Market's 5xx with its envelope, a gateway's bare 502/503/504, answers lost
// after the write took effect, 2xx answers of the wrong shape, failing reads
// and operations, slow writes, few requests in parallel) and, one time in
// two, a SIGKILL at a random moment. Then apply runs again, each time after
// the grace of whatever it could not settle, until the orders converge.
// Through it all:
//
//   - no change ever reaches the Market twice;
//   - a run never says "confirmed" or "unchanged" of an order that does not
//     show its change, and never exits 0 with an order failed or unknown;
//   - within five runs every order is in its declared state, each changed
//     by exactly one write.
//
// The suite tries 2 networks; ORDERFORM_HOSTILE_RUNS=N tries N, and
// ORDERFORM_KILL_SEED=S replays one:
//
//	ORDERFORM_HOSTILE_RUNS=30 go test -count=1 -run TestApplyOnAHostileNetwork -v .
func TestApplyOnAHostileNetwork(t *testing.T) {
	runs, rng := propertyRuns(t, hostileRunsEnv, 2, 0x686f7374, "networks")
	for i := range runs {
		t.Run(strconv.Itoa(i), func(t *testing.T) { hostileOnce(t, rng) })
	}
}

func hostileOnce(t *testing.T, rng *rand.Rand) {
	state, tracks, phones := batchState(12)
	opt := sandbox.Options{UpdateDelay: time.Duration(rng.IntN(100)) * time.Millisecond, Parallel: []int{0, 1, 2}[rng.IntN(3)], ProcessAbandoned: true}
	e := newApplyEnv(t, state, opt, map[string]string{"main.hcl": batchHCL(tracks, phones)})
	var all []int64
	for id := range tracks {
		all = append(all, id)
	}
	for id := range phones {
		all = append(all, id)
	}
	slices.Sort(all)
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
	pick := func() int64 { return all[rng.IntN(len(all))] }
	writeOf := func(id int64) sandbox.Endpoint {
		if _, ok := tracks[id]; ok {
			return sandbox.EndpointTrack
		}
		return sandbox.EndpointUpdate
	}

	var faults []string
	for range 2 + rng.IntN(6) {
		id := pick()
		switch rng.IntN(7) {
		case 0:
			e.srv.FailNext(sandbox.Fault{Endpoint: writeOf(id), OrderID: id, Status: []int{500, 503}[rng.IntN(2)]})
			faults = append(faults, fmt.Sprintf("fail-next %s %d (envelope)", writeOf(id), id))
		case 1:
			st := []int{502, 503, 504}[rng.IntN(3)]
			e.srv.FailNext(sandbox.Fault{Endpoint: writeOf(id), OrderID: id, Status: st, Bare: true})
			faults = append(faults, fmt.Sprintf("fail-next %s %d %d bare", writeOf(id), id, st))
		case 2:
			e.srv.DropAfterProcessing(sandbox.Fault{Endpoint: writeOf(id), OrderID: id})
			faults = append(faults, fmt.Sprintf("drop-next %s %d", writeOf(id), id))
		case 3:
			e.srv.MalformNext(sandbox.Fault{Endpoint: writeOf(id), OrderID: id})
			faults = append(faults, fmt.Sprintf("malformed %s %d", writeOf(id), id))
		case 4:
			ep := []sandbox.Endpoint{sandbox.EndpointBusinessOrders, sandbox.EndpointListOrders}[rng.IntN(2)]
			n := 1 + rng.IntN(3)
			e.srv.FailNext(sandbox.Fault{Endpoint: ep, Count: n, Status: 503, Bare: rng.IntN(2) == 0})
			faults = append(faults, fmt.Sprintf("fail-next %s x%d", ep, n))
		case 5:
			n := 1 + rng.IntN(5)
			e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointOperations, Count: n, Status: 500})
			faults = append(faults, fmt.Sprintf("fail-next operations x%d", n))
		case 6:
			d := time.Duration(5+rng.IntN(40)) * time.Millisecond
			e.srv.SetLatency(writeOf(id), d)
			faults = append(faults, fmt.Sprintf("latency %s %v", writeOf(id), d))
		}
	}
	// Killed one time in two, and then one time in three killed again
	// while it runs again.
	kills := 0
	if rng.IntN(2) == 0 {
		kills = 1 + rng.IntN(3)/2
	}
	t.Logf("sandbox %+v; faults %s; %d kill(s)", opt, strings.Join(faults, ", "), kills)
	for range kills {
		after := time.Duration(rng.IntN(300)) * time.Millisecond
		k := e.armKill(after)
		r := e.orderform("apply", "-auto-approve", "-poll-interval=20ms", "-wait=2s")
		k.disarmAndWait()
		t.Logf("run killed %v after its first write: killed %v, exit %d", after, r.killed, r.code)
		e.checkTruthful(r, all, declared)
	}
	for run := 1; ; run++ {
		r := e.orderform("apply", "-auto-approve", "-poll-interval=20ms", "-wait=2s")
		if r.killed {
			t.Fatalf("run %d was killed", run)
		}
		e.checkTruthful(r, all, declared)
		for _, id := range all {
			if n := e.effectiveWrites(id); n > 1 {
				t.Fatalf("order %d: %d effective writes after run %d", id, n, run)
			}
		}
		done := true
		for _, id := range all {
			done = done && declared(id)
		}
		if done && r.code == 0 {
			break
		}
		if run == 5 {
			var behind []int64
			for _, id := range all {
				if !declared(id) {
					behind = append(behind, id)
				}
			}
			t.Fatalf("not converged after %d runs: %v behind\nlast run: exit %d\nstdout:\n%s\nstderr:\n%s", run, behind, r.code, r.stdout, r.stderr)
		}
		e.ageJournal(journal.UpdateGrace + time.Minute)
	}
	e.wantWritesOnce(all)
	e.mustExit(0, "plan", "-detailed-exitcode")
}

// checkTruthful checks what one apply said against the orders: confirmed
// and unchanged orders show their change; exit 0 only without failures or
// unknown outcomes; "Apply complete" only with exit 0.
func (e *applyEnv) checkTruthful(r finished, all []int64, declared func(int64) bool) {
	e.t.Helper()
	if r.killed {
		return
	}
	if i := strings.LastIndex(r.stdout, "\nApply "); i < 0 {
		if r.code == 0 && !strings.Contains(r.stdout, "Nothing to apply.") {
			e.t.Errorf("exit 0 without a report:\n%s\n%s", r.stdout, r.stderr)
		}
		return
	}
	outcomes := reportOutcomes(e.t, r.stdout)
	for _, id := range all {
		switch o := outcomes[id]; o {
		case "confirmed", "unchanged":
			if !declared(id) {
				e.t.Errorf("order %d reported %s but does not show its change\n%s", id, o, r.stdout)
			}
		case "failed", "unknown", "stale", "skipped":
			if r.code == 0 {
				e.t.Errorf("exit 0 with order %d %s\n%s", id, o, r.stdout)
			}
		}
	}
	if strings.Contains(r.stdout, "Apply complete") != (r.code == 0) {
		e.t.Errorf("exit %d with the headline:\n%s", r.code, r.stdout)
	}
}
