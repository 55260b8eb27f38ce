package plan

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// Input is everything a plan is made from.
type Input struct {
	// Desired orders, with CampaignID already resolved from the provider
	// block when the order did not set its own.
	Desired []schema.Order
	// Current state by order ID, as read by the caller.
	Current map[int64]Current
	// Submissions are earlier writes not yet known to be applied, by order ID.
	Submissions map[int64][]Submission
	BusinessID  int64
	Now         time.Time
	// Key keys the fingerprints of the plan and of the submissions it is
	// compared with (see Key).
	Key Key
}

// Current is what the API said of one order.
type Current struct {
	Found   bool
	ReadErr string // why the order could not be read ("" when it was)
	Order   provider.Order
	// Available intervals from orders/update-options, read only for orders
	// whose interval differs (see NeedIntervals).
	Available     []provider.Interval
	AvailableRead bool
	AvailableErr  string // why they could not be read
}

// Submission is an earlier write of the journal still in flight.
type Submission struct {
	// Fields maps each field path the write set to the Fingerprint of its
	// target value.
	Fields      map[string]string
	Operations  []string
	SubmittedAt time.Time
	Unknown     bool
	// Why says why the outcome is unknown when it is not a lost answer.
	Why string
}

// Build compares desired and current state. Desired orders are taken in
// address order, so the same input always makes the same plan.
func Build(in Input) *Plan {
	p := &Plan{FormatVersion: FormatVersion, CreatedAt: in.Now, BusinessID: in.BusinessID,
		Changes: []Change{}, Pending: []Pending{}, Deferred: []Deferred{}, Blocked: []Blocked{}}
	for _, d := range ByAddress(in.Desired) {
		cur, ok := in.Current[d.ID]
		if !ok || !cur.Found {
			b := Blocked{Address: d.Address, OrderID: d.ID, CampaignID: d.CampaignID, Reason: ReasonNotFound,
				Detail: fmt.Sprintf("order %d was not found in campaign %d", d.ID, d.CampaignID), Range: declRange(d, "")}
			if cur.ReadErr != "" {
				b.Reason, b.Detail = ReasonReadFailed, cur.ReadErr
			}
			p.Blocked = append(p.Blocked, b)
			continue
		}
		planOrder(p, in.Key, d, cur, in.Submissions[d.ID], in.Now)
	}
	return p
}

// ByAddress returns orders in address order, the plan's, sorting a copy
// only when they are not in it already (schema returns them so).
func ByAddress(orders []schema.Order) []schema.Order {
	byAddr := func(a, b schema.Order) int { return strings.Compare(a.Address, b.Address) }
	if slices.IsSortedFunc(orders, byAddr) {
		return orders
	}
	orders = slices.Clone(orders)
	slices.SortStableFunc(orders, byAddr)
	return orders
}

// EffectiveModel is the order's selling model, falling back to the delivery
// partner when the endpoint that answered does not name the model.
func EffectiveModel(o provider.Order) string {
	if o.Model != "" {
		return o.Model
	}
	if o.Delivery.PartnerType == "SHOP" {
		return provider.ModelDBS
	}
	return ""
}

// diff is one order's differing fields by block, before gates and pending
// are applied.
type diff map[string][]Field

func (d diff) empty() bool {
	for _, fs := range d {
		if len(fs) > 0 {
			return false
		}
	}
	return true
}

func strp(s string) *string { return &s }

func optp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// compare finds what differs between d and o in the fields d declares.
func compare(d schema.Order, o provider.Order) diff {
	out := diff{}
	for _, b := range blocks {
		if !b.declared(d) {
			continue
		}
		if b.diff != nil {
			out[b.name] = b.diff(d, o)
			continue
		}
		for _, f := range b.fields {
			want, ok := f.desired(d)
			if !ok || f.current == nil {
				continue
			}
			cur := f.current(o)
			if f.kind.norm(want) != f.kind.norm(cur) {
				out[b.name] = append(out[b.name], Field{Path: f.path, Before: optp(cur), After: strp(want)})
			}
		}
	}
	return out
}

// diffTrack: no change when the order has this code at this service. The
// service is shown when it changes, and also when the old code alone would
// not tell which track is replaced: the calls are made from the fields
// (see MakeCalls).
func diffTrack(d schema.Order, o provider.Order) []Field {
	t := d.Track
	if hasTrack(o, *t) {
		return nil
	}
	cur := currentTrack(o, t.DeliveryServiceID)
	out := []Field{{Path: FieldTrackCode, Before: optp(cur.Code), After: strp(strings.TrimSpace(t.Code))}}
	if _, unique := replacedService(o, cur.Code); cur.DeliveryServiceID != t.DeliveryServiceID || !unique {
		var before *string
		if cur.DeliveryServiceID != 0 {
			before = strp(strconv.FormatInt(cur.DeliveryServiceID, 10))
		}
		out = append(out, Field{Path: FieldTrackService, Before: before, After: strp(strconv.FormatInt(t.DeliveryServiceID, 10))})
	}
	return out
}

func hasTrack(o provider.Order, t schema.Track) bool {
	for _, x := range o.Delivery.Tracks {
		if strings.TrimSpace(x.Code) == strings.TrimSpace(t.Code) && x.DeliveryServiceID == t.DeliveryServiceID {
			return true
		}
	}
	return false
}

// currentTrack is the track a new one replaces: the one of the same
// delivery service. A track of another service stays beside the new one (the
// API keeps one track per service), so it is not shown as replaced.
func currentTrack(o provider.Order, service int64) provider.Track {
	for _, x := range o.Delivery.Tracks {
		if x.DeliveryServiceID == service {
			return x
		}
	}
	return provider.Track{}
}

// normInterval normalises an interval's dates and times, keeping what does not
// parse as it is (it then differs from anything valid, which is right).
func normInterval(iv provider.Interval) provider.Interval {
	n := func(s string, f func(string) (string, bool)) string {
		if v, ok := f(s); ok {
			return v
		}
		return strings.TrimSpace(s)
	}
	out := provider.Interval{FromDate: n(iv.FromDate, NormDate), ToDate: n(iv.ToDate, NormDate),
		FromTime: n(iv.FromTime, NormTime), ToTime: n(iv.ToTime, NormTime)}
	if out.ToDate == "" {
		out.ToDate = out.FromDate
	}
	return out
}

func currentInterval(o provider.Order) provider.Interval {
	return normInterval(provider.Interval(o.Delivery.Dates))
}

// currentCustomer is the order's recipient as the API tells it: the
// delivery's full name split as "Last First Middle" (what orders/update's
// customer changes), or the buyer's name parts when the order names no
// recipient; and the delivery's phone.
func currentCustomer(o provider.Order) provider.Customer {
	c := provider.Customer{Phone: o.Delivery.Address.Phone}
	if parts := strings.Fields(o.Delivery.Address.Recipient); len(parts) > 0 {
		c.LastName = parts[0]
		if len(parts) > 1 {
			c.FirstName = parts[1]
		}
		if len(parts) > 2 {
			c.MiddleName = strings.Join(parts[2:], " ")
		}
		return c
	}
	c.FirstName, c.LastName, c.MiddleName = o.Buyer.FirstName, o.Buyer.LastName, o.Buyer.MiddleName
	return c
}

// Observe records the state a change for d is decided on: its status, model
// and the state of every block d declares.
func Observe(k Key, d schema.Order, o provider.Order) Observed {
	var names []string
	for _, b := range blocks {
		if b.declared(d) {
			names = append(names, b.name)
		}
	}
	return observe(k, names, o)
}

func observe(k Key, names []string, o provider.Order) Observed {
	obs := Observed{Status: o.Status, Model: EffectiveModel(o), UpdatedAt: o.UpdatedAt, Values: map[string]string{}}
	for _, n := range names {
		if b := blockNamed(n); b != nil && b.name == n {
			obs.Values[n] = b.observe(k, o)
		}
	}
	return obs
}

// Stale compares a fresh read of an order with what a change was decided on.
// It returns "" when the change still stands, else what moved. Only what the
// decision rests on counts (status, model, the compared fields): an order's
// updatedAt moves with things orderform does not manage, and refusing for
// those would make saved plans useless for busy shops.
func (c Change) Stale(k Key, o provider.Order) string {
	keys := make([]string, 0, len(c.Observed.Values))
	for k := range c.Observed.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	now := observe(k, keys, o)
	if now.Status != c.Observed.Status {
		return fmt.Sprintf("status is %s, the plan saw %s", now.Status, c.Observed.Status)
	}
	if now.Model != c.Observed.Model {
		return fmt.Sprintf("selling model is %s, the plan saw %s", now.Model, c.Observed.Model)
	}
	for _, k := range keys {
		if now.Values[k] != c.Observed.Values[k] {
			return k + " changed since the plan was made"
		}
	}
	return ""
}

// NeedIntervals lists the orders whose declared interval differs from the
// current one and whose status and model allow moving it: only those cost an
// orders/update-options call.
func NeedIntervals(in Input) []int64 {
	var ids []int64
	for _, d := range in.Desired {
		cur, ok := in.Current[d.ID]
		if !ok || !cur.Found || d.Interval == nil {
			continue
		}
		if len(compare(d, cur.Order)["delivery_interval"]) == 0 {
			continue
		}
		if r, _ := callOf(CallUpdate).gate.refuse(EffectiveModel(cur.Order), cur.Order.Status); r != "" {
			continue
		}
		ids = append(ids, d.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return slices.Compact(ids)
}

// targetFingerprint is the fingerprint of a field's target value, compared
// as the field's kind compares it.
func targetFingerprint(k Key, f Field) string {
	v := ""
	if f.After != nil {
		v = KindOf(f.Path).norm(*f.After)
	}
	return k.Fingerprint(f.Path, v)
}

// Targets maps each field of a change to the fingerprint of its target value:
// what the journal keeps of a submission.
func Targets(k Key, fields []Field) map[string]string {
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		out[f.Path] = targetFingerprint(k, f)
	}
	return out
}

func planOrder(p *Plan, k Key, d schema.Order, cur Current, subs []Submission, now time.Time) {
	o := cur.Order
	model := EffectiveModel(o)
	df := compare(d, o)
	if df.empty() {
		p.Unchanged++
		return
	}
	blocked := func(field string, r Reason, detail string) Blocked {
		return Blocked{Address: d.Address, OrderID: d.ID, CampaignID: d.CampaignID, Status: o.Status, Model: model,
			Field: field, Reason: r, Detail: detail, Range: declRange(d, field)}
	}
	var refusals []Blocked

	// Parts already in flight are pending; a part in flight with another
	// target is blocked until the earlier one finishes.
	var pend Pending
	split := func(fields []Field) []Field {
		var rest []Field
		for _, f := range fields {
			want := targetFingerprint(k, f)
			state := "none"
			for _, s := range subs {
				if fp, ok := s.Fields[f.Path]; ok {
					if fp == want {
						state = "same"
						// One submission carries several fields: name its
						// operations once.
						for _, id := range s.Operations {
							if !slices.Contains(pend.Operations, id) {
								pend.Operations = append(pend.Operations, id)
							}
						}
						if pend.SubmittedAt.IsZero() || s.SubmittedAt.Before(pend.SubmittedAt) {
							pend.SubmittedAt = s.SubmittedAt
						}
						pend.Unknown = pend.Unknown || s.Unknown
						pend.Why = cmp.Or(pend.Why, s.Why)
						break
					}
					state = "other"
				} else if TouchesBlock(s.Fields, f.Path) {
					// An interval or a recipient is sent whole: the
					// earlier write also sets this field, to what the
					// order had then.
					state = "other"
				}
			}
			switch state {
			case "same":
				pend.Fields = append(pend.Fields, f.Path)
			case "other":
				refusals = append(refusals, blocked(f.Path, ReasonInFlight,
					"an earlier change of this field is still being applied by the Market; plan again when it has finished"))
			default:
				rest = append(rest, f)
			}
		}
		return rest
	}
	for _, b := range blocks {
		if fs, ok := df[b.name]; ok {
			df[b.name] = split(fs)
		}
	}

	if o.CancelRequested && !df.empty() {
		refusals = append(refusals, blocked("", ReasonCancelRequested, "the buyer asked to cancel this order; it is not changed while the request is open"))
	}
	// Each call's gate, once for the blocks it would send. A gate that
	// refuses only for now (the status comes before one it allows) defers
	// its blocks instead of blocking them.
	var deferred []*callSpec
	later := map[int]bool{} // refusals that only defer
	for i := range calls {
		c := &calls[i]
		var names []string
		for _, b := range blocks {
			if b.call == c.kind && len(df[b.name]) > 0 {
				names = append(names, b.name)
			}
		}
		if len(names) == 0 {
			continue
		}
		if r, detail := c.gate.refuse(model, o.Status); r != "" {
			if c.gate.defers(model, o.Status) {
				later[len(refusals)] = true
				deferred = append(deferred, c)
			}
			refusals = append(refusals, blocked(strings.Join(names, ", "), r, detail))
		}
	}
	for _, b := range blocks {
		if b.check == nil || !b.declared(d) {
			continue
		}
		waits := slices.ContainsFunc(deferred, func(c *callSpec) bool { return c.kind == b.call })
		if r := b.check(blockCheck{d: d, cur: cur, fields: df[b.name], refused: len(refusals) > len(later) || waits, now: now}); r != nil {
			x := blocked(r.Field, r.Reason, r.Detail)
			x.Available = r.Available
			refusals = append(refusals, x)
		}
	}

	if len(refusals) > len(later) {
		// Something will never be allowed: the order is not touched, and
		// what only waits is listed with it (nothing of it will be sent).
		p.Blocked = append(p.Blocked, refusals...)
		return
	}
	var dfr *Deferred
	if len(deferred) > 0 {
		dfr = &Deferred{Change: Change{Address: d.Address, OrderID: d.ID, CampaignID: d.CampaignID, Action: Update,
			Status: o.Status, Model: model, Sensitive: d.Sensitive}}
		var names, details []string
		for i, c := range deferred {
			for _, b := range blocks {
				if b.call == c.kind && len(df[b.name]) > 0 {
					names = append(names, b.name)
					dfr.Fields = append(dfr.Fields, df[b.name]...)
					delete(df, b.name)
				}
			}
			if i == 0 {
				dfr.WaitsFor = slices.Clone(c.gate.statuses)
			} else {
				dfr.WaitsFor = slices.DeleteFunc(dfr.WaitsFor, func(s string) bool { return !slices.Contains(c.gate.statuses, s) })
			}
		}
		for i := range refusals {
			details = append(details, refusals[i].Detail)
		}
		dfr.Blocks, dfr.Detail = strings.Join(names, ", "), strings.Join(details, "; ")
		dfr.Range = declRange(d, names[0])
		dfr.Observed = observe(k, names, o)
		p.Deferred = append(p.Deferred, *dfr)
	}
	if len(pend.Fields) > 0 {
		pend.Address, pend.OrderID, pend.CampaignID = d.Address, d.ID, d.CampaignID
		pend.Operations = slices.Compact(pend.Operations)
		p.Pending = append(p.Pending, pend)
	}
	if df.empty() {
		return
	}
	ch := Change{Address: d.Address, OrderID: d.ID, CampaignID: d.CampaignID, Action: Update, Status: o.Status, Model: model,
		Observed: Observe(k, d, o), Sensitive: d.Sensitive}
	for _, b := range blocks {
		ch.Fields = append(ch.Fields, df[b.name]...)
	}
	ch.Unchanged = max(0, declaredFields(d)-len(ch.Fields))
	if dfr != nil {
		ch.Unchanged = max(0, ch.Unchanged-len(dfr.Fields))
	}
	// The calls come from the fields, as apply makes them again from its
	// re-read: what the plan shows is what is sent.
	var err error
	if ch.Calls, err = ch.MakeCalls(o); err != nil {
		p.Blocked = append(p.Blocked, blocked("", ReasonReadFailed, "the calls for this change cannot be made: "+err.Error()))
		return
	}
	p.Changes = append(p.Changes, ch)
}

// TouchesBlock reports whether targets (field path -> fingerprint) set any
// field of the block ("delivery_interval", "recipient", "track") that path
// belongs to. Each block goes out whole, so a write that sets one of its
// fields sets them all.
func TouchesBlock(targets map[string]string, path string) bool {
	block, _, _ := strings.Cut(path, ".")
	for f := range targets {
		if strings.HasPrefix(f, block+".") {
			return true
		}
	}
	return false
}

func orNone(model string) string {
	if model == "" {
		return "an unknown model"
	}
	return model
}

// e164 writes a phone as the API takes it, "+digits" (see NormPhone).
func e164(phone string) string {
	if d := NormPhone(phone); d != "" {
		return "+" + d
	}
	return ""
}

func containsInterval(avail []provider.Interval, want provider.Interval) bool {
	for _, a := range avail {
		if normInterval(a) == want {
			return true
		}
	}
	return false
}

// FormatInterval renders an interval the way people say it.
func FormatInterval(iv provider.Interval) string {
	iv = normInterval(iv)
	if iv.ToDate == iv.FromDate {
		return fmt.Sprintf("%s %s-%s", iv.FromDate, iv.FromTime, iv.ToTime)
	}
	return fmt.Sprintf("%s %s - %s %s", iv.FromDate, iv.FromTime, iv.ToDate, iv.ToTime)
}

func intervalNotOffered(want provider.Interval, avail []provider.Interval) string {
	if len(avail) == 0 {
		return fmt.Sprintf("the interval %s is not available: the Market offers no interval to move this order to", FormatInterval(want))
	}
	// Which ones are offered is the entry's Available, not words here.
	return fmt.Sprintf("the interval %s is not available", FormatInterval(want))
}

// declaredFields counts the leaf fields an order declares.
func declaredFields(d schema.Order) int {
	n := 0
	for _, b := range blocks {
		if !b.declared(d) {
			continue
		}
		for _, f := range b.fields {
			if _, ok := f.desired(d); ok {
				n++
			}
		}
	}
	return n
}

// Recheck judges a deferred change on a fresh read of its order. ready: the
// order's status allows it now, and it is sent. stale: why it can no longer
// be sent as planned (what it was decided on moved, or the status went
// where it will never be allowed): plan again. Neither: it still waits.
// Unlike a change's (Stale), a status that moved is not stale in itself:
// moving on to a status that allows it is what the change waited for.
func (d Deferred) Recheck(k Key, o provider.Order) (ready bool, stale string) {
	keys := make([]string, 0, len(d.Observed.Values))
	for name := range d.Observed.Values {
		keys = append(keys, name)
	}
	sort.Strings(keys)
	now := observe(k, keys, o)
	if now.Model != d.Observed.Model {
		return false, fmt.Sprintf("selling model is %s, the plan saw %s", now.Model, d.Observed.Model)
	}
	for _, name := range keys {
		if now.Values[name] != d.Observed.Values[name] {
			return false, name + " changed since the plan was made"
		}
	}
	if o.CancelRequested {
		return false, "the buyer asked to cancel this order"
	}
	waiting := false
	for _, k := range calledBy(d.Fields) {
		g := callOf(k).gate
		if r, detail := g.refuse(now.Model, o.Status); r != "" {
			if !g.defers(now.Model, o.Status) {
				return false, fmt.Sprintf("status is %s, the plan saw %s: %s", o.Status, d.Observed.Status, detail)
			}
			waiting = true
		}
	}
	return !waiting, ""
}

// calledBy lists the calls that set fields, in the table's order.
func calledBy(fields []Field) []CallKind {
	var out []CallKind
	for _, c := range calls {
		for _, f := range fields {
			if _, b := fieldAt(f.Path); b != nil && b.call == c.kind {
				out = append(out, c.kind)
				break
			}
		}
	}
	return out
}
