package views

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
)

// The structs below are the JSON views' own: plan.Plan and apply.Report are
// never marshalled directly, so the plan file format and what scripts read
// can change separately. Slices are always made non-nil: a script reads []
// for "none", never null.

type planJSON struct {
	FormatVersion string           `json:"format_version"`
	CreatedAt     *string          `json:"created_at"`
	Changes       []changeJSON     `json:"changes"`
	Pending       []pendingJSON    `json:"pending"`
	Deferred      []deferredJSON   `json:"deferred"`
	Blocked       []blockedJSON    `json:"blocked"`
	DataSources   []dataSourceJSON `json:"data_sources"`
	Diagnostics   []diagnosticJSON `json:"diagnostics"`
	Summary       summaryJSON      `json:"summary"`
}

type changeJSON struct {
	Address    string      `json:"address"`
	OrderID    int64       `json:"order_id"`
	CampaignID int64       `json:"campaign_id"`
	Action     string      `json:"action"`
	Status     string      `json:"status"`
	Model      string      `json:"model"`
	Fields     []fieldJSON `json:"fields"`
	// Calls is null for a saved plan: apply makes them from the fields
	// and a fresh read of the order.
	Calls *callsJSON `json:"calls"`
}

type fieldJSON struct {
	Path   string `json:"path"`
	Before any    `json:"before"`
	After  any    `json:"after"`
	// Sensitive marks personal data and values from sensitive variables,
	// whether or not -show-sensitive let them through.
	Sensitive bool `json:"sensitive,omitempty"`
}

// callsJSON are the API calls apply will make for a change.
type callsJSON struct {
	Track  *trackCallJSON  `json:"track"`
	Update *updateCallJSON `json:"update"`
	// DeliveryDate is left out when there is none (added in 1.0's life:
	// the documents of plans without one stay as they were).
	DeliveryDate *deliveryDateCallJSON `json:"delivery_date,omitempty"`
}

type deliveryDateCallJSON struct {
	ToDate any `json:"to_date"`
	Reason any `json:"reason"`
}

type trackCallJSON struct {
	TrackCode         any `json:"track_code"`
	DeliveryServiceID any `json:"delivery_service_id"`
}

type updateCallJSON struct {
	OrderID  int64         `json:"order_id"`
	Interval *intervalJSON `json:"delivery_interval"`
	Customer *customerJSON `json:"customer"`
}

type intervalJSON struct {
	FromDate any `json:"from_date"`
	ToDate   any `json:"to_date"`
	FromTime any `json:"from_time"`
	ToTime   any `json:"to_time"`
}

type customerJSON struct {
	FirstName  any `json:"first_name"`
	LastName   any `json:"last_name"`
	MiddleName any `json:"middle_name"`
	Phone      any `json:"phone"`
}

type pendingJSON struct {
	Address     string   `json:"address"`
	OrderID     int64    `json:"order_id"`
	CampaignID  int64    `json:"campaign_id"`
	Fields      []string `json:"fields"`
	Operations  []string `json:"operations"`
	SubmittedAt *string  `json:"submitted_at"`
	// OutcomeUnknown: the earlier write's answer never arrived, or what
	// became of it cannot be learnt (UnknownReason says why then).
	OutcomeUnknown bool   `json:"outcome_unknown"`
	UnknownReason  string `json:"unknown_reason,omitempty"`
}

// deferredJSON is a change waiting for its order's status: what it will
// set (masked as a change's fields are), what waits and for which statuses
// (waits_for, the first the one the order comes to next).
type deferredJSON struct {
	Address    string      `json:"address"`
	OrderID    int64       `json:"order_id"`
	CampaignID int64       `json:"campaign_id"`
	Status     string      `json:"status"`
	Model      string      `json:"model"`
	Blocks     string      `json:"blocks"`
	WaitsFor   []string    `json:"waits_for"`
	Detail     string      `json:"detail"`
	Fields     []fieldJSON `json:"fields"`
	Range      *rangeJSON  `json:"range,omitempty"`
}

type blockedJSON struct {
	Address    string         `json:"address"`
	OrderID    int64          `json:"order_id"`
	CampaignID int64          `json:"campaign_id"`
	Status     string         `json:"status"`
	Model      string         `json:"model"`
	Field      string         `json:"field"`
	Reason     string         `json:"reason"`
	Detail     string         `json:"detail"`
	Available  []intervalJSON `json:"available"`
	// Range is where the blocked part is declared, as a diagnostic's
	// range; absent when unknown (an order that is in no file).
	Range *rangeJSON `json:"range,omitempty"`
}

type summaryJSON struct {
	Change    int `json:"change"`
	Pending   int `json:"pending"`
	Unknown   int `json:"unknown,omitempty"`  // writes without an answer; absent when none
	Deferred  int `json:"deferred,omitempty"` // changes waiting for their order's status; absent when none
	Blocked   int `json:"blocked"`
	Unchanged int `json:"unchanged"`
}

type diagnosticJSON struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *rangeJSON `json:"range,omitempty"`
}

type rangeJSON struct {
	Filename string  `json:"filename"`
	Start    posJSON `json:"start"`
	End      posJSON `json:"end"`
}

type posJSON struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// PlanJSON renders p as the one JSON document of plan -json and show -json
// (diags: the configuration's warnings or errors, if any). Personal data and
// values from sensitive variables are masked exactly as in the human view
// unless opt.ShowSensitive. The result has no trailing newline.
func PlanJSON(p *plan.Plan, diags hcl.Diagnostics, opt Options) ([]byte, error) {
	if p == nil {
		p = &plan.Plan{}
	}
	out := planJSON{
		FormatVersion: plan.FormatVersion,
		CreatedAt:     timeJSON(p.CreatedAt),
		Changes:       []changeJSON{},
		Pending:       []pendingJSON{},
		Deferred:      []deferredJSON{},
		Blocked:       []blockedJSON{},
		DataSources:   dataSourcesJSON(p.DataSources),
		Diagnostics:   diagnosticsJSON(diags),
	}
	for _, c := range byAddress(p.Changes, func(c plan.Change) string { return c.Address }) {
		out.Changes = append(out.Changes, changeView(&c, opt))
	}
	for _, pd := range byAddress(p.Pending, func(p plan.Pending) string { return p.Address }) {
		out.Pending = append(out.Pending, pendingJSON{
			Address: pd.Address, OrderID: pd.OrderID, CampaignID: pd.CampaignID,
			Fields: nonNil(pd.Fields), Operations: nonNil(pd.Operations),
			SubmittedAt: timeJSON(pd.SubmittedAt), OutcomeUnknown: pd.Unknown, UnknownReason: pd.Why,
		})
	}
	for _, d := range byAddress(p.Deferred, func(d plan.Deferred) string { return d.Address }) {
		v := deferredJSON{Address: d.Address, OrderID: d.OrderID, CampaignID: d.CampaignID, Status: d.Status, Model: d.Model,
			Blocks: d.Blocks, WaitsFor: nonNil(d.WaitsFor), Detail: d.Detail, Fields: changeView(&d.Change, opt).Fields}
		if d.Range.Filename != "" {
			v.Range = rangeView(d.Range)
		}
		out.Deferred = append(out.Deferred, v)
	}
	for _, b := range byAddress(p.Blocked, func(b plan.Blocked) string { return b.Address }) {
		out.Blocked = append(out.Blocked, blockedView(b))
	}
	s := p.Summary()
	out.Summary = summaryJSON{Change: s.Change, Pending: s.Pending, Unknown: s.Unknown, Deferred: s.Deferred, Blocked: s.Blocked, Unchanged: s.Unchanged}
	return marshal(out)
}

func changeView(c *plan.Change, opt Options) changeJSON {
	v := changeJSON{
		Address: c.Address, OrderID: c.OrderID, CampaignID: c.CampaignID,
		Action: c.Action.String(), Status: c.Status, Model: c.Model,
		Fields: make([]fieldJSON, 0, len(c.Fields)),
	}
	for _, f := range c.Fields {
		e := exposureOf(c, f.Path, opt)
		v.Fields = append(v.Fields, fieldJSON{
			Path:      f.Path,
			Before:    jsonValue(f.Path, f.Before, e),
			After:     jsonValue(f.Path, f.After, e),
			Sensitive: isSensitive(c, f.Path),
		})
	}
	// The calls carry values too (a complete customer includes recipient
	// fields the configuration does not declare): they go through the same
	// masking, field by field.
	val := func(path, s string) any { return jsonValue(path, &s, exposureOf(c, path, opt)) }
	if len(c.Calls) > 0 {
		v.Calls = &callsJSON{}
	}
	for _, call := range c.Calls {
		callView(v.Calls, call, val)
	}
	return v
}

// callView renders one call into calls, each value masked as the field it
// comes from.
func callView(calls *callsJSON, call plan.Call, val func(path, s string) any) {
	if t := call.Track; t != nil {
		calls.Track = &trackCallJSON{
			TrackCode:         val(plan.FieldTrackCode, t.Code),
			DeliveryServiceID: val(plan.FieldTrackService, itoa(t.DeliveryServiceID)),
		}
	}
	if d := call.DeliveryDate; d != nil {
		calls.DeliveryDate = &deliveryDateCallJSON{ToDate: val(plan.FieldDeliveryDate, d.ToDate), Reason: val(plan.FieldDeliveryReason, d.Reason)}
	}
	if u := call.Update; u != nil {
		up := &updateCallJSON{OrderID: u.OrderID}
		if iv := u.Interval; iv != nil {
			up.Interval = &intervalJSON{
				FromDate: val(plan.FieldIntervalFromDate, iv.FromDate),
				ToDate:   val(plan.FieldIntervalToDate, iv.ToDate),
				FromTime: val(plan.FieldIntervalFromTime, iv.FromTime),
				ToTime:   val(plan.FieldIntervalToTime, iv.ToTime),
			}
		}
		if cu := u.Customer; cu != nil {
			up.Customer = &customerJSON{
				FirstName:  val(plan.FieldFirstName, cu.FirstName),
				LastName:   val(plan.FieldLastName, cu.LastName),
				MiddleName: val(plan.FieldMiddleName, cu.MiddleName),
				Phone:      val(plan.FieldPhone, cu.Phone),
			}
		}
		calls.Update = up
	}
}

func blockedView(b plan.Blocked) blockedJSON {
	v := blockedJSON{
		Address: b.Address, OrderID: b.OrderID, CampaignID: b.CampaignID,
		Status: b.Status, Model: b.Model, Field: b.Field,
		Reason: string(b.Reason), Detail: b.Detail,
		Available: make([]intervalJSON, 0, len(b.Available)),
	}
	for _, iv := range b.Available {
		v.Available = append(v.Available, intervalView(iv))
	}
	if b.Range.Filename != "" {
		v.Range = rangeView(b.Range)
	}
	return v
}

func rangeView(r hcl.Range) *rangeJSON {
	return &rangeJSON{
		Filename: r.Filename,
		Start:    posJSON{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:      posJSON{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
	}
}

func intervalView(iv provider.Interval) intervalJSON {
	return intervalJSON{FromDate: iv.FromDate, ToDate: iv.ToDate, FromTime: iv.FromTime, ToTime: iv.ToTime}
}

func diagnosticsJSON(diags hcl.Diagnostics) []diagnosticJSON {
	out := make([]diagnosticJSON, 0, len(diags))
	for _, d := range diags {
		if d == nil {
			continue
		}
		v := diagnosticJSON{Severity: severity(d.Severity), Summary: d.Summary, Detail: d.Detail}
		if r := d.Subject; r != nil {
			v.Range = rangeView(*r)
		}
		out = append(out, v)
	}
	return out
}

func severity(s hcl.DiagnosticSeverity) string {
	switch s {
	case hcl.DiagError:
		return "error"
	case hcl.DiagWarning:
		return "warning"
	}
	return "invalid"
}

type validateJSON struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []diagnosticJSON `json:"diagnostics"`
}

// DiagnosticsJSON renders the document of validate -json, in the shape of
// terraform validate -json: {"format_version", "valid", "error_count",
// "warning_count", "diagnostics": [...]}, each diagnostic as in PlanJSON.
func DiagnosticsJSON(diags hcl.Diagnostics) ([]byte, error) {
	v := validateJSON{FormatVersion: plan.FormatVersion, Diagnostics: diagnosticsJSON(diags)}
	for _, d := range v.Diagnostics {
		switch d.Severity {
		case "error":
			v.ErrorCount++
		case "warning":
			v.WarningCount++
		}
	}
	v.Valid = v.ErrorCount == 0
	return marshal(v)
}

// marshal is json.Marshal without HTML escaping ("->" and "<" stay
// readable; nothing here is embedded in HTML) and without a trailing
// newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func timeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
