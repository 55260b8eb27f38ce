package sandbox

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The read side: GET order, the campaign and business order lists, GET
// campaign. OrderDTO speaks DD-MM-YYYY, BusinessOrderDTO YYYY-MM-DD and ISO
// 8601: the two formats of the real API.

// maxPage is the largest page of the order lists, and the most orderIds one
// request may name.
const maxPage = 50

type orderDTO struct {
	ID                            int64            `json:"id"`
	Status                        string           `json:"status"`
	Substatus                     string           `json:"substatus"`
	CreationDate                  string           `json:"creationDate"`
	UpdatedAt                     string           `json:"updatedAt"`
	Currency                      string           `json:"currency"`
	ItemsTotal                    float64          `json:"itemsTotal"`
	DeliveryTotal                 float64          `json:"deliveryTotal"`
	BuyerItemsTotal               float64          `json:"buyerItemsTotal"`
	BuyerTotal                    float64          `json:"buyerTotal"`
	BuyerItemsTotalBeforeDiscount float64          `json:"buyerItemsTotalBeforeDiscount"`
	BuyerTotalBeforeDiscount      float64          `json:"buyerTotalBeforeDiscount"`
	PaymentType                   string           `json:"paymentType"`
	PaymentMethod                 string           `json:"paymentMethod"`
	Fake                          bool             `json:"fake"`
	Items                         []orderItemDTO   `json:"items"`
	Delivery                      orderDeliveryDTO `json:"delivery"`
	Buyer                         buyerDTO         `json:"buyer"`
	Notes                         string           `json:"notes,omitempty"`
	TaxSystem                     string           `json:"taxSystem"`
	CancelRequested               bool             `json:"cancelRequested"`

	// The storage of Delivery.Address and Delivery.Shipments (set).
	address  Address
	shipment [1]shipmentDTO
}

type orderItemDTO struct {
	ID                       int64   `json:"id"`
	OfferID                  string  `json:"offerId"`
	OfferName                string  `json:"offerName"`
	Price                    float64 `json:"price"`
	BuyerPrice               float64 `json:"buyerPrice"`
	BuyerPriceBeforeDiscount float64 `json:"buyerPriceBeforeDiscount"`
	Count                    int     `json:"count"`
	Vat                      string  `json:"vat,omitempty"`
}

type orderDeliveryDTO struct {
	Type                string        `json:"type"`
	ServiceName         string        `json:"serviceName"`
	DeliveryPartnerType string        `json:"deliveryPartnerType"`
	Dates               datesDTO      `json:"dates"`
	Address             *Address      `json:"address,omitempty"`
	DeliveryServiceID   int64         `json:"deliveryServiceId"`
	OutletCode          string        `json:"outletCode,omitempty"`
	Tracks              []Track       `json:"tracks,omitempty"`
	Shipments           []shipmentDTO `json:"shipments,omitempty"`
}

type datesDTO struct {
	FromDate         string `json:"fromDate"`
	ToDate           string `json:"toDate,omitempty"`
	FromTime         string `json:"fromTime,omitempty"`
	ToTime           string `json:"toTime,omitempty"`
	RealDeliveryDate string `json:"realDeliveryDate,omitempty"`
}

type shipmentDTO struct {
	ShipmentDate string  `json:"shipmentDate"`
	Tracks       []Track `json:"tracks,omitempty"`
}

type buyerDTO struct {
	ID         string `json:"id,omitempty"`
	LastName   string `json:"lastName,omitempty"`
	FirstName  string `json:"firstName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
	Type       string `json:"type"`
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// itemsTotal is what the items cost.
func itemsTotal(o *OrderState) float64 {
	var t float64
	for _, it := range o.Items {
		t += it.Price * float64(it.Count)
	}
	return t
}

// set makes v the view of o as GET order and the campaign order list answer
// it, in v's own storage: one orderDTO encodes a whole page. o is the
// answer's copy of the order (readCopy), whose slices are not copied again.
func (v *orderDTO) set(o *OrderState) {
	total := itemsTotal(o)
	d := &o.Delivery
	items := v.Items[:0]
	if items == nil {
		items = make([]orderItemDTO, 0, len(o.Items))
	}
	for _, it := range o.Items {
		items = append(items, orderItemDTO{ID: it.ID, OfferID: it.OfferID, OfferName: it.OfferName, Price: it.Price,
			BuyerPrice: it.Price, BuyerPriceBeforeDiscount: it.Price, Count: it.Count, Vat: it.Vat})
	}
	*v = orderDTO{
		ID:                            o.ID,
		Status:                        o.Status,
		Substatus:                     o.Substatus,
		CreationDate:                  orderDateTime(o.CreationDate),
		UpdatedAt:                     orderDateTime(o.UpdatedAt),
		Currency:                      "RUR",
		ItemsTotal:                    total,
		DeliveryTotal:                 o.DeliveryTotal,
		BuyerItemsTotal:               total,
		BuyerTotal:                    total + o.DeliveryTotal,
		BuyerItemsTotalBeforeDiscount: total,
		BuyerTotalBeforeDiscount:      total + o.DeliveryTotal,
		PaymentType:                   orDefault(o.PaymentType, "PREPAID"),
		PaymentMethod:                 orDefault(o.PaymentMethod, "YANDEX"),
		Fake:                          o.Fake,
		Items:                         items,
		Delivery: orderDeliveryDTO{
			Type:                d.Type,
			ServiceName:         d.ServiceName,
			DeliveryPartnerType: d.PartnerType,
			Dates: datesDTO{
				FromDate:         ddmmyyyy(d.Dates.FromDate),
				ToDate:           ddmmyyyy(d.Dates.ToDate),
				FromTime:         d.Dates.FromTime,
				ToTime:           d.Dates.ToTime,
				RealDeliveryDate: ddmmyyyy(d.Dates.RealDeliveryDate),
			},
			DeliveryServiceID: d.DeliveryServiceID,
			OutletCode:        d.OutletCode,
			Tracks:            d.Tracks,
		},
		Buyer: buyerDTO{ID: o.Buyer.ID, LastName: o.Buyer.LastName, FirstName: o.Buyer.FirstName,
			MiddleName: o.Buyer.MiddleName, Type: orDefault(o.Buyer.Type, "PERSON")},
		Notes:           o.Notes,
		TaxSystem:       "OSN",
		CancelRequested: o.CancelRequested,
		address:         d.Address,
	}
	v.Delivery.Address = &v.address
	if d.ShipmentDate != "" {
		v.shipment[0] = shipmentDTO{ShipmentDate: ddmmyyyy(d.ShipmentDate), Tracks: d.Tracks}
		v.Delivery.Shipments = v.shipment[:]
	}
}

// readCopy is a copy of o that an answer reads after the server's lock is
// released (response.write): its tracks are its own, as setTrack changes
// them in place; its items are shared, as nothing changes an item in place
// (UpdateOrder replaces the order, Generate's orders share their items).
func readCopy(o *OrderState) OrderState {
	c := *o
	c.Delivery.Tracks = slices.Clone(c.Delivery.Tracks)
	return c
}

// orderAnswer is the answer of GET order: the order as it was under the
// lock, viewed and encoded after it.
type orderAnswer struct {
	order OrderState
}

func (a *orderAnswer) appendJSON(e *jsonBuf) {
	var v orderDTO
	v.set(&a.order)
	e.raw(`{"order":`)
	v.appendJSON(e)
	e.b = append(e.b, '}')
}

func (a *orderAnswer) written() {}

func (s *Server) getOrder(rt route) response {
	c, err := s.campaignOf(rt.campaignID)
	if err != nil {
		return err.response()
	}
	o, err := s.orderIn(c, rt.orderID)
	if err != nil {
		return err.response()
	}
	return ok(&orderAnswer{order: readCopy(o)})
}

// campaignOf finds a campaign or answers 404.
func (s *Server) campaignOf(id int64) (*Campaign, *apiError) {
	c := s.campaign(id)
	if c == nil {
		return nil, notFound("campaign %d not found", id)
	}
	return c, nil
}

// orderIn finds an order of a campaign or answers 404.
func (s *Server) orderIn(c *Campaign, id int64) (*OrderState, *apiError) {
	o := s.order(id)
	if o == nil || o.CampaignID != c.ID {
		return nil, notFound("order %d not found in campaign %d", id, c.ID)
	}
	return o, nil
}

type pagingDTO struct {
	NextPageToken string `json:"nextPageToken,omitempty"`
}

// orderListAnswer is the answer of the campaign order list: its orders as
// they were under the lock, viewed and encoded after it.
type orderListAnswer struct {
	orders *orderCopies
	next   string
}

func (a *orderListAnswer) appendJSON(e *jsonBuf) {
	e.raw(`{"orders":[`)
	var v orderDTO
	for i := range a.orders.orders {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		v.set(&a.orders.orders[i])
		v.appendJSON(e)
	}
	e.raw(`],"paging":`)
	(&pagingDTO{NextPageToken: a.next}).appendJSON(e)
	e.b = append(e.b, '}')
}

func (a *orderListAnswer) written() { a.orders.free() }

// orderCopies are the orders of a page copied under the lock (readCopy),
// with their campaigns' models for the business list; the copies of one
// answer are reused by another once it is written.
type orderCopies struct {
	orders []OrderState
	models []string
}

var copies = sync.Pool{New: func() any { return new(orderCopies) }}

func newOrderCopies() *orderCopies {
	c := copies.Get().(*orderCopies)
	c.orders, c.models = c.orders[:0], c.models[:0]
	return c
}

func (c *orderCopies) add(o *OrderState, model string) {
	c.orders = append(c.orders, readCopy(o))
	c.models = append(c.models, model)
}

func (c *orderCopies) free() { copies.Put(c) }

// listOrdersFilters are the query parameters of GET orders other than
// orderIds and paging; orderIds may not be combined with them. Only those
// parseListFilters reads filter; the emulator refuses the others beside
// orderIds and otherwise ignores them (its orders have no shipment dates,
// CIS or buyer types). None is sent by orderform.
func listOrdersFilters() []string {
	return []string{"status", "substatus", "fromDate", "toDate", "supplierShipmentDateFrom",
		"supplierShipmentDateTo", "updatedAtFrom", "updatedAtTo", "dispatchType", "fake", "hasCis",
		"onlyWaitingForCancellationApprove", "onlyEstimatedDelivery", "buyerType"}
}

// queryList reads an array query parameter, repeated and/or comma separated.
func queryList(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseIDs reads positive int64 IDs, reporting the first that is not one.
func parseIDs(field string, values []string) ([]int64, *apiError) {
	ids := make([]int64, 0, len(values))
	for _, v := range values {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, badRequest("%s: %q is not a positive integer", field, v)
		}
		if !slices.Contains(ids, n) {
			ids = append(ids, n)
		}
	}
	return ids, nil
}

// orderFilter is what an order list keeps. orderform sends only orderIds
// (with limit and pageToken); every other filter is documented, unused by
// orderform: emulated for manual use and tested, so that a request using it
// is not answered as if it had not.
type orderFilter struct {
	ids                    []int64
	statuses, substatuses  []string
	fake                   *bool
	createdFrom, createdTo string // YYYY-MM-DD, inclusive
	updatedFrom, updatedTo time.Time
}

// keeps reports whether the filter keeps o; the IDs are the caller's (page
// looks the named orders up instead of testing every order).
func (f *orderFilter) keeps(o *OrderState) bool {
	var created string // the creation day in Moscow, only when a filter needs it
	if f.createdFrom != "" || f.createdTo != "" {
		created = o.CreationDate.In(moscow()).Format(time.DateOnly)
	}
	switch {
	case len(f.statuses) > 0 && !slices.Contains(f.statuses, o.Status),
		len(f.substatuses) > 0 && !slices.Contains(f.substatuses, o.Substatus),
		f.fake != nil && o.Fake != *f.fake,
		f.createdFrom != "" && created < f.createdFrom,
		f.createdTo != "" && created > f.createdTo,
		!f.updatedFrom.IsZero() && o.UpdatedAt.Before(f.updatedFrom),
		!f.updatedTo.IsZero() && o.UpdatedAt.After(f.updatedTo):
		return false
	}
	return true
}

// page lists, by ID, the orders of scope (indexes of st.Orders sorted by
// order ID: a campaign's or a business's) that inScope and the filter keep,
// after the token's order, and cuts the page. Named orders are looked up,
// so a request costs what it names, not the shop; without names the scan
// starts at the token and stops at the page's end.
func (s *Server) page(f *orderFilter, scope []int32, inScope func(*OrderState) bool, token string, limit int) ([]*OrderState, string, *apiError) {
	after, err := parsePageToken(token)
	if err != nil {
		return nil, "", err
	}
	var kept []*OrderState
	if len(f.ids) > 0 {
		for _, id := range f.ids {
			if o := s.order(id); o != nil && o.ID > after && inScope(o) && f.keeps(o) && !slices.Contains(kept, o) {
				kept = append(kept, o)
			}
		}
		slices.SortFunc(kept, func(a, b *OrderState) int { return cmp.Compare(a.ID, b.ID) })
	} else {
		start, _ := slices.BinarySearchFunc(scope, after+1, func(i int32, id int64) int { return cmp.Compare(s.st.Orders[i].ID, id) })
		for _, i := range scope[start:] {
			if o := &s.st.Orders[i]; inScope(o) && f.keeps(o) {
				kept = append(kept, o)
				if len(kept) > limit {
					break
				}
			}
		}
	}
	if len(kept) <= limit {
		return kept, "", nil
	}
	kept = kept[:limit]
	return kept, pageToken(kept[limit-1].ID), nil
}

// pageToken is opaque to clients; it carries the last order ID of the page.
func pageToken(after int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + strconv.FormatInt(after, 10)))
}

func parsePageToken(token string) (int64, *apiError) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	rest, found := strings.CutPrefix(string(raw), "after:")
	n, perr := strconv.ParseInt(rest, 10, 64)
	if err != nil || !found || perr != nil {
		return 0, badRequest("pageToken %q is invalid: pass nextPageToken of the previous page", token)
	}
	return n, nil
}

// parseLimit reads limit: 1 or more, truncated to the maximum as the API does.
func parseLimit(v string) (int, *apiError) {
	if v == "" {
		return maxPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, badRequest("limit must be a positive integer, got %q", v)
	}
	return min(n, maxPage), nil
}

// listOrdersQuery is a campaign order list request as parseListOrders
// reads it, before the server's lock: the filter, or what is wrong with it.
type listOrdersQuery struct {
	f     orderFilter
	limit int
	token string
	err   *apiError
}

func parseListOrders(q url.Values) *listOrdersQuery {
	p := &listOrdersQuery{token: q.Get("pageToken")}
	if q.Has("orderIds") {
		values := queryList(q, "orderIds")
		if p.f.ids, p.err = parseIDs("orderIds", values); p.err != nil {
			return p
		}
		if len(p.f.ids) == 0 || len(p.f.ids) > maxPage {
			p.err = badRequest("orderIds: 1 to %d order IDs, got %d", maxPage, len(p.f.ids))
			return p
		}
		for _, name := range listOrdersFilters() {
			if q.Has(name) {
				p.err = badRequest("orderIds cannot be combined with other filters (%s)", name)
				return p
			}
		}
	}
	if p.err = parseListFilters(q, &p.f); p.err != nil {
		return p
	}
	p.limit, p.err = parseLimit(q.Get("limit"))
	return p
}

func (s *Server) listOrders(rt route, p *listOrdersQuery) response {
	c, err := s.campaignOf(rt.campaignID)
	if err != nil {
		return err.response()
	}
	if p.err != nil {
		return p.err.response()
	}
	orders, next, err := s.page(&p.f, s.byCampaign[c.ID], func(o *OrderState) bool { return o.CampaignID == c.ID }, p.token, p.limit)
	if err != nil {
		return err.response()
	}
	out := &orderListAnswer{orders: newOrderCopies(), next: next}
	for _, o := range orders {
		out.orders.add(o, "")
	}
	return ok(out)
}

// parseListFilters reads the filters of GET orders. Real orders only, unless
// fake=true, as the API does when no orderIds are named. All of them are
// documented, unused by orderform (see orderFilter).
func parseListFilters(q url.Values, f *orderFilter) *apiError {
	for _, st := range queryList(q, "status") {
		if !slices.Contains(orderStatuses(), st) {
			return badRequest("status: %q is not an order status", st)
		}
		f.statuses = append(f.statuses, st)
	}
	f.substatuses = queryList(q, "substatus")
	if len(f.ids) == 0 {
		fake := false
		if v := q.Get("fake"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return badRequest("fake must be true or false, got %q", v)
			}
			fake = b
		}
		f.fake = &fake
	}
	var from, to time.Time
	for _, p := range []struct {
		name string
		dst  *time.Time
		iso  *string
	}{{"fromDate", &from, &f.createdFrom}, {"toDate", &to, &f.createdTo}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse("02-01-2006", v)
		if err != nil {
			return badRequest("%s %q is not a date (want DD-MM-YYYY)", p.name, v)
		}
		*p.dst, *p.iso = t, t.Format(time.DateOnly)
	}
	if !from.IsZero() && !to.IsZero() && (to.Before(from) || to.Sub(from) > 30*24*time.Hour) {
		return badRequest("fromDate and toDate must be in order and at most 30 days apart")
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"updatedAtFrom", &f.updatedFrom}, {"updatedAtTo", &f.updatedTo}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return badRequest("%s %q is not an ISO 8601 date-time with an offset", p.name, v)
			}
			*p.dst = t
		}
	}
	return nil
}

type currencyValue struct {
	Value      float64 `json:"value"`
	CurrencyID string  `json:"currencyId"`
}

func rub(v float64) currencyValue { return currencyValue{Value: v, CurrencyID: "RUR"} }

type businessOrderDTO struct {
	OrderID         int64               `json:"orderId"`
	CampaignID      int64               `json:"campaignId"`
	ProgramType     string              `json:"programType"`
	Status          string              `json:"status"`
	Substatus       string              `json:"substatus"`
	CreationDate    string              `json:"creationDate"`
	UpdateDate      string              `json:"updateDate"`
	PaymentType     string              `json:"paymentType"`
	PaymentMethod   string              `json:"paymentMethod"`
	Fake            bool                `json:"fake"`
	Items           []businessItemDTO   `json:"items"`
	Prices          businessPricesDTO   `json:"prices"`
	Delivery        businessDeliveryDTO `json:"delivery"`
	BuyerType       string              `json:"buyerType"`
	Notes           string              `json:"notes,omitempty"`
	CancelRequested bool                `json:"cancelRequested"`

	// The storage of Delivery.Shipment, Courier and Pickup (set).
	shipment businessShipment
	courier  businessCourierDTO
	pickup   businessPickupDTO
}

type businessItemDTO struct {
	ID        int64  `json:"id"`
	OfferID   string `json:"offerId"`
	OfferName string `json:"offerName"`
	Count     int    `json:"count"`
	Prices    struct {
		Payment currencyValue `json:"payment"`
		Vat     string        `json:"vat,omitempty"`
	} `json:"prices"`
}

type businessPricesDTO struct {
	Payment  currencyValue `json:"payment"`
	Delivery struct {
		Payment currencyValue `json:"payment"`
	} `json:"delivery"`
}

type businessDeliveryDTO struct {
	Type                string              `json:"type"`
	ServiceName         string              `json:"serviceName"`
	DeliveryServiceID   int64               `json:"deliveryServiceId"`
	WarehouseID         string              `json:"warehouseId,omitempty"`
	DeliveryPartnerType string              `json:"deliveryPartnerType"`
	Dates               datesDTO            `json:"dates"`
	Shipment            *businessShipment   `json:"shipment,omitempty"`
	Courier             *businessCourierDTO `json:"courier,omitempty"`
	Pickup              *businessPickupDTO  `json:"pickup,omitempty"`
	Tracks              []Track             `json:"tracks,omitempty"`
}

type businessShipment struct {
	ShipmentDate string `json:"shipmentDate"`
}

// businessAddressDTO is an address without the recipient's name and phone:
// the business order list does not carry them.
type businessAddressDTO struct {
	Country   string `json:"country,omitempty"`
	Postcode  string `json:"postcode,omitempty"`
	City      string `json:"city,omitempty"`
	Street    string `json:"street,omitempty"`
	House     string `json:"house,omitempty"`
	Block     string `json:"block,omitempty"`
	Entrance  string `json:"entrance,omitempty"`
	Floor     string `json:"floor,omitempty"`
	Apartment string `json:"apartment,omitempty"`
}

type businessCourierDTO struct {
	Address businessAddressDTO `json:"address"`
}

type businessPickupDTO struct {
	Address         businessAddressDTO `json:"address"`
	LogisticPointID int64              `json:"logisticPointId,omitempty"`
	OutletCode      string             `json:"outletCode,omitempty"`
}

// set makes v the view of o, of a campaign of this model, as POST
// businesses/{id}/orders answers it, in v's own storage: one
// businessOrderDTO encodes a whole page. o is the answer's copy of the
// order (readCopy), whose slices are not copied again.
func (v *businessOrderDTO) set(o *OrderState, model string) {
	d := &o.Delivery
	items := v.Items[:0]
	if items == nil {
		items = make([]businessItemDTO, 0, len(o.Items))
	}
	for _, it := range o.Items {
		item := businessItemDTO{ID: it.ID, OfferID: it.OfferID, OfferName: it.OfferName, Count: it.Count}
		item.Prices.Payment = rub(it.Price * float64(it.Count))
		item.Prices.Vat = it.Vat
		items = append(items, item)
	}
	a := &d.Address
	addr := businessAddressDTO{Country: a.Country, Postcode: a.Postcode, City: a.City, Street: a.Street,
		House: a.House, Block: a.Block, Entrance: a.Entrance, Floor: a.Floor, Apartment: a.Apartment}
	*v = businessOrderDTO{
		OrderID:       o.ID,
		CampaignID:    o.CampaignID,
		ProgramType:   model,
		Status:        o.Status,
		Substatus:     o.Substatus,
		CreationDate:  isoDateTime(o.CreationDate),
		UpdateDate:    isoDateTime(o.UpdatedAt),
		PaymentType:   orDefault(o.PaymentType, "PREPAID"),
		PaymentMethod: orDefault(o.PaymentMethod, "YANDEX"),
		Fake:          o.Fake,
		Items:         items,
		Delivery: businessDeliveryDTO{
			Type:                d.Type,
			ServiceName:         d.ServiceName,
			DeliveryServiceID:   d.DeliveryServiceID,
			DeliveryPartnerType: d.PartnerType,
			Dates: datesDTO{FromDate: d.Dates.FromDate, ToDate: d.Dates.ToDate, FromTime: d.Dates.FromTime,
				ToTime: d.Dates.ToTime, RealDeliveryDate: d.Dates.RealDeliveryDate},
			Tracks: d.Tracks,
		},
		BuyerType:       orDefault(o.Buyer.Type, "PERSON"),
		Notes:           o.Notes,
		CancelRequested: o.CancelRequested,
	}
	v.Prices.Payment = rub(itemsTotal(o))
	v.Prices.Delivery.Payment = rub(o.DeliveryTotal)
	if d.WarehouseID != 0 {
		v.Delivery.WarehouseID = strconv.FormatInt(d.WarehouseID, 10)
	}
	if d.ShipmentDate != "" {
		v.shipment = businessShipment{ShipmentDate: d.ShipmentDate}
		v.Delivery.Shipment = &v.shipment
	}
	if d.Type == "PICKUP" {
		v.pickup = businessPickupDTO{Address: addr, LogisticPointID: d.LogisticPointID, OutletCode: d.OutletCode}
		v.Delivery.Pickup = &v.pickup
	} else {
		v.courier = businessCourierDTO{Address: addr}
		v.Delivery.Courier = &v.courier
	}
}

// businessOrdersAnswer is the answer of POST business orders: its orders as
// they were under the lock, with their campaigns' models, viewed and
// encoded after it.
type businessOrdersAnswer struct {
	orders *orderCopies
	next   string
}

func (a *businessOrdersAnswer) appendJSON(e *jsonBuf) {
	e.raw(`{"orders":[`)
	var v businessOrderDTO
	for i := range a.orders.orders {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		v.set(&a.orders.orders[i], a.orders.models[i])
		v.appendJSON(e)
	}
	e.raw(`],"paging":`)
	(&pagingDTO{NextPageToken: a.next}).appendJSON(e)
	e.b = append(e.b, '}')
}

func (a *businessOrdersAnswer) written() { a.orders.free() }

// businessOrdersRequest is the body of POST business orders. orderform sends
// orderIds only; the other filters are documented, unused by orderform.
type businessOrdersRequest struct {
	OrderIDs         []int64  `json:"orderIds"`
	ExternalOrderIDs []string `json:"externalOrderIds"`
	ProgramTypes     []string `json:"programTypes"`
	CampaignIDs      []int64  `json:"campaignIds"`
	Statuses         []string `json:"statuses"`
	Substatuses      []string `json:"substatuses"`
	Dates            *struct {
		CreationDateFrom string `json:"creationDateFrom"`
		CreationDateTo   string `json:"creationDateTo"`
		UpdateDateFrom   string `json:"updateDateFrom"`
		UpdateDateTo     string `json:"updateDateTo"`
	} `json:"dates"`
	Fake *bool `json:"fake"`
}

// businessOrdersQuery is a POST business orders request as
// parseBusinessOrders reads it, before the server's lock: the filter, or
// what is wrong with it as far as it can be told without the state.
type businessOrdersQuery struct {
	req businessOrdersRequest
	// orderIDs are what the request names for the record
	// (endpoint.orderIDs): the decoded orderIds, or, of a body that does
	// not decode, what does.
	orderIDs []int64
	f        orderFilter
	limit    int
	token    string
	err      *apiError // of the body
	limitErr *apiError
}

func parseBusinessOrders(q url.Values, body []byte) *businessOrdersQuery {
	p := &businessOrdersQuery{token: q.Get("pageToken")}
	p.limit, p.limitErr = parseLimit(q.Get("limit"))
	if p.err = decodeBody(body, &p.req); p.err != nil {
		var lenient struct {
			OrderIDs []int64 `json:"orderIds"`
		}
		_ = json.Unmarshal(body, &lenient) // lenient: what decodes is enough
		p.orderIDs = lenient.OrderIDs
		return p
	}
	req := &p.req
	p.orderIDs = req.OrderIDs
	if p.err = checkBusinessOrdersRequest(req); p.err != nil {
		return p
	}
	p.f = orderFilter{ids: req.OrderIDs, statuses: req.Statuses, substatuses: req.Substatuses, fake: req.Fake}
	if d := req.Dates; d != nil {
		p.f.createdFrom, p.f.createdTo = d.CreationDateFrom, d.CreationDateTo
		p.f.updatedFrom, _ = time.Parse(time.RFC3339, d.UpdateDateFrom) // checked above
		p.f.updatedTo, _ = time.Parse(time.RFC3339, d.UpdateDateTo)
	}
	return p
}

func (s *Server) businessOrders(rt route, p *businessOrdersQuery) response {
	if s.business(rt.businessID) == nil {
		return notFound("business %d not found", rt.businessID).response()
	}
	if p.err != nil {
		return p.err.response()
	}
	req := &p.req
	for _, id := range req.CampaignIDs {
		if c := s.campaign(id); c == nil || c.BusinessID != rt.businessID {
			return newAPIError(http.StatusForbidden, "FORBIDDEN", "campaign %d is not a campaign of business %d", id, rt.businessID).response()
		}
	}
	if p.limitErr != nil {
		return p.limitErr.response()
	}
	inScope := func(o *OrderState) bool {
		c := s.campaign(o.CampaignID)
		return c != nil && c.BusinessID == rt.businessID &&
			(len(req.CampaignIDs) == 0 || slices.Contains(req.CampaignIDs, c.ID)) &&
			(len(req.ProgramTypes) == 0 || slices.Contains(req.ProgramTypes, c.PlacementType)) &&
			len(req.ExternalOrderIDs) == 0 // the emulator's orders have no external IDs
	}
	orders, next, err := s.page(&p.f, s.byBusiness[rt.businessID], inScope, p.token, p.limit)
	if err != nil {
		return err.response()
	}
	out := &businessOrdersAnswer{orders: newOrderCopies(), next: next}
	for _, o := range orders {
		out.orders.add(o, s.campaign(o.CampaignID).PlacementType) // inScope saw it
	}
	return ok(out)
}

// checkBusinessOrdersRequest is what the server can tell is wrong with a
// request without its state; every problem is reported.
func checkBusinessOrdersRequest(req *businessOrdersRequest) *apiError {
	var e *apiError
	bad := func(format string, args ...any) { e = e.add("BAD_REQUEST", format, args...) }
	checkIDs := func(field string, ids []int64, max int) {
		if ids != nil && (len(ids) == 0 || len(ids) > max) {
			bad("%s: 1 to %d items, got %d", field, max, len(ids))
		}
		for i, id := range ids {
			if id < 1 {
				bad("%s[%d] must be a positive integer", field, i)
			}
		}
		for _, id := range repeated(ids) {
			bad("%s: %d is repeated", field, id)
		}
	}
	checkIDs("orderIds", req.OrderIDs, maxPage)
	checkIDs("campaignIds", req.CampaignIDs, maxPage)
	for _, st := range req.Statuses {
		if !slices.Contains(orderStatuses(), st) {
			bad("statuses: %q is not an order status", st)
		}
	}
	for _, pt := range req.ProgramTypes {
		if !slices.Contains([]string{"FBY", "FBS", "DBS", "EXPRESS", "LAAS"}, pt) {
			bad("programTypes: %q is not one of FBY, FBS, DBS, EXPRESS, LAAS", pt)
		}
	}
	if d := req.Dates; d != nil {
		for _, p := range [][2]string{{"dates.creationDateFrom", d.CreationDateFrom}, {"dates.creationDateTo", d.CreationDateTo}} {
			if p[1] != "" && !isDate(p[1]) {
				bad("%s %q is not a date (want YYYY-MM-DD)", p[0], p[1])
			}
		}
		for _, p := range [][2]string{{"dates.updateDateFrom", d.UpdateDateFrom}, {"dates.updateDateTo", d.UpdateDateTo}} {
			if _, err := time.Parse(time.RFC3339, p[1]); p[1] != "" && err != nil {
				bad("%s %q is not an ISO 8601 date-time with an offset", p[0], p[1])
			}
		}
	}
	return e
}

type campaignBody struct {
	Campaign campaignDTO `json:"campaign"`
}

type campaignDTO struct {
	Domain          string   `json:"domain,omitempty"`
	ID              int64    `json:"id"`
	Business        Business `json:"business"`
	PlacementType   string   `json:"placementType"`
	APIAvailability string   `json:"apiAvailability"`
}

func (s *Server) getCampaign(rt route) response {
	c, err := s.campaignOf(rt.campaignID)
	if err != nil {
		return err.response()
	}
	b := Business{ID: c.BusinessID}
	if x := s.business(c.BusinessID); x != nil {
		b = *x
	}
	return ok(campaignBody{Campaign: campaignDTO{Domain: c.Domain, ID: c.ID, Business: b,
		PlacementType: c.PlacementType, APIAvailability: "AVAILABLE"}})
}
