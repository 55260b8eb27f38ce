package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The debug log and the API's messages keep the key out without garbling
// the text around it: a one-letter key is looked for only where a key
// goes, a real-length one everywhere.
func TestRedactionKeepsTextWhole(t *testing.T) {
	for _, tc := range []struct {
		key string
		// echo is what the server says back, with KEY standing for the key.
		echo    string
		wantMsg string
	}{
		{
			key:     "a",
			echo:    "remaining quota is 0 for Api-Key: KEY, try again later",
			wantMsg: "remaining quota is 0 for Api-Key: REDACTED, try again later",
		},
		{
			key:     "e2e-REAL-length-key-0042",
			echo:    "remaining quota is 0 for the key KEY (apiKey=KEY%3D, Authorization: Bearer KEY)",
			wantMsg: "remaining quota is 0 for the key REDACTED (apiKey=REDACTED, Authorization: REDACTED)",
		},
		{
			// Glued to other characters, a real key is still taken out.
			key:     "e2e-REAL-length-key-0042",
			echo:    "remaining for tokenKEYtoken",
			wantMsg: "remaining for tokenREDACTEDtoken",
		},
	} {
		t.Run(tc.key, func(t *testing.T) {
			echo := strings.ReplaceAll(tc.echo, "KEY", tc.key)
			srv := handwritten(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"status":"ERROR","errors":[{"code":"BAD_REQUEST","message":%q}]}`, echo)
			})
			defer srv.Close()
			var log bytes.Buffer
			c, err := New(Config{Endpoint: srv.URL, APIKey: tc.key, DebugLog: &log})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetCampaign(context.Background(), 21000000)
			ae, ok := AsAPIError(err)
			if !ok {
				t.Fatalf("GetCampaign: %v, want an APIError", err)
			}
			if got := ae.Errors[0].Message; got != tc.wantMsg {
				t.Errorf("message = %q, want %q", got, tc.wantMsg)
			}
			text := log.String()
			for _, want := range []string{"Api-Key=REDACTED", tc.wantMsg, "remaining", srv.URL + "/v2/campaigns/21000000"} {
				if !strings.Contains(text, want) {
					t.Errorf("debug log lacks %q:\n%s", want, text)
				}
			}
			if len(tc.key) >= 8 && strings.Contains(text, tc.key) {
				t.Errorf("debug log holds the key:\n%s", text)
			}
			if strings.Contains(text, "REDACTEDin") || strings.Contains(text, "mREDACTED") {
				t.Errorf("debug log garbled:\n%s", text)
			}
		})
	}
}
