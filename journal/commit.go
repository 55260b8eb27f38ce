package journal

import "sync"

// groupCommit makes appends that arrive while another is being written
// share the next write: one fsync, or one commit, for all of them. Each
// caller returns once its own items are durable, with its batch's error.
type groupCommit[T any] struct {
	write func([]T) error // one batch, durably; called by one goroutine at a time

	mu      sync.Mutex
	queue   []T
	waiters []chan error
	writing bool
}

// add queues items and waits for the write that carries them.
func (g *groupCommit[T]) add(items ...T) error {
	done := make(chan error, 1)
	g.mu.Lock()
	g.queue = append(g.queue, items...)
	g.waiters = append(g.waiters, done)
	if !g.writing {
		g.writing = true
		go g.run()
	}
	g.mu.Unlock()
	return <-done
}

// later queues items to go with the next write, which another add starts
// or the returned wait does: wait returns once the items are durable, with
// their batch's error. Records nobody waits on yet (the outcome of a write
// that has its answer) so share the fsync of the next ones that must be on
// disk before something happens (an intent).
func (g *groupCommit[T]) later(items ...T) (wait func() error) {
	done := make(chan error, 1)
	g.mu.Lock()
	g.queue = append(g.queue, items...)
	g.waiters = append(g.waiters, done)
	g.mu.Unlock()
	return func() error {
		g.mu.Lock()
		if !g.writing && len(g.queue) > 0 {
			g.writing = true
			go g.run()
		}
		g.mu.Unlock()
		return <-done
	}
}

// run writes what is queued, batch after batch, until the queue is empty.
func (g *groupCommit[T]) run() {
	g.mu.Lock()
	for len(g.queue) > 0 {
		items, waiters := g.queue, g.waiters
		g.queue, g.waiters = nil, nil
		g.mu.Unlock()
		err := g.write(items)
		g.mu.Lock()
		for _, w := range waiters {
			w <- err
		}
	}
	g.writing = false
	g.mu.Unlock()
}
