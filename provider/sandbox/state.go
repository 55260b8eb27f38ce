package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// State is everything the emulator knows: the seed file's shape and what Save
// writes. Dates of delivery are "YYYY-MM-DD" strings and times "HH:MM" (or
// "HH:MM:SS") strings, exactly as a seed author writes them; instants
// (creation, update, operation times) are time.Time, RFC 3339 in the file.
type State struct {
	// APIKeys are the accepted Api-Key values when Options.APIKeys is empty.
	APIKeys    []string     `json:"apiKeys,omitempty"`
	Businesses []Business   `json:"businesses"`
	Campaigns  []Campaign   `json:"campaigns"`
	Orders     []OrderState `json:"orders"`
	// Operations are the asynchronous orders/update operations, pending and
	// finished, so a restart neither loses nor repeats them.
	Operations []Operation `json:"operations,omitempty"`
	// OperationSeq numbers operations; their IDs derive from it, which keeps
	// them stable across runs of the same scenario.
	OperationSeq int64 `json:"operationSeq,omitempty"`
	// Timeline is a script of status changes the server plays from its
	// start, each with its notification; the played ones keep their
	// PlayedAt, so a restart from the saved state does not replay them.
	Timeline []TimelineEvent `json:"timeline,omitempty"`
}

// TimelineEvent is one scripted status change: After (a Go duration, "2s")
// from the server's start, order Order goes to Status and Substatus.
type TimelineEvent struct {
	After     string    `json:"after"`
	Order     int64     `json:"order"`
	Status    string    `json:"status"`
	Substatus string    `json:"substatus"`
	PlayedAt  time.Time `json:"playedAt,omitzero"`
}

// delay is e.After parsed; validate has refused what does not parse.
func (e TimelineEvent) delay() time.Duration {
	d, _ := time.ParseDuration(e.After)
	return d
}

// Business is a seller's cabinet, the owner of campaigns.
type Business struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Campaign is a store with one selling model.
type Campaign struct {
	ID            int64  `json:"id"`
	BusinessID    int64  `json:"businessId"`
	PlacementType string `json:"placementType"` // DBS, LAAS, FBS, FBY
	Name          string `json:"name"`
	Domain        string `json:"domain,omitempty"`
	// Warehouses configure what delivery-options answers (LaaS campaigns).
	Warehouses []Warehouse `json:"warehouses,omitempty"`
}

// Warehouse is one of a LaaS campaign's warehouses with the delivery options
// delivery-options offers from it.
type Warehouse struct {
	ID      int64           `json:"id"`
	Courier []CourierOption `json:"courier,omitempty"`
	Pickup  []PickupPoint   `json:"pickup,omitempty"`
}

// CourierOption is a courier delivery interval with its price.
type CourierOption struct {
	Interval
	Price          float64  `json:"price"`
	PaymentMethods []string `json:"paymentMethods,omitempty"`
	// AddressContains limits the option to addresses containing one of these
	// strings (case-insensitive), e.g. a city; empty means every address.
	AddressContains []string `json:"addressContains,omitempty"`
}

// PickupPoint is a logistic point reachable from a warehouse.
type PickupPoint struct {
	LogisticPointID int64          `json:"logisticPointId"`
	PaymentMethods  []string       `json:"paymentMethods,omitempty"`
	Options         []PickupOption `json:"options"`
}

// PickupOption is a date interval of delivery to a pickup point with its price.
type PickupOption struct {
	FromDate string  `json:"fromDate"`
	ToDate   string  `json:"toDate"`
	Price    float64 `json:"price"`
}

// OrderState is one order as the emulator keeps it.
type OrderState struct {
	ID              int64     `json:"id"`
	CampaignID      int64     `json:"campaignId"`
	Status          string    `json:"status"`
	Substatus       string    `json:"substatus"`
	CreationDate    time.Time `json:"creationDate"`
	UpdatedAt       time.Time `json:"updatedAt"` // zero in a seed: the creation date
	Fake            bool      `json:"fake,omitempty"`
	CancelRequested bool      `json:"cancelRequested,omitempty"`
	PaymentType     string    `json:"paymentType,omitempty"`   // default PREPAID
	PaymentMethod   string    `json:"paymentMethod,omitempty"` // default YANDEX
	DeliveryTotal   float64   `json:"deliveryTotal,omitempty"`
	Notes           string    `json:"notes,omitempty"`
	Delivery        Delivery  `json:"delivery"`
	Buyer           Buyer     `json:"buyer"`
	Items           []Item    `json:"items"`
	// AvailableIntervals are what update-options offers and orders/update
	// accepts as a new courier interval.
	AvailableIntervals []Interval `json:"availableIntervals,omitempty"`
	// FailOperations makes every orders/update operation of this order end
	// FAILED without changing it (Server.FailOperations sets it).
	FailOperations bool `json:"failOperations,omitempty"`
	// PartnerDateMoves counts the delivery date moves with reason
	// PARTNER_MOVED_DELIVERY_DATES (see Options.PartnerMovesLimit).
	PartnerDateMoves int `json:"partnerDateMoves,omitempty"`
}

// Delivery is an order's delivery.
type Delivery struct {
	Type              string `json:"type"` // DELIVERY, PICKUP, POST
	ServiceName       string `json:"serviceName"`
	DeliveryServiceID int64  `json:"deliveryServiceId"`
	// PartnerType is derived from the campaign's model (SHOP for DBS,
	// YANDEX_MARKET otherwise); a value in a seed must agree with it.
	PartnerType     string  `json:"partnerType,omitempty"`
	Dates           Dates   `json:"dates"`
	Tracks          []Track `json:"tracks,omitempty"`
	ShipmentDate    string  `json:"shipmentDate,omitempty"` // YYYY-MM-DD; adds delivery.shipments
	WarehouseID     int64   `json:"warehouseId,omitempty"`
	LogisticPointID int64   `json:"logisticPointId,omitempty"` // pickup orders
	OutletCode      string  `json:"outletCode,omitempty"`
	Address         Address `json:"address"`
}

// Dates are the delivery dates ("YYYY-MM-DD") and times ("HH:MM" or "HH:MM:SS").
type Dates struct {
	FromDate         string `json:"fromDate"`
	ToDate           string `json:"toDate,omitempty"`
	FromTime         string `json:"fromTime,omitempty"`
	ToTime           string `json:"toTime,omitempty"`
	RealDeliveryDate string `json:"realDeliveryDate,omitempty"`
}

// Track is a parcel's track code at a delivery service.
type Track struct {
	TrackCode         string `json:"trackCode"`
	DeliveryServiceID int64  `json:"deliveryServiceId"`
}

// Address is the delivery address with the recipient's name and phone.
type Address struct {
	Country   string `json:"country,omitempty"`
	Postcode  string `json:"postcode,omitempty"`
	City      string `json:"city,omitempty"`
	Street    string `json:"street,omitempty"`
	House     string `json:"house,omitempty"`
	Block     string `json:"block,omitempty"`
	Entrance  string `json:"entrance,omitempty"`
	Floor     string `json:"floor,omitempty"`
	Apartment string `json:"apartment,omitempty"`
	Phone     string `json:"phone,omitempty"`
	// Recipient is "Last First Middle"; empty in a seed: derived from Buyer.
	Recipient string `json:"recipient,omitempty"`
}

// Buyer is the order's buyer as GET order shows it.
type Buyer struct {
	ID         string `json:"id,omitempty"`
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	MiddleName string `json:"middleName,omitempty"`
	Type       string `json:"type,omitempty"` // PERSON (default) or BUSINESS
}

// Item is one line of an order.
type Item struct {
	ID        int64   `json:"id"`
	OfferID   string  `json:"offerId"`
	OfferName string  `json:"offerName"`
	Count     int     `json:"count"`
	Price     float64 `json:"price"`
	Vat       string  `json:"vat,omitempty"`
}

// Interval is a courier delivery interval: dates "YYYY-MM-DD", times "HH:MM".
type Interval struct {
	FromDate string `json:"fromDate"`
	ToDate   string `json:"toDate"`
	FromTime string `json:"fromTime"`
	ToTime   string `json:"toTime"`
}

// Customer is a new recipient sent with orders/update.
type Customer struct {
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	MiddleName string `json:"middleName,omitempty"`
	Phone      string `json:"phone"`
}

// Operation types and statuses, as the API names them.
const (
	OperationIntervalUpdate  = "ORDER_DELIVERY_INTERVAL_UPDATE"
	OperationRecipientUpdate = "ORDER_RECIPIENT_UPDATE"

	OperationInProgress = "IN_PROGRESS"
	OperationDone       = "DONE"
	OperationFailed     = "FAILED"
)

// Operation is an asynchronous orders/update operation. It takes effect at
// ApplyAt, the first time the server touches its state after that instant.
type Operation struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Status      string    `json:"status"`
	BusinessID  int64     `json:"businessId"`
	CampaignID  int64     `json:"campaignId"`
	OrderID     int64     `json:"orderId"`
	Interval    *Interval `json:"interval,omitempty"` // ORDER_DELIVERY_INTERVAL_UPDATE
	Customer    *Customer `json:"customer,omitempty"` // ORDER_RECIPIENT_UPDATE
	SubmittedAt time.Time `json:"submittedAt"`
	ApplyAt     time.Time `json:"applyAt"`
	Fail        bool      `json:"fail,omitempty"` // ends FAILED, changing nothing
}

// ParseState decodes a state document and validates it: unique IDs, orders of
// existing campaigns, well-formed dates and times. Every problem is reported,
// not only the first. Derived fields (partner type, recipient, updatedAt) are
// filled in.
func ParseState(data []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a typo in a seed is an error, not a silent default
	var st State
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("parse sandbox state: %w", err)
	}
	if dec.More() {
		return nil, errors.New("parse sandbox state: data after the JSON document")
	}
	st.fillDerived()
	if err := st.validate(); err != nil {
		return nil, fmt.Errorf("invalid sandbox state: %w", err)
	}
	return &st, nil
}

// fillDerived sets what a seed may leave out. It does not touch a value that
// contradicts the campaign: validate reports that.
func (st *State) fillDerived() {
	models := make(map[int64]string, len(st.Campaigns))
	for _, c := range st.Campaigns {
		models[c.ID] = c.PlacementType
	}
	for i := range st.Orders {
		o := &st.Orders[i]
		if o.UpdatedAt.IsZero() {
			o.UpdatedAt = o.CreationDate
		}
		if o.Delivery.PartnerType == "" {
			if m, ok := models[o.CampaignID]; ok {
				o.Delivery.PartnerType = partnerType(m)
			}
		}
		if o.Delivery.Address.Recipient == "" {
			o.Delivery.Address.Recipient = recipientName(o.Buyer.LastName, o.Buyer.FirstName, o.Buyer.MiddleName)
		}
	}
}

// partnerType is who delivers an order of a campaign with this model.
func partnerType(model string) string {
	if model == "DBS" {
		return "SHOP"
	}
	return "YANDEX_MARKET"
}

// recipientName is the one-string full name the API puts in address.recipient.
func recipientName(last, first, middle string) string {
	var parts []string
	for _, p := range []string{last, first, middle} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

func (st *State) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	businesses := map[int64]bool{}
	for i, b := range st.Businesses {
		switch {
		case b.ID < 1:
			bad("businesses[%d]: id must be >= 1", i)
		case businesses[b.ID]:
			bad("businesses[%d]: duplicate business id %d", i, b.ID)
		}
		businesses[b.ID] = true
	}
	campaigns := map[int64]Campaign{}
	for i, c := range st.Campaigns {
		where := fmt.Sprintf("campaign %d", c.ID)
		switch {
		case c.ID < 1:
			bad("campaigns[%d]: id must be >= 1", i)
		case campaigns[c.ID].ID != 0:
			bad("campaigns[%d]: duplicate campaign id %d", i, c.ID)
		}
		campaigns[c.ID] = c
		if !businesses[c.BusinessID] {
			bad("%s: business %d does not exist", where, c.BusinessID)
		}
		if !slices.Contains([]string{"DBS", "LAAS", "FBS", "FBY"}, c.PlacementType) {
			bad("%s: placementType %q is not one of DBS, LAAS, FBS, FBY", where, c.PlacementType)
		}
		warehouses := map[int64]bool{}
		for j, w := range c.Warehouses {
			wh := fmt.Sprintf("%s: warehouses[%d]", where, j)
			if w.ID < 1 || warehouses[w.ID] {
				bad("%s: warehouse id %d must be >= 1 and unique in the campaign", wh, w.ID)
			}
			warehouses[w.ID] = true
			for k, o := range w.Courier {
				if err := checkInterval(o.Interval); err != nil {
					bad("%s: courier[%d]: %w", wh, k, err)
				}
				if o.Price < 0 {
					bad("%s: courier[%d]: price must be >= 0", wh, k)
				}
			}
			points := map[int64]bool{}
			for k, p := range w.Pickup {
				if p.LogisticPointID < 1 || points[p.LogisticPointID] {
					bad("%s: pickup[%d]: logisticPointId %d must be >= 1 and unique in the warehouse", wh, k, p.LogisticPointID)
				}
				points[p.LogisticPointID] = true
				if len(p.Options) == 0 {
					bad("%s: pickup[%d]: at least one option is required", wh, k)
				}
				for m, o := range p.Options {
					if err := checkDateRange(o.FromDate, o.ToDate, true); err != nil {
						bad("%s: pickup[%d].options[%d]: %w", wh, k, m, err)
					}
				}
			}
		}
	}
	orders := map[int64]bool{}
	for i, o := range st.Orders {
		if o.ID < 1 {
			bad("orders[%d]: id must be >= 1", i)
			continue
		}
		if orders[o.ID] {
			bad("orders[%d]: duplicate order id %d", i, o.ID)
		}
		orders[o.ID] = true
		c, ok := campaigns[o.CampaignID]
		if !ok {
			bad("order %d: campaign %d does not exist", o.ID, o.CampaignID)
		}
		for _, err := range checkOrder(o, c.PlacementType) {
			bad("order %d: %w", o.ID, err)
		}
	}
	ops := map[string]bool{}
	for i, op := range st.Operations {
		if op.ID == "" || ops[op.ID] {
			bad("operations[%d]: id %q must be non-empty and unique", i, op.ID)
		}
		ops[op.ID] = true
		if !orders[op.OrderID] {
			bad("operation %s: order %d does not exist", op.ID, op.OrderID)
		}
		if !slices.Contains([]string{OperationInProgress, OperationDone, OperationFailed}, op.Status) {
			bad("operation %s: status %q is not one of IN_PROGRESS, DONE, FAILED", op.ID, op.Status)
		}
		switch op.Type {
		case OperationIntervalUpdate:
			if op.Interval == nil {
				bad("operation %s: interval is required for %s", op.ID, op.Type)
			} else if err := checkInterval(*op.Interval); err != nil {
				bad("operation %s: %w", op.ID, err)
			}
		case OperationRecipientUpdate:
			if op.Customer == nil {
				bad("operation %s: customer is required for %s", op.ID, op.Type)
			}
		default:
			bad("operation %s: type %q is not one of %s, %s", op.ID, op.Type, OperationIntervalUpdate, OperationRecipientUpdate)
		}
	}
	for i, e := range st.Timeline {
		where := fmt.Sprintf("timeline[%d]", i)
		if d, err := time.ParseDuration(e.After); err != nil || d < 0 {
			bad("%s: after %q is not a duration >= 0 (e.g. \"2s\", \"1m30s\")", where, e.After)
		}
		if !orders[e.Order] {
			bad("%s: order %d does not exist", where, e.Order)
		}
		if !slices.Contains(orderStatuses(), e.Status) {
			bad("%s: status %q is not an order status", where, e.Status)
		}
		if e.Substatus == "" {
			bad("%s: substatus is required", where)
		}
	}
	return errors.Join(errs...)
}

// checkOrder lists what is wrong with one order of a campaign with this model
// ("" when the campaign is unknown).
func checkOrder(o OrderState, model string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !slices.Contains(orderStatuses(), o.Status) {
		bad("status %q is not an order status", o.Status)
	}
	if o.Substatus == "" {
		bad("substatus is required")
	}
	if o.CreationDate.IsZero() {
		bad("creationDate is required")
	}
	if o.UpdatedAt.Before(o.CreationDate) {
		bad("updatedAt is before creationDate")
	}
	if o.PartnerDateMoves < 0 {
		bad("partnerDateMoves must be >= 0")
	}
	d := o.Delivery
	if !slices.Contains([]string{"DELIVERY", "PICKUP", "POST", "DIGITAL"}, d.Type) {
		bad("delivery.type %q is not one of DELIVERY, PICKUP, POST, DIGITAL", d.Type)
	}
	if d.DeliveryServiceID < 1 {
		bad("delivery.deliveryServiceId must be >= 1")
	}
	if model != "" && d.PartnerType != partnerType(model) {
		bad("delivery.partnerType %q contradicts the campaign's model %s (want %s)", d.PartnerType, model, partnerType(model))
	}
	if err := checkDateRange(d.Dates.FromDate, d.Dates.ToDate, false); err != nil {
		bad("delivery.dates: %w", err)
	}
	for _, f := range [][2]string{{"fromTime", d.Dates.FromTime}, {"toTime", d.Dates.ToTime}} {
		if f[1] != "" && !isClock(f[1], true) {
			bad("delivery.dates.%s %q is not a time (want HH:MM or HH:MM:SS)", f[0], f[1])
		}
	}
	if v := d.Dates.RealDeliveryDate; v != "" && !isDate(v) {
		bad("delivery.dates.realDeliveryDate %q is not a date (want YYYY-MM-DD)", v)
	}
	if v := d.ShipmentDate; v != "" && !isDate(v) {
		bad("delivery.shipmentDate %q is not a date (want YYYY-MM-DD)", v)
	}
	for i, t := range d.Tracks {
		if strings.TrimSpace(t.TrackCode) == "" || t.DeliveryServiceID < 1 {
			bad("delivery.tracks[%d]: trackCode is required and deliveryServiceId must be >= 1", i)
		}
	}
	if o.Buyer.FirstName == "" || o.Buyer.LastName == "" {
		bad("buyer.firstName and buyer.lastName are required")
	}
	if p := d.Address.Phone; p != "" && !isPhone(p) {
		bad("delivery.address.phone %q is not a phone (want +digits, 4 to 15 of them)", p)
	}
	if len(o.Items) == 0 {
		bad("at least one item is required")
	}
	for i, it := range o.Items {
		if it.OfferID == "" || it.Count < 1 {
			bad("items[%d]: offerId is required and count must be >= 1", i)
		}
	}
	for i, iv := range o.AvailableIntervals {
		if err := checkInterval(iv); err != nil {
			bad("availableIntervals[%d]: %w", i, err)
		}
	}
	return errs
}

// checkInterval validates an interval in the YYYY-MM-DD / HH:MM format of the
// update endpoints.
func checkInterval(iv Interval) error {
	if err := checkDateRange(iv.FromDate, iv.ToDate, true); err != nil {
		return err
	}
	if !isClock(iv.FromTime, false) || !isClock(iv.ToTime, false) {
		return fmt.Errorf("times %q and %q must be HH:MM", iv.FromTime, iv.ToTime)
	}
	if iv.FromTime >= iv.ToTime {
		return fmt.Errorf("fromTime %s is not before toTime %s", iv.FromTime, iv.ToTime)
	}
	return nil
}

// checkDateRange validates a YYYY-MM-DD range; toDate may be empty unless
// toRequired.
func checkDateRange(from, to string, toRequired bool) error {
	if !isDate(from) {
		return fmt.Errorf("fromDate %q is not a date (want YYYY-MM-DD)", from)
	}
	if to == "" && !toRequired {
		return nil
	}
	if !isDate(to) {
		return fmt.Errorf("toDate %q is not a date (want YYYY-MM-DD)", to)
	}
	if to < from { // both are YYYY-MM-DD: string order is date order
		return fmt.Errorf("toDate %s is before fromDate %s", to, from)
	}
	return nil
}

// isDate reports whether s is a valid YYYY-MM-DD date.
func isDate(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}

// isClock reports whether s is HH:MM (00:00..23:59), or HH:MM:SS when
// withSeconds.
func isClock(s string, withSeconds bool) bool {
	if len(s) == 8 && withSeconds {
		return isClock(s[:5], false) && s[5] == ':' && s[6] >= '0' && s[6] <= '5' && s[7] >= '0' && s[7] <= '9'
	}
	if len(s) != 5 || s[2] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[:2] <= "23" && s[3] <= '5'
}

// isPhone reports whether s matches ^\+[0-9]{4,15}$.
func isPhone(s string) bool {
	if len(s) < 5 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// validText reports whether s is 1..maxRunes characters of UTF-8.
func validText(s string, maxRunes int) bool {
	return s != "" && utf8.ValidString(s) && utf8.RuneCountInString(s) <= maxRunes
}

func orderStatuses() []string {
	return []string{"PLACING", "RESERVED", "UNPAID", "PROCESSING", "DELIVERY", "PICKUP", "DELIVERED",
		"CANCELLED", "PENDING", "PARTIALLY_RETURNED", "RETURNED", "UNKNOWN"}
}

// Clone returns a deep copy.
func (st *State) Clone() *State {
	c := &State{
		APIKeys:      slices.Clone(st.APIKeys),
		Businesses:   slices.Clone(st.Businesses),
		Campaigns:    make([]Campaign, len(st.Campaigns)),
		Orders:       make([]OrderState, len(st.Orders)),
		Operations:   make([]Operation, len(st.Operations)),
		OperationSeq: st.OperationSeq,
		Timeline:     slices.Clone(st.Timeline),
	}
	for i, x := range st.Campaigns {
		c.Campaigns[i] = x.clone()
	}
	for i, x := range st.Orders {
		c.Orders[i] = x.clone()
	}
	for i, x := range st.Operations {
		c.Operations[i] = x.clone()
	}
	if st.Operations == nil {
		c.Operations = nil
	}
	return c
}

func (c Campaign) clone() Campaign {
	if c.Warehouses == nil {
		return c
	}
	ws := make([]Warehouse, len(c.Warehouses))
	for i, w := range c.Warehouses {
		w.Courier = slices.Clone(w.Courier)
		for j := range w.Courier {
			w.Courier[j].PaymentMethods = slices.Clone(w.Courier[j].PaymentMethods)
			w.Courier[j].AddressContains = slices.Clone(w.Courier[j].AddressContains)
		}
		w.Pickup = slices.Clone(w.Pickup)
		for j := range w.Pickup {
			w.Pickup[j].PaymentMethods = slices.Clone(w.Pickup[j].PaymentMethods)
			w.Pickup[j].Options = slices.Clone(w.Pickup[j].Options)
		}
		ws[i] = w
	}
	c.Warehouses = ws
	return c
}

func (o OrderState) clone() OrderState {
	o.Delivery.Tracks = slices.Clone(o.Delivery.Tracks)
	o.Items = slices.Clone(o.Items)
	o.AvailableIntervals = slices.Clone(o.AvailableIntervals)
	return o
}

func (op Operation) clone() Operation {
	if op.Interval != nil {
		iv := *op.Interval
		op.Interval = &iv
	}
	if op.Customer != nil {
		cu := *op.Customer
		op.Customer = &cu
	}
	return op
}
