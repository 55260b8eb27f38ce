package provider

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/orderform/orderform/internal/contract"
)

// handwritten serves h, a test's own Market whose answers are wrong on
// purpose (malformed bodies, 5xx, 420s, hang-ups) and so go unchecked; but
// every request the client sends it is the client's own, and is checked
// against the official spec: a violation fails t.
func handwritten(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(contract.Handler(h, contract.Requests, contract.Errorf(t)))
	t.Cleanup(srv.Close)
	return srv
}
