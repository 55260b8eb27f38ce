package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTrack(t *testing.T) {
	tests := []struct {
		name  string
		order string
		body  string
		want  []Track
	}{
		{"first track", "1001", `{"trackCode": "RP123456789RU", "deliveryServiceId": 51}`,
			[]Track{{"RP123456789RU", 51}}},
		{"replaces the track of the same service", "1002", `{"trackCode": "1523876499", "deliveryServiceId": 51}`,
			[]Track{{"1523876499", 51}}},
		{"appends a track of another service", "1004", `{"trackCode": "1599", "deliveryServiceId": 51}`,
			[]Track{{"80082354127663", 1}, {"1599", 51}}},
		{"allowed in PICKUP", "1005", `{"trackCode": "SPB-1", "deliveryServiceId": 106}`,
			[]Track{{"SPB-1", 106}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			before := f.do("GET", "/v2/campaigns/21000000/orders/"+tt.order, "").json(t)
			expect(t, f.do("POST", "/v2/campaigns/21000000/orders/"+tt.order+"/delivery/track", tt.body), http.StatusOK, `{"status": "OK"}`)
			after := f.do("GET", "/v2/campaigns/21000000/orders/"+tt.order, "").json(t)
			var got []Track
			for _, x := range field(after, "order", "delivery", "tracks").([]any) {
				got = append(got, Track{x.(map[string]any)["trackCode"].(string), int64(x.(map[string]any)["deliveryServiceId"].(float64))})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tracks (-want +got):\n%s", diff)
			}
			if field(after, "order", "updatedAt") == field(before, "order", "updatedAt") {
				t.Errorf("updatedAt did not move: %v", field(after, "order", "updatedAt"))
			}
		})
	}

	t.Run("same track again changes nothing", func(t *testing.T) {
		f := newFixture(t, Options{})
		before, _ := f.srv.Order(1002)
		expect(t, f.do("POST", "/v2/campaigns/21000000/orders/1002/delivery/track", `{"trackCode": "1523876401", "deliveryServiceId": 51}`),
			http.StatusOK, `{"status": "OK"}`)
		after, _ := f.srv.Order(1002)
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("order changed (-before +after):\n%s", diff)
		}
	})
}

func TestUpdateOptions(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, body, want string
	}{
		{"seed body with the option", `{"id": 2001, "orderUpdateOption": "UPDATE_DELIVERY_INTERVAL"}`, `{"status": "OK", "result": {"deliveryIntervals": {"availableDeliveryIntervals": [
			{"deliveryDateInterval": {"fromDate": "2026-11-27", "toDate": "2026-11-27"}, "deliveryTimeInterval": {"fromTime": "10:00", "toTime": "14:00"}},
			{"deliveryDateInterval": {"fromDate": "2026-11-27", "toDate": "2026-11-27"}, "deliveryTimeInterval": {"fromTime": "14:00", "toTime": "18:00"}},
			{"deliveryDateInterval": {"fromDate": "2026-11-28", "toDate": "2026-11-28"}, "deliveryTimeInterval": {"fromTime": "10:00", "toTime": "14:00"}}]}}}`},
		{"spec body without the option", `{"id": 2007}`, `{"status": "OK", "result": {"deliveryIntervals": {"availableDeliveryIntervals": [
			{"deliveryDateInterval": {"fromDate": "2026-12-02", "toDate": "2026-12-02"}, "deliveryTimeInterval": {"fromTime": "10:00", "toTime": "14:00"}},
			{"deliveryDateInterval": {"fromDate": "2026-12-02", "toDate": "2026-12-02"}, "deliveryTimeInterval": {"fromTime": "18:00", "toTime": "22:00"}}]}}}`},
		{"no intervals: empty array", `{"id": 2006}`, `{"status": "OK", "result": {"deliveryIntervals": {"availableDeliveryIntervals": []}}}`},
		{"delivered: nothing available", `{"id": 2003}`, `{"status": "OK", "result": {"deliveryIntervals": {"availableDeliveryIntervals": []}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, f.do("POST", "/v1/campaigns/22000000/orders/update-options", tt.body), http.StatusOK, tt.want)
		})
	}
}

const (
	intervalBody = `"deliveryInterval": {"deliveryDateInterval": {"fromDate": "2026-11-28", "toDate": "2026-11-28"},
		"deliveryTimeInterval": {"fromTime": "10:00", "toTime": "14:00"}}`
	customerBody = `"customer": {"firstName": "Мария", "lastName": "Новикова", "middleName": "Ивановна", "phone": "+79990001122"}`
)

// recipientOf is what GET order tells of the fields orders/update changes.
func recipientOf(t *testing.T, f *fixture, order string) map[string]any {
	t.Helper()
	o := f.do("GET", "/v2/campaigns/22000000/orders/"+order, "").json(t)
	return map[string]any{
		"dates":     field(o, "order", "delivery", "dates"),
		"buyer":     field(o, "order", "buyer"),
		"recipient": field(o, "order", "delivery", "address", "recipient"),
		"phone":     field(o, "order", "delivery", "address", "phone"),
		"updatedAt": field(o, "order", "updatedAt"),
	}
}

func TestUpdateIsAsynchronous(t *testing.T) {
	f := newFixture(t, Options{UpdateDelay: 3 * time.Minute})
	before := recipientOf(t, f, "2001")

	got := f.do("POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, `+intervalBody+`, `+customerBody+`}}`)
	if got.status != http.StatusOK {
		t.Fatalf("HTTP %d: %s", got.status, got.body)
	}
	var opIDs []string
	var types []any
	for _, op := range field(got.json(t), "result", "operations").([]any) {
		opIDs = append(opIDs, field(op, "id").(string))
		types = append(types, field(op, "type"))
	}
	if diff := cmp.Diff([]any{"ORDER_DELIVERY_INTERVAL_UPDATE", "ORDER_RECIPIENT_UPDATE"}, types); diff != "" {
		t.Fatalf("operation types (-want +got):\n%s", diff)
	}
	if field(got.json(t), "status") != "OK" || len(opIDs[0]) != 36 || opIDs[0] == opIDs[1] {
		t.Errorf("answer = %s, want status OK and two distinct UUID-like ids", got.body)
	}

	status := func() []any {
		t.Helper()
		var out []any
		for i, typ := range []string{"ORDER_DELIVERY_INTERVAL_UPDATE", "ORDER_RECIPIENT_UPDATE"} {
			a := f.do("POST", "/v1/businesses/9000000/operations", `{"operationType": "`+typ+`", "operationIds": ["`+opIDs[i]+`", "unknown-id"]}`)
			if a.status != http.StatusOK || field(a.json(t), "status") != "OK" {
				t.Fatalf("operations: HTTP %d: %s", a.status, a.body)
			}
			out = append(out, field(a.json(t), "result", "operations"))
		}
		return out
	}
	wantStatus := func(s string) []any {
		return []any{
			[]any{map[string]any{"id": opIDs[0], "type": "ORDER_DELIVERY_INTERVAL_UPDATE", "status": s}},
			[]any{map[string]any{"id": opIDs[1], "type": "ORDER_RECIPIENT_UPDATE", "status": s}},
		}
	}

	f.clock.Advance(2 * time.Minute)
	if diff := cmp.Diff(wantStatus("IN_PROGRESS"), status()); diff != "" {
		t.Errorf("operations before the delay (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, recipientOf(t, f, "2001")); diff != "" {
		t.Errorf("GET changed before the operations finished (-want +got):\n%s", diff)
	}

	f.clock.Advance(time.Minute)
	if diff := cmp.Diff(wantStatus("DONE"), status()); diff != "" {
		t.Errorf("operations after the delay (-want +got):\n%s", diff)
	}
	want := map[string]any{
		"dates":     map[string]any{"fromDate": "28-11-2026", "toDate": "28-11-2026", "fromTime": "10:00", "toTime": "14:00"},
		"buyer":     map[string]any{"id": "a0c4e8f2b6", "firstName": "Мария", "lastName": "Новикова", "middleName": "Ивановна", "type": "PERSON"},
		"recipient": "Новикова Мария Ивановна",
		"phone":     "+79990001122",
		"updatedAt": "23-11-2026 12:03:00",
	}
	if diff := cmp.Diff(want, recipientOf(t, f, "2001")); diff != "" {
		t.Errorf("GET after the operations finished (-want +got):\n%s", diff)
	}
}

func TestUpdateWithoutDelaySettlesOnNextAccess(t *testing.T) {
	f := newFixture(t, Options{})
	got := f.do("POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2008, `+customerBody+`}}`)
	if got.status != http.StatusOK {
		t.Fatalf("HTTP %d: %s", got.status, got.body)
	}
	// The answer was built before the operation settled.
	snap := f.srv.Snapshot()
	if n := len(snap.Operations); n != 1 || snap.Operations[0].Status != OperationDone {
		t.Fatalf("operations = %+v, want one DONE", snap.Operations)
	}
	if r := recipientOf(t, f, "2008")["recipient"]; r != "Новикова Мария Ивановна" {
		t.Errorf("recipient = %v", r)
	}
}

func TestFailedOperationsChangeNothing(t *testing.T) {
	for _, tt := range []struct {
		name  string
		order string
		setup func(*fixture)
	}{
		{"seeded failOperations", "2005", func(*fixture) {}},
		{"FailOperations", "2001", func(f *fixture) { f.srv.FailOperations(2001) }},
		{"FailOperations after submission", "2007", nil},
		{"order cancelled meanwhile", "2008", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{UpdateDelay: time.Minute})
			if tt.setup != nil {
				tt.setup(f)
			}
			interval := map[string]string{"2005": "2026-12-02", "2001": "2026-11-28", "2007": "2026-12-02", "2008": "2026-12-05"}[tt.order]
			times := map[string][2]string{"2005": {"10:00", "14:00"}, "2001": {"10:00", "14:00"}, "2007": {"18:00", "22:00"}, "2008": {"12:00", "16:00"}}[tt.order]
			body := `{"order": {"id": ` + tt.order + `, "deliveryInterval": {"deliveryDateInterval": {"fromDate": "` + interval + `", "toDate": "` + interval +
				`"}, "deliveryTimeInterval": {"fromTime": "` + times[0] + `", "toTime": "` + times[1] + `"}}, ` + customerBody + `}}`
			before := recipientOf(t, f, tt.order)
			got := f.do("POST", "/v1/campaigns/22000000/orders/update", body)
			if got.status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", got.status, got.body)
			}
			switch tt.name {
			case "FailOperations after submission":
				f.srv.FailOperations(2007)
			case "order cancelled meanwhile":
				if err := f.srv.UpdateOrder(2008, func(o *OrderState) { o.Status, o.Substatus = "CANCELLED", "USER_CHANGED_MIND" }); err != nil {
					t.Fatal(err)
				}
				before = recipientOf(t, f, tt.order)
			}
			f.clock.Advance(time.Minute)
			var statuses []string
			for _, op := range f.srv.Snapshot().Operations {
				statuses = append(statuses, op.Status)
			}
			if diff := cmp.Diff([]string{"FAILED", "FAILED"}, statuses); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, recipientOf(t, f, tt.order)); diff != "" {
				t.Errorf("order changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOperationsOfOneBusinessAndType(t *testing.T) {
	f := newFixture(t, Options{UpdateDelay: time.Hour})
	got := f.do("POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, `+customerBody+`}}`)
	id := field(got.json(t), "result", "operations", 0, "id").(string)
	tests := []struct {
		name, path, body, want string
	}{
		{"other business", "/v1/businesses/9100000/operations",
			`{"operationType": "ORDER_RECIPIENT_UPDATE", "operationIds": ["` + id + `"]}`,
			`{"status": "OK", "result": {"operations": []}}`},
		{"other type", "/v1/businesses/9000000/operations",
			`{"operationType": "ORDER_DELIVERY_INTERVAL_UPDATE", "operationIds": ["` + id + `"]}`,
			`{"status": "OK", "result": {"operations": []}}`},
		{"own", "/v1/businesses/9000000/operations",
			`{"operationType": "ORDER_RECIPIENT_UPDATE", "operationIds": ["nope", "` + id + `"]}`,
			`{"status": "OK", "result": {"operations": [{"id": "` + id + `", "type": "ORDER_RECIPIENT_UPDATE", "status": "IN_PROGRESS"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, f.do("POST", tt.path, tt.body), http.StatusOK, tt.want)
		})
	}
	f.srv.Settle()
	expect(t, f.do("POST", "/v1/businesses/9000000/operations", `{"operationType": "ORDER_RECIPIENT_UPDATE", "operationIds": ["`+id+`"]}`),
		http.StatusOK, `{"status": "OK", "result": {"operations": [{"id": "`+id+`", "type": "ORDER_RECIPIENT_UPDATE", "status": "DONE"}]}}`)
}

func TestDeliveryOptions(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, body, want string
	}{
		{"courier in Moscow, nothing from Saint Petersburg",
			`{"items": [{"offerId": "SAM-3L-BRASS", "count": 1, "warehouseId": 1}, {"offerId": "TEA-ASSAM-250", "count": 2, "warehouseId": 2},
			            {"offerId": "TEA-PUER-357", "count": 1, "warehouseId": 1}],
			  "courierDelivery": {"fullAddress": "Москва, улица Льва Толстого, 16"}}`,
			`{"status": "OK", "result": {"warehousesDeliveryOptions": [
				{"warehouseId": 1, "deliveryOptions": {"courierDelivery": {"courierDeliveryOptions": [
					{"deliveryDateInterval": {"fromDate": "2026-12-01", "toDate": "2026-12-01"}, "deliveryTimeInterval": {"fromTime": "10:00", "toTime": "14:00"},
					 "paymentMethods": ["YANDEX", "CARD_ON_DELIVERY"], "price": {"value": 290, "currencyId": "RUR"}},
					{"deliveryDateInterval": {"fromDate": "2026-12-01", "toDate": "2026-12-01"}, "deliveryTimeInterval": {"fromTime": "14:00", "toTime": "18:00"},
					 "paymentMethods": ["YANDEX", "CARD_ON_DELIVERY"], "price": {"value": 290, "currencyId": "RUR"}},
					{"deliveryDateInterval": {"fromDate": "2026-12-02", "toDate": "2026-12-02"}, "deliveryTimeInterval": {"fromTime": "18:00", "toTime": "22:00"},
					 "paymentMethods": ["YANDEX"], "price": {"value": 390, "currencyId": "RUR"}}]}},
				 "items": [{"offerId": "SAM-3L-BRASS", "count": 1}, {"offerId": "TEA-PUER-357", "count": 1}]},
				{"warehouseId": 2, "deliveryOptions": {}, "items": [{"offerId": "TEA-ASSAM-250", "count": 2}]}]}}`},
		{"pickup: configured points in request order",
			`{"items": [{"offerId": "A", "count": 1, "warehouseId": 1}], "pickupDelivery": {"logisticPointsIds": [102, 999, 101]}}`,
			`{"status": "OK", "result": {"warehousesDeliveryOptions": [{"warehouseId": 1, "deliveryOptions": {"pickupDelivery": {"pickupOptions": [
				{"logisticPointId": 102, "options": [
					{"deliveryDateInterval": {"fromDate": "2026-12-01", "toDate": "2026-12-02"}, "price": {"value": 99, "currencyId": "RUR"}},
					{"deliveryDateInterval": {"fromDate": "2026-12-03", "toDate": "2026-12-03"}, "price": {"value": 0, "currencyId": "RUR"}}],
				 "paymentMethods": ["YANDEX"]},
				{"logisticPointId": 101, "options": [
					{"deliveryDateInterval": {"fromDate": "2026-11-30", "toDate": "2026-12-01"}, "price": {"value": 0, "currencyId": "RUR"}}],
				 "paymentMethods": ["YANDEX", "CARD_ON_DELIVERY"]}]}},
				"items": [{"offerId": "A", "count": 1}]}]}}`},
		{"pickup: no configured point",
			`{"items": [{"offerId": "A", "count": 1, "warehouseId": 2}], "pickupDelivery": {"logisticPointsIds": [101]}}`,
			`{"status": "OK", "result": {"warehousesDeliveryOptions": [{"warehouseId": 2,
				"deliveryOptions": {"pickupDelivery": {"pickupOptions": []}}, "items": [{"offerId": "A", "count": 1}]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, f.do("POST", "/v1/campaigns/22000000/delivery-options", tt.body), http.StatusOK, tt.want)
		})
	}
}

// TestGates covers the refusals that depend on the order's status or the
// campaign's selling model rather than on the request's shape.
func TestGates(t *testing.T) {
	customer := `{"order": {"id": %s, ` + customerBody + `}}`
	track := `{"trackCode": "RP1", "deliveryServiceId": 51}`
	items := `{"items": [{"offerId": "A", "count": 1, "warehouseId": 1}], "courierDelivery": {"fullAddress": "Москва"}}`
	tests := []struct {
		name, path, body, code, message string
	}{
		{"track DELIVERED", "/v2/campaigns/21000000/orders/1003/delivery/track", track, "STATUS_NOT_ALLOWED",
			"order 1003 is in status DELIVERED: a track can be set only in status PROCESSING, DELIVERY or PICKUP"},
		{"track CANCELLED", "/v2/campaigns/21000000/orders/1006/delivery/track", track, "STATUS_NOT_ALLOWED",
			"order 1006 is in status CANCELLED: a track can be set only in status PROCESSING, DELIVERY or PICKUP"},
		{"track UNPAID", "/v2/campaigns/21000000/orders/1007/delivery/track", track, "STATUS_NOT_ALLOWED",
			"order 1007 is in status UNPAID: a track can be set only in status PROCESSING, DELIVERY or PICKUP"},
		{"track used by another order", "/v2/campaigns/21000000/orders/1001/delivery/track",
			`{"trackCode": "1523876401", "deliveryServiceId": 51}`, "TRACK_CODE_ALREADY_USED",
			"track 1523876401 of delivery service 51 is already used by order 1002"},
		{"track on LaaS", "/v2/campaigns/22000000/orders/2001/delivery/track", track, "CAMPAIGN_TYPE_NOT_SUPPORTED",
			"campaign 22000000 is LAAS: this method is available only for DBS campaigns"},
		{"track on FBS", "/v2/campaigns/23000000/orders/3001/delivery/track", track, "CAMPAIGN_TYPE_NOT_SUPPORTED",
			"campaign 23000000 is FBS: this method is available only for DBS campaigns"},
		{"update DELIVERED", "/v1/campaigns/22000000/orders/update", strings.Replace(customer, "%s", "2003", 1), "ORDER_IN_TERMINAL_STATE",
			"order 2003 is in status DELIVERED: it can no longer be changed"},
		{"update CANCELLED", "/v1/campaigns/22000000/orders/update", strings.Replace(customer, "%s", "2004", 1), "ORDER_IN_TERMINAL_STATE",
			"order 2004 is in status CANCELLED: it can no longer be changed"},
		{"update on DBS", "/v1/campaigns/21000000/orders/update", strings.Replace(customer, "%s", "1001", 1), "CAMPAIGN_TYPE_NOT_SUPPORTED",
			"campaign 21000000 is DBS: this method is available only for LAAS campaigns"},
		{"update on FBS", "/v1/campaigns/23000000/orders/update", strings.Replace(customer, "%s", "3001", 1), "CAMPAIGN_TYPE_NOT_SUPPORTED",
			"campaign 23000000 is FBS: this method is available only for LAAS campaigns"},
		{"interval not available", "/v1/campaigns/22000000/orders/update",
			`{"order": {"id": 2001, "deliveryInterval": {"deliveryDateInterval": {"fromDate": "2026-11-28", "toDate": "2026-11-28"},
			  "deliveryTimeInterval": {"fromTime": "14:00", "toTime": "18:00"}}}}`, "INVALID_DELIVERY_OPTION",
			"order 2001: interval 2026-11-28 14:00 to 2026-11-28 18:00 is not one of the available intervals (see orders/update-options)"},
		{"interval on a pickup order", "/v1/campaigns/22000000/orders/update",
			`{"order": {"id": 2006, ` + intervalBody + `}}`, "INVALID_DELIVERY_OPTION",
			"order 2006: interval 2026-11-28 10:00 to 2026-11-28 14:00 is not one of the available intervals (see orders/update-options)"},
		{"update-options on DBS", "/v1/campaigns/21000000/orders/update-options", `{"id": 1001}`, "CAMPAIGN_TYPE_NOT_SUPPORTED",
			"campaign 21000000 is DBS: this method is available only for LAAS campaigns"},
		{"delivery-options on DBS", "/v1/campaigns/21000000/delivery-options", items, "CAMPAIGN_TYPE_NOT_SUPPORTED",
			"campaign 21000000 is DBS: this method is available only for LAAS campaigns"},
		{"delivery-options unknown warehouse", "/v1/campaigns/22000000/delivery-options",
			`{"items": [{"offerId": "A", "count": 1, "warehouseId": 7}], "courierDelivery": {"fullAddress": "Москва"}}`,
			"INVALID_WAREHOUSE_ID", "warehouse 7 is not a warehouse of campaign 22000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			before := f.srv.Snapshot()
			got := f.do("POST", tt.path, tt.body)
			code, msg := errorOf(t, got)
			if diff := cmp.Diff([]any{400, tt.code, tt.message}, []any{got.status, code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, f.srv.Snapshot()); diff != "" {
				t.Errorf("a refused request changed the state (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("update allowed in UNPAID", func(t *testing.T) {
		f := newFixture(t, Options{})
		if got := f.do("POST", "/v1/campaigns/22000000/orders/update", strings.Replace(customer, "%s", "2007", 1)); got.status != http.StatusOK {
			t.Errorf("HTTP %d: %s", got.status, got.body)
		}
	})
}

// TestValidation lists each rule of the request bodies with the error that
// names the field.
func TestValidation(t *testing.T) {
	const (
		track   = "/v2/campaigns/21000000/orders/1001/delivery/track"
		update  = "/v1/campaigns/22000000/orders/update"
		options = "/v1/campaigns/22000000/orders/update-options"
		ops     = "/v1/businesses/9000000/operations"
		deliv   = "/v1/campaigns/22000000/delivery-options"
	)
	item := `{"offerId": "A", "count": 1, "warehouseId": 1}`
	courier := `"courierDelivery": {"fullAddress": "Москва"}`
	tests := []struct {
		name, path, body string
		want             []errorEntry
	}{
		{"malformed JSON", track, `{"trackCode": `, []errorEntry{{"BAD_REQUEST", "malformed JSON: unexpected EOF"}}},
		{"syntax error", track, `{"trackCode" 1}`, []errorEntry{{"BAD_REQUEST", "malformed JSON at byte 14: invalid character '1' after object key"}}},
		{"trailing data", track, `{"trackCode": "X", "deliveryServiceId": 1} {}`, []errorEntry{{"BAD_REQUEST", "malformed JSON: data after the JSON document"}}},
		{"not an object", track, `[1]`, []errorEntry{{"BAD_REQUEST", "request body must be a JSON object, not array"}}},
		{"empty body", track, ``, []errorEntry{{"BAD_REQUEST", "request body is required"}}},
		{"track: missing fields", track, `{}`, []errorEntry{
			{"BAD_REQUEST", "trackCode is required"}, {"BAD_REQUEST", "deliveryServiceId is required"}}},
		{"track: blank code, zero service", track, `{"trackCode": " ", "deliveryServiceId": 0}`, []errorEntry{
			{"BAD_REQUEST", "trackCode must not be empty"}, {"BAD_REQUEST", "deliveryServiceId must be a positive integer"}}},
		{"track: wrong type", track, `{"trackCode": 5, "deliveryServiceId": 51}`, []errorEntry{
			{"BAD_REQUEST", "field trackCode: expected string, got number"}}},
		{"track: fractional service", track, `{"trackCode": "X", "deliveryServiceId": 5.5}`, []errorEntry{
			{"BAD_REQUEST", "field deliveryServiceId: expected integer, got number 5.5"}}},
		{"update-options: missing id", options, `{"orderUpdateOption": "UPDATE_DELIVERY_INTERVAL"}`, []errorEntry{{"BAD_REQUEST", "id is required"}}},
		{"update-options: negative id", options, `{"id": -2}`, []errorEntry{{"BAD_REQUEST", "id must be a positive integer"}}},
		{"update-options: unknown option", options, `{"id": 2001, "orderUpdateOption": "UPDATE_ADDRESS"}`, []errorEntry{
			{"BAD_REQUEST", `orderUpdateOption "UPDATE_ADDRESS" is not supported: the only value is UPDATE_DELIVERY_INTERVAL`}}},
		{"update: no order", update, `{}`, []errorEntry{{"BAD_REQUEST", "order is required"}}},
		{"update: nothing to change", update, `{"order": {"id": 2001}}`, []errorEntry{
			{"BAD_REQUEST", "order: at least one of deliveryInterval and customer is required"}}},
		{"update: id", update, `{"order": {"id": 0, ` + customerBody + `}}`, []errorEntry{{"BAD_REQUEST", "order.id must be a positive integer"}}},
		{"update: id as string", update, `{"order": {"id": "2001"}}`, []errorEntry{{"BAD_REQUEST", "field order.id: expected integer, got string"}}},
		{"update: incomplete customer", update, `{"order": {"id": 2001, "customer": {"firstName": "Ян"}}}`, []errorEntry{
			{"BAD_REQUEST", "order.customer.lastName is required"}, {"BAD_REQUEST", "order.customer.phone is required"}}},
		{"update: empty names", update, `{"order": {"id": 2001, "customer": {"firstName": "", "lastName": "Ли", "middleName": "", "phone": "+79990001122"}}}`, []errorEntry{
			{"BAD_REQUEST", "order.customer.firstName must be 1 to 512 characters"}, {"BAD_REQUEST", "order.customer.middleName must be 1 to 512 characters"}}},
		{"update: name too long", update, `{"order": {"id": 2001, "customer": {"firstName": "` + strings.Repeat("я", 513) + `", "lastName": "Ли", "phone": "+79990001122"}}}`, []errorEntry{
			{"BAD_REQUEST", "order.customer.firstName must be 1 to 512 characters"}}},
		{"update: phone without plus", update, `{"order": {"id": 2001, "customer": {"firstName": "Ян", "lastName": "Ли", "phone": "79990001122"}}}`, []errorEntry{
			{"INVALID_PHONE_FORMAT", `order.customer.phone "79990001122" does not match ^\+[0-9]{4,15}$`}}},
		{"update: phone too short", update, `{"order": {"id": 2001, "customer": {"firstName": "Ян", "lastName": "Ли", "phone": "+799"}}}`, []errorEntry{
			{"INVALID_PHONE_FORMAT", `order.customer.phone "+799" does not match ^\+[0-9]{4,15}$`}}},
		{"update: phone too long", update, `{"order": {"id": 2001, "customer": {"firstName": "Ян", "lastName": "Ли", "phone": "+7999000112233445"}}}`, []errorEntry{
			{"INVALID_PHONE_FORMAT", `order.customer.phone "+7999000112233445" does not match ^\+[0-9]{4,15}$`}}},
		{"update: phone with spaces", update, `{"order": {"id": 2001, "customer": {"firstName": "Ян", "lastName": "Ли", "phone": "+7 999 000"}}}`, []errorEntry{
			{"INVALID_PHONE_FORMAT", `order.customer.phone "+7 999 000" does not match ^\+[0-9]{4,15}$`}}},
		{"update: interval parts missing", update, `{"order": {"id": 2001, "deliveryInterval": {}}}`, []errorEntry{
			{"BAD_REQUEST", "order.deliveryInterval.deliveryDateInterval is required"},
			{"BAD_REQUEST", "order.deliveryInterval.deliveryTimeInterval is required"}}},
		{"update: DD-MM-YYYY date", update, `{"order": {"id": 2001, "deliveryInterval": {"deliveryDateInterval": {"fromDate": "28-11-2026", "toDate": "2026-11-28"},
			"deliveryTimeInterval": {"fromTime": "10:00", "toTime": "14:00"}}}}`, []errorEntry{
			{"BAD_REQUEST", `order.deliveryInterval.deliveryDateInterval.fromDate "28-11-2026" is not a date (want YYYY-MM-DD)`}}},
		{"update: dates reversed", update, `{"order": {"id": 2001, "deliveryInterval": {"deliveryDateInterval": {"fromDate": "2026-11-29", "toDate": "2026-11-28"},
			"deliveryTimeInterval": {"fromTime": "10:00", "toTime": "14:00"}}}}`, []errorEntry{
			{"BAD_REQUEST", "order.deliveryInterval.deliveryDateInterval: toDate 2026-11-28 is before fromDate 2026-11-29"}}},
		{"update: times with seconds and 24:00", update, `{"order": {"id": 2001, "deliveryInterval": {"deliveryDateInterval": {"fromDate": "2026-11-28", "toDate": "2026-11-28"},
			"deliveryTimeInterval": {"fromTime": "10:00:00", "toTime": "24:00"}}}}`, []errorEntry{
			{"INVALID_TIME_FORMAT", `order.deliveryInterval.deliveryTimeInterval.fromTime "10:00:00" does not match ^([0-1][0-9]|2[0-3]):[0-5][0-9]$`},
			{"INVALID_TIME_FORMAT", `order.deliveryInterval.deliveryTimeInterval.toTime "24:00" does not match ^([0-1][0-9]|2[0-3]):[0-5][0-9]$`}}},
		{"update: time missing", update, `{"order": {"id": 2001, "deliveryInterval": {"deliveryDateInterval": {"fromDate": "2026-11-28", "toDate": "2026-11-28"},
			"deliveryTimeInterval": {"fromTime": "9:00"}}}}`, []errorEntry{
			{"INVALID_TIME_FORMAT", `order.deliveryInterval.deliveryTimeInterval.fromTime "9:00" does not match ^([0-1][0-9]|2[0-3]):[0-5][0-9]$`},
			{"BAD_REQUEST", "order.deliveryInterval.deliveryTimeInterval.toTime is required"}}},
		{"operations: missing all", ops, `{}`, []errorEntry{
			{"BAD_REQUEST", "operationType is required"}, {"BAD_REQUEST", "operationIds: 1 to 100 IDs are required, got 0"}}},
		{"operations: unknown type", ops, `{"operationType": "ORDER_CREATE", "operationIds": ["a"]}`, []errorEntry{
			{"BAD_REQUEST", `operationType "ORDER_CREATE" is not one of ORDER_RECIPIENT_UPDATE, ORDER_DELIVERY_INTERVAL_UPDATE, ORDER_STATUS_UPDATE, RETURN_CANCELLATION`}}},
		{"operations: 101 ids", ops, `{"operationType": "ORDER_RECIPIENT_UPDATE", "operationIds": [` + strings.TrimSuffix(strings.Repeat(`"a",`, 101), ",") + `]}`,
			[]errorEntry{{"BAD_REQUEST", "operationIds: 1 to 100 IDs are required, got 101"}, {"BAD_REQUEST", `operationIds: "a" is repeated`}}},
		{"operations: repeated and empty", ops, `{"operationType": "ORDER_RECIPIENT_UPDATE", "operationIds": ["a", "", "a"]}`, []errorEntry{
			{"BAD_REQUEST", "operationIds[1] must be 1 to 1000 characters"}, {"BAD_REQUEST", `operationIds: "a" is repeated`}}},
		{"delivery: no items", deliv, `{` + courier + `}`, []errorEntry{{"BAD_REQUEST", "items: 1 to 1000 items are required, got 0"}}},
		{"delivery: 1001 items", deliv, `{"items": [` + strings.TrimSuffix(strings.Repeat(`{"offerId": "A", "count": 1, "warehouseId": 1},`, 1001), ",") + `], ` + courier + `}`,
			[]errorEntry{{"BAD_REQUEST", "items: 1 to 1000 items are required, got 1001"},
				{"BAD_REQUEST", `items: offerId "A" is repeated: each offer once per request`}}},
		{"delivery: item fields", deliv, `{"items": [{"offerId": "", "count": 0, "warehouseId": 0}, {}], ` + courier + `}`, []errorEntry{
			{"BAD_REQUEST", "items[0].offerId must be 1 to 255 characters without control characters"},
			{"BAD_REQUEST", "items[0].count must be 1 to 1000"},
			{"BAD_REQUEST", "items[0].warehouseId must be a positive integer"},
			{"BAD_REQUEST", "items[1].offerId is required"},
			{"BAD_REQUEST", "items[1].count is required"},
			{"BAD_REQUEST", "items[1].warehouseId is required"}}},
		{"delivery: offerId too long, count too big", deliv, `{"items": [{"offerId": "` + strings.Repeat("x", 256) + `", "count": 1001, "warehouseId": 1}], ` + courier + `}`, []errorEntry{
			{"BAD_REQUEST", "items[0].offerId must be 1 to 255 characters without control characters"},
			{"BAD_REQUEST", "items[0].count must be 1 to 1000"}}},
		{"delivery: repeated offer", deliv, `{"items": [` + item + `, {"offerId": "A", "count": 2, "warehouseId": 2}], ` + courier + `}`, []errorEntry{
			{"BAD_REQUEST", `items: offerId "A" is repeated: each offer once per request`}}},
		{"delivery: both kinds", deliv, `{"items": [` + item + `], ` + courier + `, "pickupDelivery": {"logisticPointsIds": [1]}}`, []errorEntry{
			{"BAD_REQUEST", "courierDelivery and pickupDelivery cannot be sent together: choose one"}}},
		{"delivery: neither kind", deliv, `{"items": [` + item + `]}`, []errorEntry{
			{"BAD_REQUEST", "one of courierDelivery and pickupDelivery is required"}}},
		{"delivery: empty address", deliv, `{"items": [` + item + `], "courierDelivery": {"fullAddress": ""}}`, []errorEntry{
			{"BAD_REQUEST", "courierDelivery.fullAddress must be 1 to 512 characters"}}},
		{"delivery: address missing", deliv, `{"items": [` + item + `], "courierDelivery": {}}`, []errorEntry{
			{"BAD_REQUEST", "courierDelivery.fullAddress is required"}}},
		{"delivery: address too long", deliv, `{"items": [` + item + `], "courierDelivery": {"fullAddress": "` + strings.Repeat("д", 513) + `"}}`, []errorEntry{
			{"BAD_REQUEST", "courierDelivery.fullAddress must be 1 to 512 characters"}}},
		{"delivery: no points", deliv, `{"items": [` + item + `], "pickupDelivery": {"logisticPointsIds": []}}`, []errorEntry{
			{"BAD_REQUEST", "pickupDelivery.logisticPointsIds: 1 to 20 IDs are required, got 0"}}},
		{"delivery: 21 points", deliv, `{"items": [` + item + `], "pickupDelivery": {"logisticPointsIds": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21]}}`, []errorEntry{
			{"BAD_REQUEST", "pickupDelivery.logisticPointsIds: 1 to 20 IDs are required, got 21"}}},
		{"delivery: bad points", deliv, `{"items": [` + item + `], "pickupDelivery": {"logisticPointsIds": [0, 101, 101]}}`, []errorEntry{
			{"BAD_REQUEST", "pickupDelivery.logisticPointsIds[0] must be a positive integer"},
			{"BAD_REQUEST", "pickupDelivery.logisticPointsIds: 101 is repeated"}}},
	}
	f := newFixture(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.do("POST", tt.path, tt.body)
			var e errorBody
			if err := json.Unmarshal([]byte(got.body), &e); err != nil || e.Status != "ERROR" {
				t.Fatalf("HTTP %d, not an error envelope: %s", got.status, got.body)
			}
			if got.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", got.status)
			}
			if diff := cmp.Diff(tt.want, e.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
	if ops := f.srv.Snapshot().Operations; len(ops) != 0 {
		t.Errorf("refused requests started operations: %+v", ops)
	}
}

func TestPathParameters(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		method, path string
		status       int
		code, msg    string
	}{
		{"GET", "/v2/campaigns/0/orders/1001", 400, "BAD_REQUEST", `path parameter campaignId must be a positive integer, got "0"`},
		{"GET", "/v2/campaigns/abc", 400, "BAD_REQUEST", `path parameter campaignId must be a positive integer, got "abc"`},
		{"GET", "/v2/campaigns/21000000/orders/-5", 400, "BAD_REQUEST", `path parameter orderId must be a positive integer, got "-5"`},
		{"POST", "/v1/businesses/99999999999999999999/orders", 400, "BAD_REQUEST", `path parameter businessId must be a positive integer, got "99999999999999999999"`},
		{"POST", "/v2/campaigns/21000000/orders/1001", 405, "METHOD_NOT_ALLOWED", "/v2/campaigns/21000000/orders/1001 takes GET, not POST"},
		{"GET", "/v1/campaigns/22000000/orders/update", 405, "METHOD_NOT_ALLOWED", "/v1/campaigns/22000000/orders/update takes POST, not GET"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got := f.do(tt.method, tt.path, "")
			code, msg := errorOf(t, got)
			if diff := cmp.Diff([]any{tt.status, tt.code, tt.msg}, []any{got.status, code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, Options{})
	big := `{"order": {"id": 2001, ` + customerBody + `, "padding": "` + strings.Repeat("x", maxBody) + `"}}`
	got := f.do("POST", "/v1/campaigns/22000000/orders/update", big)
	code, msg := errorOf(t, got)
	if diff := cmp.Diff([]any{400, "BAD_REQUEST", "request body exceeds 512 KB"}, []any{got.status, code, msg}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if ops := f.srv.Snapshot().Operations; len(ops) != 0 {
		t.Errorf("an oversized request started operations: %+v", ops)
	}
	// Just under the limit, with unknown fields: accepted.
	fits := `{"order": {"id": 2001, ` + customerBody + `, "padding": "` + strings.Repeat("x", maxBody-200) + `"}}`
	if got := f.do("POST", "/v1/campaigns/22000000/orders/update", fits); got.status != http.StatusOK {
		t.Errorf("HTTP %d: %.300s", got.status, got.body)
	}
}
