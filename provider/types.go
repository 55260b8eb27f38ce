// Package provider is the Market Partner API layer: a typed client for the
// endpoints orderform uses, with rate limiting, retries and typed errors.
//
// It knows nothing of the configuration language or of plans: it takes order
// and campaign IDs and returns what the API said, in the API's own shapes and
// formats (dates stay strings exactly as the endpoint sent them; comparing them
// is the plan's job). The emulator that tests and the quick start run against
// lives in provider/sandbox.
package provider

// Order statuses the tool reasons about. Status is a plain string so a value
// the API adds later never breaks decoding.
const (
	StatusProcessing = "PROCESSING"
	StatusDelivery   = "DELIVERY"
	StatusPickup     = "PICKUP"
	StatusDelivered  = "DELIVERED"
	StatusCancelled  = "CANCELLED"
)

// Selling models (the campaign's placementType, the business order's programType).
const (
	ModelDBS     = "DBS"
	ModelLaaS    = "LAAS"
	ModelFBS     = "FBS"
	ModelFBY     = "FBY"
	ModelExpress = "EXPRESS"
)

// Operation types and statuses of asynchronous orders/update operations.
const (
	OperationRecipientUpdate = "ORDER_RECIPIENT_UPDATE"
	OperationIntervalUpdate  = "ORDER_DELIVERY_INTERVAL_UPDATE"

	OperationInProgress = "IN_PROGRESS"
	OperationDone       = "DONE"
	OperationFailed     = "FAILED"
)

// Order is what the API tells about one order, from whichever read endpoint
// answered. Fields an endpoint does not carry stay zero: the business orders
// endpoint has no recipient name or phone (HasRecipient is false then), the
// campaign endpoints have no selling model (Model is "" then).
type Order struct {
	ID              int64
	CampaignID      int64
	Model           string // DBS, LAAS, ... ("" when the endpoint does not say)
	Status          string
	Substatus       string
	UpdatedAt       string // as sent: "DD-MM-YYYY HH:MM:SS" (campaign) or RFC 3339 (business)
	CancelRequested bool
	Fake            bool
	Delivery        Delivery
	Buyer           Buyer
	HasRecipient    bool // Buyer and Delivery.Address were part of the answer
}

// Delivery is the part of an order this tool manages or needs to judge a change.
type Delivery struct {
	Type              string // DELIVERY, PICKUP, POST, ...
	PartnerType       string // SHOP (the seller delivers: DBS) or YANDEX_MARKET
	DeliveryServiceID int64
	ServiceName       string
	Dates             Dates
	Tracks            []Track
	Address           Address
}

// Dates are the delivery dates exactly as the endpoint sent them:
// "DD-MM-YYYY" from the campaign endpoints, "YYYY-MM-DD" from business orders;
// times "HH:MM" or "HH:MM:SS".
type Dates struct {
	FromDate, ToDate, FromTime, ToTime string
}

// Track is a parcel's track code with the delivery service that issued it.
type Track struct {
	Code              string `json:"trackCode"`
	DeliveryServiceID int64  `json:"deliveryServiceId"`
}

// Address carries the recipient's full name and phone as the delivery knows them.
type Address struct {
	Recipient string
	Phone     string
}

// Buyer holds the recipient's name parts (DBS and LaaS orders).
type Buyer struct {
	FirstName, LastName, MiddleName string
}

// Campaign is a store: its selling model decides which changes the API allows.
type Campaign struct {
	ID         int64
	BusinessID int64
	Model      string // placementType: FBS, FBY, DBS, LAAS
	Name       string
}

// Interval is a courier delivery interval in the format of the endpoints that
// take and give intervals: dates "YYYY-MM-DD", times "HH:MM".
type Interval struct {
	FromDate, ToDate, FromTime, ToTime string
}

// Customer is the complete recipient orders/update requires.
type Customer struct {
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	MiddleName string `json:"middleName,omitempty"`
	Phone      string `json:"phone"`
}

// OrderUpdate is one orders/update request: a new interval, a new recipient,
// or both in one call.
type OrderUpdate struct {
	OrderID  int64
	Interval *Interval
	Customer *Customer
}

// DeliveryDate is one setOrderDeliveryDate request: the day a DBS order's
// delivery moves to ("YYYY-MM-DD") and who asked for the move.
type DeliveryDate struct {
	ToDate string
	Reason string // DeliveryDateUserMoved or DeliveryDatePartnerMoved
}

// Reasons for moving a delivery date (OrderDeliveryDateReasonType).
const (
	DeliveryDateUserMoved    = "USER_MOVED_DELIVERY_DATES"    // the buyer asked, or agreed to an earlier day
	DeliveryDatePartnerMoved = "PARTNER_MOVED_DELIVERY_DATES" // the shop cannot deliver on time: counts against it
)

// Operation is an asynchronous operation the API started for an orders/update.
type Operation struct {
	ID     string
	Type   string
	Status string // only in answers of the operations endpoint
}

// DeliveryOptionsRequest asks for delivery options of items: exactly one of
// CourierAddress and PickupPointIDs.
type DeliveryOptionsRequest struct {
	Items          []Item
	CourierAddress string
	PickupPointIDs []int64
}

// Item is one offer in a delivery-options request.
type Item struct {
	OfferID     string
	Count       int
	WarehouseID int64
}

// DeliveryOption is one way to deliver from a warehouse: a courier interval, or
// a pickup point with its dates.
type DeliveryOption struct {
	WarehouseID     int64
	Type            string // "courier" or "pickup"
	LogisticPointID int64  // pickup only
	Interval        Interval
	Price           float64
	Currency        string
}

// OrderRef names an order to read: its ID and the campaign it is read in.
// Recipient asks for its recipient too, which only the campaign endpoints
// carry.
type OrderRef struct {
	OrderID, CampaignID int64
	Recipient           bool
}
