package provider

import (
	"context"
	"testing"

	"github.com/orderform/orderform/provider/sandbox"
)

// Every request names the integration, reads and writes, and each retry
// of one too: the seller's request log shows orderform and its version.
func TestEveryRequestNamesTheIntegration(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, Config{Version: "1.4.2"})
	e.srv.FailNext(sandbox.Fault{Endpoint: sandbox.EndpointBusinessOrders, Count: 1}) // a 500, retried
	ctx := context.Background()
	iv := Interval{FromDate: "2026-11-28", ToDate: "2026-11-28", FromTime: "10:00", ToTime: "14:00"}
	steps := []func() error{
		func() error { _, err := e.client.GetCampaign(ctx, dbsCampaign); return err },
		func() error { _, err := e.client.ListBusinessOrders(ctx, business, []int64{1001}); return err },
		func() error { _, err := e.client.ListCampaignOrders(ctx, dbsCampaign, []int64{1001}); return err },
		func() error { _, err := e.client.GetOrder(ctx, dbsCampaign, 1001); return err },
		func() error {
			return e.client.SetTrack(ctx, dbsCampaign, 1001, Track{Code: "RP123456789RU", DeliveryServiceID: 51})
		},
		func() error { _, err := e.client.UpdateOptions(ctx, laasCampaign, 2001); return err },
		func() error {
			_, err := e.client.UpdateOrder(ctx, laasCampaign, OrderUpdate{OrderID: 2001, Interval: &iv})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	calls := e.srv.Calls()
	if len(calls) != len(steps)+1 {
		t.Fatalf("%d requests recorded, want %d (one retried)", len(calls), len(steps)+1)
	}
	for _, c := range calls {
		if c.Integration != "orderform/1.4.2" {
			t.Errorf("%s %s: X-Market-Integration %q, want orderform/1.4.2", c.Method, c.Path, c.Integration)
		}
	}
}

func TestIntegrationValue(t *testing.T) {
	for version, want := range map[string]string{
		"":                   "orderform/dev",
		"1.4.2":              "orderform/1.4.2",
		"0.1.0-dev+g1a2b3c4": "orderform/0.1.0-dev+g1a2b3c4",
		"1.0 beta\r\nX: y":   "orderform/1.0_beta__X__y",
	} {
		if got := Integration(version); got != want {
			t.Errorf("Integration(%q) = %q, want %q", version, got, want)
		}
	}
}
