// Tests of the example GitHub Actions workflow (orderform.yml): that
// actionlint finds nothing wrong with it, and that it does what
// examples/ci/README.md promises: the plan the apply job takes is the one
// the plan job saved for the merged commit, apply runs only for a merged
// pull request, no GitHub concurrency group drops a merged pull request's
// apply, and applies wait for each other through orderform's own lock.
package ci_test

import (
	"io"
	"math"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rhysd/actionlint"
)

const workflowFile = "orderform.yml"

func TestWorkflowLints(t *testing.T) {
	opts := &actionlint.LinterOptions{}
	// actionlint runs ShellCheck on every run: script when it can; .ci/run
	// installs it, so CI always checks the scripts too.
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	} else if os.Getenv("CI") == "true" {
		t.Fatal("shellcheck is not installed: CI must check the workflow's scripts (.ci/run installs it)")
	} else {
		t.Log("shellcheck is not installed: the run: scripts are not checked")
	}
	linter, err := actionlint.NewLinter(io.Discard, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.LintFile(workflowFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Error(e)
	}
}

// TestPlanArtifactIsTheOneApplyDownloads: the apply job downloads, and looks
// up, the artifact under the very name the plan job uploaded it, and that
// name is the same in the plan's events and in the merge's: it is made of
// the pull request's number and head commit only.
func TestPlanArtifactIsTheOneApplyDownloads(t *testing.T) {
	wf := parseWorkflow(t)
	plan, apply := job(t, wf, "plan"), job(t, wf, "apply")
	upload := onlyStepUsing(t, plan, "actions/upload-artifact@")
	download := onlyStepUsing(t, apply, downloadArtifact...)

	uploaded := resolveEnv(wf, plan, upload, input(t, upload, "name"))
	downloaded := resolveEnv(wf, apply, download, input(t, download, "name"))
	if uploaded != downloaded {
		t.Errorf("the plan job uploads the plan as %q, the apply job downloads %q", uploaded, downloaded)
	}

	// Only values that are the same when the plan is made (opened,
	// synchronize, reopened) and when the pull request is merged (closed).
	// github.sha, github.ref and github.event.after are not.
	same := []string{"github.event.pull_request.number", "github.event.pull_request.head.sha"}
	refs := expressions(uploaded)
	for _, ref := range refs {
		if !slices.Contains(same, ref) {
			t.Errorf("the artifact name %q uses ${{ %s }}, which differs between the plan's run and the merge's; use only %v", uploaded, ref, same)
		}
	}
	if !slices.Contains(refs, "github.event.pull_request.head.sha") {
		t.Errorf("the artifact name %q does not name the reviewed commit (github.event.pull_request.head.sha)", uploaded)
	}

	// The download comes from the plan's run, which a step of the apply job
	// finds by that same name.
	runID := input(t, download, "run-id")
	m := regexp.MustCompile(`^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.[A-Za-z0-9_-]+\s*\}\}$`).FindStringSubmatch(runID)
	if m == nil {
		t.Fatalf("download-artifact run-id is %q, want the output of the step that finds the plan's run", runID)
	}
	lookup := stepByID(t, apply, m[1])
	script := runScript(t, lookup)
	var byName bool
	for _, name := range envNames(wf, apply, lookup) {
		if resolveEnv(wf, apply, lookup, "${{ env."+name+" }}") == uploaded &&
			regexp.MustCompile(`\$\{?`+regexp.QuoteMeta(name)+`\b`).MatchString(script) {
			byName = true
		}
	}
	if !byName {
		t.Errorf("step %q does not look the plan's run up by the artifact's name %q", m[1], uploaded)
	}
}

// TestApplyRunsTheDownloadedPlan: the file apply is given is the file the
// plan job uploaded, where the download puts it.
func TestApplyRunsTheDownloadedPlan(t *testing.T) {
	wf := parseWorkflow(t)
	plan, apply := job(t, wf, "plan"), job(t, wf, "apply")
	uploaded := input(t, onlyStepUsing(t, plan, "actions/upload-artifact@"), "path")
	into := input(t, onlyStepUsing(t, apply, downloadArtifact...), "path")
	chdir, planFile := applyCommand(t, apply)
	if got, want := path.Join(chdir, planFile), path.Join(into, path.Base(uploaded)); got != want {
		t.Errorf("apply runs %s; the reviewed plan is downloaded to %s", got, want)
	}
}

// TestJobsRunForTheRightEvents evaluates the jobs' conditions for each
// event the workflow gets: apply runs only for a merged pull request, plan
// for every push to an open one and never on the merge.
func TestJobsRunForTheRightEvents(t *testing.T) {
	wf := parseWorkflow(t)
	var types []string
	for _, ev := range wf.On {
		if w, ok := ev.(*actionlint.WebhookEvent); ok && w.Hook.Value == "pull_request" {
			for _, ty := range w.Types {
				types = append(types, ty.Value)
			}
		}
	}
	for _, want := range []string{"opened", "synchronize", "reopened", "closed"} {
		if !slices.Contains(types, want) {
			t.Errorf("the workflow does not run on pull_request %s (types %v)", want, types)
		}
	}

	pr := func(action string, merged bool) map[string]any {
		return map[string]any{
			"event_name": "pull_request",
			"event": map[string]any{
				"action": action,
				"pull_request": map[string]any{
					"merged": merged, "number": 7.0,
					"head": map[string]any{"sha": "2f1d0c9"},
				},
			},
		}
	}
	push := map[string]any{"event_name": "push", "event": map[string]any{"after": "9c8b7a6"}}
	for _, tc := range []struct {
		name        string
		github      map[string]any
		plan, apply bool
	}{
		{"opened", pr("opened", false), true, false},
		{"synchronize", pr("synchronize", false), true, false},
		{"reopened", pr("reopened", false), true, false},
		{"merged", pr("closed", true), false, true},
		{"closed unmerged", pr("closed", false), false, false},
		{"push to main", push, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for id, want := range map[string]bool{"plan": tc.plan, "apply": tc.apply} {
				if got := jobRuns(t, job(t, wf, id), tc.github); got != want {
					t.Errorf("job %s runs: %v, want %v (if: %s)", id, got, want, job(t, wf, id).If.Value)
				}
			}
		})
	}
}

// TestNoConcurrencyGroupDropsAnApply: GitHub keeps one pending run per
// concurrency group and cancels the older pending ones, so a group around
// applies drops the plans of merges in between. Applies are in no group;
// plans may be grouped per pull request, never cancelled in progress.
func TestNoConcurrencyGroupDropsAnApply(t *testing.T) {
	wf := parseWorkflow(t)
	if c := wf.Concurrency; c != nil {
		t.Errorf("workflow-level concurrency (group %q) queues the applies of different pull requests together", c.Group.Value)
	}
	if c := job(t, wf, "apply").Concurrency; c != nil {
		t.Errorf("the apply job is in concurrency group %q: a pending apply can be cancelled; orderform's lock serialises applies", c.Group.Value)
	}
	for id, j := range wf.Jobs {
		c := j.Concurrency
		if c == nil {
			continue
		}
		if c.CancelInProgress != nil && (c.CancelInProgress.Value || c.CancelInProgress.Expression != nil) {
			t.Errorf("job %s: cancel-in-progress %s", id, c.CancelInProgress)
		}
		if c.Group == nil {
			t.Errorf("job %s: concurrency without a group", id)
		} else if !slices.Contains(expressions(c.Group.Value), "github.event.pull_request.number") {
			t.Errorf("job %s: concurrency group %q is shared between pull requests", id, c.Group.Value)
		}
	}
}

// TestAppliesWaitForOrderformsLock: the apply job waits for another apply
// through the pg backend's lock, with the database secret, and no longer
// carries a local journal around as an artifact.
func TestAppliesWaitForOrderformsLock(t *testing.T) {
	wf := parseWorkflow(t)
	apply := job(t, wf, "apply")
	run := applyRun(t, apply)
	m := regexp.MustCompile(`-lock-timeout=(\S+)`).FindStringSubmatch(run)
	if m == nil {
		t.Fatalf("apply does not wait for the lock (no -lock-timeout): %s", run)
	}
	if d, err := time.ParseDuration(m[1]); err != nil || d < time.Minute {
		t.Errorf("-lock-timeout=%s: want a duration of minutes", m[1])
	}
	for _, id := range []string{"plan", "apply"} {
		j := job(t, wf, id)
		if got := envValue(wf, j, nil, "PG_CONN_STR"); !regexp.MustCompile(`^\$\{\{\s*secrets\.PG_CONN_STR\s*\}\}$`).MatchString(got) {
			t.Errorf("job %s: PG_CONN_STR is %q, want ${{ secrets.PG_CONN_STR }}", id, got)
		}
		for _, s := range j.Steps {
			if a, ok := s.Exec.(*actionlint.ExecAction); ok && strings.HasPrefix(a.Uses.Value, "actions/upload-artifact@") {
				if p := a.Inputs["path"]; p != nil && strings.Contains(p.Value.Value, ".orderform") {
					t.Errorf("job %s uploads %s: the journal lives in the pg backend", id, p.Value.Value)
				}
			}
		}
	}
}

// TestReadmeBackendBlock: the README's orders/backend.hcl is HCL with a
// backend "pg" block and no password in it.
func TestReadmeBackendBlock(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```hcl\n(.*?)```").FindAllSubmatch(b, -1)
	var found bool
	for _, m := range blocks {
		f, diags := hclsyntax.ParseConfig(m[1], "README.md", hcl.InitialPos)
		if diags.HasErrors() {
			t.Errorf("README.md: %s\n%s", diags.Error(), m[1])
			continue
		}
		for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
			if blk.Type != "backend" || len(blk.Labels) != 1 || blk.Labels[0] != "pg" {
				continue
			}
			found = true
			if a := blk.Body.Attributes["conn_str"]; a != nil {
				v, _ := a.Expr.Value(nil)
				if v.Type().FriendlyName() == "string" && regexp.MustCompile(`//[^/@]*:[^/@]*@`).MatchString(v.AsString()) {
					t.Errorf("README.md: the backend block's conn_str holds a password: %s", v.AsString())
				}
			}
		}
	}
	if !found {
		t.Error(`README.md shows no backend "pg" block in an hcl code block`)
	}
}

func parseWorkflow(t *testing.T) *actionlint.Workflow {
	t.Helper()
	b, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	wf, errs := actionlint.Parse(b)
	for _, e := range errs {
		t.Error(e)
	}
	if wf == nil {
		t.FailNow()
	}
	return wf
}

func job(t *testing.T, wf *actionlint.Workflow, id string) *actionlint.Job {
	t.Helper()
	j := wf.Jobs[id]
	if j == nil {
		t.Fatalf("the workflow has no job %q", id)
	}
	return j
}

// The actions that download an artifact: the test must see the download
// whichever of them the workflow uses.
var downloadArtifact = []string{"actions/download-artifact@", "dawidd6/action-download-artifact@"}

func onlyStepUsing(t *testing.T, j *actionlint.Job, actions ...string) *actionlint.Step {
	t.Helper()
	var found []*actionlint.Step
	for _, s := range j.Steps {
		a, ok := s.Exec.(*actionlint.ExecAction)
		if ok && slices.ContainsFunc(actions, func(p string) bool { return strings.HasPrefix(a.Uses.Value, p) }) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("job %s has %d steps using %v, want 1", j.ID.Value, len(found), actions)
	}
	return found[0]
}

func stepByID(t *testing.T, j *actionlint.Job, id string) *actionlint.Step {
	t.Helper()
	for _, s := range j.Steps {
		if s.ID != nil && s.ID.Value == id {
			return s
		}
	}
	t.Fatalf("job %s has no step %q", j.ID.Value, id)
	return nil
}

func input(t *testing.T, s *actionlint.Step, name string) string {
	t.Helper()
	a := s.Exec.(*actionlint.ExecAction)
	in := a.Inputs[name]
	if in == nil || in.Value == nil {
		t.Fatalf("step %s has no with.%s", a.Uses.Value, name)
	}
	return in.Value.Value
}

func runScript(t *testing.T, s *actionlint.Step) string {
	t.Helper()
	r, ok := s.Exec.(*actionlint.ExecRun)
	if !ok || r.Run == nil {
		t.Fatalf("step %v runs no script", s.ID)
	}
	return r.Run.Value
}

// applyRun is the script of the apply job that runs orderform apply.
func applyRun(t *testing.T, j *actionlint.Job) string {
	t.Helper()
	var found []string
	for _, s := range j.Steps {
		if r, ok := s.Exec.(*actionlint.ExecRun); ok && regexp.MustCompile(`\borderform\b.*\bapply\b`).MatchString(r.Run.Value) {
			found = append(found, r.Run.Value)
		}
	}
	if len(found) != 1 {
		t.Fatalf("job %s has %d steps running orderform apply, want 1", j.ID.Value, len(found))
	}
	return found[0]
}

// applyCommand returns the -chdir and the plan file of the apply job's
// orderform apply.
func applyCommand(t *testing.T, j *actionlint.Job) (chdir, planFile string) {
	t.Helper()
	run := applyRun(t, j)
	chdir = "."
	if m := regexp.MustCompile(`-chdir=(\S+)`).FindStringSubmatch(run); m != nil {
		chdir = m[1]
	}
	m := regexp.MustCompile(`\bapply\b.*?\s(\S+)\s*$`).FindStringSubmatch(strings.TrimSpace(run))
	if m == nil || strings.HasPrefix(m[1], "-") {
		t.Fatalf("apply is given no plan file: %s", run)
	}
	return chdir, m[1]
}

// envValue is what the variable name is in a step's environment: the step's
// own env, else the job's, else the workflow's (GitHub's precedence).
func envValue(wf *actionlint.Workflow, j *actionlint.Job, s *actionlint.Step, name string) string {
	var scopes []*actionlint.Env
	if s != nil {
		scopes = append(scopes, s.Env)
	}
	scopes = append(scopes, j.Env, wf.Env)
	for _, e := range scopes {
		if e == nil {
			continue
		}
		// actionlint keys env vars in lower case.
		if v := e.Vars[strings.ToLower(name)]; v != nil {
			return v.Value.Value
		}
	}
	return ""
}

func envNames(wf *actionlint.Workflow, j *actionlint.Job, s *actionlint.Step) []string {
	var names []string
	for _, e := range []*actionlint.Env{s.Env, j.Env, wf.Env} {
		if e == nil {
			continue
		}
		for _, v := range e.Vars {
			names = append(names, v.Name.Value)
		}
	}
	return names
}

// resolveEnv replaces a value that is just ${{ env.NAME }} by NAME's value
// where the step runs.
func resolveEnv(wf *actionlint.Workflow, j *actionlint.Job, s *actionlint.Step, v string) string {
	m := regexp.MustCompile(`^\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$`).FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return v
	}
	return envValue(wf, j, s, m[1])
}

// expressions lists the ${{ }} expressions of a string, trimmed.
func expressions(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\$\{\{(.*?)\}\}`).FindAllStringSubmatch(s, -1) {
		out = append(out, strings.TrimSpace(m[1]))
	}
	return out
}

// jobRuns evaluates the job's if: with the given github context, as GitHub
// would for the expressions a job condition here uses.
func jobRuns(t *testing.T, j *actionlint.Job, github map[string]any) bool {
	t.Helper()
	if j.If == nil {
		return true
	}
	src := strings.TrimSpace(j.If.Value)
	if strings.HasPrefix(src, "${{") && strings.HasSuffix(src, "}}") && strings.Count(src, "${{") == 1 {
		src = strings.TrimSuffix(strings.TrimPrefix(src, "${{"), "}}")
	}
	node, perr := actionlint.NewExprParser().Parse(actionlint.NewExprLexer(src + "}}"))
	if perr != nil {
		t.Fatalf("job %s: if: %s: %v", j.ID.Value, j.If.Value, perr)
	}
	return truthy(eval(t, node, map[string]any{"github": github}))
}

func eval(t *testing.T, n actionlint.ExprNode, ctx map[string]any) any {
	t.Helper()
	switch n := n.(type) {
	case *actionlint.VariableNode:
		return ctx[strings.ToLower(n.Name)]
	case *actionlint.ObjectDerefNode:
		if obj, ok := eval(t, n.Receiver, ctx).(map[string]any); ok {
			return obj[n.Property]
		}
		return nil
	case *actionlint.StringNode:
		return n.Value
	case *actionlint.BoolNode:
		return n.Value
	case *actionlint.IntNode:
		return float64(n.Value)
	case *actionlint.FloatNode:
		return n.Value
	case *actionlint.NullNode:
		return nil
	case *actionlint.NotOpNode:
		return !truthy(eval(t, n.Operand, ctx))
	case *actionlint.LogicalOpNode:
		l := eval(t, n.Left, ctx)
		if (n.Kind == actionlint.LogicalOpNodeKindAnd) != truthy(l) {
			return l
		}
		return eval(t, n.Right, ctx)
	case *actionlint.CompareOpNode:
		eq := equal(eval(t, n.Left, ctx), eval(t, n.Right, ctx))
		switch n.Kind {
		case actionlint.CompareOpNodeKindEq:
			return eq
		case actionlint.CompareOpNodeKindNotEq:
			return !eq
		}
	case *actionlint.FuncCallNode:
		switch strings.ToLower(n.Callee) {
		case "success", "always":
			return true
		case "failure", "cancelled":
			return false
		case "contains", "startswith", "endswith":
			if len(n.Args) == 2 {
				a, aok := eval(t, n.Args[0], ctx).(string)
				b, bok := eval(t, n.Args[1], ctx).(string)
				a, b = strings.ToLower(a), strings.ToLower(b)
				if aok && bok {
					return map[string]func(string, string) bool{
						"contains": strings.Contains, "startswith": strings.HasPrefix, "endswith": strings.HasSuffix,
					}[strings.ToLower(n.Callee)](a, b)
				}
			}
		}
	}
	t.Fatalf("the test cannot evaluate %T in a job condition; extend eval", n)
	return nil
}

// truthy and equal follow GitHub's expression rules: strings compare
// ignoring case; values of different types compare as numbers.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0
	}
	return true
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case string:
		if b, ok := b.(string); ok {
			return strings.EqualFold(a, b)
		}
	case bool:
		if b, ok := b.(bool); ok {
			return a == b
		}
	case nil:
		if b == nil {
			return true
		}
	}
	return number(a) == number(b)
}

func number(v any) float64 {
	switch v := v.(type) {
	case nil:
		return 0
	case bool:
		if v {
			return 1
		}
		return 0
	case float64:
		return v
	case string:
		if strings.TrimSpace(v) == "" {
			return 0
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			return f
		}
	}
	return math.NaN()
}
