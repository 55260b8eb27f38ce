package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/provider/sandbox"
)

// testKey is distinctive so a leak into a log or an error is easy to spot.
const testKey = "test-key-7Qx9-LEAKCANARY"

const (
	dbsCampaign  = 21000000
	laasCampaign = 22000000
	fbsCampaign  = 23000000
	business     = 9000000
)

// env is a client talking to a fresh sandbox seeded with testdata/sandbox-small.json
// (the orders are described in provider/sandbox/doc.go).
type env struct {
	srv    *sandbox.Server
	url    string
	client *Client
}

func newEnv(t *testing.T, opt sandbox.Options, cfg Config) *env {
	t.Helper()
	return newEnvWith(t, opt, cfg, nil)
}

// newEnvWith lets wrap stand between the client and the sandbox.
func newEnvWith(t *testing.T, opt sandbox.Options, cfg Config, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	st, err := sandbox.LoadState("../testdata/sandbox-small.json")
	if err != nil {
		t.Fatal(err)
	}
	if opt.APIKeys == nil {
		opt.APIKeys = []string{testKey}
	}
	srv := sandbox.New(st, opt)
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	cfg.Endpoint = hs.URL
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	if cfg.Retry == (RetryPolicy{}) {
		cfg.Retry = RetryPolicy{MaxAttempts: 6, BaseDelay: 2 * time.Millisecond, MaxDelay: 20 * time.Millisecond}
	}
	// Every request and answer is checked against the official spec.
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	hc.Transport = contract.Transport(hc.Transport, contract.Errorf(t))
	cfg.HTTPClient = hc
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, url: hs.URL, client: c}
}

// call is what a test asserts of a recorded request.
type call struct {
	Method, Path string
	OrderIDs     []int64
	Status       int
}

func (e *env) calls() []call {
	var out []call
	for _, c := range e.srv.Calls() {
		out = append(out, call{c.Method, c.Path, c.OrderIDs, c.Status})
	}
	return out
}

func (e *env) checkCalls(t *testing.T, want []call) {
	t.Helper()
	if diff := cmp.Diff(want, e.calls(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("recorded calls mismatch (-want +got):\n%s", diff)
	}
}

// order2002 is LaaS order 2002 as the campaign endpoints show it.
var order2002 = Order{
	ID:         2002,
	CampaignID: laasCampaign,
	Status:     StatusDelivery,
	Substatus:  "DELIVERY_SERVICE_RECEIVED",
	UpdatedAt:  "23-11-2026 07:45:12",
	Delivery: Delivery{
		Type:              "DELIVERY",
		PartnerType:       "YANDEX_MARKET",
		DeliveryServiceID: 1005705,
		ServiceName:       "Яндекс Доставка",
		Dates:             Dates{FromDate: "30-11-2026", ToDate: "30-11-2026", FromTime: "14:00:00", ToTime: "18:00:00"},
		// Listed on the delivery and on its shipment: once here.
		Tracks:  []Track{{Code: "LP0042917365", DeliveryServiceID: 1005705}},
		Address: Address{Recipient: "Фёдорова Татьяна Михайловна", Phone: "+79057771234"},
	},
	Buyer:        Buyer{FirstName: "Татьяна", LastName: "Фёдорова", MiddleName: "Михайловна"},
	HasRecipient: true,
}

var order1001 = Order{
	ID:         1001,
	CampaignID: dbsCampaign,
	Status:     StatusProcessing,
	Substatus:  "STARTED",
	UpdatedAt:  "20-11-2026 11:15:40",
	Delivery: Delivery{
		Type:              "DELIVERY",
		PartnerType:       "SHOP",
		DeliveryServiceID: 99,
		ServiceName:       "Собственная служба доставки",
		Dates:             Dates{FromDate: "26-11-2026", ToDate: "26-11-2026", FromTime: "10:00", ToTime: "14:00"},
		Address:           Address{Recipient: "Иванов Пётр Сергеевич", Phone: "+79161234567"},
	},
	Buyer:        Buyer{FirstName: "Пётр", LastName: "Иванов", MiddleName: "Сергеевич"},
	HasRecipient: true,
}

func TestGetOrder(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()
	for _, want := range []Order{order1001, order2002} {
		got, err := e.client.GetOrder(ctx, want.CampaignID, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("order %d mismatch (-want +got):\n%s", want.ID, diff)
		}
	}
	_, err := e.client.GetOrder(ctx, dbsCampaign, 2002) // another campaign's order
	if apiErr, ok := AsAPIError(err); !ok || !apiErr.NotFound() || apiErr.OrderID != 2002 || apiErr.CampaignID != dbsCampaign {
		t.Errorf("order of another campaign: %v, want a NotFound APIError for order 2002 of campaign %d", err, dbsCampaign)
	}
	e.checkCalls(t, []call{
		{"GET", "/v2/campaigns/21000000/orders/1001", []int64{1001}, 200},
		{"GET", "/v2/campaigns/22000000/orders/2002", []int64{2002}, 200},
		{"GET", "/v2/campaigns/21000000/orders/2002", []int64{2002}, 404},
	})
}

// pageLimit makes the sandbox answer pages of n orders, whatever the client
// asks, so that paging is exercised with a few orders.
func pageLimit(n int) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			q.Set("limit", strconv.Itoa(n))
			r.URL.RawQuery = q.Encode()
			h.ServeHTTP(w, r)
		})
	}
}

func TestListCampaignOrders(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{}, Config{}, pageLimit(4))
	// 1001..1009 (1009 a test order: named, so answered), 2002 of another
	// campaign, and unknown orders enough to need a second batch.
	ids := []int64{1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 2002, 1001}
	for id := int64(5001); id <= 5045; id++ {
		ids = append(ids, id)
	}
	got, err := e.client.ListCampaignOrders(context.Background(), dbsCampaign, ids)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []int64
	for _, o := range got {
		gotIDs = append(gotIDs, o.ID)
	}
	if diff := cmp.Diff([]int64{1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009}, gotIDs); diff != "" {
		t.Errorf("orders mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(order1001, got[0]); diff != "" {
		t.Errorf("order 1001 mismatch (-want +got):\n%s", diff)
	}
	if !got[8].Fake {
		t.Errorf("order 1009 should be a test (fake) order")
	}
	// 55 unique IDs: 50 + 5. The first batch's 9 orders come in pages of 4.
	var batch1, batch2 []int64
	for _, id := range unique(ids) {
		if len(batch1) < 50 {
			batch1 = append(batch1, id)
		} else {
			batch2 = append(batch2, id)
		}
	}
	calls := e.srv.Calls()
	if len(calls) != 4 {
		t.Fatalf("%d calls, want 4 (3 pages of the first batch, 1 of the second): %+v", len(calls), calls)
	}
	for i, want := range [][]int64{batch1, batch1, batch1, batch2} {
		c := calls[i]
		if c.Method != "GET" || c.Path != "/v2/campaigns/21000000/orders" || c.Status != 200 || !slices.Equal(c.OrderIDs, want) {
			t.Errorf("call %d: %s %s %v status %d, want GET of orderIds %v", i, c.Method, c.Path, c.OrderIDs, c.Status, want)
		}
		if hasToken := strings.Contains(c.Query, "pageToken="); hasToken != (i == 1 || i == 2) {
			t.Errorf("call %d: query %q, pageToken expected only on the follow-up pages", i, c.Query)
		}
	}
}

func TestListBusinessOrders(t *testing.T) {
	e := newEnvWith(t, sandbox.Options{}, Config{}, pageLimit(2))
	got, err := e.client.ListBusinessOrders(context.Background(), business, []int64{2002, 1001, 3001, 4001, 9999})
	if err != nil {
		t.Fatal(err)
	}
	want2002 := Order{
		ID:         2002,
		CampaignID: laasCampaign,
		Model:      ModelLaaS,
		Status:     StatusDelivery,
		Substatus:  "DELIVERY_SERVICE_RECEIVED",
		UpdatedAt:  "2026-11-23T07:45:12+03:00",
		Delivery: Delivery{
			Type:              "DELIVERY",
			PartnerType:       "YANDEX_MARKET",
			DeliveryServiceID: 1005705,
			ServiceName:       "Яндекс Доставка",
			Dates:             Dates{FromDate: "2026-11-30", ToDate: "2026-11-30", FromTime: "14:00:00", ToTime: "18:00:00"},
			Tracks:            []Track{{Code: "LP0042917365", DeliveryServiceID: 1005705}},
		},
	}
	type brief struct {
		ID, CampaignID int64
		Model          string
		HasRecipient   bool
	}
	var gotBrief []brief
	for _, o := range got {
		gotBrief = append(gotBrief, brief{o.ID, o.CampaignID, o.Model, o.HasRecipient})
	}
	wantBrief := []brief{{1001, dbsCampaign, ModelDBS, false}, {2002, laasCampaign, ModelLaaS, false}, {3001, fbsCampaign, ModelFBS, false}}
	if diff := cmp.Diff(wantBrief, gotBrief); diff != "" {
		t.Fatalf("orders mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want2002, got[1]); diff != "" {
		t.Errorf("order 2002 mismatch (-want +got):\n%s", diff)
	}
	calls := e.srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2 pages", len(calls))
	}
	for i, c := range calls {
		var body struct{ OrderIDs []int64 }
		if err := json.Unmarshal(c.Body, &body); err != nil {
			t.Fatal(err)
		}
		if c.Method != "POST" || c.Path != "/v1/businesses/9000000/orders" || c.Status != 200 ||
			!slices.Equal(body.OrderIDs, []int64{2002, 1001, 3001, 4001, 9999}) {
			t.Errorf("call %d: %s %s body %s status %d", i, c.Method, c.Path, c.Body, c.Status)
		}
	}
}

func TestGetCampaign(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()
	got, err := e.client.GetCampaign(ctx, laasCampaign)
	if err != nil {
		t.Fatal(err)
	}
	want := Campaign{ID: laasCampaign, BusinessID: business, Model: ModelLaaS, Name: "samovarny-dvor.ru"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("campaign mismatch (-want +got):\n%s", diff)
	}
	_, err = e.client.GetCampaign(ctx, 12345)
	if apiErr, ok := AsAPIError(err); !ok || !apiErr.NotFound() {
		t.Errorf("unknown campaign: %v, want NotFound", err)
	}
	e.checkCalls(t, []call{
		{"GET", "/v2/campaigns/22000000", nil, 200},
		{"GET", "/v2/campaigns/12345", nil, 404},
	})
}

func TestSetTrack(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()
	track := Track{Code: "RP123456789RU", DeliveryServiceID: 51}
	if err := e.client.SetTrack(ctx, dbsCampaign, 1001, track); err != nil {
		t.Fatal(err)
	}
	o, _ := e.srv.Order(1001)
	if diff := cmp.Diff([]sandbox.Track{{TrackCode: "RP123456789RU", DeliveryServiceID: 51}}, o.Delivery.Tracks); diff != "" {
		t.Errorf("sandbox tracks of 1001 mismatch (-want +got):\n%s", diff)
	}
	calls := e.srv.Calls()
	if len(calls) != 1 || calls[0].Path != "/v2/campaigns/21000000/orders/1001/delivery/track" ||
		string(calls[0].Body) != `{"trackCode":"RP123456789RU","deliveryServiceId":51}` {
		t.Errorf("calls: %+v, want one POST with the track", calls)
	}
}

// TestRefusalsAreTypedErrors: every status gate and selling-model refusal
// arrives as an APIError with the API's code, after exactly one request.
func TestRefusalsAreTypedErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()
	track := Track{Code: "RP000000001RU", DeliveryServiceID: 51}
	interval := &Interval{FromDate: "2026-11-27", ToDate: "2026-11-27", FromTime: "14:00", ToTime: "18:00"}
	customer := &Customer{FirstName: "Сергей", LastName: "Новиков", Phone: "+79035550101"}
	for _, tc := range []struct {
		name     string
		do       func() error
		endpoint string
		campaign int64
		order    int64
		code     string
	}{
		{"track on DELIVERED", func() error { return e.client.SetTrack(ctx, dbsCampaign, 1003, track) },
			"POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track", dbsCampaign, 1003, "STATUS_NOT_ALLOWED"},
		{"track on CANCELLED", func() error { return e.client.SetTrack(ctx, dbsCampaign, 1006, track) },
			"POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track", dbsCampaign, 1006, "STATUS_NOT_ALLOWED"},
		{"track on UNPAID", func() error { return e.client.SetTrack(ctx, dbsCampaign, 1007, track) },
			"POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track", dbsCampaign, 1007, "STATUS_NOT_ALLOWED"},
		{"track on LaaS", func() error { return e.client.SetTrack(ctx, laasCampaign, 2001, track) },
			"POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track", laasCampaign, 2001, "CAMPAIGN_TYPE_NOT_SUPPORTED"},
		{"track on FBS", func() error { return e.client.SetTrack(ctx, fbsCampaign, 3001, track) },
			"POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track", fbsCampaign, 3001, "CAMPAIGN_TYPE_NOT_SUPPORTED"},
		{"update on DELIVERED", func() error {
			_, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2003, Customer: customer})
			return err
		}, "POST v1/campaigns/{campaignId}/orders/update", laasCampaign, 2003, "ORDER_IN_TERMINAL_STATE"},
		{"update on CANCELLED", func() error {
			_, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2004, Interval: interval})
			return err
		}, "POST v1/campaigns/{campaignId}/orders/update", laasCampaign, 2004, "ORDER_IN_TERMINAL_STATE"},
		{"update on DBS", func() error {
			_, err := e.client.UpdateOrder(ctx, dbsCampaign, OrderUpdate{OrderID: 1001, Customer: customer})
			return err
		}, "POST v1/campaigns/{campaignId}/orders/update", dbsCampaign, 1001, "CAMPAIGN_TYPE_NOT_SUPPORTED"},
		{"bad phone", func() error {
			bad := *customer
			bad.Phone = "8-903-555-01-01"
			// The spec's pattern refuses the phone: that is the point.
			ctx := contract.OnPurpose(ctx, "/order/customer/phone")
			_, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2001, Customer: &bad})
			return err
		}, "POST v1/campaigns/{campaignId}/orders/update", laasCampaign, 2001, "INVALID_PHONE_FORMAT"},
		{"unavailable interval", func() error {
			other := Interval{FromDate: "2026-11-29", ToDate: "2026-11-29", FromTime: "10:00", ToTime: "14:00"}
			_, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2001, Interval: &other})
			return err
		}, "POST v1/campaigns/{campaignId}/orders/update", laasCampaign, 2001, "INVALID_DELIVERY_OPTION"},
		{"interval of a pickup order", func() error {
			_, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2006, Interval: interval})
			return err
		}, "POST v1/campaigns/{campaignId}/orders/update", laasCampaign, 2006, "INVALID_DELIVERY_OPTION"},
		{"update-options on DBS", func() error {
			_, err := e.client.UpdateOptions(ctx, dbsCampaign, 1001)
			return err
		}, "POST v1/campaigns/{campaignId}/orders/update-options", dbsCampaign, 1001, "CAMPAIGN_TYPE_NOT_SUPPORTED"},
		{"delivery-options on DBS", func() error {
			_, err := e.client.DeliveryOptions(ctx, dbsCampaign, DeliveryOptionsRequest{
				Items: []Item{{OfferID: "SAM-3L-BRASS", Count: 1, WarehouseID: 1}}, CourierAddress: "Москва"})
			return err
		}, "POST v1/campaigns/{campaignId}/delivery-options", dbsCampaign, 0, "CAMPAIGN_TYPE_NOT_SUPPORTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.ResetCalls()
			err := tc.do()
			apiErr, ok := AsAPIError(err)
			if !ok {
				t.Fatalf("error %v, want an APIError", err)
			}
			if errors.Is(err, ErrOutcomeUnknown) {
				t.Errorf("a refusal must not be an unknown outcome: %v", err)
			}
			if !apiErr.HasCode(tc.code) || !apiErr.Rejected() || apiErr.StatusCode != http.StatusBadRequest {
				t.Errorf("got %v, want a 400 with %s", apiErr, tc.code)
			}
			if apiErr.Endpoint != tc.endpoint || apiErr.CampaignID != tc.campaign || apiErr.OrderID != tc.order {
				t.Errorf("got endpoint %q campaign %d order %d, want %q %d %d",
					apiErr.Endpoint, apiErr.CampaignID, apiErr.OrderID, tc.endpoint, tc.campaign, tc.order)
			}
			if n := len(e.srv.Calls()); n != 1 {
				t.Errorf("%d requests, want 1: a refusal is not retried", n)
			}
		})
	}
	if o, _ := e.srv.Order(1003); len(o.Delivery.Tracks) != 1 || o.Delivery.Tracks[0].TrackCode != "1519004477" {
		t.Errorf("refused track changed order 1003: %+v", o.Delivery.Tracks)
	}
}

func TestUpdateOptions(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()
	got, err := e.client.UpdateOptions(ctx, laasCampaign, 2001)
	if err != nil {
		t.Fatal(err)
	}
	want := []Interval{
		{FromDate: "2026-11-27", ToDate: "2026-11-27", FromTime: "10:00", ToTime: "14:00"},
		{FromDate: "2026-11-27", ToDate: "2026-11-27", FromTime: "14:00", ToTime: "18:00"},
		{FromDate: "2026-11-28", ToDate: "2026-11-28", FromTime: "10:00", ToTime: "14:00"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("intervals mismatch (-want +got):\n%s", diff)
	}
	got, err = e.client.UpdateOptions(ctx, laasCampaign, 2006) // pickup: none
	if err != nil || len(got) != 0 {
		t.Errorf("order 2006: %v, %v; want no intervals and no error", got, err)
	}
	calls := e.srv.Calls()
	if len(calls) != 2 || calls[0].Path != "/v1/campaigns/22000000/orders/update-options" ||
		string(calls[0].Body) != `{"id":2001,"orderUpdateOption":"UPDATE_DELIVERY_INTERVAL"}` {
		t.Errorf("calls: %+v", calls)
	}
}

func TestUpdateOrderAndOperations(t *testing.T) {
	e := newEnv(t, sandbox.Options{UpdateDelay: time.Hour}, Config{})
	ctx := context.Background()
	interval := Interval{FromDate: "2026-11-27", ToDate: "2026-11-27", FromTime: "14:00", ToTime: "18:00"}
	customer := Customer{FirstName: "Анна", LastName: "Новикова", Phone: "+79035550102"}
	ops, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2001, Interval: &interval, Customer: &customer})
	if err != nil {
		t.Fatal(err)
	}
	var types, ids []string
	for _, op := range ops {
		types = append(types, op.Type)
		ids = append(ids, op.ID)
		if op.ID == "" || op.Status != "" {
			t.Errorf("operation %+v: want an ID and no status (orders/update does not say)", op)
		}
	}
	slices.Sort(types)
	if diff := cmp.Diff([]string{OperationIntervalUpdate, OperationRecipientUpdate}, types); diff != "" {
		t.Errorf("operation types mismatch (-want +got):\n%s", diff)
	}
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Errorf("operation IDs %v, want two distinct ones: each is followed on its own", ids)
	}
	calls := e.srv.Calls()
	wantBody := `{"order":{"id":2001,"deliveryInterval":{"deliveryDateInterval":{"fromDate":"2026-11-27","toDate":"2026-11-27"},` +
		`"deliveryTimeInterval":{"fromTime":"14:00","toTime":"18:00"}},"customer":{"firstName":"Анна","lastName":"Новикова","phone":"+79035550102"}}}`
	if len(calls) != 1 || calls[0].Path != "/v1/campaigns/22000000/orders/update" || string(calls[0].Body) != wantBody {
		t.Errorf("calls: %+v, want one update with body %s", calls, wantBody)
	}

	// Following the operations: one type per call.
	var recipientOp string
	for _, op := range ops {
		if op.Type == OperationRecipientUpdate {
			recipientOp = op.ID
		}
	}
	got, err := e.client.Operations(ctx, business, OperationRecipientUpdate, []string{recipientOp, "no-such-operation", recipientOp})
	if err != nil {
		t.Fatal(err)
	}
	want := []Operation{{ID: recipientOp, Type: OperationRecipientUpdate, Status: OperationInProgress}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("operations mismatch (-want +got):\n%s", diff)
	}
	e.srv.Settle()
	got, err = e.client.Operations(ctx, business, OperationRecipientUpdate, []string{recipientOp})
	if err != nil {
		t.Fatal(err)
	}
	want[0].Status = OperationDone
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("operations after settling mismatch (-want +got):\n%s", diff)
	}
	o, err := e.client.GetOrder(ctx, laasCampaign, 2001)
	if err != nil {
		t.Fatal(err)
	}
	wantDates := Dates{FromDate: "27-11-2026", ToDate: "27-11-2026", FromTime: "14:00", ToTime: "18:00"}
	if o.Delivery.Dates != wantDates || o.Buyer.FirstName != "Анна" || o.Delivery.Address.Phone != "+79035550102" {
		t.Errorf("order 2001 after the update: %+v", o)
	}
}

func TestOperationsBatches(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	var ids []string
	for i := range 150 {
		ids = append(ids, fmt.Sprintf("op-%03d", i))
	}
	ids = append(ids, "op-000") // repeated: sent once
	got, err := e.client.Operations(context.Background(), business, OperationIntervalUpdate, ids)
	if err != nil || len(got) != 0 {
		t.Fatalf("Operations: %v, %v; want none and no error", got, err)
	}
	calls := e.srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2 (100 + 50 unique IDs)", len(calls))
	}
	for i, n := range []int{100, 50} {
		var body struct {
			OperationType string
			OperationIDs  []string
		}
		if err := json.Unmarshal(calls[i].Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.OperationType != OperationIntervalUpdate || len(body.OperationIDs) != n || calls[i].Status != 200 {
			t.Errorf("call %d: %s, status %d; want %d IDs of one type", i, calls[i].Body, calls[i].Status, n)
		}
	}
}

func TestDeliveryOptions(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()
	items := []Item{{OfferID: "SAM-3L-BRASS", Count: 1, WarehouseID: 1}, {OfferID: "TEA-SET", Count: 2, WarehouseID: 2}}
	got, err := e.client.DeliveryOptions(ctx, laasCampaign, DeliveryOptionsRequest{Items: items, CourierAddress: "Москва, улица Льва Толстого, 16"})
	if err != nil {
		t.Fatal(err)
	}
	courier := func(wh int64, from, to, ft, tt string, price float64) DeliveryOption {
		return DeliveryOption{WarehouseID: wh, Type: "courier", Interval: Interval{from, to, ft, tt}, Price: price, Currency: "RUR"}
	}
	want := []DeliveryOption{
		courier(1, "2026-12-01", "2026-12-01", "10:00", "14:00", 290),
		courier(1, "2026-12-01", "2026-12-01", "14:00", "18:00", 290),
		courier(1, "2026-12-02", "2026-12-02", "18:00", "22:00", 390),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("courier options mismatch (-want +got):\n%s", diff)
	}

	got, err = e.client.DeliveryOptions(ctx, laasCampaign, DeliveryOptionsRequest{Items: items, PickupPointIDs: []int64{102, 201}})
	if err != nil {
		t.Fatal(err)
	}
	pickup := func(wh, point int64, from, to string, price float64) DeliveryOption {
		return DeliveryOption{WarehouseID: wh, Type: "pickup", LogisticPointID: point, Interval: Interval{FromDate: from, ToDate: to}, Price: price, Currency: "RUR"}
	}
	want = []DeliveryOption{
		pickup(1, 102, "2026-12-01", "2026-12-02", 99),
		pickup(1, 102, "2026-12-03", "2026-12-03", 0),
		pickup(2, 201, "2026-12-02", "2026-12-03", 0),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pickup options mismatch (-want +got):\n%s", diff)
	}
	calls := e.srv.Calls()
	wantBodies := []string{
		`{"items":[{"offerId":"SAM-3L-BRASS","count":1,"warehouseId":1},{"offerId":"TEA-SET","count":2,"warehouseId":2}],"courierDelivery":{"fullAddress":"Москва, улица Льва Толстого, 16"}}`,
		`{"items":[{"offerId":"SAM-3L-BRASS","count":1,"warehouseId":1},{"offerId":"TEA-SET","count":2,"warehouseId":2}],"pickupDelivery":{"logisticPointsIds":[102,201]}}`,
	}
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	for i, c := range calls {
		if c.Path != "/v1/campaigns/22000000/delivery-options" || string(c.Body) != wantBodies[i] {
			t.Errorf("call %d: %s %s", i, c.Path, c.Body)
		}
	}

	// Both or neither way is refused before any request.
	e.srv.ResetCalls()
	for _, req := range []DeliveryOptionsRequest{
		{Items: items},
		{Items: items, CourierAddress: "Москва", PickupPointIDs: []int64{101}},
	} {
		if _, err := e.client.DeliveryOptions(ctx, laasCampaign, req); err == nil {
			t.Errorf("DeliveryOptions(%+v) succeeded, want an error", req)
		}
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Errorf("%d requests for invalid delivery-options requests, want none", n)
	}
}

func TestAuthFailures(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, sandbox.Options{}, Config{APIKey: "wrong-key"})
	_, err := e.client.GetOrder(ctx, dbsCampaign, 1001)
	if apiErr, ok := AsAPIError(err); !ok || !apiErr.AuthFailed() || apiErr.StatusCode != http.StatusForbidden {
		t.Errorf("wrong key: %v, want AuthFailed with HTTP 403", err)
	}
	if n := len(e.srv.Calls()); n != 1 {
		t.Errorf("wrong key: %d requests, want 1 (no retry)", n)
	}

	noKey, err := New(Config{Endpoint: e.url})
	if err != nil {
		t.Fatal(err)
	}
	err = noKey.SetTrack(ctx, dbsCampaign, 1001, Track{Code: "X1", DeliveryServiceID: 51})
	if apiErr, ok := AsAPIError(err); !ok || !apiErr.AuthFailed() || apiErr.StatusCode != http.StatusUnauthorized {
		t.Errorf("no key: %v, want AuthFailed with HTTP 401", err)
	}
}

func TestReadRetries(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()

	e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointGetOrder, Count: 1, Status: 500})
	e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointGetOrder, Count: 1, Status: 503})
	got, err := e.client.GetOrder(ctx, dbsCampaign, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(order1001, got); diff != "" {
		t.Errorf("order mismatch (-want +got):\n%s", diff)
	}
	e.checkCalls(t, []call{
		{"GET", "/v2/campaigns/21000000/orders/1001", []int64{1001}, 500},
		{"GET", "/v2/campaigns/21000000/orders/1001", []int64{1001}, 503},
		{"GET", "/v2/campaigns/21000000/orders/1001", []int64{1001}, 200},
	})

	// A dropped connection: the POST reads too.
	e.srv.ResetCalls()
	e.srv.DropAfterProcessing(sandbox.Fault{Endpoint: sandbox.EndpointBusinessOrders})
	orders, err := e.client.ListBusinessOrders(ctx, business, []int64{2002})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].ID != 2002 {
		t.Errorf("orders %+v, want 2002", orders)
	}
	calls := e.srv.Calls()
	if len(calls) != 2 || !calls[0].Dropped || calls[1].Dropped || calls[1].Status != 200 {
		t.Errorf("calls %+v, want a dropped one and a good one", calls)
	}

	// Retries are bounded.
	e.srv.ResetCalls()
	e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointGetCampaign, Count: 100, Status: 500})
	_, err = e.client.GetCampaign(ctx, dbsCampaign)
	if apiErr, ok := AsAPIError(err); !ok || apiErr.StatusCode != 500 {
		t.Errorf("persistent 500: %v, want the APIError", err)
	}
	if n := len(e.srv.Calls()); n != 6 {
		t.Errorf("%d requests, want MaxAttempts = 6", n)
	}
}

// TestWriteOutcomeUnknown: a write whose answer is a gateway's bare 5xx or
// is lost is never resent, and says the outcome is unknown.
func TestWriteOutcomeUnknown(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()
	track := Track{Code: "RP555RU", DeliveryServiceID: 51}
	customer := &Customer{FirstName: "Сергей", LastName: "Новиков", Phone: "+79035550109"}
	for _, tc := range []struct {
		name      string
		fault     func()
		write     func() error
		processed bool
	}{
		{"track bare 502", func() { e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointTrack, Status: 502, Bare: true}) },
			func() error { return e.client.SetTrack(ctx, dbsCampaign, 1001, track) }, false},
		{"track bare 503", func() { e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointTrack, Status: 503, Bare: true}) },
			func() error { return e.client.SetTrack(ctx, dbsCampaign, 1001, track) }, false},
		{"track dropped", func() { e.srv.DropAfterProcessing(sandbox.Fault{Endpoint: sandbox.EndpointTrack}) },
			func() error { return e.client.SetTrack(ctx, dbsCampaign, 1002, track) }, true},
		{"update bare 504", func() { e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointUpdate, Status: 504, Bare: true}) },
			func() error {
				_, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2001, Customer: customer})
				return err
			}, false},
		{"update dropped", func() { e.srv.DropAfterProcessing(sandbox.Fault{Endpoint: sandbox.EndpointUpdate}) },
			func() error {
				_, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2001, Customer: customer})
				return err
			}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.ResetCalls()
			tc.fault()
			err := tc.write()
			if !errors.Is(err, ErrOutcomeUnknown) {
				t.Fatalf("error %v, want ErrOutcomeUnknown", err)
			}
			calls := e.srv.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d requests, want exactly 1: the write must not be resent", len(calls))
			}
			if calls[0].Processed != tc.processed {
				t.Errorf("processed = %v, want %v", calls[0].Processed, tc.processed)
			}
			if apiErr, ok := AsAPIError(err); tc.processed == ok || (ok && apiErr.StatusCode < 500) {
				t.Errorf("APIError in %v: %v; want one with the 5xx exactly when the server answered", err, ok)
			}
		})
	}
	if o, _ := e.srv.Order(1002); !slices.Contains(o.Delivery.Tracks, sandbox.Track{TrackCode: "RP555RU", DeliveryServiceID: 51}) {
		t.Errorf("the dropped track write should have taken effect: %+v", o.Delivery.Tracks)
	}
}

// TestWriteAnsweredWith5xx: a 5xx that carries the API's error envelope is
// the Market's own answer: the write was not processed, the error is a
// plain APIError with its code (not an unknown outcome), and it is not
// resent.
func TestWriteAnsweredWith5xx(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{})
	ctx := context.Background()
	customer := &Customer{FirstName: "Сергей", LastName: "Новиков", Phone: "+79035550109"}
	for _, status := range []int{500, 502, 503} {
		for _, ep := range []sandbox.Endpoint{sandbox.EndpointTrack, sandbox.EndpointUpdate} {
			t.Run(fmt.Sprint(ep, status), func(t *testing.T) {
				e.srv.ResetCalls()
				e.srv.FailNext(sandbox.Fault{Endpoint: ep, Status: status})
				var err error
				if ep == sandbox.EndpointTrack {
					err = e.client.SetTrack(ctx, dbsCampaign, 1001, Track{Code: "RP555RU", DeliveryServiceID: 51})
				} else {
					_, err = e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2001, Customer: customer})
				}
				apiErr, ok := AsAPIError(err)
				if !ok || errors.Is(err, ErrOutcomeUnknown) || apiErr.StatusCode != status || apiErr.Code() != "INTERNAL_ERROR" || !apiErr.Envelope {
					t.Fatalf("error %v, want the APIError %d with its code, not an unknown outcome", err, status)
				}
				if n := len(e.srv.Calls()); n != 1 {
					t.Errorf("%d requests, want 1: not resent", n)
				}
			})
		}
	}
}

func TestWriteResentAfter420(t *testing.T) {
	var limited []RateLimit
	var mu sync.Mutex
	e := newEnv(t, sandbox.Options{}, Config{Hooks: Hooks{OnRateLimited: func(endpoint string, rl RateLimit) {
		mu.Lock()
		defer mu.Unlock()
		if endpoint != EndpointTrack {
			t.Errorf("OnRateLimited(%q), want %q", endpoint, EndpointTrack)
		}
		limited = append(limited, rl)
	}}})
	e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointTrack, Count: 2, Status: 420})
	if err := e.client.SetTrack(context.Background(), dbsCampaign, 1001, Track{Code: "RP777RU", DeliveryServiceID: 51}); err != nil {
		t.Fatal(err)
	}
	calls := e.srv.Calls()
	var processed int
	for _, c := range calls {
		if c.Processed {
			processed++
		}
	}
	if len(calls) != 3 || processed != 1 || calls[2].Status != 200 {
		t.Errorf("calls %+v, want two 420s and one processed 200", calls)
	}
	if len(limited) != 2 || limited[0].CampaignID != dbsCampaign || !limited[0].Err.RateLimited() {
		t.Errorf("OnRateLimited calls: %+v", limited)
	}
}

// count420 counts the sandbox's 420 answers.
func count420(calls []sandbox.Call) int {
	n := 0
	for _, c := range calls {
		if c.Status == StatusRateLimited {
			n++
		}
	}
	return n
}

// TestPeriodLimit420: a client that believes in a larger quota than the
// server's hits "N requests per period", waits for the server's window, and
// gets everything done.
func TestPeriodLimit420(t *testing.T) {
	var mu sync.Mutex
	var limited []RateLimit
	e := newEnv(t,
		sandbox.Options{Quotas: map[sandbox.Endpoint]sandbox.Quota{sandbox.EndpointGetOrder: {Limit: 3, Period: 200 * time.Millisecond}}},
		Config{
			Quotas: map[string]Quota{EndpointGetOrder: {Limit: 100, Period: 200 * time.Millisecond}},
			Hooks: Hooks{OnRateLimited: func(_ string, rl RateLimit) {
				mu.Lock()
				defer mu.Unlock()
				limited = append(limited, rl)
			}},
		})
	// Slow answers: all six go out before the first answer can teach the
	// client the server's limit.
	e.srv.SetLatency(sandbox.EndpointGetOrder, 30*time.Millisecond)
	ids := []int64{1001, 1002, 1003, 1004, 1005, 1006}
	getAll(t, e, ids)
	calls := e.srv.Calls()
	if count420(calls) == 0 {
		t.Fatalf("no 420 at all: the test did not exercise the period limit (calls %+v)", calls)
	}
	if ok := len(calls) - count420(calls); ok != len(ids) {
		t.Errorf("%d answered requests, want %d", ok, len(ids))
	}
	for _, rl := range limited {
		if rl.Parallel || rl.Limit != 3 || rl.Until.IsZero() || rl.CampaignID != dbsCampaign {
			t.Errorf("OnRateLimited got %+v, want the period limit of 3 with its Until", rl)
		}
	}
	if got := e.client.window(EndpointGetOrder, campaignScope(dbsCampaign)).limit; got != 3 {
		t.Errorf("the client's limit stayed %d, want the server's 3", got)
	}
}

// getAll reads the DBS orders ids all at once and requires every read to
// succeed.
func getAll(t *testing.T, e *env, ids []int64) {
	t.Helper()
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { _, errs[i] = e.client.GetOrder(context.Background(), dbsCampaign, id) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("order %d: %v", ids[i], err)
		}
	}
}

// TestParallelLimit420: "Hit rate limit of N parallel requests" lowers the
// campaign's concurrency below N, and the refused requests are retried.
func TestParallelLimit420(t *testing.T) {
	var mu sync.Mutex
	var limited []RateLimit
	e := newEnv(t, sandbox.Options{Parallel: 2}, Config{
		Parallel: 6,
		Hooks: Hooks{OnRateLimited: func(_ string, rl RateLimit) {
			mu.Lock()
			defer mu.Unlock()
			limited = append(limited, rl)
		}},
	})
	e.srv.SetLatency(sandbox.EndpointGetOrder, 30*time.Millisecond)
	ids := []int64{1001, 1002, 1003, 1004, 1005, 1006}
	getAll(t, e, ids)
	if count420(e.srv.Calls()) == 0 {
		t.Fatal("no 420 at all: the test did not exercise the parallel limit")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, rl := range limited {
		if !rl.Parallel || rl.Limit != 2 {
			t.Errorf("OnRateLimited got %+v, want the parallel limit of 2", rl)
		}
	}
	if got := e.client.gate(campaignScope(dbsCampaign)).limit(); got != 1 {
		t.Errorf("campaign concurrency = %d, want 1 (below the server's 2)", got)
	}
}

// TestPacingMatchesServerQuota is the apply benchmark in small: 200 track
// writes against a server quota of 50 per 100ms, with the client told the
// same quota. Zero 420s, and close to the bound of 4 windows.
func TestPacingMatchesServerQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	quota := Quota{Limit: 50, Period: 100 * time.Millisecond}
	var waits sync.Map
	e := newEnv(t,
		sandbox.Options{Quotas: map[sandbox.Endpoint]sandbox.Quota{sandbox.EndpointTrack: {Limit: quota.Limit, Period: quota.Period}}},
		Config{
			Quotas: map[string]Quota{EndpointTrack: quota},
			Hooks:  Hooks{OnWait: func(w Wait) { waits.Store(w.Endpoint, true) }},
		})
	const n = 200
	orders := []int64{1001, 1002, 1004, 1005, 1008, 1009} // DBS orders that take a track
	start := time.Now()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs <- e.client.SetTrack(context.Background(), dbsCampaign, orders[i%len(orders)],
				Track{Code: fmt.Sprintf("PACE%04d", i), DeliveryServiceID: 51})
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	calls := e.srv.Calls()
	if got := count420(calls); got != 0 {
		t.Errorf("%d answers were 420, want none", got)
	}
	if len(calls) != n {
		t.Errorf("%d requests, want %d", len(calls), n)
	}
	// Check the server's view directly too: no 100ms span holds 51 arrivals.
	var arrivals []time.Time
	for _, c := range calls {
		arrivals = append(arrivals, c.Time)
	}
	slices.SortFunc(arrivals, time.Time.Compare)
	for i := quota.Limit; i < len(arrivals); i++ {
		if span := arrivals[i].Sub(arrivals[i-quota.Limit]); span < quota.Period {
			t.Errorf("arrivals %d..%d within %v", i-quota.Limit, i, span)
			break
		}
	}
	if _, ok := waits.Load(EndpointTrack); !ok {
		t.Error("OnWait was never called, though the limiter must have held requests")
	}
	bound := time.Duration(n/quota.Limit) * quota.Period // 400ms
	t.Logf("%d writes at %d per %v: %v (bound %v, %.2fx)", n, quota.Limit, quota.Period, elapsed, bound, float64(elapsed)/float64(bound))
	// The window adds a round trip per period and the parallel cap drains
	// each burst; under the race detector those round trips are far slower.
	tolerance := 1.1
	if raceEnabled {
		tolerance = 1.5
	}
	if float64(elapsed) > tolerance*float64(bound) {
		t.Errorf("took %v, want within %.1fx of %v", elapsed, tolerance, bound)
	}
}

func TestDebugLogHasRequestsButNoKey(t *testing.T) {
	var log bytes.Buffer
	e := newEnv(t, sandbox.Options{}, Config{DebugLog: &syncWriter{w: &log}})
	ctx := context.Background()
	if _, err := e.client.GetOrder(ctx, dbsCampaign, 1001); err != nil {
		t.Fatal(err)
	}
	if err := e.client.SetTrack(ctx, dbsCampaign, 1001, Track{Code: "RP999RU", DeliveryServiceID: 51}); err != nil {
		t.Fatal(err)
	}
	e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointGetCampaign, Status: 503})
	if _, err := e.client.GetCampaign(ctx, dbsCampaign); err != nil {
		t.Fatal(err)
	}
	text := log.String()
	if strings.Contains(text, testKey) {
		t.Fatalf("the debug log contains the API key:\n%s", text)
	}
	// Personal data stays out of the log as well: the GET answer carries
	// the recipient's names, phone and address.
	o, _ := e.srv.Order(1001)
	for _, pd := range []string{o.Buyer.LastName, o.Buyer.FirstName, o.Delivery.Address.Phone, o.Delivery.Address.Street} {
		if pd == "" || strings.Contains(text, pd) {
			t.Errorf("the debug log contains personal data %q (or the seed lacks it)", pd)
		}
	}
	if !strings.Contains(text, `"phone":"***"`) {
		t.Errorf("the debug log should show that a phone was there, masked:\n%s", text)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 8 { // 4 requests (one retried), each a request and a response line
		t.Errorf("%d log lines, want 8:\n%s", len(lines), text)
	}
	for _, want := range []string{
		"-> GET " + e.url + "/v2/campaigns/21000000/orders/1001 Api-Key=REDACTED",
		"<- GET " + e.url + "/v2/campaigns/21000000/orders/1001 200 ",
		"-> POST " + e.url + "/v2/campaigns/21000000/orders/1001/delivery/track Api-Key=REDACTED body={\"trackCode\":\"RP999RU\",\"deliveryServiceId\":51}",
		"<- GET " + e.url + "/v2/campaigns/21000000 503 ",
		`remaining="`,
		`until="`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("debug log lacks %q:\n%s", want, text)
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestLimiterWaitIsBoundedByContext(t *testing.T) {
	var waited time.Duration
	e := newEnv(t, sandbox.Options{}, Config{
		Quotas: map[string]Quota{EndpointGetCampaign: {Limit: 1, Period: time.Hour}},
		Hooks:  Hooks{OnWait: func(w Wait) { waited = w.Duration }},
	})
	if _, err := e.client.GetCampaign(context.Background(), dbsCampaign); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.client.GetCampaign(ctx, dbsCampaign)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second call within the hour: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned after %v, want right after the deadline", d)
	}
	if waited < 59*time.Minute {
		t.Errorf("OnWait reported %v, want about an hour", waited)
	}
	if n := len(e.srv.Calls()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
