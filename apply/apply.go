// Package apply is stage four: it executes a plan. It does exactly what the
// plan says and never re-decides, with three exceptions that only ever
// remove work: an order whose state moved since the plan is skipped as
// stale, an order that already shows the change is not written again, and a
// change the journal says is still in flight is left to finish. A deferred
// change (plan.Deferred) is the plan's too: it is made only when the
// re-read order's status allows it (plan.Deferred.Recheck), and until then
// reported deferred, nothing sent.
//
// Every write is journaled (intent before, fsynced before it leaves; outcome
// after, fsynced with the next write's intent or before the run goes on), so a
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
	"maps"
	"slices"
	"sort"
	"strings"
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
	SetDeliveryDate(ctx context.Context, campaignID, orderID int64, d provider.DeliveryDate) error
	Operations(ctx context.Context, businessID int64, opType string, ids []string) ([]provider.Operation, error)
}

// Reader re-reads orders: before writing (is the plan still true?) and after
// (has the Market applied it?). Orders it cannot find are absent from the
// answer.
type Reader interface {
	ReadOrders(ctx context.Context, refs []provider.OrderRef) (map[int64]provider.Order, error)
}

// Outcome is how a change ended.
type Outcome string

const (
	Confirmed Outcome = "confirmed" // the order shows the change
	Applied   Outcome = "applied"   // accepted by the API, not yet confirmed (pending)
	Failed    Outcome = "failed"    // refused, or its operation failed, or no answer and never confirmed
	Stale     Outcome = "stale"     // the order changed since the plan: not touched
	Pending   Outcome = "pending"   // an earlier submission is still in flight: not sent again
	Unchanged Outcome = "unchanged" // the order already shows the change: nothing sent
	Skipped   Outcome = "skipped"   // not started: interrupted before its turn
	// Deferred: the order's status does not allow the change yet: nothing
	// sent, and the next apply that finds it allowed sends it.
	Deferred Outcome = "deferred"
	// Unknown: sent, no answer, and the order does not show it yet. It is
	// journaled as in flight, so no later run sends it blind.
	Unknown Outcome = "unknown"
)

// OperationsBudget is how many requests to the operations endpoint one run
// may make while it follows its updates (each made once, never retried): 5% of the endpoint's documented quota
// of 1,000 an hour, so that a failing endpoint (or one answering nothing)
// never eats the quota other runs and tools need. Past it, or while the
// endpoint fails, updates are followed by re-reading the orders.
const OperationsBudget = 50

// Result is what happened to one planned change.
// (Its JSON form is the views' business: internal/views.)
type Result struct {
	Address    string
	OrderID    int64
	CampaignID int64
	Outcome    Outcome
	Fields     []string
	Operations []string
	Code       string // the API's error code, when it gave one
	Detail     string
}

// EventType is what one step of a run was. Its value is also its name in
// the -json stream.
type EventType string

// The steps of a run.
const (
	ChangeStarted   EventType = "change_started"   // its first write is about to be sent
	ChangeApplied   EventType = "change_applied"   // a write was accepted
	ChangeUnknown   EventType = "change_unknown"   // a write got no answer
	ChangeConfirmed EventType = "change_confirmed" // the order shows a write
	ChangeFailed    EventType = "change_failed"    // a write was refused, or did not take
	ChangeStale     EventType = "change_stale"     // the order moved since the plan: not touched
	ChangeSkipped   EventType = "change_skipped"   // not sent: the run was interrupted
	ChangeDeferred  EventType = "change_deferred"  // not sent: the order's status does not allow it yet
	Waiting         EventType = "waiting"          // following writes still open (Pending of them)
)

// Event is one step of a run, for progress displays and -json streams.
type Event struct {
	Type       EventType
	Address    string
	OrderID    int64
	Call       string
	Operations []string
	Code       string
	Detail     string
	Pending    int
}

// Journal is where apply records its writes (a journal.Backend, stamped with
// the endpoint by the caller). Append returns once the records are durable.
type Journal interface {
	Append(records ...journal.Record) error
}

// Options tune a run.
type Options struct {
	Journal     Journal
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
	// Key keys the fingerprints, as the plan's were (plan.Key).
	Key plan.Key
	// PerCampaign, when > 0, bounds the changes of one campaign in flight
	// at once: the client's limit of parallel requests per campaign
	// (provider.Client.Parallel).
	PerCampaign int
	// Read, when set, are orders as the plan was just made from them,
	// read by this run under the locks it still holds, with nobody asked
	// to confirm in between: a change of one of them is checked against
	// it, the freshest read there is, instead of reading it again; the
	// orders of the other changes are re-read. The caller leaves out the
	// orders an earlier write may be changing meanwhile. A saved plan, or
	// one a person confirmed, is checked against a new read.
	Read map[int64]provider.Order
	// BusinessOf, when BusinessID is 0, names the business of a campaign's
	// orders (refresh.Reader.Business: the one learnt from the campaign, 0
	// if none), so that updates are followed and journaled in it.
	BusinessOf func(campaignID int64) int64
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
	request    plan.Call // what is sent (none for an earlier run's write)
	change     *plan.Change
	targets    map[string]string
	operations []journal.Operation
	state      string // journal kind of its latest record
	code       string
	detail     string
	cause      error // why the outcome is unknown (journal.KindUnknown)
	sentAt     time.Time
	recipient  bool // re-reading needs the order's recipient
	// business: its operations are asked in this business (0: none known).
	business int64
	// earlier: a write of an earlier run, still in flight, that this run
	// follows instead of sending again.
	earlier bool
	// why the Market has not confirmed it yet, for the report.
	why string
	// unknownWhy: an earlier write the Market answered whose outcome
	// cannot be learnt (plan.Pending.Why).
	unknownWhy string
	// outcome waits for the write's outcome to be journaled and returns
	// the error (see journaled); nil when there is none to wait for.
	outcome func() error
}

type run struct {
	api    API
	reader Reader
	opt    Options
	emit   func(Event)
	mu     sync.Mutex

	settled []settled // verdicts of the poll under way, not yet journaled
	opCalls int       // requests to the operations endpoint so far (OperationsBudget)
	opErr   error     // the operations endpoint's last failure, if its last answer was one
	// rereadsUntil: a rate limit refuses re-reading the orders before
	// this (the last re-read's *provider.RateLimitError), zero if none.
	rereadsUntil time.Time
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
	if len(p.Changes) == 0 && len(p.Pending) == 0 && len(p.Deferred) == 0 {
		return rep, nil
	}
	// The changes, then the deferred ones: a deferred change whose order
	// now allows it is made like any other.
	changes := make([]*plan.Change, 0, len(p.Changes)+len(p.Deferred))
	for i := range p.Changes {
		changes = append(changes, &p.Changes[i])
	}
	for i := range p.Deferred {
		changes = append(changes, &p.Deferred[i].Change)
	}
	deferred := func(i int) *plan.Deferred {
		if i < len(p.Changes) {
			return nil
		}
		return &p.Deferred[i-len(p.Changes)]
	}

	// Is the plan still true? One batched re-read of every order it
	// touches, unless the caller has just read them (Options.Read).
	refs := make([]provider.OrderRef, 0, len(changes))
	for _, c := range changes {
		refs = append(refs, provider.OrderRef{OrderID: c.OrderID, CampaignID: c.CampaignID, Recipient: c.NeedsRecipient()})
	}
	now := map[int64]provider.Order{}
	switch {
	case len(refs) == 0:
	case opt.Read != nil:
		var again []provider.OrderRef
		for _, ref := range refs {
			if o, ok := opt.Read[ref.OrderID]; ok {
				now[ref.OrderID] = o
			} else {
				again = append(again, ref)
			}
		}
		if len(again) > 0 {
			more, err := reader.ReadOrders(ctx, again)
			if err != nil {
				return rep, fmt.Errorf("re-read orders before applying: %w", err)
			}
			maps.Copy(now, more)
		}
	default:
		var err error
		if now, err = reader.ReadOrders(ctx, refs); err != nil {
			return rep, fmt.Errorf("re-read orders before applying: %w", err)
		}
	}
	results := make([]Result, len(changes), len(changes)+len(p.Pending))
	staleKey := opt.Key
	if p.UnkeyedObserved {
		staleKey = nil
	}
	var todo []int
	pending := map[int][]*submission{}
	for i, c := range changes {
		res := Result{Address: c.Address, OrderID: c.OrderID, CampaignID: c.CampaignID, Fields: fieldPaths(c.Fields)}
		o, found := now[c.OrderID]
		d := deferred(i)
		switch {
		case !found:
			res.Outcome, res.Detail = Stale, "the order can no longer be read"
		case plan.Applied(opt.Key, plan.Targets(opt.Key, c.Fields), o):
			res.Outcome, res.Detail = Unchanged, "the order already shows this change"
		default:
			if d != nil {
				ready, why := d.Recheck(staleKey, o)
				switch {
				case why != "":
					res.Outcome, res.Detail = Stale, why+"; plan again"
				case !ready:
					res.Outcome, res.Detail = Deferred, fmt.Sprintf("the order is %s; %s waits for %s", o.Status, d.Blocks, strings.Join(d.WaitsFor[:min(1, len(d.WaitsFor))], ""))
				}
				if !ready {
					break
				}
			} else if why := c.Stale(staleKey, o); why != "" {
				res.Outcome, res.Detail = Stale, why+"; plan again"
				break
			}
			// What is sent is made from the plan's fields and this read,
			// never taken from anywhere else (a saved plan has no calls).
			var err error
			if c.Calls, err = c.MakeCalls(o); err != nil {
				res.Outcome, res.Detail = Failed, "not sent: "+err.Error()
				r.emit(Event{Type: ChangeFailed, Address: c.Address, OrderID: c.OrderID, Detail: res.Detail})
				break
			}
			send, why := r.unsent(c)
			switch {
			case why != "":
				res.Outcome, res.Detail = Stale, why+"; plan again once it has finished"
			case len(send) == 0:
				res.Outcome, res.Detail = Pending, "an earlier submission of this change is still being applied"
			default:
				todo = append(todo, i)
				pending[i] = send
			}
		}
		switch res.Outcome {
		case Stale:
			r.emit(Event{Type: ChangeStale, Address: c.Address, OrderID: c.OrderID, Detail: res.Detail})
		case Deferred:
			r.emit(Event{Type: ChangeDeferred, Address: c.Address, OrderID: c.OrderID, Detail: res.Detail})
		}
		results[i] = res
	}

	subs := r.submit(ctx, p, changes, todo, pending, results)
	// What earlier runs left in flight is reported too, and a write of
	// theirs that never got an answer is followed like one of ours: the
	// report must not call pending what nobody can learn.
	for _, pd := range p.Pending {
		i := len(results)
		res := Result{Address: pd.Address, OrderID: pd.OrderID, CampaignID: pd.CampaignID, Fields: pd.Fields,
			Outcome: Pending, Operations: pd.Operations, Detail: "an earlier submission of this change is still being applied"}
		if pd.Unknown {
			res.Outcome = Unknown
			res.Detail = "an earlier write of this change got no answer, and the order does not show it yet; it is not sent again blind"
			if pd.Why != "" {
				res.Detail = "an earlier write of this change was " + pd.Why + ", and the order does not show it yet; it is not sent again blind"
			}
		}
		results = append(results, res)
		if es := r.earlier(pd); len(es) > 0 {
			subs[i] = es
		}
	}
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

// business is the business the orders of a campaign belong to, 0 if not
// known.
func (r *run) business(campaignID int64) int64 {
	if r.opt.BusinessID == 0 && r.opt.BusinessOf != nil {
		return r.opt.BusinessOf(campaignID)
	}
	return r.opt.BusinessID
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
	for _, s := range calls(c, r.opt.Key) {
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

// earlier returns the journal's open submissions that carry a pending
// entry's fields: the writes of earlier runs this run reports on (and
// follows, when their outcome is unknown).
func (r *run) earlier(pd plan.Pending) []*submission {
	var out []*submission
	for _, e := range r.opt.InFlight {
		if e.OrderID != pd.OrderID {
			continue
		}
		carries := false
		for _, f := range pd.Fields {
			if _, ok := e.Targets[f]; ok {
				carries = true
			}
		}
		if !carries {
			continue
		}
		s := &submission{id: e.ID, call: e.Call, targets: e.Targets, operations: e.Operations, earlier: true,
			change: &plan.Change{Address: pd.Address, OrderID: pd.OrderID, CampaignID: pd.CampaignID},
			sentAt: e.LastAt, state: journal.KindSubmitted, business: e.BusinessID}
		if s.business == 0 {
			s.business = r.business(pd.CampaignID)
		}
		if s.sentAt.IsZero() {
			s.sentAt = e.SubmittedAt
		}
		if e.State != journal.KindSubmitted {
			s.state = journal.KindUnknown
			if e.Error != "" {
				s.cause = errors.New(e.Error)
			}
		}
		if pd.Unknown && pd.Why != "" && e.State == journal.KindSubmitted {
			// Answered, but what became of it cannot be learnt: followed
			// by re-reading its order, and reported unknown, never pending.
			s.state, s.unknownWhy = journal.KindUnknown, pd.Why
		}
		for k := range e.Targets {
			if plan.ReadsRecipient(k) {
				s.recipient = true
			}
		}
		out = append(out, s)
	}
	return out
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// calls splits a change into its submissions, one per API call (see
// plan.Change.MakeCalls), each with the journal targets of the fields it
// sets.
func calls(c *plan.Change, k plan.Key) []*submission {
	var out []*submission
	for _, call := range c.Calls {
		out = append(out, &submission{call: string(call.Kind), request: call, change: c,
			targets: plan.Targets(k, c.FieldsOf(call.Kind)), recipient: c.NeedsRecipient()})
	}
	return out
}

// submit sends the writes of the changes at todo, at most Parallelism
// changes at a time. An interrupt (ctx) stops new changes from starting;
// writes already sent run to their answer and are journaled.
func (r *run) submit(ctx context.Context, p *plan.Plan, changes []*plan.Change, todo []int, pending map[int][]*submission, results []Result) map[int][]*submission {
	out := make(map[int][]*submission, len(todo))
	var mu sync.Mutex
	sem := make(chan struct{}, r.opt.Parallelism)
	// Per campaign, no more changes at once than the client lets requests
	// in flight: one more would be admitted by the rate limiter, which
	// counts it from then, only to wait for a parallel slot, and a quota
	// paced from those late ends slips a little every period.
	perCampaign := map[int64]chan struct{}{}
	if r.opt.PerCampaign > 0 {
		for _, i := range todo {
			if id := changes[i].CampaignID; perCampaign[id] == nil {
				perCampaign[id] = make(chan struct{}, r.opt.PerCampaign)
			}
		}
	}
	var wg sync.WaitGroup
	for _, i := range todo {
		c := changes[i]
		select {
		case <-ctx.Done():
		case sem <- struct{}{}:
		}
		if ctx.Err() != nil {
			results[i].Outcome, results[i].Detail = Skipped, "not started: the run was interrupted"
			r.emit(Event{Type: ChangeSkipped, Address: c.Address, OrderID: c.OrderID, Detail: results[i].Detail})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			subs := pending[i]
			if cs := perCampaign[c.CampaignID]; cs != nil {
				select {
				case <-ctx.Done():
					for _, s := range subs {
						s.detail = "not started: the run was interrupted"
					}
					mu.Lock()
					out[i] = subs
					mu.Unlock()
					return
				case cs <- struct{}{}:
				}
				defer func() { <-cs }()
			}
			r.emit(Event{Type: ChangeStarted, Address: c.Address, OrderID: c.OrderID})
			for _, s := range subs {
				r.send(ctx, p, s)
			}
			mu.Lock()
			out[i] = subs
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, subs := range out {
		for _, s := range subs {
			r.journaled(s)
		}
	}
	return out
}

// send makes one journaled write. Its intent is journaled at the last
// moment before it leaves (provider.BeforeSend: after the rate limiter and
// the parallel slot), so a write that is still waiting its turn when the run
// dies leaves no trace, and the next run sends it; an intent always means
// the write left, or was leaving. An attempt the Market refused unprocessed
// (a 420) has its intent closed before the retry waits its turn
// (provider.NotProcessed), and the retry journals an intent of its own: a
// crash during that wait leaves no intent either.
func (r *run) send(ctx context.Context, p *plan.Plan, s *submission) {
	c := s.change
	s.id = newID()
	s.business = r.business(c.CampaignID)
	if ctx.Err() != nil {
		s.state, s.detail = "", "not sent: the run was interrupted"
		return
	}
	// open: an intent of this write is journaled and its outcome is not.
	var open bool
	var jerr error
	leaving := provider.BeforeSend(ctx, func() error {
		if open {
			return nil // a retry whose attempt before could not be closed: the intent covers it
		}
		// Without a durable intent the write must not go out: a crash
		// after it would leave no trace of it.
		intent := journal.Record{Kind: journal.KindIntent, ID: s.id, Call: s.call, Address: c.Address, OrderID: c.OrderID,
			CampaignID: c.CampaignID, BusinessID: s.business, Targets: s.targets}
		if err := r.opt.Journal.Append(intent); err != nil {
			jerr = err
			return err
		}
		open = true
		return nil
	})
	leaving = provider.NotProcessed(leaving, func(why error) {
		if !open {
			return
		}
		rec := journal.Record{Kind: journal.KindFailed, ID: s.id, OrderID: c.OrderID,
			Error: fmt.Sprintf("not processed, to be sent again: %v", why)}
		if err := r.opt.Journal.Append(rec); err != nil {
			return // the intent stays open and covers the retry: held back, never doubled
		}
		open = false
		s.id = newID() // the retry is a submission of its own
	})
	// An interrupt (ctx) ends the wait for the rate limiter; a write the
	// client has sent runs to its answer regardless (the client never cuts
	// a write's exchange short).
	ops, err := r.write(leaving, c, s.request)
	// Grace periods count from the answer (or the giving up on it).
	s.sentAt = r.opt.Now()
	if !open {
		// It never left, or the Market refused every attempt that did
		// unprocessed: no intent is open, nothing can have changed.
		switch {
		case jerr != nil:
			s.state, s.detail = journal.KindFailed, "not sent: "+jerr.Error()
			r.emit(Event{Type: ChangeFailed, Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
		case err == nil:
			// An API that never called the hook: the write's fate cannot
			// be journaled. Not a success.
			s.state, s.detail = journal.KindUnknown, "the API made the write without journaling it first"
			s.cause = errors.New(s.detail)
			r.emit(Event{Type: ChangeUnknown, Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			s.state, s.detail = "", "not sent: the run was interrupted"
			r.emit(Event{Type: ChangeSkipped, Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
		default:
			s.state, s.detail = journal.KindFailed, "not sent: "+err.Error()
			var rl *provider.RateLimitError
			if errors.As(err, &rl) {
				s.code = "RATE_LIMITED"
			} else if ae, ok := provider.AsAPIError(err); ok {
				s.code = ae.Code()
			}
			r.emit(Event{Type: ChangeFailed, Address: c.Address, OrderID: c.OrderID, Call: s.call, Code: s.code, Detail: s.detail})
		}
		return
	}
	// What the answer makes of the write is journal.Answer's to say.
	rec := journal.Record{ID: s.id, OrderID: c.OrderID, Kind: journal.Answer(err)}
	switch rec.Kind {
	case journal.KindSubmitted:
		for _, o := range ops {
			rec.Operations = append(rec.Operations, journal.Operation{ID: o.ID, Type: o.Type})
		}
		s.operations = rec.Operations
		r.emit(Event{Type: ChangeApplied, Address: c.Address, OrderID: c.OrderID, Call: s.call, Operations: opIDs(s.operations)})
	case journal.KindUnknown:
		rec.Error = err.Error()
		s.cause = err
		s.detail = fmt.Sprintf("sent, but no answer from the API (%v), and the order does not show the change yet; it is journaled as in flight: `orderform plan` re-checks it, and it is not sent again blind", err)
		r.emit(Event{Type: ChangeUnknown, Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
	default:
		// An answer, whatever its status: the Market did not apply it.
		rec.Error = err.Error()
		if ae, ok := provider.AsAPIError(err); ok {
			s.code = ae.Code()
		}
		s.detail = err.Error()
		r.emit(Event{Type: ChangeFailed, Address: c.Address, OrderID: c.OrderID, Call: s.call, Code: s.code, Detail: s.detail})
	}
	s.state = rec.Kind
	// The outcome is made durable with the next write's intent, which must
	// be on disk before that write leaves, in the same fsync: submit waits
	// for every outcome before the run follows, re-reads or reports
	// (journaled).
	if lj, ok := r.opt.Journal.(journal.LaterAppender); ok {
		s.outcome = lj.AppendLater(rec)
		return
	}
	done := make(chan error, 1)
	go func() { done <- r.opt.Journal.Append(rec) }()
	s.outcome = func() error { return <-done }
}

// journaled waits until the outcome of s that send recorded is durable. A
// write the Market has (or may have) whose outcome the journal could not
// record is not a success: the next run finds the bare intent and can only
// wait for the order to show it.
func (r *run) journaled(s *submission) {
	if s.outcome == nil {
		return
	}
	jerr := s.outcome()
	s.outcome = nil
	if jerr != nil && s.state != journal.KindFailed {
		c := s.change
		s.state, s.cause = journal.KindUnknown, jerr
		s.detail = fmt.Sprintf("sent, but the journal could not record the answer (%v): the next run waits for the order to show the change instead of following it", jerr)
		r.emit(Event{Type: ChangeUnknown, Address: c.Address, OrderID: c.OrderID, Call: s.call, Detail: s.detail})
	}
}

// write makes one API call, by its kind.
func (r *run) write(ctx context.Context, c *plan.Change, call plan.Call) ([]provider.Operation, error) {
	switch {
	case call.Kind == plan.CallTrack && call.Track != nil:
		return nil, r.api.SetTrack(ctx, c.CampaignID, c.OrderID, *call.Track)
	case call.Kind == plan.CallUpdate && call.Update != nil:
		return r.api.UpdateOrder(ctx, c.CampaignID, *call.Update)
	case call.Kind == plan.CallDeliveryDate && call.DeliveryDate != nil:
		return nil, r.api.SetDeliveryDate(ctx, c.CampaignID, c.OrderID, *call.DeliveryDate)
	}
	return nil, fmt.Errorf("orderform cannot make a %q call", call.Kind)
}

func opIDs(ops []journal.Operation) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.ID
	}
	return out
}

// follow waits until every submitted write is confirmed or failed, or Wait
// runs out, or nothing left open can be learnt any more: a write without an
// answer is followed for journal.TrackGrace after it was given up on, not
// for the whole Wait. Updates with operations are followed through the
// operations endpoint (within OperationsBudget); every write not settled by
// it is followed by re-reading its order. The pause between polls grows by
// half each round, from PollInterval up to 15 times it.
func (r *run) follow(ctx context.Context, all map[int][]*submission) {
	open := pick(all, journal.KindSubmitted, journal.KindUnknown)
	open = slices.DeleteFunc(open, func(s *submission) bool {
		// An earlier run's update with operations: Reconcile asked about
		// them already; this run does not hold for them.
		return s.earlier && s.state == journal.KindSubmitted
	})
	deadline := r.opt.Now().Add(r.opt.Wait)
	pause := r.opt.PollInterval
	for len(open) > 0 {
		r.poll(ctx, open)
		var still []*submission
		for _, s := range open {
			if s.state == journal.KindSubmitted || s.state == journal.KindUnknown {
				still = append(still, s)
			}
		}
		open = still
		now := r.opt.Now()
		if len(open) == 0 || !now.Before(deadline) || !r.learnable(open, now) || r.stuck(open, deadline) {
			return
		}
		r.emit(Event{Type: Waiting, Pending: len(open)})
		t := time.NewTimer(min(pause, deadline.Sub(now)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(pause*3/2, 15*r.opt.PollInterval)
	}
}

// learnable reports whether a later poll may still settle one of this run's
// open writes: one with an answer (the Market has it) may always be
// confirmed; one without an answer only within journal.TrackGrace of giving
// up on it. An earlier run's write is re-read with this run's, never waited
// for on its own: a rerun reports what it finds at once.
func (r *run) learnable(open []*submission, now time.Time) bool {
	for _, s := range open {
		if !s.earlier && (s.state == journal.KindSubmitted || now.Sub(s.sentAt) < journal.TrackGrace) {
			return true
		}
	}
	return false
}

// stuck reports whether no later poll of this run can settle any of open: a
// rate limit refuses re-reading the orders until after deadline, and none
// of them can be followed through the operations endpoint any more.
// Polling a refusal until -wait runs out would only hold the run.
func (r *run) stuck(open []*submission, deadline time.Time) bool {
	if r.rereadsUntil.IsZero() || r.rereadsUntil.Before(deadline) {
		return false
	}
	for _, s := range open {
		if !plan.CallKind(s.call).Synchronous() && s.state == journal.KindSubmitted && len(s.operations) > 0 &&
			s.business != 0 && r.opCalls < OperationsBudget {
			return false
		}
	}
	return true
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

// poll checks every open submission once: updates through the operations
// endpoint while the business is known and the budget lasts, then every
// submission still open by re-reading its order.
func (r *run) poll(ctx context.Context, open []*submission) {
	defer r.flush()
	// The operations of one business and type are asked together.
	type opKey struct {
		business int64
		opType   string
	}
	byKey := map[opKey][]string{}
	opOwner := map[string]*submission{}
	for _, s := range open {
		if !plan.CallKind(s.call).Synchronous() && s.state == journal.KindSubmitted && s.business != 0 && len(s.operations) > 0 {
			for _, o := range s.operations {
				k := opKey{s.business, o.Type}
				byKey[k] = append(byKey[k], o.ID)
				opOwner[o.ID] = s
			}
		}
	}
	// Operations: a submission is done when all its operations are DONE,
	// failed when all are over and one FAILED.
	status := map[string]string{}
	keys := make([]opKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].business != keys[j].business {
			return keys[i].business < keys[j].business
		}
		return keys[i].opType < keys[j].opType
	})
	for _, k := range keys {
		ids := byKey[k]
		for len(ids) > 0 {
			n := min(len(ids), operationsBatch)
			if r.opCalls >= OperationsBudget {
				r.opErr = fmt.Errorf("this run's budget of %d calls to the operations endpoint is spent", OperationsBudget)
				break
			}
			r.opCalls++
			// One request a call: the budget counts requests, and a
			// failure is followed by re-reading the orders at once, not
			// after the client's retries.
			ops, err := r.api.Operations(provider.OneAttempt(ctx), k.business, k.opType, ids[:n])
			ids = ids[n:]
			if err != nil {
				r.opErr = err // re-read below; reads retry inside the client already
				continue
			}
			r.opErr = nil
			for _, o := range ops {
				status[o.ID] = o.Status
			}
		}
	}
	var reread []*submission
	for _, s := range open {
		if len(s.operations) == 0 || opOwner[s.operations[0].ID] != s {
			reread = append(reread, s)
			continue
		}
		kind, known := journal.OperationsVerdict(s.operations, status)
		switch kind {
		case journal.KindFailed:
			r.settle(s, journal.KindFailed, "OPERATION_FAILED", "the Market reported the operation FAILED; the order is unchanged")
			continue
		case journal.KindConfirmed:
			r.settle(s, journal.KindConfirmed, "", "")
			continue
		}
		switch {
		case known:
			s.why = "" // IN_PROGRESS: the ordinary wait
		case r.opErr != nil:
			s.why = fmt.Sprintf("the operations endpoint could not say how it went (%v)", r.opErr)
		default:
			s.why = "the operations endpoint did not report its operations"
		}
		// The order itself may show it before the endpoint does.
		reread = append(reread, s)
	}
	if len(reread) == 0 {
		return
	}
	seen := map[int64]bool{}
	var refs []provider.OrderRef
	for _, s := range reread {
		if !seen[s.change.OrderID] {
			seen[s.change.OrderID] = true
			refs = append(refs, provider.OrderRef{OrderID: s.change.OrderID, CampaignID: s.change.CampaignID, Recipient: s.recipient})
		}
	}
	orders, err := r.reader.ReadOrders(ctx, refs)
	r.rereadsUntil = time.Time{}
	if rl := (*provider.RateLimitError)(nil); errors.As(err, &rl) {
		r.rereadsUntil = rl.Until
	}
	if err != nil {
		for _, s := range reread {
			if s.why == "" {
				s.why = fmt.Sprintf("its order could not be re-read (%v)", err)
			}
		}
		return
	}
	for _, s := range reread {
		o, ok := orders[s.change.OrderID]
		switch {
		case !ok:
		case plan.Applied(r.opt.Key, s.targets, o):
			r.settle(s, journal.KindConfirmed, "", "")
		case plan.CallKind(s.call).Synchronous() && s.state == journal.KindUnknown && r.opt.Now().Sub(s.sentAt) >= journal.TrackGrace:
			// The Market sets a track synchronously. A write that got no
			// answer may still have been at work for a while; TrackGrace
			// later an order without the track proves it was not applied.
			why := "no answer"
			if s.cause != nil {
				why = s.cause.Error()
			}
			r.settle(s, journal.KindFailed, "", fmt.Sprintf("%s; %v later the order does not show the %s: it was not applied, apply again to send it",
				why, journal.TrackGrace, plan.CallKind(s.call).Shows()))
		}
	}
}

// operationsBatch is the most operation IDs one call to the operations
// endpoint takes.
const operationsBatch = 100

// settle records what became of s. Its journal record goes out with the
// poll's others in one fsync (see flush): a verdict lost in a crash only
// makes the next run re-read the order and reach it again.
func (r *run) settle(s *submission, kind, code, detail string) {
	s.state, s.code, s.detail = kind, code, detail
	r.settled = append(r.settled, settled{s, journal.Record{Kind: kind, ID: s.id, OrderID: s.change.OrderID, Error: detail}})
	typ := ChangeConfirmed
	if kind == journal.KindFailed {
		typ = ChangeFailed
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
	rank := map[Outcome]int{Confirmed: 0, Applied: 1, Pending: 1, Skipped: 2, Unknown: 3, Failed: 4}
	res.Outcome = Confirmed
	res.Operations = nil
	for _, s := range subs {
		var o Outcome
		detail := s.detail
		switch s.state {
		case journal.KindConfirmed:
			o = Confirmed
		case journal.KindSubmitted:
			o = Applied
			if s.earlier {
				o = Pending
			}
			if s.why != "" {
				detail = "accepted, not confirmed yet: " + s.why
			}
		case journal.KindUnknown:
			o = Unknown
			if s.earlier && s.unknownWhy != "" {
				detail = fmt.Sprintf("an earlier write of this change (sent %s UTC) was %s, and the order does not show it yet; it is not sent again blind: apply again once the endpoint answers",
					s.sentAt.UTC().Format(time.DateTime), s.unknownWhy)
			} else if s.earlier {
				why := "got no answer"
				if s.cause != nil {
					why = fmt.Sprintf("got no answer (%v)", s.cause)
				}
				detail = fmt.Sprintf("an earlier write of this change (sent %s UTC) %s, and the order does not show it yet; it is not sent again blind: apply again after %s, when it counts as not applied",
					s.sentAt.UTC().Format(time.DateTime), why, graceEnd(s).UTC().Format("15:04 UTC"))
			}
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
			if detail != "" {
				res.Detail = detail
			}
		}
	}
	return res
}

// graceEnd is when an unanswered write stops counting as in flight: the
// next run then sends it again unless the order shows it.
func graceEnd(s *submission) time.Time {
	return s.sentAt.Add(journal.Grace(plan.CallKind(s.call).Synchronous()))
}
