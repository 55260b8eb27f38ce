package watch

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Loop runs reconciles: of everything at start and every Interval (with
// jitter, as Argo CD's sync loop, so that several watchers do not reach the
// Market in step), and of whatever is added to Queue.
type Loop struct {
	Queue *Queue
	// Reconcile does one reconcile of k. ctx is cancelled at shutdown: a
	// reconcile then sends nothing new and lets the writes in flight
	// answer, as apply does on Ctrl-C.
	Reconcile func(ctx context.Context, k Key)
	Interval  time.Duration
	// Jitter is the fraction of Interval a tick may come early or late
	// (0.1: within ±10%).
	Jitter float64
	// Workers is how many reconciles run at once (at least 1). One key is
	// never reconciled twice at once whatever the number.
	Workers int
}

// Run queues a reconcile of everything, then serves the queue until ctx
// is done; it returns once the reconciles in flight have ended.
func (l *Loop) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range max(l.Workers, 1) {
		wg.Go(func() {
			for {
				k, ok := l.Queue.Get()
				if !ok {
					return
				}
				l.Reconcile(ctx, k)
				l.Queue.Done(k)
			}
		})
	}
	l.Queue.Add(All)
	t := time.NewTimer(l.next())
	defer t.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-t.C:
			l.Queue.Add(All)
			t.Reset(l.next())
		}
	}
	l.Queue.ShutDown()
	wg.Wait()
}

// next is the wait until the next interval reconcile.
func (l *Loop) next() time.Duration {
	d := l.Interval
	if l.Jitter > 0 {
		d += time.Duration((rand.Float64()*2 - 1) * l.Jitter * float64(d))
	}
	return max(d, time.Millisecond)
}
