package plan

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// This file is the table of what orderform manages: one row per block of an
// order (track, delivery_interval, recipient, delivery_date), one per field
// of each block, and one per API call that changes them. Comparison
// (compare), the state a change is decided on (Observe, Stale), confirming
// a write by reading the order (Applied), the journal's targets, gating,
// masking and the views' rendering all derive from it: a new managed field
// is a row here, its call, and the block in schema that declares it.

// Field paths a change can touch. They are the configuration's attribute
// paths, so a reviewer reads the plan in the words of the file they edited.
const (
	FieldTrackCode        = "track.code"
	FieldTrackService     = "track.delivery_service_id"
	FieldIntervalFromDate = "delivery_interval.from_date"
	FieldIntervalToDate   = "delivery_interval.to_date"
	FieldIntervalFromTime = "delivery_interval.from_time"
	FieldIntervalToTime   = "delivery_interval.to_time"
	FieldFirstName        = "recipient.first_name"
	FieldLastName         = "recipient.last_name"
	FieldMiddleName       = "recipient.middle_name"
	FieldPhone            = "recipient.phone"
	FieldDeliveryDate     = "delivery_date.to_date"
	// FieldDeliveryReason is sent with the date and never read back: the
	// order does not show why its date moved.
	FieldDeliveryReason = "delivery_date.reason"
)

// ValueKind is what a field holds: how it is compared, fingerprinted and
// shown.
type ValueKind int

const (
	KindText   ValueKind = iota // compared as it is (a track code, trimmed)
	KindNumber                  // an ID: shown unquoted, as HCL shows numbers
	KindDate                    // YYYY-MM-DD, normalised from either API format
	KindTime                    // HH:MM
	KindName                    // a person's name: compared trimmed, runs of space folded
	KindPhone                   // a phone: compared by its digits
)

// norm is a value as it is compared and fingerprinted.
func (k ValueKind) norm(v string) string {
	switch k {
	case KindName:
		return NormName(v)
	case KindPhone:
		return NormPhone(v)
	}
	return v
}

// CallKind is an API call that changes an order. Its value is the name of
// the write endpoint (provider.Endpoint*), which is also what the journal
// records of a submission (journal.Record.Call).
type CallKind string

const (
	CallTrack  CallKind = provider.EndpointTrack  // delivery/track: synchronous
	CallUpdate CallKind = provider.EndpointUpdate // orders/update: asynchronous, followed through its operations
	// delivery/date: synchronous, answers {"status":"OK"}
	CallDeliveryDate CallKind = provider.EndpointDeliveryDate
)

// Synchronous reports whether the Market applies the call before it answers
// (a track), so that an order not showing it a little later proves it was
// not applied. A call this table does not know counts as asynchronous: the
// longer wait is the safe one.
func (k CallKind) Synchronous() bool {
	s := callOf(k)
	return s != nil && !s.async
}

// Shows is what a re-read of the order shows once a synchronous call of
// kind k is applied ("track"): what a report says it is missing.
func (k CallKind) Shows() string {
	if s := callOf(k); s != nil && s.what != "" {
		return s.what
	}
	return string(k)
}

// Call is one API call of a change, made from its fields (see
// Change.MakeCalls). The field of its kind holds the request.
type Call struct {
	Kind         CallKind
	Track        *provider.Track        // CallTrack
	Update       *provider.OrderUpdate  // CallUpdate
	DeliveryDate *provider.DeliveryDate // CallDeliveryDate
}

// fieldSpec is one managed attribute.
type fieldSpec struct {
	path     string
	kind     ValueKind
	personal bool // the recipient's personal data: masked in every view
	// desired is the declared value as it is sent and shown (trimmed,
	// dates and times canonical); false when d does not declare it.
	desired func(d schema.Order) (string, bool)
	// current is the order's value as the plan shows it; nil for a field
	// the order does not show at all (an argument of the call, sent with
	// the block's other fields): never compared on its own, never what a
	// read confirms.
	current func(o provider.Order) string
}

// blockSpec is one block of an order's configuration, and of the state a
// change is decided on.
type blockSpec struct {
	name     string // the configuration's block, and the key of Observed.Values
	call     CallKind
	fields   []fieldSpec
	declared func(d schema.Order) bool
	// diff, when set, finds what differs in place of the field-by-field
	// comparison (a track is one of several on the order).
	diff func(d schema.Order, o provider.Order) []Field
	// observe is the block's state a change is decided on.
	observe func(k Key, o provider.Order) string
	// applied, when set, replaces checking each target on its own (a
	// track's code and service must be on one track).
	applied func(k Key, targets map[string]string, o provider.Order) bool
	// recipient: reading the block needs the order's recipient, which only
	// the campaign endpoints return.
	recipient bool
	// check, when set, finds what else refuses a change of the block
	// besides its call's gate (an interval the Market does not offer, a
	// day in the past).
	check func(x blockCheck) *Blocked
}

// blockCheck is what a block's check judges.
type blockCheck struct {
	d       schema.Order
	cur     Current
	fields  []Field   // the block's fields that differ and are not pending
	refused bool      // something else refuses the order's change already
	now     time.Time // when the plan is made (Input.Now)
}

// callSpec is one API call: its gate and how its request is made.
type callSpec struct {
	kind  CallKind
	async bool
	// what a re-read of a synchronous call must show ("the track").
	what string
	gate gate
	// make builds the call from the change's fields it sets (at least one,
	// each with a value) and the order as it is now.
	make func(c *Change, fields []Field, o provider.Order) (Call, error)
}

// gate is the API's rule of which orders a call may change.
type gate struct {
	models []string
	// statuses allow the call; nil: every status but a terminal one.
	statuses []string
	// before are the statuses an order passes through on its way to
	// statuses: a change refused in one of them is deferred (sent once the
	// order gets there), not blocked. Any other refused status never comes
	// back to an allowed one.
	before []string
	// model says whose orders the call changes, for a refused model.
	model string
	// status says why the status refuses it: with %s for the allowed
	// statuses and %s for the order's, or only the order's when statuses
	// is nil.
	status string
}

// Terminal reports a status after which the Market changes nothing of an
// order any more.
func Terminal(status string) bool {
	return status == provider.StatusDelivered || status == provider.StatusCancelled
}

func (g gate) allowsStatus(status string) bool {
	if g.statuses == nil {
		return !Terminal(status)
	}
	return slices.Contains(g.statuses, status)
}

// refuse says why the gate refuses a change of an order of model in status,
// or "" when it allows it.
func (g gate) refuse(model, status string) (Reason, string) {
	switch {
	case !slices.Contains(g.models, model):
		return ReasonModel, fmt.Sprintf("%s; this order's campaign works by %s", g.model, orNone(model))
	case !g.allowsStatus(status):
		if g.statuses == nil {
			return ReasonStatus, fmt.Sprintf(g.status, status)
		}
		return ReasonStatus, fmt.Sprintf(g.status, orList(g.statuses), status)
	}
	return "", ""
}

// defers reports whether the gate refuses a change of an order of model in
// status only for now: the status comes before one it allows.
func (g gate) defers(model, status string) bool {
	return slices.Contains(g.models, model) && !g.allowsStatus(status) && slices.Contains(g.before, status)
}

// beforeProcessing are the statuses of an order not yet handed to the
// seller to ship, in the order it passes through them: what comes before
// PROCESSING.
var beforeProcessing = []string{"PLACING", "RESERVED", "UNPAID", "PENDING"}

// orList is "A, B or C".
func orList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// calls are the API calls that change orders, in the order a change makes
// them.
var calls = []callSpec{
	{
		kind: CallTrack, what: "track", make: makeTrack,
		gate: gate{models: []string{provider.ModelDBS},
			statuses: []string{provider.StatusProcessing, provider.StatusDelivery, provider.StatusPickup},
			before:   beforeProcessing,
			model:    "track numbers are set only for DBS orders",
			status:   "a track number can be set only in status %s; the order is %s"},
	},
	{
		kind: CallUpdate, async: true, make: makeUpdate,
		gate: gate{models: []string{provider.ModelLaaS},
			model:  "delivery intervals and recipients are changed only for LaaS orders",
			status: "an order can no longer be changed once %s"},
	},
	{
		kind: CallDeliveryDate, what: "delivery date", make: makeDeliveryDate,
		gate: gate{models: []string{provider.ModelDBS},
			statuses: []string{provider.StatusProcessing, provider.StatusDelivery},
			before:   beforeProcessing,
			model:    "delivery dates are moved only for DBS orders",
			status:   "a delivery date can be moved only in status %s; the order is %s"},
	},
}

// blocks are the managed blocks, in the order a plan shows their fields.
var blocks = []blockSpec{
	{
		name: "track", call: CallTrack,
		declared: func(d schema.Order) bool { return d.Track != nil },
		fields: []fieldSpec{
			{path: FieldTrackCode, kind: KindText,
				desired: func(d schema.Order) (string, bool) { return strings.TrimSpace(d.Track.Code), true }},
			{path: FieldTrackService, kind: KindNumber,
				desired: func(d schema.Order) (string, bool) { return strconv.FormatInt(d.Track.DeliveryServiceID, 10), true }},
		},
		diff: diffTrack, applied: appliedTrack,
		observe: func(_ Key, o provider.Order) string {
			var ts []string
			for _, t := range o.Delivery.Tracks {
				ts = append(ts, fmt.Sprintf("%s@%d", strings.TrimSpace(t.Code), t.DeliveryServiceID))
			}
			sort.Strings(ts)
			return strings.Join(ts, ",")
		},
	},
	{
		name: "delivery_interval", call: CallUpdate,
		declared: func(d schema.Order) bool { return d.Interval != nil },
		fields: []fieldSpec{
			intervalField(FieldIntervalFromDate, KindDate),
			intervalField(FieldIntervalToDate, KindDate),
			intervalField(FieldIntervalFromTime, KindTime),
			intervalField(FieldIntervalToTime, KindTime),
		},
		observe: func(_ Key, o provider.Order) string {
			iv := currentInterval(o)
			return iv.FromDate + " " + iv.FromTime + "/" + iv.ToDate + " " + iv.ToTime
		},
		check: checkInterval,
	},
	{
		name: "recipient", call: CallUpdate, recipient: true,
		declared: func(d schema.Order) bool { return d.Recipient != nil },
		fields: []fieldSpec{
			recipientField(FieldLastName, KindName, func(r *schema.Recipient) *string { return r.LastName }, func(c provider.Customer) string { return c.LastName }),
			recipientField(FieldFirstName, KindName, func(r *schema.Recipient) *string { return r.FirstName }, func(c provider.Customer) string { return c.FirstName }),
			recipientField(FieldMiddleName, KindName, func(r *schema.Recipient) *string { return r.MiddleName }, func(c provider.Customer) string { return c.MiddleName }),
			recipientField(FieldPhone, KindPhone, func(r *schema.Recipient) *string { return r.Phone }, func(c provider.Customer) string { return c.Phone }),
		},
		observe: func(k Key, o provider.Order) string {
			c := currentCustomer(o)
			return k.Fingerprint("recipient", NormName(c.LastName)+"\x00"+NormName(c.FirstName)+"\x00"+NormName(c.MiddleName)+"\x00"+NormPhone(c.Phone))
		},
		check: checkRecipient,
	},
	{
		name: "delivery_date", call: CallDeliveryDate,
		declared: func(d schema.Order) bool { return d.DeliveryDate != nil },
		fields: []fieldSpec{
			{path: FieldDeliveryDate, kind: KindDate,
				desired: func(d schema.Order) (string, bool) { return normDate(d.DeliveryDate.ToDate), true },
				current: currentToDate},
			{path: FieldDeliveryReason, kind: KindText,
				desired: func(d schema.Order) (string, bool) { return d.DeliveryDate.Reason, true }},
		},
		diff:    diffDeliveryDate,
		observe: func(_ Key, o provider.Order) string { return currentToDate(o) },
		check:   checkDeliveryDate,
	},
}

// ReasonDateInPast: a delivery date can only move to today or later.
const ReasonDateInPast Reason = "date_in_the_past"

// moscow is the Market's time zone: what "today" means to it.
var moscow = time.FixedZone("MSK", 3*60*60)

// normDate is a date as "YYYY-MM-DD", or as it is when it does not parse
// (it then differs from every valid date, which is right).
func normDate(s string) string {
	if v, ok := NormDate(s); ok {
		return v
	}
	return strings.TrimSpace(s)
}

// currentToDate is the last day of the order's delivery, which
// setOrderDeliveryDate moves.
func currentToDate(o provider.Order) string { return normDate(o.Delivery.Dates.ToDate) }

// diffDeliveryDate compares the date alone; the reason goes with it when it
// moves (the order never shows a reason, so it never differs on its own).
func diffDeliveryDate(d schema.Order, o provider.Order) []Field {
	want, cur := normDate(d.DeliveryDate.ToDate), currentToDate(o)
	if want == cur {
		return nil
	}
	return []Field{
		{Path: FieldDeliveryDate, Before: optp(cur), After: strp(want)},
		{Path: FieldDeliveryReason, After: strp(d.DeliveryDate.Reason)},
	}
}

// checkDeliveryDate: the Market moves a delivery to today or later, in its
// own time zone.
func checkDeliveryDate(x blockCheck) *Blocked {
	if len(x.fields) == 0 {
		return nil
	}
	want := normDate(x.d.DeliveryDate.ToDate)
	if today := x.now.In(moscow).Format(time.DateOnly); want < today {
		return &Blocked{Field: FieldDeliveryDate, Reason: ReasonDateInPast,
			Detail: fmt.Sprintf("the delivery date %s is in the past (today is %s in Moscow): a delivery moves to today or a later day", want, today)}
	}
	return nil
}

func makeDeliveryDate(_ *Change, fields []Field, _ provider.Order) (Call, error) {
	var dd provider.DeliveryDate
	for _, f := range fields {
		switch f.Path {
		case FieldDeliveryDate:
			v, ok := NormDate(*f.After)
			if !ok {
				return Call{}, fmt.Errorf("%s %q is not a date", f.Path, *f.After)
			}
			dd.ToDate = v
		case FieldDeliveryReason:
			if *f.After != provider.DeliveryDateUserMoved && *f.After != provider.DeliveryDatePartnerMoved {
				return Call{}, fmt.Errorf("%s %q is not one the API takes", f.Path, *f.After)
			}
			dd.Reason = *f.After
		}
	}
	switch {
	case dd.ToDate == "":
		return Call{}, fmt.Errorf("a delivery date is moved with its date: %s is missing", FieldDeliveryDate)
	case dd.Reason == "":
		return Call{}, fmt.Errorf("a delivery date is moved with its reason: %s is missing", FieldDeliveryReason)
	}
	return Call{Kind: CallDeliveryDate, DeliveryDate: &dd}, nil
}

func intervalField(path string, kind ValueKind) fieldSpec {
	return fieldSpec{path: path, kind: kind,
		desired: func(d schema.Order) (string, bool) {
			iv := normInterval(provider.Interval(*d.Interval))
			return *intervalPart(&iv, path), true
		},
		current: func(o provider.Order) string {
			iv := currentInterval(o)
			return *intervalPart(&iv, path)
		},
	}
}

func recipientField(path string, kind ValueKind, declared func(*schema.Recipient) *string, cur func(provider.Customer) string) fieldSpec {
	return fieldSpec{path: path, kind: kind, personal: true,
		desired: func(d schema.Order) (string, bool) {
			if v := declared(d.Recipient); v != nil {
				return strings.TrimSpace(*v), true
			}
			return "", false
		},
		current: func(o provider.Order) string { return strings.TrimSpace(cur(currentCustomer(o))) },
	}
}

// checkInterval: a new interval must be one the Market offers the order.
// The offers are read only for an order nothing else refuses.
func checkInterval(x blockCheck) *Blocked {
	if len(x.fields) == 0 || x.refused {
		return nil
	}
	want := normInterval(provider.Interval(*x.d.Interval))
	switch {
	case !x.cur.AvailableRead:
		why := "the available intervals of this order could not be read"
		if x.cur.AvailableErr != "" {
			why += ": " + x.cur.AvailableErr
		}
		return &Blocked{Field: "delivery_interval", Reason: ReasonReadFailed, Detail: why}
	case !containsInterval(x.cur.Available, want):
		return &Blocked{Field: "delivery_interval", Reason: ReasonIntervalNotOffered, Detail: intervalNotOffered(want, x.cur.Available),
			Available: x.cur.Available}
	}
	return nil
}

// checkRecipient: orders/update takes a complete recipient, completed from
// the order's current one.
func checkRecipient(x blockCheck) *Blocked {
	if len(x.fields) == 0 {
		return nil
	}
	o := x.cur.Order
	if !o.HasRecipient {
		return &Blocked{Field: "recipient", Reason: ReasonReadFailed, Detail: "the order's current recipient could not be read"}
	}
	if missing := missingCustomer(customerFor(x.fields, o)); len(missing) > 0 {
		return &Blocked{Field: "recipient", Reason: ReasonIncompleteCustomer,
			Detail: fmt.Sprintf("the API needs a complete recipient and the order has no %s; declare recipient.%s", strings.Join(missing, ", "), missing[0])}
	}
	return nil
}

// fieldRef is a field of the table with its block.
type fieldRef struct {
	f *fieldSpec
	b *blockSpec
}

// byPath indexes the table's fields by path.
var byPath = func() map[string]fieldRef {
	out := map[string]fieldRef{}
	for i := range blocks {
		b := &blocks[i]
		for j := range b.fields {
			out[b.fields[j].path] = fieldRef{&b.fields[j], b}
		}
	}
	return out
}()

// knownFields are the field paths a change can set.
var knownFields = func() map[string]bool {
	out := map[string]bool{}
	for p := range byPath {
		out[p] = true
	}
	return out
}()

// fieldAt is the field of path and its block; nil when orderform does not
// manage it.
func fieldAt(path string) (*fieldSpec, *blockSpec) {
	e := byPath[path]
	return e.f, e.b
}

// blockNamed is the block called name (a block's name, or a field path of
// it); nil when there is none.
func blockNamed(name string) *blockSpec {
	name, _, _ = strings.Cut(name, ".")
	for i := range blocks {
		if blocks[i].name == name {
			return &blocks[i]
		}
	}
	return nil
}

// block is the block a field path belongs to ("track" for track.code); ""
// for a path orderform does not manage.
func block(path string) string {
	if _, b := fieldAt(path); b != nil {
		return b.name
	}
	return ""
}

func callOf(k CallKind) *callSpec {
	for i := range calls {
		if calls[i].kind == k {
			return &calls[i]
		}
	}
	return nil
}

// IsPersonal reports whether a field holds personal data of the recipient:
// masked in every view unless the user asks to see it.
func IsPersonal(path string) bool {
	f, _ := fieldAt(path)
	return f != nil && f.personal
}

// KindOf is the kind of value a field holds (KindText for a path orderform
// does not manage).
func KindOf(path string) ValueKind {
	if f, _ := fieldAt(path); f != nil {
		return f.kind
	}
	return KindText
}

// CurrentValue is the order's value of a managed field as a plan compares
// it with the declared one (what import declares); false for a field the
// order does not show, or one orderform does not manage. A track's fields
// are the order's tracks, not one value: they have none.
func CurrentValue(path string, o provider.Order) (string, bool) {
	f, _ := fieldAt(path)
	if f == nil || f.current == nil {
		return "", false
	}
	return f.current(o), true
}

// ReadsRecipient reports whether reading a block or field (a name such as
// "recipient", or a path such as "recipient.phone") needs the order's
// recipient, which only the campaign endpoints return.
func ReadsRecipient(name string) bool {
	b := blockNamed(name)
	return b != nil && b.recipient
}

// Blocks names the managed blocks whose call a selling model allows, in the
// table's order: what can be declared of an order of that model. Each
// model's gate is the one a plan checks.
func Blocks(model string) []string {
	var out []string
	for _, b := range blocks {
		if slices.Contains(callOf(b.call).gate.models, model) {
			out = append(out, b.name)
		}
	}
	return out
}

// Models lists the selling models of the managed blocks, in the table's
// order.
func Models() []string {
	var out []string
	for _, b := range blocks {
		for _, m := range callOf(b.call).gate.models {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}
