package plan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/orderform/orderform/provider"
)

// MakeCalls derives the API calls that make c on o: the order as a fresh
// read shows it, or as the plan saw it. A change has one source, its
// fields: every value it sets is a field's after value, which is what every
// view shows. A track, an interval and a recipient each go out whole, so
// their parts the change does not set come from o as they are now (which
// Stale has checked is what the plan saw): the delivery service of the
// track being replaced, the interval's unchanged ends, the recipient's
// undeclared names and phone. Build makes the calls this way, and apply
// makes them again from its re-read, so a saved plan never needs to carry
// them. The calls come in the table's order (see calls), one per kind.
func (c *Change) MakeCalls(o provider.Order) ([]Call, error) {
	// The calls go to the change's order and campaign: the order read must
	// be that one (a saved plan's campaign could have been edited).
	switch {
	case o.ID != c.OrderID:
		return nil, fmt.Errorf("the order read is %d, not %d", o.ID, c.OrderID)
	case o.CampaignID != 0 && o.CampaignID != c.CampaignID:
		return nil, fmt.Errorf("order %d belongs to campaign %d, not %d", o.ID, o.CampaignID, c.CampaignID)
	}
	byCall := map[CallKind][]Field{}
	for _, f := range c.Fields {
		_, b := fieldAt(f.Path)
		if b == nil {
			return nil, fmt.Errorf("unknown field %q", f.Path)
		}
		if f.After == nil {
			return nil, fmt.Errorf("%s has no value to set", f.Path)
		}
		byCall[b.call] = append(byCall[b.call], f)
	}
	var out []Call
	for _, spec := range calls {
		fs := byCall[spec.kind]
		if len(fs) == 0 {
			continue
		}
		call, err := spec.make(c, fs, o)
		if err != nil {
			return nil, err
		}
		out = append(out, call)
	}
	return out, nil
}

// FieldsOf returns the fields of c that a call of kind k sets: what the
// journal keeps of that call (see Targets).
func (c *Change) FieldsOf(k CallKind) []Field {
	var out []Field
	for _, f := range c.Fields {
		if _, b := fieldAt(f.Path); b != nil && b.call == k {
			out = append(out, f)
		}
	}
	return out
}

func makeTrack(_ *Change, fields []Field, o provider.Order) (Call, error) {
	t, err := trackFor(fields, o)
	if err != nil {
		return Call{}, err
	}
	return Call{Kind: CallTrack, Track: &t}, nil
}

// makeUpdate is one orders/update: the interval and the recipient go in
// one call.
func makeUpdate(c *Change, fields []Field, o provider.Order) (Call, error) {
	var interval, recipient []Field
	for _, f := range fields {
		switch block(f.Path) {
		case "delivery_interval":
			interval = append(interval, f)
		case "recipient":
			recipient = append(recipient, f)
		}
	}
	u := provider.OrderUpdate{OrderID: c.OrderID}
	if len(interval) > 0 {
		iv := currentInterval(o)
		for _, f := range interval {
			*intervalPart(&iv, f.Path) = *f.After
		}
		u.Interval = &iv
	}
	if len(recipient) > 0 {
		if !o.HasRecipient {
			return Call{}, errors.New("the order's current recipient was not read")
		}
		cu := customerFor(recipient, o)
		if missing := missingCustomer(cu); len(missing) > 0 {
			return Call{}, fmt.Errorf("the API needs a complete recipient and the order has no %s", strings.Join(missing, ", "))
		}
		u.Customer = &cu
	}
	return Call{Kind: CallUpdate, Update: &u}, nil
}

func intervalPart(iv *provider.Interval, path string) *string {
	switch path {
	case FieldIntervalFromDate:
		return &iv.FromDate
	case FieldIntervalToDate:
		return &iv.ToDate
	case FieldIntervalFromTime:
		return &iv.FromTime
	}
	return &iv.ToTime
}

// trackFor is the track a change's track fields set. Without a
// delivery_service_id field the track replaces the code of the order's
// track whose code the field shows as before, on that track's service.
func trackFor(fields []Field, o provider.Order) (provider.Track, error) {
	var t provider.Track
	var code *Field
	hasService := false
	for i, f := range fields {
		switch f.Path {
		case FieldTrackCode:
			code = &fields[i]
			t.Code = *f.After
		case FieldTrackService:
			n, err := strconv.ParseInt(*f.After, 10, 64)
			if err != nil || n <= 0 {
				return t, fmt.Errorf("%s %q is not a delivery service ID", f.Path, *f.After)
			}
			t.DeliveryServiceID, hasService = n, true
		}
	}
	if code == nil {
		return t, fmt.Errorf("a track is set with its code: %s is missing", FieldTrackCode)
	}
	if hasService {
		return t, nil
	}
	if code.Before == nil {
		return t, fmt.Errorf("%s is missing, and the order has no track this one replaces", FieldTrackService)
	}
	svc, ok := replacedService(o, *code.Before)
	if !ok {
		return t, fmt.Errorf("%s is missing, and the order has no single track %q this one replaces", FieldTrackService, *code.Before)
	}
	t.DeliveryServiceID = svc
	return t, nil
}

// replacedService is the delivery service of the order's one track with
// code; false when no track or several have it.
func replacedService(o provider.Order, code string) (int64, bool) {
	var svc int64
	n := 0
	for _, x := range o.Delivery.Tracks {
		if strings.TrimSpace(x.Code) == strings.TrimSpace(code) {
			svc = x.DeliveryServiceID
			n++
		}
	}
	return svc, n == 1 && strings.TrimSpace(code) != ""
}

// customerFor is the complete customer orders/update takes: the fields'
// values, and the order's current recipient for what they do not set.
func customerFor(fields []Field, o provider.Order) provider.Customer {
	cur := currentCustomer(o)
	// The order shows its phone as people write it; the API takes only
	// "+digits".
	c := provider.Customer{FirstName: strings.TrimSpace(cur.FirstName), LastName: strings.TrimSpace(cur.LastName),
		MiddleName: strings.TrimSpace(cur.MiddleName), Phone: e164(cur.Phone)}
	for _, f := range fields {
		v := strings.TrimSpace(*f.After)
		switch f.Path {
		case FieldFirstName:
			c.FirstName = v
		case FieldLastName:
			c.LastName = v
		case FieldMiddleName:
			c.MiddleName = v
		case FieldPhone:
			c.Phone = v
		}
	}
	return c
}

// missingCustomer names the parts of c the API requires and c lacks.
func missingCustomer(c provider.Customer) []string {
	var missing []string
	if c.FirstName == "" {
		missing = append(missing, "first_name")
	}
	if c.LastName == "" {
		missing = append(missing, "last_name")
	}
	if c.Phone == "" {
		missing = append(missing, "phone")
	}
	return missing
}
