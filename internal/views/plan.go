package views

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/plan"
)

// Plan writes the human plan, in Terraform's visual language: what the data
// sources read, each changed order with its fields' "before -> after", then
// what is pending, then every
// blocked order as an error pointing at its declaration (with a snippet of
// it from files, the configuration's files by name; nil for a saved plan),
// then what is deferred (waiting for its order's status), then the summary
// line "Plan: X to change, Y pending, Z blocked." (public: keep its wording;
// "N deferred" goes before "blocked" only when there is any).
func Plan(w io.Writer, p *plan.Plan, files map[string]*hcl.File, opt Options) {
	if p == nil {
		p = &plan.Plan{}
	}
	pal := newPalette(opt.Color)
	var b strings.Builder
	writeDataSources(&b, p.DataSources, pal)
	s := p.Summary()
	if s.Change+s.Pending+s.Unknown+s.Deferred+s.Blocked == 0 {
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

	if s.Deferred > 0 {
		b.WriteString("Deferred (the order's status does not allow it yet; the first apply that finds it does sends it):\n\n")
		for _, d := range byAddress(p.Deferred, func(d plan.Deferred) string { return d.Address }) {
			fmt.Fprintf(&b, "  %s %s (%s): %s %s\n", paint(pal.pending, "~"), paint(pal.bold, clean(d.Address)), orderHeading(&d.Change),
				clean(d.Blocks), waitsFor(d))
			writeFields(&b, &d.Change, paint(pal.pending, "~"), opt)
			b.WriteString("\n")
		}
	}

	places := map[hcl.Range]string{}
	for _, bl := range byAddress(p.Blocked, func(b plan.Blocked) string { return b.Address }) {
		writeBlocked(&b, bl, files, places, pal, opt)
	}

	b.WriteString(paint(pal.bold, summaryLine(s)) + "\n")
	io.WriteString(w, b.String())
}

// summaryLine is the public summary wording, shared by the human and the
// Markdown views.
func summaryLine(s plan.Summary) string {
	line := fmt.Sprintf("Plan: %d to change, %d pending, ", s.Change, s.Pending)
	if s.Unknown > 0 {
		line += fmt.Sprintf("%d unknown, ", s.Unknown)
	}
	if s.Deferred > 0 {
		line += fmt.Sprintf("%d deferred, ", s.Deferred)
	}
	return line + fmt.Sprintf("%d blocked.", s.Blocked)
}

// waitsFor says what a deferred change waits for: the status the order
// comes to next that allows it.
func waitsFor(d plan.Deferred) string {
	if len(d.WaitsFor) == 0 {
		return "waits for its order's status"
	}
	return "waits for " + clean(d.WaitsFor[0])
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
	writeFields(b, c, sym, opt)
}

// writeFields writes a change's fields, "before -> after", each marked sym.
func writeFields(b *strings.Builder, c *plan.Change, sym string, opt Options) {
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

// blockedDetail is a blocked entry's sentence and, for an interval that is
// not offered, the ones that are, listed one per line.
func blockedDetail(b plan.Blocked) (string, []string) {
	if len(b.Available) == 0 {
		return b.Detail, nil
	}
	list := make([]string, len(b.Available))
	for i, iv := range b.Available {
		list[i] = plan.FormatInterval(iv)
	}
	return strings.TrimRight(b.Detail, ". ") + "; available:", list
}

// writeBlocked writes a blocked entry as an error pointing at its
// declaration. The heading is the plan's own (its palette and its public
// wording); the place, the snippet of the file and the detail are HCL's
// diagnostic writer's, as for every other diagnostic. Without the file (a
// saved plan) the writer says the place without a snippet. places keeps
// the writer's place and snippet of each range: the instances of one
// for_each block share their declaration, and finding its lines in the
// file again for each of 5,000 blocked orders is most of a plan's
// rendering.
func writeBlocked(b *strings.Builder, bl plan.Blocked, files map[string]*hcl.File, places map[hcl.Range]string, pal palette, opt Options) {
	fmt.Fprintf(b, "%s %s\n", paint(pal.errLabel, "Error:"), paint(pal.bold, blockedWhat(bl)))
	detail, available := blockedDetail(bl)
	text := wrap(clean(string(bl.Reason)+": "+detail), opt.width(), "  ", "  ")
	for _, iv := range available {
		text += "\n    - " + clean(iv)
	}
	// The detail is wrapped here, indented under the heading: the writer
	// must not wrap it again (its width is 0).
	place, ok := places[bl.Range]
	if !ok {
		// The writer writes the heading, the place and snippet, then the
		// detail as it is (its width is 0) and a blank line: without a
		// detail, what is left of its heading is the place alone.
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "blocked"}
		var one map[string]*hcl.File
		if r := bl.Range; r.Filename != "" {
			// A saved plan's file name is text from a file: it must not
			// reach the terminal as control sequences.
			if f := files[r.Filename]; f != nil {
				one = map[string]*hcl.File{clean(r.Filename): f}
			}
			r.Filename = clean(r.Filename)
			d.Subject = &r
		}
		var out strings.Builder
		_ = hcl.NewDiagnosticTextWriter(&out, one, 0, opt.Color).WriteDiagnostic(d) // a strings.Builder does not fail
		// The writer's own heading is its first line and the blank line after.
		_, place, _ = strings.Cut(out.String(), "\n\n")
		places[bl.Range] = place
	}
	b.WriteString(place)
	b.WriteString(text)
	b.WriteString("\n\n")
}
