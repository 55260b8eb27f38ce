package main

// Saved plans end to end: what `apply FILE` sends derives from what `show
// FILE` displays, and a file whose parts disagree is refused before
// anything is sent. testdata/planfile/v1.plan is a plan as orderform wrote
// it in format 1.0 (with its calls beside its fields), made from
// testdata/planfile/main.hcl on testdata/sandbox-small.json.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

// v1Plan returns the format 1.0 fixture as JSON values, pointed at e.
func v1Plan(t *testing.T, e *applyEnv) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "planfile", "v1.plan"))
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	f["endpoint"] = e.url
	return f
}

func newPlanfileEnv(t *testing.T) *applyEnv {
	t.Helper()
	hcl, err := os.ReadFile(filepath.Join("testdata", "planfile", "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	return newApplyEnv(t, nil, sandbox.Options{UpdateDelay: 20 * time.Millisecond}, map[string]string{"main.hcl": string(hcl)})
}

func writeJSON(t *testing.T, e *applyEnv, name string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	e.write(name, string(data))
}

// changesOf returns the plan's changes, for editing in place.
func changesOf(f map[string]any) []any {
	return f["plan"].(map[string]any)["changes"].([]any)
}

func changeOf(f map[string]any, address string) map[string]any {
	for _, c := range changesOf(f) {
		if c := c.(map[string]any); c["address"] == address {
			return c
		}
	}
	panic("no change for " + address)
}

func writeCalls(e *applyEnv) []string {
	var out []string
	for _, c := range e.srv.Calls() {
		if c.Endpoint == sandbox.EndpointTrack || c.Endpoint == sandbox.EndpointUpdate {
			out = append(out, c.Method+" "+c.Path+" "+string(c.Body))
		}
	}
	return out
}

// A plan file written by the previous format is still applied, and sends
// what its fields say: a replaced track keeps its delivery service, the
// recipient the API needs whole is completed from the order.
func TestSavedPlanFormat1Applies(t *testing.T) {
	e := newPlanfileEnv(t)
	writeJSON(t, e, "v1.plan", v1Plan(t, e))
	r := e.mustExit(0, "apply", "-no-color", "-poll-interval=50ms", "v1.plan")
	wantContains(t, "stdout", r.stdout, "Apply complete: 3 confirmed")
	e.wantWritesOnce([]int64{1001, 1002, 2001})
	e.wantField(1001, "tracks", "RP123456789RU@51")
	e.wantField(1002, "tracks", "RP000000002RU@51")
	e.wantField(2001, "interval", "2026-11-28/2026-11-28/10:00/14:00")
	e.wantField(2001, "phone", "+79035550122")
	e.wantField(2001, "first_name", "Мария")
	e.wantField(2001, "last_name", "Новиков")
	e.wantField(2001, "middle_name", "Андреевич")
}

// A saved plan whose calls and fields disagree, or that lists a change
// twice, is refused before anything is read or sent: show would display
// one thing and apply send another.
func TestSavedPlanTamperedIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(f map[string]any)
		want   []string
	}{
		{
			// show displays RP123456789RU; the call would send EVIL-SENT.
			name: "edited track code",
			tamper: func(f map[string]any) {
				changeOf(f, "order.1001")["track_call"].(map[string]any)["trackCode"] = "EVIL-SENT"
			},
			want: []string{`change 1 (order.1001)`, `track_call sends track code "EVIL-SENT"`, `track.code`},
		},
		{
			// The report would say order.2001 while order 2005, declared
			// nowhere, is changed.
			name: "update for another order",
			tamper: func(f map[string]any) {
				changeOf(f, "order.2001")["update_call"].(map[string]any)["OrderID"] = 2005
			},
			want: []string{`change 3 (order.2001)`, `update_call is for order 2005`},
		},
		{
			name: "duplicated change",
			tamper: func(f map[string]any) {
				p := f["plan"].(map[string]any)
				p["changes"] = append(changesOf(f), changeOf(f, "order.1001"))
			},
			want: []string{`change 4 (order.1001)`, `order 1001 is already changed by change 1`},
		},
		{
			// Without its call the change would be reported pending and
			// nothing sent, exit 0.
			name: "removed call",
			tamper: func(f map[string]any) {
				delete(changeOf(f, "order.1001"), "track_call")
			},
			want: []string{`change 1 (order.1001)`, `no track_call`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPlanfileEnv(t)
			f := v1Plan(t, e)
			tc.tamper(f)
			writeJSON(t, e, "tampered.plan", f)
			for _, args := range [][]string{
				{"apply", "-no-color", "-poll-interval=50ms", "-wait=2s", "tampered.plan"},
				{"show", "-no-color", "tampered.plan"},
			} {
				r := e.orderform(args...)
				if r.code != 1 {
					t.Errorf("orderform %s: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
				}
				wantContains(t, args[0]+" stderr", r.stderr, append([]string{"tampered.plan"}, tc.want...)...)
				if strings.Contains(r.stdout, "Apply") {
					t.Errorf("%s went on after refusing the file:\n%s", args[0], r.stdout)
				}
			}
			if w := writeCalls(e); len(w) > 0 {
				t.Errorf("writes sent for a refused plan:\n%s", strings.Join(w, "\n"))
			}
			if n := len(e.srv.Calls()); n > 0 {
				t.Errorf("%d API calls for a refused plan, want none", n)
			}
		})
	}
}

// plannedFile makes a plan with the current format and returns it as JSON
// values; the plan's own reads are forgotten.
func plannedFile(t *testing.T, e *applyEnv) map[string]any {
	t.Helper()
	e.mustExit(2, "plan", "-detailed-exitcode", "-no-color", "-out=p.plan")
	data, err := os.ReadFile(filepath.Join(e.dir, "p.plan"))
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCalls()
	return f
}

// What a saved plan sends is what its fields say, the only place it says
// anything: edit a field and show and apply both follow it.
func TestSavedPlanSendsWhatItShows(t *testing.T) {
	e := newPlanfileEnv(t)
	f := plannedFile(t, e)
	for _, fl := range changeOf(f, "order.1002")["fields"].([]any) {
		if fl := fl.(map[string]any); fl["path"] == "track.code" {
			fl["after"] = "RP-EDITED-2"
		}
	}
	writeJSON(t, e, "edited.plan", f)
	r := e.mustExit(0, "show", "-no-color", "edited.plan")
	wantContains(t, "show", r.stdout, `track.code = "1523876401" -> "RP-EDITED-2"`)
	r = e.mustExit(0, "apply", "-no-color", "-poll-interval=50ms", "-wait=5s", "edited.plan")
	wantContains(t, "apply", r.stdout, `track.code = "1523876401" -> "RP-EDITED-2"`, "Apply complete: 3 confirmed")
	e.wantWritesOnce([]int64{1001, 1002, 2001})
	e.wantField(1002, "tracks", "RP-EDITED-2@51")
	e.wantField(2001, "middle_name", "Андреевич")
}

// A change listed twice in a current-format file is refused too.
func TestSavedPlanDuplicateChangeIsRefused(t *testing.T) {
	e := newPlanfileEnv(t)
	f := plannedFile(t, e)
	p := f["plan"].(map[string]any)
	p["changes"] = append(changesOf(f), changeOf(f, "order.2001"))
	writeJSON(t, e, "twice.plan", f)
	r := e.orderform("apply", "-no-color", "-poll-interval=50ms", "twice.plan")
	if r.code != 1 {
		t.Errorf("apply: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantContains(t, "stderr", r.stderr, "twice.plan", "change 4 (order.2001): order 2001 is already changed by change 3")
	if n := len(e.srv.Calls()); n > 0 {
		t.Errorf("%d API calls for a refused plan, want none:\n%s", n, strings.Join(writeCalls(e), "\n"))
	}
}

// A saved plan whose campaign was edited does not send the order's change
// to that campaign: the re-read shows where the order is.
func TestSavedPlanOtherCampaignIsNotSent(t *testing.T) {
	e := newPlanfileEnv(t)
	f := plannedFile(t, e)
	f["plan"].(map[string]any)["business_id"] = 9000000 // read through the business, which finds the order anywhere
	changeOf(f, "order.1001")["campaign_id"] = 22000000
	writeJSON(t, e, "moved.plan", f)
	r := e.orderform("apply", "-no-color", "-poll-interval=50ms", "-wait=5s", "moved.plan")
	if r.code != 1 {
		t.Errorf("apply: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantContains(t, "stdout", r.stdout, "order 1001 belongs to campaign 21000000, not 22000000")
	for _, c := range e.srv.Calls() {
		if c.Endpoint == sandbox.EndpointTrack && slices.Contains(c.OrderIDs, 1001) {
			t.Errorf("a track write for order 1001 was sent: %s %s", c.Method, c.Path)
		}
	}
	e.wantField(1001, "tracks", "none")
}
