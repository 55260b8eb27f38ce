// Package refresh reads the current state that plan and apply decide on:
// the declared orders (in batches, concurrently, within the provider's
// limits), their selling model, the intervals an order may move to, the
// data sources, and what became of the journal's earlier submissions.
//
// It sits between provider and plan so that plan stays free of I/O. It only
// reads: settling the journal is apply's, under the directory's lock. What
// became of an earlier write is judged by journal's rules (verdict.go), the
// ones apply follows its own writes by.
package refresh

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// API is the part of the Market API refresh reads through
// (*provider.Client implements it).
type API interface {
	GetOrder(ctx context.Context, campaignID, orderID int64) (provider.Order, error)
	ListCampaignOrders(ctx context.Context, campaignID int64, orderIDs []int64) ([]provider.Order, error)
	ListBusinessOrders(ctx context.Context, businessID int64, orderIDs []int64) ([]provider.Order, error)
	GetCampaign(ctx context.Context, campaignID int64) (provider.Campaign, error)
	UpdateOptions(ctx context.Context, campaignID, orderID int64) ([]provider.Interval, error)
	Operations(ctx context.Context, businessID int64, opType string, ids []string) ([]provider.Operation, error)
	DeliveryOptions(ctx context.Context, campaignID int64, r provider.DeliveryOptionsRequest) ([]provider.DeliveryOption, error)
}

// CampaignReadsShutdown is the day the campaign order reads (GET
// v2/campaigns/{campaignId}/orders and .../orders/{orderId}) shut down; they
// degrade from 2027-01-18. Orders are read through the business order list
// wherever the business is known, and through them only for what only they
// carry (a recipient) or when the business list is refused.
const CampaignReadsShutdown = "2027-04-12"

// Reader reads orders. It implements apply.Reader.
type Reader struct {
	API API
	// BusinessID is the provider block's business. 0: each campaign's is
	// learnt from GET v2/campaigns/{campaignId}, which a run asks anyway
	// for the campaign's selling model.
	BusinessID int64
	// Parallelism bounds the list calls in flight (default 10); the
	// provider bounds them again per campaign and per endpoint quota.
	Parallelism int
	// Key keys the journal's fingerprints (plan.Key).
	Key plan.Key

	mu        sync.Mutex
	campaigns map[int64]*campaignRead // asked once per run
	refused   map[int64]bool          // businesses whose order list answered 403
	fallbacks []Fallback
}

// campaignRead is one campaign's answer, asked once: the concurrent
// batches of one campaign all want it at once, and wait for one answer
// rather than each ask.
type campaignRead struct {
	mu   sync.Mutex
	done bool
	c    provider.Campaign
}

// Fallback is a business whose order list (POST
// v1/businesses/{businessId}/orders) refused this key (403), so that its
// orders were read through the deprecated campaign endpoints instead, which
// shut down on CampaignReadsShutdown. The command layer warns about it.
type Fallback struct {
	BusinessID int64
	Err        error // the refusal
}

func (r *Reader) parallelism() int {
	if r.Parallelism <= 0 {
		return 10
	}
	return r.Parallelism
}

// Business is the business the orders of a campaign are read and followed
// in: the reader's, else the one learnt from the campaign by an earlier
// read (0 when none is known yet). It makes no request.
func (r *Reader) Business(campaignID int64) int64 {
	if r.BusinessID != 0 {
		return r.BusinessID
	}
	r.mu.Lock()
	cr := r.campaigns[campaignID]
	r.mu.Unlock()
	if cr == nil {
		return 0
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	return cr.c.BusinessID
}

// Fallbacks are the businesses whose order list was refused so far, in
// the order they were refused.
func (r *Reader) Fallbacks() []Fallback {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.fallbacks)
}

// refuse records that a business's order list refused the key: its orders
// are read through their campaigns from now on.
func (r *Reader) refuse(businessID int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused[businessID] {
		return
	}
	if r.refused == nil {
		r.refused = map[int64]bool{}
	}
	r.refused[businessID] = true
	r.fallbacks = append(r.fallbacks, Fallback{BusinessID: businessID, Err: err})
}

func (r *Reader) isRefused(businessID int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused[businessID]
}

// forbidden reports a 403: the key may not use the business order list
// (a token issued for the campaign only). Any other failure is the read's.
func forbidden(err error) bool {
	ae, ok := provider.AsAPIError(err)
	return ok && ae.StatusCode == http.StatusForbidden
}

// businesses names the business of every campaign refs read in: the
// reader's, else each campaign's own (GET campaign, once per run). 0: the
// campaign names none, and its orders are read through it.
func (r *Reader) businesses(ctx context.Context, refs []provider.OrderRef) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, ref := range refs {
		out[ref.CampaignID] = r.BusinessID
	}
	if r.BusinessID != 0 {
		return out, nil
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.parallelism())
	for _, c := range sortedKeys(out) { // not the map itself: the goroutines write to it
		g.Go(func() error {
			cp, err := r.campaign(gctx, c)
			if err != nil {
				return err
			}
			mu.Lock()
			out[c] = cp.BusinessID
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

// ReadOrders reads the orders refs name. Where the business is known (the
// reader's, or learnt from the campaign) one batched business read gives
// status, dates, tracks and the selling model of every order, and the
// deprecated campaign list is read only for the orders whose recipient is
// needed (the business endpoint does not carry it). The campaign list reads
// the rest: the orders of a campaign that names no business, and of a
// business whose order list refuses the key (403), which Fallbacks then
// reports. Orders not found are absent from the answer.
func (r *Reader) ReadOrders(ctx context.Context, refs []provider.OrderRef) (map[int64]provider.Order, error) {
	business, err := r.businesses(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]provider.Order, len(refs))
	var mu sync.Mutex
	put := func(os []provider.Order, model map[int64]string) {
		mu.Lock()
		defer mu.Unlock()
		for _, o := range os {
			if m := model[o.ID]; m != "" && o.Model == "" {
				o.Model = m
			}
			out[o.ID] = o
		}
	}
	byBusiness := map[int64][]int64{}
	for _, ref := range refs {
		if b := business[ref.CampaignID]; b != 0 && !r.isRefused(b) {
			byBusiness[b] = append(byBusiness[b], ref.OrderID)
		}
	}
	// answered: the orders a business read answered for, found or not.
	answered := map[int64]bool{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.parallelism())
	for _, b := range sortedKeys(byBusiness) {
		ids := byBusiness[b]
		slices.Sort(ids)
		for _, part := range provider.OrderBatches(slices.Compact(ids)) {
			g.Go(func() error {
				if r.isRefused(b) {
					return nil
				}
				os, err := r.API.ListBusinessOrders(gctx, b, part)
				if forbidden(err) {
					r.refuse(b, err)
					return nil
				}
				if err != nil {
					return fmt.Errorf("read orders of business %d: %w", b, err)
				}
				put(os, nil)
				mu.Lock()
				for _, id := range part {
					answered[id] = true
				}
				mu.Unlock()
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// Business orders already carry the model; keep it when the campaign
	// read replaces the order.
	bizModel := make(map[int64]string, len(out))
	for id, o := range out {
		bizModel[id] = o.Model
	}
	byCampaign := map[int64][]int64{}
	for _, ref := range refs {
		if ref.Recipient || !answered[ref.OrderID] {
			byCampaign[ref.CampaignID] = append(byCampaign[ref.CampaignID], ref.OrderID)
		}
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(r.parallelism())
	for _, c := range sortedKeys(byCampaign) {
		ids := byCampaign[c]
		slices.Sort(ids)
		for _, part := range provider.OrderBatches(slices.Compact(ids)) {
			g.Go(func() error {
				os, err := r.API.ListCampaignOrders(gctx, c, part)
				if err != nil {
					if !fallback(err) {
						return fmt.Errorf("read orders of campaign %d: %w", c, err)
					}
					// The list endpoint is deprecated and may go away
					// before GET one order does: read one by one.
					os, err = r.oneByOne(gctx, c, part)
					if err != nil {
						return err
					}
				}
				if slices.ContainsFunc(os, func(o provider.Order) bool { return bizModel[o.ID] == "" }) {
					m, err := r.model(gctx, c)
					if err != nil {
						return err
					}
					for i := range os {
						os[i].Model = m
					}
				}
				put(os, bizModel)
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// The campaign list answers only for its own campaign; make sure each
	// order knows which campaign answered.
	for _, ref := range refs {
		if o, ok := out[ref.OrderID]; ok && o.CampaignID == 0 {
			o.CampaignID = ref.CampaignID
			out[ref.OrderID] = o
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fallback reports whether a failed list read should be retried one order
// at a time: not for auth failures or rate limits (the client already
// waited), which would fail the same way.
func fallback(err error) bool {
	ae, ok := provider.AsAPIError(err)
	if !ok {
		return false
	}
	return ae.NotFound() || ae.StatusCode == 400 || ae.StatusCode == 410
}

func (r *Reader) oneByOne(ctx context.Context, campaignID int64, ids []int64) ([]provider.Order, error) {
	var out []provider.Order
	for _, id := range ids {
		o, err := r.API.GetOrder(ctx, campaignID, id)
		if ae, ok := provider.AsAPIError(err); ok && ae.NotFound() {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read order %d: %w", id, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// model is a campaign's selling model.
func (r *Reader) model(ctx context.Context, campaignID int64) (string, error) {
	c, err := r.campaign(ctx, campaignID)
	return c.Model, err
}

// campaign is asked once per run (a failure is asked again by the next
// caller).
func (r *Reader) campaign(ctx context.Context, campaignID int64) (provider.Campaign, error) {
	r.mu.Lock()
	if r.campaigns == nil {
		r.campaigns = map[int64]*campaignRead{}
	}
	cr := r.campaigns[campaignID]
	if cr == nil {
		cr = &campaignRead{}
		r.campaigns[campaignID] = cr
	}
	r.mu.Unlock()
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.done {
		return cr.c, nil
	}
	c, err := r.API.GetCampaign(ctx, campaignID)
	if err != nil {
		return provider.Campaign{}, fmt.Errorf("read campaign %d: %w", campaignID, err)
	}
	cr.c, cr.done = c, true
	return c, nil
}

// Current reads the desired orders' current state for plan.Input. The
// caller bounds how many at a time (a plan is made a chunk of orders at a
// time).
func (r *Reader) Current(ctx context.Context, desired []schema.Order) (map[int64]plan.Current, error) {
	refs := make([]provider.OrderRef, 0, len(desired))
	for _, d := range desired {
		refs = append(refs, provider.OrderRef{OrderID: d.ID, CampaignID: d.CampaignID, Recipient: d.Recipient != nil})
	}
	orders, err := r.ReadOrders(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]plan.Current, len(desired))
	for _, d := range desired {
		o, ok := orders[d.ID]
		switch {
		case !ok:
			out[d.ID] = plan.Current{}
		case o.CampaignID != d.CampaignID:
			out[d.ID] = plan.Current{ReadErr: fmt.Sprintf("order %d belongs to campaign %d, not %d; set campaign_id = %d in its block",
				d.ID, o.CampaignID, d.CampaignID, o.CampaignID)}
		default:
			out[d.ID] = plan.Current{Found: true, Order: o}
		}
	}
	return out, nil
}

// Intervals reads the available intervals of the orders plan.NeedIntervals
// names, concurrently, into in.Current.
func (r *Reader) Intervals(ctx context.Context, in *plan.Input) error {
	ids := plan.NeedIntervals(*in)
	campaign := map[int64]int64{}
	for _, d := range in.Desired {
		campaign[d.ID] = d.CampaignID
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.parallelism())
	for _, id := range ids {
		g.Go(func() error {
			avail, err := r.API.UpdateOptions(gctx, campaign[id], id)
			mu.Lock()
			defer mu.Unlock()
			cur := in.Current[id]
			if err != nil {
				if ae, ok := provider.AsAPIError(err); ok && (ae.Rejected() && !ae.AuthFailed()) {
					cur.AvailableErr = err.Error() // this order only
					in.Current[id] = cur
					return nil
				}
				return fmt.Errorf("read available intervals of order %d: %w", id, err)
			}
			cur.Available, cur.AvailableRead = avail, true
			in.Current[id] = cur
			return nil
		})
	}
	return g.Wait()
}

// DataError is a data source the API could not read, so the caller can
// point at its block.
type DataError struct {
	Source schema.DataSource
	Err    error
}

func (e *DataError) Error() string { return fmt.Sprintf("read %s: %v", e.Source.Address, e.Err) }
func (e *DataError) Unwrap() error { return e.Err }

// Data reads every declared data source once, each in its campaign (the
// provider block's unless the data block declares its own).
func Data(ctx context.Context, api API, ds []schema.DataSource, prov schema.Provider) (*schema.DataResults, error) {
	res := &schema.DataResults{Intervals: map[string][]schema.Interval{}, Options: map[string][]schema.DeliveryOption{}}
	for _, d := range ds {
		c := prov.Campaign(d.CampaignID)
		switch d.Kind {
		case schema.KindDeliveryIntervals:
			avail, err := api.UpdateOptions(ctx, c, d.OrderID)
			if err != nil {
				return nil, &DataError{Source: d, Err: err}
			}
			ivs := make([]schema.Interval, 0, len(avail))
			for _, a := range avail {
				ivs = append(ivs, schema.Interval(a))
			}
			res.Intervals[d.Name] = ivs
		case schema.KindDeliveryOptions:
			req := provider.DeliveryOptionsRequest{CourierAddress: d.CourierAddress, PickupPointIDs: d.PickupPointIDs}
			for _, it := range d.Items {
				req.Items = append(req.Items, provider.Item{OfferID: it.OfferID, Count: it.Count, WarehouseID: it.WarehouseID})
			}
			opts, err := api.DeliveryOptions(ctx, c, req)
			if err != nil {
				return nil, &DataError{Source: d, Err: err}
			}
			out := make([]schema.DeliveryOption, 0, len(opts))
			for _, o := range opts {
				out = append(out, schema.DeliveryOption{WarehouseID: o.WarehouseID, Type: o.Type, LogisticPointID: o.LogisticPointID,
					Interval: schema.Interval(o.Interval), Price: o.Price, Currency: o.Currency})
			}
			res.Options[d.Name] = out
		}
	}
	return res, nil
}

// Verdict is what became of one open journal submission.
type Verdict struct {
	Entry journal.Entry
	Kind  string // journal.KindConfirmed, KindFailed, KindExpired, or "" (still in flight)
}

// Reconcile decides what became of the journal's open submissions of the
// orders in current (the others are left alone), from the
// orders' current state and the operations endpoint, asked in the business
// each submission was made in (the reader's, or its campaign's). It writes
// nothing: the submissions still in flight go into the plan as pending;
// apply records the verdicts under the lock.
//
// A submission whose operations the endpoint reports IN_PROGRESS stays in
// flight however old it is; one with a FAILED operation fails only once none
// is still running; only a submission nothing can be learnt about expires,
// after its grace.
func (r *Reader) Reconcile(ctx context.Context, entries []journal.Entry, current map[int64]plan.Current, now time.Time) (map[int64][]plan.Submission, []Verdict, error) {
	subs := map[int64][]plan.Submission{}
	var verdicts []Verdict
	// Only the orders read are judged: another configuration sharing the
	// backend (or a -target leaving an order out) keeps its own.
	entries = slices.DeleteFunc(slices.Clone(entries), func(e journal.Entry) bool {
		_, ok := current[e.OrderID]
		return !ok
	})
	status, unasked := r.operationStatus(ctx, entries, current)
	for _, e := range entries {
		cur := current[e.OrderID]
		if cur.Found && plan.Applied(r.Key, e.Targets, cur.Order) {
			verdicts = append(verdicts, Verdict{Entry: e, Kind: journal.KindConfirmed})
			continue
		}
		if len(e.Operations) > 0 {
			kind, known := journal.OperationsVerdict(e.Operations, status)
			switch {
			case kind != "":
				verdicts = append(verdicts, Verdict{Entry: e, Kind: kind})
				continue
			case known:
				subs[e.OrderID] = append(subs[e.OrderID], submission(e))
				continue
			}
			if err := unasked[e.Operations[0].ID]; err != nil {
				// Accepted, but nobody can say what became of it: in
				// flight (never resent blind) and unknown, not pending,
				// until the endpoint answers or the order shows it.
				s := submission(e)
				s.Unknown = true
				s.Why = fmt.Sprintf("accepted, but the operations endpoint could not be asked how it went (%v)", err)
				subs[e.OrderID] = append(subs[e.OrderID], s)
				continue
			}
		}
		if now.Sub(cmp.Or(e.LastAt, e.SubmittedAt)) < journal.Grace(plan.CallKind(e.Call).Synchronous()) {
			subs[e.OrderID] = append(subs[e.OrderID], submission(e))
			continue
		}
		verdicts = append(verdicts, Verdict{Entry: e, Kind: journal.KindExpired})
	}
	return subs, verdicts, nil
}

// operationStatus asks the operations endpoint about every operation of the
// submitted updates, grouped by business and type. A submission's business is
// the one it was journaled with, else the reader's, else its campaign's.
//
// What cannot be learnt (the endpoint or the campaign read fails) is no
// verdict: unasked names those operations with the error, their
// submissions stay in flight (unknown, not pending: only an operation the
// endpoint reports IN_PROGRESS is), and the rest of the plan goes on.
func (r *Reader) operationStatus(ctx context.Context, entries []journal.Entry, current map[int64]plan.Current) (status map[string]string, unasked map[string]error) {
	type key struct {
		business int64
		opType   string
	}
	byKey := map[key][]string{}
	status, unasked = map[string]string{}, map[string]error{}
	for _, e := range entries {
		if e.State != journal.KindSubmitted || plan.CallKind(e.Call).Synchronous() || len(e.Operations) == 0 {
			continue
		}
		if cur := current[e.OrderID]; cur.Found && plan.Applied(r.Key, e.Targets, cur.Order) {
			continue // settled by the order itself
		}
		biz := cmp.Or(e.BusinessID, r.BusinessID)
		if biz == 0 && e.CampaignID != 0 {
			c, err := r.campaign(ctx, e.CampaignID)
			if err != nil {
				for _, o := range e.Operations {
					unasked[o.ID] = err
				}
				continue
			}
			biz = c.BusinessID
		}
		if biz == 0 {
			continue
		}
		for _, o := range e.Operations {
			k := key{biz, o.Type}
			byKey[k] = append(byKey[k], o.ID)
		}
	}
	keys := make([]key, 0, len(byKey))
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
		ops, err := r.API.Operations(ctx, k.business, k.opType, byKey[k])
		if err != nil {
			for _, id := range byKey[k] {
				unasked[id] = err
			}
			continue
		}
		for _, o := range ops {
			status[o.ID] = o.Status
		}
	}
	return status, unasked
}

func submission(e journal.Entry) plan.Submission {
	s := plan.Submission{Fields: e.Targets, SubmittedAt: e.SubmittedAt, Unknown: e.State != journal.KindSubmitted}
	for _, o := range e.Operations {
		s.Operations = append(s.Operations, o.ID)
	}
	return s
}
