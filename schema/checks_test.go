package schema

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStaticChecks declares one mistake (or none) per case and expects the
// diagnostics of validate: Load then Orders(nil), by summary and
// file:line:col.
func TestStaticChecks(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "valid order",
			files: map[string]string{"main.hcl": `
order "1001" {
  track {
    code                = "RP123456789RU"
    delivery_service_id = 51
  }
  delivery_interval {
    from_date = "2026-11-25"
    from_time = "10:00"
    to_time   = "14:00"
  }
  recipient {
    first_name = "Ivan"
    phone      = "+79990001122"
  }
}
`},
		},
		{
			name: "date not YYYY-MM-DD",
			files: map[string]string{"main.hcl": `order "1001" {
  delivery_interval {
    from_date = "25.11.2026"
    from_time = "10:00"
    to_time   = "14:00"
  }
}
`},
			want: []string{"error: Invalid date @ main.hcl:3:17"},
		},
		{
			name: "date not in the calendar",
			files: map[string]string{"main.hcl": `order "1001" {
  delivery_interval {
    from_date = "2026-02-28"
    to_date   = "2026-02-30"
    from_time = "10:00"
    to_time   = "14:00"
  }
}
`},
			want: []string{"error: Invalid date @ main.hcl:4:17"},
		},
		{
			name: "times out of range or badly written",
			files: map[string]string{"main.hcl": `order "1001" {
  delivery_interval {
    from_date = "2026-11-25"
    from_time = "9:00"
    to_time   = "24:00"
  }
}
`},
			want: []string{
				"error: Invalid time @ main.hcl:4:17",
				"error: Invalid time @ main.hcl:5:17",
			},
		},
		{
			name: "to_date before from_date",
			files: map[string]string{"main.hcl": `order "1001" {
  delivery_interval {
    from_date = "2026-11-25"
    to_date   = "2026-11-24"
    from_time = "10:00"
    to_time   = "14:00"
  }
}
`},
			want: []string{"error: Invalid delivery interval @ main.hcl:4:17"},
		},
		{
			name: "to_time not after from_time on one day",
			files: map[string]string{"main.hcl": `order "1001" {
  delivery_interval {
    from_date = "2026-11-25"
    from_time = "14:00"
    to_time   = "14:00"
  }
}
`},
			want: []string{"error: Invalid delivery interval @ main.hcl:5:17"},
		},
		{
			name: "to_time before from_time over two days is fine",
			files: map[string]string{"main.hcl": `order "1001" {
  delivery_interval {
    from_date = "2026-11-25"
    to_date   = "2026-11-26"
    from_time = "18:00"
    to_time   = "10:00"
  }
}
`},
		},
		{
			name: "delivery interval needs its times",
			files: map[string]string{"main.hcl": `order "1001" {
  delivery_interval {
    from_date = "2026-11-25"
  }
}
`},
			want: []string{
				"error: Missing required argument @ main.hcl:2:21",
				"error: Missing required argument @ main.hcl:2:21",
			},
		},
		{
			name: "phones",
			files: map[string]string{"main.hcl": `order "1001" {
  recipient {
    phone = "89990001122"
  }
}
order "1002" {
  recipient {
    phone = "+7 999 000 11 22"
  }
}
order "1003" {
  recipient {
    phone = "+123"
  }
}
order "1004" {
  recipient {
    phone = "+1234"
  }
}
order "1005" {
  recipient {
    phone = "+1234567890123456"
  }
}
`},
			want: []string{
				"error: Invalid phone @ main.hcl:3:13",
				"error: Invalid phone @ main.hcl:8:13",
				"error: Invalid phone @ main.hcl:13:13",
				"error: Invalid phone @ main.hcl:23:13",
			},
		},
		{
			name: "names blank or too long",
			files: map[string]string{"main.hcl": `order "1001" {
  recipient {
    first_name  = "   "
    last_name   = "` + strings.Repeat("я", 513) + `"
    middle_name = "  ` + strings.Repeat("я", 512) + `  "
  }
}
`},
			want: []string{
				"error: Invalid first_name @ main.hcl:3:19",
				"error: Invalid last_name @ main.hcl:4:19",
			},
		},
		{
			name: "track code and service",
			files: map[string]string{"main.hcl": `order "1001" {
  track {
    code                = ""
    delivery_service_id = 0
  }
}
order "1002" {
  track {
    code                = " RP1 "
    delivery_service_id = 1.5
  }
}
order "1003" {
  track {
    code                = "RP1"
    delivery_service_id = "51"
  }
}
`},
			want: []string{
				"error: Invalid track code @ main.hcl:3:27",
				"error: Invalid delivery_service_id @ main.hcl:4:27",
				"error: Invalid track code @ main.hcl:9:27",
				"error: Invalid delivery_service_id @ main.hcl:10:27",
			},
		},
		{
			name: "track needs both attributes",
			files: map[string]string{"main.hcl": `order "1001" {
  track {
    code = "RP1"
  }
}
`},
			want: []string{"error: Missing required argument @ main.hcl:2:9"},
		},
		{
			name: "order IDs",
			files: map[string]string{"main.hcl": `order "abc" {
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
order "zero" {
  id = 0
  track {
    code                = "RP2"
    delivery_service_id = 1
  }
}
order "text" {
  id = "12a"
  track {
    code                = "RP3"
    delivery_service_id = 1
  }
}
order "string" {
  id = "1004"
  track {
    code                = "RP4"
    delivery_service_id = 1
  }
}
order "neg" {
  id = -5
  track {
    code                = "RP5"
    delivery_service_id = 1
  }
}
`},
			want: []string{
				"error: Order ID not known @ main.hcl:1:7",
				"error: Invalid id @ main.hcl:8:8",
				"error: Invalid id @ main.hcl:15:8",
				"error: Invalid id @ main.hcl:29:8",
			},
		},
		{
			name: "order label",
			files: map[string]string{"main.hcl": `order "a b" {
  id = 1
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
`},
			want: []string{"error: Invalid order label @ main.hcl:1:7"},
		},
		{
			name: "duplicate order label",
			files: map[string]string{"main.hcl": `order "1001" {
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
order "1001" {
  track {
    code                = "RP2"
    delivery_service_id = 1
  }
}
`},
			want: []string{"error: Duplicate order block @ main.hcl:7:7"},
		},
		{
			name: "provider IDs",
			files: map[string]string{"main.hcl": `provider "yandex_market" {
  campaign_id = 0
  business_id = -5
}
`},
			want: []string{
				"error: Invalid campaign_id @ main.hcl:2:17",
				"error: Invalid business_id @ main.hcl:3:17",
			},
		},
		{
			name: "order campaign",
			files: map[string]string{"main.hcl": `order "1001" {
  campaign_id = "x"
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
`},
			want: []string{"error: Invalid campaign_id @ main.hcl:2:17"},
		},
		{
			name: "no campaign anywhere",
			files: map[string]string{"main.hcl": `provider "yandex_market" {
  business_id = 1
}
order "1001" {
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
order "1002" {
  campaign_id = 7
  track {
    code                = "RP2"
    delivery_service_id = 1
  }
}
data "delivery_intervals" "o1002" {
  order_id = 1002
}
`},
			want: []string{
				"error: Missing campaign ID @ main.hcl:4:7",
				"error: Missing campaign ID @ main.hcl:17:1",
			},
		},
		{
			name: "endpoint",
			files: map[string]string{"main.hcl": `provider "yandex_market" {
  campaign_id = 1
  endpoint    = "http://api.partner.market.yandex.ru"
}
`},
			want: []string{"error: Invalid endpoint @ main.hcl:3:17"},
		},
		{
			name: "loopback endpoint over http is fine",
			files: map[string]string{"main.hcl": `provider "yandex_market" {
  campaign_id = 1
  endpoint    = "http://127.0.0.1:8080"
}
`},
			want: []string{"warning: No orders declared @ -"},
		},
		{
			name: "sandbox and endpoint conflict; a literal api key is a warning",
			files: map[string]string{"main.hcl": `provider "yandex_market" {
  campaign_id = 1
  endpoint    = "https://example.com"
  sandbox     = "sandbox.json"
  api_key     = "secret"
}
`},
			want: []string{
				"error: Conflicting provider arguments @ main.hcl:4:17",
				"warning: API key in the configuration @ main.hcl:5:17",
			},
		},
		{
			name: "one provider",
			files: map[string]string{"main.hcl": `provider "yandex_market" {
  campaign_id = 1
}
provider "yandex_market" {
  campaign_id = 2
}
provider "yandex_markt" {
}
`},
			want: []string{
				"error: Duplicate provider block @ main.hcl:4:1",
				"error: Unsupported provider @ main.hcl:7:10",
			},
		},
		{
			name: "courier and pickup together, or neither",
			files: map[string]string{"main.hcl": `data "delivery_options" "both" {
  items            = [{ offer_id = "SKU-1", count = 1, warehouse_id = 1 }]
  courier_address  = "Moscow, Lva Tolstogo 16"
  pickup_point_ids = [101]
}
data "delivery_options" "neither" {
  items = [{ offer_id = "SKU-1", count = 1, warehouse_id = 1 }]
}
`},
			want: []string{
				"error: Conflicting delivery arguments @ main.hcl:4:22",
				"error: Missing delivery argument @ main.hcl:6:1",
			},
		},
		{
			name: "pickup point IDs",
			files: map[string]string{"main.hcl": `data "delivery_options" "dup" {
  items            = [{ offer_id = "SKU-1", count = 1, warehouse_id = 1 }]
  pickup_point_ids = [101, 102, 101, 0]
}
data "delivery_options" "many" {
  items            = [{ offer_id = "SKU-1", count = 1, warehouse_id = 1 }]
  pickup_point_ids = range(1, 22)
}
data "delivery_options" "none" {
  items            = [{ offer_id = "SKU-1", count = 1, warehouse_id = 1 }]
  pickup_point_ids = []
}
`},
			want: []string{
				"error: Duplicate pickup point ID @ main.hcl:3:33",
				"error: Invalid pickup point ID @ main.hcl:3:38",
				"error: Invalid pickup_point_ids @ main.hcl:7:22",
				"error: Invalid pickup_point_ids @ main.hcl:11:22",
			},
		},
		{
			name: "items",
			files: map[string]string{"main.hcl": `data "delivery_options" "items" {
  courier_address = "Moscow, Lva Tolstogo 16"
  items = [
    { offer_id = "SKU-1", count = 1, warehouse_id = 1 },
    { offer_id = "SKU-1", count = 1, warehouse_id = 1 },
    { offer_id = "", count = 1, warehouse_id = 1 },
    { offer_id = "SKU-3", count = 0, warehouse_id = 1 },
    { offer_id = "SKU-4", count = 1001, warehouse_id = 1 },
    { offer_id = "SKU-5", count = 1, warehouse_id = 0 },
    { ofer_id = "SKU-6", count = 1, warehouse_id = 1 },
    { count = 1, warehouse_id = 1 },
    { offer_id = "` + strings.Repeat("x", 256) + `", count = 1, warehouse_id = 1 },
  ]
}
data "delivery_options" "empty" {
  courier_address = "Moscow, Lva Tolstogo 16"
  items           = []
}
data "delivery_options" "too_many" {
  courier_address = "Moscow, Lva Tolstogo 16"
  items           = [for i in range(1001) : { offer_id = "SKU-${i}", count = 1, warehouse_id = 1 }]
}
`},
			want: []string{
				"error: Duplicate offer_id @ main.hcl:5:18",
				"error: Invalid offer_id @ main.hcl:6:18",
				"error: Invalid count @ main.hcl:7:35",
				"error: Invalid count @ main.hcl:8:35",
				"error: Invalid warehouse_id @ main.hcl:9:53",
				"error: Unsupported item attribute @ main.hcl:10:17",
				"error: Missing offer_id @ main.hcl:11:5",
				"error: Invalid offer_id @ main.hcl:12:18",
				"error: Invalid items @ main.hcl:17:21",
				"error: Invalid items @ main.hcl:21:21",
			},
		},
		{
			name: "courier address length",
			files: map[string]string{"main.hcl": `data "delivery_options" "a" {
  items           = [{ offer_id = "SKU-1", count = 1, warehouse_id = 1 }]
  courier_address = "  "
}
`},
			want: []string{"error: Invalid courier_address @ main.hcl:3:21"},
		},
		{
			name: "order that manages nothing, empty recipient",
			files: map[string]string{"main.hcl": `order "1001" {
}
order "1002" {
  recipient {
  }
}
`},
			want: []string{
				"warning: Order manages nothing @ main.hcl:1:1",
				"warning: Empty recipient block @ main.hcl:4:3",
			},
		},
		{
			name: "one block of each kind",
			files: map[string]string{"main.hcl": `order "1001" {
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
  track {
    code                = "RP2"
    delivery_service_id = 1
  }
}
`},
			want: []string{"error: Duplicate track block @ main.hcl:6:3"},
		},
		{
			name: "for_each must be a map or a set of strings",
			files: map[string]string{"main.hcl": `order "list" {
  for_each = ["1001", "1002"]
  track {
    code                = "RP${each.key}"
    delivery_service_id = 1
  }
}
order "null" {
  for_each = null
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
order "numbers" {
  for_each = toset([1, 2])
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
`},
			want: []string{
				"error: Invalid for_each argument @ main.hcl:2:14",
				"error: Invalid for_each argument @ main.hcl:9:14",
				"error: Invalid for_each argument @ main.hcl:16:14",
			},
		},
		{
			name: "for_each key that is no order ID",
			files: map[string]string{"main.hcl": `order "named" {
  for_each = { a = "RP1", b = "RP2" }
  track {
    code                = each.value
    delivery_service_id = 1
  }
}
`},
			want: []string{
				"error: Order ID not known @ main.hcl:2:14",
				"error: Order ID not known @ main.hcl:2:14",
			},
		},
		{
			name: "every mistake of a file, not only the first",
			files: map[string]string{"main.hcl": `order "1001" {
  delivery_interval {
    from_date = "2026-13-01"
    from_time = "25:00"
    to_time   = "10:60"
  }
  recipient {
    phone = "0"
  }
}
order "1002" {
  track {
    code                = ""
    delivery_service_id = 1
  }
}
`},
			want: []string{
				"error: Invalid date @ main.hcl:3:17",
				"error: Invalid time @ main.hcl:4:17",
				"error: Invalid time @ main.hcl:5:17",
				"error: Invalid phone @ main.hcl:8:13",
				"error: Invalid track code @ main.hcl:13:27",
			},
		},
		{
			name: "a type error names the attribute",
			files: map[string]string{"main.hcl": `order "1001" {
  track {
    code                = ["RP1"]
    delivery_service_id = 1
  }
}
`},
			want: []string{"error: Incorrect attribute value type @ main.hcl:3:27"},
		},
		{
			name:  "syntax error",
			files: map[string]string{"main.hcl": "order \"1001\" {\n  track {\n    code = \n    delivery_service_id = 1\n  }\n}\n"},
			want:  []string{"error: Invalid expression @ main.hcl:3:12"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, dir, diags := loadAll(t, tt.files, LoadOptions{})
			if diff := cmp.Diff(tt.want, render(dir, diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\ndetails: %q", diff, details(dir, diags))
			}
		})
	}
}

func TestCheckDateTime(t *testing.T) {
	for _, tt := range []struct {
		in       string
		date, tm bool
	}{
		{"2026-11-25", true, false},
		{"2024-02-29", true, false},
		{"2026-02-29", false, false},
		{"2026-02-30", false, false},
		{"2026-13-01", false, false},
		{"2026-1-01", false, false},
		{"2026-11-25T10:00", false, false},
		{"00:00", false, true},
		{"23:59", false, true},
		{"24:00", false, false},
		{"12:60", false, false},
		{"7:30", false, false},
		{"07:30:00", false, false},
		{"", false, false},
	} {
		if got := checkDate(tt.in) == ""; got != tt.date {
			t.Errorf("checkDate(%q) ok = %v, want %v", tt.in, got, tt.date)
		}
		if got := checkTime(tt.in) == ""; got != tt.tm {
			t.Errorf("checkTime(%q) ok = %v, want %v", tt.in, got, tt.tm)
		}
	}
}

func TestDuplicateOrderIDNamesBothPlaces(t *testing.T) {
	_, _, dir, diags := loadAll(t, map[string]string{
		"a.hcl": `order "1001" {
  track {
    code                = "RP1"
    delivery_service_id = 1
  }
}
`,
		"b.hcl": `order "again" {
  id = 1001
  track {
    code                = "RP2"
    delivery_service_id = 1
  }
}
order "csv" {
  for_each = { "1001" = "RP3" }
  track {
    code                = each.value
    delivery_service_id = 1
  }
}
`,
	}, LoadOptions{})
	want := []string{
		"error: Duplicate order ID @ b.hcl:2:8",
		"error: Duplicate order ID @ b.hcl:9:14",
	}
	if diff := cmp.Diff(want, render(dir, diags)); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s", diff)
	}
	wantDetails := []string{
		"Order ID 1001 is declared twice: by order.1001 at a.hcl:1:7 and by order.again at b.hcl:2:8. Declare each order once: remove one, or fix its ID.",
		`Order ID 1001 is declared twice: by order.1001 at a.hcl:1:7 and by order.csv["1001"] at b.hcl:9:14. Declare each order once: remove one, or fix its ID.`,
	}
	if diff := cmp.Diff(wantDetails, details(dir, diags)); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}

func TestDidYouMean(t *testing.T) {
	_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": `variable "courier_service" {
  default = 51
}
locals {
  tracks = {}
}
ordr "1001" {
}
order "1001" {
  trak {
  }
  track {
    cod                 = "RP1"
    delivery_service_id = var.courier_servic
  }
  recipient {
    first_name = local.track
  }
  delivery_interval {
    from_date = data.delivery_interval.o1.available[0].from_date
    to_date   = data.delivery_intervals.o2.available[0].to_date
    from_time = data.delivery_intervals.o1.availble[0].from_time
    to_time   = each.key
  }
}
data "delivery_intervals" "o1" {
  order_id = 1
}
data "delivery_intervls" "o3" {
  order_id = 1
}
`}, LoadOptions{})
	want := []string{
		"error: Unsupported block type @ main.hcl:7:1",
		"error: Unsupported block type @ main.hcl:10:3",
		"error: Missing required argument @ main.hcl:12:9",
		"error: Unsupported argument @ main.hcl:13:5",
		"error: Reference to undeclared input variable @ main.hcl:14:27",
		"error: Reference to undeclared local value @ main.hcl:17:18",
		"error: Invalid data source kind @ main.hcl:20:21",
		"error: Reference to undeclared data source @ main.hcl:21:17",
		"error: Unsupported attribute @ main.hcl:22:43",
		`error: Reference to "each" in context without for_each @ main.hcl:23:17`,
		"error: Unsupported data source @ main.hcl:29:6",
	}
	if diff := cmp.Diff(want, render(dir, diags)); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s\n%q", diff, details(dir, diags))
	}
	wantDetails := []string{
		`Blocks of type "ordr" are not expected here. Did you mean "order"?`,
		`Blocks of type "trak" are not expected here. Did you mean "track"?`,
		`The argument "code" is required, but no definition was found.`,
		`An argument named "cod" is not expected here. Did you mean "code"?`,
		`An input variable named "courier_servic" has not been declared. Did you mean "courier_service"?`,
		`A local value named "track" has not been declared. Did you mean "tracks"?`,
		`There is no data source kind "delivery_interval": the kinds are delivery_intervals and delivery_options. Did you mean "delivery_intervals"?`,
		`A data source "delivery_intervals" "o2" has not been declared. Did you mean "o1"?`,
		`A delivery_intervals data source has one attribute, "available": use data.delivery_intervals.o1.available.`,
		`each.key and each.value exist only in an order block that sets for_each, and cannot be used here.`,
		`There is no data source "delivery_intervls": orderform has delivery_intervals and delivery_options. Did you mean "delivery_intervals"?`,
	}
	if diff := cmp.Diff(wantDetails, details(dir, diags)); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}

// TestShapes: the byte-by-byte checks of dates, times, phones and digits
// accept exactly what the regular expressions they replace match, on
// valid values and on every mutation of them this test makes.
func TestShapes(t *testing.T) {
	shapes := []struct {
		name  string
		re    *regexp.Regexp
		check func(string) bool
		seeds []string
	}{
		{"date", regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`), isDate, []string{"2026-11-25", "0000-00-00", "9999-99-99"}},
		{"time", regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`), isTime, []string{"00:00", "09:59", "19:30", "23:59", "24:00", "20:60"}},
		{"phone", regexp.MustCompile(`^\+[0-9]{4,15}$`), isPhone, []string{"+7999", "+79990001122", "+799900011223344", "+7999000112233445"}},
		{"digits", regexp.MustCompile(`^[0-9]+$`), isDigits, []string{"", "0", "1001", "123456789012345678901234567890"}},
	}
	// Bytes next to the ones that matter, and a digit that is not ASCII.
	alphabet := []string{"0", "1", "2", "3", "5", "6", "9", "/", ":", ";", "-", "+", " ", "\n", "\x00", "a", "\u0660", "\xff"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range shapes {
		check := func(s string) {
			if want := sh.re.MatchString(s); sh.check(s) != want {
				t.Errorf("%s: %q: got %v, want %v", sh.name, s, !want, want)
			}
		}
		for _, seed := range sh.seeds {
			check(seed)
			for range 20000 {
				s := seed
				for range 1 + rng.IntN(3) {
					i := rng.IntN(len(s) + 1)
					c := alphabet[rng.IntN(len(alphabet))]
					switch rng.IntN(3) {
					case 0: // insert
						s = s[:i] + c + s[i:]
					case 1: // replace
						if i < len(s) {
							s = s[:i] + c + s[i+1:]
						}
					default: // delete
						if i < len(s) {
							s = s[:i] + s[i+1:]
						}
					}
				}
				check(s)
			}
		}
	}
}
