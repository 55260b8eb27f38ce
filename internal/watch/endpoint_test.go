package watch

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/provider/notification"
)

func post(t *testing.T, e *Endpoint, remote, body string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/notification", strings.NewReader(body))
	if remote != "" {
		r.RemoteAddr = remote
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer %q is not JSON: %v", w.Body.String(), err)
	}
	return w.Code, out
}

func TestEndpointContract(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	type seen struct {
		Type              notification.Type
		CampaignID, Order int64
	}
	var got []seen
	e := &Endpoint{Name: "orderform", Version: "1.2.3", Now: func() time.Time { return now }, Notify: func(n notification.Notification) {
		got = append(got, seen{n.Type, n.CampaignID, n.OrderID})
	}}
	ok := map[string]any{"name": "orderform", "version": "1.2.3", "time": "2026-12-01T10:00:00Z"}
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"ping", `{"notificationType":"PING","time":"2022-12-29T18:02:01Z"}`, 200},
		{"status", `{"notificationType":"ORDER_STATUS_UPDATED","campaignId":21000000,"orderId":1001,"status":"PROCESSING","substatus":"STARTED","updatedAt":"2022-12-29T18:02:01Z"}`, 200},
		{"chat", `{"notificationType":"CHAT_CREATED","chatId":5}`, 200},
		{"not json", `{"notificationType":`, 400},
		{"no type", `{"orderId":1}`, 400},
		{"order without id", `{"notificationType":"ORDER_CREATED","campaignId":1}`, 400},
		{"ping without time", `{"notificationType":"PING"}`, 400},
		{"two values", `{"notificationType":"PING","time":"2022-12-29T18:02:01Z"} {}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := post(t, e, "", tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, out)
			}
			if status == 200 {
				if diff := cmp.Diff(ok, out); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
				return
			}
			if e, _ := out["error"].(map[string]any); e["type"] != "WRONG_EVENT_FORMAT" || e["message"] == "" {
				t.Errorf("answer %v, want a WRONG_EVENT_FORMAT error with a message", out)
			}
		})
	}
	want := []seen{{"ORDER_STATUS_UPDATED", 21000000, 1001}, {"CHAT_CREATED", 0, 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notified (-want +got):\n%s", diff)
	}
}

func TestEndpointBodyLimit(t *testing.T) {
	e := &Endpoint{Name: "o", Version: "1"}
	big := `{"notificationType":"PING","time":"2022-12-29T18:02:01Z","pad":"` + strings.Repeat("x", MaxNotificationSize) + `"}`
	if status, _ := post(t, e, "", big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d for a body over the limit, want 413", status)
	}
}

func TestEndpointAllowFrom(t *testing.T) {
	nets, err := ParseAllowFrom("market, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("5.45.207.0/25"), netip.MustParsePrefix("141.8.142.0/25"), netip.MustParsePrefix("5.255.253.0/25"), netip.MustParsePrefix("192.0.2.7/32")}
	if diff := cmp.Diff(want, nets, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("ParseAllowFrom (-want +got):\n%s", diff)
	}
	e := &Endpoint{Name: "o", Version: "1", AllowFrom: nets}
	ping := `{"notificationType":"PING","time":"2022-12-29T18:02:01Z"}`
	if status, _ := post(t, e, "141.8.142.17:4000", ping); status != 200 {
		t.Errorf("the Market's network: status %d, want 200", status)
	}
	if status, _ := post(t, e, "198.51.100.1:4000", ping); status != http.StatusForbidden {
		t.Errorf("another network: status %d, want 403", status)
	}
	if _, err := ParseAllowFrom("10.0.0.0/33"); err == nil {
		t.Error("ParseAllowFrom accepted /33")
	}
}
