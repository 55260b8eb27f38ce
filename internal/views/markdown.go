package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/orderform/orderform/plan"
)

// Markdown writes p for a pull-request comment (show -markdown): the summary
// first, then blocked orders, then one collapsible section per changed order
// with a table of its fields, then what is pending, then what is deferred.
//
// Personal data and values from sensitive variables are always masked: a
// comment is read by everyone with access to the repository, and outlives
// the run. Everything that comes from the configuration or the API is
// escaped, so a value can neither break the table nor inject markup.
func Markdown(w io.Writer, p *plan.Plan) {
	if p == nil {
		p = &plan.Plan{}
	}
	opt := Options{} // never ShowSensitive
	var b strings.Builder
	s := p.Summary()
	fmt.Fprintf(&b, "**Plan:** %s\n", strings.TrimPrefix(summaryLine(s), "Plan: "))
	if s.Change+s.Pending+s.Unknown+s.Deferred+s.Blocked == 0 {
		b.WriteString("\nNo changes. Your orders match the configuration.")
		if s.Unchanged > 0 {
			fmt.Fprintf(&b, " %d %s checked.", s.Unchanged, plural(s.Unchanged, "order", "orders"))
		}
		b.WriteString("\n")
	}

	if len(p.Blocked) > 0 {
		b.WriteString("\n### Blocked\n\n")
		for _, bl := range byAddress(p.Blocked, func(b plan.Blocked) string { return b.Address }) {
			detail, available := blockedDetail(bl)
			fmt.Fprintf(&b, "- %s", htmlCode(bl.Address))
			if bl.Field != "" {
				fmt.Fprintf(&b, " (%s)", mdText(bl.Field))
			}
			fmt.Fprintf(&b, ": **%s**: %s\n", mdText(string(bl.Reason)), mdText(detail))
			for _, iv := range available {
				fmt.Fprintf(&b, "  - %s\n", mdText(iv))
			}
		}
	}

	if len(p.Changes) > 0 {
		b.WriteString("\n### Changes\n")
		for _, c := range byAddress(p.Changes, func(c plan.Change) string { return c.Address }) {
			paths := make([]string, len(c.Fields))
			for i, f := range c.Fields {
				paths[i] = f.Path
			}
			// Inside <summary> Markdown is not parsed: HTML escaping only.
			fmt.Fprintf(&b, "\n<details><summary>%s — %s</summary>\n\n", htmlCode(c.Address), htmlText(strings.Join(paths, ", ")))
			fmt.Fprintf(&b, "In %s.\n\n", mdText(orderHeading(&c)))
			b.WriteString("| field | before | after |\n|---|---|---|\n")
			for _, f := range c.Fields {
				e := exposureOf(&c, f.Path, opt)
				fmt.Fprintf(&b, "| %s | %s | %s |\n", mdText(f.Path),
					mdText(humanValue(f.Path, f.Before, e)), mdText(humanValue(f.Path, f.After, e)))
			}
			if c.Unchanged > 0 {
				fmt.Fprintf(&b, "\n%d unchanged %s hidden.\n", c.Unchanged, plural(c.Unchanged, "field", "fields"))
			}
			b.WriteString("\n</details>\n")
		}
	}

	for _, sec := range []struct {
		unknown bool
		n       int
		head    string
	}{
		{false, s.Pending, "\n### Pending\n\nSubmitted earlier, still being applied by the Market:\n\n"},
		{true, s.Unknown, "\n### Outcome unknown\n\nSent earlier, and nobody can say yet whether the Market applied it; not sent again until the order shows it, the Market says how it went, or its grace period ends:\n\n"},
	} {
		if sec.n == 0 {
			continue
		}
		b.WriteString(sec.head)
		for _, pd := range byAddress(p.Pending, func(p plan.Pending) string { return p.Address }) {
			if pd.Unknown == sec.unknown {
				fmt.Fprintf(&b, "- %s: %s (%s)\n", htmlCode(pd.Address), mdText(strings.Join(pd.Fields, ", ")), mdText(pendingNote(pd)))
			}
		}
	}
	if s.Deferred > 0 {
		b.WriteString("\n### Deferred\n\nThe order's status does not allow it yet; the first apply that finds it does sends it:\n\n")
		for _, d := range byAddress(p.Deferred, func(d plan.Deferred) string { return d.Address }) {
			fmt.Fprintf(&b, "- %s (%s): %s, %s\n", htmlCode(d.Address), mdText(orderHeading(&d.Change)), mdText(d.Blocks), mdText(waitsFor(d)))
			for _, f := range d.Fields {
				e := exposureOf(&d.Change, f.Path, opt)
				fmt.Fprintf(&b, "  - %s: %s → %s\n", mdText(f.Path), mdText(humanValue(f.Path, f.Before, e)), mdText(humanValue(f.Path, f.After, e)))
			}
		}
	}
	markdownDataSources(&b, p.DataSources)
	io.WriteString(w, b.String())
}

// htmlText escapes s for HTML text. The backtick too: in a list item the
// HTML sits inside Markdown, where a stray backtick could open a code span.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "`", "&#96;").Replace(clean(s))
}

// htmlCode shows an address as code. <code> rather than backticks: an
// address with a for_each key may itself contain a backtick, and entities
// work in every context (list, table, <summary>).
func htmlCode(s string) string { return "<code>" + htmlText(s) + "</code>" }

// mdText escapes s for Markdown text, a table cell included: HTML and
// entities are neutralised, and the punctuation that makes emphasis, links,
// code spans, headings or table columns is backslash-escaped.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range clean(s) {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '[', ']', '|', '#', '!', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
