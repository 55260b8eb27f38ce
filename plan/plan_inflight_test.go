package plan

import (
	"slices"
	"testing"

	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// An interval and a recipient are each sent whole (orders/update takes the
// complete interval, the complete customer): a submission still in flight
// sets every field of its block, the ones it did not change to what the
// order had then. So a new change of a field it did not list still collides
// with it, and must wait (blocked), never be sent on top of it.
func TestInFlightBlockIsWhole(t *testing.T) {
	fp := Key(nil).Fingerprint
	intervalInFlight := Submission{SubmittedAt: now, Operations: []string{"op-1"}, Fields: map[string]string{
		// Moved 10:00-14:00 to 14:00-18:00 on the same day.
		FieldIntervalFromTime: fp(FieldIntervalFromTime, "14:00"),
		FieldIntervalToTime:   fp(FieldIntervalToTime, "18:00"),
	}}
	phoneInFlight := Submission{SubmittedAt: now, Operations: []string{"op-2"}, Fields: map[string]string{
		FieldPhone: fp(FieldPhone, "79990001133"),
	}}
	recipient := func(first, phone *string) schema.Order {
		return schema.Order{Address: "order.2001", ID: 2001, CampaignID: 22000000, Recipient: &schema.Recipient{FirstName: first, Phone: phone}}
	}
	cases := []struct {
		name        string
		desired     schema.Order
		sub         Submission
		wantPending []string
		wantBlocked []string
	}{
		{
			name:        "the same interval is pending",
			desired:     intervalOrder(2001, provider.Interval{FromDate: "2026-11-25", ToDate: "2026-11-25", FromTime: "14:00", ToTime: "18:00"}),
			sub:         intervalInFlight,
			wantPending: []string{FieldIntervalFromTime, FieldIntervalToTime},
		},
		{
			name:        "another date while the times are in flight is blocked",
			desired:     intervalOrder(2001, provider.Interval{FromDate: "2026-11-26", ToDate: "2026-11-26", FromTime: "10:00", ToTime: "14:00"}),
			sub:         intervalInFlight,
			wantBlocked: []string{FieldIntervalFromDate, FieldIntervalToDate},
		},
		{
			name:        "the same phone is pending",
			desired:     recipient(nil, sp("+79990001133")),
			sub:         phoneInFlight,
			wantPending: []string{FieldPhone},
		},
		{
			name:        "a first name while the phone is in flight is blocked",
			desired:     recipient(sp("Пётр"), nil),
			sub:         phoneInFlight,
			wantBlocked: []string{FieldFirstName},
		},
		{
			name:    "a track is not held up by an interval in flight",
			desired: trackOrder(2001, "RP1"),
			sub:     intervalInFlight,
			// The track is blocked for the model (LaaS), not for being in flight.
			wantBlocked: []string{"track"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.desired.CampaignID = 22000000
			p := Build(Input{Desired: []schema.Order{c.desired},
				Current:     map[int64]Current{2001: {Found: true, Order: laas(2001, "PROCESSING"), AvailableRead: true}},
				Submissions: map[int64][]Submission{2001: {c.sub}}, Now: now})
			if len(p.Changes) != 0 {
				t.Errorf("planned a change on top of a write in flight: %+v", p.Changes)
			}
			var pending, blocked []string
			for _, pd := range p.Pending {
				pending = append(pending, pd.Fields...)
			}
			for _, b := range p.Blocked {
				blocked = append(blocked, b.Field)
				if b.Field != "track" && b.Reason != ReasonInFlight {
					t.Errorf("%s blocked as %s, want %s", b.Field, b.Reason, ReasonInFlight)
				}
			}
			if !slices.Equal(pending, c.wantPending) || !slices.Equal(blocked, c.wantBlocked) {
				t.Errorf("pending %v, blocked %v; want pending %v, blocked %v", pending, blocked, c.wantPending, c.wantBlocked)
			}
		})
	}
}
