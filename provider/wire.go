package provider

import "strconv"

// The wire shapes of the endpoints this package speaks, named after the
// OpenAPI schemas (api/openapi/components/schemas). Only the fields the tool
// uses are declared: encoding/json ignores the rest, and enums stay strings so
// a value the API adds later never breaks decoding.

// errorEnvelope is ApiErrorResponse, the body of every non-2xx answer.
type errorEnvelope struct {
	Status string       `json:"status"`
	Errors []ErrorEntry `json:"errors"`
}

// orderDTO is OrderDTO, the order of GET order and of the campaign order list.
// Its dates are DD-MM-YYYY and its date-times DD-MM-YYYY HH:MM:SS.
type orderDTO struct {
	ID              int64       `json:"id"`
	Status          string      `json:"status"`
	Substatus       string      `json:"substatus"`
	UpdatedAt       string      `json:"updatedAt"`
	CancelRequested bool        `json:"cancelRequested"`
	Fake            bool        `json:"fake"`
	Delivery        deliveryDTO `json:"delivery"`
	Buyer           buyerDTO    `json:"buyer"`
}

type deliveryDTO struct {
	Type              string        `json:"type"`
	PartnerType       string        `json:"deliveryPartnerType"`
	DeliveryServiceID int64         `json:"deliveryServiceId"`
	ServiceName       string        `json:"serviceName"`
	Dates             datesDTO      `json:"dates"`
	Tracks            []Track       `json:"tracks"`
	Shipments         []shipmentDTO `json:"shipments"`
	Address           addressDTO    `json:"address"`
}

type datesDTO struct {
	FromDate string `json:"fromDate"`
	ToDate   string `json:"toDate"`
	FromTime string `json:"fromTime"`
	ToTime   string `json:"toTime"`
}

type shipmentDTO struct {
	Tracks []Track `json:"tracks"`
}

type addressDTO struct {
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
}

type buyerDTO struct {
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	MiddleName string `json:"middleName"`
}

type getOrderResponse struct {
	Order *orderDTO `json:"order"`
}

type pagingDTO struct {
	NextPageToken string `json:"nextPageToken"`
}

type getOrdersResponse struct {
	Orders []orderDTO `json:"orders"`
	Paging pagingDTO  `json:"paging"`
}

// businessOrderDTO is BusinessOrderDTO: dates YYYY-MM-DD, updateDate RFC 3339,
// no recipient name or phone.
type businessOrderDTO struct {
	OrderID         int64               `json:"orderId"`
	CampaignID      int64               `json:"campaignId"`
	ProgramType     string              `json:"programType"`
	Status          string              `json:"status"`
	Substatus       string              `json:"substatus"`
	UpdateDate      string              `json:"updateDate"`
	CancelRequested bool                `json:"cancelRequested"`
	Fake            bool                `json:"fake"`
	Delivery        businessDeliveryDTO `json:"delivery"`
}

type businessDeliveryDTO struct {
	Type              string   `json:"type"`
	PartnerType       string   `json:"deliveryPartnerType"`
	DeliveryServiceID int64    `json:"deliveryServiceId"`
	ServiceName       string   `json:"serviceName"`
	Dates             datesDTO `json:"dates"`
	Tracks            []Track  `json:"tracks"`
}

type businessOrdersRequest struct {
	OrderIDs []int64 `json:"orderIds"`
}

type businessOrdersResponse struct {
	Orders []businessOrderDTO `json:"orders"`
	Paging pagingDTO          `json:"paging"`
}

type campaignDTO struct {
	ID            int64  `json:"id"`
	Domain        string `json:"domain"`
	PlacementType string `json:"placementType"`
	Business      struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"business"`
}

type getCampaignResponse struct {
	Campaign *campaignDTO `json:"campaign"`
}

type dateIntervalDTO struct {
	FromDate string `json:"fromDate"`
	ToDate   string `json:"toDate"`
}

type timeIntervalDTO struct {
	FromTime string `json:"fromTime"`
	ToTime   string `json:"toTime"`
}

// intervalDTO is DeliveryIntervalsUpdateOptionDTO, also the deliveryInterval of
// UpdateOrderDTO.
type intervalDTO struct {
	Date dateIntervalDTO `json:"deliveryDateInterval"`
	Time timeIntervalDTO `json:"deliveryTimeInterval"`
}

func (d intervalDTO) interval() Interval {
	return Interval{FromDate: d.Date.FromDate, ToDate: d.Date.ToDate, FromTime: d.Time.FromTime, ToTime: d.Time.ToTime}
}

func newIntervalDTO(i Interval) *intervalDTO {
	return &intervalDTO{
		Date: dateIntervalDTO{FromDate: i.FromDate, ToDate: i.ToDate},
		Time: timeIntervalDTO{FromTime: i.FromTime, ToTime: i.ToTime},
	}
}

type updateOptionsRequest struct {
	ID int64 `json:"id"`
	// The seeds' field; the current spec dropped it, and it is harmless.
	Option string `json:"orderUpdateOption"`
}

type updateOptionsResponse struct {
	Result struct {
		DeliveryIntervals struct {
			Available []intervalDTO `json:"availableDeliveryIntervals"`
		} `json:"deliveryIntervals"`
	} `json:"result"`
}

type updateOrderRequest struct {
	Order updateOrderDTO `json:"order"`
}

type updateOrderDTO struct {
	ID               int64        `json:"id"`
	DeliveryInterval *intervalDTO `json:"deliveryInterval,omitempty"`
	Customer         *Customer    `json:"customer,omitempty"`
}

type operationDTO struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

type operationsResponse struct {
	Result struct {
		Operations []operationDTO `json:"operations"`
	} `json:"result"`
}

type operationsRequest struct {
	OperationType string   `json:"operationType"`
	OperationIDs  []string `json:"operationIds"`
}

type deliveryOptionsRequest struct {
	Items           []deliveryItemDTO  `json:"items"`
	CourierDelivery *courierRequestDTO `json:"courierDelivery,omitempty"`
	PickupDelivery  *pickupRequestDTO  `json:"pickupDelivery,omitempty"`
}

type deliveryItemDTO struct {
	OfferID     string `json:"offerId"`
	Count       int    `json:"count"`
	WarehouseID int64  `json:"warehouseId,omitempty"`
}

type courierRequestDTO struct {
	FullAddress string `json:"fullAddress"`
}

type pickupRequestDTO struct {
	LogisticPointsIDs []int64 `json:"logisticPointsIds"`
}

type priceDTO struct {
	Value      float64 `json:"value"`
	CurrencyID string  `json:"currencyId"`
}

type deliveryOptionsResponse struct {
	Result struct {
		Warehouses []struct {
			WarehouseID     int64 `json:"warehouseId"`
			DeliveryOptions struct {
				Courier struct {
					Options []struct {
						Date  dateIntervalDTO `json:"deliveryDateInterval"`
						Time  timeIntervalDTO `json:"deliveryTimeInterval"`
						Price priceDTO        `json:"price"`
					} `json:"courierDeliveryOptions"`
				} `json:"courierDelivery"`
				Pickup struct {
					Options []struct {
						LogisticPointID int64 `json:"logisticPointId"`
						Options         []struct {
							Date  dateIntervalDTO `json:"deliveryDateInterval"`
							Price priceDTO        `json:"price"`
						} `json:"options"`
					} `json:"pickupOptions"`
				} `json:"pickupDelivery"`
			} `json:"deliveryOptions"`
		} `json:"warehousesDeliveryOptions"`
	} `json:"result"`
}

// order maps an OrderDTO of a campaign endpoint. The campaign endpoints do not
// name the selling model, so Model stays "".
func (o *orderDTO) order(campaignID int64) Order {
	var tracks []Track
	tracks = appendTracks(tracks, o.Delivery.Tracks)
	for _, s := range o.Delivery.Shipments {
		tracks = appendTracks(tracks, s.Tracks)
	}
	return Order{
		ID:              o.ID,
		CampaignID:      campaignID,
		Status:          o.Status,
		Substatus:       o.Substatus,
		UpdatedAt:       o.UpdatedAt,
		CancelRequested: o.CancelRequested,
		Fake:            o.Fake,
		Delivery: Delivery{
			Type:              o.Delivery.Type,
			PartnerType:       o.Delivery.PartnerType,
			DeliveryServiceID: o.Delivery.DeliveryServiceID,
			ServiceName:       o.Delivery.ServiceName,
			Dates:             Dates(o.Delivery.Dates),
			Tracks:            tracks,
			Address:           Address(o.Delivery.Address),
		},
		Buyer:        Buyer(o.Buyer),
		HasRecipient: true,
	}
}

func (o *businessOrderDTO) order() Order {
	return Order{
		ID:              o.OrderID,
		CampaignID:      o.CampaignID,
		Model:           o.ProgramType,
		Status:          o.Status,
		Substatus:       o.Substatus,
		UpdatedAt:       o.UpdateDate,
		CancelRequested: o.CancelRequested,
		Fake:            o.Fake,
		Delivery: Delivery{
			Type:              o.Delivery.Type,
			PartnerType:       o.Delivery.PartnerType,
			DeliveryServiceID: o.Delivery.DeliveryServiceID,
			ServiceName:       o.Delivery.ServiceName,
			Dates:             Dates(o.Delivery.Dates),
			Tracks:            appendTracks(nil, o.Delivery.Tracks),
		},
	}
}

// appendTracks adds the tracks not already in dst: an order's tracks are
// listed both on the delivery and on its shipments.
func appendTracks(dst, src []Track) []Track {
next:
	for _, t := range src {
		for _, d := range dst {
			if d == t {
				continue next
			}
		}
		dst = append(dst, t)
	}
	return dst
}

// The shape checks below run on every 2xx answer the client decodes (see
// decode): a field the OpenAPI spec requires and the tool relies on must be
// there, or the answer is an error naming the endpoint, never read as "no
// orders" or "no intervals". A list that is present but empty is fine; one
// that is missing (or null) is not. Fields the tool does not use (the
// envelope's status, most of an order) are not checked: an answer is
// judged by what it is needed for.

// shaped is a response that can say what is missing from it.
type shaped interface {
	shapeProblem() string
}

func (r *getOrderResponse) shapeProblem() string {
	if r.Order == nil {
		return "missing order"
	}
	return r.Order.shapeProblem("order")
}

func (o *orderDTO) shapeProblem(at string) string {
	switch {
	case o.ID == 0:
		return "missing " + at + ".id"
	case o.Status == "":
		return "missing " + at + ".status"
	}
	return ""
}

func (r *getOrdersResponse) shapeProblem() string {
	if r.Orders == nil {
		return "missing orders"
	}
	for i := range r.Orders {
		if p := r.Orders[i].shapeProblem(itemPath("orders", i)); p != "" {
			return p
		}
	}
	return ""
}

func (r *businessOrdersResponse) shapeProblem() string {
	if r.Orders == nil {
		return "missing orders"
	}
	for i, o := range r.Orders {
		at := itemPath("orders", i)
		switch {
		case o.OrderID == 0:
			return "missing " + at + ".orderId"
		case o.CampaignID == 0:
			return "missing " + at + ".campaignId"
		case o.Status == "":
			return "missing " + at + ".status"
		}
	}
	return ""
}

func (r *getCampaignResponse) shapeProblem() string {
	if r.Campaign == nil {
		return "missing campaign"
	}
	return ""
}

func (r *updateOptionsResponse) shapeProblem() string {
	available := r.Result.DeliveryIntervals.Available
	if available == nil {
		return "missing result.deliveryIntervals.availableDeliveryIntervals"
	}
	for i, a := range available {
		if p := a.shapeProblem(itemPath("result.deliveryIntervals.availableDeliveryIntervals", i)); p != "" {
			return p
		}
	}
	return ""
}

func (d intervalDTO) shapeProblem(at string) string {
	switch {
	case d.Date.FromDate == "" || d.Date.ToDate == "":
		return "missing " + at + ".deliveryDateInterval"
	case d.Time.FromTime == "" || d.Time.ToTime == "":
		return "missing " + at + ".deliveryTimeInterval"
	}
	return ""
}

// updateOrderResponse is UpdateOrderResponse: the operations the update
// started (their status is the operations endpoint's to tell).
type updateOrderResponse operationsResponse

func (r *updateOrderResponse) shapeProblem() string {
	return (*operationsResponse)(r).problem(false)
}

func (r *operationsResponse) shapeProblem() string { return r.problem(true) }

func (r *operationsResponse) problem(withStatus bool) string {
	if r.Result.Operations == nil {
		return "missing result.operations"
	}
	for i, o := range r.Result.Operations {
		at := itemPath("result.operations", i)
		switch {
		case o.ID == "":
			return "missing " + at + ".id"
		case o.Type == "":
			return "missing " + at + ".type"
		case withStatus && o.Status == "":
			return "missing " + at + ".status"
		}
	}
	return ""
}

func (r *deliveryOptionsResponse) shapeProblem() string {
	if r.Result.Warehouses == nil {
		return "missing result.warehousesDeliveryOptions"
	}
	for i, wh := range r.Result.Warehouses {
		if wh.WarehouseID == 0 {
			return "missing " + itemPath("result.warehousesDeliveryOptions", i) + ".warehouseId"
		}
	}
	return ""
}

func itemPath(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }
