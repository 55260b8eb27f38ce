package contract

import (
	"net/http"
	"strings"
	"testing"
)

// exchangeCase is one message an exception is for: the request, and the
// answer when the exception is about the answer.
type exchangeCase struct {
	method, path, body string
	status             int // 0: the exception is about the request
	contentType        string
	answer             string
}

// check runs the case's message through the checker with table.
func (c exchangeCase) check(t *testing.T, table []Exception) []Violation {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(c.method, "http://127.0.0.1"+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Api-Key", "k")
	req.Header.Set("Content-Type", "application/json")
	x := s.begin(req, []byte(c.body))
	x.table = table
	if c.status == 0 {
		return x.request()
	}
	if vs := x.request(); len(vs) > 0 {
		t.Fatalf("the case's request is not valid: %v", vs)
	}
	h := http.Header{"Content-Type": {c.contentType}}
	return x.response(c.status, h, []byte(c.answer))
}

// order1004 is the sandbox's order 1004 as GET order answers it (the
// fields the spec requires), with its times as given.
func order1004(from, to string) string {
	return `{"id":1004,"status":"DELIVERY","substatus":"DELIVERY_SERVICE_RECEIVED","creationDate":"18-11-2026 10:00:00",` +
		`"currency":"RUR","itemsTotal":100,"deliveryTotal":0,"buyerItemsTotal":100,"buyerTotal":100,"buyerItemsTotalBeforeDiscount":100,` +
		`"buyerTotalBeforeDiscount":100,"paymentType":"PREPAID","paymentMethod":"YANDEX","fake":false,"taxSystem":"OSN",` +
		`"items":[],"buyer":{"type":"PERSON"},"delivery":{"type":"DELIVERY","serviceName":"Собственная служба доставки","deliveryPartnerType":"SHOP","deliveryServiceId":99,` +
		`"dates":{"fromDate":"24-11-2026","toDate":"24-11-2026","fromTime":"` + from + `","toTime":"` + to + `"}}}`
}

func businessOrder(from, to string) string {
	return `{"orders":[{"orderId":1004,"campaignId":21000000,"programType":"DBS","status":"DELIVERY","substatus":"DELIVERY_SERVICE_RECEIVED",` +
		`"creationDate":"2026-11-18T10:00:00+03:00","updateDate":"2026-11-20T10:00:00+03:00","paymentType":"PREPAID","paymentMethod":"YANDEX",` +
		`"fake":false,"items":[],"prices":{},"delivery":{"type":"DELIVERY","dispatchType":"BUYER","serviceName":"s","deliveryPartnerType":"SHOP","deliveryServiceId":99,` +
		`"dates":{"fromDate":"2026-11-24","toDate":"2026-11-24","fromTime":"` + from + `","toTime":"` + to + `"}}}],"paging":{}}`
}

// excepted are, for each exception, a message it excuses and the same
// message with the value it does not.
var excepted = map[string]struct{ excused, reported exchangeCase }{
	"update-options-option": {
		exchangeCase{method: "POST", path: "/v1/campaigns/22000000/orders/update-options", body: `{"id":2001,"orderUpdateOption":"UPDATE_DELIVERY_INTERVAL"}`},
		exchangeCase{method: "POST", path: "/v1/campaigns/22000000/orders/update-options", body: `{"id":2001,"orderUpdateOption":"UPDATE_RECIPIENT"}`},
	},
	"order-times-with-seconds": {
		exchangeCase{method: "GET", path: "/v2/campaigns/21000000/orders/1004", status: 200, contentType: "application/json",
			answer: `{"order":` + order1004("09:00:00", "18:00:00") + `}`},
		exchangeCase{method: "GET", path: "/v2/campaigns/21000000/orders/1004", status: 200, contentType: "application/json",
			answer: `{"order":` + order1004("9 am", "18:00:00") + `}`},
	},
	"order-list-times-with-seconds": {
		exchangeCase{method: "GET", path: "/v2/campaigns/21000000/orders?orderIds=1004", status: 200, contentType: "application/json",
			answer: `{"orders":[` + order1004("09:00:00", "18:00:00") + `],"paging":{}}`},
		exchangeCase{method: "GET", path: "/v2/campaigns/21000000/orders?orderIds=1004", status: 200, contentType: "application/json",
			answer: `{"orders":[` + order1004("09:00:00", "18:00:00.5") + `],"paging":{}}`},
	},
	"business-order-times-with-seconds": {
		exchangeCase{method: "POST", path: "/v1/businesses/9000000/orders", body: `{"orderIds":[1004]}`, status: 200, contentType: "application/json",
			answer: businessOrder("09:00:00", "18:00:00")},
		exchangeCase{method: "POST", path: "/v1/businesses/9000000/orders", body: `{"orderIds":[1004]}`, status: 200, contentType: "application/json",
			answer: businessOrder("25:00:00", "18:00:00")},
	},
	"overloaded-and-gateway-statuses": {
		exchangeCase{method: "GET", path: "/v2/campaigns/21000000", status: 503, contentType: "application/json",
			answer: `{"status":"ERROR","errors":[{"code":"INTERNAL_ERROR","message":"overloaded"}]}`},
		exchangeCase{method: "GET", path: "/v2/campaigns/21000000", status: 501, contentType: "application/json",
			answer: `{"status":"ERROR","errors":[{"code":"INTERNAL_ERROR","message":"not implemented"}]}`},
	},
	"gateway-pages": {
		exchangeCase{method: "POST", path: "/v2/campaigns/21000000/orders/1001/delivery/track", body: `{"trackCode":"RP1","deliveryServiceId":51}`,
			status: 500, contentType: "text/html", answer: "<html><body><h1>500 Internal Server Error</h1></body></html>"},
		exchangeCase{method: "POST", path: "/v2/campaigns/21000000/orders/1001/delivery/track", body: `{"trackCode":"RP1","deliveryServiceId":51}`,
			status: 500, contentType: "text/plain", answer: "internal server error"},
	},
}

// TestExceptionsExcuseExactlyWhatTheyName: each exception excuses a real
// violation of a real message (so none is dead), and that message with
// another value is still reported (so none is a blanket).
func TestExceptionsExcuseExactlyWhatTheyName(t *testing.T) {
	for _, e := range exceptions {
		t.Run(e.Name, func(t *testing.T) {
			c, ok := excepted[e.Name]
			if !ok {
				t.Fatalf("exception %s has no case in excepted", e.Name)
			}
			without := c.excused.check(t, nil)
			if len(without) == 0 {
				t.Fatalf("without the exception the message is valid: the exception is dead")
			}
			for _, v := range without {
				if !e.matches(v) {
					t.Errorf("the case breaks the spec beyond the exception: %v", v)
				}
			}
			if vs := c.excused.check(t, exceptions); len(vs) != 0 {
				t.Errorf("with the exceptions: %v, want none", vs)
			}
			if vs := c.reported.check(t, exceptions); len(vs) == 0 {
				t.Errorf("the message with another value was excused too")
			}
		})
	}
	for name := range excepted {
		found := false
		for _, e := range exceptions {
			found = found || e.Name == name
		}
		if !found {
			t.Errorf("excepted has a case for %s, which the table does not have", name)
		}
	}
}

func TestExceptionsAreExplained(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range exceptions {
		if e.Name == "" || seen[e.Name] || e.Operation == "" || e.Message == "" || e.Keyword == "" || len(e.Why) < 40 {
			t.Errorf("exception %+v: want a unique name, an operation, a message, a keyword and a reason", e)
		}
		seen[e.Name] = true
	}
}
