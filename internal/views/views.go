// Package views is how orderform shows things: plans, apply reports,
// progress and diagnostics, for people (a terminal, coloured or plain), for
// scripts (JSON) and for pull-request comments (Markdown). It is the last
// stage, and the only package besides the command layer that writes
// user-facing text; it writes only to the io.Writer it is given.
//
// Like Terraform's command/views and command/jsonformat, the human view and
// the JSON view render the same typed data (plan.Plan, apply.Report): a
// script never has to parse the human text, and the human text is free to
// improve. The JSON views use structs of their own, so the plan file format
// and the JSON a script reads can evolve separately.
//
// What the caller decides (colour, width, whether personal data is shown)
// arrives in Options: this package never looks at the terminal, the
// environment or color.NoColor.
package views

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fatih/color"
)

// Options are decided once by the command layer and passed down.
type Options struct {
	Color         bool // decided once by the command layer (TTY, -no-color, NO_COLOR)
	ShowSensitive bool // -show-sensitive: recipient names/phones and values from sensitive variables in clear
	Width         int  // terminal width for wrapping diagnostics (0 = 78)
}

func (o Options) width() int {
	if o.Width <= 0 {
		return 78
	}
	return o.Width
}

// palette holds the colours of one rendering. Each is its own color.Color,
// switched on or off from Options, so that nothing depends on (or changes)
// the library's global color.NoColor or the NO_COLOR the library reads
// itself: the command layer has already taken NO_COLOR into account.
type palette struct {
	update, bold, errLabel, pending, ok, bad *color.Color
}

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		update:   mk(color.FgYellow),
		bold:     mk(color.Bold),
		errLabel: mk(color.FgRed, color.Bold),
		pending:  mk(color.FgCyan),
		ok:       mk(color.FgGreen, color.Bold),
		bad:      mk(color.FgRed),
	}
}

// paint colours s, leaving empty strings alone so that padding never carries
// escape codes of its own.
func paint(c *color.Color, s string) string {
	if s == "" {
		return s
	}
	return c.Sprint(s)
}

// hclQuote quotes s as an HCL string literal, so a reviewer reads values the
// way they are written in the configuration. Control and format characters
// (an escape sequence in an API answer, a bidi override in a name) are
// escaped: a value must never be able to repaint the reader's terminal.
func hclQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\u%04X`, utf8.RuneError)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+size:], "{"):
			// "${" and "%{" start templates in HCL; doubling is its escape.
			b.WriteRune(r)
			b.WriteRune(r)
		case unsafeRune(r):
			escapeRune(&b, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// unsafeRune reports runes that must not reach a terminal or a comment as
// they are.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

func escapeRune(b *strings.Builder, r rune) {
	if r > 0xFFFF {
		fmt.Fprintf(b, `\U%08X`, r)
		return
	}
	fmt.Fprintf(b, `\u%04X`, r)
}

// clean makes free text from elsewhere (API error messages, details,
// addresses built from for_each keys) safe to print on one line.
func clean(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteByte(' ')
		case unsafeRune(r):
			escapeRune(&b, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// wrap breaks text into lines no wider than width (counted in runes,
// including the prefix); first prefixes the first line and rest the others.
// A word longer than a line gets a line of its own rather than being cut.
func wrap(text string, width int, first, rest string) string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return strings.TrimRight(first, " ")
	}
	var b strings.Builder
	b.WriteString(first)
	col := utf8.RuneCountInString(first)
	start := true
	for _, w := range words {
		n := utf8.RuneCountInString(w)
		switch {
		case start:
		case col+1+n > width:
			b.WriteByte('\n')
			b.WriteString(rest)
			col = utf8.RuneCountInString(rest)
			start = true
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += n
		start = false
	}
	return b.String()
}

// pad right-pads s with spaces to width runes.
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// byAddress returns a copy of xs sorted by address (stable), so every view
// lists orders in the same order whatever order it was handed them in.
func byAddress[T any](xs []T, address func(T) string) []T {
	out := slices.Clone(xs)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(address(a), address(b)) })
	return out
}

// plural picks the singular or plural noun for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
