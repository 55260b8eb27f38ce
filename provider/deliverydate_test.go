package provider

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

// SetDeliveryDate sends PUT delivery/date with the date and the reason;
// the order then answers the new date (as DD-MM-YYYY); a refusal is the
// API's error with its code, a gateway's bare 5xx an unknown outcome, and
// neither is sent twice.
func TestSetDeliveryDate(t *testing.T) {
	today := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, sandbox.Options{Now: func() time.Time { return today }}, Config{})
	ctx := context.Background()

	if err := e.client.SetDeliveryDate(ctx, dbsCampaign, 1001, DeliveryDate{ToDate: "2026-12-05", Reason: DeliveryDateUserMoved}); err != nil {
		t.Fatal(err)
	}
	e.checkCalls(t, []call{{Method: "PUT", Path: "/v2/campaigns/21000000/orders/1001/delivery/date", OrderIDs: []int64{1001}, Status: 200}})
	o, err := e.client.GetOrder(ctx, dbsCampaign, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if o.Delivery.Dates.ToDate != "05-12-2026" {
		t.Errorf("toDate after the move = %q, want 05-12-2026", o.Delivery.Dates.ToDate)
	}

	// 1005 is in PICKUP: the Market refuses, with its code.
	e.srv.ResetCalls()
	err = e.client.SetDeliveryDate(ctx, dbsCampaign, 1005, DeliveryDate{ToDate: "2026-12-05", Reason: DeliveryDateUserMoved})
	if ae, ok := AsAPIError(err); !ok || ae.Code() != "STATUS_NOT_ALLOWED" || !ae.Rejected() || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("error %v, want the API's STATUS_NOT_ALLOWED", err)
	}
	if n := len(e.srv.Calls()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	e.srv.ResetCalls()
	e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.Endpoint(EndpointDeliveryDate), Status: 504, Bare: true})
	err = e.client.SetDeliveryDate(ctx, dbsCampaign, 1004, DeliveryDate{ToDate: "2026-12-05", Reason: DeliveryDatePartnerMoved})
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("error %v, want ErrOutcomeUnknown", err)
	}
	if n := len(e.srv.Calls()); n != 1 {
		t.Errorf("%d requests, want 1: a write without an answer is not resent", n)
	}
}
