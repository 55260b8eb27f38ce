package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/orderform/orderform/plan"
)

// confirmListLimit is how many addresses the confirmation names before it
// only counts: enough to check a small apply at a glance, short for a big one.
const confirmListLimit = 10

// Confirm writes apply's question, after the plan: first, plainly, which
// orders will be changed and which will not be touched although the plan
// shows them (blocked, pending), so that "yes" is never given to an Error
// above it by mistake; then the question, ending without a newline where
// the answer is typed.
//
//	orderform will change 1 order: order.1001.
//	It will not touch 1 blocked order (see the error above): order.1003.
//
//	Do you want to make these changes to 1 order?
//	  Only 'yes' will be accepted to approve.
//
//	  Enter a value:
func Confirm(w io.Writer, p *plan.Plan, opt Options) {
	pal := newPalette(opt.Color)
	var b strings.Builder
	changes := uniqueAddresses(len(p.Changes), func(i int) string { return p.Changes[i].Address })
	blocked := uniqueAddresses(len(p.Blocked), func(i int) string { return p.Blocked[i].Address })
	pending := uniqueAddresses(len(p.Pending), func(i int) string { return p.Pending[i].Address })

	b.WriteString("\n")
	fmt.Fprintf(&b, "orderform will change %s: %s.\n", countOrders(len(changes), ""), addressList(changes))
	if len(blocked) > 0 {
		fmt.Fprintf(&b, "It will not touch %s (%s): %s.\n", countOrders(len(blocked), "blocked"),
			plural(len(blocked), "see the error above", "see the errors above"), addressList(blocked))
	}
	if len(pending) > 0 {
		fmt.Fprintf(&b, "It will not send again %s (already submitted, being applied by the Market): %s.\n",
			countOrders(len(pending), "pending"), addressList(pending))
	}
	fmt.Fprintf(&b, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
		paint(pal.bold, fmt.Sprintf("Do you want to make these changes to %s?", countOrders(len(changes), ""))))
	io.WriteString(w, b.String())
}

// countOrders is "1 order", "3 blocked orders".
func countOrders(n int, adjective string) string {
	if adjective != "" {
		adjective += " "
	}
	return fmt.Sprintf("%d %s%s", n, adjective, plural(n, "order", "orders"))
}

// uniqueAddresses lists the n addresses in order, each once (an order can
// be blocked for two fields).
func uniqueAddresses(n int, address func(int) string) []string {
	seen := make(map[string]bool, n)
	var out []string
	for i := range n {
		a := address(i)
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return byAddress(out, func(s string) string { return s })
}

// addressList joins addresses, up to confirmListLimit of them.
func addressList(addrs []string) string {
	shown := addrs
	if len(shown) > confirmListLimit {
		shown = shown[:confirmListLimit]
	}
	parts := make([]string, len(shown))
	for i, a := range shown {
		parts[i] = clean(a)
	}
	s := strings.Join(parts, ", ")
	if more := len(addrs) - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}
