package notification

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The documented shapes (api/README.md, "Push notifications"), both ways.
func TestDocumentedExamples(t *testing.T) {
	for _, tc := range []struct {
		json string
		n    Notification
	}{
		{`{"notificationType":"PING","time":"2022-12-29T18:02:01Z"}`,
			Notification{Type: Ping, Time: at("2022-12-29T18:02:01Z")}},
		{`{"notificationType":"ORDER_CREATED","campaignId":21000000,"orderId":1001,"createdAt":"2026-11-21T09:00:00Z","items":[{"offerId":"SAM-3L-BRASS","count":2}]}`,
			Notification{Type: OrderCreated, CampaignID: 21000000, OrderID: 1001, Time: at("2026-11-21T09:00:00Z"),
				Items: []Item{{OfferID: "SAM-3L-BRASS", Count: 2}}}},
		{`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":21000000,"orderId":1001,"status":"PROCESSING","substatus":"STARTED","updatedAt":"2026-11-21T09:05:31Z"}`,
			Notification{Type: OrderStatusUpdated, CampaignID: 21000000, OrderID: 1001, Status: "PROCESSING", Substatus: "STARTED",
				Time: at("2026-11-21T09:05:31Z")}},
		{`{"notificationType":"ORDER_UPDATED","campaignId":22000000,"orderId":2001,"updateType":"DELIVERY_DATE_UPDATED","updatedAt":"2026-11-21T09:05:31Z"}`,
			Notification{Type: OrderUpdated, CampaignID: 22000000, OrderID: 2001, UpdateType: DeliveryDateUpdated,
				Time: at("2026-11-21T09:05:31Z")}},
		{`{"notificationType":"ORDER_CANCELLED","campaignId":21000000,"orderId":1006,"cancelledAt":"2026-11-21T10:00:00Z","items":[]}`,
			Notification{Type: OrderCancelled, CampaignID: 21000000, OrderID: 1006, Time: at("2026-11-21T10:00:00Z"), Items: []Item{}}},
	} {
		got, err := Parse([]byte(tc.json))
		if err != nil {
			t.Errorf("Parse(%s): %v", tc.json, err)
		} else if diff := cmp.Diff(tc.n, got); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", tc.json, diff)
		}
		data, err := tc.n.Marshal()
		if err != nil {
			t.Errorf("Marshal(%+v): %v", tc.n, err)
		} else if string(data) != tc.json {
			t.Errorf("Marshal(%+v) =\n%s\nwant\n%s", tc.n, data, tc.json)
		}
	}
}

func TestParseInstantsWithOffsets(t *testing.T) {
	n, err := Parse([]byte(`{"notificationType":"PING","time":"2022-12-29T21:02:01.5+03:00"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !n.Time.Equal(at("2022-12-29T18:02:01.5Z")) {
		t.Errorf("time = %v", n.Time)
	}
	// Written in UTC, whole seconds, as the Market's examples are.
	data, err := n.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"notificationType":"PING","time":"2022-12-29T18:02:01Z"}`; string(data) != want {
		t.Errorf("Marshal = %s, want %s", data, want)
	}
}

// Another type is valid: answered 200 and ignored, with the order it names
// when it names one.
func TestParseOtherTypes(t *testing.T) {
	for _, tc := range []struct {
		json string
		want Notification
	}{
		{`{"notificationType":"ORDER_CANCELLATION_REQUEST","campaignId":21000000,"orderId":1008,"createdAt":"2026-11-21T10:00:00Z","reason":"x"}`,
			Notification{Type: "ORDER_CANCELLATION_REQUEST", CampaignID: 21000000, OrderID: 1008}},
		{`{"notificationType":"CHAT_CREATED","chatId":5}`, Notification{Type: "CHAT_CREATED"}},
		{`{"notificationType":"ORDER_RETURN_CREATED","orderId":"not a number"}`, Notification{Type: "ORDER_RETURN_CREATED"}},
	} {
		got, err := Parse([]byte(tc.json))
		if err != nil {
			t.Errorf("Parse(%s): %v", tc.json, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", tc.json, diff)
		}
		if got.Known() {
			t.Errorf("Parse(%s).Known() = true", tc.json)
		}
	}
	n, _ := Parse([]byte(`{"notificationType":"ORDER_CANCELLATION_REQUEST","campaignId":21000000,"orderId":1008}`))
	if !n.IsOrder() {
		t.Error("ORDER_CANCELLATION_REQUEST with an orderId: IsOrder() = false")
	}
	if n, _ := Parse([]byte(`{"notificationType":"PING","time":"2022-12-29T18:02:01Z"}`)); n.IsOrder() || !n.Known() {
		t.Errorf("PING: IsOrder() = %v, Known() = %v", n.IsOrder(), n.Known())
	}
}

// Unknown fields of a known type are what the Market may add: ignored.
func TestParseIgnoresAddedFields(t *testing.T) {
	n, err := Parse([]byte(`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":1,"orderId":2,"status":"PROCESSING","substatus":"STARTED","updatedAt":"2026-11-21T09:05:31Z","shopOrderId":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if n.OrderID != 2 || n.Status != "PROCESSING" {
		t.Errorf("Parse = %+v", n)
	}
}

func TestParseWrongFormat(t *testing.T) {
	for _, body := range []string{
		``,
		`null`,
		`[]`,
		`"PING"`,
		`{}`,
		`{"notificationType":""}`,
		`{"notificationType":7}`,
		`{"notificationType":"PING"}`,
		`{"notificationType":"PING","time":"yesterday"}`,
		`{"notificationType":"PING","time":"2022-12-29T18:02:01Z"} {}`,
		`{"notificationType":"PING","time":"2022-12-29T18:02:01Z"`,
		`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":1,"orderId":2,"status":"PROCESSING","updatedAt":"2026-11-21T09:05:31Z"}`,
		`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":1,"status":"PROCESSING","substatus":"STARTED","updatedAt":"2026-11-21T09:05:31Z"}`,
		`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":1,"orderId":"2","status":"PROCESSING","substatus":"STARTED","updatedAt":"2026-11-21T09:05:31Z"}`,
		`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":1,"orderId":0,"status":"PROCESSING","substatus":"STARTED","updatedAt":"2026-11-21T09:05:31Z"}`,
		`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":1,"orderId":2,"status":"PROCESSING","substatus":"STARTED","createdAt":"2026-11-21T09:05:31Z"}`,
		`{"notificationType":"ORDER_UPDATED","campaignId":1,"orderId":2,"updatedAt":"2026-11-21T09:05:31Z"}`,
		`{"notificationType":"ORDER_CREATED","campaignId":1,"orderId":2,"createdAt":"2026-11-21T09:05:31Z","items":[{"offerId":"","count":1}]}`,
		`{"notificationType":"ORDER_CANCELLED","campaignId":1,"orderId":2,"cancelledAt":"2026-11-21T09:05:31Z","items":{}}`,
	} {
		_, err := Parse([]byte(body))
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("Parse(%q) error = %v, want a *FormatError", body, err)
			continue
		}
		if a := fe.Answer(); a.Type != WrongEventFormat || a.Message == "" {
			t.Errorf("Parse(%q): answer %+v", body, a)
		}
	}
}

func TestMarshalRefusesWhatParseRefuses(t *testing.T) {
	for _, n := range []Notification{
		{},
		{Type: Ping},
		{Type: OrderStatusUpdated, CampaignID: 1, OrderID: 2, Status: "PROCESSING", Time: at("2026-11-21T09:05:31Z")},
		{Type: OrderUpdated, OrderID: 2, UpdateType: UpdateUnknown, Time: at("2026-11-21T09:05:31Z")},
	} {
		if data, err := n.Marshal(); err == nil {
			t.Errorf("Marshal(%+v) = %s, want an error", n, data)
		}
	}
}

func TestAnswers(t *testing.T) {
	a := Answer{Version: "1.4.0", Name: "orderform", Time: at("2022-12-29T18:02:01Z")}
	data, err := a.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"version":"1.4.0","name":"orderform","time":"2022-12-29T18:02:01Z"}`; string(data) != want {
		t.Errorf("Answer.Marshal = %s, want %s", data, want)
	}
	got, err := ParseAnswer(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("ParseAnswer (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{}`, `{"version":"","name":"x","time":"2022-12-29T18:02:01Z"}`, `{"version":"1","name":"x","time":"now"}`} {
		if _, err := ParseAnswer([]byte(bad)); err == nil {
			t.Errorf("ParseAnswer(%s): no error", bad)
		}
	}
	long := Answer{Version: "1", Name: string(make([]byte, 101)), Time: a.Time}
	if _, err := long.Marshal(); err == nil {
		t.Error("Answer with a 101-character name marshalled")
	}

	e := ErrorAnswer{Type: WrongEventFormat, Message: "the body is not a JSON object"}
	if want := `{"error":{"type":"WRONG_EVENT_FORMAT","message":"the body is not a JSON object"}}`; string(e.Marshal()) != want {
		t.Errorf("ErrorAnswer.Marshal = %s, want %s", e.Marshal(), want)
	}
	ge, err := ParseErrorAnswer(e.Marshal())
	if err != nil || ge != e {
		t.Errorf("ParseErrorAnswer = %+v, %v; want %+v", ge, err, e)
	}
	if _, err := ParseErrorAnswer([]byte(`{"error":{"type":"OOPS","message":"m"}}`)); err == nil {
		t.Error("ParseErrorAnswer accepted an undocumented type")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"notificationType":"PING","time":"2022-12-29T18:02:01Z"}`))
	f.Add([]byte(`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":1,"orderId":2,"status":"PROCESSING","substatus":"STARTED","updatedAt":"2026-11-21T09:05:31Z"}`))
	f.Add([]byte(`{"notificationType":"ORDER_CREATED","campaignId":1,"orderId":2,"createdAt":"2026-11-21T09:05:31Z","items":[{"offerId":"a","count":1}]}`))
	f.Add([]byte(`{"notificationType":"X","orderId":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %T is not a *FormatError", err)
			}
			return
		}
		// What parses marshals, and reads back the same (to the second).
		out, err := n.Marshal()
		if err != nil {
			t.Fatalf("Marshal of parsed %+v: %v", n, err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(%+v)) = %v", n, err)
		}
		n.Time = n.Time.Truncate(time.Second).UTC()
		if n.Known() && n.Type != OrderCreated && n.Type != OrderCancelled {
			n.Items = nil
		}
		if (n.Type == OrderCreated || n.Type == OrderCancelled) && n.Items == nil {
			n.Items = []Item{}
		}
		if diff := cmp.Diff(n, back); diff != "" {
			t.Fatalf("round trip (-parsed +reparsed):\n%s", diff)
		}
	})
}
