package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// A 2xx answer that is not the documented shape is an error naming the
// endpoint and what is wrong, after one request: never an empty list read
// as "no such order", and never retried (the same answer would come back).
func TestMalformedAnswers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		body string
		call func(c *Client) error
		want string
	}{
		{"business orders {}", `{}`,
			func(c *Client) error { _, err := c.ListBusinessOrders(ctx, 9000000, []int64{1001}); return err },
			"POST v1/businesses/{businessId}/orders answered 200 with a body that is not the documented shape: missing orders"},
		{"business orders null", `{"orders": null, "paging": {}}`,
			func(c *Client) error { _, err := c.ListBusinessOrders(ctx, 9000000, []int64{1001}); return err },
			"missing orders"},
		{"business order without its campaign", `{"orders": [{"orderId": 1001, "status": "PROCESSING"}]}`,
			func(c *Client) error { _, err := c.ListBusinessOrders(ctx, 9000000, []int64{1001}); return err },
			"missing orders[0].campaignId"},
		{"business orders of the wrong type", `{"orders": {"orderId": 1001}}`,
			func(c *Client) error { _, err := c.ListBusinessOrders(ctx, 9000000, []int64{1001}); return err },
			"orders is a JSON object, want an array"},
		{"campaign orders {}", `{}`,
			func(c *Client) error { _, err := c.ListCampaignOrders(ctx, 21000000, []int64{1001}); return err },
			"GET v2/campaigns/{campaignId}/orders answered 200 with a body that is not the documented shape: missing orders"},
		{"campaign order id of the wrong type", `{"orders": [{"id": "1001", "status": "PROCESSING"}]}`,
			func(c *Client) error { _, err := c.ListCampaignOrders(ctx, 21000000, []int64{1001}); return err },
			"orders.id is a JSON string, want a number"},
		{"one order {}", `{}`,
			func(c *Client) error { _, err := c.GetOrder(ctx, 21000000, 1001); return err },
			"GET v2/campaigns/{campaignId}/orders/{orderId} answered 200 with a body that is not the documented shape: missing order"},
		{"one order without status", `{"order": {"id": 1001}}`,
			func(c *Client) error { _, err := c.GetOrder(ctx, 21000000, 1001); return err },
			"missing order.status"},
		{"campaign {}", `{}`,
			func(c *Client) error { _, err := c.GetCampaign(ctx, 21000000); return err },
			"GET v2/campaigns/{campaignId} answered 200 with a body that is not the documented shape: missing campaign"},
		{"update options with a null result", `{"status": "OK", "result": null}`,
			func(c *Client) error { _, err := c.UpdateOptions(ctx, 22000000, 2001); return err },
			"POST v1/campaigns/{campaignId}/orders/update-options answered 200 with a body that is not the documented shape: missing result.deliveryIntervals.availableDeliveryIntervals"},
		{"update options without a time", `{"result": {"deliveryIntervals": {"availableDeliveryIntervals": [{"deliveryDateInterval": {"fromDate": "2026-11-26", "toDate": "2026-11-26"}}]}}}`,
			func(c *Client) error { _, err := c.UpdateOptions(ctx, 22000000, 2001); return err },
			"missing result.deliveryIntervals.availableDeliveryIntervals[0].deliveryTimeInterval"},
		{"operations {}", `{}`,
			func(c *Client) error {
				_, err := c.Operations(ctx, 9000000, OperationIntervalUpdate, []string{"op-1"})
				return err
			},
			"POST v1/businesses/{businessId}/operations answered 200 with a body that is not the documented shape: missing result.operations"},
		{"operation without status", `{"result": {"operations": [{"id": "op-1", "type": "ORDER_DELIVERY_INTERVAL_UPDATE"}]}}`,
			func(c *Client) error {
				_, err := c.Operations(ctx, 9000000, OperationIntervalUpdate, []string{"op-1"})
				return err
			},
			"missing result.operations[0].status"},
		{"delivery options {}", `{}`,
			func(c *Client) error {
				_, err := c.DeliveryOptions(ctx, 21000000, DeliveryOptionsRequest{CourierAddress: "Москва", Items: []Item{{OfferID: "a", Count: 1}}})
				return err
			},
			"POST v1/campaigns/{campaignId}/delivery-options answered 200 with a body that is not the documented shape: missing result.warehousesDeliveryOptions"},
		{"not JSON", `<html>ok</html>`,
			func(c *Client) error { _, err := c.ListBusinessOrders(ctx, 9000000, []int64{1001}); return err },
			"answered 200 with a body that is not the documented shape: not JSON: invalid character '<'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				fmt.Fprint(w, tc.body)
			})
			defer srv.Close()
			c, err := New(Config{Endpoint: srv.URL, APIKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			err = tc.call(c)
			var me *MalformedAnswerError
			if !errors.As(err, &me) {
				t.Fatalf("error = %v, want a MalformedAnswerError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
			if _, ok := AsAPIError(err); ok {
				t.Errorf("a 200 answer is not an APIError (not found, refused...): %v", err)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// An orders/update answered 200 was processed, but a body that does not
// name the operations it started leaves its outcome unknown: it is never
// resent, and the caller re-reads the order.
func TestMalformedWriteAnswerIsOutcomeUnknown(t *testing.T) {
	var requests atomic.Int32
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprint(w, `{"status": "OK"}`)
	})
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateOrder(context.Background(), 22000000, OrderUpdate{OrderID: 2001, Interval: &Interval{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "10:00", ToTime: "14:00"}})
	var me *MalformedAnswerError
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &me) || me.Problem != "missing result.operations" {
		t.Errorf("error = %v, want an outcome unknown for a malformed answer", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
