package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/orderform/orderform/plan"
)

func TestMarkdownGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		plan *plan.Plan
	}{
		{"markdown_full", func() *plan.Plan { p := fullPlan(); p.Changes = append(p.Changes, secretChange()); return p }()},
		{"markdown_empty", &plan.Plan{Unchanged: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			Markdown(&b, tc.plan)
			golden(t, tc.name, b.String())
			// Deterministic: the same plan renders the same bytes.
			var again bytes.Buffer
			Markdown(&again, tc.plan)
			if again.String() != b.String() {
				t.Errorf("two renderings differ")
			}
		})
	}
}

func TestMarkdownSummaryFirst(t *testing.T) {
	var b bytes.Buffer
	Markdown(&b, fullPlan())
	if first, _, _ := strings.Cut(b.String(), "\n"); first != "**Plan:** 2 to change, 1 pending, 1 unknown, 3 blocked." {
		t.Errorf("first line = %q", first)
	}
	for _, want := range []string{
		"<details><summary><code>order.1001</code> — track.code, track.delivery_service_id</summary>\n\n",
		"| field | before | after |\n|---|---|---|\n",
		"\n</details>\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}

// Values, addresses and details are escaped: nothing can add a table
// column, close the <details>, start a code span or inject HTML.
func TestMarkdownEscapes(t *testing.T) {
	c := trackChange()
	c.Address = "order.x[\"a`b</summary>\"]"
	c.Fields[0].Before = strp("a|b <script>alert(1)</script> `code` *em* [link](http://x)")
	p := &plan.Plan{
		Changes: []plan.Change{c},
		Blocked: []plan.Blocked{{Address: "order.y", Reason: plan.ReasonReadFailed, Detail: "HTTP 500: <html>|oops|</html>"}},
	}
	var b bytes.Buffer
	Markdown(&b, p)
	out := b.String()
	for _, bad := range []string{"<script>", "</summary>\"", "`code`", "<html>", "a`b", "[link]"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown contains unescaped %q:\n%s", bad, out)
		}
	}
	var row string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| track.code |") {
			row = l
		}
	}
	if row == "" {
		t.Fatalf("no row for track.code:\n%s", out)
	}
	if n := strings.Count(row, "|") - strings.Count(row, `\|`); n != 4 {
		t.Errorf("row has %d cell separators, want 4: %s", n, row)
	}
	want := `| track.code | "a\|b &lt;script&gt;alert(1)&lt;/script&gt; \` + "`code\\` \\*em\\* \\[link\\](http://x)\" | \"RP123456789RU\" |"
	if row != want {
		t.Errorf("row =\n%s\nwant\n%s", row, want)
	}
	if !strings.Contains(out, "<summary><code>order.x[&quot;a&#96;b&lt;/summary&gt;&quot;]</code>") {
		t.Errorf("address not escaped for HTML:\n%s", out)
	}
}
