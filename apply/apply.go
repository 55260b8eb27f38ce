// Package apply is stage four: it executes a plan. It does exactly what the
// plan says and never re-decides, with three exceptions that only ever
// remove work: an order whose state moved since the plan is skipped as
// stale, an order that already shows the change is not written again, and a
// change the journal says is still in flight is left to finish.
//
// Every write is journaled (intent before, outcome after, both fsynced), so a
// crash, a Ctrl-C or a lost answer never leads to a second blind write. It
// talks to the API through the small interfaces below and reports through an
// event hook; it prints nothing.
package apply

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
)

// API is the part of the Market API apply writes through.
type API interface {
	SetTrack(ctx context.Context, campaignID, orderID int64, t provider.Track) error
	UpdateOrder(ctx context.Context, campaignID int64, u provider.OrderUpdate) ([]provider.Operation, error)
	Operations(ctx context.Context, businessID int64, opType string, ids []string) ([]provider.Operation, error)
}

// Reader re-reads orders: before writing (is the plan still true?) and after
// (has the Market applied it?). Orders it cannot find are absent from the
// answer.
type Reader interface {
	ReadOrders(ctx context.Context, refs []OrderRef) (map[int64]provider.Order, error)
}

// OrderRef names an order to read; Recipient asks for its recipient too.
type OrderRef struct {
	OrderID, CampaignID int64
	Recipient           bool
}

// Outcome is how a change ended.
type Outcome string

const (
	Confirmed Outcome = "confirmed" // the order shows the change
	Applied   Outcome = "applied"   // accepted by the API, not yet confirmed (pending)
	Failed    Outcome = "failed"    // refused, or its operation failed, or no answer and never confirmed
	Stale     Outcome = "stale"     // the order changed since the plan: not touched
	InFlight  Outcome = "pending"   // an earlier submission is still in flight: not sent again
	Current   Outcome = "unchanged" // the order already shows the change: nothing sent
	Skipped   Outcome = "skipped"   // not started: interrupted before its turn
	// Unknown: sent, no answer, and the order does not show it yet. It is
	// journaled as in flight, so no later run sends it blind.
	Unknown Outcome = "unknown"
)

// TrackGrace is how long a track write that got no answer at all (a timeout,
// a dropped connection, a crash) is awaited before an order without the
// track proves it was not applied. A track write that got an answer (a 5xx)
// is over on the Market's side: one re-read settles it.
const TrackGrace = time.Minute

// Result is what happened to one planned change.
type Result struct {
	Address    string   `json:"address"`
	OrderID    int64    `json:"order_id"`
	CampaignID int64    `json:"campaign_id"`
	Outcome    Outcome  `json:"outcome"`
	Fields     []string `json:"fields"`
	Operations []string `json:"operations,omitempty"`
	Code       string   `json:"error_code,omitempty"`
	Detail     string   `json:"detail,omitempty"`
}

// Event is one step of a run, for progress displays and -json streams.
type Event struct {
	Type       string   `json:"type"` // change_started, change_applied, change_unknown, change_confirmed, change_failed, change_stale, change_skipped, waiting
	Address    string   `json:"address,omitempty"`
	OrderID    int64    `json:"order_id,omitempty"`
	Call       string   `json:"call,omitempty"`
	Operations []string `json:"operations,omitempty"`
	Code       string   `json:"error_code,omitempty"`
	Detail     string   `json:"detail,omitempty"`
	Pending    int      `json:"pending,omitempty"`
}

// Options tune a run.
type Options struct {
	Journal     *journal.Journal
	BusinessID  int64 // enables following operations through the operations endpoint
	Parallelism int   // changes in flight at once (default 10)
	// Wait is how long to follow asynchronous operations after submitting;
	// 0 submits and returns.
	Wait         time.Duration
	PollInterval time.Duration // default 2s
	// InFlight are the journal's open submissions (already reconciled by
	// the caller): a change they cover is not sent again.
	InFlight []journal.Entry
	OnEvent  func(Event)
	Now      func() time.Time
}

// Report is the end of a run.
type Report struct {
	Results     []Result
	Blocked     []plan.Blocked
	Interrupted bool
}

// Count returns how many results ended with o.
func (r Report) Count(o Outcome) int {
	n := 0
	for _, x := range r.Results {
		if x.Outcome == o {
			n++
		}
	}
	return n
}

// OK reports whether nothing failed, went stale, was blocked, ended without
// a known outcome or was cut short.
func (r Report) OK() bool {
	return !r.Interrupted && len(r.Blocked) == 0 && r.Count(Failed) == 0 && r.Count(Stale) == 0 && r.Count(Skipped) == 0 && r.Count(Unknown) == 0
}

// submission is one write of a run and what became of it.
type submission struct {
	id         string
	call       string
	change     *plan.Change
	targets    map[string]string
	operations []journal.Operation
	state      string // journal kind of its latest record
	code       string
	detail     string
	cause      error // why the outcome is unknown (journal.KindUnknown)
	sentAt     time.Time
}

type run struct {
	api    API
	reader Reader
	opt    Options
	emit   func(Event)
	mu     sync.Mutex

	settled []settled // verdicts of the poll under way, not yet journaled
}

// Run executes p. It returns an error only when it cannot start (the plan
// cannot be checked against the orders); every per-order problem is a Result.
func Run(ctx context.Context, p *plan.Plan, api API, reader Reader, opt Options) (Report, error) {
	if opt.Parallelism <= 0 {
		opt.Parallelism = 10
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = 2 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.BusinessID == 0 {
		opt.BusinessID = p.BusinessID
	}
	r := &run{api: api, reader: reader, opt: opt}
	r.emit = func(e Event) {
		if opt.OnEvent != nil {
			r.mu.Lock()
			defer r.mu.Unlock()
			opt.OnEvent(e)
		}
	}
	rep := Report{Blocked: p.Blocked}
	if len(p.Changes) == 0 {
		return rep, nil
	}

	// Is the plan still true? One batched re-read of every order it touches.
	refs := make([]OrderRef, 0, len(p.Changes))
	for _, c := range p.Changes {
		refs = append(refs, OrderRef{OrderID: c.OrderID, CampaignID: c.CampaignID, Recipient: c.NeedsRecipient()})
	}
	now, err := reader.ReadOrders(ctx, refs)
	if err != nil {
		return rep, fmt.Errorf("re-read orders before applying: %w", err)
	}
	results := make([]Result, len(p.Changes))
	var todo []int
	pending := map[int][]*submission{}
	for i := range p.Changes {
		c := &p.Changes[i]
		res := Result{Address: c.Address, OrderID: c.OrderID, CampaignID: c.CampaignID, Fields: fieldPaths(c.Fields)}
		o, found := now[c.OrderID]
		switch {
		case !found:
			res.Outcome, res.Detail = Stale, "the order can no longer be read"
		case plan.Applied(plan.Targets(c.Fields), o):
			res.Outcome, res.Detail = Current, "the order already shows this change"
		default:
			if why := c.Stale(o); why != "" {
				res.Outcome, res.Detail = Stale, why+"; plan again"
				break
			}
			// What is sent is made from the plan's fields and this read,
			// never taken from anywhere else (a saved plan has no calls).
			var err error
			if c.Track, c.Update, err = c.Calls(o); err != nil {
				res.Outcome, res.Detail = Failed, "not sent: "+err.Error()
				r.emit(Event{Type: "change_failed", Address: c.Address, OrderID: c.OrderID, Detail: res.Detail})
				break
			}
			send, why := r.unsent(c)
			switch {
			case why != "":
				res.Outcome, res.Detail = Stale, why+"; plan again once it has finished"
			case len(send) == 0:
				res.Outcome, res.Detail = InFlight, "an earlier submission of this change is still being applied"
			default:
				todo = append(todo, i)
				pending[i] = send
			}
		}
		if res.Outcome == Stale {
			r.emit(Event{Type: "change_stale", Address: c.Address, OrderID: c.OrderID, Detail: res.Detail})
		}
		results[i] = res
	}

	subs := r.submit(ctx, p, todo, pending, results)
	if ctx.Err() != nil {
		rep.Interrupted = true
	}
	switch {
	case rep.Interrupted:
	case opt.Wait > 0:
		r.follow(ctx, subs)
		if ctx.Err() != nil {
			rep.Interrupted = true
		}
	default:
		// -wait=0 submits and returns, but a write whose answer was lost
		// is re-read once: the report must not call applied a change the
		// order may not show.
		if unknown := pick(subs, journal.KindUnknown); len(unknown) > 0 {
			r.poll(ctx, unknown)
		}
	}
	for i, ss := range subs {
		if ss == nil {
			continue
		}
		results[i] = summarize(results[i], ss)
	}
	rep.Results = results
	return rep, nil
}

func fieldPaths(fs []plan.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Path
	}
	return out
}

// unsent returns the calls of c still to send: a call whose every target an
// open journal submission already carries is in flight and not sent again.
// A call only partly carried by one, or an open submission that sets another
// value in the same block (a track, an interval, a recipient: each goes out
// whole), makes the change wait for a fresh plan: sending it now would send
// part of it twice or race the earlier write. why says so.
func (r *run) unsent(c *plan.Change) (send []*submission, why string) {
	for _, s := range calls(c) {
		covered := map[string]bool{}
		for _, e := range r.opt.InFlight {
			if e.OrderID != c.OrderID || e.Call != s.call {
				continue
			}
			for k, v := range s.targets {
				if w, ok := e.Targets[k]; ok && w == v {
					covered[k] = true
				}
			}
			for k, v := range e.Targets {
				if w, ok := s.targets[k]; (ok && w != v) || (!ok && plan.TouchesBlock(s.targets, k)) {
					return nil, fmt.Sprintf("an earlier %s of this order (submitted %s) is still in flight with other values",
						s.call, e.SubmittedAt.Local().Format(time.DateTime))
				}
			}
		}
		switch {
		case len(covered) == 0:
			send = append(send, s)
		case len(covered) < len(s.targets):
			// Sending the whole call would send the covered part twice;
			// a fresh plan sends only the rest.
			return nil, fmt.Sprintf("an earlier %s of this order carries part of this change and is still in flight", s.call)
		}
	}
	return send, ""
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// calls splits a change into its API calls: a track is one call; an
// interval and a recipient go together in one orders/update.
func calls(c *plan.Change) []*submission {
	var out []*submission
	if c.Track != nil {
		out = append(out, &submission{call: journal.CallTrack, change: c, targets: targetsOf(c, true)})
	}
	if c.Update != nil {
		out = append(out, &submission{call: journal.CallUpdate, change: c, targets: targetsOf(c, false)})
	}
	return out
}

func targetsOf(c *plan.Change, track bool) map[string]string {
	var fs []plan.Field
	for _, f := range c.Fields {
		isTrack := f.Path == plan.FieldTrackCode || f.Path == plan.FieldTrackService
		if isTrack == track {
			fs = append(fs, f)
		}
	}
	return plan.Targets(fs)
}

// submit sends the writes of the changes at todo, at most Parallelism
// changes at a time. An interrupt (ctx) stops new changes from starting;
// writes already sent run to their answer and are journaled.
func (r *run) submit(ctx context.Context, p *plan.Plan, todo []int, pending map[int][]*submission, results []Result) map[int][]*submission {
	out := make(map[int][]*submission, len(todo))
	var mu sync.Mutex
	sem := make(chan struct{}, r.opt.Parallelism)
	var wg sync.WaitGroup
	for _, i := range todo {
		c := &p.Changes[i]
		select {
		case <-ctx.Done():
		case sem <- struct{}{}:
		}
		if ctx.Err() != nil {
			results[i].Outcome, results[i].Detail = Skipped, "not started: the run was interrupted"
			r.emit(Event{Type: "change_skipped", Address: c.Address, OrderID: c.OrderID, Detail: results[i].Detail})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.emit(Event{Type: "change_started", Address: c.Address, OrderID: c.OrderID})
			subs := pending[i]
			for _, s := range subs {
				r.send(ctx, p, s)
			}
			mu.Lock()
			out[i] = subs
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// send makes one journaled write.
func (r *run) send(ctx context.Context, p *plan.Plan, s *submission) {
	c := s.change
	s.id = newID()
	if ctx.Err() != nil {
		s.state, s.detail = "", "not sent: the run was interrupted"
		return
	}
	intent := journal.Record{Kind: journal.KindIntent, ID: s.id, Call: s.call, Address: c.Address, OrderID: c.OrderID,
		CampaignID: c.CampaignID, BusinessID: r.opt.BusinessID, Targets: s.targets}
	if err := r.opt.Journal.Append(intent); err != nil {
		// Without a durable intent the write must not go out: a crash
		// after it would leave no trace of it.
		s.state, s.detail = journal.KindFailed, "not sent: "+err.Error()
		r.emit(Event{Type: "change_failed", Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
		return
	}
	// An interrupt (ctx) ends the wait for the rate limiter; a write the
	// client has sent runs to its answer regardless (the client never cuts
	// a write's exchange short).
	var err error
	var ops []provider.Operation
	switch s.call {
	case journal.CallTrack:
		err = r.api.SetTrack(ctx, c.CampaignID, c.OrderID, *c.Track)
	case journal.CallUpdate:
		ops, err = r.api.UpdateOrder(ctx, c.CampaignID, *c.Update)
	}
	// Grace periods count from here, not from the intent: a write may wait
	// long for the rate limiter before it leaves.
	s.sentAt = r.opt.Now()
	rec := journal.Record{ID: s.id, OrderID: c.OrderID}
	switch {
	case err != nil && ctx.Err() != nil && !errors.Is(err, provider.ErrOutcomeUnknown) && errors.Is(err, ctx.Err()):
		// Interrupted while waiting for its turn: it never left.
		rec.Kind, rec.Error = journal.KindFailed, "not sent: the run was interrupted"
		_ = r.opt.Journal.Append(rec)
		s.state, s.detail = "", rec.Error
		r.emit(Event{Type: "change_skipped", Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
		return
	case err == nil:
		rec.Kind = journal.KindSubmitted
		for _, o := range ops {
			rec.Operations = append(rec.Operations, journal.Operation{ID: o.ID, Type: o.Type})
		}
		s.operations = rec.Operations
		r.emit(Event{Type: "change_applied", Address: c.Address, OrderID: c.OrderID, Call: s.call, Operations: opIDs(s.operations)})
	case errors.Is(err, provider.ErrOutcomeUnknown):
		rec.Kind, rec.Error = journal.KindUnknown, err.Error()
		s.cause = err
		s.detail = fmt.Sprintf("sent, but no answer from the API (%v), and the order does not show the change yet; it is journaled as in flight: `orderform plan` re-checks it, and it is not sent again blind", err)
		r.emit(Event{Type: "change_unknown", Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
	default:
		rec.Kind, rec.Error = journal.KindFailed, err.Error()
		if ae, ok := provider.AsAPIError(err); ok {
			s.code = ae.Code()
		}
		s.detail = err.Error()
		r.emit(Event{Type: "change_failed", Address: c.Address, OrderID: c.OrderID, Call: s.call, Code: s.code, Detail: s.detail})
	}
	s.state = rec.Kind
	if jerr := r.opt.Journal.Append(rec); jerr != nil && rec.Kind != journal.KindFailed {
		// The Market has it (or may), but the journal does not know how
		// it ended: the next run finds the bare intent and can only wait
		// for the order to show it. Not a success.
		s.state, s.cause = journal.KindUnknown, jerr
		s.detail = fmt.Sprintf("sent, but the journal could not record the answer (%v): the next run waits for the order to show the change instead of following it", jerr)
		r.emit(Event{Type: "change_unknown", Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
	}
}

func opIDs(ops []journal.Operation) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.ID
	}
	return out
}

// follow waits until every submitted write is confirmed or failed, or Wait
// runs out. Updates with operations are followed through the operations
// endpoint when the business is known; everything else by re-reading the
// orders until they show the change.
func (r *run) follow(ctx context.Context, all map[int][]*submission) {
	open := pick(all, journal.KindSubmitted, journal.KindUnknown)
	deadline := r.opt.Now().Add(r.opt.Wait)
	for len(open) > 0 {
		r.poll(ctx, open)
		var still []*submission
		for _, s := range open {
			if s.state == journal.KindSubmitted || s.state == journal.KindUnknown {
				still = append(still, s)
			}
		}
		open = still
		if len(open) == 0 || !r.opt.Now().Before(deadline) {
			return
		}
		r.emit(Event{Type: "waiting", Pending: len(open)})
		t := time.NewTimer(min(r.opt.PollInterval, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// pick returns the submissions whose state is one of states.
func pick(all map[int][]*submission, states ...string) []*submission {
	var out []*submission
	for _, ss := range all {
		for _, s := range ss {
			if slices.Contains(states, s.state) {
				out = append(out, s)
			}
		}
	}
	return out
}

// poll checks every open submission once.
func (r *run) poll(ctx context.Context, open []*submission) {
	defer r.flush()
	byType := map[string][]string{}
	opOwner := map[string]*submission{}
	var reread []*submission
	for _, s := range open {
		if s.call == journal.CallUpdate && s.state == journal.KindSubmitted && r.opt.BusinessID != 0 && len(s.operations) > 0 {
			for _, o := range s.operations {
				byType[o.Type] = append(byType[o.Type], o.ID)
				opOwner[o.ID] = s
			}
			continue
		}
		reread = append(reread, s)
	}
	// Operations: a submission is done when all its operations are DONE,
	// failed when any FAILED.
	status := map[string]string{}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		ops, err := r.api.Operations(ctx, r.opt.BusinessID, t, byType[t])
		if err != nil {
			continue // tried again next round; reads retry inside the client already
		}
		for _, o := range ops {
			status[o.ID] = o.Status
		}
	}
	for _, s := range open {
		if len(s.operations) == 0 || opOwner[s.operations[0].ID] != s {
			continue
		}
		switch kind, _ := OperationsVerdict(s.operations, status); kind {
		case journal.KindFailed:
			r.settle(s, journal.KindFailed, "OPERATION_FAILED", "the Market reported the operation FAILED; the order is unchanged")
		case journal.KindConfirmed:
			r.settle(s, journal.KindConfirmed, "", "")
		}
	}
	if len(reread) == 0 {
		return
	}
	seen := map[int64]bool{}
	var refs []OrderRef
	for _, s := range reread {
		if !seen[s.change.OrderID] {
			seen[s.change.OrderID] = true
			refs = append(refs, OrderRef{OrderID: s.change.OrderID, CampaignID: s.change.CampaignID, Recipient: s.change.NeedsRecipient()})
		}
	}
	orders, err := r.reader.ReadOrders(ctx, refs)
	if err != nil {
		return
	}
	for _, s := range reread {
		o, ok := orders[s.change.OrderID]
		switch {
		case !ok:
		case plan.Applied(s.targets, o):
			r.settle(s, journal.KindConfirmed, "", "")
		case s.call == journal.CallTrack && s.state == journal.KindUnknown:
			// The Market sets a track synchronously. If it answered (a
			// 5xx), it is done with the request: an order without the
			// track proves the write was not applied. Without an answer
			// it may still be at work: give it TrackGrace.
			ae, answered := provider.AsAPIError(s.cause)
			if answered && (ae.StatusCode == 502 || ae.StatusCode == 503 || ae.StatusCode == 504) {
				answered = false // a gateway's answer: the Market may still be at work
			}
			if !answered && r.opt.Now().Sub(s.sentAt) < TrackGrace {
				break
			}
			code := ""
			if answered {
				code = ae.Code()
			}
			r.settle(s, journal.KindFailed, code, fmt.Sprintf("%v; re-read, the order does not show the track: it was not applied, apply again to send it", s.cause))
		}
	}
}

// settle records what became of s. Its journal record goes out with the
// poll's others in one fsync (see flush): a verdict lost in a crash only
// makes the next run re-read the order and reach it again.
// OperationsVerdict judges a write by the statuses of its operations (ID ->
// status, as the operations endpoint reported them): journal.KindConfirmed
// when all are DONE, journal.KindFailed when all are over and one FAILED
// (until then a sibling may still change the order), "" while any runs.
// known is false when the status of one is missing.
func OperationsVerdict(ops []journal.Operation, status map[string]string) (kind string, known bool) {
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
		return journal.KindFailed, known
	case over:
		return journal.KindConfirmed, known
	}
	return "", known
}

func (r *run) settle(s *submission, kind, code, detail string) {
	s.state, s.code, s.detail = kind, code, detail
	r.settled = append(r.settled, settled{s, journal.Record{Kind: kind, ID: s.id, OrderID: s.change.OrderID, Error: detail}})
	typ := "change_confirmed"
	if kind == journal.KindFailed {
		typ = "change_failed"
	}
	r.emit(Event{Type: typ, Address: s.change.Address, OrderID: s.change.OrderID, Call: s.call, Code: code, Detail: detail})
}

type settled struct {
	s   *submission
	rec journal.Record
}

// flush journals the verdicts settle collected.
func (r *run) flush() {
	if len(r.settled) == 0 {
		return
	}
	recs := make([]journal.Record, len(r.settled))
	for i, x := range r.settled {
		recs[i] = x.rec
	}
	if err := r.opt.Journal.Append(recs...); err != nil {
		for _, x := range r.settled {
			if x.s.detail == "" {
				x.s.detail = "journal: " + err.Error()
			}
		}
	}
	r.settled = r.settled[:0]
}

// summarize folds the submissions of one change into its result: the worst
// of them wins.
func summarize(res Result, subs []*submission) Result {
	rank := map[Outcome]int{Confirmed: 0, Applied: 1, Skipped: 2, Unknown: 3, Failed: 4}
	res.Outcome = Confirmed
	for _, s := range subs {
		var o Outcome
		switch s.state {
		case journal.KindConfirmed:
			o = Confirmed
		case journal.KindSubmitted:
			o = Applied
		case journal.KindUnknown:
			o = Unknown
		case journal.KindFailed:
			o = Failed
		default:
			o = Skipped
		}
		res.Operations = append(res.Operations, opIDs(s.operations)...)
		if rank[o] >= rank[res.Outcome] {
			res.Outcome = o
			if s.code != "" {
				res.Code = s.code
			}
			if s.detail != "" {
				res.Detail = s.detail
			}
		}
	}
	return res
}
