package sandbox

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The write side and the LaaS helpers: track (DBS, synchronous),
// update-options, update (asynchronous operations), operations,
// delivery-options.

// The spec and the seeds document no 404 for update-options, update,
// operations and delivery-options: there a campaign or business of the path
// the server does not know is one the key has no access to (403), and an
// order of the body it does not know is bad data (400).

func forbiddenIfNotFound(err *apiError) *apiError {
	if err.status == http.StatusNotFound {
		return newAPIError(http.StatusForbidden, "FORBIDDEN", "%s, or the API key has no access to it", err.errs[0].Message)
	}
	return err
}

func badDataIfNotFound(err *apiError) *apiError {
	if err.status == http.StatusNotFound {
		err.status = http.StatusBadRequest
	}
	return err
}

// campaignWithModel finds a campaign (404) of the selling model a method is
// for (400 CAMPAIGN_TYPE_NOT_SUPPORTED otherwise).
func (s *Server) campaignWithModel(id int64, model string) (*Campaign, *apiError) {
	c, err := s.campaignOf(id)
	if err != nil {
		return nil, err
	}
	if c.PlacementType != model {
		return nil, newAPIError(http.StatusBadRequest, "CAMPAIGN_TYPE_NOT_SUPPORTED",
			"campaign %d is %s: this method is available only for %s campaigns", c.ID, c.PlacementType, model)
	}
	return c, nil
}

// terminal reports a status after which orders/update refuses changes.
func terminal(status string) bool {
	return slices.Contains([]string{"DELIVERED", "CANCELLED", "PARTIALLY_RETURNED", "RETURNED"}, status)
}

func (s *Server) setTrack(rt route, body []byte, now time.Time) response {
	c, err := s.campaignWithModel(rt.campaignID, "DBS")
	if err != nil {
		return err.response()
	}
	var req struct {
		TrackCode         *string `json:"trackCode"`
		DeliveryServiceID *int64  `json:"deliveryServiceId"`
	}
	if err := decodeBody(body, &req); err != nil {
		return err.response()
	}
	var bad *apiError
	switch {
	case req.TrackCode == nil:
		bad = bad.add("BAD_REQUEST", "trackCode is required")
	case strings.TrimSpace(*req.TrackCode) == "" || !utf8.ValidString(*req.TrackCode):
		bad = bad.add("BAD_REQUEST", "trackCode must not be empty")
	}
	switch {
	case req.DeliveryServiceID == nil:
		bad = bad.add("BAD_REQUEST", "deliveryServiceId is required")
	case *req.DeliveryServiceID < 1:
		bad = bad.add("BAD_REQUEST", "deliveryServiceId must be a positive integer")
	}
	if bad != nil {
		return bad.response()
	}
	o, err := s.orderIn(c, rt.orderID)
	if err != nil {
		return err.response()
	}
	if !slices.Contains([]string{"PROCESSING", "DELIVERY", "PICKUP"}, o.Status) {
		return newAPIError(http.StatusBadRequest, "STATUS_NOT_ALLOWED",
			"order %d is in status %s: a track can be set only in status PROCESSING, DELIVERY or PICKUP", o.ID, o.Status).response()
	}
	track := Track{TrackCode: *req.TrackCode, DeliveryServiceID: *req.DeliveryServiceID}
	if other := s.trackHolder(c.ID, track, o.ID); other != 0 {
		return newAPIError(http.StatusBadRequest, "TRACK_CODE_ALREADY_USED",
			"track %s of delivery service %d is already used by order %d", track.TrackCode, track.DeliveryServiceID, other).response()
	}
	i := slices.IndexFunc(o.Delivery.Tracks, func(t Track) bool { return t.DeliveryServiceID == track.DeliveryServiceID })
	switch {
	case i < 0:
		s.unindexTracks(o)
		o.Delivery.Tracks = append(o.Delivery.Tracks, track)
		s.indexTracks(o)
		bumpUpdatedAt(o, now)
	case o.Delivery.Tracks[i] != track:
		s.unindexTracks(o)
		o.Delivery.Tracks[i] = track
		s.indexTracks(o)
		bumpUpdatedAt(o, now)
	}
	return ok(okBody{Status: "OK"})
}

// deliveryDateReasons are the values of OrderDeliveryDateReasonType.
func deliveryDateReasons() []string {
	return []string{"USER_MOVED_DELIVERY_DATES", "PARTNER_MOVED_DELIVERY_DATES"}
}

// setDeliveryDate is setOrderDeliveryDate: a DBS order in PROCESSING or
// DELIVERY gets a new delivery date at once. A move the shop causes
// (PARTNER_MOVED_DELIVERY_DATES) counts; with Options.PartnerMovesLimit the
// move that reaches the limit cancels the order.
func (s *Server) setDeliveryDate(rt route, body []byte, now time.Time) response {
	c, err := s.campaignWithModel(rt.campaignID, "DBS")
	if err != nil {
		return err.response()
	}
	var req struct {
		Dates *struct {
			ToDate *string `json:"toDate"`
		} `json:"dates"`
		Reason *string `json:"reason"`
	}
	if err := decodeBody(body, &req); err != nil {
		return err.response()
	}
	var bad *apiError
	today := now.In(moscow()).Format(time.DateOnly)
	switch {
	case req.Dates == nil:
		bad = bad.add("BAD_REQUEST", "dates is required")
	case req.Dates.ToDate == nil:
		bad = bad.add("BAD_REQUEST", "dates.toDate is required")
	case !isDate(*req.Dates.ToDate):
		bad = bad.add("BAD_REQUEST", "dates.toDate %q is not a date (want YYYY-MM-DD)", *req.Dates.ToDate)
	case *req.Dates.ToDate < today:
		bad = bad.add("BAD_REQUEST", "dates.toDate %s is in the past (today is %s)", *req.Dates.ToDate, today)
	}
	switch {
	case req.Reason == nil:
		bad = bad.add("BAD_REQUEST", "reason is required")
	case !slices.Contains(deliveryDateReasons(), *req.Reason):
		bad = bad.add("BAD_REQUEST", "reason %q is not one of %s", *req.Reason, strings.Join(deliveryDateReasons(), ", "))
	}
	if bad != nil {
		return bad.response()
	}
	o, err := s.orderIn(c, rt.orderID)
	if err != nil {
		return err.response()
	}
	if !slices.Contains([]string{"PROCESSING", "DELIVERY"}, o.Status) {
		return newAPIError(http.StatusBadRequest, "STATUS_NOT_ALLOWED",
			"order %d is in status %s: the delivery date can be changed only in status PROCESSING or DELIVERY", o.ID, o.Status).response()
	}
	to := *req.Dates.ToDate
	if d := &o.Delivery.Dates; d.ToDate != to {
		before := markOf(o)
		d.ToDate = to
		d.FromDate = min(d.FromDate, to) // the interval stays an interval
		if *req.Reason == "PARTNER_MOVED_DELIVERY_DATES" {
			o.PartnerDateMoves++
			if s.partnerMovesLimit > 0 && o.PartnerDateMoves >= s.partnerMovesLimit {
				o.Status, o.Substatus = "CANCELLED", "TOO_MANY_DELIVERY_DATE_CHANGES"
			}
		}
		bumpUpdatedAt(o, now)
		s.noticeChange(before, o)
	}
	return ok(okBody{Status: "OK"})
}

type dateIntervalDTO struct {
	FromDate string `json:"fromDate"`
	ToDate   string `json:"toDate"`
}

type timeIntervalDTO struct {
	FromTime string `json:"fromTime"`
	ToTime   string `json:"toTime"`
}

type intervalDTO struct {
	DeliveryDateInterval dateIntervalDTO `json:"deliveryDateInterval"`
	DeliveryTimeInterval timeIntervalDTO `json:"deliveryTimeInterval"`
}

type updateOptionsBody struct {
	Status string `json:"status"`
	Result struct {
		DeliveryIntervals struct {
			AvailableDeliveryIntervals []intervalDTO `json:"availableDeliveryIntervals"`
		} `json:"deliveryIntervals"`
	} `json:"result"`
}

func (s *Server) updateOptions(rt route, body []byte) response {
	c, err := s.campaignWithModel(rt.campaignID, "LAAS")
	if err != nil {
		return forbiddenIfNotFound(err).response()
	}
	var req struct {
		ID                *int64  `json:"id"`
		OrderUpdateOption *string `json:"orderUpdateOption"`
	}
	if err := decodeBody(body, &req); err != nil {
		return err.response()
	}
	var bad *apiError
	switch {
	case req.ID == nil:
		bad = bad.add("BAD_REQUEST", "id is required")
	case *req.ID < 1:
		bad = bad.add("BAD_REQUEST", "id must be a positive integer")
	}
	if opt := req.OrderUpdateOption; opt != nil && *opt != "UPDATE_DELIVERY_INTERVAL" {
		bad = bad.add("BAD_REQUEST", "orderUpdateOption %q is not supported: the only value is UPDATE_DELIVERY_INTERVAL", *opt)
	}
	if bad != nil {
		return bad.response()
	}
	o, err := s.orderIn(c, *req.ID)
	if err != nil {
		return badDataIfNotFound(err).response()
	}
	var out updateOptionsBody
	out.Status = "OK"
	out.Result.DeliveryIntervals.AvailableDeliveryIntervals = []intervalDTO{}
	if !terminal(o.Status) {
		for _, iv := range o.AvailableIntervals {
			out.Result.DeliveryIntervals.AvailableDeliveryIntervals = append(
				out.Result.DeliveryIntervals.AvailableDeliveryIntervals, intervalView(iv))
		}
	}
	return ok(out)
}

func intervalView(iv Interval) intervalDTO {
	return intervalDTO{
		DeliveryDateInterval: dateIntervalDTO{FromDate: iv.FromDate, ToDate: iv.ToDate},
		DeliveryTimeInterval: timeIntervalDTO{FromTime: iv.FromTime, ToTime: iv.ToTime},
	}
}

// updateRequest is the body of orders/update; pointers tell a missing field
// from an empty one.
type updateRequest struct {
	Order *struct {
		ID               *int64 `json:"id"`
		DeliveryInterval *struct {
			DeliveryDateInterval *struct {
				FromDate *string `json:"fromDate"`
				ToDate   *string `json:"toDate"`
			} `json:"deliveryDateInterval"`
			DeliveryTimeInterval *struct {
				FromTime *string `json:"fromTime"`
				ToTime   *string `json:"toTime"`
			} `json:"deliveryTimeInterval"`
		} `json:"deliveryInterval"`
		Customer *struct {
			FirstName  *string `json:"firstName"`
			LastName   *string `json:"lastName"`
			MiddleName *string `json:"middleName"`
			Phone      *string `json:"phone"`
		} `json:"customer"`
	} `json:"order"`
}

// parse validates the request and returns its parts (nil when not sent).
func (req *updateRequest) parse() (int64, *Interval, *Customer, *apiError) {
	var e *apiError
	bad := func(code, format string, args ...any) { e = e.add(code, format, args...) }
	o := req.Order
	if o == nil {
		return 0, nil, nil, badRequest("order is required")
	}
	var id int64
	switch {
	case o.ID == nil:
		bad("BAD_REQUEST", "order.id is required")
	case *o.ID < 1:
		bad("BAD_REQUEST", "order.id must be a positive integer")
	default:
		id = *o.ID
	}
	if o.DeliveryInterval == nil && o.Customer == nil {
		bad("BAD_REQUEST", "order: at least one of deliveryInterval and customer is required")
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	var iv *Interval
	if di := o.DeliveryInterval; di != nil {
		iv = &Interval{}
		if dd := di.DeliveryDateInterval; dd == nil {
			bad("BAD_REQUEST", "order.deliveryInterval.deliveryDateInterval is required")
		} else {
			iv.FromDate, iv.ToDate = str(dd.FromDate), str(dd.ToDate)
			for _, f := range []struct {
				name string
				v    *string
			}{{"fromDate", dd.FromDate}, {"toDate", dd.ToDate}} {
				switch {
				case f.v == nil:
					bad("BAD_REQUEST", "order.deliveryInterval.deliveryDateInterval.%s is required", f.name)
				case !isDate(*f.v):
					bad("BAD_REQUEST", "order.deliveryInterval.deliveryDateInterval.%s %q is not a date (want YYYY-MM-DD)", f.name, *f.v)
				}
			}
			if isDate(iv.FromDate) && isDate(iv.ToDate) && iv.ToDate < iv.FromDate {
				bad("BAD_REQUEST", "order.deliveryInterval.deliveryDateInterval: toDate %s is before fromDate %s", iv.ToDate, iv.FromDate)
			}
		}
		if dt := di.DeliveryTimeInterval; dt == nil {
			bad("BAD_REQUEST", "order.deliveryInterval.deliveryTimeInterval is required")
		} else {
			iv.FromTime, iv.ToTime = str(dt.FromTime), str(dt.ToTime)
			for _, f := range []struct {
				name string
				v    *string
			}{{"fromTime", dt.FromTime}, {"toTime", dt.ToTime}} {
				switch {
				case f.v == nil:
					bad("BAD_REQUEST", "order.deliveryInterval.deliveryTimeInterval.%s is required", f.name)
				case !isClock(*f.v, false):
					bad("INVALID_TIME_FORMAT", "order.deliveryInterval.deliveryTimeInterval.%s %q does not match ^([0-1][0-9]|2[0-3]):[0-5][0-9]$", f.name, *f.v)
				}
			}
		}
	}
	var cu *Customer
	if c := o.Customer; c != nil {
		cu = &Customer{FirstName: str(c.FirstName), LastName: str(c.LastName), MiddleName: str(c.MiddleName), Phone: str(c.Phone)}
		for _, f := range []struct {
			name     string
			v        *string
			required bool
		}{{"firstName", c.FirstName, true}, {"lastName", c.LastName, true}, {"middleName", c.MiddleName, false}} {
			switch {
			case f.v == nil && f.required:
				bad("BAD_REQUEST", "order.customer.%s is required", f.name)
			case f.v != nil && !validText(*f.v, 512):
				bad("BAD_REQUEST", "order.customer.%s must be 1 to 512 characters", f.name)
			}
		}
		switch {
		case c.Phone == nil:
			bad("BAD_REQUEST", "order.customer.phone is required")
		case !isPhone(*c.Phone):
			bad("INVALID_PHONE_FORMAT", "order.customer.phone %q does not match ^\\+[0-9]{4,15}$", *c.Phone)
		}
	}
	return id, iv, cu, e
}

type operationDTO struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status,omitempty"` // operations endpoint only
}

type updateBody struct {
	Status string `json:"status"`
	Result struct {
		Operations []operationDTO `json:"operations"`
	} `json:"result"`
}

func (s *Server) updateOrder(rt route, body []byte, now time.Time) response {
	c, err := s.campaignWithModel(rt.campaignID, "LAAS")
	if err != nil {
		return forbiddenIfNotFound(err).response()
	}
	var req updateRequest
	if err := decodeBody(body, &req); err != nil {
		return err.response()
	}
	id, iv, cu, err := req.parse()
	if err != nil {
		return err.response()
	}
	o, err := s.orderIn(c, id)
	if err != nil {
		return badDataIfNotFound(err).response()
	}
	if terminal(o.Status) {
		return newAPIError(http.StatusBadRequest, "ORDER_IN_TERMINAL_STATE",
			"order %d is in status %s: it can no longer be changed", o.ID, o.Status).response()
	}
	if iv != nil && !slices.Contains(o.AvailableIntervals, *iv) {
		return newAPIError(http.StatusBadRequest, "INVALID_DELIVERY_OPTION",
			"order %d: interval %s %s to %s %s is not one of the available intervals (see orders/update-options)",
			o.ID, iv.FromDate, iv.FromTime, iv.ToDate, iv.ToTime).response()
	}
	var out updateBody
	out.Status = "OK"
	submit := func(op Operation) {
		s.st.OperationSeq++
		op.ID = s.operationID(s.st.OperationSeq, o.ID)
		op.Status = OperationInProgress
		op.BusinessID, op.CampaignID, op.OrderID = c.BusinessID, c.ID, o.ID
		op.SubmittedAt, op.ApplyAt = now, now.Add(s.delay)
		op.Fail = o.FailOperations
		s.operations[op.ID] = len(s.st.Operations)
		s.inProgress = append(s.inProgress, len(s.st.Operations))
		s.st.Operations = append(s.st.Operations, op)
		out.Result.Operations = append(out.Result.Operations, operationDTO{ID: op.ID, Type: op.Type})
	}
	if iv != nil {
		submit(Operation{Type: OperationIntervalUpdate, Interval: iv})
	}
	if cu != nil {
		submit(Operation{Type: OperationRecipientUpdate, Customer: cu})
	}
	return ok(out)
}

// operationID makes a UUID-shaped ID from the operation's sequence number, so
// that a scenario replayed from the same state yields the same IDs.
func (s *Server) operationID(seq, orderID int64) string {
	for {
		sum := sha256.Sum256(fmt.Appendf(nil, "orderform-sandbox/%d/%d", seq, orderID))
		b := sum[:16]
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		if _, taken := s.operations[id]; !taken {
			return id
		}
		seq += 1 << 32 // a seeded state reused an ID: move to another
	}
}

// settle finishes the operations whose time has come (all of them when all);
// the caller holds the lock.
func (s *Server) settle(now time.Time, all bool) {
	var changed []*OrderState
	var before []orderMark
	// In submission order, as before: the parts of one orders/update, and
	// the updates of one order, land in the order they were made.
	s.inProgress = slices.DeleteFunc(s.inProgress, func(i int) bool {
		op := &s.st.Operations[i]
		if op.Status != OperationInProgress {
			return true
		}
		if !all && now.Before(op.ApplyAt) {
			return false
		}
		var mark orderMark
		if o := s.order(op.OrderID); o != nil {
			mark = markOf(o)
		}
		if o := s.apply(op); o != nil && !slices.Contains(changed, o) {
			changed = append(changed, o)
			before = append(before, mark)
		}
		return true
	})
	// One bump per order: the parts of one orders/update land together.
	for i, o := range changed {
		bumpUpdatedAt(o, now)
		s.noticeChange(before[i], o)
	}
	s.playTimeline(now)
}

// apply finishes one operation: it fails if told to or if the order has
// meanwhile reached a terminal status; otherwise the order changes and is
// returned.
func (s *Server) apply(op *Operation) *OrderState {
	o := s.order(op.OrderID)
	if o == nil || op.Fail || o.FailOperations || terminal(o.Status) {
		op.Status = OperationFailed
		return nil
	}
	switch {
	case op.Type == OperationIntervalUpdate && op.Interval != nil:
		d := &o.Delivery.Dates
		d.FromDate, d.ToDate, d.FromTime, d.ToTime = op.Interval.FromDate, op.Interval.ToDate, op.Interval.FromTime, op.Interval.ToTime
	case op.Type == OperationRecipientUpdate && op.Customer != nil:
		cu := op.Customer
		o.Buyer.FirstName, o.Buyer.LastName, o.Buyer.MiddleName = cu.FirstName, cu.LastName, cu.MiddleName
		o.Delivery.Address.Recipient = recipientName(cu.LastName, cu.FirstName, cu.MiddleName)
		o.Delivery.Address.Phone = cu.Phone
	default:
		op.Status = OperationFailed
		return nil
	}
	op.Status = OperationDone
	return o
}

type operationsBody struct {
	Status string `json:"status"`
	Result struct {
		Operations []operationDTO `json:"operations"`
	} `json:"result"`
}

func (s *Server) getOperations(rt route, body []byte) response {
	if s.business(rt.businessID) == nil {
		return forbiddenIfNotFound(notFound("business %d not found", rt.businessID)).response()
	}
	var req struct {
		OperationType *string  `json:"operationType"`
		OperationIDs  []string `json:"operationIds"`
	}
	if err := decodeBody(body, &req); err != nil {
		return err.response()
	}
	var bad *apiError
	types := []string{OperationRecipientUpdate, OperationIntervalUpdate, "ORDER_STATUS_UPDATE", "RETURN_CANCELLATION"}
	switch {
	case req.OperationType == nil:
		bad = bad.add("BAD_REQUEST", "operationType is required")
	case !slices.Contains(types, *req.OperationType):
		bad = bad.add("BAD_REQUEST", "operationType %q is not one of %s", *req.OperationType, strings.Join(types, ", "))
	}
	if n := len(req.OperationIDs); n < 1 || n > 100 {
		bad = bad.add("BAD_REQUEST", "operationIds: 1 to 100 IDs are required, got %d", n)
	}
	for i, id := range req.OperationIDs {
		if !validText(id, 1000) {
			bad = bad.add("BAD_REQUEST", "operationIds[%d] must be 1 to 1000 characters", i)
		}
	}
	for _, id := range repeated(req.OperationIDs) {
		bad = bad.add("BAD_REQUEST", "operationIds: %q is repeated", id)
	}
	if bad != nil {
		return bad.response()
	}
	var out operationsBody
	out.Status = "OK"
	out.Result.Operations = []operationDTO{}
	for _, id := range req.OperationIDs {
		i, found := s.operations[id]
		if !found {
			continue
		}
		op := s.st.Operations[i]
		if op.BusinessID == rt.businessID && op.Type == *req.OperationType {
			out.Result.Operations = append(out.Result.Operations, operationDTO{ID: op.ID, Type: op.Type, Status: op.Status})
		}
	}
	return ok(out)
}

type deliveryOptionsRequest struct {
	Items []struct {
		OfferID     *string `json:"offerId"`
		Count       *int    `json:"count"`
		WarehouseID *int64  `json:"warehouseId"`
	} `json:"items"`
	PickupDelivery *struct {
		LogisticPointsIDs []int64 `json:"logisticPointsIds"`
	} `json:"pickupDelivery"`
	CourierDelivery *struct {
		FullAddress *string `json:"fullAddress"`
	} `json:"courierDelivery"`
}

// validOfferID reports whether id fits ShopSku: 1..255 characters, not
// blank, no control characters but tab.
func validOfferID(id string) bool {
	if !validText(id, 255) || strings.TrimSpace(id) == "" {
		return false
	}
	return !strings.ContainsFunc(id, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f })
}

func (req *deliveryOptionsRequest) check() *apiError {
	var e *apiError
	bad := func(format string, args ...any) { e = e.add("BAD_REQUEST", format, args...) }
	if n := len(req.Items); n < 1 || n > 1000 {
		bad("items: 1 to 1000 items are required, got %d", n)
	}
	var offers []string
	for i, it := range req.Items {
		switch {
		case it.OfferID == nil:
			bad("items[%d].offerId is required", i)
		case !validOfferID(*it.OfferID):
			bad("items[%d].offerId must be 1 to 255 characters without control characters", i)
		default:
			offers = append(offers, strings.TrimSpace(*it.OfferID))
		}
		switch {
		case it.Count == nil:
			bad("items[%d].count is required", i)
		case *it.Count < 1 || *it.Count > 1000:
			bad("items[%d].count must be 1 to 1000", i)
		}
		switch {
		case it.WarehouseID == nil:
			bad("items[%d].warehouseId is required", i)
		case *it.WarehouseID < 1:
			bad("items[%d].warehouseId must be a positive integer", i)
		}
	}
	for _, id := range repeated(offers) {
		bad("items: offerId %q is repeated: each offer once per request", id)
	}
	switch {
	case req.CourierDelivery != nil && req.PickupDelivery != nil:
		bad("courierDelivery and pickupDelivery cannot be sent together: choose one")
	case req.CourierDelivery == nil && req.PickupDelivery == nil:
		bad("one of courierDelivery and pickupDelivery is required")
	case req.CourierDelivery != nil:
		if a := req.CourierDelivery.FullAddress; a == nil {
			bad("courierDelivery.fullAddress is required")
		} else if !validText(*a, 512) {
			bad("courierDelivery.fullAddress must be 1 to 512 characters")
		}
	default:
		ids := req.PickupDelivery.LogisticPointsIDs
		if n := len(ids); n < 1 || n > 20 {
			bad("pickupDelivery.logisticPointsIds: 1 to 20 IDs are required, got %d", n)
		}
		for i, id := range ids {
			if id < 1 {
				bad("pickupDelivery.logisticPointsIds[%d] must be a positive integer", i)
			}
		}
		for _, id := range repeated(ids) {
			bad("pickupDelivery.logisticPointsIds: %d is repeated", id)
		}
	}
	return e
}

type offerCountDTO struct {
	OfferID string `json:"offerId"`
	Count   int    `json:"count"`
}

type courierOptionDTO struct {
	DeliveryDateInterval dateIntervalDTO `json:"deliveryDateInterval"`
	DeliveryTimeInterval timeIntervalDTO `json:"deliveryTimeInterval"`
	PaymentMethods       []string        `json:"paymentMethods"`
	Price                currencyValue   `json:"price"`
}

type pickupOptionDTO struct {
	DeliveryDateInterval dateIntervalDTO `json:"deliveryDateInterval"`
	Price                currencyValue   `json:"price"`
}

type pickupPointDTO struct {
	LogisticPointID int64             `json:"logisticPointId"`
	Options         []pickupOptionDTO `json:"options"`
	PaymentMethods  []string          `json:"paymentMethods"`
}

type warehouseOptionsDTO struct {
	WarehouseID     int64 `json:"warehouseId"`
	DeliveryOptions struct {
		PickupDelivery *struct {
			PickupOptions []pickupPointDTO `json:"pickupOptions"`
		} `json:"pickupDelivery,omitempty"`
		CourierDelivery *struct {
			CourierDeliveryOptions []courierOptionDTO `json:"courierDeliveryOptions"`
		} `json:"courierDelivery,omitempty"`
	} `json:"deliveryOptions"`
	Items []offerCountDTO `json:"items"`
}

type deliveryOptionsBody struct {
	Status string `json:"status"`
	Result struct {
		WarehousesDeliveryOptions []warehouseOptionsDTO `json:"warehousesDeliveryOptions"`
	} `json:"result"`
}

func paymentMethods(configured []string) []string {
	if len(configured) == 0 {
		return []string{"YANDEX"}
	}
	return slices.Clone(configured)
}

func (s *Server) deliveryOptions(rt route, body []byte) response {
	c, err := s.campaignWithModel(rt.campaignID, "LAAS")
	if err != nil {
		return forbiddenIfNotFound(err).response()
	}
	var req deliveryOptionsRequest
	if err := decodeBody(body, &req); err != nil {
		return err.response()
	}
	if err := req.check(); err != nil {
		return err.response()
	}
	var out deliveryOptionsBody
	out.Status = "OK"
	byWarehouse := map[int64]int{} // warehouse ID -> index in the answer, in order of first mention
	for _, it := range req.Items {
		i, seen := byWarehouse[*it.WarehouseID]
		if !seen {
			i = len(out.Result.WarehousesDeliveryOptions)
			byWarehouse[*it.WarehouseID] = i
			out.Result.WarehousesDeliveryOptions = append(out.Result.WarehousesDeliveryOptions, warehouseOptionsDTO{WarehouseID: *it.WarehouseID})
		}
		w := &out.Result.WarehousesDeliveryOptions[i]
		w.Items = append(w.Items, offerCountDTO{OfferID: strings.TrimSpace(*it.OfferID), Count: *it.Count})
	}
	var unknown *apiError
	for i := range out.Result.WarehousesDeliveryOptions {
		w := &out.Result.WarehousesDeliveryOptions[i]
		j := slices.IndexFunc(c.Warehouses, func(x Warehouse) bool { return x.ID == w.WarehouseID })
		if j < 0 {
			unknown = unknown.add("INVALID_WAREHOUSE_ID", "warehouse %d is not a warehouse of campaign %d", w.WarehouseID, c.ID)
			continue
		}
		wh := c.Warehouses[j]
		if req.CourierDelivery != nil {
			var opts []courierOptionDTO
			for _, o := range wh.Courier {
				if !addressMatches(*req.CourierDelivery.FullAddress, o.AddressContains) {
					continue
				}
				opts = append(opts, courierOptionDTO{
					DeliveryDateInterval: dateIntervalDTO{FromDate: o.FromDate, ToDate: o.ToDate},
					DeliveryTimeInterval: timeIntervalDTO{FromTime: o.FromTime, ToTime: o.ToTime},
					PaymentMethods:       paymentMethods(o.PaymentMethods),
					Price:                rub(o.Price),
				})
			}
			if len(opts) > 0 { // the API never sends an empty courierDeliveryOptions
				w.DeliveryOptions.CourierDelivery = &struct {
					CourierDeliveryOptions []courierOptionDTO `json:"courierDeliveryOptions"`
				}{opts}
			}
			continue
		}
		points := []pickupPointDTO{}
		for _, id := range req.PickupDelivery.LogisticPointsIDs {
			k := slices.IndexFunc(wh.Pickup, func(p PickupPoint) bool { return p.LogisticPointID == id })
			if k < 0 {
				continue
			}
			p := wh.Pickup[k]
			dto := pickupPointDTO{LogisticPointID: id, PaymentMethods: paymentMethods(p.PaymentMethods)}
			for _, o := range p.Options {
				dto.Options = append(dto.Options, pickupOptionDTO{
					DeliveryDateInterval: dateIntervalDTO{FromDate: o.FromDate, ToDate: o.ToDate}, Price: rub(o.Price)})
			}
			points = append(points, dto)
		}
		w.DeliveryOptions.PickupDelivery = &struct {
			PickupOptions []pickupPointDTO `json:"pickupOptions"`
		}{points}
	}
	if unknown != nil {
		return unknown.response()
	}
	return ok(out)
}

// addressMatches reports whether a courier option serves the address.
func addressMatches(address string, contains []string) bool {
	if len(contains) == 0 {
		return true
	}
	address = strings.ToLower(address)
	for _, c := range contains {
		if strings.Contains(address, strings.ToLower(c)) {
			return true
		}
	}
	return false
}
