package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/provider/sandbox"
)

// A plan made a few orders at a time is the plan made of all of them at
// once: the same changes, pending writes, deferred and blocked changes, in
// the same order, and the same count of orders that match; and apply of it
// finds the orders it changes as the chunks read them.
func TestPlanInChunksIsThePlanWhole(t *testing.T) {
	st := sandbox.Generate(60, 1)
	var tracks, slots strings.Builder
	tracks.WriteString("order_id,track\n")
	slots.WriteString("order_id,from_date,to_date,from_time,to_time\n")
	var moved []int64 // LaaS orders whose declared slot differs
	laas := 0
	for i := range st.Orders {
		o := &st.Orders[i]
		switch o.CampaignID {
		case 21000000:
			code := fmt.Sprintf("RP%09dRU", o.ID)
			if i%3 != 0 {
				o.Delivery.Tracks = []sandbox.Track{{TrackCode: code, DeliveryServiceID: 51}}
			}
			fmt.Fprintf(&tracks, "%d,%s\n", o.ID, code)
		case 22000000:
			d := o.Delivery.Dates
			laas++
			if laas%2 == 0 && len(o.AvailableIntervals) > 1 {
				a := o.AvailableIntervals[1]
				if a.FromDate != d.FromDate || a.FromTime != d.FromTime || a.ToTime != d.ToTime {
					moved = append(moved, o.ID)
				}
				d = sandbox.Dates{FromDate: a.FromDate, ToDate: a.ToDate, FromTime: a.FromTime, ToTime: a.ToTime}
			}
			fmt.Fprintf(&slots, "%d,%s,%s,%s,%s\n", o.ID, d.FromDate, d.ToDate, d.FromTime, d.ToTime)
		}
	}
	if len(moved) < 2 {
		t.Fatalf("the generated orders give %d interval changes, want at least 2", len(moved))
	}
	// An order nobody has: blocked, in the middle of the addresses.
	fmt.Fprintf(&tracks, "%d,RP000000000RU\n", 150000)
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{"chunks-key"}, UpdateDelay: time.Hour, Own: true})
	// What reaches the sandbox, and what it answers, is checked against the
	// official spec.
	hs := httptest.NewServer(contract.Handler(srv, contract.Both, contract.Errorf(t)))
	defer hs.Close()
	t.Setenv("YANDEX_MARKET_ENDPOINT", hs.URL)
	t.Setenv("YANDEX_MARKET_API_KEY", "chunks-key")
	t.Setenv("YANDEX_MARKET_BUSINESS_ID", "")
	t.Setenv("NO_COLOR", "1")

	dir := t.TempDir()
	// bench/plan10k's configuration: the same two for_each over CSV files.
	config, err := os.ReadFile(filepath.Join("..", "..", "bench", "plan10k", "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"main.hcl": string(config), "tracks.csv": tracks.String(), "slots.csv": slots.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (int, string) {
		var out, errs bytes.Buffer
		code := Run(append([]string{"-chdir=" + dir}, args...), Streams{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs})
		return code, out.String() + errs.String()
	}
	// One interval change sent, its operation in progress for an hour:
	// pending in the plans below.
	if code, out := run("apply", "-auto-approve", "-wait=0s", "-no-color", fmt.Sprintf(`-target=order.slot["%d"]`, moved[0])); code != 0 {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}

	plans := map[int]map[string]any{}
	for _, size := range []int{7, 10000} {
		old := chunkOrders
		chunkOrders = size
		code, out := run("plan", "-json")
		chunkOrders = old
		if code != 1 { // the order nobody has is blocked
			t.Fatalf("plan in chunks of %d exited %d, want 1:\n%s", size, code, out)
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("plan -json in chunks of %d: %v\n%s", size, err, out)
		}
		delete(p, "created_at")
		plans[size] = p
	}
	if diff := cmp.Diff(plans[10000], plans[7]); diff != "" {
		t.Errorf("the plan in chunks of 7 differs from the plan whole (-whole +chunks):\n%s", diff)
	}
	sum, _ := plans[7]["summary"].(map[string]any)
	for _, k := range []string{"change", "pending", "blocked", "unchanged"} {
		if n, _ := sum[k].(float64); n < 1 {
			t.Errorf("summary %s = %v, want at least 1: the test covers every kind of entry (%v)", k, sum[k], sum)
		}
	}

	// Apply in chunks sends every change once, and the orders then match.
	defer func(old int) { chunkOrders = old }(chunkOrders)
	chunkOrders = 7
	srv.ResetCalls()
	// Exit 1: the changes the orders' statuses forbid are blocked.
	if code, out := run("apply", "-auto-approve", "-wait=0s", "-no-color"); code != 1 || !strings.Contains(out, "14 applied") {
		t.Fatalf("apply in chunks exited %d, want 1 with the 14 changes applied:\n%s", code, out)
	}
	writes := map[int64]int{}
	for _, c := range srv.Calls() {
		if c.Endpoint == sandbox.EndpointTrack || c.Endpoint == sandbox.EndpointUpdate {
			for _, id := range c.OrderIDs {
				writes[id]++
			}
		}
	}
	want, _ := sum["change"].(float64)
	if len(writes) != int(want) {
		t.Errorf("apply wrote to %d orders, want the plan's %v changes: %v", len(writes), want, writes)
	}
	for id, n := range writes {
		if n != 1 {
			t.Errorf("order %d written %d times, want once", id, n)
		}
	}
}
