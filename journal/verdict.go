package journal

import (
	"errors"
	"time"

	"github.com/orderform/orderform/provider"
)

// This file is the one place that says what became of a write: what its
// answer makes of it, what the statuses of its operations make of it, and
// how long one nobody has an answer for stays in flight. apply (during a
// run) and internal/refresh (at the start of the next one) both judge by
// these rules, so a write is never judged two ways.

// Answer is the kind of record a write's answer makes, the rule "an answer
// is an answer":
//
//   - no error: KindSubmitted. The Market took it (an asynchronous update
//     is still to be followed through its operations).
//   - no answer at all: KindUnknown. A timeout, a connection lost after the
//     request left, a 2xx whose body was lost, or a gateway's bare
//     502/503/504 page without the Market's error envelope (the Market may
//     be at work behind it). The client marks each of these with
//     provider.ErrOutcomeUnknown; the change is never resent blind, the
//     order is re-read until it shows it or its Grace ends.
//   - any other error is an answer, whatever its status (a 400, a 500 or
//     503 with the envelope): KindFailed. The Market did not apply it.
//
// A write that never left (a refused BeforeSend hook, a rate limit held too
// long: provider.ErrNotSent) is no write; the caller does not journal it.
func Answer(err error) string {
	switch {
	case err == nil:
		return KindSubmitted
	case errors.Is(err, provider.ErrOutcomeUnknown):
		return KindUnknown
	}
	return KindFailed
}

// OperationsVerdict judges a write by the statuses of its operations (ID ->
// status, as the operations endpoint reported them): KindConfirmed when all
// are DONE, KindFailed when all are over and one FAILED (until then a
// sibling may still change the order), "" while any runs. known is false
// when the status of one is missing.
func OperationsVerdict(ops []Operation, status map[string]string) (kind string, known bool) {
	over, failed, known := true, false, true
	for _, o := range ops {
		switch status[o.ID] {
		case provider.OperationDone:
		case provider.OperationFailed:
			failed = true
		case provider.OperationInProgress:
			over = false
		default:
			over, known = false, false
		}
	}
	switch {
	case over && failed:
		return KindFailed, known
	case over:
		return KindConfirmed, known
	}
	return "", known
}

// TrackGrace is how long a write the Market applies synchronously (a track)
// that got no answer at all is awaited before an order without its value
// proves it was not applied: it may still have been at work for a while.
// It is also how long a run follows any write without an answer by
// re-reading its order: what a re-read has not shown by then, no poll of
// that run will learn, so the run ends and says so (unknown) rather than
// hold for the whole -wait.
const TrackGrace = time.Minute

// UpdateGrace is how long an asynchronous write (orders/update) that cannot
// be followed through the operations endpoint (no answer, so no operation
// IDs; no business to ask in; operations the endpoint does not know) is
// awaited before it counts as not applied. The Market applies updates
// "within a few minutes".
const UpdateGrace = 10 * time.Minute

// Grace is how long an open submission nothing can be learnt about stays in
// flight, counted from its latest record: TrackGrace for a call the Market
// applies synchronously, UpdateGrace for any other. Past it, the next run
// sends the change again unless the order shows it.
func Grace(synchronous bool) time.Duration {
	if synchronous {
		return TrackGrace
	}
	return UpdateGrace
}
