// Package plan is stage three: it compares the desired orders (from schema)
// with what the API said of them (from provider) and produces a typed Plan:
// which orders change and how, which are pending an earlier submission, which
// wait for a status the order has not reached yet (deferred), and which are
// blocked by the order's status or selling model.
//
// What it manages is one table (fields.go): a row per block, field and API
// call, from which comparison, gating, staleness, confirming a write by a
// read, masking and the calls a change makes all derive. A new managed
// field is a row there.
//
// It makes no network call. Reading the orders is the caller's job
// (internal/refresh); executing a plan is package apply's, which does
// exactly what the plan says and never re-decides. The one I/O it does is
// the plan file (Write and Read, in file.go): its format is the package's
// own, converted from and to Plan there, so the in-memory types never
// double as the file.
package plan

import (
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/provider"
)

// FormatVersion is the version of the JSON views (plan -json, show -json,
// validate -json): what scripts read. Bump the major part when a field
// changes meaning or goes away. The plan file has a version of its own,
// FileFormatVersion: the two change separately.
const FormatVersion = "1.0"

// Action is what happens to one order, in Terraform's symbols.
type Action rune

const (
	NoOp   Action = '.'
	Update Action = '~'
)

func (a Action) String() string {
	switch a {
	case Update:
		return "update"
	default:
		return "no-op"
	}
}

// Plan is the result of comparing desired and current state.
type Plan struct {
	FormatVersion string
	CreatedAt     time.Time
	// BusinessID is the business the orders belong to, when known: apply uses
	// it to follow asynchronous operations.
	BusinessID int64

	Changes []Change
	Pending []Pending
	// Deferred are changes the orders' statuses do not allow yet but will:
	// shown, not sent, neither a change nor an error.
	Deferred []Deferred
	Blocked  []Blocked
	// Unchanged counts the declared orders that already match.
	Unchanged int
	// UnkeyedObserved is set for a plan read from a file written before
	// fingerprints were keyed: staleness compares its observed values
	// with the nil Key.
	UnkeyedObserved bool
	// DataSources are what the data blocks read, in declaration order: the
	// values an index such as available[1] picked from.
	DataSources []DataSource
}

// DataSource is the result of one data block when the plan was made.
type DataSource struct {
	Address    string // data.delivery_intervals.o2002
	Kind       string // delivery_intervals or delivery_options
	CampaignID int64
	OrderID    int64 // delivery_intervals
	// Available is a delivery_intervals result, Options a
	// delivery_options one: the lists the configuration indexes.
	Available []provider.Interval
	Options   []provider.DeliveryOption
}

// Change is what will be done to one order.
type Change struct {
	Address    string
	OrderID    int64
	CampaignID int64
	Action     Action
	Status     string
	Model      string
	Fields     []Field
	// Unchanged counts the declared fields that already match (hidden in
	// the human view, as Terraform hides unchanged attributes).
	Unchanged int
	Sensitive []string // fields whose values come from sensitive variables

	// Calls make the change, derived from Fields and the order (see
	// MakeCalls): by Build from the read it planned on, by apply again
	// from its re-read. A track is its own call; an interval and a
	// recipient go in one orders/update. A saved plan does not carry them
	// (see File): nil in a plan read from a file.
	Calls []Call

	// Observed is what the plan was made on; apply refuses the change for
	// this order if a re-read shows anything else.
	Observed Observed
}

// Field is one attribute's before and after. Nil means "none".
type Field struct {
	Path   string
	Before *string
	After  *string
}

// Observed is the part of an order's state a change was decided on.
type Observed struct {
	Status    string
	Model     string
	UpdatedAt string
	// Values of every compared field, normalised, by field path. Personal
	// fields are kept as fingerprints only.
	Values map[string]string
}

// Pending is an earlier submission for an order that has not finished: shown,
// never sent again, not counted as a change.
type Pending struct {
	Address     string
	OrderID     int64
	CampaignID  int64
	Fields      []string
	Operations  []string
	SubmittedAt time.Time
	// Unknown is set when the earlier write's answer never arrived: the
	// order is watched until it shows the value or the grace period ends.
	// Also when the Market accepted it but its operations endpoint cannot
	// be asked how it went (Why says so): in flight, and nobody knows.
	Unknown bool
	// Why says why the outcome is unknown when it is not a lost answer.
	Why string
}

// Deferred is a change the order's status does not allow yet but will (a
// track for an order still PENDING): it waits, and the first apply that
// re-reads the order in a status that allows it sends it. The change's
// other parts, if any, are planned as usual: a deferred part is not a
// blocked one. An order with a blocked part is blocked whole, its
// not-yet-allowed parts included, as it always was.
type Deferred struct {
	// Change is what will be sent: the fields, and the state it was
	// decided on (Observed: the deferred blocks only). It has no Calls:
	// apply makes them from a fresh read once the status allows them.
	Change
	// Blocks names what waits ("track", or "track, delivery_date").
	Blocks string
	// WaitsFor are the statuses that allow it, the first the one the order
	// comes to next.
	WaitsFor []string
	// Detail says in words why it waits (the API's rule).
	Detail string
	// Range is where the first deferred block is declared.
	Range hcl.Range
}

// Reason tells why a change is blocked, in words scripts can match.
type Reason string

const (
	ReasonNotFound           Reason = "order_not_found"
	ReasonStatus             Reason = "status_not_allowed"
	ReasonModel              Reason = "selling_model_not_supported"
	ReasonIntervalNotOffered Reason = "interval_not_available"
	ReasonIncompleteCustomer Reason = "incomplete_customer"
	ReasonCancelRequested    Reason = "cancellation_requested"
	ReasonInFlight           Reason = "earlier_change_in_flight"
	ReasonReadFailed         Reason = "read_failed"
)

// Blocked is a change the API would refuse. An order with any blocked part
// is not touched at all, so nothing is half-applied.
type Blocked struct {
	Address    string
	OrderID    int64
	CampaignID int64
	Status     string
	Model      string
	Field      string
	Reason     Reason
	Detail     string
	Available  []provider.Interval
	// Range is where the blocked part is declared (its attribute, its
	// block, or the order block's header), so the error points at the line
	// to edit, in a saved plan too; the zero Range when unknown. Detail
	// says why in words; what the entry holds as data (Available, Range)
	// is never repeated in it.
	Range hcl.Range
}

// Summary counts what the plan holds. Pending counts the entries waiting on
// an operation the Market reports in progress (or a write it answered);
// Unknown those waiting on a write that got no answer, which nobody can
// say is pending.
// Deferred counts the changes waiting for their order's status.
type Summary struct {
	Change, Pending, Unknown, Deferred, Blocked, Unchanged int
}

// Summary counts the plan's entries.
func (p *Plan) Summary() Summary {
	s := Summary{Change: len(p.Changes), Deferred: len(p.Deferred), Blocked: len(p.Blocked), Unchanged: p.Unchanged}
	for _, pd := range p.Pending {
		if pd.Unknown {
			s.Unknown++
		} else {
			s.Pending++
		}
	}
	return s
}

// Merge appends q, the plan of the orders that follow p's in address order,
// to p: the plans of consecutive chunks of one configuration's orders, made
// with the same Input.Now, BusinessID and Key, make the plan of them all.
func (p *Plan) Merge(q *Plan) {
	p.Changes = append(p.Changes, q.Changes...)
	p.Pending = append(p.Pending, q.Pending...)
	p.Deferred = append(p.Deferred, q.Deferred...)
	p.Blocked = append(p.Blocked, q.Blocked...)
	p.Unchanged += q.Unchanged
}

// Converges reports whether the orders will match the configuration with
// nothing more sent: no change, and nothing waiting on a write whose outcome
// is unknown. A deferred change does not count: nothing can be sent for it
// until the Market moves the order on.
func (p *Plan) Converges() bool { return len(p.Changes) == 0 && p.Summary().Unknown == 0 }

// HasChanges reports whether applying the plan would send anything.
func (p *Plan) HasChanges() bool { return len(p.Changes) > 0 }

// NeedsRecipient reports whether checking the change against a fresh read
// needs the order's recipient (which only the campaign endpoints return).
func (c Change) NeedsRecipient() bool {
	for name := range c.Observed.Values {
		if ReadsRecipient(name) {
			return true
		}
	}
	return false
}
