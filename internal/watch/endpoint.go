package watch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// MaxNotificationSize bounds a notification's body: the Market's largest
// (ORDER_CREATED with its items) is a few KiB.
const MaxNotificationSize = 1 << 20

// Notification is what the endpoint needs of one of the Market's push
// notifications: its type and, for an order's, the order.
type Notification struct {
	Type       string
	CampaignID int64
	OrderID    int64
}

// IsOrder reports whether the notification is about one order (ORDER_*),
// and names it.
func (n Notification) IsOrder() bool {
	return strings.HasPrefix(n.Type, "ORDER_") && n.OrderID > 0
}

// wireNotification is the body as the Market sends it; the fields the
// endpoint does not use are not decoded.
type wireNotification struct {
	NotificationType string `json:"notificationType"`
	CampaignID       *int64 `json:"campaignId"`
	OrderID          *int64 `json:"orderId"`
	Time             string `json:"time"`
}

// ParseNotification reads one notification's body. It refuses what the
// Market would never send: not a JSON object, no notificationType, a PING
// without its time, an order's notification without a positive campaignId
// and orderId. Types it does not know (chats, reviews, returns) are valid.
func ParseNotification(body []byte) (Notification, error) {
	var w wireNotification
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return Notification{}, fmt.Errorf("the body is not a JSON object: %v", err)
	}
	if dec.More() {
		return Notification{}, errors.New("the body holds more than one JSON value")
	}
	n := Notification{Type: w.NotificationType}
	switch {
	case n.Type == "":
		return n, errors.New("notificationType is missing")
	case n.Type == "PING":
		if _, err := time.Parse(time.RFC3339, w.Time); err != nil {
			return n, fmt.Errorf("PING: time %q is not an RFC 3339 time", w.Time)
		}
	case strings.HasPrefix(n.Type, "ORDER_"):
		if w.OrderID == nil || *w.OrderID <= 0 {
			return n, fmt.Errorf("%s: orderId is missing or not positive", n.Type)
		}
		if w.CampaignID == nil || *w.CampaignID <= 0 {
			return n, fmt.Errorf("%s: campaignId is missing or not positive", n.Type)
		}
		n.OrderID, n.CampaignID = *w.OrderID, *w.CampaignID
	}
	return n, nil
}

// MarketNetworks are the source networks the Market documents for its
// notifications, for -allow-from.
var MarketNetworks = []string{"5.45.207.0/25", "141.8.142.0/25", "5.255.253.0/25"}

// Endpoint serves POST /notification as the Market's contract says: 200
// with {"version","name","time"} for every valid notification (PING at
// once; an order's once Notify has queued it, whatever the reconcile then
// takes), 400 WRONG_EVENT_FORMAT for a malformed body.
type Endpoint struct {
	// Name and Version are the answer's (1..100 characters each).
	Name, Version string
	// Notify receives every valid notification other than PING; it must
	// not block (it queues).
	Notify func(Notification)
	// AllowFrom, when set, are the only source networks served; others
	// get 403.
	AllowFrom []netip.Prefix
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !e.allowed(r) {
		writeError(w, http.StatusForbidden, "UNKNOWN", "this source network is not allowed to send notifications")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxNotificationSize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "WRONG_EVENT_FORMAT", fmt.Sprintf("the body is larger than %d bytes", MaxNotificationSize))
			return
		}
		writeError(w, http.StatusBadRequest, "WRONG_EVENT_FORMAT", "the body could not be read")
		return
	}
	n, err := ParseNotification(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "WRONG_EVENT_FORMAT", err.Error())
		return
	}
	if n.Type != "PING" && e.Notify != nil {
		e.Notify(n)
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	writeJSON(w, http.StatusOK, map[string]string{"version": e.Version, "name": e.Name, "time": now().UTC().Format(time.RFC3339)})
}

// allowed reports whether r comes from an allowed network. The peer is the
// connection's: behind a reverse proxy, the proxy filters instead.
func (e *Endpoint) allowed(r *http.Request) bool {
	if len(e.AllowFrom) == 0 {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range e.AllowFrom {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseAllowFrom reads -allow-from: networks separated by commas
// (192.0.2.0/24, or one address); "market" stands for MarketNetworks.
func ParseAllowFrom(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
			continue
		case part == "market":
			for _, n := range MarketNetworks {
				out = append(out, netip.MustParsePrefix(n))
			}
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not a network (CIDR) or an address", part)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a network (CIDR) or an address", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"type": typ, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// NewServer is an http.Server for the handler with the timeouts a public
// endpoint needs: the Market gives up after 10 s, so nothing here waits
// longer, and a slow or idle client cannot hold a connection.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
