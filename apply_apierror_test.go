package main

// What apply prints and journals of an API error is bounded and masked:
// the Market's message may be megabytes long, and may quote the recipient
// the request carried.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/provider/sandbox"
)

const apiErrorHCL = `
provider "yandex_market" {
  campaign_id = 21000000
}

order "1001" {
  track {
    code                = "RP123456789RU"
    delivery_service_id = 51
  }
}

order "2001" {
  campaign_id = 22000000
  recipient {
    first_name = "Мария"
    phone      = "+79035550122"
  }
}
`

func TestApplyAPIErrorIsBoundedAndMasked(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": apiErrorHCL})
	huge := strings.Repeat("x", 5<<20)
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		switch endpointOf(r) {
		case sandbox.EndpointTrack:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"ERROR","errors":[{"code":"BAD_REQUEST","message":"%s"}]}`, huge)
			return true
		case sandbox.EndpointUpdate:
			body, _ := io.ReadAll(r.Body)
			var req struct {
				Order struct {
					Customer struct{ FirstName, LastName, MiddleName, Phone string } `json:"customer"`
				} `json:"order"`
			}
			_ = json.Unmarshal(body, &req)
			cu := req.Order.Customer
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"ERROR","errors":[{"code":"BAD_REQUEST","message":"recipient %s %s %s, phone %s, is not allowed"}]}`,
				cu.LastName, cu.FirstName, cu.MiddleName, cu.Phone)
			return true
		}
		return false
	})
	r := e.mustExit(1, "apply", "-auto-approve", "-no-color", "-poll-interval=50ms")
	out := r.stdout + r.stderr
	wantContains(t, "output", out, "order.1001", "order.2001", "BAD_REQUEST", "bytes more)",
		"recipient Н*** М*** А***, phone +*********22, is not allowed")
	if len(out) > 64<<10 {
		t.Errorf("output is %d bytes for a 5 MB message, want it bounded", len(out))
	}
	data, err := os.ReadFile(filepath.Join(e.dir, journal.Dir, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if len(line) > 4<<10 {
			t.Errorf("journal line %d is %d bytes, want it bounded", i+1, len(line))
		}
	}
	for _, pd := range []string{"Мария", "Новиков", "Андреевич", "79035550122", "+7903"} {
		for what, text := range map[string]string{"output": out, "journal": string(data)} {
			if strings.Contains(text, pd) {
				t.Errorf("the %s shows %q unmasked", what, pd)
			}
		}
	}
	if n := e.effectiveWrites(0); n != 0 {
		t.Errorf("%d effective writes, want 0", n)
	}
}
