package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGetOrderExactJSON(t *testing.T) {
	f := newFixture(t, Options{})
	got := f.do("GET", "/v2/campaigns/21000000/orders/1004", "")
	expect(t, got, http.StatusOK, `{"order": {
		"id": 1004, "status": "DELIVERY", "substatus": "DELIVERY_SERVICE_RECEIVED",
		"creationDate": "18-11-2026 13:30:45", "updatedAt": "22-11-2026 08:01:17",
		"currency": "RUR", "itemsTotal": 1710, "deliveryTotal": 350,
		"buyerItemsTotal": 1710, "buyerTotal": 2060,
		"buyerItemsTotalBeforeDiscount": 1710, "buyerTotalBeforeDiscount": 2060,
		"paymentType": "PREPAID", "paymentMethod": "YANDEX", "fake": false,
		"items": [
			{"id": 1, "offerId": "GINGER-TULA-400", "offerName": "Пряник тульский с повидлом, 400 г",
			 "price": 390, "buyerPrice": 390, "buyerPriceBeforeDiscount": 390, "count": 3, "vat": "VAT_22"},
			{"id": 2, "offerId": "TEA-ASSAM-250", "offerName": "Чай чёрный «Ассам», 250 г",
			 "price": 540, "buyerPrice": 540, "buyerPriceBeforeDiscount": 540, "count": 1, "vat": "VAT_22"}],
		"delivery": {
			"type": "DELIVERY", "serviceName": "Собственная служба доставки", "deliveryPartnerType": "SHOP",
			"dates": {"fromDate": "24-11-2026", "toDate": "24-11-2026", "fromTime": "09:00:00", "toTime": "18:00:00"},
			"address": {"country": "Россия", "postcode": "141400", "city": "Химки", "street": "улица Молодёжная",
				"house": "8", "apartment": "31", "phone": "+79260001020", "recipient": "Морозова Елена Игоревна"},
			"deliveryServiceId": 99,
			"tracks": [{"trackCode": "80082354127663", "deliveryServiceId": 1}]},
		"buyer": {"id": "7d1c5e20b3", "lastName": "Морозова", "firstName": "Елена", "middleName": "Игоревна", "type": "PERSON"},
		"taxSystem": "OSN", "cancelRequested": false}}`)
	if ct := got.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestGetCampaignExactJSON(t *testing.T) {
	f := newFixture(t, Options{})
	expect(t, f.do("GET", "/v2/campaigns/22000000", ""), http.StatusOK, `{"campaign": {
		"domain": "samovarny-dvor.ru", "id": 22000000,
		"business": {"id": 9000000, "name": "ООО «Самоварный двор»"},
		"placementType": "LAAS", "apiAvailability": "AVAILABLE"}}`)
	got := f.do("GET", "/v2/campaigns/31000000", "")
	if diff := cmp.Diff(mustJSON(t, `{"id": 9100000, "name": "ИП Белова Н. А."}`), field(got.json(t), "campaign", "business")); diff != "" {
		t.Errorf("business (-want +got):\n%s", diff)
	}
}

// TestDateFormats pins the API's trap: OrderDTO speaks DD-MM-YYYY, the
// business list and the LaaS endpoints YYYY-MM-DD.
func TestDateFormats(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name         string
		method, path string
		body         string
		dates        []any // path to delivery dates
		want         string
	}{
		{"get order", "GET", "/v2/campaigns/22000000/orders/2002", "", []any{"order", "delivery", "dates"},
			`{"fromDate": "30-11-2026", "toDate": "30-11-2026", "fromTime": "14:00:00", "toTime": "18:00:00"}`},
		{"list orders", "GET", "/v2/campaigns/22000000/orders?orderIds=2003", "", []any{"orders", 0, "delivery", "dates"},
			`{"fromDate": "09-11-2026", "toDate": "09-11-2026", "fromTime": "10:00", "toTime": "14:00", "realDeliveryDate": "09-11-2026"}`},
		{"business orders", "POST", "/v1/businesses/9000000/orders", `{"orderIds": [2003]}`, []any{"orders", 0, "delivery", "dates"},
			`{"fromDate": "2026-11-09", "toDate": "2026-11-09", "fromTime": "10:00", "toTime": "14:00", "realDeliveryDate": "2026-11-09"}`},
		{"update options", "POST", "/v1/campaigns/22000000/orders/update-options", `{"id": 2005}`,
			[]any{"result", "deliveryIntervals", "availableDeliveryIntervals", 0},
			`{"deliveryDateInterval": {"fromDate": "2026-12-01", "toDate": "2026-12-01"},
			  "deliveryTimeInterval": {"fromTime": "10:00", "toTime": "14:00"}}`},
		{"delivery options", "POST", "/v1/campaigns/22000000/delivery-options",
			`{"items": [{"offerId": "A", "count": 1, "warehouseId": 2}], "pickupDelivery": {"logisticPointsIds": [201]}}`,
			[]any{"result", "warehousesDeliveryOptions", 0, "deliveryOptions", "pickupDelivery", "pickupOptions", 0, "options", 0, "deliveryDateInterval"},
			`{"fromDate": "2026-12-02", "toDate": "2026-12-03"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.do(tt.method, tt.path, tt.body)
			if got.status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", got.status, got.body)
			}
			if diff := cmp.Diff(mustJSON(t, tt.want), field(got.json(t), tt.dates...)); diff != "" {
				t.Errorf("dates (-want +got):\n%s", diff)
			}
		})
	}
	// Instants: DD-MM-YYYY HH:MM:SS in OrderDTO, ISO 8601 with +03:00 in BusinessOrderDTO.
	order := f.do("GET", "/v2/campaigns/21000000/orders/1001", "").json(t)
	biz := f.do("POST", "/v1/businesses/9000000/orders", `{"orderIds": [1001]}`).json(t)
	got := []any{field(order, "order", "creationDate"), field(order, "order", "updatedAt"),
		field(biz, "orders", 0, "creationDate"), field(biz, "orders", 0, "updateDate")}
	want := []any{"20-11-2026 11:02:13", "20-11-2026 11:15:40", "2026-11-20T11:02:13+03:00", "2026-11-20T11:15:40+03:00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instants (-want +got):\n%s", diff)
	}

	// Whatever zone the clock runs in, the API answers Moscow time.
	utc := newFixture(t, Options{Now: func() time.Time { return time.Date(2026, time.November, 23, 9, 30, 5, 0, time.UTC) }})
	utc.do("POST", "/v2/campaigns/21000000/orders/1001/delivery/track", `{"trackCode": "Z1", "deliveryServiceId": 51}`)
	got = []any{
		field(utc.do("GET", "/v2/campaigns/21000000/orders/1001", "").json(t), "order", "updatedAt"),
		field(utc.do("POST", "/v1/businesses/9000000/orders", `{"orderIds": [1001]}`).json(t), "orders", 0, "updateDate"),
	}
	if diff := cmp.Diff([]any{"23-11-2026 12:30:05", "2026-11-23T12:30:05+03:00"}, got); diff != "" {
		t.Errorf("instants of a UTC clock (-want +got):\n%s", diff)
	}
}

// ids lists the "id" (or "orderId") of each order of a list answer.
func ids(t *testing.T, a answer) []float64 {
	t.Helper()
	var out []float64
	orders, _ := field(a.json(t), "orders").([]any)
	for _, o := range orders {
		id, ok := field(o, "id").(float64)
		if !ok {
			id, _ = field(o, "orderId").(float64)
		}
		out = append(out, id)
	}
	return out
}

func TestListOrders(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name  string
		query string
		want  []float64
	}{
		{"orderIds comma separated and repeated; other campaigns' orders absent",
			"orderIds=2002,1001&orderIds=2001,99999", []float64{2001, 2002}},
		{"status filter, several values", "status=DELIVERED,CANCELLED", []float64{2003, 2004}},
		{"status repeated", "status=UNPAID&status=DELIVERED", []float64{2003, 2007}},
		{"no filter: real orders only", "", []float64{2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008}},
		{"creation dates DD-MM-YYYY", "fromDate=22-11-2026&toDate=22-11-2026", []float64{2005, 2006, 2008}},
		{"creation date up to", "toDate=19-11-2026", []float64{2002, 2003, 2004}},
		{"updatedAt range ISO 8601", "updatedAtFrom=2026-11-23T00:00:00%2B03:00", []float64{2002, 2007}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.do("GET", "/v2/campaigns/22000000/orders?"+tt.query, "")
			if got.status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", got.status, got.body)
			}
			if diff := cmp.Diff(tt.want, ids(t, got)); diff != "" {
				t.Errorf("orders (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("fake orders only on request or by id", func(t *testing.T) {
		var got [][]float64
		for _, q := range []string{"", "fake=true", "orderIds=1009"} {
			got = append(got, ids(t, f.do("GET", "/v2/campaigns/21000000/orders?"+q, "")))
		}
		want := [][]float64{{1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008}, {1009}, {1009}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("paging", func(t *testing.T) {
		var pages [][]float64
		token := ""
		for range 10 {
			a := f.do("GET", "/v2/campaigns/22000000/orders?limit=3&pageToken="+token, "")
			pages = append(pages, ids(t, a))
			next, _ := field(a.json(t), "paging", "nextPageToken").(string)
			if next == "" {
				if _, has := field(a.json(t), "paging").(map[string]any); !has {
					t.Errorf("last page has no paging object: %s", a.body)
				}
				break
			}
			token = next
		}
		want := [][]float64{{2001, 2002, 2003}, {2004, 2005, 2006}, {2007, 2008}}
		if diff := cmp.Diff(want, pages); diff != "" {
			t.Errorf("pages (-want +got):\n%s", diff)
		}
	})

	t.Run("limit above 50 is truncated", func(t *testing.T) {
		f := newFixtureState(t, Generate(120, 1), Options{})
		if n := len(ids(t, f.do("GET", "/v2/campaigns/21000000/orders?limit=500", ""))); n != 50 {
			t.Errorf("got %d orders, want 50", n)
		}
	})
}

func TestListOrdersRefusals(t *testing.T) {
	f := newFixture(t, Options{})
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprint(2001 + i)
	}
	tests := []struct {
		name, path, code, message string
		status                    int
	}{
		{"orderIds with status", "/v2/campaigns/22000000/orders?orderIds=2001&status=PROCESSING",
			"BAD_REQUEST", "orderIds cannot be combined with other filters (status)", 400},
		{"orderIds with fake", "/v2/campaigns/22000000/orders?orderIds=2001&fake=false",
			"BAD_REQUEST", "orderIds cannot be combined with other filters (fake)", 400},
		{"51 orderIds", "/v2/campaigns/22000000/orders?orderIds=" + strings.Join(many, ","),
			"BAD_REQUEST", "orderIds: 1 to 50 order IDs, got 51", 400},
		{"empty orderIds", "/v2/campaigns/22000000/orders?orderIds=",
			"BAD_REQUEST", "orderIds: 1 to 50 order IDs, got 0", 400},
		{"orderId not a number", "/v2/campaigns/22000000/orders?orderIds=12a",
			"BAD_REQUEST", `orderIds: "12a" is not a positive integer`, 400},
		{"orderId zero", "/v2/campaigns/22000000/orders?orderIds=0",
			"BAD_REQUEST", `orderIds: "0" is not a positive integer`, 400},
		{"unknown status", "/v2/campaigns/22000000/orders?status=LOST",
			"BAD_REQUEST", `status: "LOST" is not an order status`, 400},
		{"limit zero", "/v2/campaigns/22000000/orders?limit=0",
			"BAD_REQUEST", `limit must be a positive integer, got "0"`, 400},
		{"bad page token", "/v2/campaigns/22000000/orders?pageToken=zzz",
			"BAD_REQUEST", `pageToken "zzz" is invalid: pass nextPageToken of the previous page`, 400},
		{"bad fromDate", "/v2/campaigns/22000000/orders?fromDate=2026-11-01",
			"BAD_REQUEST", `fromDate "2026-11-01" is not a date (want DD-MM-YYYY)`, 400},
		{"dates over 30 days", "/v2/campaigns/22000000/orders?fromDate=01-10-2026&toDate=22-11-2026",
			"BAD_REQUEST", "fromDate and toDate must be in order and at most 30 days apart", 400},
		{"unknown campaign", "/v2/campaigns/77/orders", "NOT_FOUND", "campaign 77 not found", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.do("GET", tt.path, "")
			code, msg := errorOf(t, got)
			if diff := cmp.Diff([]any{tt.status, tt.code, tt.message}, []any{got.status, code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBusinessOrders(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, body string
		want       []float64
	}{
		{"orderIds across campaigns; other business absent", `{"orderIds": [4001, 2006, 1005]}`, []float64{1005, 2006}},
		{"campaign and status", `{"campaignIds": [21000000], "statuses": ["DELIVERED", "CANCELLED"]}`, []float64{1003, 1006}},
		{"program type", `{"programTypes": ["FBS"]}`, []float64{3001}},
		{"fake", `{"fake": true}`, []float64{1009}},
		{"creation dates YYYY-MM-DD", `{"dates": {"creationDateFrom": "2026-11-23", "creationDateTo": "2026-11-23"}}`, []float64{1007, 2007}},
		{"unknown fields ignored", `{"orderIds": [2001], "somethingNew": {"x": 1}}`, []float64{2001}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.do("POST", "/v1/businesses/9000000/orders", tt.body)
			if got.status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", got.status, got.body)
			}
			if diff := cmp.Diff(tt.want, ids(t, got)); diff != "" {
				t.Errorf("orders (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("exact JSON, no recipient name or phone", func(t *testing.T) {
		got := f.do("POST", "/v1/businesses/9000000/orders", `{"orderIds": [2002]}`)
		expect(t, got, http.StatusOK, `{"orders": [{
			"orderId": 2002, "campaignId": 22000000, "programType": "LAAS",
			"status": "DELIVERY", "substatus": "DELIVERY_SERVICE_RECEIVED",
			"creationDate": "2026-11-19T09:20:00+03:00", "updateDate": "2026-11-23T07:45:12+03:00",
			"paymentType": "PREPAID", "paymentMethod": "YANDEX", "fake": false,
			"items": [
				{"id": 1, "offerId": "TEA-PUER-357", "offerName": "Чай пуэр, блин 357 г", "count": 2,
				 "prices": {"payment": {"value": 4200, "currencyId": "RUR"}, "vat": "VAT_22"}},
				{"id": 2, "offerId": "HOLDER-MELCH", "offerName": "Подстаканник мельхиоровый с гравировкой", "count": 1,
				 "prices": {"payment": {"value": 2450, "currencyId": "RUR"}, "vat": "VAT_22"}}],
			"prices": {"payment": {"value": 6650, "currencyId": "RUR"}, "delivery": {"payment": {"value": 350, "currencyId": "RUR"}}},
			"delivery": {
				"type": "DELIVERY", "serviceName": "Яндекс Доставка", "deliveryServiceId": 1005705,
				"warehouseId": "1", "deliveryPartnerType": "YANDEX_MARKET",
				"dates": {"fromDate": "2026-11-30", "toDate": "2026-11-30", "fromTime": "14:00:00", "toTime": "18:00:00"},
				"shipment": {"shipmentDate": "2026-11-29"},
				"courier": {"address": {"country": "Россия", "postcode": "121165", "city": "Москва",
					"street": "Кутузовский проспект", "house": "30", "apartment": "56"}},
				"tracks": [{"trackCode": "LP0042917365", "deliveryServiceId": 1005705}]},
			"buyerType": "PERSON", "cancelRequested": false}],
			"paging": {}}`)
		for _, secret := range []string{"Фёдорова", "+79057771234", "recipient", "phone"} {
			if strings.Contains(got.body, secret) {
				t.Errorf("business orders answer carries %q", secret)
			}
		}
	})

	refusals := []struct {
		name, path, body, code, message string
		status                          int
	}{
		{"campaign of another business", "/v1/businesses/9000000/orders", `{"campaignIds": [31000000]}`,
			"FORBIDDEN", "campaign 31000000 is not a campaign of business 9000000", 403},
		{"unknown business", "/v1/businesses/1/orders", `{}`, "NOT_FOUND", "business 1 not found", 404},
		{"51 orderIds", "/v1/businesses/9000000/orders", `{"orderIds": [` + strings.Repeat("1,", 50) + `1]}`,
			"BAD_REQUEST", "orderIds: 1 to 50 items, got 51", 400},
		{"repeated orderIds", "/v1/businesses/9000000/orders", `{"orderIds": [1001, 1001]}`,
			"BAD_REQUEST", "orderIds: 1001 is repeated", 400},
		{"order id zero", "/v1/businesses/9000000/orders", `{"orderIds": [0]}`,
			"BAD_REQUEST", "orderIds[0] must be a positive integer", 400},
		{"wrong type", "/v1/businesses/9000000/orders", `{"orderIds": "1001"}`,
			"BAD_REQUEST", "field orderIds: expected array, got string", 400},
		{"bad program type", "/v1/businesses/9000000/orders", `{"programTypes": ["DROPSHIP"]}`,
			"BAD_REQUEST", `programTypes: "DROPSHIP" is not one of FBY, FBS, DBS, EXPRESS, LAAS`, 400},
		{"bad date", "/v1/businesses/9000000/orders", `{"dates": {"creationDateFrom": "23-11-2026"}}`,
			"BAD_REQUEST", `dates.creationDateFrom "23-11-2026" is not a date (want YYYY-MM-DD)`, 400},
		{"no body", "/v1/businesses/9000000/orders", ``, "BAD_REQUEST", "request body is required", 400},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			got := f.do("POST", tt.path, tt.body)
			code, msg := errorOf(t, got)
			if diff := cmp.Diff([]any{tt.status, tt.code, tt.message}, []any{got.status, code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	f := newFixture(t, Options{})
	// 404 where the spec documents one; update-options, update, operations
	// and delivery-options have none: an unknown campaign or business is
	// one the key may not use (403), an unknown order bad data (400).
	tests := []struct {
		method, path, body string
		status             int
		code, message      string
	}{
		{"GET", "/v2/campaigns/12345/orders/1001", "", 404, "NOT_FOUND", "campaign 12345 not found"},
		{"GET", "/v2/campaigns/21000000/orders/2001", "", 404, "NOT_FOUND", "order 2001 not found in campaign 21000000"},
		{"GET", "/v2/campaigns/21000000/orders/424242", "", 404, "NOT_FOUND", "order 424242 not found in campaign 21000000"},
		{"GET", "/v2/campaigns/12345", "", 404, "NOT_FOUND", "campaign 12345 not found"},
		{"POST", "/v2/campaigns/21000000/orders/4001/delivery/track", `{"trackCode": "X", "deliveryServiceId": 51}`,
			404, "NOT_FOUND", "order 4001 not found in campaign 21000000"},
		{"POST", "/v1/campaigns/22000000/orders/update-options", `{"id": 1001}`, 400, "NOT_FOUND", "order 1001 not found in campaign 22000000"},
		{"POST", "/v1/campaigns/12345/orders/update-options", `{"id": 2001}`, 403, "FORBIDDEN",
			"campaign 12345 not found, or the API key has no access to it"},
		{"POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 9, "customer": {"firstName": "А", "lastName": "Б", "phone": "+79990001122"}}}`,
			400, "NOT_FOUND", "order 9 not found in campaign 22000000"},
		{"POST", "/v1/campaigns/12345/delivery-options", `{"items": [{"offerId": "A", "count": 1, "warehouseId": 1}], "courierDelivery": {"fullAddress": "Москва"}}`,
			403, "FORBIDDEN", "campaign 12345 not found, or the API key has no access to it"},
		{"POST", "/v1/businesses/5/operations", `{"operationType": "ORDER_RECIPIENT_UPDATE", "operationIds": ["x"]}`,
			403, "FORBIDDEN", "business 5 not found, or the API key has no access to it"},
		{"GET", "/v2/campaigns/21000000/orders/1001/boxes", "", 404, "NOT_FOUND", "no method at /v2/campaigns/21000000/orders/1001/boxes"},
		{"GET", "/", "", 404, "NOT_FOUND", "no method at /"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got := f.do(tt.method, tt.path, tt.body)
			code, msg := errorOf(t, got)
			if diff := cmp.Diff([]any{tt.status, tt.code, tt.message}, []any{got.status, code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
