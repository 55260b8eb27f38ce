package views

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
)

// dataSourceLine is one result of a data source as the configuration
// refers to it: the expression ("data.delivery_intervals.o2001.available[1]")
// and what it holds.
type dataSourceLine struct{ expr, value string }

// dataSourceLines lists every result of ds, or says that a list is empty.
func dataSourceLines(ds []plan.DataSource) []dataSourceLine {
	var out []dataSourceLine
	for _, d := range ds {
		switch d.Kind {
		case "delivery_intervals":
			list := d.Address + ".available"
			if len(d.Available) == 0 {
				out = append(out, dataSourceLine{list, fmt.Sprintf("[] (the Market offers order %d no interval to move to)", d.OrderID)})
			}
			for i, iv := range d.Available {
				out = append(out, dataSourceLine{fmt.Sprintf("%s[%d]", list, i), intervalText(iv)})
			}
		case "delivery_options":
			list := d.Address + ".options"
			if len(d.Options) == 0 {
				out = append(out, dataSourceLine{list, "[] (no delivery option for these items)"})
			}
			for i, o := range d.Options {
				out = append(out, dataSourceLine{fmt.Sprintf("%s[%d]", list, i), optionText(o)})
			}
		}
	}
	return out
}

// intervalText is an interval as the plan writes them; a pickup option's
// has dates only.
func intervalText(iv provider.Interval) string {
	if iv.FromTime != "" && iv.ToTime != "" {
		return plan.FormatInterval(iv)
	}
	from, _ := plan.NormDate(iv.FromDate)
	to, _ := plan.NormDate(iv.ToDate)
	if to == "" || to == from {
		return from
	}
	return from + " - " + to
}

// optionText is one delivery option: "courier 2026-12-01 10:00-14:00,
// warehouse 1, 290 RUR".
func optionText(o provider.DeliveryOption) string {
	what := o.Type
	if o.LogisticPointID != 0 {
		what += fmt.Sprintf(" at point %d", o.LogisticPointID)
	}
	s := fmt.Sprintf("%s %s, warehouse %d, %s", what, intervalText(o.Interval), o.WarehouseID, strconv.FormatFloat(o.Price, 'f', -1, 64))
	if o.Currency != "" {
		s += " " + o.Currency
	}
	return s
}

// writeDataSources writes the plan's "Data sources read:" section, one
// aligned line per result, so that an index in the configuration can be
// checked against what it picks.
func writeDataSources(b *strings.Builder, ds []plan.DataSource, pal palette) {
	lines := dataSourceLines(ds)
	if len(lines) == 0 {
		return
	}
	width := 0
	for _, l := range lines {
		width = max(width, len([]rune(clean(l.expr))))
	}
	b.WriteString(paint(pal.bold, "Data sources read:") + "\n")
	for _, l := range lines {
		fmt.Fprintf(b, "  %s = %s\n", pad(clean(l.expr), width), clean(l.value))
	}
	b.WriteString("\n")
}

// DataSources writes the "Data sources read:" section alone, for a plan
// that could not be made after the data sources were read (an index past
// the end of a list, say).
func DataSources(w io.Writer, ds []plan.DataSource, opt Options) {
	var b strings.Builder
	writeDataSources(&b, ds, newPalette(opt.Color))
	io.WriteString(w, b.String())
}

// markdownDataSources is the section of the pull-request comment, folded.
func markdownDataSources(b *strings.Builder, ds []plan.DataSource) {
	lines := dataSourceLines(ds)
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "\n<details><summary>Data sources read (%d)</summary>\n\n", len(ds))
	for _, l := range lines {
		fmt.Fprintf(b, "- %s = %s\n", htmlCode(l.expr), mdText(l.value))
	}
	b.WriteString("\n</details>\n")
}

// dataSourceJSON is one data source in plan -json: its result under the
// attribute name the configuration uses (available or options), each
// element with its index.
type dataSourceJSON struct {
	Address    string                 `json:"address"`
	Kind       string                 `json:"kind"`
	CampaignID int64                  `json:"campaign_id"`
	OrderID    *int64                 `json:"order_id,omitempty"`
	Available  *[]indexedIntervalJSON `json:"available,omitempty"`
	Options    *[]deliveryOptionJSON  `json:"options,omitempty"`
}

type indexedIntervalJSON struct {
	Index int `json:"index"`
	intervalJSON
}

type deliveryOptionJSON struct {
	Index           int     `json:"index"`
	Type            string  `json:"type"`
	WarehouseID     int64   `json:"warehouse_id"`
	LogisticPointID *int64  `json:"logistic_point_id"`
	Price           float64 `json:"price"`
	Currency        string  `json:"currency"`
	intervalJSON
}

// nullIfEmpty is HCL's view of an absent value: null.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func dataSourcesJSON(ds []plan.DataSource) []dataSourceJSON {
	out := make([]dataSourceJSON, 0, len(ds))
	for _, d := range ds {
		v := dataSourceJSON{Address: d.Address, Kind: d.Kind, CampaignID: d.CampaignID}
		iv := func(x provider.Interval) intervalJSON {
			return intervalJSON{FromDate: nullIfEmpty(x.FromDate), ToDate: nullIfEmpty(x.ToDate),
				FromTime: nullIfEmpty(x.FromTime), ToTime: nullIfEmpty(x.ToTime)}
		}
		switch d.Kind {
		case "delivery_intervals":
			id := d.OrderID
			v.OrderID = &id
			list := make([]indexedIntervalJSON, 0, len(d.Available))
			for i, x := range d.Available {
				list = append(list, indexedIntervalJSON{Index: i, intervalJSON: iv(x)})
			}
			v.Available = &list
		case "delivery_options":
			list := make([]deliveryOptionJSON, 0, len(d.Options))
			for i, o := range d.Options {
				x := deliveryOptionJSON{Index: i, Type: o.Type, WarehouseID: o.WarehouseID, Price: o.Price, Currency: o.Currency, intervalJSON: iv(o.Interval)}
				if o.LogisticPointID != 0 {
					lp := o.LogisticPointID
					x.LogisticPointID = &lp
				}
				list = append(list, x)
			}
			v.Options = &list
		}
		out = append(out, v)
	}
	return out
}
