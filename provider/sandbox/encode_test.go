package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The answers' hand-written encoding must be byte for byte what
// encoding/json (SetEscapeHTML(false), Encoder.Encode's newline) writes for
// the same DTOs: these tests compare the two.

// stdJSON is v as response.write encoded it with encoding/json.
func stdJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// handJSON is a's hand-written encoding, with Encoder.Encode's newline.
func handJSON(a interface{ appendJSON(*jsonBuf) }) ([]byte, error) {
	e := &jsonBuf{}
	a.appendJSON(e)
	return append(e.b, '\n'), e.err
}

func sameJSON(t *testing.T, what string, v any, a interface{ appendJSON(*jsonBuf) }) {
	t.Helper()
	want, wantErr := stdJSON(v)
	got, gotErr := handJSON(a)
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("%s: encoding/json error %v, hand-written error %v", what, wantErr, gotErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("%s:\nhand-written %q\nencoding/json %q", what, got, want)
	}
}

// The shapes of the three answers, as encoding/json sees them.
type (
	stdOrderAnswer struct {
		Order orderDTO `json:"order"`
	}
	stdOrderList struct {
		Orders []orderDTO `json:"orders"`
		Paging pagingDTO  `json:"paging"`
	}
	stdBusinessOrders struct {
		Orders []businessOrderDTO `json:"orders"`
		Paging pagingDTO          `json:"paging"`
	}
)

// pageAnswers are o's three answers, hand-written and as encoding/json
// shapes, with the views encoding/json gets made apart.
func checkAnswers(t *testing.T, what string, orders []OrderState, models []string, next string) {
	t.Helper()
	c := &orderCopies{}
	list := stdOrderList{Orders: []orderDTO{}, Paging: pagingDTO{NextPageToken: next}}
	business := stdBusinessOrders{Orders: []businessOrderDTO{}, Paging: pagingDTO{NextPageToken: next}}
	for i := range orders {
		o := &orders[i]
		c.add(o, models[i])
		var v orderDTO
		v.set(o)
		list.Orders = append(list.Orders, v)
		sameJSON(t, what+": order", v, &v)
		sameJSON(t, what+": GET order", stdOrderAnswer{Order: v}, &orderAnswer{order: readCopy(o)})
		var b businessOrderDTO
		b.set(o, models[i])
		business.Orders = append(business.Orders, b)
		sameJSON(t, what+": business order", b, &b)
	}
	sameJSON(t, what+": order list", list, &orderListAnswer{orders: c, next: next})
	sameJSON(t, what+": business orders", business, &businessOrdersAnswer{orders: c, next: next})
}

func TestAnswersEncodeAsEncodingJSON(t *testing.T) {
	st := Generate(2000, 1)
	models := map[int64]string{}
	for _, c := range st.Campaigns {
		models[c.ID] = c.PlacementType
	}
	seed, err := LoadState(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range seed.Campaigns {
		models[c.ID] = c.PlacementType
	}
	for _, orders := range [][]OrderState{st.Orders, seed.Orders} {
		for start := 0; start < len(orders); start += maxPage {
			page := orders[start:min(start+maxPage, len(orders))]
			ms := make([]string, len(page))
			for i, o := range page {
				ms[i] = models[o.CampaignID]
			}
			checkAnswers(t, "page", page, ms, pageToken(page[len(page)-1].ID))
		}
	}
	checkAnswers(t, "empty page", nil, nil, "")
}

// hostileStrings are strings an encoder gets wrong.
var hostileStrings = []string{"", "plain", `q"uo"te`, `back\slash\`, "ctl\x00\x01\x07\x08\x0b\x0c\x0e\x1f end",
	"\n\r\t", "\x7f", "bad\xffutf8", "\xc3", "\xc3A", "\xc0\x80\xc1\xbf", "\xe2\x80", "trunc\xe2\x80\xa8x\xe2", "ls\u2028ps\u2029", "\u2027\u202a",
	"<b>&amp;</b>", "ünïcødé ✓ 𝄞", "Самовар «Тула»", "\ufffd", "\xed\xa0\x80", "\xf4\x90\x80\x80"}

var hostileFloats = []float64{0, math.Copysign(0, -1), 1, -1, -1.5, 8990, 999999999999999, 1e15, 1e15 + 1, -1e15, 123456789012345680000, 26970.000000000004, 1e-6, 9.99e-7, 1e-7, 1e20,
	1e21, 123456789012345678901234.0, 5e-324, math.MaxFloat64, -math.MaxFloat64, 1.0 / 3, 0.1 + 0.2}

// fill sets every exported field of v, recursively: strings to s, floats
// to x, integers to n, booleans to b, pointers to a filled value unless nils,
// slices to nil, empty or two filled elements by n%3.
func fill(v reflect.Value, s string, x float64, n int64, b, nils bool) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Float64:
		v.SetFloat(x)
	case reflect.Int, reflect.Int64:
		v.SetInt(n)
	case reflect.Bool:
		v.SetBool(b)
	case reflect.Pointer:
		if nils {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), s, x, n, b, nils)
	case reflect.Slice:
		switch ((n % 3) + 3) % 3 {
		case 0:
			v.SetZero()
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			for i := range 2 {
				fill(v.Index(i), s, x, n, b, nils)
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), s, x, n, b, nils)
			}
		}
	}
}

// checkHostile fills each DTO with the values and compares the encodings.
func checkHostile(t *testing.T, s string, x float64, n int64, b bool) {
	t.Helper()
	for _, nils := range []bool{false, true} {
		var o orderDTO
		fill(reflect.ValueOf(&o).Elem(), s, x, n, b, nils)
		sameJSON(t, "orderDTO", o, &o)
		var bo businessOrderDTO
		fill(reflect.ValueOf(&bo).Elem(), s, x, n, b, nils)
		sameJSON(t, "businessOrderDTO", bo, &bo)
		p := pagingDTO{NextPageToken: s}
		sameJSON(t, "pagingDTO", p, &p)
	}
	// The same values through the views, from an order.
	o := OrderState{ID: n, CampaignID: n, Status: s, Substatus: s, CreationDate: time.Unix(n%1e11, 0), UpdatedAt: time.Unix(n%1e10, n),
		Fake: b, CancelRequested: !b, PaymentType: s, PaymentMethod: s, DeliveryTotal: x, Notes: s,
		Delivery: Delivery{Type: s, ServiceName: s, DeliveryServiceID: n, PartnerType: s,
			Dates:  Dates{FromDate: s, ToDate: "2026-12-0" + s, FromTime: s, ToTime: s, RealDeliveryDate: s},
			Tracks: []Track{{s, n}, {"", 0}}, ShipmentDate: s, WarehouseID: n, LogisticPointID: n, OutletCode: s,
			Address: Address{s, s, s, s, s, s, s, s, s, s, s}},
		Buyer: Buyer{s, s, s, s, s}, Items: []Item{{n, s, s, int(n % 1000), x, s}, {}}}
	if b {
		o.Delivery.Type = "PICKUP"
	}
	checkAnswers(t, "hostile order", []OrderState{o, {}}, []string{s, ""}, s)
}

func TestAnswersEncodeHostileValuesAsEncodingJSON(t *testing.T) {
	for _, s := range hostileStrings {
		for i, x := range hostileFloats {
			checkHostile(t, s, x, int64(i)-3, i%2 == 0)
		}
	}
	for _, x := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} { // encoding/json refuses them
		checkHostile(t, "x", x, 2, false)
	}
	// Zero values, nil and empty slices, no pointers.
	var o orderDTO
	sameJSON(t, "zero orderDTO", o, &o)
	o.Items = []orderItemDTO{}
	sameJSON(t, "orderDTO without items", o, &o)
	var b businessOrderDTO
	sameJSON(t, "zero businessOrderDTO", b, &b)
	b.Items = []businessItemDTO{}
	sameJSON(t, "businessOrderDTO without items", b, &b)
}

// stdDDMMYYYY and stdMSK are the dates as the answers formatted them with
// time.Parse and time.Format.
func stdDDMMYYYY(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("02-01-2006")
}

func stdMSK(t time.Time, iso bool) string {
	if iso {
		return t.In(moscow()).Format("2006-01-02T15:04:05-07:00")
	}
	return t.In(moscow()).Format("02-01-2006 15:04:05")
}

func checkDates(t *testing.T, s string, at time.Time) {
	t.Helper()
	if got, want := ddmmyyyy(s), stdDDMMYYYY(s); got != want {
		t.Fatalf("ddmmyyyy(%q) = %q, time.Format %q", s, got, want)
	}
	if got, want := isoDateTime(at), stdMSK(at, true); got != want {
		t.Fatalf("isoDateTime(%v) = %q, time.Format %q", at, got, want)
	}
	if got, want := orderDateTime(at), stdMSK(at, false); got != want {
		t.Fatalf("orderDateTime(%v) = %q, time.Format %q", at, got, want)
	}
}

func TestDatesFormatAsTimeFormat(t *testing.T) {
	dates := []string{"", "2026-11-01", "2026-02-29", "2028-02-29", "2026-13-01", "2026-00-10", "2026-01-32",
		"0000-01-01", "9999-12-31", "+026-01-01", "-026-01-01", "2026-1-01", "2026-01-1", "2026-01-011", "2026/01/01",
		"20260101", "2026-01-01T00:00:00Z", " 2026-01-01", "２０２６-01-01", "2026-01-01\x00"}
	zones := []*time.Location{time.UTC, moscow(), time.FixedZone("odd", -(11*3600 + 30*60 + 17)), time.FixedZone("east", 14*3600)}
	instants := []time.Time{{}, time.Unix(0, 0), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 21, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 20, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 9, 0, 0, 0, moscow()).Add(time.Hour * 24 * 400).Round(0),
		time.Unix(-10801, 0), time.Unix(-10800, 0), time.Unix(-10800-86400, 0), time.Unix(-10800-86401, 999999999)}
	for h := range 24 * 366 * 2 { // two years, every hour and some seconds
		instants = append(instants, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h)*time.Hour+time.Duration(h%61)*time.Second))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 { // anywhere from year -1000 to 11000
		instants = append(instants, time.Unix(rng.Int64N(382000000000)-93700000000, rng.Int64N(1e9)))
	}
	for i, at := range instants {
		checkDates(t, dates[i%len(dates)], at.In(zones[i%len(zones)]))
	}
	for _, s := range dates {
		checkDates(t, s, time.Time{})
	}
	for _, y := range []int{0, 4, 100, 400, 1900, 2000, 2023, 2024, 2026, 9999} {
		for m := range 14 {
			for d := range 33 {
				checkDates(t, fmt.Sprintf("%04d-%02d-%02d", y, m, d), time.Time{})
			}
		}
	}
	for d := range 366 * 8 {
		checkDates(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format(time.DateOnly), time.Time{})
	}
}

// FuzzAnswerEncoding compares the hand-written encoding of the answers and
// their dates with encoding/json's and time.Format's for arbitrary values.
func FuzzAnswerEncoding(f *testing.F) {
	for i, s := range hostileStrings {
		f.Add(s, hostileFloats[i%len(hostileFloats)], int64(i*7919), i%2 == 0)
	}
	f.Add("2026-12-31", 1e21, int64(253402300799), true)
	f.Add("0000-02-29", math.Inf(1), int64(-62135596800), false)
	f.Fuzz(func(t *testing.T, s string, x float64, n int64, b bool) {
		checkHostile(t, s, x, n, b)
		checkDates(t, s, time.Unix(n, n%1e9))
	})
}

// The order answers are viewed and encoded after the server's lock is
// released, from copies taken under it: writes going on meanwhile (a track
// changed in place, an order replaced) must not reach an answer being
// encoded, which the race detector sees, and every answer shows a track the
// order had.
func TestAnswersReadCopiesWhileWritesGoOn(t *testing.T) {
	st, err := LoadState(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(st, Options{})
	serve := func(method, path, body string) string {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Api-Key", "sandbox")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s %s: HTTP %d %s", method, path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	const rounds = 100
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range rounds {
			serve("POST", "/v2/campaigns/21000000/orders/1001/delivery/track", fmt.Sprintf(`{"trackCode":"RP%d","deliveryServiceId":51}`, i))
		}
	})
	wg.Go(func() {
		for i := range rounds {
			if err := srv.UpdateOrder(1001, func(o *OrderState) { o.Notes = fmt.Sprint("note ", i) }); err != nil {
				t.Error(err)
			}
		}
	})
	track := regexp.MustCompile(`"trackCode":"([^"]*)"`)
	for range rounds {
		for _, body := range []string{
			serve("GET", "/v2/campaigns/21000000/orders/1001", ""),
			serve("GET", "/v2/campaigns/21000000/orders?orderIds=1001", ""),
			serve("POST", "/v1/businesses/9000000/orders", `{"orderIds":[1001]}`),
		} {
			if !json.Valid([]byte(body)) {
				t.Fatalf("not JSON: %s", body)
			}
			for _, m := range track.FindAllStringSubmatch(body, -1) {
				if code := m[1]; !regexp.MustCompile(`^RP\d+$`).MatchString(code) && !slices.ContainsFunc(st.Orders, func(o OrderState) bool {
					return o.ID == 1001 && slices.ContainsFunc(o.Delivery.Tracks, func(tr Track) bool { return tr.TrackCode == code })
				}) {
					t.Fatalf("track %q was never the order's: %s", code, body)
				}
			}
		}
	}
	wg.Wait()
}
