package watch

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/orderform/orderform/provider/notification"
)

// MaxNotificationSize bounds a notification's body: the Market's largest
// (ORDER_CREATED with its items) is a few KiB.
const MaxNotificationSize = 1 << 20

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
	Notify func(notification.Notification)
	// AllowFrom, when set, are the only source networks served; others
	// get 403.
	AllowFrom []netip.Prefix
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !e.allowed(r) {
		writeError(w, http.StatusForbidden, notification.ErrorAnswer{Type: notification.UnknownError, Message: "this source network is not allowed to send notifications"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxNotificationSize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, notification.ErrorAnswer{Type: notification.WrongEventFormat,
				Message: fmt.Sprintf("the body is larger than %d bytes", MaxNotificationSize)})
			return
		}
		writeError(w, http.StatusBadRequest, notification.ErrorAnswer{Type: notification.WrongEventFormat, Message: "the body could not be read"})
		return
	}
	n, err := notification.Parse(body)
	if err != nil {
		var fe *notification.FormatError
		if errors.As(err, &fe) {
			writeError(w, http.StatusBadRequest, fe.Answer())
			return
		}
		writeError(w, http.StatusBadRequest, notification.ErrorAnswer{Type: notification.WrongEventFormat, Message: err.Error()})
		return
	}
	if n.Type != notification.Ping && e.Notify != nil {
		e.Notify(n)
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	data, err := notification.Answer{Version: e.Version, Name: e.Name, Time: now()}.Marshal()
	if err != nil {
		writeError(w, http.StatusInternalServerError, notification.ErrorAnswer{Type: notification.UnknownError, Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, data)
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

func writeError(w http.ResponseWriter, status int, e notification.ErrorAnswer) {
	writeJSON(w, status, e.Marshal())
}

func writeJSON(w http.ResponseWriter, status int, data []byte) {
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
