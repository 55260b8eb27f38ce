// Package endpoint is the one rule for a Market API base URL, applied by
// two stages that know nothing of each other: schema, to point a
// diagnostic at the provider block's endpoint (validate refuses what plan
// would), and provider, which never makes a client for a URL that breaks it,
// whoever set it (the environment, a saved plan). Use it for that rule
// only; it reads no configuration and sends nothing.
package endpoint

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrCleartext is a plain-http URL to a host that is not this machine: the
// API key, sent in a header, would cross the network unencrypted.
var ErrCleartext = errors.New("plain http is allowed only to a loopback address; use https")

// Check returns what is wrong with base as an API base URL, or nil: it must
// be absolute, https (plain http only to a loopback address, such as a
// local emulator), and a plain base, without credentials, query or
// fragment, because every request path is appended to it.
func Check(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("endpoint: %w", err)
	}
	if u.Host == "" {
		return fmt.Errorf("endpoint %q: no host", base)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("endpoint %q: want a plain base URL, without credentials, query or fragment", base)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("endpoint %q: %w", base, ErrCleartext)
	default:
		return fmt.Errorf("endpoint %q: scheme must be https", base)
	}
}

// IsLoopback reports whether host (a name or an IP address, without a
// port) is this machine: localhost, 127.0.0.0/8 or ::1. A name that merely
// starts like one (localhost.example.com, 127.0.0.1.nip.io) is not.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
