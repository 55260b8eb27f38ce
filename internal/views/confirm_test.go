package views

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/plan"
)

// The question apply asks says what will and will not be touched, with
// the right number of orders: "yes" to a plan with an Error above it must
// not be given in the belief that the blocked order is included.
func TestConfirm(t *testing.T) {
	const question = "\nDo you want to make these changes to %s?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
	twice := blocked()[1:2]
	twice = append(twice, twice[0])
	twice[1].Field = "delivery_interval"
	many := &plan.Plan{}
	for i := range 12 {
		c := trackChange()
		c.Address = fmt.Sprintf("order.%d", 1100+i)
		many.Changes = append(many.Changes, c)
	}
	for _, tc := range []struct {
		name string
		plan *plan.Plan
		want string
	}{
		{"one change", &plan.Plan{Changes: []plan.Change{trackChange()}},
			"\norderform will change 1 order: order.1001.\n" + fmt.Sprintf(question, "1 order")},
		{"one change, one order blocked twice", &plan.Plan{Changes: []plan.Change{trackChange()}, Blocked: twice},
			"\norderform will change 1 order: order.1001.\n" +
				"It will not touch 1 blocked order (see the error above): order.1003.\n" +
				fmt.Sprintf(question, "1 order")},
		{"everything", fullPlan(),
			"\norderform will change 2 orders: order.1001, order.2001.\n" +
				"It will not touch 3 blocked orders (see the errors above): order.1003, order.1004, order.2005.\n" +
				"It will not send again 2 pending orders (already submitted, being applied by the Market): order.2003, order.2004.\n" +
				fmt.Sprintf(question, "2 orders")},
		{"many", many,
			"\norderform will change 12 orders: order.1100, order.1101, order.1102, order.1103, order.1104, order.1105, order.1106, order.1107, order.1108, order.1109 and 2 more.\n" +
				fmt.Sprintf(question, "12 orders")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			Confirm(&b, tc.plan, Options{})
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("Confirm (-want +got):\n%s", diff)
			}
		})
	}
}
