package sandbox

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSeedMatchesDoc keeps the table in doc.go honest.
func TestSeedMatchesDoc(t *testing.T) {
	st, err := LoadState(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Campaign      int64
		Status        string
		Intervals     int
		Tracks        int
		Fake, Fail    bool
		Cancel        bool
		DeliveryType  string
		SecondsInTime bool
	}
	got := map[int64]row{}
	for _, o := range st.Orders {
		got[o.ID] = row{o.CampaignID, o.Status, len(o.AvailableIntervals), len(o.Delivery.Tracks), o.Fake,
			o.FailOperations, o.CancelRequested, o.Delivery.Type, len(o.Delivery.Dates.FromTime) == 8}
	}
	const dbs, laas = 21000000, 22000000
	want := map[int64]row{
		1001: {dbs, "PROCESSING", 0, 0, false, false, false, "DELIVERY", false},
		1002: {dbs, "PROCESSING", 0, 1, false, false, false, "DELIVERY", false},
		1003: {dbs, "DELIVERED", 0, 1, false, false, false, "DELIVERY", false},
		1004: {dbs, "DELIVERY", 0, 1, false, false, false, "DELIVERY", true},
		1005: {dbs, "PICKUP", 0, 0, false, false, false, "PICKUP", false},
		1006: {dbs, "CANCELLED", 0, 0, false, false, false, "DELIVERY", false},
		1007: {dbs, "UNPAID", 0, 0, false, false, false, "DELIVERY", false},
		1008: {dbs, "PROCESSING", 0, 0, false, false, true, "DELIVERY", false},
		1009: {dbs, "PROCESSING", 0, 0, true, false, false, "DELIVERY", false},
		2001: {laas, "PROCESSING", 3, 0, false, false, false, "DELIVERY", false},
		2002: {laas, "DELIVERY", 4, 1, false, false, false, "DELIVERY", true},
		2003: {laas, "DELIVERED", 0, 1, false, false, false, "DELIVERY", false},
		2004: {laas, "CANCELLED", 0, 0, false, false, false, "DELIVERY", false},
		2005: {laas, "PROCESSING", 2, 0, false, true, false, "DELIVERY", false},
		2006: {laas, "PROCESSING", 0, 0, false, false, false, "PICKUP", false},
		2007: {laas, "UNPAID", 2, 0, false, false, false, "DELIVERY", false},
		2008: {laas, "PROCESSING", 3, 0, false, false, false, "DELIVERY", false},
		3001: {23000000, "PROCESSING", 0, 1, false, false, false, "DELIVERY", false},
		4001: {31000000, "PROCESSING", 0, 0, false, false, false, "DELIVERY", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seed orders (-want +got):\n%s", diff)
	}
	for _, o := range st.Orders {
		if strings.ContainsFunc(o.Buyer.LastName, func(r rune) bool { return r < 0x400 || r > 0x4ff }) {
			t.Errorf("order %d: buyer %q is not a Russian name", o.ID, o.Buyer.LastName)
		}
	}
}

func TestParseStateErrors(t *testing.T) {
	seed, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(st map[string]any)
		raw     string
		wantErr []string // lines of the joined error, after the prefix
	}{
		{name: "not JSON", raw: `{"orders": [}`, wantErr: []string{"parse sandbox state: invalid character '}' looking for beginning of value"}},
		{name: "unknown field", raw: `{"orders": [], "campains": []}`, wantErr: []string{`parse sandbox state: json: unknown field "campains"`}},
		{name: "two documents", raw: `{} {}`, wantErr: []string{"parse sandbox state: data after the JSON document"}},
		{name: "duplicate order, missing campaign", edit: func(st map[string]any) {
			orders := st["orders"].([]any)
			o := orders[1].(map[string]any)
			o["id"] = 1001.0
			o["campaignId"] = 123.0
		}, wantErr: []string{"invalid sandbox state: orders[1]: duplicate order id 1001", "order 1001: campaign 123 does not exist"}},
		{name: "dates and times", edit: func(st map[string]any) {
			d := st["orders"].([]any)[0].(map[string]any)["delivery"].(map[string]any)["dates"].(map[string]any)
			d["fromDate"] = "26-11-2026"
			d["toTime"] = "24:00"
			iv := st["orders"].([]any)[9].(map[string]any)["availableIntervals"].([]any)[0].(map[string]any)
			iv["toDate"] = "2026-11-26"
		}, wantErr: []string{
			`invalid sandbox state: order 1001: delivery.dates: fromDate "26-11-2026" is not a date (want YYYY-MM-DD)`,
			`order 1001: delivery.dates.toTime "24:00" is not a time (want HH:MM or HH:MM:SS)`,
			"order 2001: availableIntervals[0]: toDate 2026-11-26 is before fromDate 2026-11-27"}},
		{name: "model and status", edit: func(st map[string]any) {
			o := st["orders"].([]any)[0].(map[string]any)
			o["status"] = "SHIPPED"
			st["campaigns"].([]any)[0].(map[string]any)["placementType"] = "DROPSHIP"
		}, wantErr: []string{
			`invalid sandbox state: campaign 21000000: placementType "DROPSHIP" is not one of DBS, LAAS, FBS, FBY`,
			`order 1001: status "SHIPPED" is not an order status`}},
		{name: "partner type contradicts DBS", edit: func(st map[string]any) {
			st["orders"].([]any)[0].(map[string]any)["delivery"].(map[string]any)["partnerType"] = "YANDEX_MARKET"
		}, wantErr: []string{`invalid sandbox state: order 1001: delivery.partnerType "YANDEX_MARKET" contradicts the campaign's model DBS (want SHOP)`}},
		{name: "business, phone, creation date", edit: func(st map[string]any) {
			st["campaigns"].([]any)[3].(map[string]any)["businessId"] = 1.0
			o := st["orders"].([]any)[2].(map[string]any)
			o["delivery"].(map[string]any)["address"].(map[string]any)["phone"] = "8 916 123"
			delete(o, "creationDate")
		}, wantErr: []string{
			"invalid sandbox state: campaign 31000000: business 1 does not exist",
			"order 1003: creationDate is required",
			`order 1003: delivery.address.phone "8 916 123" is not a phone (want +digits, 4 to 15 of them)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.raw)
			if tt.edit != nil {
				var st map[string]any
				if err := json.Unmarshal(seed, &st); err != nil {
					t.Fatal(err)
				}
				tt.edit(st)
				data, _ = json.Marshal(st)
			}
			_, err := ParseState(data)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.wantErr, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := LoadState(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.HasPrefix(err.Error(), "load sandbox state: open ") {
		t.Errorf("missing file: %v", err)
	}
}

// TestSaveLoadRoundTrip also shows that a pending operation survives a
// restart and settles in the next process once its time has come.
func TestSaveLoadRoundTrip(t *testing.T) {
	f := newFixture(t, Options{UpdateDelay: 10 * time.Minute})
	f.do("POST", "/v2/campaigns/21000000/orders/1001/delivery/track", `{"trackCode": "RP1", "deliveryServiceId": 51}`)
	if a := f.do("POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, `+customerBody+`}}`); a.status != 200 {
		t.Fatalf("HTTP %d %s", a.status, a.body)
	}
	path := filepath.Join(t.TempDir(), "state.json")
	if err := f.srv.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Save(path); err != nil { // over an existing file
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode = %v, want 0600", perm)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	loaded, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.srv.Snapshot(), loaded); diff != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", diff)
	}

	// The next process, 10 minutes later.
	c := newClock()
	c.Advance(10 * time.Minute)
	next := New(loaded, Options{Now: c.Now})
	o, _ := next.Order(2001)
	if diff := cmp.Diff([]string{"Новикова Мария Ивановна", "+79990001122"}, []string{o.Delivery.Address.Recipient, o.Delivery.Address.Phone}); diff != "" {
		t.Errorf("recipient after restart (-want +got):\n%s", diff)
	}
	if op := next.Snapshot().Operations[0]; op.Status != OperationDone {
		t.Errorf("operation = %+v, want DONE", op)
	}
	if err := f.srv.Save(filepath.Join(t.TempDir(), "no", "such", "dir.json")); err == nil {
		t.Error("save into a missing directory succeeded")
	}
}

func TestGenerate(t *testing.T) {
	a, b := Generate(200, 7), Generate(200, 7)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("not deterministic (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, Generate(200, 8)) {
		t.Error("another seed made the same state")
	}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseState(data); err != nil {
		t.Errorf("generated state is invalid: %v", err)
	}
	models := map[int64]int{}
	for _, o := range a.Orders {
		models[o.CampaignID]++
	}
	if diff := cmp.Diff(map[int64]int{21000000: 100, 22000000: 100}, models); diff != "" {
		t.Errorf("orders per campaign (-want +got):\n%s", diff)
	}
}

func TestCloneIsDeep(t *testing.T) {
	st, err := LoadState(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	st.Operations = []Operation{{ID: "x", Type: OperationIntervalUpdate, Status: OperationInProgress, OrderID: 2001,
		Interval: &Interval{"2026-11-27", "2026-11-27", "14:00", "18:00"}}}
	c := st.Clone()
	if diff := cmp.Diff(st, c); diff != "" {
		t.Fatalf("clone differs (-orig +clone):\n%s", diff)
	}
	c.Orders[1].Delivery.Tracks[0].TrackCode = "changed"
	c.Orders[9].AvailableIntervals[0].FromTime = "changed"
	c.Orders[0].Items[0].Count = 99
	c.Campaigns[1].Warehouses[0].Courier[0].AddressContains[0] = "changed"
	c.Campaigns[1].Warehouses[0].Pickup[0].Options[0].Price = 1
	c.Operations[0].Interval.FromTime = "changed"
	c.APIKeys[0] = "changed"
	if diff := cmp.Diff(st, c); !strings.Contains(diff, "changed") {
		t.Fatal("edits of the clone did not show up in it")
	}
	fresh, _ := LoadState(seedPath)
	fresh.Operations = st.Operations
	if diff := cmp.Diff(fresh, st); diff != "" {
		t.Errorf("editing the clone changed the original (-want +got):\n%s", diff)
	}
}

func TestUpdateOrder(t *testing.T) {
	f := newFixture(t, Options{})
	err := f.srv.UpdateOrder(1001, func(o *OrderState) {
		o.Status, o.Substatus = "DELIVERY", "DELIVERY_SERVICE_RECEIVED"
		o.Delivery.Tracks = append(o.Delivery.Tracks, Track{"ELSEWHERE", 51})
	})
	if err != nil {
		t.Fatal(err)
	}
	got := f.do("GET", "/v2/campaigns/21000000/orders/1001", "").json(t)
	want := []any{"DELIVERY", "23-11-2026 12:00:00", []any{map[string]any{"trackCode": "ELSEWHERE", "deliveryServiceId": 51.0}}}
	if diff := cmp.Diff(want, []any{field(got, "order", "status"), field(got, "order", "updatedAt"), field(got, "order", "delivery", "tracks")}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A second change in the same second still moves updatedAt.
	if err := f.srv.UpdateOrder(1001, func(o *OrderState) { o.Notes = "позвонить заранее" }); err != nil {
		t.Fatal(err)
	}
	if u := field(f.do("GET", "/v2/campaigns/21000000/orders/1001", "").json(t), "order", "updatedAt"); u != "23-11-2026 12:00:01" {
		t.Errorf("updatedAt = %v", u)
	}

	before, _ := f.srv.Order(1001)
	errs := []error{
		f.srv.UpdateOrder(1001, func(o *OrderState) { o.Delivery.Dates.FromDate = "31-11-2026" }),
		f.srv.UpdateOrder(1001, func(o *OrderState) { o.CampaignID = 22000000 }),
		f.srv.UpdateOrder(5, func(o *OrderState) {}),
	}
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	wantMsgs := []string{
		`update sandbox order 1001: delivery.dates: fromDate "31-11-2026" is not a date (want YYYY-MM-DD)`,
		"update sandbox order 1001: the id and campaignId cannot change",
		"update sandbox order 5: no such order",
	}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	after, _ := f.srv.Order(1001)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("a refused UpdateOrder changed the order (-want +got):\n%s", diff)
	}
}

// The order index finds every order and no other, whether it is a slice
// (dense IDs) or a map (sparse ones).
func TestOrderIndex(t *testing.T) {
	for _, ids := range [][]int64{
		{}, {7}, {5, 3, 9, 4}, {100001, 100002, 100004, 100003},
		{1, 1000000}, {3, 2, 1 << 40}, {2, 10, 6, 4},
	} {
		orders := make([]OrderState, len(ids))
		for i, id := range ids {
			orders[i].ID = id
		}
		x := newOrderIndex(orders)
		for i, id := range ids {
			if got, ok := x.find(id); !ok || got != i {
				t.Errorf("ids %v: find(%d) = %d, %v; want %d", ids, id, got, ok, i)
			}
		}
		for _, id := range []int64{0, -1, 6, 8, 11, 100000, 100005, 999999, 1000001, 1<<40 + 1, math.MinInt64, math.MaxInt64} {
			if slices.Contains(ids, id) {
				continue
			}
			if i, ok := x.find(id); ok {
				t.Errorf("ids %v: find(%d) = %d, want none", ids, id, i)
			}
		}
		if dense := x.any == nil; len(ids) > 1 && dense != (slices.Max(ids)-slices.Min(ids) < int64(4*len(ids))) {
			t.Errorf("ids %v: dense %v", ids, dense)
		}
	}
}
