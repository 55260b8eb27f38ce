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
		Changes: []Change{}, Pending: []Pending{}, Blocked: []Blocked{}}
	desired := slices.Clone(in.Desired)
	sort.SliceStable(desired, func(i, j int) bool { return desired[i].Address < desired[j].Address })
	for _, d := range desired {
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
		planOrder(p, in.Key, d, cur, in.Submissions[d.ID])
	}
	return p
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

// trackAllowed and updateAllowed are the API's status gates.
func trackAllowed(status string) bool {
	switch status {
	case provider.StatusProcessing, provider.StatusDelivery, provider.StatusPickup:
		return true
	}
	return false
}

func updateAllowed(status string) bool {
	return status != provider.StatusDelivered && status != provider.StatusCancelled
}

// diff is one order's differences before gates and pending are applied.
type diff struct {
	track     []Field
	interval  []Field
	recipient []Field
}

func (d diff) empty() bool { return len(d.track)+len(d.interval)+len(d.recipient) == 0 }

func strp(s string) *string { return &s }

func optp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// compare finds what differs between d and o in the fields d declares.
func compare(d schema.Order, o provider.Order) diff {
	var out diff
	if t := d.Track; t != nil && !hasTrack(o, *t) {
		cur := currentTrack(o, t.DeliveryServiceID)
		out.track = append(out.track, Field{Path: FieldTrackCode, Before: optp(cur.Code), After: strp(strings.TrimSpace(t.Code))})
		// The service is shown when it changes, and also when the old
		// code alone would not tell which track is replaced: the calls
		// are made from the fields (see Calls).
		if _, unique := replacedService(o, cur.Code); cur.DeliveryServiceID != t.DeliveryServiceID || !unique {
			var before *string
			if cur.DeliveryServiceID != 0 {
				before = strp(strconv.FormatInt(cur.DeliveryServiceID, 10))
			}
			out.track = append(out.track, Field{Path: FieldTrackService, Before: before, After: strp(strconv.FormatInt(t.DeliveryServiceID, 10))})
		}
	}
	if iv := d.Interval; iv != nil {
		cur := currentInterval(o)
		want := normInterval(provider.Interval(*iv))
		for _, f := range []struct {
			path      string
			cur, want string
		}{
			{FieldIntervalFromDate, cur.FromDate, want.FromDate},
			{FieldIntervalToDate, cur.ToDate, want.ToDate},
			{FieldIntervalFromTime, cur.FromTime, want.FromTime},
			{FieldIntervalToTime, cur.ToTime, want.ToTime},
		} {
			if f.cur != f.want {
				out.interval = append(out.interval, Field{Path: f.path, Before: optp(f.cur), After: strp(f.want)})
			}
		}
	}
	if r := d.Recipient; r != nil {
		cur := currentCustomer(o)
		for _, f := range []struct {
			path string
			want *string
			cur  string
			norm func(string) string
		}{
			{FieldLastName, r.LastName, cur.LastName, NormName},
			{FieldFirstName, r.FirstName, cur.FirstName, NormName},
			{FieldMiddleName, r.MiddleName, cur.MiddleName, NormName},
			{FieldPhone, r.Phone, cur.Phone, NormPhone},
		} {
			if f.want == nil || f.norm(*f.want) == f.norm(f.cur) {
				continue
			}
			out.recipient = append(out.recipient, Field{Path: f.path, Before: optp(strings.TrimSpace(f.cur)), After: strp(strings.TrimSpace(*f.want))})
		}
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
	d := o.Delivery.Dates
	return normInterval(provider.Interval{FromDate: d.FromDate, ToDate: d.ToDate, FromTime: d.FromTime, ToTime: d.ToTime})
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

// Observe records the state a change for d is decided on.
func Observe(k Key, d schema.Order, o provider.Order) Observed {
	return observe(k, d.Track != nil, d.Interval != nil, d.Recipient != nil, o)
}

func observe(k Key, track, interval, recipient bool, o provider.Order) Observed {
	obs := Observed{Status: o.Status, Model: EffectiveModel(o), UpdatedAt: o.UpdatedAt, Values: map[string]string{}}
	if track {
		var ts []string
		for _, t := range o.Delivery.Tracks {
			ts = append(ts, fmt.Sprintf("%s@%d", strings.TrimSpace(t.Code), t.DeliveryServiceID))
		}
		sort.Strings(ts)
		obs.Values["track"] = strings.Join(ts, ",")
	}
	if interval {
		iv := currentInterval(o)
		obs.Values["delivery_interval"] = iv.FromDate + " " + iv.FromTime + "/" + iv.ToDate + " " + iv.ToTime
	}
	if recipient {
		c := currentCustomer(o)
		obs.Values["recipient"] = k.Fingerprint("recipient", NormName(c.LastName)+"\x00"+NormName(c.FirstName)+"\x00"+NormName(c.MiddleName)+"\x00"+NormPhone(c.Phone))
	}
	return obs
}

// Stale compares a fresh read of an order with what a change was decided on.
// It returns "" when the change still stands, else what moved. Only what the
// decision rests on counts (status, model, the compared fields): an order's
// updatedAt moves with things orderform does not manage, and refusing for
// those would make saved plans useless for busy shops.
func (c Change) Stale(k Key, o provider.Order) string {
	v := c.Observed.Values
	_, track := v["track"]
	_, interval := v["delivery_interval"]
	_, recipient := v["recipient"]
	now := observe(k, track, interval, recipient, o)
	if now.Status != c.Observed.Status {
		return fmt.Sprintf("status is %s, the plan saw %s", now.Status, c.Observed.Status)
	}
	if now.Model != c.Observed.Model {
		return fmt.Sprintf("selling model is %s, the plan saw %s", now.Model, c.Observed.Model)
	}
	keys := make([]string, 0, len(c.Observed.Values))
	for k := range c.Observed.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
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
		if len(compare(d, cur.Order).interval) == 0 {
			continue
		}
		if !updateAllowed(cur.Order.Status) || EffectiveModel(cur.Order) != provider.ModelLaaS {
			continue
		}
		ids = append(ids, d.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return slices.Compact(ids)
}

// targetFingerprint is the fingerprint of a field's target value.
func targetFingerprint(k Key, f Field) string {
	v := ""
	if f.After != nil {
		v = *f.After
		switch {
		case f.Path == FieldPhone:
			v = NormPhone(v)
		case IsPersonal(f.Path):
			v = NormName(v)
		}
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

func planOrder(p *Plan, k Key, d schema.Order, cur Current, subs []Submission) {
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
	var blocks []Blocked

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
				blocks = append(blocks, blocked(f.Path, ReasonInFlight,
					"an earlier change of this field is still being applied by the Market; plan again when it has finished"))
			default:
				rest = append(rest, f)
			}
		}
		return rest
	}
	df.track, df.interval, df.recipient = split(df.track), split(df.interval), split(df.recipient)

	if o.CancelRequested && !df.empty() {
		blocks = append(blocks, blocked("", ReasonCancelRequested, "the buyer asked to cancel this order; it is not changed while the request is open"))
	}
	if len(df.track) > 0 {
		switch {
		case model != provider.ModelDBS:
			blocks = append(blocks, blocked("track", ReasonModel,
				fmt.Sprintf("track numbers are set only for DBS orders; this order's campaign works by %s", orNone(model))))
		case !trackAllowed(o.Status):
			blocks = append(blocks, blocked("track", ReasonStatus,
				fmt.Sprintf("a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is %s", o.Status)))
		}
	}
	if len(df.interval)+len(df.recipient) > 0 {
		switch {
		case model != provider.ModelLaaS:
			blocks = append(blocks, blocked(updateField(df), ReasonModel,
				fmt.Sprintf("delivery intervals and recipients are changed only for LaaS orders; this order's campaign works by %s", orNone(model))))
		case !updateAllowed(o.Status):
			blocks = append(blocks, blocked(updateField(df), ReasonStatus,
				fmt.Sprintf("an order can no longer be changed once %s", o.Status)))
		}
	}
	if len(df.interval) > 0 && len(blocks) == 0 {
		want := normInterval(provider.Interval(*d.Interval))
		switch {
		case !cur.AvailableRead:
			why := "the available intervals of this order could not be read"
			if cur.AvailableErr != "" {
				why += ": " + cur.AvailableErr
			}
			blocks = append(blocks, blocked("delivery_interval", ReasonReadFailed, why))
		case !containsInterval(cur.Available, want):
			b := blocked("delivery_interval", ReasonIntervalNotOffered, intervalNotOffered(want, cur.Available))
			b.Available = cur.Available
			blocks = append(blocks, b)
		}
	}
	if len(df.recipient) > 0 {
		if !o.HasRecipient {
			blocks = append(blocks, blocked("recipient", ReasonReadFailed, "the order's current recipient could not be read"))
		} else {
			if missing := missingCustomer(customerFor(df.recipient, o)); len(missing) > 0 {
				blocks = append(blocks, blocked("recipient", ReasonIncompleteCustomer,
					fmt.Sprintf("the API needs a complete recipient and the order has no %s; declare recipient.%s", strings.Join(missing, ", "), missing[0])))
			}
		}
	}

	if len(blocks) > 0 {
		p.Blocked = append(p.Blocked, blocks...)
		return
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
	ch.Fields = append(append(append(ch.Fields, df.track...), df.interval...), df.recipient...)
	ch.Unchanged = max(0, declaredFields(d)-len(ch.Fields))
	// The calls come from the fields, as apply makes them again from its
	// re-read: what the plan shows is what is sent.
	var err error
	if ch.Track, ch.Update, err = ch.Calls(o); err != nil {
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

func updateField(df diff) string {
	switch {
	case len(df.interval) > 0 && len(df.recipient) > 0:
		return "delivery_interval, recipient"
	case len(df.interval) > 0:
		return "delivery_interval"
	}
	return "recipient"
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
	if d.Track != nil {
		n += 2
	}
	if d.Interval != nil {
		n += 4
	}
	if r := d.Recipient; r != nil {
		for _, p := range []*string{r.FirstName, r.LastName, r.MiddleName, r.Phone} {
			if p != nil {
				n++
			}
		}
	}
	return n
}
