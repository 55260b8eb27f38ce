// Package notification is the wire format of the Market's push notifications
// (the Market calls the seller: POST {seller URL}/notification) and of the
// seller's answers. It sits beside provider, which calls the Market: the
// sandbox uses it to send notifications and `watch` to receive them, so both
// ends agree on one typed format and neither hand-writes JSON.
//
// Parse is strict about the shape of what orderform uses and lenient about
// what the Market may add: a body that is not one JSON object with a string
// notificationType, or a known type without its documented fields, is a
// *FormatError (answer 400 WRONG_EVENT_FORMAT with its ErrorAnswer); fields
// it does not know are ignored, and so is a notificationType it does not
// know: such a notification parses with Known() false, to be answered 200
// and ignored, as the contract asks. A 400 would make the Market retry, and
// after 14 days switch the integration off, over a type it has every right
// to add.
package notification

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Type is a notification's notificationType.
type Type string

// The types orderform handles; the Market sends others too (chats, reviews,
// returns, ORDER_CANCELLATION_REQUEST), which parse with Known() false.
const (
	Ping               Type = "PING"
	OrderCreated       Type = "ORDER_CREATED"
	OrderStatusUpdated Type = "ORDER_STATUS_UPDATED"
	OrderUpdated       Type = "ORDER_UPDATED"
	OrderCancelled     Type = "ORDER_CANCELLED"
)

// The updateType values of ORDER_UPDATED.
const (
	ShipmentDateUpdated = "SHIPMENT_DATE_UPDATED"
	DeliveryDateUpdated = "DELIVERY_DATE_UPDATED"
	UpdateUnknown       = "UNKNOWN"
)

// Notification is one push notification. Which fields a type carries:
//
//	PING                  Time (time)
//	ORDER_CREATED         CampaignID, OrderID, Time (createdAt), Items
//	ORDER_STATUS_UPDATED  CampaignID, OrderID, Status, Substatus, Time (updatedAt)
//	ORDER_UPDATED         CampaignID, OrderID, UpdateType, Time (updatedAt)
//	ORDER_CANCELLED       CampaignID, OrderID, Time (cancelledAt), Items
//
// A notification of another type has its Type and, when the body has them as
// positive integers, CampaignID and OrderID (ORDER_CANCELLATION_REQUEST and
// the return types name an order too).
//
// A notification is a hint to re-read the order, never the order's state:
// duplicates are normal and the status may already be old.
type Notification struct {
	Type       Type
	CampaignID int64
	OrderID    int64
	Status     string
	Substatus  string
	UpdateType string
	Items      []Item
	// Time is the event's instant; Marshal writes it in RFC 3339 with whole
	// seconds, as the Market's examples do.
	Time time.Time
}

// Item is a line of ORDER_CREATED and ORDER_CANCELLED.
type Item struct {
	OfferID string `json:"offerId"`
	Count   int    `json:"count"`
}

// Known reports whether n is of a type this package describes field by
// field; the others are to be answered 200 and ignored.
func (n Notification) Known() bool {
	switch n.Type {
	case Ping, OrderCreated, OrderStatusUpdated, OrderUpdated, OrderCancelled:
		return true
	}
	return false
}

// IsOrder reports whether n names an order (a known order type, or another
// type whose body had an orderId).
func (n Notification) IsOrder() bool { return n.Type != Ping && n.OrderID > 0 }

// wire is the JSON of every known type; pointers tell a missing field from a
// zero one.
type wire struct {
	NotificationType *string `json:"notificationType"`
	CampaignID       *int64  `json:"campaignId,omitempty"`
	OrderID          *int64  `json:"orderId,omitempty"`
	Status           *string `json:"status,omitempty"`
	Substatus        *string `json:"substatus,omitempty"`
	UpdateType       *string `json:"updateType,omitempty"`
	Time             *string `json:"time,omitempty"`
	CreatedAt        *string `json:"createdAt,omitempty"`
	UpdatedAt        *string `json:"updatedAt,omitempty"`
	CancelledAt      *string `json:"cancelledAt,omitempty"`
	Items            *[]Item `json:"items,omitempty"`
}

// timeField is the field a type carries its instant in.
func timeField(t Type) string {
	switch t {
	case Ping:
		return "time"
	case OrderCreated:
		return "createdAt"
	case OrderCancelled:
		return "cancelledAt"
	}
	return "updatedAt"
}

func (w *wire) timeOf(t Type) **string {
	switch timeField(t) {
	case "time":
		return &w.Time
	case "createdAt":
		return &w.CreatedAt
	case "cancelledAt":
		return &w.CancelledAt
	}
	return &w.UpdatedAt
}

// Marshal returns n's JSON exactly as the Market sends it. A notification
// that lacks a field its type requires is an error: the sandbox must never
// send what Parse would refuse.
func (n Notification) Marshal() ([]byte, error) {
	if err := n.check(); err != nil {
		return nil, fmt.Errorf("marshal %s notification: %w", typeName(n.Type), err)
	}
	t := string(n.Type)
	w := wire{NotificationType: &t}
	if n.Type != Ping && (n.Known() || n.CampaignID > 0) {
		w.CampaignID = &n.CampaignID
	}
	if n.Type != Ping && (n.Known() || n.OrderID > 0) {
		w.OrderID = &n.OrderID
	}
	switch n.Type {
	case OrderStatusUpdated:
		w.Status, w.Substatus = &n.Status, &n.Substatus
	case OrderUpdated:
		w.UpdateType = &n.UpdateType
	case OrderCreated, OrderCancelled:
		items := n.Items
		if items == nil {
			items = []Item{}
		}
		w.Items = &items
	}
	if n.Known() {
		ts := n.Time.UTC().Format(time.RFC3339)
		*w.timeOf(n.Type) = &ts
	}
	return json.Marshal(w)
}

func typeName(t Type) string {
	if t == "" {
		return "untyped"
	}
	return string(t)
}

// check is what Marshal requires and Parse enforces of a known type.
func (n Notification) check() error {
	if n.Type == "" {
		return errors.New("notificationType is required")
	}
	if !n.Known() {
		return nil
	}
	var errs []error
	if n.Type != Ping {
		if n.CampaignID < 1 {
			errs = append(errs, errors.New("campaignId must be >= 1"))
		}
		if n.OrderID < 1 {
			errs = append(errs, errors.New("orderId must be >= 1"))
		}
	}
	switch n.Type {
	case OrderStatusUpdated:
		if n.Status == "" || n.Substatus == "" {
			errs = append(errs, errors.New("status and substatus are required"))
		}
	case OrderUpdated:
		if n.UpdateType == "" {
			errs = append(errs, errors.New("updateType is required"))
		}
	}
	for i, it := range n.Items {
		if it.OfferID == "" || it.Count < 1 {
			errs = append(errs, fmt.Errorf("items[%d]: offerId is required and count must be >= 1", i))
		}
	}
	if n.Time.IsZero() {
		errs = append(errs, fmt.Errorf("%s is required", timeField(n.Type)))
	}
	return errors.Join(errs...)
}

// FormatError is a body that is not a notification of the documented shape:
// the answer is 400 with Answer().
type FormatError struct{ Message string }

func (e *FormatError) Error() string { return "wrong notification format: " + e.Message }

// Answer is the 400 body for e.
func (e *FormatError) Answer() ErrorAnswer {
	return ErrorAnswer{Type: WrongEventFormat, Message: e.Message}
}

func formatErr(format string, args ...any) *FormatError {
	return &FormatError{Message: fmt.Sprintf(format, args...)}
}

// Parse reads one notification. Its error is always a *FormatError.
func Parse(data []byte) (Notification, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return Notification{}, formatErr("the body is not a JSON object")
	}
	if dec.More() {
		return Notification{}, formatErr("data after the JSON object")
	}
	var t string
	if err := json.Unmarshal(raw["notificationType"], &t); err != nil || t == "" {
		return Notification{}, formatErr("notificationType is required and must be a string")
	}
	n := Notification{Type: Type(t)}
	if !n.Known() {
		// Another type: only what says which order, when it is there.
		var id int64
		if json.Unmarshal(raw["campaignId"], &id) == nil && id > 0 {
			n.CampaignID = id
		}
		if json.Unmarshal(raw["orderId"], &id) == nil && id > 0 {
			n.OrderID = id
		}
		return n, nil
	}
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return Notification{}, formatErr("%s: %v", t, typeErr(err))
	}
	if n.Type != Ping {
		if w.CampaignID == nil || w.OrderID == nil {
			return Notification{}, formatErr("%s: campaignId and orderId are required", t)
		}
		n.CampaignID, n.OrderID = *w.CampaignID, *w.OrderID
	}
	switch n.Type {
	case OrderStatusUpdated:
		if w.Status == nil || w.Substatus == nil {
			return Notification{}, formatErr("%s: status and substatus are required", t)
		}
		n.Status, n.Substatus = *w.Status, *w.Substatus
	case OrderUpdated:
		if w.UpdateType == nil {
			return Notification{}, formatErr("%s: updateType is required", t)
		}
		n.UpdateType = *w.UpdateType
	case OrderCreated, OrderCancelled:
		if w.Items != nil {
			n.Items = *w.Items
		}
	}
	field := timeField(n.Type)
	ts := *w.timeOf(n.Type)
	if ts == nil {
		return Notification{}, formatErr("%s: %s is required", t, field)
	}
	tm, err := time.Parse(time.RFC3339, *ts)
	if err != nil {
		return Notification{}, formatErr("%s: %s %q is not an RFC 3339 time", t, field, *ts)
	}
	n.Time = tm
	if err := n.check(); err != nil {
		return Notification{}, formatErr("%s: %v", t, err)
	}
	return n, nil
}

// typeErr says which field had the wrong type, without Go's type names.
func typeErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s has the wrong type", te.Field)
	}
	return "the body does not have the documented shape"
}

// The error types of a 400 or 500 answer.
const (
	WrongEventFormat = "WRONG_EVENT_FORMAT"
	DuplicatedEvent  = "DUPLICATED_EVENT"
	UnknownError     = "UNKNOWN"
)

// Answer is the seller's 200 answer: who answered and when. Name and Version
// are 1 to 100 characters.
type Answer struct {
	Version string
	Name    string
	Time    time.Time
}

type answerWire struct {
	Version *string `json:"version"`
	Name    *string `json:"name"`
	Time    *string `json:"time"`
}

// Marshal returns a's JSON: {"version", "name", "time"}.
func (a Answer) Marshal() ([]byte, error) {
	if !validText(a.Version) || !validText(a.Name) {
		return nil, errors.New("marshal notification answer: version and name must be 1 to 100 characters")
	}
	if a.Time.IsZero() {
		return nil, errors.New("marshal notification answer: time is required")
	}
	ts := a.Time.UTC().Format(time.RFC3339)
	return json.Marshal(answerWire{Version: &a.Version, Name: &a.Name, Time: &ts})
}

// ParseAnswer reads a 200 answer; what the Market would refuse is an error.
func ParseAnswer(data []byte) (Answer, error) {
	var w answerWire
	if err := json.Unmarshal(data, &w); err != nil {
		return Answer{}, fmt.Errorf("parse notification answer: %w", err)
	}
	if w.Version == nil || w.Name == nil || w.Time == nil {
		return Answer{}, errors.New("parse notification answer: version, name and time are required")
	}
	if !validText(*w.Version) || !validText(*w.Name) {
		return Answer{}, errors.New("parse notification answer: version and name must be 1 to 100 characters")
	}
	t, err := time.Parse(time.RFC3339, *w.Time)
	if err != nil {
		return Answer{}, fmt.Errorf("parse notification answer: time %q is not an RFC 3339 time", *w.Time)
	}
	return Answer{Version: *w.Version, Name: *w.Name, Time: t}, nil
}

func validText(s string) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= 1 && n <= 100
}

// ErrorAnswer is the body of a 400 (or 500) answer:
// {"error": {"type", "message"}}.
type ErrorAnswer struct {
	Type    string // WrongEventFormat, DuplicatedEvent or UnknownError
	Message string
}

type errorWire struct {
	Error *struct {
		Type    *string `json:"type"`
		Message *string `json:"message"`
	} `json:"error"`
}

// Marshal returns e's JSON.
func (e ErrorAnswer) Marshal() []byte {
	var w struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	w.Error.Type, w.Error.Message = e.Type, e.Message
	data, err := json.Marshal(w)
	if err != nil {
		panic(err) // two strings always marshal
	}
	return data
}

// ParseErrorAnswer reads a 400 or 500 answer's body.
func ParseErrorAnswer(data []byte) (ErrorAnswer, error) {
	var w errorWire
	if err := json.Unmarshal(data, &w); err != nil {
		return ErrorAnswer{}, fmt.Errorf("parse notification error answer: %w", err)
	}
	if w.Error == nil || w.Error.Type == nil || w.Error.Message == nil {
		return ErrorAnswer{}, errors.New("parse notification error answer: error.type and error.message are required")
	}
	switch *w.Error.Type {
	case WrongEventFormat, DuplicatedEvent, UnknownError:
	default:
		return ErrorAnswer{}, fmt.Errorf("parse notification error answer: error.type %q is not one of %s, %s, %s",
			*w.Error.Type, WrongEventFormat, DuplicatedEvent, UnknownError)
	}
	return ErrorAnswer{Type: *w.Error.Type, Message: *w.Error.Message}, nil
}
