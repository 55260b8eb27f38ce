// Package watch is the loop of `orderform watch`: a work queue keyed by
// order, into which the interval's ticks and the Market's notifications put
// reconciles, and the HTTP endpoint that receives those notifications. It
// knows nothing of plans or the API: what one reconcile does is the command
// layer's (internal/command), handed in as a function.
//
// The queue follows controller-runtime's: a key is in it at most once, a key
// being reconciled is never handed out again until Done, and a key added
// while it is being reconciled is queued once more for after it. A burst of
// duplicate notifications thus costs at most one reconcile in flight and one
// waiting, and the order is re-read each time (a notification is a hint,
// never the order's state).
package watch

import (
	"sync"
	"time"
)

// Key is what one reconcile is about: one order, or (OrderID 0) the whole
// configuration.
type Key struct {
	OrderID int64
}

// All is the key of a reconcile of the whole configuration.
var All = Key{}

// Queue is a work queue of keys that coalesces duplicates. Safe for
// concurrent use.
type Queue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	ready      []Key
	dirty      map[Key]bool // queued, or to be queued once Done
	processing map[Key]bool
	shutdown   bool
}

// NewQueue returns an empty queue.
func NewQueue() *Queue {
	q := &Queue{dirty: map[Key]bool{}, processing: map[Key]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues k unless it is queued already; a k being reconciled is queued
// again for when that reconcile is Done. It reports whether k was new
// (false: coalesced with one already waiting, or the queue is shut down).
func (q *Queue) Add(k Key) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown || q.dirty[k] {
		return false
	}
	q.dirty[k] = true
	if !q.processing[k] {
		q.ready = append(q.ready, k)
		q.cond.Signal()
	}
	return true
}

// Get waits for a key and marks it in flight; ok is false once the queue is
// shut down (the keys still waiting are dropped: no new work).
func (q *Queue) Get() (k Key, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.shutdown {
		q.cond.Wait()
	}
	if q.shutdown {
		return Key{}, false
	}
	k, q.ready = q.ready[0], q.ready[1:]
	delete(q.dirty, k)
	q.processing[k] = true
	return k, true
}

// Done ends k's reconcile; if k was added meanwhile it is queued again.
func (q *Queue) Done(k Key) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, k)
	if q.dirty[k] && !q.shutdown {
		q.ready = append(q.ready, k)
		q.cond.Signal()
	}
}

// AddAfter adds k once d has passed (a retry with backoff); it is dropped
// if the queue is shut down by then.
func (q *Queue) AddAfter(k Key, d time.Duration) {
	time.AfterFunc(d, func() { q.Add(k) })
}

// Backoff is the wait before the retry after failures failed reconciles
// in a row: 1s, 2s, 4s, ... up to limit.
func Backoff(failures int, limit time.Duration) time.Duration {
	d := time.Second
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Len is how many keys wait (not those in flight).
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ready)
}

// ShutDown stops the queue: Add refuses, Get returns false.
func (q *Queue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdown = true
	q.cond.Broadcast()
}
