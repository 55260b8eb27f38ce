package provider

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// APIError is any non-2xx answer of the API. Callers tell the kinds apart with
// its methods or with errors.As, never by matching message text.
type APIError struct {
	StatusCode int          // HTTP status
	Endpoint   string       // e.g. "POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track"
	CampaignID int64        // 0 when the endpoint has none
	BusinessID int64        // 0 unless the endpoint is a business's (business orders, operations)
	OrderID    int64        // 0 when the request was not about one order
	Errors     []ErrorEntry // the API's error codes and messages (may be empty for a bare 5xx)
	// Envelope is set when the body was the API's error envelope: the
	// Market itself answered (as opposed to a gateway in front of it).
	Envelope bool
}

// ErrorEntry is one item of the API's error envelope.
type ErrorEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: HTTP %d", e.Endpoint, e.StatusCode)
	if e.OrderID != 0 {
		fmt.Fprintf(&b, " for order %d", e.OrderID)
	}
	for i, x := range e.Errors {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if x.Code != "" {
			b.WriteString(x.Code)
			if x.Message != "" {
				b.WriteString(" ")
			}
		}
		b.WriteString(x.Message)
	}
	return b.String()
}

// Code is the first error code of the answer, or "".
func (e *APIError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// HasCode reports whether any of the answer's errors carries code.
func (e *APIError) HasCode(code string) bool {
	for _, x := range e.Errors {
		if x.Code == code {
			return true
		}
	}
	return false
}

// RateLimited reports a 420: the request was not processed.
func (e *APIError) RateLimited() bool { return e.StatusCode == StatusRateLimited }

// NotFound reports a 404.
func (e *APIError) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// AuthFailed reports a 401 or 403 that is about the key, not the order.
func (e *APIError) AuthFailed() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// Rejected reports a 4xx other than 420: the API looked at the request and
// refused it, so it was not processed and resending it unchanged is pointless.
func (e *APIError) Rejected() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != StatusRateLimited
}

// MalformedAnswerError is a 2xx answer whose body is not the shape the API
// documents (not JSON, a field of the wrong type, a required field
// missing): an error of the endpoint, never "no orders" or "not found".
// Reading again does not help; a write that got one was processed, but
// what it started is not known (it wraps ErrOutcomeUnknown then).
type MalformedAnswerError struct {
	StatusCode int
	Endpoint   string // e.g. "POST v1/businesses/{businessId}/orders"
	Problem    string // what is wrong, in the API's field names: "missing orders"
}

func (e *MalformedAnswerError) Error() string {
	return fmt.Sprintf("%s answered %d with a body that is not the documented shape: %s", e.Endpoint, e.StatusCode, e.Problem)
}

// StatusRateLimited is the Market API's rate-limit status (not 429).
const StatusRateLimited = 420

// ErrOutcomeUnknown is wrapped by every error of a write whose outcome cannot
// be known: a timeout, a dropped connection, or a 5xx without the API's
// error envelope (a gateway's: the Market may be at work behind it) after the
// request was sent. The client never resends such a write; the caller must
// re-read the order before deciding anything. A 5xx that carries the
// envelope is the Market's own answer: it did not process the write, and the
// error is a plain *APIError.
var ErrOutcomeUnknown = errors.New("outcome unknown: the write may or may not have been applied")

// AsAPIError returns the APIError inside err, if any.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// ErrNotSent is wrapped by the error of a write that never left the client:
// refused by the caller's BeforeSend hook, or by a rate limit that would
// hold it longer than Config.MaxWait.
var ErrNotSent = errors.New("not sent")

// RateLimitError is a request the client refused to hold: the rate limit of
// Endpoint in the campaign or business would keep it waiting until Until,
// longer than Config.MaxWait allows. Nothing was sent.
type RateLimitError struct {
	Endpoint   string
	CampaignID int64
	BusinessID int64
	Quota      Quota     // the quota the client paces by
	Until      time.Time // when the limit lets the next request through
	MaxWait    time.Duration
	Server     bool // Until is the server's word (a 420 or its headers), not our own pacing
}

func (e *RateLimitError) Error() string {
	scope := fmt.Sprintf("campaign %d", e.CampaignID)
	if e.BusinessID != 0 {
		scope = fmt.Sprintf("business %d", e.BusinessID)
	}
	who := "the client's pacing"
	if e.Server {
		who = "the Market"
	}
	return fmt.Sprintf("rate limit of %s in %s (%d requests per %v): %s allows the next request at %s, %v from now, longer than this run waits (%v)",
		e.Endpoint, scope, e.Quota.Limit, e.Quota.Period, who, e.Until.UTC().Format(time.RFC3339),
		time.Until(e.Until).Round(time.Second), e.MaxWait)
}

// Unwrap makes errors.Is(err, ErrNotSent) hold.
func (e *RateLimitError) Unwrap() error { return ErrNotSent }
