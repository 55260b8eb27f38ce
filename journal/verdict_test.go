package journal

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orderform/orderform/provider"
)

// An answer is an answer: only a write nobody answered is unknown; the
// Market's error envelope, whatever the status, is a failure.
func TestAnswer(t *testing.T) {
	bare := &provider.APIError{StatusCode: 502, Endpoint: "POST track"}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"accepted", nil, KindSubmitted},
		{"timeout", fmt.Errorf("set track for order 1: %w: %w", provider.ErrOutcomeUnknown, errors.New("context deadline exceeded")), KindUnknown},
		{"gateway's bare 502", fmt.Errorf("%w: %w", provider.ErrOutcomeUnknown, bare), KindUnknown},
		{"the Market's 503 with its envelope", &provider.APIError{StatusCode: 503, Envelope: true, Errors: []provider.ErrorEntry{{Code: "INTERNAL_ERROR"}}}, KindFailed},
		{"a 400", &provider.APIError{StatusCode: 400, Envelope: true}, KindFailed},
		{"anything else", errors.New("boom"), KindFailed},
	} {
		if got := Answer(tc.err); got != tc.want {
			t.Errorf("%s: Answer = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestOperationsVerdict(t *testing.T) {
	ops := []Operation{{ID: "a"}, {ID: "b"}}
	for _, tc := range []struct {
		name   string
		status map[string]string
		kind   string
		known  bool
	}{
		{"all done", map[string]string{"a": "DONE", "b": "DONE"}, KindConfirmed, true},
		{"one failed, all over", map[string]string{"a": "DONE", "b": "FAILED"}, KindFailed, true},
		{"one failed, a sibling still runs", map[string]string{"a": "FAILED", "b": "IN_PROGRESS"}, "", true},
		{"in progress", map[string]string{"a": "IN_PROGRESS", "b": "DONE"}, "", true},
		{"one not reported", map[string]string{"a": "DONE"}, "", false},
	} {
		kind, known := OperationsVerdict(ops, tc.status)
		if kind != tc.kind || known != tc.known {
			t.Errorf("%s: OperationsVerdict = %q, %v; want %q, %v", tc.name, kind, known, tc.kind, tc.known)
		}
	}
}

func TestGrace(t *testing.T) {
	if Grace(true) != TrackGrace || Grace(false) != UpdateGrace || TrackGrace >= UpdateGrace {
		t.Errorf("Grace(synchronous) = %v, Grace(asynchronous) = %v; want TrackGrace %v < UpdateGrace %v", Grace(true), Grace(false), TrackGrace, UpdateGrace)
	}
}
