package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

func TestPlanGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		plan *plan.Plan
		src  map[string]*hcl.File
		opt  Options
	}{
		{"plan_changes_only", &plan.Plan{Changes: []plan.Change{trackChange()}, Unchanged: 4}, nil, Options{}},
		{"plan_masked", &plan.Plan{Changes: []plan.Change{recipientChange()}}, nil, Options{}},
		{"plan_show_sensitive", &plan.Plan{Changes: []plan.Change{recipientChange()}}, nil, Options{ShowSensitive: true}},
		{"plan_sensitive_variable", &plan.Plan{Changes: []plan.Change{secretChange()}}, nil, Options{}},
		{"plan_pending", &plan.Plan{Pending: pending()}, nil, Options{}},
		{"plan_blocked", &plan.Plan{Blocked: blocked()}, sources, Options{}},
		{"plan_blocked_narrow", &plan.Plan{Blocked: blocked()[1:2]}, sources, Options{Width: 40}},
		{"plan_empty", &plan.Plan{Unchanged: 3}, nil, Options{}},
		{"plan_full", fullPlan(), sources, Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			Plan(&b, tc.plan, tc.src, tc.opt)
			golden(t, tc.name, b.String())
		})
	}
}

// The parts of the human plan that users and reviewers rely on, asserted
// directly, so that a careless -update cannot bless a regression.
func TestPlanContract(t *testing.T) {
	var b bytes.Buffer
	Plan(&b, fullPlan(), sources, Options{})
	out := b.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if got, want := lines[len(lines)-1], "Plan: 2 to change, 1 pending, 1 unknown, 3 blocked."; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
	for _, want := range []string{
		"  ~ order.1001 (campaign 21000000, DBS, PROCESSING)\n",
		`      ~ track.code                = (none) -> "RP123456789RU"` + "\n",
		"      ~ track.delivery_service_id = (none) -> 51\n",
		"        # (2 unchanged fields hidden)\n",
		`      ~ recipient.phone             = "+*********22" -> "+*********33"` + "\n",
		"Error: order.1003: track cannot be changed\n  on orders.hcl line 12, in order \"1003\":\n",
		"Error: order.2005: delivery_interval cannot be changed\n  on laas.hcl line 7, in order \"2005\":\n",
		"    - 2026-11-26 10:00-14:00\n    - 2026-11-26 14:00-18:00\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	// Order: changes by address, then pending, then what has an unknown
	// outcome (never called pending), then errors.
	order := []string{"order.1001 (", "order.2001 (", "Pending (", "order.2004:", "Outcome unknown (", "order.2003:", "Error: order.1003", "Error: order.1004", "Error: order.2005", "Plan: "}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i <= last {
			t.Errorf("%q is out of order (at %d, previous at %d):\n%s", s, i, last, out)
		}
		last = i
	}
}

func TestPlanNoChanges(t *testing.T) {
	for _, tc := range []struct {
		unchanged int
		want      string
	}{
		{0, "No changes. Your orders match the configuration.\n"},
		{1, "No changes. Your orders match the configuration.\n\n1 order checked.\n"},
		{3, "No changes. Your orders match the configuration.\n\n3 orders checked.\n"},
	} {
		var b bytes.Buffer
		Plan(&b, &plan.Plan{Unchanged: tc.unchanged, Changes: []plan.Change{}}, nil, Options{Color: true})
		if b.String() != tc.want {
			t.Errorf("unchanged %d: got %q, want %q", tc.unchanged, b.String(), tc.want)
		}
	}
}

// Colour is the caller's decision alone: neither the library's global
// switch nor NO_COLOR (which the command layer has already read) may
// override it, in either direction.
func TestColor(t *testing.T) {
	saved := color.NoColor
	t.Cleanup(func() { color.NoColor = saved })
	diags := diagnosticsFixture()
	render := map[string]func(Options) string{
		"plan": func(o Options) string {
			var b bytes.Buffer
			Plan(&b, fullPlan(), sources, o)
			return b.String()
		},
		"apply report": func(o Options) string {
			var b bytes.Buffer
			ApplyReport(&b, reportFixture(), o)
			return b.String()
		},
		"diagnostics": func(o Options) string {
			var b bytes.Buffer
			Diagnostics(&b, diags, diagFiles, o)
			return b.String()
		},
	}
	for _, global := range []bool{false, true} {
		color.NoColor = global
		if global {
			t.Setenv("NO_COLOR", "1")
		}
		for name, r := range render {
			if on := r(Options{Color: true}); !strings.Contains(on, "\x1b[") {
				t.Errorf("%s with Color (global NoColor=%v) has no ANSI codes:\n%s", name, global, on)
			}
			if off := r(Options{}); strings.Contains(off, "\x1b") {
				t.Errorf("%s without Color (global NoColor=%v) has ANSI codes:\n%q", name, global, off)
			}
		}
	}
	var b bytes.Buffer
	Plan(&b, fullPlan(), sources, Options{Color: true})
	for _, want := range []string{
		"\x1b[33m~\x1b[0m",             // update symbol: yellow
		"\x1b[31;1mError:\x1b[0;22m",   // red and bold
		"\x1b[1mPlan: 2 to change",     // summary: bold
		"\x1b[1morder.1001\x1b[22m (c", // address: bold
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("coloured plan lacks %q:\n%q", want, b.String())
		}
	}
}

// A value from the API can carry anything; it must reach the terminal
// escaped, never as a control sequence.
func TestPlanEscapesValues(t *testing.T) {
	c := trackChange()
	c.Fields[0].Before = strp("evil\x1b[2J\"${x}\u202e")
	var b bytes.Buffer
	Plan(&b, &plan.Plan{Changes: []plan.Change{c}}, nil, Options{})
	if strings.ContainsAny(b.String(), "\x1b\u202e") {
		t.Fatalf("control characters reached the output: %q", b.String())
	}
	if want := `"evil\u001B[2J\"$${x}\u202E" -> "RP123456789RU"`; !strings.Contains(b.String(), want) {
		t.Errorf("output lacks %s:\n%s", want, b.String())
	}
}

// The human view lists the available intervals of a blocked order once, as
// a list, whatever wording package plan gives the detail: built here by
// plan.Build itself so that a change of that wording shows up.
func TestBlockedIntervalFromBuild(t *testing.T) {
	p := plan.Build(plan.Input{
		Desired: []schema.Order{{Address: "order.2005", ID: 2005, CampaignID: 22000000,
			Interval: &schema.Interval{FromDate: "2026-12-01", ToDate: "2026-12-01", FromTime: "10:00", ToTime: "14:00"}}},
		Current: map[int64]plan.Current{2005: {Found: true, AvailableRead: true, Available: available,
			Order: provider.Order{ID: 2005, CampaignID: 22000000, Model: provider.ModelLaaS, Status: provider.StatusProcessing,
				Delivery: provider.Delivery{Dates: provider.Dates{FromDate: "25-11-2026", ToDate: "25-11-2026", FromTime: "10:00", ToTime: "14:00"}}}}},
	})
	if len(p.Blocked) != 1 || p.Blocked[0].Reason != plan.ReasonIntervalNotOffered {
		t.Fatalf("plan.Build did not block the interval: %+v", p.Blocked)
	}
	var b bytes.Buffer
	Plan(&b, p, nil, Options{Width: 200})
	out := b.String()
	want := "  interval_not_available: the interval 2026-12-01 10:00-14:00 is not available; available:\n" +
		"    - 2026-11-26 10:00-14:00\n    - 2026-11-26 14:00-18:00\n"
	if !strings.Contains(out, want) {
		t.Errorf("plan lacks\n%s\ngot:\n%s", want, out)
	}
	if n := strings.Count(out, "14:00-18:00"); n != 1 {
		t.Errorf("the available interval is shown %d times, want once:\n%s", n, out)
	}
}

func TestHCLQuote(t *testing.T) {
	for in, want := range map[string]string{
		"RP123":          `"RP123"`,
		`a"b\c`:          `"a\"b\\c"`,
		"line\nnext\t":   `"line\nnext\t"`,
		"${var.x} %{if}": `"$${var.x} %%{if}"`,
		"$5 100%":        `"$5 100%"`,
		"Иван":           `"Иван"`,
		"\x1b[31m":       `"\u001B[31m"`,
		"\xff":           `"\uFFFD"`,
	} {
		if got := hclQuote(in); got != want {
			t.Errorf("hclQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("aaa bbb ccc dddddddddddd e", 10, "  ", "    ")
	want := "  aaa bbb\n    ccc\n    dddddddddddd\n    e"
	if got != want {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}
