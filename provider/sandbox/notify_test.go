package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/provider/notification"
)

// receiver is the seller's notification endpoint: it records every request
// and answers 500 to the first fail of them, 200 after.
type receiver struct {
	t    *testing.T
	http *httptest.Server
	got  chan string

	mu       sync.Mutex
	fail     int
	requests []string // "METHOD PATH CONTENT-TYPE"
	bodies   []string
}

func newReceiver(t *testing.T, fail int) *receiver {
	r := &receiver{t: t, fail: fail, got: make(chan string, 100)}
	r.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, req.Method+" "+req.URL.Path+" "+req.Header.Get("Content-Type"))
		r.bodies = append(r.bodies, string(body))
		failing := r.fail > 0
		r.fail--
		r.mu.Unlock()
		r.got <- string(body)
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(notification.ErrorAnswer{Type: notification.UnknownError, Message: "down"}.Marshal())
			return
		}
		a, _ := notification.Answer{Version: "1", Name: "receiver", Time: time.Now()}.Marshal()
		_, _ = w.Write(a)
	}))
	t.Cleanup(r.http.Close)
	return r
}

func (r *receiver) received() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests), slices.Clone(r.bodies)
}

// notifying is a seeded sandbox that notifies r.
func notifying(t *testing.T, r *receiver, opt Options) *fixture {
	t.Helper()
	opt.NotifyURL = r.http.URL + "/"
	f := newFixture(t, opt)
	t.Cleanup(func() { _ = f.srv.Close() })
	return f
}

// wait waits until every notification was delivered or given up.
func wait(t *testing.T, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
}

const statusUpdated1001 = `{"notificationType":"ORDER_STATUS_UPDATED","campaignId":21000000,"orderId":1001,` +
	`"status":"DELIVERY","substatus":"DELIVERY_SERVICE_RECEIVED","updatedAt":"2026-11-23T09:00:00Z"}`

func TestSetStatusNotifies(t *testing.T) {
	r := newReceiver(t, 0)
	f := notifying(t, r, Options{})
	if err := f.srv.SetStatus(1001, "DELIVERY", "DELIVERY_SERVICE_RECEIVED"); err != nil {
		t.Fatal(err)
	}
	wait(t, f.srv)
	requests, bodies := r.received()
	if diff := cmp.Diff([]string{"POST /notification application/json"}, requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{statusUpdated1001}, bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
	sent := f.srv.Notifications()
	if len(sent) != 1 || !sent[0].Delivered || sent[0].GaveUp || len(sent[0].Attempts) != 1 || sent[0].Attempts[0].Status != 200 {
		t.Fatalf("Notifications() = %+v", sent)
	}
	if _, err := notification.ParseAnswer(sent[0].Attempts[0].Answer); err != nil {
		t.Errorf("recorded answer: %v", err)
	}
	want := notification.Notification{Type: notification.OrderStatusUpdated, CampaignID: 21000000, OrderID: 1001,
		Status: "DELIVERY", Substatus: "DELIVERY_SERVICE_RECEIVED", Time: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, sent[0].Notification); diff != "" {
		t.Errorf("recorded notification (-want +got):\n%s", diff)
	}
	if o, _ := f.srv.Order(1001); o.Status != "DELIVERY" || o.Substatus != "DELIVERY_SERVICE_RECEIVED" {
		t.Errorf("order 1001 is %s/%s", o.Status, o.Substatus)
	}
}

// The mutate script command goes through UpdateOrder: a status changed
// there notifies, with the substatus the order keeps.
func TestUpdateOrderStatusNotifies(t *testing.T) {
	r := newReceiver(t, 0)
	f := notifying(t, r, Options{})
	if err := f.srv.UpdateOrder(1001, func(o *OrderState) { o.Status = "DELIVERY" }); err != nil {
		t.Fatal(err)
	}
	// A change a notification does not report sends nothing.
	if err := f.srv.UpdateOrder(1001, func(o *OrderState) { o.Delivery.Address.Phone = "+79035550000" }); err != nil {
		t.Fatal(err)
	}
	wait(t, f.srv)
	_, bodies := r.received()
	want := `{"notificationType":"ORDER_STATUS_UPDATED","campaignId":21000000,"orderId":1001,` +
		`"status":"DELIVERY","substatus":"STARTED","updatedAt":"2026-11-23T09:00:00Z"}`
	if diff := cmp.Diff([]string{want}, bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
}

func TestCancellationNotifiesOrderCancelled(t *testing.T) {
	r := newReceiver(t, 0)
	f := notifying(t, r, Options{})
	if err := f.srv.SetStatus(1001, "CANCELLED", "SHOP_FAILED"); err != nil {
		t.Fatal(err)
	}
	wait(t, f.srv)
	_, bodies := r.received()
	want := `{"notificationType":"ORDER_CANCELLED","campaignId":21000000,"orderId":1001,"cancelledAt":"2026-11-23T09:00:00Z",` +
		`"items":[{"offerId":"SAM-3L-BRASS","count":1},{"offerId":"TEA-ASSAM-250","count":2}]}`
	if diff := cmp.Diff([]string{want}, bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
}

// Writes through the API notify what the Market reports of them: a moved
// delivery date is ORDER_UPDATED, a track nothing.
func TestAPIWritesNotify(t *testing.T) {
	r := newReceiver(t, 0)
	f := notifying(t, r, Options{PartnerMovesLimit: 1})
	expect(t, f.do("POST", "/v2/campaigns/21000000/orders/1002/delivery/track", `{"trackCode": "X-1", "deliveryServiceId": 51}`),
		http.StatusOK, `{"status": "OK"}`)
	expect(t, f.do("PUT", fmt.Sprintf(datePath, "1001"), dateBody("2026-12-05", "PARTNER_MOVED_DELIVERY_DATES")),
		http.StatusOK, `{"status": "OK"}`)
	// The interval of a LaaS order lands when its operation settles.
	if a := f.do("POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, `+intervalBody+`}}`); a.status != http.StatusOK {
		t.Fatalf("orders/update: HTTP %d %s", a.status, a.body)
	}
	f.srv.Settle()
	wait(t, f.srv)
	_, bodies := r.received()
	want := []string{
		`{"notificationType":"ORDER_CANCELLED","campaignId":21000000,"orderId":1001,"cancelledAt":"2026-11-23T09:00:00Z",` +
			`"items":[{"offerId":"SAM-3L-BRASS","count":1},{"offerId":"TEA-ASSAM-250","count":2}]}`,
		`{"notificationType":"ORDER_UPDATED","campaignId":21000000,"orderId":1001,"updateType":"DELIVERY_DATE_UPDATED","updatedAt":"2026-11-23T09:00:00Z"}`,
		`{"notificationType":"ORDER_UPDATED","campaignId":22000000,"orderId":2001,"updateType":"DELIVERY_DATE_UPDATED","updatedAt":"2026-11-23T09:00:00Z"}`,
	}
	if diff := cmp.Diff(want, bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
}

func TestNotifyCopies(t *testing.T) {
	r := newReceiver(t, 0)
	f := notifying(t, r, Options{NotifyCopies: 3})
	if err := f.srv.SetStatus(1001, "DELIVERY", "DELIVERY_SERVICE_RECEIVED"); err != nil {
		t.Fatal(err)
	}
	wait(t, f.srv)
	_, bodies := r.received()
	if diff := cmp.Diff([]string{statusUpdated1001, statusUpdated1001, statusUpdated1001}, bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
	var copies []int
	for _, s := range f.srv.Notifications() {
		copies = append(copies, s.Copy)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, copies); diff != "" {
		t.Errorf("copies (-want +got):\n%s", diff)
	}
}

func TestNotifyRetriesUntil200(t *testing.T) {
	r := newReceiver(t, 2)
	f := notifying(t, r, Options{NotifyRetry: time.Millisecond})
	if err := f.srv.SetStatus(1001, "DELIVERY", "DELIVERY_SERVICE_RECEIVED"); err != nil {
		t.Fatal(err)
	}
	wait(t, f.srv)
	_, bodies := r.received()
	if diff := cmp.Diff([]string{statusUpdated1001, statusUpdated1001, statusUpdated1001}, bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
	sent := f.srv.Notifications()
	var statuses []int
	for _, a := range sent[0].Attempts {
		statuses = append(statuses, a.Status)
	}
	if diff := cmp.Diff([]int{500, 500, 200}, statuses); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if !sent[0].Delivered || sent[0].GaveUp {
		t.Errorf("Delivered %v, GaveUp %v", sent[0].Delivered, sent[0].GaveUp)
	}
}

func TestNotifyGivesUp(t *testing.T) {
	r := newReceiver(t, 1000)
	f := notifying(t, r, Options{NotifyRetry: time.Millisecond, NotifyAttempts: 2})
	if err := f.srv.SetStatus(1001, "DELIVERY", "DELIVERY_SERVICE_RECEIVED"); err != nil {
		t.Fatal(err)
	}
	wait(t, f.srv)
	sent := f.srv.Notifications()
	if len(sent) != 1 || len(sent[0].Attempts) != 2 || sent[0].Delivered || !sent[0].GaveUp {
		t.Fatalf("Notifications() = %+v", sent)
	}
}

// A receiver that does not answer costs one attempt per NotifyTimeout.
func TestNotifyUnreachable(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	f := newFixture(t, Options{NotifyURL: url, NotifyRetry: time.Millisecond, NotifyAttempts: 2})
	t.Cleanup(func() { _ = f.srv.Close() })
	if err := f.srv.SetStatus(1001, "DELIVERY", "DELIVERY_SERVICE_RECEIVED"); err != nil {
		t.Fatal(err)
	}
	wait(t, f.srv)
	sent := f.srv.Notifications()
	if len(sent) != 1 || !sent[0].GaveUp || sent[0].Attempts[0].Status != 0 || sent[0].Attempts[0].Err == "" {
		t.Fatalf("Notifications() = %+v", sent)
	}
}

func TestNoNotificationWithoutURL(t *testing.T) {
	f := newFixture(t, Options{})
	if err := f.srv.SetStatus(1001, "DELIVERY", "DELIVERY_SERVICE_RECEIVED"); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Notifications(); got != nil {
		t.Errorf("Notifications() = %+v, want none", got)
	}
	if err := f.srv.WaitNotifications(context.Background()); err != nil {
		t.Error(err)
	}
	if o, _ := f.srv.Order(1001); o.Status != "DELIVERY" {
		t.Errorf("order 1001 is %s: the status changes all the same", o.Status)
	}
}

func TestSetStatusRefusesWhatIsNoStatus(t *testing.T) {
	r := newReceiver(t, 0)
	f := notifying(t, r, Options{})
	if err := f.srv.SetStatus(1001, "SHIPPED", ""); err == nil {
		t.Error("SetStatus(SHIPPED): no error")
	}
	if err := f.srv.SetStatus(999, "DELIVERY", "x"); err == nil {
		t.Error("SetStatus of an unknown order: no error")
	}
	if got := f.srv.Notifications(); len(got) != 0 {
		t.Errorf("Notifications() = %+v, want none", got)
	}
}

func TestCloseStopsNotifications(t *testing.T) {
	r := newReceiver(t, 0)
	f := notifying(t, r, Options{})
	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.SetStatus(1001, "DELIVERY", "DELIVERY_SERVICE_RECEIVED"); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Notifications(); len(got) != 0 {
		t.Errorf("Notifications() after Close = %+v", got)
	}
}

func timelineState(t *testing.T, events ...TimelineEvent) *State {
	t.Helper()
	st, err := LoadState(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	st.Timeline = events
	if err := st.validate(); err != nil {
		t.Fatal(err)
	}
	return st
}

// The timeline plays on the server's clock: what is due plays when the
// state is next touched, and the played events stay played in the saved
// state.
func TestTimeline(t *testing.T) {
	r := newReceiver(t, 0)
	st := timelineState(t,
		TimelineEvent{After: "0s", Order: 1001, Status: "DELIVERY", Substatus: "DELIVERY_SERVICE_RECEIVED"},
		TimelineEvent{After: "1h", Order: 1001, Status: "DELIVERED", Substatus: "DELIVERY_SERVICE_DELIVERED"},
	)
	f := newFixtureState(t, st, Options{NotifyURL: r.http.URL})
	t.Cleanup(func() { _ = f.srv.Close() })
	snap := f.srv.Snapshot()
	if o, _ := f.srv.Order(1001); o.Status != "DELIVERY" {
		t.Fatalf("after 0s: order 1001 is %s", o.Status)
	}
	if !snap.Timeline[0].PlayedAt.Equal(f.clock.Now()) || !snap.Timeline[1].PlayedAt.IsZero() {
		t.Errorf("played at %v, %v", snap.Timeline[0].PlayedAt, snap.Timeline[1].PlayedAt)
	}
	if !f.srv.Wrote() {
		t.Error("a played event is not a write: the embedded sandbox would not save it")
	}
	f.clock.Advance(time.Hour)
	snap = f.srv.Snapshot()
	wait(t, f.srv)
	_, bodies := r.received()
	want := []string{statusUpdated1001,
		`{"notificationType":"ORDER_STATUS_UPDATED","campaignId":21000000,"orderId":1001,` +
			`"status":"DELIVERED","substatus":"DELIVERY_SERVICE_DELIVERED","updatedAt":"2026-11-23T10:00:00Z"}`}
	if diff := cmp.Diff(want, bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}

	// A restart from the saved state replays nothing, even when an edit
	// elsewhere moved the order meanwhile.
	snap.Orders[0].Status = "DELIVERY"
	again := newFixtureState(t, snap, Options{NotifyURL: r.http.URL})
	t.Cleanup(func() { _ = again.srv.Close() })
	again.clock.Advance(2 * time.Hour)
	if o, _ := again.srv.Order(1001); o.Status != "DELIVERY" {
		t.Errorf("after a restart: order 1001 is %s, the timeline replayed", o.Status)
	}
	if got := again.srv.Notifications(); len(got) != 0 {
		t.Errorf("after a restart: %d notifications", len(got))
	}
}

// Nothing needs to touch the server: a timer plays the event on time.
func TestTimelinePlaysByItself(t *testing.T) {
	r := newReceiver(t, 0)
	st := timelineState(t, TimelineEvent{After: "10ms", Order: 1001, Status: "DELIVERY", Substatus: "DELIVERY_SERVICE_RECEIVED"})
	srv := New(st, Options{NotifyURL: r.http.URL})
	t.Cleanup(func() { _ = srv.Close() })
	select {
	case body := <-r.got:
		if n, err := notification.Parse([]byte(body)); err != nil || n.OrderID != 1001 || n.Status != "DELIVERY" {
			t.Errorf("notification %s: %+v, %v", body, n, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no notification from the timeline")
	}
}

func TestTimelineValidation(t *testing.T) {
	st, err := LoadState(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	st.Timeline = []TimelineEvent{
		{After: "soon", Order: 1001, Status: "DELIVERY", Substatus: "X"},
		{After: "-1s", Order: 1001, Status: "DELIVERY", Substatus: "X"},
		{After: "1s", Order: 999, Status: "DELIVERY", Substatus: "X"},
		{After: "1s", Order: 1001, Status: "SHIPPED", Substatus: "X"},
		{After: "1s", Order: 1001, Status: "DELIVERY"},
	}
	err = st.validate()
	want := `timeline[0]: after "soon" is not a duration >= 0 (e.g. "2s", "1m30s")
timeline[1]: after "-1s" is not a duration >= 0 (e.g. "2s", "1m30s")
timeline[2]: order 999 does not exist
timeline[3]: status "SHIPPED" is not an order status
timeline[4]: substatus is required`
	if err == nil || err.Error() != want {
		t.Errorf("validate() = %v, want\n%s", err, want)
	}
}

// The timeline is part of the state file, playedAt included.
func TestTimelineInStateFile(t *testing.T) {
	data := `{"businesses": [{"id": 1, "name": "b"}], "campaigns": [{"id": 2, "businessId": 1, "placementType": "DBS", "name": "c"}],
	  "orders": [{"id": 3, "campaignId": 2, "status": "PENDING", "substatus": "AWAITING_CONFIRMATION", "creationDate": "2026-11-21T12:00:00+03:00",
	    "delivery": {"type": "DELIVERY", "serviceName": "s", "deliveryServiceId": 1, "dates": {"fromDate": "2026-11-27"}, "address": {}},
	    "buyer": {"firstName": "A", "lastName": "B"}, "items": [{"id": 1, "offerId": "o", "offerName": "n", "count": 1, "price": 1}]}],
	  "timeline": [{"after": "2s", "order": 3, "status": "PROCESSING", "substatus": "STARTED"},
	               {"after": "0s", "order": 3, "status": "PENDING", "substatus": "AWAITING_CONFIRMATION", "playedAt": "2026-11-21T12:00:00Z"}]}`
	st, err := ParseState([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []TimelineEvent{{After: "2s", Order: 3, Status: "PROCESSING", Substatus: "STARTED"},
		{After: "0s", Order: 3, Status: "PENDING", Substatus: "AWAITING_CONFIRMATION", PlayedAt: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}}
	if diff := cmp.Diff(want, st.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if _, err := ParseState([]byte(`{"timeline": [{"after": "1s", "order": 3, "status": "PROCESSING", "substatus": "STARTED", "when": 1}]}`)); err == nil {
		t.Error("an unknown timeline field parsed")
	}
}
