package sandbox

import "time"

// The timeline (State.Timeline): scripted status changes, so a quick start
// or a test can show an order moving on its own and `watch` reacting to the
// notification.

// startTimeline arms a timer for every event not yet played. The events are
// due After from now on the server's clock; a timer only wakes the server
// at that moment on the machine's clock, and whatever touches the state
// first (a timer, a request, Snapshot) plays what is due, as settle does
// for operations.
func (s *Server) startTimeline() {
	s.started = s.now()
	for _, e := range s.st.Timeline {
		if !e.PlayedAt.IsZero() {
			continue
		}
		s.timers = append(s.timers, time.AfterFunc(e.delay(), func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.settle(s.now(), false)
		}))
	}
}

// playTimeline plays the events due at now, in their order in the file; the
// caller holds the lock. A played event counts as a write (Wrote), so the
// embedded sandbox saves it.
func (s *Server) playTimeline(now time.Time) {
	for i := range s.st.Timeline {
		e := &s.st.Timeline[i]
		if !e.PlayedAt.IsZero() || now.Before(s.started.Add(e.delay())) {
			continue
		}
		e.PlayedAt = now
		s.calls.wrote = true
		o := s.order(e.Order)
		if o == nil || (o.Status == e.Status && o.Substatus == e.Substatus) {
			continue // validate saw to the order; the same status is no change
		}
		before := markOf(o)
		o.Status, o.Substatus = e.Status, e.Substatus
		bumpUpdatedAt(o, now)
		s.noticeChange(before, o)
	}
}
