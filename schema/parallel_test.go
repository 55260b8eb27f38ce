package schema

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// manyInstances is a configuration of 1,200 for_each instances in two
// blocks, with mistakes in several of them: track codes with spaces or
// empty, order IDs declared twice (in one block, across the two blocks and
// by a block of its own), a sensitive prefix in every phone and a bad phone
// in some, a delivery date from a data source (unknown offline) and
// warnings that repeat in every instance.
func manyInstances() map[string]string {
	var csv strings.Builder
	csv.WriteString("key,order_id,track,from_date,phone\n")
	for i := range 600 {
		id, track, phone := 200000+i, fmt.Sprintf("RP%09dRU", i), fmt.Sprintf("7999%07d", i)
		switch {
		case i%97 == 5:
			track = " " + track + " "
		case i%101 == 7:
			track = ""
		case i%89 == 3:
			id = 200000 + i - 1 // the previous row's
		case i%113 == 11:
			phone = "79-99"
		}
		fmt.Fprintf(&csv, "k%d,%d,%s,2026-11-%02d,%s\n", i, id, track, 1+i%28, phone)
	}
	return map[string]string{
		"tracks.csv": csv.String(),
		"main.hcl": `variable "prefix" {
  type      = string
  sensitive = true
  default   = "+"
}
locals {
  rows = csvdecode(file("tracks.csv"))
}
data "delivery_intervals" "o" {
  order_id = 200000
}
order "200100" {
  track {
    code                = "RP000000100XX"
    delivery_service_id = 51
  }
}
order "rows" {
  for_each = { for row in local.rows : row.key => row }
  id       = each.value.order_id
  track {
    code                = each.value.track
    delivery_service_id = 51
  }
  recipient {
    phone = "${var.prefix}${each.value.phone}"
  }
  delivery_date {
    to_date = data.delivery_intervals.o.available[0].to_date
    reason  = "PARTNER_MOVED_DELIVERY_DATES"
  }
}
order "again" {
  for_each = { for row in local.rows : row.order_id => row if tonumber(row.order_id) % 50 == 0 }
  delivery_interval {
    from_date = each.value.from_date
    from_time = "10:00"
    to_time   = "14:00"
  }
}
order "late" {
  for_each = toset([for row in local.rows : tostring(tonumber(row.order_id) + 1000)])
  delivery_interval {
    from_date = "2026-11-30"
    to_date   = each.key == "201500" ? "2026-11-29" : "2026-12-01"
    from_time = "10:00"
    to_time   = "14:00"
  }
}
`,
	}
}

// evaluated is what Load and Orders return for a configuration.
type evaluated struct {
	LoadDiags, OfflineDiags, BoundDiags []diagSummary
	Offline, Bound                      []Order
}

// diagSummary is a diagnostic without its expression and evaluation
// context (which hold functions, and differ from one Load to the next).
type diagSummary struct {
	Severity         hcl.DiagnosticSeverity
	Summary, Detail  string
	Subject, Context *hcl.Range
}

func summarizeDiags(diags hcl.Diagnostics) []diagSummary {
	out := make([]diagSummary, len(diags))
	for i, d := range diags {
		out[i] = diagSummary{d.Severity, d.Summary, d.Detail, d.Subject, d.Context}
	}
	return out
}

// evaluate loads dir and evaluates its orders offline and, unless results
// is nil, with results, with parallelMin set to min.
func evaluate(t *testing.T, dir string, min int, results *DataResults) evaluated {
	t.Helper()
	old := parallelMin
	parallelMin = min
	defer func() { parallelMin = old }()
	cfg, diags := Load(dir, LoadOptions{})
	var e evaluated
	e.LoadDiags = summarizeDiags(diags)
	orders, diags := cfg.Orders(nil)
	e.Offline, e.OfflineDiags = orders, summarizeDiags(diags)
	if results == nil {
		return e
	}
	orders, diags = cfg.Orders(results)
	e.Bound, e.BoundDiags = orders, summarizeDiags(diags)
	return e
}

// TestInstancesConcurrently: evaluated on several cores, the instances of
// a for_each give the orders and diagnostics, in the same order, that they
// give one after the other.
func TestInstancesConcurrently(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	results := &DataResults{Intervals: map[string][]Interval{"o": {{FromDate: "2026-11-20", ToDate: "2026-11-21", FromTime: "10:00", ToTime: "14:00"}}}}
	dir := writeDir(t, withProvider(manyInstances()))
	seq := evaluate(t, dir, 1<<30, results)
	for _, min := range []int{1, 256} {
		par := evaluate(t, dir, min, results)
		if diff := cmp.Diff(seq, par); diff != "" {
			t.Errorf("parallelMin %d: concurrently (-sequentially +concurrently):\n%s", min, diff)
		}
	}

	// What the comparison is of: every kind of mistake, in many instances.
	count := func(diags []diagSummary) map[string]int {
		n := map[string]int{}
		for _, d := range diags {
			n[d.Summary]++
		}
		return n
	}
	n := count(seq.LoadDiags)
	for summary, want := range map[string]int{
		// 7 codes with spaces and 6 empty; 7 IDs twice in order.rows, 12
		// again in order.again, and order.200100's; 6 phones.
		"Invalid track code": 7 + 6, "Duplicate order ID": 7 + 12 + 1, "Invalid phone": 6, "Invalid delivery interval": 1,
		"Delivery date moved at the shop's cost": 1,
	} {
		if n[summary] != want {
			t.Errorf("Load: %d diagnostics %q, want %d; all: %v", n[summary], summary, want, n)
		}
	}
	// order.late has a key for each order ID but the 7 repeated ones.
	if len(seq.Bound) != 1+600+12+593 || len(seq.OfflineDiags) != 0 || len(seq.BoundDiags) != 0 {
		t.Errorf("%d orders; offline %v; bound %v", len(seq.Bound), seq.OfflineDiags, seq.BoundDiags)
	}
	for _, o := range seq.Bound {
		if strings.HasPrefix(o.Address, "order.rows[") {
			if o.Recipient.Phone != nil && !slicesEqual(o.Sensitive, []string{"recipient.phone"}) {
				t.Errorf("%s: Sensitive = %v", o.Address, o.Sensitive)
			}
			if o.DeliveryDate == nil || o.DeliveryDate.ToDate != "2026-11-21" {
				t.Errorf("%s: delivery date %+v", o.Address, o.DeliveryDate)
			}
		}
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// TestInstancesConcurrentlyOverBudget: instances that exhaust the
// evaluation budget concurrently are refused as they are one after the
// other, from the same instance on.
func TestInstancesConcurrentlyOverBudget(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	// tostring charges each instance 1 MiB, the string it returns (without
	// building it again): the budget, 128 MiB, runs out in the 128th. The
	// instances of the second batch (instanceBatch is 32) first iterate a
	// list, a while: those of the batches after them would be charged
	// first if nothing but the timing decided.
	dir := writeDir(t, withProvider(map[string]string{
		"big.txt": strings.Repeat("x", 1<<20),
		"main.hcl": `locals {
  big  = file("big.txt")
  list = tolist([for i in range(1000) : "x"])
}
order "many" {
  for_each = toset([for i in range(300) : tostring(300000 + i)])
  track {
    code                = length([for x in (tonumber(each.key) >= 300032 && tonumber(each.key) < 300064 ? local.list : []) : x]) >= 0 && tostring(local.big) != "" ? "RP123456789RU" : ""
    delivery_service_id = 51
  }
}
`}))
	seq, par := evaluate(t, dir, 1<<30, nil), evaluate(t, dir, 256, nil)
	if diff := cmp.Diff(seq, par); diff != "" {
		t.Errorf("concurrently (-sequentially +concurrently):\n%s", diff)
	}
	with := 0
	for _, o := range seq.Offline {
		if o.Track.Code != "" {
			with++
		}
	}
	if len(seq.Offline) != 300 || with < 100 || with > 200 || len(seq.LoadDiags) == 0 {
		t.Errorf("%d orders, %d with a track code; Load: %v", len(seq.Offline), with, seq.LoadDiags)
	}
}

// TestInstanceAddress: the address is the label and the key quoted as Go
// quotes it, whatever the key.
func TestInstanceAddress(t *testing.T) {
	for _, key := range []string{"", "1001", "from carrier", "a~b", "\x7f", "\x1f", `"`, `\`, "ключ", "\xff", "a\nb", "\u202e", " !#$%&'()*+,-./:;<=>?@[]^_`{|}"} {
		if got, want := instanceAddress("l", key), "order.l["+strconv.Quote(key)+"]"; got != want {
			t.Errorf("%q: %s, want %s", key, got, want)
		}
	}
}

// TestInstanceIDFromKeyWhereIDIsNull: an instance whose id is null takes
// its key for ID, declared at for_each rather than at id, and a duplicate's
// error says so, whether the instances are evaluated concurrently or not.
func TestInstanceIDFromKeyWhereIDIsNull(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	dir := writeDir(t, withProvider(map[string]string{
		"main.hcl": `order "1001" {
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
order "csv" {
  for_each = { "1001" = null, "2001" = 2001, "3001" = 1001 }
  id       = each.value
  track {
    code                = "RP2"
    delivery_service_id = 1
  }
}
`}))
	seq := evaluate(t, dir, 1<<30, nil)
	if diff := cmp.Diff(seq, evaluate(t, dir, 1, nil)); diff != "" {
		t.Errorf("concurrently (-sequentially +concurrently):\n%s", diff)
	}
	var got []string
	for _, d := range seq.LoadDiags {
		got = append(got, fmt.Sprintf("%s @ %d:%d: %s", d.Summary, d.Subject.Start.Line, d.Subject.Start.Column, d.Detail))
	}
	want := []string{
		`Duplicate order ID @ 8:14: Order ID 1001 is declared twice: by order.1001 at ` + dir + `/main.hcl:1:7 and by order.csv["1001"] at ` + dir + `/main.hcl:8:14. Declare each order once: remove one, or fix its ID.`,
		`Duplicate order ID @ 9:14: Order ID 1001 is declared twice: by order.1001 at ` + dir + `/main.hcl:1:7 and by order.csv["3001"] at ` + dir + `/main.hcl:9:14. Declare each order once: remove one, or fix its ID.`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
