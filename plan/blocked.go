package plan

import (
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/schema"
)

// declRange is where what a blocked entry is about is declared, for the
// error to point at the line to edit: the field's own attribute ("track.code"),
// else its block ("track"), else the order block's header. field may name
// several ("delivery_interval, recipient"): the first declared one wins. It
// is the zero Range for an order that came from no file.
func declRange(d schema.Order, field string) hcl.Range {
	for _, f := range strings.Split(field, ", ") {
		for f != "" {
			if r, ok := d.Ranges[f]; ok && r.Filename != "" {
				return r
			}
			i := strings.LastIndexByte(f, '.')
			if i < 0 {
				break
			}
			f = f[:i]
		}
	}
	return d.DeclRange
}
