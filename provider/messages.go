package provider

import (
	"fmt"
	"unicode/utf8"
)

// What an APIError keeps of the answer's messages: the API's own run to a
// few hundred bytes, but an answer may be as large as the client reads
// (16 MB), and its text goes to the terminal, the journal and the plan.
const (
	maxMessageBytes = 500
	maxCodeBytes    = 64
	maxErrorEntries = 10
)

// bound cuts s to at most n bytes (on a character boundary) and says how
// much was left out.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes more)", s[:cut], len(s)-cut)
}

// boundEntries keeps the first maxErrorEntries entries, each through text
// and bounded, and says how many were left out.
func boundEntries(entries []ErrorEntry, text func(string) string) []ErrorEntry {
	n := min(len(entries), maxErrorEntries)
	out := make([]ErrorEntry, n, n+1)
	for i, x := range entries[:n] {
		out[i] = ErrorEntry{Code: bound(text(x.Code), maxCodeBytes), Message: bound(text(x.Message), maxMessageBytes)}
	}
	if rest := len(entries) - n; rest > 0 {
		out = append(out, ErrorEntry{Message: fmt.Sprintf("... (%d more errors)", rest)})
	}
	return out
}

// messageMask is what a request carries that an answer quoting it must not
// show: the recipient of an orders/update.
func (r *request) messageMask() messageMask {
	var m messageMask
	switch b := r.body.(type) {
	case updateOrderRequest:
		if cu := b.Order.Customer; cu != nil {
			m.names = nameWords(cu.FirstName, cu.LastName, cu.MiddleName)
			if d := digitsOf(cu.Phone); d != "" {
				m.phones = []string{d}
			}
		}
	case Track:
		m.keep = []string{b.Code}
	}
	return m
}
