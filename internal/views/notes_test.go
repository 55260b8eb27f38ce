package views

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orderform/orderform/apply"
)

func TestRetryLine(t *testing.T) {
	refused := fmt.Errorf("request not sent: %w", &url.Error{Op: "Get", URL: "http://127.0.0.1:1/v2/campaigns/21000000/orders?orderIds=1001",
		Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")})
	for _, tc := range []struct {
		name  string
		err   error
		delay time.Duration
		want  string
	}{
		{"network error without the URL", refused, 1234 * time.Millisecond,
			"list_orders: dial tcp 127.0.0.1:1: connect: connection refused; retrying in 1.2s (attempt 2 of 8)"},
		{"short delay", errors.New("HTTP 503"), 37 * time.Millisecond,
			"list_orders: HTTP 503; retrying in 37ms (attempt 2 of 8)"},
		{"a message that could repaint the terminal", errors.New("bad\x1b[2Jgateway\nnow"), 0,
			"list_orders: bad\\u001B[2Jgateway now; retrying in 0s (attempt 2 of 8)"},
		{"a huge message", errors.New(strings.Repeat("x", 5000)), time.Second,
			"list_orders: " + strings.Repeat("x", retryErrLimit) + "…; retrying in 1s (attempt 2 of 8)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, RetryLine("list_orders", tc.err, 2, 8, tc.delay)); diff != "" {
				t.Errorf("RetryLine (-want +got):\n%s", diff)
			}
		})
	}
}

// On a terminal a note goes above the status line: the line is cleared,
// the note written, the status redrawn; elsewhere it is a line of its own.
func TestProgressNote(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	p := newProgress(&out, 2, true, Options{}, c.now)
	p.Event(apply.Event{Type: "change_started", Address: "order.1"})
	p.Note("update: HTTP 503; retrying in 1s (attempt 2 of 8)")
	status := "Applying: 0/2 done, 1 in flight"
	want := "\r" + status + "\r" + strings.Repeat(" ", len(status)) + "\r" +
		"update: HTTP 503; retrying in 1s (attempt 2 of 8)\n" + "\r" + status
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("terminal (-want +got):\n%s", diff)
	}

	out.Reset()
	p = newProgress(&out, 2, false, Options{}, c.now)
	p.Note("update: HTTP 503; retrying in 1s (attempt 2 of 8)")
	if diff := cmp.Diff("update: HTTP 503; retrying in 1s (attempt 2 of 8)\n", out.String()); diff != "" {
		t.Errorf("not a terminal (-want +got):\n%s", diff)
	}
}
