package sandbox

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderform/orderform/provider/notification"
)

// Notifications: what the Market pushes to the seller when an order changes
// (see api/README.md, "Push notifications"). The server's lock only queues
// them; one goroutine sends them, outside it, in the order they were
// queued, and retries the ones not answered 200.

// Market's delivery defaults.
const (
	defaultNotifyRetry    = time.Minute      // "retries every minute for an hour"
	defaultNotifyAttempts = 61               // the first, then an hour of retries
	defaultNotifyTimeout  = 10 * time.Second // the seller's answer limit
	maxNotifyAnswer       = 64 << 10
)

// Sent is one notification the sandbox sent, or is still sending.
type Sent struct {
	Notification notification.Notification
	Body         []byte // exactly what each attempt POSTs
	Copy         int    // 1..Options.NotifyCopies: duplicates of one event
	Attempts     []Attempt
	Delivered    bool // an attempt was answered 200
	GaveUp       bool // Options.NotifyAttempts attempts, none answered 200
}

// Attempt is one POST of a notification.
type Attempt struct {
	Time   time.Time // when it was sent (the machine's clock, not Options.Now)
	Status int       // 0: no answer (Err says why)
	Answer []byte    // the answer's body, up to 64 KB
	Err    string
}

// notifier sends the queued notifications. Its own mutex guards the queue:
// the server's lock is held only to enqueue, never while sending.
type notifier struct {
	url      string // .../notification
	client   *http.Client
	retry    time.Duration
	attempts int
	timeout  time.Duration
	copies   int

	mu      sync.Mutex
	sent    []*Sent
	due     map[*Sent]time.Time // the ones still to send, and when
	changed chan struct{}       // closed and replaced on every change
	wake    chan struct{}
	ctx     context.Context
	stop    context.CancelFunc
	done    chan struct{}
	started bool
}

func newNotifier(opt Options) *notifier {
	if opt.NotifyURL == "" {
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	return &notifier{
		url:      strings.TrimSuffix(opt.NotifyURL, "/") + "/notification",
		client:   cmp.Or(opt.NotifyClient, http.DefaultClient),
		retry:    cmp.Or(max(opt.NotifyRetry, 0), defaultNotifyRetry),
		attempts: cmp.Or(max(opt.NotifyAttempts, 0), defaultNotifyAttempts),
		timeout:  cmp.Or(max(opt.NotifyTimeout, 0), defaultNotifyTimeout),
		copies:   cmp.Or(max(opt.NotifyCopies, 0), 1),
		due:      map[*Sent]time.Time{},
		changed:  make(chan struct{}),
		wake:     make(chan struct{}, 1),
		ctx:      ctx,
		stop:     stop,
		done:     make(chan struct{}),
	}
}

// enqueue queues n (Options.NotifyCopies times). It never blocks on the
// network: the caller may hold the server's lock.
func (nf *notifier) enqueue(n notification.Notification) {
	body, err := n.Marshal()
	if err != nil {
		panic(fmt.Sprintf("sandbox: %v", err)) // the sandbox built an invalid notification: a bug
	}
	nf.mu.Lock()
	defer nf.mu.Unlock()
	if nf.ctx.Err() != nil {
		return // closed
	}
	if !nf.started {
		nf.started = true
		go nf.run()
	}
	now := time.Now()
	for c := range nf.copies {
		s := &Sent{Notification: n, Body: body, Copy: c + 1}
		nf.sent = append(nf.sent, s)
		nf.due[s] = now
	}
	nf.changedLocked()
	select {
	case nf.wake <- struct{}{}:
	default:
	}
}

func (nf *notifier) changedLocked() {
	close(nf.changed)
	nf.changed = make(chan struct{})
}

// run sends due notifications, oldest first, until closed.
func (nf *notifier) run() {
	defer close(nf.done)
	for {
		nf.mu.Lock()
		next, at := nf.nextLocked()
		nf.mu.Unlock()
		if next != nil {
			if d := time.Until(at); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-nf.wake:
					t.Stop()
					continue
				case <-nf.ctx.Done():
					t.Stop()
					return
				}
			}
			nf.send(next)
			continue
		}
		select {
		case <-nf.wake:
		case <-nf.ctx.Done():
			return
		}
	}
}

// nextLocked is the pending notification due first (queue order breaks
// ties).
func (nf *notifier) nextLocked() (*Sent, time.Time) {
	var next *Sent
	var at time.Time
	for _, s := range nf.sent {
		if t, ok := nf.due[s]; ok && (next == nil || t.Before(at)) {
			next, at = s, t
		}
	}
	return next, at
}

// send makes one attempt and records it.
func (nf *notifier) send(s *Sent) {
	a := nf.post(s.Body)
	nf.mu.Lock()
	defer nf.mu.Unlock()
	s.Attempts = append(s.Attempts, a)
	switch {
	case a.Status == http.StatusOK:
		s.Delivered = true
		delete(nf.due, s)
	case len(s.Attempts) >= nf.attempts:
		s.GaveUp = true
		delete(nf.due, s)
	default:
		nf.due[s] = time.Now().Add(nf.retry)
	}
	nf.changedLocked()
}

func (nf *notifier) post(body []byte) Attempt {
	a := Attempt{Time: time.Now()}
	ctx, cancel := context.WithTimeout(nf.ctx, nf.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, nf.url, bytes.NewReader(body))
	if err != nil {
		a.Err = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := nf.client.Do(req)
	if err != nil {
		a.Err = err.Error()
		return a
	}
	defer resp.Body.Close()
	a.Answer, err = io.ReadAll(io.LimitReader(resp.Body, maxNotifyAnswer))
	if err != nil {
		a.Err = err.Error()
		return a // an answer cut short is no answer
	}
	a.Status = resp.StatusCode
	return a
}

// Notifications returns the notifications sent or still being sent, in the
// order they were queued (nil without Options.NotifyURL).
func (s *Server) Notifications() []Sent {
	nf := s.notify
	if nf == nil {
		return nil
	}
	nf.mu.Lock()
	defer nf.mu.Unlock()
	out := make([]Sent, len(nf.sent))
	for i, x := range nf.sent {
		out[i] = *x
		out[i].Body = slices.Clone(x.Body)
		out[i].Notification.Items = slices.Clone(x.Notification.Items)
		out[i].Attempts = slices.Clone(x.Attempts)
	}
	return out
}

// WaitNotifications blocks until every queued notification was delivered
// or given up, or ctx ends. Without Options.NotifyURL it returns at once.
func (s *Server) WaitNotifications(ctx context.Context) error {
	nf := s.notify
	if nf == nil {
		return nil
	}
	for {
		nf.mu.Lock()
		pending, changed := len(nf.due), nf.changed
		nf.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for sandbox notifications: %d not delivered: %w", pending, ctx.Err())
		}
	}
}

// Close stops the timeline and the notifications: an attempt in flight is
// cancelled, the rest are not sent. The server still answers requests.
func (s *Server) Close() error {
	s.mu.Lock()
	for _, t := range s.timers {
		t.Stop()
	}
	s.timers = nil
	s.mu.Unlock()
	nf := s.notify
	if nf == nil {
		return nil
	}
	nf.mu.Lock()
	nf.stop()
	started := nf.started
	nf.mu.Unlock()
	if started {
		<-nf.done
	}
	return nil
}

// orderMark is what of an order a notification reports on.
type orderMark struct {
	status, substatus string
	dates             Dates
	shipmentDate      string
}

func markOf(o *OrderState) orderMark {
	return orderMark{o.Status, o.Substatus, o.Delivery.Dates, o.Delivery.ShipmentDate}
}

// noticeChange queues the notifications for an order that changed from
// before to o: a status change is ORDER_STATUS_UPDATED (ORDER_CANCELLED for
// a cancellation), a delivery date or interval change ORDER_UPDATED with
// DELIVERY_DATE_UPDATED, a shipment date change SHIPMENT_DATE_UPDATED. The
// caller holds the lock.
func (s *Server) noticeChange(before orderMark, o *OrderState) {
	if s.notify == nil {
		return
	}
	after := markOf(o)
	base := notification.Notification{CampaignID: o.CampaignID, OrderID: o.ID, Time: o.UpdatedAt}
	switch {
	case after.status == "CANCELLED" && before.status != "CANCELLED":
		n := base
		n.Type = notification.OrderCancelled
		n.Items = make([]notification.Item, 0, len(o.Items))
		for _, it := range o.Items {
			n.Items = append(n.Items, notification.Item{OfferID: it.OfferID, Count: it.Count})
		}
		s.notify.enqueue(n)
	case after.status != before.status || after.substatus != before.substatus:
		n := base
		n.Type, n.Status, n.Substatus = notification.OrderStatusUpdated, o.Status, o.Substatus
		s.notify.enqueue(n)
	}
	if after.dates != before.dates {
		n := base
		n.Type, n.UpdateType = notification.OrderUpdated, notification.DeliveryDateUpdated
		s.notify.enqueue(n)
	}
	if after.shipmentDate != before.shipmentDate {
		n := base
		n.Type, n.UpdateType = notification.OrderUpdated, notification.ShipmentDateUpdated
		s.notify.enqueue(n)
	}
}

// SetStatus changes an order's status as the Market would (the buyer paid,
// the courier took it): substatus "" keeps the current one. With
// Options.NotifyURL the matching notification is sent.
func (s *Server) SetStatus(orderID int64, status, substatus string) error {
	return s.UpdateOrder(orderID, func(o *OrderState) {
		o.Status = status
		if substatus != "" {
			o.Substatus = substatus
		}
	})
}
