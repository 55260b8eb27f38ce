package plan

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

func TestNormalize(t *testing.T) {
	dates := []struct{ in, want string }{
		{"2026-11-25", "2026-11-25"},
		{"25-11-2026", "2026-11-25"},
		{" 25-11-2026 ", "2026-11-25"},
		{"2026-02-30", ""},
		{"11/25/2026", ""},
		{"", ""},
	}
	for _, c := range dates {
		got, _ := NormDate(c.in)
		if got != c.want {
			t.Errorf("NormDate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	times := []struct{ in, want string }{
		{"10:00", "10:00"}, {"10:00:00", "10:00"}, {"23:59", "23:59"}, {"09:30:15", "09:30:15"}, {"24:00", ""}, {"9", ""},
	}
	for _, c := range times {
		got, _ := NormTime(c.in)
		if got != c.want {
			t.Errorf("NormTime(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if NormPhone("+7 (999) 000-11-22") != NormPhone("+79990001122") {
		t.Error("phones with the same digits must compare equal")
	}
	if NormPhone("8 (903) 555-01-99") != NormPhone("+79035550199") {
		t.Error("a domestic Russian 8... number is the +7 one")
	}
	if NormPhone("+89035550199") == NormPhone("+79035550199") {
		t.Error("a number written with + is taken as written")
	}
	if got := e164("8 (903) 555-01-99"); got != "+79035550199" {
		t.Errorf("e164 of a domestic number = %q, want +79035550199", got)
	}
	if NormName("  Иван   Петрович ") != "Иван Петрович" {
		t.Errorf("NormName = %q", NormName("  Иван   Петрович "))
	}
}

func sp(s string) *string { return &s }

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// dbs and laas are orders as the campaign endpoints answer (DD-MM-YYYY).
func dbs(id int64, status string, tracks ...provider.Track) provider.Order {
	return provider.Order{ID: id, CampaignID: 21000000, Model: provider.ModelDBS, Status: status, HasRecipient: true,
		Delivery: provider.Delivery{PartnerType: "SHOP", Tracks: tracks,
			Dates: provider.Dates{FromDate: "25-11-2026", ToDate: "25-11-2026", FromTime: "10:00", ToTime: "14:00"}}}
}

func laas(id int64, status string) provider.Order {
	return provider.Order{ID: id, CampaignID: 22000000, Model: provider.ModelLaaS, Status: status, HasRecipient: true,
		Buyer: provider.Buyer{FirstName: "Иван", LastName: "Петров", MiddleName: "Сергеевич"},
		Delivery: provider.Delivery{PartnerType: "YANDEX_MARKET",
			Address: provider.Address{Recipient: "Петров Иван Сергеевич", Phone: "+79990001122"},
			Dates:   provider.Dates{FromDate: "25-11-2026", ToDate: "25-11-2026", FromTime: "10:00:00", ToTime: "14:00:00"}}}
}

var (
	slot1 = provider.Interval{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "10:00", ToTime: "14:00"}
	slot2 = provider.Interval{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "14:00", ToTime: "18:00"}
)

func trackOrder(id int64, code string) schema.Order {
	return schema.Order{Address: "order." + itoa(id), ID: id, CampaignID: 21000000, Track: &schema.Track{Code: code, DeliveryServiceID: 51}}
}

func intervalOrder(id int64, iv provider.Interval) schema.Order {
	s := schema.Interval(iv)
	return schema.Order{Address: "order." + itoa(id), ID: id, CampaignID: 22000000, Interval: &s}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// result is the shape of a plan the tables compare.
type result struct {
	Changes   []Change
	Pending   []Pending
	Blocked   []Blocked
	Unchanged int
}

func TestBuild(t *testing.T) {
	cases := []struct {
		name    string
		desired []schema.Order
		current map[int64]Current
		subs    map[int64][]Submission
		want    result
	}{
		{
			name:    "track already there is no change",
			desired: []schema.Order{trackOrder(1001, "RP1")},
			current: map[int64]Current{1001: {Found: true, Order: dbs(1001, "PROCESSING", provider.Track{Code: "RP1", DeliveryServiceID: 51})}},
			want:    result{Unchanged: 1},
		},
		{
			name:    "new track",
			desired: []schema.Order{trackOrder(1001, " RP2 ")},
			current: map[int64]Current{1001: {Found: true, Order: dbs(1001, "PROCESSING")}},
			want: result{Changes: []Change{{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Action: Update, Status: "PROCESSING", Model: "DBS",
				Fields:   []Field{{Path: FieldTrackCode, After: sp("RP2")}, {Path: FieldTrackService, After: sp("51")}},
				Calls:    []Call{{Kind: CallTrack, Track: &provider.Track{Code: "RP2", DeliveryServiceID: 51}}},
				Observed: Observed{Status: "PROCESSING", Model: "DBS", Values: map[string]string{"track": ""}}}}},
		},
		{
			name:    "replacing a track of the same service shows the old code",
			desired: []schema.Order{trackOrder(1001, "RP2")},
			current: map[int64]Current{1001: {Found: true, Order: dbs(1001, "DELIVERY", provider.Track{Code: "RP1", DeliveryServiceID: 51})}},
			want: result{Changes: []Change{{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Action: Update, Status: "DELIVERY", Model: "DBS",
				Fields: []Field{{Path: FieldTrackCode, Before: sp("RP1"), After: sp("RP2")}}, Unchanged: 1,
				Calls:    []Call{{Kind: CallTrack, Track: &provider.Track{Code: "RP2", DeliveryServiceID: 51}}},
				Observed: Observed{Status: "DELIVERY", Model: "DBS", Values: map[string]string{"track": "RP1@51"}}}}},
		},
		{
			name:    "track blocked by status",
			desired: []schema.Order{trackOrder(1003, "RP3")},
			current: map[int64]Current{1003: {Found: true, Order: dbs(1003, "DELIVERED")}},
			want: result{Blocked: []Blocked{{Address: "order.1003", OrderID: 1003, CampaignID: 21000000, Status: "DELIVERED", Model: "DBS", Field: "track", Reason: ReasonStatus,
				Detail: "a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is DELIVERED"}}},
		},
		{
			name:    "track blocked by selling model",
			desired: []schema.Order{trackOrder(2001, "RP3")},
			current: map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING")}},
			want: result{Blocked: []Blocked{{Address: "order.2001", OrderID: 2001, CampaignID: 21000000, Status: "PROCESSING", Model: "LAAS", Field: "track", Reason: ReasonModel,
				Detail: "track numbers are set only for DBS orders; this order's campaign works by LAAS"}}},
		},
		{
			name:    "same interval in the other date format and with seconds is no change",
			desired: []schema.Order{intervalOrder(2001, provider.Interval{FromDate: "2026-11-25", ToDate: "2026-11-25", FromTime: "10:00", ToTime: "14:00"})},
			current: map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING")}},
			want:    result{Unchanged: 1},
		},
		{
			name:    "interval moved to an available one",
			desired: []schema.Order{intervalOrder(2001, slot2)},
			current: map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING"), AvailableRead: true, Available: []provider.Interval{slot1, slot2}}},
			want: result{Changes: []Change{{Address: "order.2001", OrderID: 2001, CampaignID: 22000000, Action: Update, Status: "PROCESSING", Model: "LAAS",
				Fields: []Field{
					{Path: FieldIntervalFromDate, Before: sp("2026-11-25"), After: sp("2026-11-26")},
					{Path: FieldIntervalToDate, Before: sp("2026-11-25"), After: sp("2026-11-26")},
					{Path: FieldIntervalFromTime, Before: sp("10:00"), After: sp("14:00")},
					{Path: FieldIntervalToTime, Before: sp("14:00"), After: sp("18:00")},
				},
				Calls:    []Call{{Kind: CallUpdate, Update: &provider.OrderUpdate{OrderID: 2001, Interval: &slot2}}},
				Observed: Observed{Status: "PROCESSING", Model: "LAAS", Values: map[string]string{"delivery_interval": "2026-11-25 10:00/2026-11-25 14:00"}}}}},
		},
		{
			name:    "interval not available lists the available ones",
			desired: []schema.Order{intervalOrder(2001, provider.Interval{FromDate: "2026-12-01", ToDate: "2026-12-01", FromTime: "10:00", ToTime: "14:00"})},
			current: map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING"), AvailableRead: true, Available: []provider.Interval{slot1, slot2}}},
			want: result{Blocked: []Blocked{{Address: "order.2001", OrderID: 2001, CampaignID: 22000000, Status: "PROCESSING", Model: "LAAS", Field: "delivery_interval",
				Reason: ReasonIntervalNotOffered, Available: []provider.Interval{slot1, slot2},
				Detail: "the interval 2026-12-01 10:00-14:00 is not available"}}},
		},
		{
			name:    "interval blocked once delivered",
			desired: []schema.Order{intervalOrder(2002, slot1)},
			current: map[int64]Current{2002: {Found: true, Order: laas(2002, "DELIVERED")}},
			want: result{Blocked: []Blocked{{Address: "order.2002", OrderID: 2002, CampaignID: 22000000, Status: "DELIVERED", Model: "LAAS", Field: "delivery_interval", Reason: ReasonStatus,
				Detail: "an order can no longer be changed once DELIVERED"}}},
		},
		{
			name: "recipient: phone with other punctuation is no change",
			desired: []schema.Order{{Address: "order.2001", ID: 2001, CampaignID: 22000000,
				Recipient: &schema.Recipient{Phone: sp("+7 999 000-11-22"), FirstName: sp(" Иван ")}}},
			current: map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING")}},
			want:    result{Unchanged: 1},
		},
		{
			name: "recipient change sends a complete customer",
			desired: []schema.Order{{Address: "order.2001", ID: 2001, CampaignID: 22000000,
				Recipient: &schema.Recipient{Phone: sp("+79990009999")}}},
			current: map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING")}},
			want: result{Changes: []Change{{Address: "order.2001", OrderID: 2001, CampaignID: 22000000, Action: Update, Status: "PROCESSING", Model: "LAAS",
				Fields: []Field{{Path: FieldPhone, Before: sp("+79990001122"), After: sp("+79990009999")}},
				Calls:  []Call{{Kind: CallUpdate, Update: &provider.OrderUpdate{OrderID: 2001, Customer: &provider.Customer{FirstName: "Иван", LastName: "Петров", MiddleName: "Сергеевич", Phone: "+79990009999"}}}},
				Observed: Observed{Status: "PROCESSING", Model: "LAAS", Values: map[string]string{
					"recipient": Key(nil).Fingerprint("recipient", "Петров\x00Иван\x00Сергеевич\x0079990001122")}}}}},
		},
		{
			name:    "not found",
			desired: []schema.Order{trackOrder(4242, "X")},
			current: map[int64]Current{},
			want: result{Blocked: []Blocked{{Address: "order.4242", OrderID: 4242, CampaignID: 21000000, Reason: ReasonNotFound,
				Detail: "order 4242 was not found in campaign 21000000"}}},
		},
		{
			name:    "the same change in flight is pending, not a change",
			desired: []schema.Order{intervalOrder(2001, slot2)},
			current: map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING")}},
			subs: map[int64][]Submission{2001: {{SubmittedAt: now, Operations: []string{"op-1"}, Fields: map[string]string{
				FieldIntervalFromDate: Key(nil).Fingerprint(FieldIntervalFromDate, "2026-11-26"),
				FieldIntervalToDate:   Key(nil).Fingerprint(FieldIntervalToDate, "2026-11-26"),
				FieldIntervalFromTime: Key(nil).Fingerprint(FieldIntervalFromTime, "14:00"),
				FieldIntervalToTime:   Key(nil).Fingerprint(FieldIntervalToTime, "18:00"),
			}}}},
			want: result{Pending: []Pending{{Address: "order.2001", OrderID: 2001, CampaignID: 22000000, SubmittedAt: now, Operations: []string{"op-1"},
				Fields: []string{FieldIntervalFromDate, FieldIntervalToDate, FieldIntervalFromTime, FieldIntervalToTime}}}},
		},
		{
			name:    "another change of a field in flight is blocked",
			desired: []schema.Order{trackOrder(1001, "RP9")},
			current: map[int64]Current{1001: {Found: true, Order: dbs(1001, "PROCESSING")}},
			subs: map[int64][]Submission{1001: {{SubmittedAt: now, Unknown: true, Fields: map[string]string{
				FieldTrackCode: Key(nil).Fingerprint(FieldTrackCode, "RP8"), FieldTrackService: Key(nil).Fingerprint(FieldTrackService, "51")}}}},
			want: result{Blocked: []Blocked{{Address: "order.1001", OrderID: 1001, CampaignID: 21000000, Status: "PROCESSING", Model: "DBS", Field: FieldTrackCode, Reason: ReasonInFlight,
				Detail: "an earlier change of this field is still being applied by the Market; plan again when it has finished"}}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Build(Input{Desired: c.desired, Current: c.current, Submissions: c.subs, Now: now})
			got := result{Changes: p.Changes, Pending: p.Pending, Blocked: p.Blocked, Unchanged: p.Unchanged}
			if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("plan mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStale(t *testing.T) {
	d := trackOrder(1001, "RP2")
	p := Build(Input{Desired: []schema.Order{d}, Current: map[int64]Current{1001: {Found: true, Order: dbs(1001, "PROCESSING")}}, Now: now})
	if len(p.Changes) != 1 {
		t.Fatalf("want one change, got %+v", p)
	}
	c := p.Changes[0]
	if why := c.Stale(nil, dbs(1001, "PROCESSING")); why != "" {
		t.Errorf("unchanged order reported stale: %s", why)
	}
	// updatedAt and unmanaged fields moving do not make a plan stale.
	moved := dbs(1001, "PROCESSING")
	moved.UpdatedAt, moved.Substatus = "23-11-2026 12:00:00", "STARTED"
	if why := c.Stale(nil, moved); why != "" {
		t.Errorf("unmanaged change reported stale: %s", why)
	}
	if why := c.Stale(nil, dbs(1001, "DELIVERED")); why != "status is DELIVERED, the plan saw PROCESSING" {
		t.Errorf("status change: got %q", why)
	}
	if why := c.Stale(nil, dbs(1001, "PROCESSING", provider.Track{Code: "OTHER", DeliveryServiceID: 7})); why != "track changed since the plan was made" {
		t.Errorf("track change: got %q", why)
	}
}

func TestApplied(t *testing.T) {
	targets := Targets(nil, []Field{{Path: FieldIntervalFromDate, After: sp("2026-11-26")}, {Path: FieldPhone, After: sp("+7 999 000 99 99")}})
	o := laas(2001, "PROCESSING")
	if Applied(nil, targets, o) {
		t.Fatal("the old state must not count as applied")
	}
	o.Delivery.Dates.FromDate = "26-11-2026"
	o.Delivery.Address.Phone = "+79990009999"
	if !Applied(nil, targets, o) {
		t.Fatal("the new state (other date format, other phone punctuation) must count as applied")
	}
	if Applied(nil, nil, o) {
		t.Fatal("an empty submission proves nothing")
	}
}

func TestNeedIntervals(t *testing.T) {
	in := Input{
		Desired: []schema.Order{intervalOrder(2001, slot2), intervalOrder(2002, slot2), intervalOrder(2003, provider.Interval{FromDate: "2026-11-25", FromTime: "10:00", ToTime: "14:00"})},
		Current: map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING")}, 2002: {Found: true, Order: laas(2002, "CANCELLED")}, 2003: {Found: true, Order: laas(2003, "PROCESSING")}},
	}
	if diff := cmp.Diff([]int64{2001}, NeedIntervals(in)); diff != "" {
		t.Errorf("only the differing, allowed interval costs an update-options call (-want +got):\n%s", diff)
	}
}

// A track is a (code, service) pair: an order that shows the code under
// one service and the service under another code does not show the track.
func TestAppliedTrackIsAPair(t *testing.T) {
	targets := Targets(nil, []Field{{Path: FieldTrackCode, After: sp("RP1")}, {Path: FieldTrackService, After: sp("51")}})
	crossed := dbs(1001, "PROCESSING", provider.Track{Code: "RP1", DeliveryServiceID: 99}, provider.Track{Code: "OTHER", DeliveryServiceID: 51})
	if Applied(nil, targets, crossed) {
		t.Fatal("code and service found on different tracks must not count as applied")
	}
	both := dbs(1001, "PROCESSING", provider.Track{Code: "OTHER", DeliveryServiceID: 99}, provider.Track{Code: " RP1 ", DeliveryServiceID: 51})
	if !Applied(nil, targets, both) {
		t.Fatal("the pair on one track must count as applied")
	}
}

// The recipient orders/update changes is the delivery's, not the buyer's:
// a gift ordered by one person for another compares against the recipient,
// and a phone filled in from the order goes out as the API wants it.
func TestRecipientIsTheDeliverysNotTheBuyers(t *testing.T) {
	o := laas(2001, "PROCESSING")
	o.Buyer = provider.Buyer{FirstName: "Ольга", LastName: "Смирнова"}
	o.Delivery.Address.Phone = "+7 (999) 000-11-22"
	d := schema.Order{Address: "order.gift", ID: 2001, CampaignID: 22000000,
		Recipient: &schema.Recipient{FirstName: sp("Иван"), LastName: sp("Петров")}}
	p := Build(Input{Desired: []schema.Order{d}, Current: map[int64]Current{2001: {Found: true, Order: o}}, Now: now})
	if p.HasChanges() || len(p.Blocked) > 0 {
		t.Fatalf("the declared names are the recipient's: want no change, got %+v / %+v", p.Changes, p.Blocked)
	}
	d.Recipient.FirstName = sp("Пётр")
	p = Build(Input{Desired: []schema.Order{d}, Current: map[int64]Current{2001: {Found: true, Order: o}}, Now: now})
	if len(p.Changes) != 1 || p.Changes[0].update() == nil || p.Changes[0].update().Customer == nil {
		t.Fatalf("want one update, got %+v / %+v", p.Changes, p.Blocked)
	}
	want := provider.Customer{FirstName: "Пётр", LastName: "Петров", MiddleName: "Сергеевич", Phone: "+79990001122"}
	if diff := cmp.Diff(want, *p.Changes[0].update().Customer); diff != "" {
		t.Errorf("customer sent (-want +got):\n%s", diff)
	}
}

// track and update are the change's calls of those kinds, nil when it
// makes none.
func (c Change) track() *provider.Track {
	for _, call := range c.Calls {
		if call.Kind == CallTrack {
			return call.Track
		}
	}
	return nil
}

func (c Change) update() *provider.OrderUpdate {
	for _, call := range c.Calls {
		if call.Kind == CallUpdate {
			return call.Update
		}
	}
	return nil
}
