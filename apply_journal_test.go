package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

// Two applies in a row, the Market still busy with the first one's update
// when the second starts: the second run compacts the journal and must go on
// recording to the compacted file. Every submission of both runs is on disk
// afterwards, and a third run sends nothing twice.
func TestJournalKeepsEveryRunsRecords(t *testing.T) {
	st, _, phones := batchState(8)
	var ids []int64
	for id := range phones {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	a, b := ids[0], ids[1]
	e := newApplyEnv(t, st, sandbox.Options{UpdateDelay: 5 * time.Second}, nil)
	write := func(ph map[int64]string) {
		if err := os.WriteFile(filepath.Join(e.dir, "main.hcl"), []byte(batchHCL(nil, ph)), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	write(map[int64]string{a: phones[a]})
	e.mustExit(0, "apply", "-auto-approve", "-wait=0")
	write(map[int64]string{a: phones[a], b: phones[b]})
	r := e.mustExit(0, "apply", "-auto-approve", "-wait=0")
	wantContains(t, "second apply", r.stdout, "1 applied", "1 pending")

	seen := map[int64]string{}
	for _, en := range e.journalEntries() {
		seen[en.OrderID] = en.State
	}
	for _, id := range []int64{a, b} {
		if seen[id] != journal.KindSubmitted {
			t.Errorf("journal: order %d is %q, want %q (journal: %v)", id, seen[id], journal.KindSubmitted, seen)
		}
	}
	// Neither run's update has settled yet: a third run must not send them.
	e.mustExit(0, "apply", "-auto-approve", "-wait=0")
	e.wantWritesOnce([]int64{a, b})
}
