package views

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/orderform/orderform/journal"
)

// Journal writes the journal's writes in flight, one per line: which order,
// which call and fields, when and by whom it was sent, and what the journal
// last learnt of it.
func Journal(w io.Writer, entries []journal.Entry, endpoint, where string, opt Options) {
	pal := newPalette(opt.Color)
	var b strings.Builder
	if len(entries) == 0 {
		fmt.Fprintf(&b, "No writes in flight against %s (journal: %s).\n", clean(endpoint), clean(where))
		io.WriteString(w, b.String())
		return
	}
	fmt.Fprintf(&b, "%d %s in flight against %s (journal: %s):\n\n", len(entries), plural(len(entries), "write", "writes"), clean(endpoint), clean(where))
	for _, e := range entries {
		fmt.Fprintf(&b, "  %s %s (order %d, campaign %d)\n", paint(pal.pending, "…"), paint(pal.bold, clean(e.Address)), e.OrderID, e.CampaignID)
		fmt.Fprintf(&b, "      %s: %s\n", clean(e.Call), clean(strings.Join(targetPaths(e), ", ")))
		sent := "sent " + e.SubmittedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		if e.By != "" {
			sent += " by " + e.By
		}
		fmt.Fprintf(&b, "      %s\n", clean(sent))
		fmt.Fprintf(&b, "      %s\n", clean(entryState(e)))
	}
	io.WriteString(w, b.String())
}

// entryState says what the journal last learnt of a write.
func entryState(e journal.Entry) string {
	switch e.State {
	case journal.KindSubmitted:
		if len(e.Operations) == 0 {
			return "accepted by the Market, not yet confirmed"
		}
		ops := make([]string, len(e.Operations))
		for i, o := range e.Operations {
			ops[i] = o.ID + " (" + o.Type + ")"
		}
		return "accepted by the Market; " + plural(len(ops), "operation ", "operations ") + strings.Join(ops, ", ") + " in progress when last asked"
	case journal.KindUnknown:
		s := "sent, no answer (outcome unknown)"
		if e.Error != "" {
			s += ": " + e.Error
		}
		return s
	default:
		return "sent; the run that sent it recorded no answer (it may have died): outcome unknown"
	}
}

func targetPaths(e journal.Entry) []string {
	out := make([]string, 0, len(e.Targets))
	for k := range e.Targets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type journalJSON struct {
	FormatVersion string             `json:"format_version"`
	Endpoint      string             `json:"endpoint"`
	Journal       string             `json:"journal"`
	InFlight      []journalEntryJSON `json:"in_flight"`
}

type journalEntryJSON struct {
	Address    string          `json:"address"`
	OrderID    int64           `json:"order_id"`
	CampaignID int64           `json:"campaign_id"`
	BusinessID int64           `json:"business_id,omitempty"`
	Call       string          `json:"call"`
	Fields     []string        `json:"fields"`
	SentAt     *string         `json:"sent_at"`
	By         string          `json:"by"`
	Endpoint   string          `json:"endpoint"`
	State      string          `json:"state"` // intent, submitted, unknown
	Operations []operationJSON `json:"operations"`
	Error      string          `json:"error,omitempty"`
}

type operationJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// JournalJSON is the journal's writes in flight as one JSON document.
func JournalJSON(entries []journal.Entry, endpoint, where string) ([]byte, error) {
	out := journalJSON{FormatVersion: "1.0", Endpoint: endpoint, Journal: where, InFlight: []journalEntryJSON{}}
	for _, e := range entries {
		j := journalEntryJSON{Address: e.Address, OrderID: e.OrderID, CampaignID: e.CampaignID, BusinessID: e.BusinessID,
			Call: e.Call, Fields: targetPaths(e), SentAt: timeJSON(e.SubmittedAt), By: e.By, Endpoint: e.Endpoint,
			State: e.State, Operations: []operationJSON{}, Error: e.Error}
		for _, o := range e.Operations {
			j.Operations = append(j.Operations, operationJSON{o.ID, o.Type})
		}
		out.InFlight = append(out.InFlight, j)
	}
	return marshal(out)
}
