package watch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Three deliveries of one notification while nothing runs: one reconcile.
func TestQueueCoalescesDuplicates(t *testing.T) {
	q := NewQueue()
	got := []bool{q.Add(Key{1001}), q.Add(Key{1001}), q.Add(Key{1002}), q.Add(Key{1001})}
	if diff := cmp.Diff([]bool{true, false, true, false}, got); diff != "" {
		t.Errorf("Add (-want +got):\n%s", diff)
	}
	if q.Len() != 2 {
		t.Fatalf("Len = %d, want 2", q.Len())
	}
	k, _ := q.Get()
	k2, _ := q.Get()
	if k != (Key{1001}) || k2 != (Key{1002}) {
		t.Errorf("Get = %v, %v; want 1001 then 1002 (first come, first served)", k, k2)
	}
}

// A key added while in flight is not handed out again until Done, and then
// once, however many times it was added meanwhile.
func TestQueueOneInFlightOneQueued(t *testing.T) {
	q := NewQueue()
	q.Add(Key{7})
	k, _ := q.Get()
	for range 3 {
		q.Add(Key{7})
	}
	if q.Len() != 0 {
		t.Fatalf("a key in flight was queued to run beside itself: Len = %d", q.Len())
	}
	q.Add(Key{8})
	if other, _ := q.Get(); other != (Key{8}) {
		t.Fatalf("Get = %v, want the other key", other)
	}
	q.Done(k)
	if q.Len() != 1 {
		t.Fatalf("after Done: Len = %d, want 1 (the adds made in flight, coalesced)", q.Len())
	}
	again, _ := q.Get()
	if again != k {
		t.Fatalf("Get = %v, want %v", again, k)
	}
	q.Done(again)
	if q.Len() != 0 {
		t.Errorf("after the second Done: Len = %d, want 0", q.Len())
	}
}

func TestQueueShutDown(t *testing.T) {
	q := NewQueue()
	q.Add(Key{1})
	q.ShutDown()
	if q.Add(Key{2}) {
		t.Error("Add accepted work after ShutDown")
	}
	if _, ok := q.Get(); ok {
		t.Error("Get handed out work after ShutDown")
	}
}

// Through the loop, with several workers: one key is never reconciled twice
// at once, and a burst while it runs costs exactly one more reconcile.
func TestLoopBurstWhileInFlight(t *testing.T) {
	q := NewQueue()
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	counts := map[Key]int{}
	inFlight := map[Key]bool{}
	started := make(chan Key, 10)
	release := make(chan struct{})
	var overlap bool
	l := &Loop{Queue: q, Workers: 4, Interval: 1 << 40, Reconcile: func(_ context.Context, k Key) {
		mu.Lock()
		if inFlight[k] {
			overlap = true
		}
		inFlight[k] = true
		counts[k]++
		mu.Unlock()
		started <- k
		if k == (Key{5}) {
			<-release
		}
		mu.Lock()
		inFlight[k] = false
		mu.Unlock()
	}}
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	if k := <-started; k != All {
		t.Fatalf("first reconcile %v, want All", k)
	}
	q.Add(Key{5})
	<-started // 5 in flight, held
	for range 3 {
		q.Add(Key{5})
	}
	close(release)
	if k := <-started; k != (Key{5}) {
		t.Fatalf("reconcile %v, want the queued 5", k)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Error("one key was reconciled twice at once")
	}
	if diff := cmp.Diff(map[Key]int{All: 1, {5}: 2}, counts); diff != "" {
		t.Errorf("reconciles (-want +got):\n%s", diff)
	}
}

func TestBackoff(t *testing.T) {
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, Backoff(n, 10*time.Second))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Backoff (-want +got):\n%s", diff)
	}
}
