package views

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/orderform/orderform/plan"
)

// Plan writes the human plan, in Terraform's visual language: what the data
// sources read, each changed order with its fields' "before -> after", then
// what is pending, then every
// blocked order as an error pointing at its declaration, then the summary
// line "Plan: X to change, Y pending, Z blocked." (public: keep its wording).
func Plan(w io.Writer, p *plan.Plan, src Sources, opt Options) {
	if p == nil {
		p = &plan.Plan{}
	}
	pal := newPalette(opt.Color)
	var b strings.Builder
	writeDataSources(&b, p.DataSources, pal)
	s := p.Summary()
	if s.Change+s.Pending+s.Unknown+s.Blocked == 0 {
		b.WriteString("No changes. Your orders match the configuration.\n")
		if s.Unchanged > 0 {
			fmt.Fprintf(&b, "\n%d %s checked.\n", s.Unchanged, plural(s.Unchanged, "order", "orders"))
		}
		io.WriteString(w, b.String())
		return
	}

	if len(p.Changes) > 0 {
		b.WriteString("orderform will perform the following actions:\n\n")
		for _, c := range byAddress(p.Changes, func(c plan.Change) string { return c.Address }) {
			writeChange(&b, &c, pal, opt)
			b.WriteString("\n")
		}
	}

	if s.Pending > 0 {
		b.WriteString("Pending (submitted earlier, still being applied by the Market):\n")
		for _, pd := range byAddress(p.Pending, func(p plan.Pending) string { return p.Address }) {
			if !pd.Unknown {
				fmt.Fprintf(&b, "  %s %s: %s (%s)\n", paint(pal.pending, "…"), paint(pal.bold, clean(pd.Address)),
					clean(strings.Join(pd.Fields, ", ")), pendingNote(pd))
			}
		}
		b.WriteString("\n")
	}
	if s.Unknown > 0 {
		b.WriteString("Outcome unknown (sent earlier, and nobody can say yet whether the Market applied it; not sent again until the order shows it, the Market says how it went, or its grace period ends):\n")
		for _, pd := range byAddress(p.Pending, func(p plan.Pending) string { return p.Address }) {
			if pd.Unknown {
				fmt.Fprintf(&b, "  %s %s: %s (%s)\n", paint(pal.bad, "?"), paint(pal.bold, clean(pd.Address)),
					clean(strings.Join(pd.Fields, ", ")), pendingNote(pd))
			}
		}
		b.WriteString("\n")
	}

	for _, bl := range byAddress(p.Blocked, func(b plan.Blocked) string { return b.Address }) {
		writeBlocked(&b, bl, src, pal, opt)
		b.WriteString("\n")
	}

	b.WriteString(paint(pal.bold, summaryLine(s)) + "\n")
	io.WriteString(w, b.String())
}

// summaryLine is the public summary wording, shared by the human and the
// Markdown views.
func summaryLine(s plan.Summary) string {
	if s.Unknown > 0 {
		return fmt.Sprintf("Plan: %d to change, %d pending, %d unknown, %d blocked.", s.Change, s.Pending, s.Unknown, s.Blocked)
	}
	return fmt.Sprintf("Plan: %d to change, %d pending, %d blocked.", s.Change, s.Pending, s.Blocked)
}

// orderHeading says which order, in what campaign, model and status: what a
// reviewer needs to judge whether the change makes sense.
func orderHeading(c *plan.Change) string {
	parts := []string{fmt.Sprintf("campaign %d", c.CampaignID)}
	for _, s := range []string{c.Model, c.Status} {
		if s != "" {
			parts = append(parts, clean(s))
		}
	}
	return strings.Join(parts, ", ")
}

func writeChange(b *strings.Builder, c *plan.Change, pal palette, opt Options) {
	sym := paint(pal.update, string(plan.Update))
	fmt.Fprintf(b, "  %s %s (%s)\n", sym, paint(pal.bold, clean(c.Address)), orderHeading(c))
	width := 0
	for _, f := range c.Fields {
		width = max(width, len(f.Path))
	}
	for _, f := range c.Fields {
		e := exposureOf(c, f.Path, opt)
		fmt.Fprintf(b, "      %s %s = %s -> %s\n", sym, pad(clean(f.Path), width),
			humanValue(f.Path, f.Before, e), humanValue(f.Path, f.After, e))
	}
	if c.Unchanged > 0 {
		fmt.Fprintf(b, "        # (%d unchanged %s hidden)\n", c.Unchanged, plural(c.Unchanged, "field", "fields"))
	}
}

// pendingNote says which operation a pending change waits on and since when.
func pendingNote(p plan.Pending) string {
	var parts []string
	switch {
	case p.Unknown && p.Why != "":
		parts = append(parts, p.Why)
	case p.Unknown:
		parts = append(parts, "no answer to the earlier write; re-read until the order shows the value")
	}
	if len(p.Operations) > 0 {
		parts = append(parts, plural(len(p.Operations), "operation ", "operations ")+clean(strings.Join(p.Operations, ", ")))
	}
	if !p.SubmittedAt.IsZero() {
		parts = append(parts, "submitted "+minuteUTC(p.SubmittedAt))
	}
	if len(parts) == 0 {
		return "submitted earlier"
	}
	return strings.Join(parts, ", ")
}

func minuteUTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// blockedWhat names what cannot be changed: the field or block, or the
// whole order when the block is about the order itself.
func blockedWhat(b plan.Blocked) string {
	if b.Field == "" {
		return clean(b.Address) + " cannot be changed"
	}
	return clean(b.Address) + ": " + clean(strings.ReplaceAll(b.Field, ", ", " and ")) + " cannot be changed"
}

// blockedDetail splits a blocked detail into its sentence and the available
// intervals, listed one per line rather than run together in the sentence
// the plan wrote for scripts and logs.
func blockedDetail(b plan.Blocked) (string, []string) {
	d := b.Detail
	if len(b.Available) == 0 {
		return d, nil
	}
	if i := strings.Index(d, "; available: "); i >= 0 {
		d = d[:i]
	}
	d = strings.TrimRight(d, ". ") + "; available:"
	list := make([]string, len(b.Available))
	for i, iv := range b.Available {
		list[i] = plan.FormatInterval(iv)
	}
	return d, list
}

// orderLabel is the label of the order block an address comes from
// ("1003" for order.1003, "from_carrier" for order.from_carrier["1001"]).
func orderLabel(address string) (string, bool) {
	label, ok := strings.CutPrefix(address, "order.")
	if !ok {
		return "", false
	}
	if i := strings.IndexByte(label, '['); i >= 0 {
		label = label[:i]
	}
	return label, label != ""
}

func writeBlocked(b *strings.Builder, bl plan.Blocked, src Sources, pal palette, opt Options) {
	fmt.Fprintf(b, "%s %s\n", paint(pal.errLabel, "Error:"), paint(pal.bold, blockedWhat(bl)))
	if s, ok := src.lookup(bl.Address, bl.Field); ok {
		fmt.Fprintf(b, "  on %s line %d", clean(s.Filename), s.Line)
		if label, ok := orderLabel(bl.Address); ok {
			fmt.Fprintf(b, ", in order %s", hclQuote(label))
		}
		b.WriteString(":\n")
	}
	detail, available := blockedDetail(bl)
	b.WriteString(wrap(clean(string(bl.Reason)+": "+detail), opt.width(), "  ", "  "))
	b.WriteString("\n")
	for _, iv := range available {
		fmt.Fprintf(b, "    - %s\n", clean(iv))
	}
}
