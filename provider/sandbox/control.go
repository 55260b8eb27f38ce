package sandbox

import (
	"net/http"
	"slices"
	"time"
)

// Control: what tests and `orderform sandbox` do to the server from outside
// the API: faults, latency, settling operations.

// Fault describes requests to sabotage: the next Count requests (at least 1)
// to Endpoint ("" = any) about OrderID (0 = any order).
type Fault struct {
	Endpoint Endpoint
	OrderID  int64
	Count    int
	Status   int    // FailNext only; default 500
	Body     string // MalformNext only: the answer's body; default "{}"
	// Bare (FailNext only): the failure is a gateway's, an HTML page
	// without the API's error envelope.
	Bare bool
}

func (f Fault) matches(e Endpoint, orderIDs []int64) bool {
	return (f.Endpoint == "" || f.Endpoint == e) && (f.OrderID == 0 || slices.Contains(orderIDs, f.OrderID))
}

// dropConnection closes the connection without an answer: the client sees a
// network error although the request took effect.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close() // closing is the point; its error changes nothing
			return
		}
	}
	// HTTP/2 or a recorder: the server aborts the stream without logging.
	panic(http.ErrAbortHandler)
}

// takeFailure consumes a FailNext fault matching the request.
func (s *Server) takeFailure(e Endpoint, orderIDs []int64) *apiError {
	f, ok := take(&s.failNext, e, orderIDs)
	if !ok {
		return nil
	}
	ae := newAPIError(f.Status, codeForStatus(f.Status), "injected failure: HTTP %d", f.Status)
	ae.bare = f.Bare
	return ae
}

func (s *Server) takeDrop(e Endpoint, orderIDs []int64) bool {
	_, ok := take(&s.drops, e, orderIDs)
	return ok
}

// take consumes one use of the first fault in *faults matching the request.
func take(faults *[]Fault, e Endpoint, orderIDs []int64) (Fault, bool) {
	for i, f := range *faults {
		if !f.matches(e, orderIDs) {
			continue
		}
		if (*faults)[i].Count--; (*faults)[i].Count <= 0 {
			*faults = slices.Delete(*faults, i, i+1)
		}
		return f, true
	}
	return Fault{}, false
}

// Settle applies every pending operation now, whatever its time.
func (s *Server) Settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.now(), true)
}

// FailNext makes the next f.Count requests matching f fail with f.Status
// (default 500) without being processed.
func (s *Server) FailNext(f Fault) {
	f.Count = max(f.Count, 1)
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, f)
}

// DropAfterProcessing makes the next f.Count requests matching f that
// succeed take effect and then lose their answer: the connection is closed.
func (s *Server) DropAfterProcessing(f Fault) {
	f.Count = max(f.Count, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops = append(s.drops, f)
}

// MalformNext makes the next f.Count requests matching f that succeed take
// effect and then answer f.Body (default "{}") with their 2xx status: an
// answer that is not the documented shape.
func (s *Server) MalformNext(f Fault) {
	f.Count = max(f.Count, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.malformed = append(s.malformed, f)
}

// FailOperations makes the orders/update operations of an order, pending and
// future, end FAILED without changing it.
func (s *Server) FailOperations(orderID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.order(orderID); o != nil {
		o.FailOperations = true
	}
}

// SetLatency delays every admitted request to e by d before it is processed
// (it counts against the parallel limit meanwhile).
func (s *Server) SetLatency(e Endpoint, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[e] = d
}

// wait sleeps for an admitted request's latency (SetLatency) and reports
// whether to process it: not when its client went away meanwhile, unless
// Options.ProcessAbandoned.
func (s *Server) wait(r *http.Request, delay time.Duration) bool {
	if delay <= 0 {
		return true
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	gone := r.Context().Done()
	if s.processAbandoned {
		gone = nil // processed whether or not anyone reads the answer
	}
	select {
	case <-t.C:
		return true
	case <-gone:
		return false
	}
}
