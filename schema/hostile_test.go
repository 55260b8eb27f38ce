package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// deep nests open and close n times around inner.
func deep(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// TestNestingBound: what would overflow hclsyntax's stack (it parses and
// evaluates recursively) is refused before parsing, at the place where it
// gets too deep; what real configurations write passes.
func TestNestingBound(t *testing.T) {
	attr := func(expr string) string { return "locals {\n  a = " + expr + "\n}\n" }
	refused := []struct {
		name, src string
		line      int
	}{
		{"parentheses", attr(deep("(", "1", ")", 100_000)), 2},
		{"lists", attr(deep("[", "", "]", 100_000)), 2},
		{"objects", attr(deep("{a=", "1", "}", 100_000)), 2},
		{"function calls", attr(deep("max(", "1", ")", 100_000)), 2},
		{"blocks", "order \"1\" " + deep("{\n a ", "{\n", "}\n", 100_000), 100},
		{"templates", attr(deep(`"${`, "1", `}"`, 100_000)), 2},
		{"template directives", attr(`"` + deep("%{if true}", "x", "%{endif}", 100_000) + `"`), 2},
		{"heredoc templates", "locals {\n  a = <<EOT\n" + deep("${<<EOT\n", "x", "\nEOT\n}", 200) + "\nEOT\n}\n", 52},
		{"a chain of +", attr("1" + strings.Repeat(" + 1", 1_000_000)), 2},
		{"a chain of && over lines in parentheses", attr("(true" + strings.Repeat("\n&& true", 200) + ")"), 100},
		{"negations", attr(strings.Repeat("!", 1_000_000) + "true"), 2},
		{"minus signs", attr(strings.Repeat("-", 1_000_000) + "1"), 2},
		{"conditionals", attr(strings.Repeat("true ? 1 : ", 1_000_000) + "1"), 2},
		{"indexes", "locals {\n  l = [0]\n  a = local.l" + strings.Repeat("[local.l[0]]", 200) + "\n}\n", 3},
		{"splats", attr("[1]" + strings.Repeat("[*]", 1_000_000)), 2},
		{"attribute splats", attr("[{a=1}]" + strings.Repeat(".*", 200)), 2},
		{"a bracket after a comment and a string", "# (((\n" + attr(`"((((" + `+deep("(", "1", ")", 200)), 3},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			d := checkNesting([]byte(tt.src), "main.hcl")
			if d == nil {
				t.Fatal("not refused")
			}
			if d.Summary != "Configuration nested too deeply" || d.Subject == nil || d.Subject.Filename != "main.hcl" || d.Subject.Start.Line != tt.line {
				t.Errorf("got %s at %v, want the summary at main.hcl line %d", d.Summary, d.Subject, tt.line)
			}
		})
	}

	examples, _ := filepath.Glob("testdata/example/*.hcl")
	fmtInputs, _ := filepath.Glob("testdata/fmt/*.input")
	var files []string
	for _, p := range append(examples, fmtInputs...) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, string(src))
	}
	accepted := append(files,
		attr(deep("(", "1", ")", 90)),
		attr(deep("[", "", "]", 45)), // a list in a list counts twice: it could be an index
		attr("["+strings.Repeat("[1, 2], ", 100_000)+"]"),
		attr(`"`+strings.Repeat("${local.x}-", 10_000)+`"`),
		attr(`"`+strings.Repeat("%{if true}x%{endif}", 10_000)+`"`),
		attr("<<EOT\n"+strings.Repeat("((((${local.x}))))\n", 1000)+"EOT\n"),
		attr("<<-EOT\n  "+strings.Repeat("[[[[", 100)+"\n  EOT\n"),
		attr(`"`+strings.Repeat(`(\"[{`, 1000)+`"`),
		attr(strings.Repeat(`"a" == "b" ? 1 : 2, `, 1)+"1"),
		"# "+strings.Repeat("-", 500)+"\n// "+strings.Repeat("(", 500)+"\n/* "+strings.Repeat("{", 500)+" */\n"+attr("1"),
		attr("1e-5 - 2E+3 + local.my-name-with-dashes-and-more-dashes-in-it"),
		attr(strings.Repeat("local.a + ", 90)+"1"),
		attr("{\n"+strings.Repeat("  k = 1 + 2 + 3\n", 1000)+"}"),
		attr("[for o in local.orders : { id = o.id, code = upper(trimspace(o.code)) } if o.code != \"\" && length(o.code) < 40]"),
	)
	for i, src := range accepted {
		if d := checkNesting([]byte(src), "main.hcl"); d != nil {
			t.Errorf("accepted #%d refused at %v:\n%.300s", i, d.Subject, src)
		}
	}
}

// TestDeepConfigurationLoads: Load, through every way text reaches the
// parser (a configuration file, a -var value, a variables file in HCL and
// in JSON), returns a diagnostic instead of crashing.
func TestDeepConfigurationLoads(t *testing.T) {
	parens := deep("(", "1", ")", 100_000)
	dir := writeDir(t, map[string]string{
		"deep.hcl": "locals {\n  a = " + parens + "\n}\n",
	})
	_, diags := Load(dir, LoadOptions{})
	if diff := cmp.Diff([]string{"error: Configuration nested too deeply @ deep.hcl:2:106"}, render(dir, diags)); diff != "" {
		t.Errorf("configuration file (-want +got):\n%s", diff)
	}

	dir = writeDir(t, withProvider(map[string]string{
		"main.hcl":       "variable \"v\" {\n  type = list(any)\n}\n",
		"deep.hclvars":   "v = " + deep("[", "", "]", 100_000) + "\n",
		"deep.json":      `{"v": ` + deep("[", "", "]", 100_000) + "}",
		"shallow.hclvar": "v = [[1]]\n",
	}))
	for _, tt := range []struct {
		name string
		opt  LoadOptions
		want string
	}{
		{"-var", LoadOptions{VarArgs: varArgs("v=" + deep("[", "", "]", 100_000))}, "error: Configuration nested too deeply @ <value for var.v>:1:101"},
		{"environment", LoadOptions{Env: []string{EnvVarPrefix + "v=" + parens}}, "error: Configuration nested too deeply @ <value for var.v from ORDERFORM_VAR_v>:1:101"},
		{"variables file", LoadOptions{VarArgs: varFileArgs(filepath.Join(dir, "deep.hclvars"))}, "error: Configuration nested too deeply @ deep.hclvars:1:105"},
		{"JSON variables file", LoadOptions{VarArgs: varFileArgs(filepath.Join(dir, "deep.json"))}, "error: Configuration nested too deeply @ deep.json:1:106"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Load(dir, tt.opt)
			if got := render(dir, diags); !slices.Contains(got, tt.want) {
				t.Errorf("got %q, want %q among them", got, tt.want)
			}
		})
	}
}

// TestFunctionBounds: what a function (or a for expression, or a template)
// would build beyond the bounds is an error at the call, not an exhausted
// machine; what configurations need still works.
func TestFunctionBounds(t *testing.T) {
	big := strings.Repeat("a", 4<<20)
	files := map[string]string{
		"big.txt":    big,
		"commas.txt": strings.Repeat(",", maxElements+1),
		"rows.csv":   "order_id\n" + strings.Repeat("1\n", maxElements+2),
	}
	refused := []struct {
		name, expr, says string
	}{
		{"setproduct over 40^6", `setproduct(local.s, local.s, local.s, local.s, local.s, local.s)`, "more than 100000 elements"},
		{"concat of many copies", `concat(` + strings.Repeat("local.r, ", 100) + `local.r)`, "at most 100000 elements"},
		{"nested for expressions", `[for a in local.r : [for b in local.r : [for c in local.r : c]]]`, "more than 1000000 elements in all"},
		{"a template repeated", `[for i in local.r : "${file("big.txt")}x"]`, "more than 128 MiB of strings"},
		{"a function repeated", `[for i in local.r : trimspace(file("big.txt"))]`, "more than 128 MiB of strings"},
		{"a huge zero-padded width", `format("%0999999999d", 1)`, `the width or precision of "%0999999999d" at offset 0 is too large: at most 512`},
		{"a huge string width", `format("%-999999999s|", "a")`, "too large: at most 512"},
		{"a huge precision", `format("%.999999999f", 1)`, "too large: at most 512"},
		{"a width in formatlist", `formatlist("%9999s", ["a"])`, "too large: at most 512"},
		{"one argument formatted many times", `format("` + strings.Repeat("%[1]s", 3) + `", file("big.txt"))`, "more than 8388608 bytes"},
		{"formatlist over many elements", `formatlist("%s%s", [for i in local.r : file("big.txt")], "x")`, "more than 8388608 bytes"},
		{"join of copies", `join("", [for i in local.r : file("big.txt")])`, "more than 8388608 bytes"},
		{"indent by a billion", `indent(1000000000, "a\nb")`, "1000000000 spaces is too many"},
		{"replace with a large string", `replace(file("big.txt"), "a", "bbb")`, "more than 8388608 bytes"},
		{"replace by a pattern", `replace(file("big.txt"), "/(a)/", "$1$1")`, "more than 8388608 bytes"},
		{"split into too many", `split(",", file("commas.txt"))`, "at most 100000 elements"},
		{"regexall matching too often", `regexall(",", file("commas.txt"))`, "matches more than 100000 times"},
		{"csvdecode of too many rows", `csvdecode(file("rows.csv"))`, "more than 100000 rows"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			f := map[string]string{"main.hcl": "locals {\n  s = toset([for i in range(40) : tostring(i)])\n  r = range(1024)\n  x = " + tt.expr + "\n}\n"}
			for k, v := range files {
				f[k] = v
			}
			_, _, dir, diags := loadAll(t, f, LoadOptions{})
			diags = withoutNoOrders(diags)
			if len(diags) == 0 {
				t.Fatal("not refused")
			}
			if got := render(dir, diags)[0]; !strings.HasPrefix(got, "error: ") || !strings.HasSuffix(got, "@ main.hcl:4:7") && !strings.Contains(got, "main.hcl:4:") {
				t.Errorf("got %s, want an error in main.hcl line 4", got)
			}
			if !strings.Contains(diags[0].Detail, tt.says) {
				t.Errorf("detail %q does not say %q", diags[0].Detail, tt.says)
			}
		})
	}

	// A variable's default builds within the bound too, though it can
	// call no function.
	list := "[" + strings.Repeat("1, ", 999) + "1]"
	_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": "variable \"v\" {\n  default = [for a in " + list + " : [for b in " + list + " : [for c in " + list + " : c]]]\n}\n"}, LoadOptions{})
	if got := render(dir, withoutNoOrders(diags)); len(got) == 0 || !strings.Contains(diags[0].Detail, "more than 1000000 elements in all") {
		t.Errorf("a default of a billion elements: %v %q", got, details(dir, diags))
	}

	for _, tt := range []struct{ expr, want string }{
		{`length(setproduct(local.s, ["a", "b"], ["c", "d"]))`, "160"},
		{`format("%08d-%-4s|%.2f", 42, "ab", 3.14159)`, "00000042-ab  |3.14"},
		{`join(",", formatlist("%03d", [1, 2]))`, "001,002"},
		{`replace(indent(2, "a\nb"), "\n", "|")`, "a|  b"},
		{`replace("a-b", "/(-)/", "$1$1")`, "a--b"},
		{`length([for a in local.r : [for b in range(100) : b]])`, "1024"},
		{`length(csvdecode(file("ok.csv")))`, "2"},
		{`length(split(",", "a,b,c"))`, "3"},
		{`length(file("big.txt"))`, "4194304"},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			_, orders, dir, diags := loadAll(t, map[string]string{
				"main.hcl": "locals {\n  s = toset([for i in range(40) : tostring(i)])\n  r = range(1024)\n}\norder \"1001\" {\n  track {\n    code                = tostring(" + tt.expr + ")\n    delivery_service_id = 1\n  }\n}\n",
				"ok.csv":   "order_id,track\n1,RP1\n2,RP2\n",
				"big.txt":  big,
			}, LoadOptions{})
			if len(diags) > 0 {
				t.Fatalf("%v %q", render(dir, diags), details(dir, diags))
			}
			if got := orders[0].Track.Code; got != tt.want {
				t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

// TestFileFunctionRefuses: file() reads regular files of at most
// MaxReadFileSize only; a FIFO is refused at once instead of waited on.
func TestFileFunctionRefuses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		says  string
	}{
		{"a FIFO", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "data.txt"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, `"data.txt" is not a regular file (it is a named pipe)`},
		{"a file over the limit", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "data.txt"), make([]byte, MaxReadFileSize+1), 0o600); err != nil {
				t.Fatal(err)
			}
		}, `"data.txt" is too large (8.0 MiB); orderform reads files of at most 8 MiB`},
		{"a symbolic link to a FIFO", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("fifo", filepath.Join(dir, "data.txt")); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, withProvider(map[string]string{"main.hcl": "locals {\n  x = file(\"data.txt\")\n}\n"}))
			tt.setup(t, dir)
			_, diags := Load(dir, LoadOptions{})
			diags = withoutNoOrders(diags)
			if diff := cmp.Diff([]string{"error: Invalid function argument @ main.hcl:2:13"}, render(dir, diags)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if !strings.Contains(diags[0].Detail, tt.says) {
				t.Errorf("detail %q does not say %q", diags[0].Detail, tt.says)
			}
		})
	}
}

// TestConfigurationFileRefused: a *.hcl file that is too large, or not a
// regular file, is an error naming it; Load does not wait on a FIFO.
func TestConfigurationFileRefused(t *testing.T) {
	dir := writeDir(t, withProvider(map[string]string{"big.hcl": "# " + strings.Repeat("x", MaxConfigFileSize) + "\n"}))
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.hcl"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(dir, LoadOptions{})
	want := []string{"error: Failed to read file @ big.hcl:1:1", "error: Failed to read file @ pipe.hcl:1:1"}
	if diff := cmp.Diff(want, render(dir, diags)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	for i, says := range []string{"is too large (2.0 MiB); orderform reads files of at most 2 MiB", "is not a regular file (it is a named pipe)"} {
		if !strings.Contains(diags[i].Detail, says) {
			t.Errorf("detail %q does not say %q", diags[i].Detail, says)
		}
	}
}

// TestByteOrderMark: file() drops a leading byte-order mark, so a CSV
// saved as "CSV UTF-8" has its first column under its own name.
func TestByteOrderMark(t *testing.T) {
	_, orders, dir, diags := loadAll(t, map[string]string{
		"main.hcl": `order "csv" {
  for_each = { for row in csvdecode(file("tracks.csv")) : row.order_id => row }
  track {
    code                = each.value.track
    delivery_service_id = 51
  }
}
`,
		"tracks.csv": "\ufefforder_id,track\n1001,RP1\n",
	}, LoadOptions{})
	if len(diags) > 0 {
		t.Fatalf("%v %q", render(dir, diags), details(dir, diags))
	}
	if len(orders) != 1 || orders[0].ID != 1001 || orders[0].Track.Code != "RP1" {
		t.Errorf("orders = %v", summarize(orders))
	}
}

// TestSandboxConfined: the provider's sandbox seed is read as file()
// reads, so validate refuses one outside the directory.
func TestSandboxConfined(t *testing.T) {
	outside := writeDir(t, map[string]string{"seed.json": "{}"})
	for _, tt := range []struct {
		name, path string
		setup      func(t *testing.T, dir string)
		says       string
	}{
		{name: "inside", path: "sandbox.json"},
		{name: "inside, not written yet", path: "new/seed.json"},
		{name: "absolute", path: "/etc/passwd", says: `"/etc/passwd" is an absolute path`},
		{name: "parent", path: "../seed.json", says: `"../seed.json" is outside the configuration directory`},
		{name: "symbolic link out", path: "link.json", setup: func(t *testing.T, dir string) {
			if err := os.Symlink(filepath.Join(outside, "seed.json"), filepath.Join(dir, "link.json")); err != nil {
				t.Fatal(err)
			}
		}, says: "resolves (through a symbolic link) to a file outside"},
		{name: "a FIFO", path: "fifo.json", setup: func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo.json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, says: "not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{
				"main.hcl":     "provider \"yandex_market\" {\n  campaign_id = 1\n  sandbox     = \"" + tt.path + "\"\n}\n",
				"sandbox.json": "{}",
			})
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			cfg, diags := Load(dir, LoadOptions{})
			diags = withoutNoOrders(diags)
			if tt.says == "" {
				if len(diags) > 0 || cfg.Provider.Sandbox != tt.path {
					t.Fatalf("%v %q, sandbox %q", render(dir, diags), details(dir, diags), cfg.Provider.Sandbox)
				}
				return
			}
			if diff := cmp.Diff([]string{"error: Invalid sandbox @ main.hcl:3:17"}, render(dir, diags)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if !strings.Contains(diags[0].Detail, tt.says) || cfg.Provider.Sandbox != "" {
				t.Errorf("detail %q does not say %q (sandbox %q)", diags[0].Detail, tt.says, cfg.Provider.Sandbox)
			}
		})
	}
}

// TestReadInside: the helper the embedded sandbox reads its seed with.
func TestReadInside(t *testing.T) {
	dir := writeDir(t, map[string]string{"seed.json": `{"a": 1}`, "sub/x.json": "x"})
	if got, err := ReadInside(dir, "seed.json", 100); err != nil || string(got) != `{"a": 1}` {
		t.Errorf("seed.json: %q, %v", got, err)
	}
	for _, p := range []string{"/etc/passwd", "../x", "sub/../../x", "sub", "nope.json"} {
		if _, err := ReadInside(dir, p, 100); err == nil {
			t.Errorf("%s: read", p)
		}
	}
	if _, err := ReadInside(dir, "seed.json", 3); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("over the limit: %v", err)
	}
}

// TestCarelessInput: what the Market would be sent as something else than
// written, or refuse, is a validate error at its place: characters that
// are not text, non-strings where a string is meant, lengths over the
// API's.
func TestCarelessInput(t *testing.T) {
	track := func(code string) string {
		return "order \"1001\" {\n  track {\n    code                = " + code + "\n    delivery_service_id = 51\n  }\n}\n"
	}
	recipient := func(attr, value string) string {
		return "order \"2001\" {\n  recipient {\n    " + attr + " = " + value + "\n  }\n}\n"
	}
	items := func(item string) string {
		return "data \"delivery_options\" \"d\" {\n  courier_address = \"Moscow, Lva Tolstogo 16\"\n  items           = [" + item + "]\n}\n"
	}
	tests := []struct {
		name, src, want, says string
		files                 map[string]string
	}{
		{name: "a newline in a track code", src: track(`"RP1\nRP2"`), want: "error: Invalid track code @ main.hcl:3:27", says: `"RP1\nRP2" contains a control character (U+000A) at character 4`},
		{name: "a NUL in a track code", src: track(`"RP1\u0000"`), want: "error: Invalid track code @ main.hcl:3:27", says: "a control character (U+0000) at character 4"},
		{name: "a right-to-left override in a track code", src: track(`"RP\u202E1"`), want: "error: Invalid track code @ main.hcl:3:27", says: `"RP\u202e1" contains a bidirectional control character (U+202E) at character 3`},
		{name: "a left-to-right mark in a track code", src: track(`"RP1\u200E"`), want: "error: Invalid track code @ main.hcl:3:27", says: "bidirectional control character (U+200E)"},
		{name: "an isolate in a track code", src: track(`"\u2066RP1"`), want: "error: Invalid track code @ main.hcl:3:27", says: "bidirectional control character (U+2066)"},
		{name: "a zero-width space in a track code", src: track(`"RP\u200B1"`), want: "error: Invalid track code @ main.hcl:3:27", says: "an invisible formatting character (U+200B)"},
		{name: "a track code from a file with a NUL", src: track(`file("code.txt")`), files: map[string]string{"code.txt": "RP1\x00"}, want: "error: Invalid track code @ main.hcl:3:27", says: "control character (U+0000)"},
		{name: "a bool track code", src: track(`true`), want: "error: Incorrect attribute value type @ main.hcl:3:27", says: `a string is required, not bool. Write it in quotes if you mean the text "true" or "false".`},
		{name: "a number track code", src: track(`0012345`), want: "error: Incorrect attribute value type @ main.hcl:3:27", says: "a string is required, not number. Write it in quotes (a number has no leading zeros: 007 is 7)"},
		{name: "a number track code made a string", src: track(`tostring(12345)`)},
		{name: "a track code at the limit", src: track(`"` + strings.Repeat("R", 255) + `"`)},
		{name: "a track code over the limit", src: track(`"` + strings.Repeat("R", 256) + `"`), want: "error: Invalid track code @ main.hcl:3:27", says: "The track code is 256 characters long; track codes are at most 255."},
		{name: "a 1 MB track code", src: track(`join("", [for i in range(100) : file("code.txt")])`), files: map[string]string{"code.txt": strings.Repeat("R", 10_000)}, want: "error: Invalid track code @ main.hcl:3:27", says: "The track code is 1000000 characters long"},
		{name: "a 10 MB track code", src: track(`file("code.txt")`), files: map[string]string{"code.txt": strings.Repeat("R", 10<<20)}, want: "error: Invalid function argument @ main.hcl:3:33", says: `"code.txt" is too large (10.0 MiB)`},
		{name: "a track code built wider than a format allows", src: track(`format("%0999999999d", 1)`), want: "error: Invalid function argument @ main.hcl:3:35", says: "too large: at most 512"},
		{name: "a bool phone", src: recipient("phone", "true"), want: "error: Incorrect attribute value type @ main.hcl:3:13"},
		{name: "a number name", src: recipient("first_name", "42"), want: "error: Incorrect attribute value type @ main.hcl:3:18"},
		{name: "a newline in a name", src: recipient("last_name", `"Ivanov\nPetrov"`), want: "error: Invalid last_name @ main.hcl:3:17", says: "last_name contains a control character (U+000A) at character 7; remove it."},
		{name: "a bidi override in a name", src: recipient("first_name", `"\u202EnavI"`), want: "error: Invalid first_name @ main.hcl:3:18", says: "bidirectional control character (U+202E) at character 1"},
		{name: "a zero-width non-joiner in a name is text", src: recipient("first_name", `"Mehr\u200Cdad"`)},
		{name: "a number offer_id", src: items(`{ offer_id = 12345, count = 1, warehouse_id = 1 }`), want: "error: Invalid offer_id @ main.hcl:3:35", says: "offer_id must be a string"},
		{name: "a NUL in an offer_id", src: items(`{ offer_id = "SKU\u0000", count = 1, warehouse_id = 1 }`), want: "error: Invalid offer_id @ main.hcl:3:35", says: "control character (U+0000)"},
		{name: "a tab in an offer_id is the API's", src: items(`{ offer_id = "SKU\t1", count = 1, warehouse_id = 1 }`)},
		{name: "an item without warehouse_id", src: items(`{ offer_id = "SKU-1", count = 1 }`), want: "error: Missing warehouse_id @ main.hcl:3:22", says: "Item 0 needs a warehouse_id"},
		{name: "a bidi override in an address", src: "data \"delivery_options\" \"d\" {\n  courier_address = \"Moscow \\u202E16\"\n  items           = [{ offer_id = \"A\", count = 1, warehouse_id = 1 }]\n}\n", want: "error: Invalid courier_address @ main.hcl:2:21", says: "bidirectional control character (U+202E) at character 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"main.hcl": tt.src}
			for k, v := range tt.files {
				files[k] = v
			}
			_, _, dir, diags := loadAll(t, files, LoadOptions{})
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, render(dir, withoutNoOrders(diags))); diff != "" {
				t.Fatalf("(-want +got):\n%s\n%q", diff, details(dir, diags))
			}
			if tt.says != "" && !strings.Contains(diags[0].Detail, tt.says) {
				t.Errorf("detail %q does not say %q", diags[0].Detail, tt.says)
			}
		})
	}
}

// TestNoOrdersDeclared: a configuration without order blocks is valid,
// with a warning saying so.
func TestNoOrdersDeclared(t *testing.T) {
	cfg, _, dir, diags := loadAll(t, map[string]string{"main.hcl": "locals {\n  a = 1\n}\n"}, LoadOptions{})
	if diff := cmp.Diff([]string{"warning: No orders declared @ -"}, render(dir, diags)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if cfg.HasOrders() {
		t.Error("HasOrders() = true")
	}
	cfg, _, dir, diags = loadAll(t, map[string]string{"main.hcl": "order \"1001\" {\n  for_each = {}\n  track {\n    code                = \"RP1\"\n    delivery_service_id = 1\n  }\n}\n"}, LoadOptions{})
	if len(diags) > 0 || !cfg.HasOrders() {
		t.Errorf("an order block: %v, HasOrders() = %v", render(dir, diags), cfg.HasOrders())
	}
}

// TestForGuardAsACall: a for expression's collection is charged as the
// call forGuardName(collection) was, when the function took the
// collection: the same value, and over the budget the same diagnostic as
// hclsyntax made of the function's error.
func TestForGuardAsACall(t *testing.T) {
	expr, diags := hclsyntax.ParseExpression([]byte("[for x in local.l : x]"), "main.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	guard := guardExpr(expr).(*hclsyntax.ForExpr).CollExpr.(*forGuard)
	b := &budget{}
	// What the function was: it took the collection and returned it.
	call := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
		Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, _ := args[0].Unmark()
			if v.IsKnown() && !v.IsNull() && v.CanIterateElements() {
				return args[0], b.charge(v.LengthInt(), 0)
			}
			return args[0], nil
		},
	})
	l := cty.ListVal([]cty.Value{cty.StringVal("a").Mark(sensitiveMark), cty.StringVal("b")})
	for _, local := range []cty.Value{l, l.Mark(sensitiveMark), cty.UnknownVal(cty.List(cty.String)), cty.NullVal(cty.List(cty.String)), cty.StringVal("s")} {
		vars := map[string]cty.Value{"local": cty.ObjectVal(map[string]cty.Value{"l": local})}
		for _, full := range []bool{false, true} {
			eval := func(f function.Function, e hcl.Expression) (cty.Value, hcl.Diagnostics) {
				b.reset()
				if full {
					b.elements.Store(maxEvalElements)
				}
				return e.Value(&hcl.EvalContext{Variables: vars, Functions: map[string]function.Function{forGuardName: f}})
			}
			want, wantDiags := eval(call, guard.FunctionCallExpr)
			got, gotDiags := eval(budgetFunctions(b)[forGuardName], guard)
			if !got.RawEquals(want) {
				t.Errorf("%#v, full %v: %#v, want %#v", local, full, got, want)
			}
			if len(gotDiags) != len(wantDiags) {
				t.Fatalf("%#v, full %v: %v, want %v", local, full, gotDiags, wantDiags)
			}
			for i, w := range wantDiags {
				g := gotDiags[i]
				wx, gx := w.Extra.(hclsyntax.FunctionCallDiagExtra), g.Extra.(hclsyntax.FunctionCallDiagExtra)
				if diff := cmp.Diff(summarizeDiags(wantDiags[i:i+1]), summarizeDiags(gotDiags[i:i+1])); diff != "" ||
					g.Expression.Range() != w.Expression.Range() || fmt.Sprint(g.Expression.Variables()) != fmt.Sprint(w.Expression.Variables()) ||
					gx.CalledFunctionName() != wx.CalledFunctionName() || gx.FunctionCallError().Error() != wx.FunctionCallError().Error() {
					t.Errorf("%#v, full %v: diagnostic %d (-want +got):\n%s\n%v, want %v", local, full, i, diff, g, w)
				}
			}
			if full && local.RawEquals(l) && len(gotDiags) == 0 {
				t.Error("not refused over the budget")
			}
		}
	}
	// Without the function, hclsyntax reports the call.
	v, diags := guard.Value(&hcl.EvalContext{Functions: map[string]function.Function{}})
	if v != cty.DynamicVal || len(diags) != 1 || diags[0].Summary != "Call to unknown function" {
		t.Errorf("without the function: %#v, %v", v, diags)
	}
}
