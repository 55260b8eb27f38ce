package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// filePlanInput is a track replacement and a recipient change.
func filePlanInput() (Input, map[int64]provider.Order) {
	orders := map[int64]provider.Order{
		1001: dbs(1001, "PROCESSING", provider.Track{Code: "RP1", DeliveryServiceID: 51}),
		2001: laas(2001, "PROCESSING"),
	}
	in := Input{Now: now, Current: map[int64]Current{}, Desired: []schema.Order{
		trackOrder(1001, "RP2"),
		{Address: "order.2001", ID: 2001, CampaignID: 22000000, Recipient: &schema.Recipient{Phone: sp("+79990009999")}},
	}}
	for id, o := range orders {
		in.Current[id] = Current{Found: true, Order: o}
	}
	return in, orders
}

// A saved plan keeps what will be sent and the fingerprint staleness needs,
// never the recipient's previous name or phone, and no calls: read back,
// the calls made from it are the ones the plan made.
func TestFileRoundTrip(t *testing.T) {
	in, orders := filePlanInput()
	p := Build(in)
	if len(p.Changes) != 2 {
		t.Fatalf("want 2 changes, got %+v", p)
	}
	path := filepath.Join(t.TempDir(), "p.plan")
	if err := Write(path, &File{Version: "0.1.0-test", Endpoint: "http://127.0.0.1:1", Plan: p}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range []string{"79990001122", "Сергеевич", "Петров", "Иван", "track_call", "update_call"} {
		if strings.Contains(string(data), old) {
			t.Errorf("the plan file holds %q:\n%s", old, data)
		}
	}
	for _, kept := range []string{`"after": "+79990009999"`, `"before": "+*********22"`, `"format_version": "2.0"`} {
		if !strings.Contains(string(data), kept) {
			t.Errorf("the plan file lacks %s:\n%s", kept, data)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode: %v %v, want 0600", st.Mode(), err)
	}

	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range f.Plan.Changes {
		if c.Calls != nil {
			t.Errorf("%s: a plan read from a file carries calls", c.Address)
		}
		calls, err := c.MakeCalls(orders[c.OrderID])
		if err != nil {
			t.Fatalf("%s: %v", c.Address, err)
		}
		c.Calls = calls
		if diff := cmp.Diff(p.Changes[i].track(), c.track()); diff != "" {
			t.Errorf("%s: track call (-planned +from file):\n%s", c.Address, diff)
		}
		if diff := cmp.Diff(p.Changes[i].update(), c.update()); diff != "" {
			t.Errorf("%s: update call (-planned +from file):\n%s", c.Address, diff)
		}
		if why := c.Stale(nil, orders[c.OrderID]); why != "" {
			t.Errorf("%s: stale on the order it was made on: %s", c.Address, why)
		}
	}
	// The replaced track keeps its service although the field does not
	// show it; the customer is completed from the order.
	if got := p.Changes[0].track(); got == nil || *got != (provider.Track{Code: "RP2", DeliveryServiceID: 51}) {
		t.Errorf("track call = %+v", got)
	}
	want := provider.Customer{FirstName: "Иван", LastName: "Петров", MiddleName: "Сергеевич", Phone: "+79990009999"}
	if got := p.Changes[1].update(); got == nil || got.Customer == nil || *got.Customer != want {
		t.Errorf("update call = %+v", got)
	}
}

// When the old code alone would not tell which track is replaced, the plan
// shows the service too, so the calls still derive from the fields.
func TestTrackServiceShownWhenAmbiguous(t *testing.T) {
	o := dbs(1001, "PROCESSING", provider.Track{Code: "RP1", DeliveryServiceID: 51}, provider.Track{Code: "RP1", DeliveryServiceID: 52})
	p := Build(Input{Now: now, Desired: []schema.Order{trackOrder(1001, "RP2")}, Current: map[int64]Current{1001: {Found: true, Order: o}}})
	if len(p.Changes) != 1 {
		t.Fatalf("want one change, got %+v", p)
	}
	c := p.Changes[0]
	want := []Field{{Path: FieldTrackCode, Before: sp("RP1"), After: sp("RP2")}, {Path: FieldTrackService, Before: sp("51"), After: sp("51")}}
	if diff := cmp.Diff(want, c.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if c.track() == nil || *c.track() != (provider.Track{Code: "RP2", DeliveryServiceID: 51}) {
		t.Errorf("track call = %+v", c.track())
	}
}

// Read refuses a file whose parts disagree, naming the change and what is
// wrong, whatever else the file holds.
func TestReadRefusesInconsistentPlans(t *testing.T) {
	in, _ := filePlanInput()
	good := filepath.Join(t.TempDir(), "good.plan")
	if err := Write(good, &File{Version: "0.1.0-test", Endpoint: "http://127.0.0.1:1", Plan: Build(in)}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	type doc = map[string]any
	change := func(f doc, i int) doc { return f["plan"].(doc)["changes"].([]any)[i].(doc) }
	fields := func(f doc, i int) []any { return change(f, i)["fields"].([]any) }
	for _, tc := range []struct {
		name   string
		tamper func(f doc)
		want   string
	}{
		{"unknown action", func(f doc) { change(f, 0)["action"] = "delete" }, `change 1 (order.1001): action "delete" is not one orderform applies`},
		{"no action", func(f doc) { delete(change(f, 0), "action") }, `change 1 (order.1001): action "" is not one`},
		{"no fields", func(f doc) { change(f, 1)["fields"] = []any{} }, `change 2 (order.2001): sets no field`},
		{"unknown field", func(f doc) { fields(f, 0)[0].(doc)["path"] = "track.owner" }, `change 1 (order.1001): field "track.owner" is not one orderform manages`},
		{"field twice", func(f doc) { change(f, 0)["fields"] = append(fields(f, 0), fields(f, 0)[0]) }, `change 1 (order.1001): field track.code is listed twice`},
		{"field without value", func(f doc) { fields(f, 1)[0].(doc)["after"] = nil }, `change 2 (order.2001): field recipient.phone has no value to set`},
		{"service without code", func(f doc) { fields(f, 0)[0].(doc)["path"] = FieldTrackService }, `track.delivery_service_id without track.code`},
		{"no observed state", func(f doc) { change(f, 1)["observed"].(doc)["values"] = doc{} }, `change 2 (order.2001): field recipient.phone has no observed recipient state`},
		{"same order twice", func(f doc) { change(f, 1)["order_id"] = 1001 }, `change 2 (order.2001): order 1001 is already changed by change 1`},
		{"same address twice", func(f doc) { change(f, 1)["address"] = "order.1001" }, `change 2 (order.1001): order.1001 is already changed by change 1`},
		{"no campaign", func(f doc) { change(f, 0)["campaign_id"] = 0 }, `change 1 (order.1001): names no campaign ID`},
		{"status not observed", func(f doc) { change(f, 0)["status"] = "DELIVERY" }, `change 1 (order.1001): shows status "DELIVERY" and model "DBS", but observed "PROCESSING" and "DBS"`},
		{"changed and blocked", func(f doc) {
			f["plan"].(doc)["blocked"] = []any{doc{"address": "order.1001", "order_id": 1001, "campaign_id": 21000000, "reason": "status_not_allowed"}}
		}, `change 1 (order.1001): order 1001 is also listed as blocked`},
		{"calls in a format 2 file", func(f doc) {
			change(f, 0)["track_call"] = doc{"trackCode": "EVIL", "deliveryServiceId": 51}
		}, `change 1 (order.1001): carries track_call or update_call`},
		{"control characters are quoted", func(f doc) { change(f, 0)["address"] = "order.\x1b[31m"; change(f, 0)["action"] = "x" }, `change 1 ("order.\x1b[31m")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f doc
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatal(err)
			}
			tc.tamper(f)
			out, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "bad.plan")
			if err := os.WriteFile(path, out, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = Read(path)
			if err == nil {
				t.Fatalf("Read accepted the file")
			}
			for _, want := range []string{path, tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// A file of a format this orderform does not know is refused, naming both.
func TestReadRefusesUnknownFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "future.plan")
	if err := os.WriteFile(path, []byte(`{"kind":"orderform-plan","format_version":"3.0","plan":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), "has format 3.0; this orderform reads 1.x and 2.x") {
		t.Errorf("Read = %v", err)
	}
}
