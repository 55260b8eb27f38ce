package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/provider/sandbox"
)

// scanSeeds are answers of the business order list, well-formed and not:
// the fuzz target starts from them, and TestScanBusinessOrders checks which
// of them the scanner reads itself.
var scanSeeds = []struct {
	body  string
	reads bool // scanBusinessOrders reads it (else encoding/json does)
}{
	{`{"orders":[],"paging":{}}`, true},
	{`{"orders":[{"orderId":1,"campaignId":2,"programType":"DBS","status":"PROCESSING","substatus":"STARTED","updateDate":"2026-11-01T09:00:00+03:00","cancelRequested":false,"fake":true,` +
		`"items":[{"id":1,"prices":{"payment":{"value":8990.5,"currencyId":"RUR"}}}],"delivery":{"type":"DELIVERY","deliveryPartnerType":"SHOP","deliveryServiceId":99,"serviceName":"Своя служба",` +
		`"dates":{"fromDate":"2026-11-07","toDate":"2026-11-07","fromTime":"14:00","toTime":"18:00"},"courier":{"address":{"city":"Москва","note":"a \"quoted\" \u0041 word"}},` +
		`"tracks":[{"trackCode":"RP1","deliveryServiceId":51}]},"buyerType":"PERSON","x":[true,false,null,-0,1e3,-2.5E-3]}],"paging":{"nextPageToken":"abc"}}`, true},
	{" \n{ \"orders\" : [ { \"orderId\" : 7 , \"delivery\" : null } ] } \t", true},
	{`{"orders":null}`, false},
	{`{"orders":[null]}`, false},
	{`{"orders":[{"status":"A\u0042"}]}`, false},
	{`{"orders":[{"orderID":1}]}`, false},
	{`{"orders":[{"orderId":1,"orderId":2}]}`, false},
	{`{"orders":[{"orderId":1.5}]}`, false},
	{`{"orders":[{"orderId":"1"}]}`, false},
	{`{"orders":[{"orderId":01}]}`, false},
	{`{"orders":[{"orderId":99999999999999999999}]}`, false},
	{`{"orders":[{"status":"` + "\xff" + `"}]}`, false},
	{`{"orders":[]} x`, false},
	{`{"orders":[],}`, false},
	{`{"orders":[{"delivery":{"tracks":null}}]}`, false},
	{`{"orders":[{"trac\u212ACode":1}]}`, false},
	{`null`, false},
	{`[]`, false},
	{``, false},
}

func TestScanBusinessOrders(t *testing.T) {
	for _, c := range scanSeeds {
		var scanned businessOrdersResponse
		if got := scanBusinessOrders([]byte(c.body), &scanned); got != c.reads {
			t.Errorf("scanBusinessOrders(%q) = %v, want %v", c.body, got, c.reads)
			continue
		}
		if !c.reads {
			continue
		}
		var want businessOrdersResponse
		if err := json.Unmarshal([]byte(c.body), &want); err != nil {
			t.Fatalf("%q: %v", c.body, err)
		}
		if diff := cmp.Diff(want, scanned); diff != "" {
			t.Errorf("%q: scanned (-encoding/json +scan):\n%s", c.body, diff)
		}
	}
}

// The emulator's answers, as a plan reads them, are read by the scanner,
// not by encoding/json, and give the same orders.
func TestScanReadsTheEmulatorsAnswers(t *testing.T) {
	st := sandbox.Generate(200, 1)
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{"k"}})
	var bodies [][]byte
	// The answers are the emulator's, passed on as they are: the requests
	// and the answers are both checked.
	hs := httptest.NewServer(contract.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		bodies = append(bodies, rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}), contract.Both, contract.Errorf(t)))
	defer hs.Close()
	c, err := New(Config{Endpoint: hs.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, o := range st.Orders {
		ids = append(ids, o.ID)
	}
	orders, err := c.ListBusinessOrders(context.Background(), 9000000, ids)
	if err != nil || len(orders) != 200 {
		t.Fatalf("%d orders, %v", len(orders), err)
	}
	if len(bodies) != 4 {
		t.Fatalf("%d answers, want 4 pages of 50", len(bodies))
	}
	for _, b := range bodies {
		var scanned, want businessOrdersResponse
		if !scanBusinessOrders(b, &scanned) {
			t.Fatalf("the scanner gave up on the emulator's answer %s", b[:min(len(b), 300)])
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, scanned); diff != "" {
			t.Errorf("(-encoding/json +scan):\n%s", diff)
		}
	}
}

// FuzzScanBusinessOrders: whatever the scanner reads, encoding/json reads
// too, to the same value.
func FuzzScanBusinessOrders(f *testing.F) {
	for _, c := range scanSeeds {
		f.Add(c.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var scanned businessOrdersResponse
		if !scanBusinessOrders([]byte(body), &scanned) {
			return
		}
		var want businessOrdersResponse
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatalf("scanned %q, which encoding/json refuses: %v", body, err)
		}
		if diff := cmp.Diff(want, scanned); diff != "" {
			t.Fatalf("%q (-encoding/json +scan):\n%s", body, diff)
		}
	})
}
