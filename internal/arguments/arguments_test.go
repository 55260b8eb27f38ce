package arguments

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/schema"
)

// summaries is what the tests compare of diagnostics: severity and summary
// (the command line has no ranges).
func summaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject != nil {
			sev += " with a range"
		}
		out = append(out, sev+": "+d.Summary)
	}
	return out
}

// applyDefaults is apply's command line without flags.
func applyDefaults(args ...string) *Apply {
	return &Apply{
		Operation:    Operation{Parallelism: 10},
		ViewType:     ViewHuman,
		Wait:         5 * time.Minute,
		PollInterval: 2 * time.Second,
		CommandLine:  args,
	}
}

func TestParseApply(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		want  func(a *Apply)
		diags []string
	}{
		{name: "defaults", args: []string{}, want: func(a *Apply) {}},
		{name: "everything", args: []string{"-auto-approve", "-json", "-no-color", "-show-sensitive", "-parallelism=3",
			"-wait=0", "-poll-interval=50ms", "-lock-timeout=30s", "-var", "a=1", "-var-file=x.ofvars", "-var=b=2",
			"-target=order.1001", "-target", "order.x", "-exclude=order.x[\"1\"]"},
			want: func(a *Apply) {
				a.AutoApprove, a.ViewType, a.NoColor, a.ShowSensitive = true, ViewJSON, true, true
				a.Parallelism, a.Wait, a.PollInterval, a.LockTimeout = 3, 0, 50*time.Millisecond, 30*time.Second
				a.Vars = Vars{{Value: "a=1"}, {File: true, Value: "x.ofvars"}, {Value: "b=2"}}
				a.Targets, a.Excludes = []string{"order.1001", "order.x"}, []string{`order.x["1"]`}
				a.CommandLine = []string{"-auto-approve", "-json", "-no-color", "-show-sensitive", "-parallelism=3",
					"-wait=0", "-poll-interval=50ms", "-lock-timeout=30s", "-var=…", "-var-file=…", "-var=…",
					"-target=order.1001", "-target", "order.x", "-exclude=order.x[\"1\"]"}
			}},
		{name: "a saved plan", args: []string{"-json", "p.plan"}, want: func(a *Apply) {
			a.ViewType, a.PlanPath = ViewJSON, "p.plan"
		}},
		{name: "-json=false is human", args: []string{"-json", "-json=false"}, want: func(a *Apply) {}},
		{name: "two plans", args: []string{"a.plan", "b.plan"}, want: func(a *Apply) {},
			diags: []string{`error: apply takes at most one argument, a saved plan file (got ["a.plan" "b.plan"])`}},
		{name: "-json cannot ask", args: []string{"-json"}, want: func(a *Apply) { a.ViewType = ViewJSON },
			diags: []string{"error: apply -json cannot ask for confirmation: add -auto-approve, or apply a saved plan file"}},
		{name: "every mistake at once", args: []string{"-json", "-parallelism=0", "-wait=-1s", "-target=order.1", "p.plan"},
			want: func(a *Apply) {
				a.ViewType, a.Parallelism, a.Wait, a.Targets, a.PlanPath = ViewJSON, 0, -time.Second, []string{"order.1"}, "p.plan"
			},
			diags: []string{
				"error: -parallelism=0: it is how many reads or writes may be in flight at once, at least 1 (default 10)",
				"error: -wait and -lock-timeout must not be negative",
				"error: -var, -var-file, -target and -exclude cannot be used with a saved plan: it is applied exactly as planned; pass them to `orderform plan -out=FILE` instead",
			}},
		{name: "a negative lock timeout", args: []string{"-auto-approve", "-lock-timeout=-1s"},
			want:  func(a *Apply) { a.AutoApprove, a.LockTimeout = true, -time.Second },
			diags: []string{"error: -wait and -lock-timeout must not be negative"}},
		// (The flag package leaves a value that did not parse at zero.)
		{name: "a bad duration", args: []string{"-wait=soon"}, want: func(a *Apply) { a.Wait = 0 },
			diags: []string{`error: invalid value "soon" for flag -wait: parse error`}},
		// The flags did not parse, but -json was asked for: the error is
		// reported as JSON.
		{name: "a bad duration with -json after it", args: []string{"-auto-approve", "-wait=soon", "-json"},
			want:  func(a *Apply) { a.AutoApprove, a.ViewType, a.Wait = true, ViewJSON, 0 },
			diags: []string{`error: invalid value "soon" for flag -wait: parse error`}},
		{name: "an unknown flag", args: []string{"-auto-aprove"}, want: func(a *Apply) {},
			diags: []string{"error: flag provided but not defined: -auto-aprove"}},
		{name: "a flag of another command", args: []string{"-out=p.plan"}, want: func(a *Apply) {},
			diags: []string{"error: -out=p.plan: apply does not take -out, a flag of import and plan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := ParseApply(tc.args)
			want := applyDefaults(withoutValues(tc.args)...)
			tc.want(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseApply(%q) (-want +got):\n%s", tc.args, diff)
			}
			if diff := cmp.Diff(tc.diags, summaries(diags)); diff != "" {
				t.Errorf("ParseApply(%q) diagnostics (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestParsePlan(t *testing.T) {
	defaults := func() *Plan { return &Plan{Operation: Operation{Parallelism: 10}, ViewType: ViewHuman} }
	for _, tc := range []struct {
		name  string
		args  []string
		want  func(p *Plan)
		diags []string
	}{
		{name: "defaults", want: func(p *Plan) {}},
		{name: "everything", args: []string{"-out=p.plan", "-detailed-exitcode", "-json", "-var-file", "a.ofvars", "-exclude=order.2", "-parallelism", "1"},
			want: func(p *Plan) {
				p.Out, p.DetailedExitcode, p.ViewType = "p.plan", true, ViewJSON
				p.Vars, p.Excludes, p.Parallelism = Vars{{File: true, Value: "a.ofvars"}}, []string{"order.2"}, 1
			}},
		{name: "an argument", args: []string{"main.hcl"}, want: func(p *Plan) {},
			diags: []string{`error: plan takes no arguments (got ["main.hcl"]); the configuration is every *.hcl in the directory, see -chdir`}},
		{name: "a negative parallelism", args: []string{"-parallelism=-5"}, want: func(p *Plan) { p.Parallelism = -5 },
			diags: []string{"error: -parallelism=-5: it is how many reads or writes may be in flight at once, at least 1 (default 10)"}},
		{name: "a prefix of a flag", args: []string{"-detailed"}, want: func(p *Plan) {},
			diags: []string{"error: flag provided but not defined: -detailed"}},
		{name: "a flag of apply", args: []string{"--auto-approve"}, want: func(p *Plan) {},
			diags: []string{"error: --auto-approve: plan does not take -auto-approve, a flag of apply"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := ParsePlan(tc.args)
			want := defaults()
			tc.want(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParsePlan(%q) (-want +got):\n%s", tc.args, diff)
			}
			if diff := cmp.Diff(tc.diags, summaries(diags)); diff != "" {
				t.Errorf("ParsePlan(%q) diagnostics (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// validate takes its own flags only: the variables and how to show the
// result. plan's flags are refused, naming the commands that take them.
func TestParseValidate(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  *Validate
		diags []string
	}{
		{args: nil, want: &Validate{ViewType: ViewHuman}},
		{args: []string{"-json", "-no-color", "-var=a=1", "-var-file=b.ofvars"},
			want: &Validate{ViewType: ViewJSON, NoColor: true, Vars: Vars{{Value: "a=1"}, {File: true, Value: "b.ofvars"}}}},
		{args: []string{"-parallelism=0"}, want: &Validate{ViewType: ViewHuman},
			diags: []string{"error: -parallelism=0: validate does not take -parallelism, a flag of apply, import, plan and watch"}},
		{args: []string{"-target=order.1"}, want: &Validate{ViewType: ViewHuman},
			diags: []string{"error: -target=order.1: validate does not take -target, a flag of apply, plan and watch"}},
		{args: []string{"-exclude", "order.1"}, want: &Validate{ViewType: ViewHuman},
			diags: []string{"error: -exclude: validate does not take -exclude, a flag of apply, plan and watch"}},
		{args: []string{"-show-sensitive", "-json"}, want: &Validate{ViewType: ViewJSON},
			diags: []string{"error: -show-sensitive: validate does not take -show-sensitive, a flag of apply, import, plan, show and watch"}},
		{args: []string{"-jsn"}, want: &Validate{ViewType: ViewHuman},
			diags: []string{"error: flag provided but not defined: -jsn"}},
		{args: []string{"dir"}, want: &Validate{ViewType: ViewHuman},
			diags: []string{`error: validate takes no arguments (got ["dir"]); the configuration is every *.hcl in the directory, see -chdir`}},
	} {
		got, diags := ParseValidate(tc.args)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseValidate(%q) (-want +got):\n%s", tc.args, diff)
		}
		if diff := cmp.Diff(tc.diags, summaries(diags)); diff != "" {
			t.Errorf("ParseValidate(%q) diagnostics (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestParseImport(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  *Import
		diags []string
	}{
		{args: []string{"1001", "1002"}, want: &Import{OrderIDs: []int64{1001, 1002}, Parallelism: 10}},
		{args: []string{"-out=imported.hcl", "-campaign=22000000", "-show-sensitive", "-no-color", "-parallelism=2", "-var", "a=1", "2001"},
			want: &Import{OrderIDs: []int64{2001}, Out: "imported.hcl", Campaign: 22000000, ShowSensitive: true, NoColor: true,
				Parallelism: 2, Vars: Vars{schema.VarArg{Value: "a=1"}}}},
		{args: nil, want: &Import{Parallelism: 10},
			diags: []string{"error: import needs at least one order ID: orderform import 1001 1002"}},
		{args: []string{"-parallelism=0", "-campaign=-1", "1001", "x", "0", "-3"},
			want: &Import{OrderIDs: []int64{1001}, Parallelism: 0, Campaign: -1},
			diags: []string{
				"error: -parallelism=0: it is how many reads or writes may be in flight at once, at least 1 (default 10)",
				"error: -campaign=-1 is not a campaign ID (a positive integer)",
				`error: "x" is not an order ID (a positive integer)`,
				`error: "0" is not an order ID (a positive integer)`,
				`error: "-3" is not an order ID (a positive integer)`,
			}},
		{args: []string{"-campaign=abc", "1001"}, want: &Import{Parallelism: 10},
			diags: []string{`error: invalid value "abc" for flag -campaign: parse error`}},
	} {
		got, diags := ParseImport(tc.args)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseImport(%q) (-want +got):\n%s", tc.args, diff)
		}
		if diff := cmp.Diff(tc.diags, summaries(diags)); diff != "" {
			t.Errorf("ParseImport(%q) diagnostics (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestParseShow(t *testing.T) {
	const refused = "error: show takes one plan file and at most one of -json and -markdown"
	for _, tc := range []struct {
		args  []string
		want  *Show
		diags []string
	}{
		{args: []string{"p.plan"}, want: &Show{ViewType: ViewHuman, PlanPath: "p.plan"}},
		{args: []string{"-json", "p.plan"}, want: &Show{ViewType: ViewJSON, PlanPath: "p.plan"}},
		{args: []string{"-markdown", "-no-color", "-show-sensitive", "p.plan"},
			want: &Show{ViewType: ViewMarkdown, PlanPath: "p.plan", View: View{NoColor: true, ShowSensitive: true}}},
		{args: []string{"-json=false", "-markdown", "p.plan"}, want: &Show{ViewType: ViewMarkdown, PlanPath: "p.plan"}},
		{args: []string{"-json", "-markdown", "p.plan"}, want: &Show{ViewType: ViewMarkdown}, diags: []string{refused}},
		{args: []string{"--markdown=true", "-json", "p.plan"}, want: &Show{ViewType: ViewJSON}, diags: []string{refused}},
		{args: []string{}, want: &Show{ViewType: ViewHuman}, diags: []string{refused}},
		{args: []string{"a.plan", "b.plan"}, want: &Show{ViewType: ViewHuman}, diags: []string{refused}},
	} {
		got, diags := ParseShow(tc.args)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseShow(%q) (-want +got):\n%s", tc.args, diff)
		}
		if diff := cmp.Diff(tc.diags, summaries(diags)); diff != "" {
			t.Errorf("ParseShow(%q) diagnostics (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestParseOtherCommands(t *testing.T) {
	t.Run("journal", func(t *testing.T) {
		got, diags := ParseJournal([]string{"-json", "-no-color"})
		if diff := cmp.Diff(&Journal{ViewType: ViewJSON, NoColor: true}, got); diff != "" || diags != nil {
			t.Errorf("ParseJournal (-want +got):\n%s%s", diff, summaries(diags))
		}
		_, diags = ParseJournal([]string{"x"})
		if diff := cmp.Diff([]string{`error: journal takes no arguments (got ["x"]); it lists the writes in flight of the configuration in the directory, see -chdir`}, summaries(diags)); diff != "" {
			t.Errorf("ParseJournal(x) diagnostics (-want +got):\n%s", diff)
		}
	})
	t.Run("fmt", func(t *testing.T) {
		got, diags := ParseFmt([]string{"-check", "-diff", "a.hcl", "dir"})
		if diff := cmp.Diff(&Fmt{Check: true, Diff: true, Paths: []string{"a.hcl", "dir"}}, got); diff != "" || diags != nil {
			t.Errorf("ParseFmt (-want +got):\n%s%s", diff, summaries(diags))
		}
		_, diags = ParseFmt([]string{"-", "a.hcl"})
		if diff := cmp.Diff([]string{"error: fmt - reads standard input and takes no other file"}, summaries(diags)); diff != "" {
			t.Errorf("ParseFmt(- a.hcl) diagnostics (-want +got):\n%s", diff)
		}
	})
	t.Run("sandbox", func(t *testing.T) {
		got, diags := ParseSandbox([]string{"-data=seed.json", "-listen=0.0.0.0:9000", "-allow-remote", "-key=k", "-save=s.json", "-update-delay=1s"})
		want := &Sandbox{Data: "seed.json", Listen: "0.0.0.0:9000", AllowRemote: true, Key: "k", Save: "s.json", UpdateDelay: time.Second,
			NotifyCopies: 1, NotifyRetry: time.Minute}
		if diff := cmp.Diff(want, got); diff != "" || diags != nil {
			t.Errorf("ParseSandbox (-want +got):\n%s%s", diff, summaries(diags))
		}
		_, diags = ParseSandbox(nil)
		if diff := cmp.Diff([]string{"error: sandbox needs a seed: -data=FILE (the repository has testdata/sandbox-small.json)"}, summaries(diags)); diff != "" {
			t.Errorf("ParseSandbox() diagnostics (-want +got):\n%s", diff)
		}
		got, diags = ParseSandbox([]string{"-data=s.json", "-notify=http://127.0.0.1:8090", "-notify-copies=3", "-notify-retry=2s"})
		if got.Notify != "http://127.0.0.1:8090" || got.NotifyCopies != 3 || got.NotifyRetry != 2*time.Second || diags != nil {
			t.Errorf("ParseSandbox(-notify...) = %+v%s", got, summaries(diags))
		}
		_, diags = ParseSandbox([]string{"-data=s.json", "-notify=127.0.0.1:8090", "-notify-copies=0", "-notify-retry=0s"})
		want2 := []string{
			"error: -notify=127.0.0.1:8090 is not an http or https URL without a query, e.g. http://127.0.0.1:8090",
			"error: -notify-copies=0: want at least 1",
			"error: -notify-retry=0s: want a duration > 0",
		}
		if diff := cmp.Diff(want2, summaries(diags)); diff != "" {
			t.Errorf("ParseSandbox(bad -notify...) diagnostics (-want +got):\n%s", diff)
		}
	})
	t.Run("version", func(t *testing.T) {
		if diags := ParseVersion(nil); diags != nil {
			t.Errorf("ParseVersion(): %v", summaries(diags))
		}
		if diff := cmp.Diff([]string{`error: version takes no arguments (got ["x"])`}, summaries(ParseVersion([]string{"x"}))); diff != "" {
			t.Errorf("ParseVersion(x) diagnostics (-want +got):\n%s", diff)
		}
	})
}

// Only flags that did not parse call for the list of flags.
func TestFlagsDidNotParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"-detailed"}, true},
		{[]string{"-parallelism=x"}, true},
		{[]string{"-auto-approve"}, true}, // a flag of another command
		{[]string{"-parallelism=0"}, false},
		{[]string{"main.hcl"}, false},
		{nil, false},
	} {
		_, diags := ParsePlan(tc.args)
		if got := FlagsDidNotParse(diags); got != tc.want {
			t.Errorf("ParsePlan(%q): FlagsDidNotParse = %v, want %v (%v)", tc.args, got, tc.want, summaries(diags))
		}
	}
}

func TestWantsHelp(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want bool
	}{
		{"plan", []string{"-h"}, true},
		{"plan", []string{"-help"}, true},
		{"plan", []string{"--help"}, true},
		{"apply", []string{"-auto-approve", "-h"}, true},
		{"version", []string{"-h"}, true},
		{"import", []string{"1001", "-h"}, false},       // after the flags: an argument
		{"apply", []string{"-var", "-h"}, false},        // a flag's value
		{"plan", []string{"-nope", "-h"}, false},        // an error comes first
		{"plan", []string{}, false},                     // nothing asked
		{"nosuchcommand", []string{"-h"}, false},        // not a command
		{"validate", []string{"-json", "--help"}, true}, // any command
	} {
		if got := WantsHelp(tc.name, tc.args); got != tc.want {
			t.Errorf("WantsHelp(%q, %q) = %v, want %v", tc.name, tc.args, got, tc.want)
		}
	}
}

// Every command has a usage that lists its flags, so -h works for each.
func TestUsage(t *testing.T) {
	for name, flags := range map[string][]string{
		"validate": {"-json", "-no-color", "-var value", "-var-file value"},
		"plan":     {"-out FILE", "-detailed-exitcode", "-target value", "-parallelism int"},
		"apply":    {"-auto-approve", "-wait duration", "-lock-timeout duration", "-json"},
		"import":   {"-out string", "-campaign int"},
		"show":     {"-json", "-markdown"},
		"journal":  {"-json"},
		"fmt":      {"-check", "-diff"},
		"sandbox":  {"-listen string", "-data string"},
		"version":  {},
	} {
		var b bytes.Buffer
		Usage(&b, name)
		if !strings.HasPrefix(b.String(), "Usage: orderform "+name+" [flags]") {
			t.Errorf("usage of %s: %q", name, b.String())
		}
		for _, f := range flags {
			if !strings.Contains(b.String(), "\n  "+f+"\n") {
				t.Errorf("usage of %s does not list %q:\n%s", name, f, b.String())
			}
		}
	}
	// validate's usage lists none of plan's flags.
	var b bytes.Buffer
	Usage(&b, "validate")
	for _, f := range []string{"-target", "-parallelism", "-show-sensitive"} {
		if strings.Contains(b.String(), f) {
			t.Errorf("validate's usage lists %s:\n%s", f, b.String())
		}
	}
}
