package arguments

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseWatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		want  func(w *Watch)
		diags []string
	}{
		{name: "defaults", want: func(w *Watch) {}},
		{name: "everything", args: []string{"-interval=30s", "-listen=127.0.0.1:8080", "-allow-from=market", "-observe", "-json",
			"-var", "a=1", "-target=order.x", "-exclude=order.y", "-parallelism=2", "-lock-timeout=5s"},
			want: func(w *Watch) {
				w.Interval, w.Listen, w.AllowFrom, w.Observe, w.ViewType = 30*time.Second, "127.0.0.1:8080", "market", true, ViewJSON
				w.Vars, w.Targets, w.Excludes, w.Parallelism, w.LockTimeout = Vars{{Value: "a=1"}}, []string{"order.x"}, []string{"order.y"}, 2, 5*time.Second
				w.CommandLine = []string{"-interval=30s", "-listen=127.0.0.1:8080", "-allow-from=market", "-observe", "-json",
					"-var=…", "-target=order.x", "-exclude=order.y", "-parallelism=2", "-lock-timeout=5s"}
			}},
		{name: "too short an interval", args: []string{"-interval=10ms"}, want: func(w *Watch) {
			w.Interval, w.CommandLine = 10*time.Millisecond, []string{"-interval=10ms"}
		}, diags: []string{"error: -interval=10ms: reconciling more often than once a second only spends the API's quota; the default is 10m"}},
		{name: "allow-from without listen", args: []string{"-allow-from=market"}, want: func(w *Watch) {
			w.AllowFrom, w.CommandLine = "market", []string{"-allow-from=market"}
		}, diags: []string{"error: -allow-from filters the notification endpoint, which only -listen=ADDR serves"}},
		{name: "a flag of apply", args: []string{"-auto-approve"}, want: func(w *Watch) { w.CommandLine = []string{"-auto-approve"} },
			diags: []string{"error: -auto-approve: watch does not take -auto-approve, a flag of apply"}},
		{name: "an argument", args: []string{"x"}, want: func(w *Watch) { w.CommandLine = []string{"x"} },
			diags: []string{`error: watch takes no arguments (got ["x"]); the configuration is every *.hcl in the directory, see -chdir`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := ParseWatch(tc.args)
			want := &Watch{Operation: Operation{Parallelism: 10}, ViewType: ViewHuman, Interval: 10 * time.Minute, CommandLine: []string{}}
			tc.want(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseWatch(%q) (-want +got):\n%s", tc.args, diff)
			}
			if diff := cmp.Diff(tc.diags, summaries(diags)); diff != "" {
				t.Errorf("ParseWatch(%q) diagnostics (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}
