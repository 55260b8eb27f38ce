package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// Batch sizes the API accepts.
const (
	ordersBatch     = 50  // orderIds of both order lists, and their page limit
	operationsBatch = 100 // operationIds of the operations endpoint
	maxPages        = 1000
)

// GetOrder reads one order from its campaign (GET v2/campaigns/{campaignId}/orders/{orderId}).
// Dates come as the endpoint sends them, DD-MM-YYYY; the recipient is included.
func (c *Client) GetOrder(ctx context.Context, campaignID, orderID int64) (Order, error) {
	r := &request{
		endpoint: EndpointGetOrder,
		method:   "GET",
		template: "v2/campaigns/{campaignId}/orders/{orderId}",
		path:     fmt.Sprintf("v2/campaigns/%d/orders/%d", campaignID, orderID),
		scope:    campaignScope(campaignID),
		order:    orderID,
	}
	var resp getOrderResponse
	if err := c.do(ctx, r, &resp); err != nil {
		return Order{}, fmt.Errorf("get order %d: %w", orderID, err)
	}
	return resp.Order.order(campaignID), nil
}

// ListCampaignOrders reads the given orders of one campaign
// (GET v2/campaigns/{campaignId}/orders), 50 IDs a request, following the
// pages. An order the campaign does not have is simply absent.
func (c *Client) ListCampaignOrders(ctx context.Context, campaignID int64, orderIDs []int64) ([]Order, error) {
	orders := make([]Order, 0, len(orderIDs))
	seen := make(map[int64]bool, len(orderIDs))
	for _, batch := range batches(unique(orderIDs), ordersBatch) {
		// The spec's orderIds is an array in the query, written as OpenAPI
		// writes one by default (form, exploded): orderIds=1&orderIds=2.
		ids := make([]string, len(batch))
		for i, id := range batch {
			ids[i] = strconv.FormatInt(id, 10)
		}
		err := paginate(func(token string) (string, error) {
			q := url.Values{"orderIds": ids, "limit": {strconv.Itoa(ordersBatch)}}
			if token != "" {
				q.Set("pageToken", token)
			}
			r := &request{
				endpoint: EndpointListOrders,
				method:   "GET",
				template: "v2/campaigns/{campaignId}/orders",
				path:     fmt.Sprintf("v2/campaigns/%d/orders", campaignID),
				query:    q,
				scope:    campaignScope(campaignID),
			}
			var resp getOrdersResponse
			if err := c.do(ctx, r, &resp); err != nil {
				return "", err
			}
			n := len(orders)
			for i := range resp.Orders {
				if o := &resp.Orders[i]; !seen[o.ID] {
					seen[o.ID] = true
					orders = append(orders, o.order(campaignID))
				}
			}
			c.shared.share(orders[n:])
			return resp.Paging.NextPageToken, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list orders of campaign %d: %w", campaignID, err)
		}
	}
	return orders, nil
}

// ListBusinessOrders reads the given orders across the business's campaigns
// (POST v1/businesses/{businessId}/orders), 50 IDs a request, following the
// pages. These orders carry their campaign and selling model, YYYY-MM-DD
// dates, and no recipient (HasRecipient is false).
func (c *Client) ListBusinessOrders(ctx context.Context, businessID int64, orderIDs []int64) ([]Order, error) {
	orders := make([]Order, 0, len(orderIDs))
	seen := make(map[int64]bool, len(orderIDs))
	for _, batch := range batches(unique(orderIDs), ordersBatch) {
		err := paginate(func(token string) (string, error) {
			q := url.Values{"limit": {strconv.Itoa(ordersBatch)}}
			if token != "" {
				q.Set("pageToken", token)
			}
			r := &request{
				endpoint: EndpointBusinessOrders,
				method:   "POST",
				template: "v1/businesses/{businessId}/orders",
				path:     fmt.Sprintf("v1/businesses/%d/orders", businessID),
				query:    q,
				body:     businessOrdersRequest{OrderIDs: batch},
				scope:    businessScope(businessID),
			}
			var resp businessOrdersResponse
			if err := c.do(ctx, r, &resp); err != nil {
				return "", err
			}
			n := len(orders)
			for i := range resp.Orders {
				if o := &resp.Orders[i]; !seen[o.OrderID] {
					seen[o.OrderID] = true
					orders = append(orders, o.order())
				}
			}
			c.shared.share(orders[n:])
			return resp.Paging.NextPageToken, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list orders of business %d: %w", businessID, err)
		}
	}
	return orders, nil
}

// GetCampaign reads a campaign (GET v2/campaigns/{campaignId}); Model is its
// placementType.
func (c *Client) GetCampaign(ctx context.Context, campaignID int64) (Campaign, error) {
	r := &request{
		endpoint: EndpointGetCampaign,
		method:   "GET",
		template: "v2/campaigns/{campaignId}",
		path:     fmt.Sprintf("v2/campaigns/%d", campaignID),
		scope:    campaignScope(campaignID),
	}
	var resp getCampaignResponse
	if err := c.do(ctx, r, &resp); err != nil {
		return Campaign{}, fmt.Errorf("get campaign %d: %w", campaignID, err)
	}
	cp := resp.Campaign
	return Campaign{ID: cp.ID, BusinessID: cp.Business.ID, Model: cp.PlacementType, Name: cp.Domain}, nil
}

// SetTrack hands the parcel's track code to the market
// (POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track). It is a
// write: resent only after a 420; after a timeout, a dropped connection or a
// 5xx the error wraps ErrOutcomeUnknown.
func (c *Client) SetTrack(ctx context.Context, campaignID, orderID int64, t Track) error {
	r := &request{
		endpoint: EndpointTrack,
		method:   "POST",
		template: "v2/campaigns/{campaignId}/orders/{orderId}/delivery/track",
		path:     fmt.Sprintf("v2/campaigns/%d/orders/%d/delivery/track", campaignID, orderID),
		body:     t,
		scope:    campaignScope(campaignID),
		order:    orderID,
		write:    true,
	}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("set track for order %d: %w", orderID, err)
	}
	return nil
}

// SetDeliveryDate moves a DBS order's delivery to another day
// (PUT v2/campaigns/{campaignId}/orders/{orderId}/delivery/date). The
// Market applies it before it answers, like a track. It is a write: resent
// only after a 420; after a timeout, a dropped connection or a bare 5xx the
// error wraps ErrOutcomeUnknown.
func (c *Client) SetDeliveryDate(ctx context.Context, campaignID, orderID int64, d DeliveryDate) error {
	type dates struct {
		ToDate string `json:"toDate"`
	}
	r := &request{
		endpoint: EndpointDeliveryDate,
		method:   "PUT",
		template: "v2/campaigns/{campaignId}/orders/{orderId}/delivery/date",
		path:     fmt.Sprintf("v2/campaigns/%d/orders/%d/delivery/date", campaignID, orderID),
		body: struct {
			Dates  dates  `json:"dates"`
			Reason string `json:"reason"`
		}{dates{d.ToDate}, d.Reason},
		scope: campaignScope(campaignID),
		order: orderID,
		write: true,
	}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("set delivery date for order %d: %w", orderID, err)
	}
	return nil
}

// UpdateOptions lists the courier delivery intervals the order may be moved to
// (POST v1/campaigns/{campaignId}/orders/update-options). None available is an
// empty list, not an error.
func (c *Client) UpdateOptions(ctx context.Context, campaignID, orderID int64) ([]Interval, error) {
	r := &request{
		endpoint: EndpointUpdateOptions,
		method:   "POST",
		template: "v1/campaigns/{campaignId}/orders/update-options",
		path:     fmt.Sprintf("v1/campaigns/%d/orders/update-options", campaignID),
		body:     updateOptionsRequest{ID: orderID, Option: "UPDATE_DELIVERY_INTERVAL"},
		scope:    campaignScope(campaignID),
		order:    orderID,
	}
	var resp updateOptionsResponse
	if err := c.do(ctx, r, &resp); err != nil {
		return nil, fmt.Errorf("get delivery intervals for order %d: %w", orderID, err)
	}
	available := resp.Result.DeliveryIntervals.Available
	intervals := make([]Interval, len(available))
	for i, a := range available {
		intervals[i] = a.interval()
	}
	return intervals, nil
}

// UpdateOrder asks for a new delivery interval and/or recipient
// (POST v1/campaigns/{campaignId}/orders/update) and returns the asynchronous
// operations it started. It is a write, retried only after a 420; an error
// wrapping ErrOutcomeUnknown means it may have been applied.
func (c *Client) UpdateOrder(ctx context.Context, campaignID int64, u OrderUpdate) ([]Operation, error) {
	if u.Interval == nil && u.Customer == nil {
		return nil, fmt.Errorf("update order %d: nothing to update", u.OrderID)
	}
	body := updateOrderRequest{Order: updateOrderDTO{ID: u.OrderID, Customer: u.Customer}}
	if u.Interval != nil {
		body.Order.DeliveryInterval = newIntervalDTO(*u.Interval)
	}
	r := &request{
		endpoint: EndpointUpdate,
		method:   "POST",
		template: "v1/campaigns/{campaignId}/orders/update",
		path:     fmt.Sprintf("v1/campaigns/%d/orders/update", campaignID),
		body:     body,
		scope:    campaignScope(campaignID),
		order:    u.OrderID,
		write:    true,
	}
	var resp updateOrderResponse
	if err := c.do(ctx, r, &resp); err != nil {
		return nil, fmt.Errorf("update order %d: %w", u.OrderID, err)
	}
	return operations(operationsResponse(resp)), nil
}

// Operations reads the status of asynchronous operations of one type
// (POST v1/businesses/{businessId}/operations), 100 unique IDs a request.
// An operation the API does not know is absent.
func (c *Client) Operations(ctx context.Context, businessID int64, opType string, ids []string) ([]Operation, error) {
	if opType == "" {
		return nil, errors.New("get operations: no operation type")
	}
	var ops []Operation
	for _, batch := range batches(unique(ids), operationsBatch) {
		r := &request{
			endpoint: EndpointOperations,
			method:   "POST",
			template: "v1/businesses/{businessId}/operations",
			path:     fmt.Sprintf("v1/businesses/%d/operations", businessID),
			body:     operationsRequest{OperationType: opType, OperationIDs: batch},
			scope:    businessScope(businessID),
		}
		var resp operationsResponse
		if err := c.do(ctx, r, &resp); err != nil {
			return nil, fmt.Errorf("get operations of business %d: %w", businessID, err)
		}
		ops = append(ops, operations(resp)...)
	}
	return ops, nil
}

func operations(resp operationsResponse) []Operation {
	ops := make([]Operation, len(resp.Result.Operations))
	for i, o := range resp.Result.Operations {
		ops[i] = Operation(o)
	}
	return ops
}

// DeliveryOptions asks how items could be delivered, by courier to an address
// or to pickup points (POST v1/campaigns/{campaignId}/delivery-options), and
// flattens the answer into one DeliveryOption per warehouse and way.
func (c *Client) DeliveryOptions(ctx context.Context, campaignID int64, req DeliveryOptionsRequest) ([]DeliveryOption, error) {
	if (req.CourierAddress == "") == (len(req.PickupPointIDs) == 0) {
		return nil, fmt.Errorf("get delivery options of campaign %d: want exactly one of a courier address and pickup points", campaignID)
	}
	body := deliveryOptionsRequest{Items: make([]deliveryItemDTO, len(req.Items))}
	for i, it := range req.Items {
		body.Items[i] = deliveryItemDTO(it)
	}
	if req.CourierAddress != "" {
		body.CourierDelivery = &courierRequestDTO{FullAddress: req.CourierAddress}
	} else {
		body.PickupDelivery = &pickupRequestDTO{LogisticPointsIDs: req.PickupPointIDs}
	}
	r := &request{
		endpoint: EndpointDeliveryOptions,
		method:   "POST",
		template: "v1/campaigns/{campaignId}/delivery-options",
		path:     fmt.Sprintf("v1/campaigns/%d/delivery-options", campaignID),
		body:     body,
		scope:    campaignScope(campaignID),
	}
	var resp deliveryOptionsResponse
	if err := c.do(ctx, r, &resp); err != nil {
		return nil, fmt.Errorf("get delivery options of campaign %d: %w", campaignID, err)
	}
	var opts []DeliveryOption
	for _, wh := range resp.Result.Warehouses {
		for _, o := range wh.DeliveryOptions.Courier.Options {
			opts = append(opts, DeliveryOption{
				WarehouseID: wh.WarehouseID,
				Type:        "courier",
				Interval:    intervalDTO{Date: o.Date, Time: o.Time}.interval(),
				Price:       o.Price.Value,
				Currency:    o.Price.CurrencyID,
			})
		}
		for _, p := range wh.DeliveryOptions.Pickup.Options {
			for _, o := range p.Options {
				opts = append(opts, DeliveryOption{
					WarehouseID:     wh.WarehouseID,
					Type:            "pickup",
					LogisticPointID: p.LogisticPointID,
					Interval:        Interval{FromDate: o.Date.FromDate, ToDate: o.Date.ToDate},
					Price:           o.Price.Value,
					Currency:        o.Price.CurrencyID,
				})
			}
		}
	}
	return opts, nil
}

// paginate calls page with "" and then with each next-page token until there
// is none.
func paginate(page func(token string) (next string, err error)) error {
	token := ""
	seen := make(map[string]bool)
	for range maxPages {
		next, err := page(token)
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if seen[next] {
			return fmt.Errorf("page token %q repeats", next)
		}
		seen[next] = true
		token = next
	}
	return fmt.Errorf("more than %d pages", maxPages)
}

// unique returns ids without repeats, in their first order.
func unique[T comparable](ids []T) []T {
	seen := make(map[T]bool, len(ids))
	var out []T
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// OrderBatches splits order IDs into the batches one list call takes (both
// order lists take 50): a caller that reads them concurrently splits them
// the way the client would.
func OrderBatches(ids []int64) [][]int64 { return batches(ids, ordersBatch) }

// batches splits ids into slices of at most n.
func batches[T any](ids []T, n int) [][]T {
	var out [][]T
	for len(ids) > n {
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
