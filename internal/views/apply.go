package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/plan"
)

// ApplyReport writes the table at the end of apply: a headline that counts
// every outcome, then one row per order (results and blocked orders
// together, by address) with what happened and, where there is something to
// do, what.
//
// The headline is "Apply complete:" when everything went through (confirmed,
// applied and awaiting confirmation, pending from an earlier run, or already
// current), "Apply failed:" in red when anything failed, went stale, was
// blocked or skipped, and "Apply interrupted:" when the run was cut short.
func ApplyReport(w io.Writer, r apply.Report, opt Options) {
	pal := newPalette(opt.Color)
	var b strings.Builder

	head, headColor := "Apply complete:", pal.ok
	switch {
	case r.Interrupted:
		head, headColor = "Apply interrupted:", pal.errLabel
	case !r.OK():
		head, headColor = "Apply failed:", pal.errLabel
	}
	counts := fmt.Sprintf("%d confirmed, %d applied, %d pending, %d failed, %d blocked, %d stale, %d unchanged",
		r.Count(apply.Confirmed), r.Count(apply.Applied), r.Count(apply.Pending), r.Count(apply.Failed),
		len(r.Blocked), r.Count(apply.Stale), r.Count(apply.Unchanged))
	if n := r.Count(apply.Unknown); n > 0 {
		counts += fmt.Sprintf(", %d unknown", n)
	}
	if n := r.Count(apply.Skipped); n > 0 {
		counts += fmt.Sprintf(", %d skipped", n)
	}
	if n := r.Count(apply.Deferred); n > 0 {
		counts += fmt.Sprintf(", %d deferred", n)
	}
	fmt.Fprintf(&b, "%s %s.\n", paint(headColor, head), counts)

	type row struct {
		address, word, note string
	}
	var rows []row
	for _, x := range r.Results {
		rows = append(rows, row{clean(x.Address), string(x.Outcome), clean(resultNote(x))})
	}
	for _, bl := range r.Blocked {
		// One line each: the available intervals run on in the sentence.
		detail, available := blockedDetail(bl)
		if len(available) > 0 {
			detail += " " + strings.Join(available, "; ")
		}
		rows = append(rows, row{clean(bl.Address), "blocked", clean(string(bl.Reason) + ": " + detail)})
	}
	if len(rows) == 0 {
		io.WriteString(w, b.String())
		return
	}
	rows = byAddress(rows, func(r row) string { return r.address })
	aw, ow := 0, 0
	for _, x := range rows {
		aw = max(aw, len([]rune(x.address)))
		ow = max(ow, len(x.word))
	}
	b.WriteString("\n")
	for _, x := range rows {
		word := pad(x.word, ow)
		if x.note == "" {
			word = x.word
		}
		fmt.Fprintf(&b, "  %s   %s", pad(x.address, aw), paintOutcome(pal, x.word, word))
		if x.note != "" {
			b.WriteString("   " + x.note)
		}
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

// paintOutcome colours an outcome word (already padded) by what it asks of
// the user: green done, cyan wait, red act.
func paintOutcome(pal palette, word, padded string) string {
	trail := padded[len(word):]
	switch apply.Outcome(word) {
	case apply.Confirmed, apply.Unchanged:
		return paint(pal.ok, word) + trail
	case apply.Applied, apply.Pending, apply.Deferred:
		return paint(pal.pending, word) + trail
	case apply.Failed, apply.Stale, apply.Skipped, apply.Unknown, "blocked":
		return paint(pal.bad, word) + trail
	}
	return padded
}

// resultNote says what is left to know or do about one result.
func resultNote(x apply.Result) string {
	switch x.Outcome {
	case apply.Confirmed:
		return ""
	case apply.Applied:
		note := "accepted, not confirmed yet"
		if len(x.Operations) > 0 {
			note = fmt.Sprintf("%s %s accepted, not confirmed yet", plural(len(x.Operations), "operation", "operations"), strings.Join(x.Operations, ", "))
		}
		if x.Detail != "" {
			note = x.Detail
		}
		return note + "; `orderform plan` shows it as pending"
	case apply.Failed:
		if x.Code != "" && !strings.Contains(x.Detail, x.Code) {
			if x.Detail == "" {
				return x.Code
			}
			return x.Code + ": " + x.Detail
		}
		return x.Detail
	}
	return x.Detail
}

type eventJSON struct {
	Type       string   `json:"type"`
	Address    string   `json:"address,omitempty"`
	OrderID    int64    `json:"order_id,omitempty"`
	Call       string   `json:"call,omitempty"`
	Operations []string `json:"operations,omitempty"`
	Code       string   `json:"error_code,omitempty"`
	Detail     string   `json:"detail,omitempty"`
	Pending    int      `json:"pending,omitempty"`
}

// EventJSON renders one event of apply -json's stream, one object without
// a trailing newline: the caller writes it followed by "\n". It carries no
// time, so that the same run renders the same bytes; a caller that wants
// one adds it.
func EventJSON(e apply.Event) ([]byte, error) {
	return marshal(eventJSON{Type: string(e.Type), Address: e.Address, OrderID: e.OrderID, Call: e.Call,
		Operations: e.Operations, Code: e.Code, Detail: e.Detail, Pending: e.Pending})
}

type applySummaryJSON struct {
	Type        string            `json:"type"`
	OK          bool              `json:"ok"`
	Interrupted bool              `json:"interrupted"`
	Summary     applyCountsJSON   `json:"summary"`
	Results     []applyResultJSON `json:"results"`
	Blocked     []blockedJSON     `json:"blocked"`
	// Diagnostics are the run's errors and warnings (as in plan -json),
	// absent when it had none.
	Diagnostics []diagnosticJSON `json:"diagnostics,omitempty"`
}

type applyCountsJSON struct {
	Confirmed int `json:"confirmed"`
	Applied   int `json:"applied"`
	Pending   int `json:"pending"`
	Failed    int `json:"failed"`
	Blocked   int `json:"blocked"`
	Stale     int `json:"stale"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	Unknown   int `json:"unknown"`
	Deferred  int `json:"deferred,omitempty"` // added with deferred changes: absent when none
}

type applyResultJSON struct {
	Address    string   `json:"address"`
	OrderID    int64    `json:"order_id"`
	CampaignID int64    `json:"campaign_id"`
	Outcome    string   `json:"outcome"`
	Fields     []string `json:"fields"`
	Operations []string `json:"operations"`
	Code       string   `json:"error_code,omitempty"`
	Detail     string   `json:"detail,omitempty"`
}

// SummaryJSON renders the closing event of apply -json's stream:
// {"type":"summary","ok","interrupted","summary":{counts by outcome},
// "results":[...],"blocked":[...],"diagnostics":[...]}, diagnostics being
// the run's (absent when none). "ok" is false exactly when apply exits 1:
// when r is not OK or a diagnostic is an error.
func SummaryJSON(r apply.Report, diags ...*hcl.Diagnostic) ([]byte, error) {
	v := applySummaryJSON{
		Type: "summary", OK: r.OK() && !hcl.Diagnostics(diags).HasErrors(), Interrupted: r.Interrupted,
		Summary: applyCountsJSON{
			Confirmed: r.Count(apply.Confirmed), Applied: r.Count(apply.Applied), Pending: r.Count(apply.Pending),
			Failed: r.Count(apply.Failed), Blocked: len(r.Blocked), Stale: r.Count(apply.Stale),
			Unchanged: r.Count(apply.Unchanged), Skipped: r.Count(apply.Skipped), Unknown: r.Count(apply.Unknown),
			Deferred: r.Count(apply.Deferred),
		},
		Results: make([]applyResultJSON, 0, len(r.Results)),
		Blocked: make([]blockedJSON, 0, len(r.Blocked)),
	}
	for _, x := range byAddress(r.Results, func(x apply.Result) string { return x.Address }) {
		v.Results = append(v.Results, applyResultJSON{Address: x.Address, OrderID: x.OrderID, CampaignID: x.CampaignID,
			Outcome: string(x.Outcome), Fields: nonNil(x.Fields), Operations: nonNil(x.Operations), Code: x.Code, Detail: x.Detail})
	}
	for _, b := range byAddress(r.Blocked, func(b plan.Blocked) string { return b.Address }) {
		v.Blocked = append(v.Blocked, blockedView(b))
	}
	if len(diags) > 0 {
		v.Diagnostics = diagnosticsJSON(diags)
	}
	return marshal(v)
}
