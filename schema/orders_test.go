package schema

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

// summary is what tests compare of an order: its values, not its ranges.
type summary struct {
	Address   string
	ID        int64
	Campaign  int64
	Track     *Track
	Interval  *Interval
	Recipient *Recipient
}

func summarize(orders []Order) []summary {
	var out []summary
	for _, o := range orders {
		out = append(out, summary{o.Address, o.ID, o.CampaignID, o.Track, o.Interval, o.Recipient})
	}
	return out
}

func TestLocals(t *testing.T) {
	t.Run("across blocks and files, in dependency order", func(t *testing.T) {
		_, orders, dir, diags := loadAll(t, map[string]string{
			"a.hcl": `locals {
  code = "${local.prefix}${local.number}"
}
order "1001" {
  track {
    code                = local.code
    delivery_service_id = local.service
  }
}
`,
			"b.hcl": `locals {
  prefix = upper("rp")
}
locals {
  number  = format("%09d", 42)
  service = max(1, 51)
}
`,
		}, LoadOptions{})
		if len(diags) > 0 {
			t.Fatal(render(dir, diags))
		}
		want := []summary{{Address: "order.1001", ID: 1001, Campaign: 21000000, Track: &Track{Code: "RP000000042", DeliveryServiceID: 51}}}
		if diff := cmp.Diff(want, summarize(orders)); diff != "" {
			t.Errorf("orders (-want +got):\n%s", diff)
		}
	})
	t.Run("a cycle names every local on it", func(t *testing.T) {
		_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": `locals {
  a = local.b
  b = "${local.c}x"
  c = length(local.a)
  d = local.a
  e = local.e
}
order "1001" {
  track {
    code                = local.d
    delivery_service_id = 1
  }
}
`}, LoadOptions{})
		want := []string{
			"error: Cycle in local values @ main.hcl:2:3",
			"error: Cycle in local values @ main.hcl:6:3",
		}
		if diff := cmp.Diff(want, render(dir, diags)); diff != "" {
			t.Fatalf("diagnostics (-want +got):\n%s", diff)
		}
		wantDetails := []string{
			"These local values refer to each other in a cycle: local.a -> local.b -> local.c -> local.a. A local value cannot depend on itself, directly or through others: break the cycle.",
			"These local values refer to each other in a cycle: local.e -> local.e. A local value cannot depend on itself, directly or through others: break the cycle.",
		}
		if diff := cmp.Diff(wantDetails, details(dir, diags)); diff != "" {
			t.Errorf("details (-want +got):\n%s", diff)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		_, _, dir, diags := loadAll(t, map[string]string{
			"a.hcl": "locals {\n  x = 1\n}\n",
			"b.hcl": "locals {\n  x = 2\n}\n",
		}, LoadOptions{})
		if diff := cmp.Diff([]string{"error: Duplicate local value @ b.hcl:2:3"}, render(dir, diags)); diff != "" {
			t.Errorf("diagnostics (-want +got):\n%s", diff)
		}
	})
	t.Run("an error is reported once, not again by what uses the local", func(t *testing.T) {
		_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": `locals {
  rows = csvdecode("a,b\n1")
  ids  = [for r in local.rows : r.a]
}
order "1001" {
  track {
    code                = local.ids[0]
    delivery_service_id = 1
  }
}
`}, LoadOptions{})
		if diff := cmp.Diff([]string{"error: Error in function call @ main.hcl:2:10"}, render(dir, diags)); diff != "" {
			t.Errorf("diagnostics (-want +got):\n%s", diff)
		}
	})
}

func TestForEach(t *testing.T) {
	t.Run("over a map", func(t *testing.T) {
		_, orders, dir, diags := loadAll(t, map[string]string{"main.hcl": `order "carrier" {
  for_each    = { "1008" = "RP8", "1007" = "RP7" }
  campaign_id = 22
  track {
    code                = each.value
    delivery_service_id = 51
  }
}
order "1001" {
  recipient {
    first_name = "  Ivan "
  }
}
`}, LoadOptions{})
		if len(diags) > 0 {
			t.Fatal(render(dir, diags))
		}
		want := []summary{
			{Address: "order.1001", ID: 1001, Campaign: 21000000, Recipient: &Recipient{FirstName: ptr("Ivan")}},
			{Address: `order.carrier["1007"]`, ID: 1007, Campaign: 22, Track: &Track{"RP7", 51}},
			{Address: `order.carrier["1008"]`, ID: 1008, Campaign: 22, Track: &Track{"RP8", 51}},
		}
		if diff := cmp.Diff(want, summarize(orders)); diff != "" {
			t.Errorf("orders (-want +got):\n%s", diff)
		}
		if got := rel(dir, orders[1].Ranges["track.code"].Filename) + ":" + strconv.Itoa(orders[1].Ranges["track.code"].Start.Line); got != "main.hcl:5" {
			t.Errorf(`Ranges["track.code"] at %s`, got)
		}
		if got := orders[1].DeclRange.Start.Line; got != 1 {
			t.Errorf("DeclRange at line %d", got)
		}
	})
	t.Run("over a set of strings", func(t *testing.T) {
		_, orders, dir, diags := loadAll(t, map[string]string{"main.hcl": `order "set" {
  for_each = toset(["1002", "1001"])
  track {
    code                = "RP${each.value}"
    delivery_service_id = 1
  }
}
`}, LoadOptions{})
		if len(diags) > 0 {
			t.Fatal(render(dir, diags))
		}
		want := []summary{
			{Address: `order.set["1001"]`, ID: 1001, Campaign: 21000000, Track: &Track{"RP1001", 1}},
			{Address: `order.set["1002"]`, ID: 1002, Campaign: 21000000, Track: &Track{"RP1002", 1}},
		}
		if diff := cmp.Diff(want, summarize(orders)); diff != "" {
			t.Errorf("orders (-want +got):\n%s", diff)
		}
	})
	t.Run("over csvdecode(file()) with id from a column", func(t *testing.T) {
		_, orders, dir, diags := loadAll(t, map[string]string{
			"main.hcl": `locals {
  tracks = csvdecode(file("data/tracks.csv"))
}
order "csv" {
  for_each = { for row in local.tracks : row.track => row }
  id       = each.value.order_id
  track {
    code                = each.key
    delivery_service_id = tonumber(each.value.service)
  }
}
`,
			"data/tracks.csv": "order_id,track,service\n1007,RP7,51\n1008,RP8,52\n",
		}, LoadOptions{})
		if len(diags) > 0 {
			t.Fatal(render(dir, diags))
		}
		want := []summary{
			{Address: `order.csv["RP7"]`, ID: 1007, Campaign: 21000000, Track: &Track{"RP7", 51}},
			{Address: `order.csv["RP8"]`, ID: 1008, Campaign: 21000000, Track: &Track{"RP8", 52}},
		}
		if diff := cmp.Diff(want, summarize(orders)); diff != "" {
			t.Errorf("orders (-want +got):\n%s", diff)
		}
	})
	t.Run("a mistake in one instance names the instance", func(t *testing.T) {
		_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": `order "csv" {
  for_each = { "1007" = "2026-11-25", "1008" = "2026-11-31" }
  delivery_interval {
    from_date = each.value
    from_time = "10:00"
    to_time   = "09:00"
  }
}
`}, LoadOptions{})
		want := []string{
			"error: Invalid date @ main.hcl:4:17",
			"error: Invalid delivery interval @ main.hcl:6:17",
		}
		if diff := cmp.Diff(want, render(dir, diags)); diff != "" {
			t.Fatalf("diagnostics (-want +got):\n%s", diff)
		}
		wantDetails := []string{
			`from_date is not a day of the calendar; got "2026-11-31". (in order.csv["1008"])`,
			`On a single day, to_time "09:00" must be later than from_time "10:00".`,
		}
		if diff := cmp.Diff(wantDetails, details(dir, diags)); diff != "" {
			t.Errorf("details (-want +got):\n%s", diff)
		}
	})
}

func TestFileFunction(t *testing.T) {
	outside := writeDir(t, map[string]string{"secret.txt": "RP-SECRET"})
	tests := []struct {
		name  string
		call  string
		setup func(t *testing.T, dir string)
		want  []string
		code  string
		says  string // in the diagnostic's detail
	}{
		{name: "relative", call: `file("code.txt")`, code: "RP1"},
		{name: "in a subdirectory", call: `file("sub/../code.txt")`, code: "RP1"},
		{name: "absolute", call: `file("` + filepath.Join(outside, "secret.txt") + `")`, want: []string{"error: Invalid function argument @ main.hcl:3:43"}, says: "is an absolute path"},
		{name: "parent", call: `file("../secret.txt")`, want: []string{"error: Invalid function argument @ main.hcl:3:43"}, says: "is outside the configuration directory"},
		{name: "missing", call: `file("nope.txt")`, want: []string{"error: Invalid function argument @ main.hcl:3:43"}},
		{name: "a directory", call: `file("sub")`, want: []string{"error: Invalid function argument @ main.hcl:3:43"}},
		{
			name: "symlink out of the directory",
			call: `file("link.txt")`,
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
					t.Skip("symlinks:", err)
				}
			},
			want: []string{"error: Invalid function argument @ main.hcl:3:43"},
		},
		{
			name: "symlinked directory out of the directory",
			call: `file("out/secret.txt")`,
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
					t.Skip("symlinks:", err)
				}
			},
			want: []string{"error: Invalid function argument @ main.hcl:3:43"},
		},
		{
			name: "symlink inside the directory",
			call: `file("alias.txt")`,
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink("code.txt", filepath.Join(dir, "alias.txt")); err != nil {
					t.Skip("symlinks:", err)
				}
			},
			code: "RP1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, withProvider(map[string]string{
				"main.hcl": `order "1001" {
  track {
    code                = trimspace(` + tt.call + `)
    delivery_service_id = 1
  }
}
`,
				"code.txt":     "RP1\n",
				"sub/keep.txt": "",
			}))
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			cfg, diags := Load(dir, LoadOptions{})
			orders, od := cfg.Orders(nil)
			diags = append(diags, od...)
			if diff := cmp.Diff(tt.want, render(dir, diags)); diff != "" {
				t.Fatalf("diagnostics (-want +got):\n%s\n%q", diff, details(dir, diags))
			}
			if tt.says != "" && (len(diags) != 1 || !strings.Contains(diags[0].Detail, tt.says)) {
				t.Errorf("details %q do not say %q", details(dir, diags), tt.says)
			}
			for _, d := range details(dir, diags) {
				if strings.Contains(d, "RP-SECRET") {
					t.Errorf("the outside file was read: %q", d)
				}
			}
			if tt.code != "" && (len(orders) != 1 || orders[0].Track.Code != tt.code) {
				t.Errorf("orders = %+v, want code %q", summarize(orders), tt.code)
			}
		})
	}
}

const dataHCL = `data "delivery_intervals" "o1002" {
  order_id = 1002
}
data "delivery_options" "msk" {
  items           = [{ offer_id = "SKU-1", count = 2, warehouse_id = 1 }]
  courier_address = "Moscow, Lva Tolstogo 16"
}
locals {
  first = data.delivery_intervals.o1002.available[0]
}
order "1002" {
  delivery_interval {
    from_date = local.first.from_date
    to_date   = local.first.to_date
    from_time = local.first.from_time
    to_time   = local.first.to_time
  }
}
order "1003" {
  delivery_interval {
    from_date = data.delivery_options.msk.options[0].from_date
    from_time = coalesce(data.delivery_options.msk.options[0].from_time, "10:00")
    to_time   = "18:00"
  }
}
`

func TestDataSources(t *testing.T) {
	dir := writeDir(t, withProvider(map[string]string{"main.hcl": dataHCL}))
	cfg, diags := Load(dir, LoadOptions{})
	if len(diags) > 0 {
		t.Fatal(render(dir, diags))
	}
	wantData := []DataSource{
		{Kind: "delivery_intervals", Name: "o1002", Address: "data.delivery_intervals.o1002", OrderID: 1002},
		{
			Kind: "delivery_options", Name: "msk", Address: "data.delivery_options.msk",
			Items:          []Item{{OfferID: "SKU-1", Count: 2, WarehouseID: 1}},
			CourierAddress: "Moscow, Lva Tolstogo 16",
		},
	}
	if diff := cmp.Diff(wantData, cfg.Data, cmpopts.IgnoreTypes(hcl.Range{})); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}

	t.Run("unknown offline", func(t *testing.T) {
		orders, diags := cfg.Orders(nil)
		if len(diags) > 0 {
			t.Fatal(render(dir, diags))
		}
		want := []summary{
			{Address: "order.1002", ID: 1002, Campaign: 21000000, Interval: &Interval{}},
			{Address: "order.1003", ID: 1003, Campaign: 21000000, Interval: &Interval{ToTime: "18:00"}},
		}
		if diff := cmp.Diff(want, summarize(orders)); diff != "" {
			t.Errorf("orders (-want +got):\n%s", diff)
		}
	})
	results := func(from string) *DataResults {
		return &DataResults{
			Intervals: map[string][]Interval{"o1002": {{FromDate: from, ToDate: "2026-11-27", FromTime: "10:00", ToTime: "14:00"}}},
			Options: map[string][]DeliveryOption{"msk": {{
				WarehouseID: 1, Type: "pickup", LogisticPointID: 101, Price: 99.5, Currency: "RUR",
				Interval: Interval{FromDate: "2026-11-28", ToDate: "2026-11-28"},
			}}},
		}
	}
	t.Run("bound", func(t *testing.T) {
		orders, diags := cfg.Orders(results("2026-11-26"))
		if len(diags) > 0 {
			t.Fatal(render(dir, diags))
		}
		want := []summary{
			{Address: "order.1002", ID: 1002, Campaign: 21000000, Interval: &Interval{"2026-11-26", "2026-11-27", "10:00", "14:00"}},
			{Address: "order.1003", ID: 1003, Campaign: 21000000, Interval: &Interval{"2026-11-28", "2026-11-28", "10:00", "18:00"}},
		}
		if diff := cmp.Diff(want, summarize(orders)); diff != "" {
			t.Errorf("orders (-want +got):\n%s", diff)
		}
	})
	t.Run("checked once bound", func(t *testing.T) {
		_, diags := cfg.Orders(results("26-11-2026"))
		if diff := cmp.Diff([]string{"error: Invalid date @ main.hcl:13:17"}, render(dir, diags)); diff != "" {
			t.Errorf("diagnostics (-want +got):\n%s", diff)
		}
	})
	t.Run("no interval available", func(t *testing.T) {
		r := results("2026-11-26")
		r.Intervals["o1002"] = nil
		_, diags := cfg.Orders(r)
		if diff := cmp.Diff([]string{"error: Invalid index @ main.hcl:9:50"}, render(dir, diags)); diff != "" {
			t.Errorf("diagnostics (-want +got):\n%s", diff)
		}
	})
	t.Run("a data source not read", func(t *testing.T) {
		_, diags := cfg.Orders(&DataResults{Intervals: results("2026-11-26").Intervals})
		if diff := cmp.Diff([]string{"error: Missing data source result @ main.hcl:4:1"}, render(dir, diags)); diff != "" {
			t.Errorf("diagnostics (-want +got):\n%s", diff)
		}
	})
}

func TestDataSourceReferences(t *testing.T) {
	_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": `variable "order" {
  default = 1002
}
locals {
  first = data.delivery_intervals.a.available[0]
  id    = var.order
}
data "delivery_intervals" "a" {
  order_id = local.id
}
data "delivery_intervals" "b" {
  order_id = data.delivery_intervals.a.available[0].from_date
}
data "delivery_intervals" "c" {
  order_id = local.first.from_date
}
data "delivery_intervals" "a" {
  order_id = 3
}
data "delivery_intervals" "d" {
  order_id    = 1004
  campaign_id = 0
  order       = 1
}
provider "yandex_market" {
  campaign_id = local.first.from_date
}
`}, LoadOptions{})
	want := []string{
		"error: Invalid reference @ main.hcl:12:14",
		"error: Invalid reference @ main.hcl:15:14",
		"error: Duplicate data source @ main.hcl:17:27",
		"error: Invalid campaign_id @ main.hcl:22:17",
		"error: Unsupported argument @ main.hcl:23:3",
		"error: Invalid reference @ main.hcl:26:17",
	}
	if diff := cmp.Diff(want, render(dir, diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\n%q", diff, details(dir, diags))
	}
}

// TestOrdersDoesNotRepeatLoad: validate prints Load's diagnostics and then
// Orders'; one mistake must show once.
func TestOrdersDoesNotRepeatLoad(t *testing.T) {
	dir := writeDir(t, withProvider(map[string]string{"main.hcl": `order "1001" {
  track {
    code                = ""
    delivery_service_id = 1
  }
}
order "1002" {
}
`}))
	cfg, diags := Load(dir, LoadOptions{})
	want := []string{"error: Invalid track code @ main.hcl:3:27", "warning: Order manages nothing @ main.hcl:7:1"}
	if diff := cmp.Diff(want, render(dir, diags)); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	if _, diags := cfg.Orders(nil); len(diags) > 0 {
		t.Errorf("Orders(nil) repeats: %v", render(dir, diags))
	}
	if _, diags := cfg.Orders(&DataResults{}); len(diags) > 0 {
		t.Errorf("Orders(results) repeats: %v", render(dir, diags))
	}
}

func TestLoadDirectory(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		cfg, diags := Load(filepath.Join(t.TempDir(), "nope"), LoadOptions{})
		if cfg == nil || !diags.HasErrors() || diags[0].Summary != "Failed to read configuration directory" {
			t.Fatalf("cfg = %v, diags = %v", cfg, diags)
		}
		if orders, diags := cfg.Orders(nil); orders != nil || diags != nil {
			t.Errorf("Orders on a failed load: %v %v", orders, diags)
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, diags := Load(t.TempDir(), LoadOptions{})
		if diff := cmp.Diff([]string{"error: No configuration files @ -"}, render("", diags)); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("only *.hcl, sorted, not recursive, editor files skipped", func(t *testing.T) {
		dir := writeDir(t, map[string]string{
			"b.hcl":         "order \"1002\" {\n  recipient {\n    first_name = \"B\"\n  }\n}\n",
			"a.hcl":         providerHCL + "order \"1001\" {\n  recipient {\n    first_name = \"A\"\n  }\n}\n",
			"c.hcl.bak":     "garbage {",
			".#d.hcl":       "garbage {",
			"e.hcl~":        "garbage {",
			"sub/f.hcl":     "garbage {",
			"vars.hclvars":  "garbage {",
			"tracks.csv":    "a,b\n",
			"README.md":     "# orders\n",
			"terraform.tfv": "x",
		})
		cfg, diags := Load(dir, LoadOptions{})
		if len(diags) > 0 {
			t.Fatal(render(dir, diags))
		}
		var names []string
		for name := range cfg.Files() {
			names = append(names, rel(dir, name))
		}
		if diff := cmp.Diff([]string{"a.hcl", "b.hcl"}, names, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
		if got := cfg.Provider.CampaignID; got != 21000000 {
			t.Errorf("campaign = %d", got)
		}
	})
}

func TestProvider(t *testing.T) {
	cfg, _, dir, diags := loadAll(t, map[string]string{"main.hcl": `variable "key" {
  sensitive = true
  default   = "k"
}
provider "yandex_market" {
  campaign_id = "21000000"
  business_id = 9000000
  api_key     = var.key
  sandbox     = "sandbox.json"
}
`}, LoadOptions{})
	if diags := withoutNoOrders(diags); len(diags) > 0 {
		t.Fatal(render(dir, diags))
	}
	want := Provider{CampaignID: 21000000, BusinessID: 9000000, APIKey: "k", Sandbox: "sandbox.json"}
	if diff := cmp.Diff(want, cfg.Provider, cmpopts.IgnoreTypes(hcl.Range{})); diff != "" {
		t.Errorf("provider (-want +got):\n%s", diff)
	}
	if cfg.Provider.DeclRange.Start.Line != 5 {
		t.Errorf("DeclRange = %v", cfg.Provider.DeclRange)
	}
}

// TestForEachOverData: offline, a for_each over a data source is unknown;
// the block is still checked once, with each unknown.
func TestForEachOverData(t *testing.T) {
	dir := writeDir(t, withProvider(map[string]string{"main.hcl": `data "delivery_options" "msk" {
  items           = [{ offer_id = "SKU-1", count = 1, warehouse_id = 1 }]
  courier_address = "Moscow, Lva Tolstogo 16"
}
order "by_warehouse" {
  for_each = { for o in data.delivery_options.msk.options : tostring(o.warehouse_id) => o }
  id       = 1000 + each.value.warehouse_id
  delivery_interval {
    from_date = each.value.from_date
    from_time = "10:00"
    to_time   = "1800"
  }
}
`}))
	cfg, diags := Load(dir, LoadOptions{})
	if diff := cmp.Diff([]string{"error: Invalid time @ main.hcl:11:17"}, render(dir, diags)); diff != "" {
		t.Fatalf("Load (-want +got):\n%s", diff)
	}
	orders, diags := cfg.Orders(nil)
	if len(orders) != 0 || len(diags) != 0 {
		t.Errorf("Orders(nil) = %v, %v", summarize(orders), render(dir, diags))
	}
	orders, diags = cfg.Orders(&DataResults{Options: map[string][]DeliveryOption{"msk": {
		{WarehouseID: 7, Type: "courier", Interval: Interval{FromDate: "2026-11-25", ToDate: "2026-11-25"}},
	}}})
	// The time mistake was reported by Load; only the instances are new.
	if len(diags) != 0 {
		t.Errorf("Orders: %v", render(dir, diags))
	}
	want := []summary{{Address: `order.by_warehouse["7"]`, ID: 1007, Campaign: 21000000, Interval: &Interval{FromDate: "2026-11-25", ToDate: "2026-11-25", FromTime: "10:00"}}}
	if diff := cmp.Diff(want, summarize(orders)); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
}
