package sandbox

import (
	"slices"
	"time"
)

// Call recording: the latest calls, for tests and the script commands, and
// whether any write took effect, for the command layer.

// defaultKeepCalls is how many calls are kept unless Options.KeepCalls says
// otherwise: `orderform sandbox` runs for hours.
const defaultKeepCalls = 10000

// Call is one recorded request.
type Call struct {
	Time       time.Time // arrival
	Method     string
	Path       string
	Query      string // raw query
	Endpoint   Endpoint
	CampaignID int64
	BusinessID int64   // from the path, or the campaign's business
	OrderIDs   []int64 // the orders the request names (path, query or body)
	Body       []byte
	// Integration is the request's X-Market-Integration header: the
	// Market shows it in the seller's request log as the integration
	// that made the request.
	Integration string
	Status      int // 0 while in flight, or when the client went away first
	// Processed is true when the request reached the endpoint's logic (which
	// may still have answered 4xx): false for auth failures, 420s, injected
	// failures and malformed paths. A 2xx write with Processed took effect.
	Processed bool
	Dropped   bool // processed, then the connection was closed without an answer
}

// callLog keeps the latest keep calls in a ring; the server's mutex guards
// it.
type callLog struct {
	keep    int
	ring    []*Call
	oldest  int // index of the oldest call once the ring is full
	dropped int // calls pushed out of the ring
	wrote   bool
}

func (l *callLog) add(c *Call) {
	if len(l.ring) < l.keep {
		l.ring = append(l.ring, c)
		return
	}
	l.ring[l.oldest] = c
	l.oldest = (l.oldest + 1) % l.keep
	l.dropped++
}

// Calls returns the recorded requests in order of arrival: the latest
// Options.KeepCalls of them.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.calls.ring)
	out := make([]Call, n)
	for i := range n {
		c := s.calls.ring[(s.calls.oldest+i)%n]
		out[i] = *c
		out[i].OrderIDs = slices.Clone(c.OrderIDs)
		out[i].Body = slices.Clone(c.Body)
	}
	return out
}

// CallsDropped is how many recorded requests Calls no longer returns
// because later ones took their place (ResetCalls sets it back to 0).
func (s *Server) CallsDropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls.dropped
}

// ResetCalls forgets the recorded requests. Wrote stays as it is: the state
// the writes changed stays changed.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls.ring, s.calls.oldest, s.calls.dropped = nil, 0, 0
}

// Wrote reports whether any write (track, delivery_date, update) took
// effect since the server started: processed and answered 2xx, whether or
// not the answer reached the client, or a timeline event played (the state
// changed and is worth saving). It is kept apart from the recorded calls, so
// it holds however many calls were dropped.
func (s *Server) Wrote() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls.wrote
}
