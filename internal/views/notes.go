package views

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"
	"unicode/utf8"
)

// retryErrLimit bounds the error quoted in a retry line: it is a progress
// note, the full error comes with the final failure.
const retryErrLimit = 200

// RetryLine is the note shown when a request is about to be tried again,
// such as
//
//	list_orders: dial tcp 127.0.0.1:1: connect: connection refused; retrying in 1.2s (attempt 2 of 8)
//
// so that a run waiting on an unreachable or failing API says so as it
// happens rather than after the last attempt.
func RetryLine(endpoint string, err error, next, max int, delay time.Duration) string {
	msg := "failed"
	if err != nil {
		msg = err.Error()
		// "Get "https://...?orderIds=...": dial tcp ...": the URL says
		// nothing the endpoint's name does not.
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			msg = ue.Err.Error()
		}
	}
	msg = clean(msg)
	if utf8.RuneCountInString(msg) > retryErrLimit {
		msg = string([]rune(msg)[:retryErrLimit]) + "…"
	}
	return fmt.Sprintf("%s: %s; retrying in %s (attempt %d of %d)", clean(endpoint), msg, shortDuration(delay), next, max)
}

// shortDuration rounds d for a person: "37ms", "1.2s".
func shortDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// NoneSelected is the plan when -target and -exclude leave no order of the
// declared ones: saying "No changes" there would claim the orders were
// checked.
func NoneSelected(w io.Writer, declared int) {
	fmt.Fprintf(w, "No order selected: -target and -exclude leave out %s, so none was read or planned.\n", allDeclared(declared))
}

func allDeclared(n int) string {
	if n == 1 {
		return "the one declared order"
	}
	return fmt.Sprintf("all %d declared orders", n)
}
