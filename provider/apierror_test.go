package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// An API error keeps a bounded part of each message and of the list, and
// says how much it left out: a 5 MB message must not become a 5 MB line of
// output or of the journal.
func TestAPIErrorIsBounded(t *testing.T) {
	huge := strings.Repeat("Ж", 5<<20/2) // 5 MB of two-byte letters
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"one huge message", fmt.Sprintf(`{"status":"ERROR","errors":[{"code":"BAD_REQUEST","message":%q}]}`, huge),
			[]string{"BAD_REQUEST ЖЖЖ", fmt.Sprintf("Ж... (%d bytes more)", len(huge)-500)}},
		{"many messages", `{"status":"ERROR","errors":[` + strings.Repeat(`{"code":"E","message":"m"},`, 49) + `{"code":"E","message":"m"}]}`,
			[]string{"E m; E m", "; ... (40 more errors)"}},
		{"a huge code", fmt.Sprintf(`{"status":"ERROR","errors":[{"code":%q,"message":"m"}]}`, strings.Repeat("C", 1<<20)),
			[]string{fmt.Sprintf("CCC... (%d bytes more) m", 1<<20-64)}},
		{"a huge body that is not the envelope", "<html>" + huge + "</html>",
			[]string{"<html>ЖЖЖ", "bytes more)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, tc.body)
			})
			defer srv.Close()
			c, err := New(Config{Endpoint: srv.URL, APIKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			err = c.SetTrack(context.Background(), 21000000, 1001, Track{Code: "RP1", DeliveryServiceID: 51})
			if _, ok := AsAPIError(err); !ok {
				t.Fatalf("SetTrack: %v, want an APIError", err)
			}
			msg := err.Error()
			if len(msg) > 8<<10 {
				t.Errorf("the error is %d bytes, want a few KB at most", len(msg))
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%.300s", w, msg)
				}
			}
			if !strings.Contains(msg, "POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track: HTTP 400 for order 1001") {
				t.Errorf("error does not name the endpoint: %.200s", msg)
			}
		})
	}
}

// An answer quoting the request's recipient shows the names and the phone
// masked as the plan masks them, in the error and in the debug log; so is
// any phone-looking number.
func TestAPIErrorMasksPersonalData(t *testing.T) {
	srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Order struct {
				Customer Customer `json:"customer"`
			} `json:"order"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		cu := req.Order.Customer
		w.WriteHeader(http.StatusBadRequest)
		msg := fmt.Sprintf("customer %s %s %s (%s, written +7 903 555-01-22 or 89035550122) is not accepted; %s; call 8 (800) 555-35-35",
			cu.LastName, cu.FirstName, cu.MiddleName, cu.Phone, strings.ToUpper(cu.FirstName))
		fmt.Fprintf(w, `{"status":"ERROR","errors":[{"code":"BAD_REQUEST","message":%q}]}`, msg)
	})
	defer srv.Close()
	var log bytes.Buffer
	c, err := New(Config{Endpoint: srv.URL, APIKey: "k", DebugLog: &log})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateOrder(context.Background(), 22000000, OrderUpdate{OrderID: 2001,
		Customer: &Customer{FirstName: "Мария", LastName: "Новикова", MiddleName: "Ивановна", Phone: "+79035550122"}})
	if _, ok := AsAPIError(err); !ok {
		t.Fatalf("UpdateOrder: %v, want an APIError", err)
	}
	want := "customer Н*** М*** И*** (+*********22, written +*********22 or *********22) is not accepted; М***; call *********35"
	if got := err.Error(); !strings.Contains(got, want) {
		t.Errorf("error = %q\nwant it to contain %q", got, want)
	}
	for _, text := range []string{err.Error(), log.String()} {
		for _, pd := range []string{"Мария", "МАРИЯ", "Новикова", "Ивановна", "9035550122", "555-01-22", "555-35-35"} {
			if strings.Contains(text, pd) {
				t.Errorf("%q shows unmasked:\n%s", pd, text)
			}
		}
	}
}

func TestMessageMask(t *testing.T) {
	m := messageMask{names: nameWords("Ли", "Я", "Анна-Мария"), phones: []string{"3531234567"}, keep: []string{"12345678901234"}}
	for _, tc := range []struct{ in, want string }{
		// Not phones: dates, times, IDs, a UUID, codes glued to letters.
		{"interval 2026-11-27 10:00 to 2026-11-28 14:00", "interval 2026-11-27 10:00 to 2026-11-28 14:00"},
		{"from 2026-11-27 - 2026-11-28", "from 2026-11-27 - 2026-11-28"},
		{"order 54321987654321987 in campaign 21000000", "order 54321987654321987 in campaign 21000000"},
		{"operation 12345678-1234-4123-8123-123456789012", "operation 12345678-1234-4123-8123-123456789012"},
		{"track RA89035550122RU", "track RA89035550122RU"},
		// The request's own track code of 14 digits is not a phone.
		{"track 12345678901234 is already used", "track 12345678901234 is already used"},
		// Phones: any writing of 11 to 15 digits, and the request's
		// shorter one.
		{"phone +7 (903) 555-01-22.", "phone +*********22."},
		{"tel.89035550122", "tel.*********22"},
		{"phone+79035550122", "phone+*********22"},
		{"+353 123 4567 is foreign", "+********67 is foreign"},
		// Names as whole words, any case; a one-letter name is left alone.
		{"ЛИ and Ли, but Лиза; Я сказал", "Л*** and Л***, but Лиза; Я сказал"},
		{"recipient Анна-Мария", "recipient А***"},
	} {
		if got := m.apply(tc.in); got != tc.want {
			t.Errorf("mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
