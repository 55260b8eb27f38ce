package sandbox

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The order answers are encoded by hand: a page of 50 orders is some 50 KB,
// and encoding/json spent half of the request's CPU finding its way through
// the DTOs by reflection. Every appendJSON writes exactly what
// encoding/json's Encoder with SetEscapeHTML(false) writes for the same
// value, field order, omitempty and all (encode_test.go compares them).

// jsonAppender is an answer body that encodes itself (response.write),
// then is told it was written: what it holds may be reused.
type jsonAppender interface {
	appendJSON(e *jsonBuf)
	written()
}

// jsonBuf is an answer being encoded.
type jsonBuf struct {
	b []byte
	// err is the first value encoding/json refuses: a NaN or an infinite
	// number (a price times a count can overflow).
	err error
}

func (e *jsonBuf) raw(s string) { e.b = append(e.b, s...) }

func (e *jsonBuf) int(n int64) { e.b = strconv.AppendInt(e.b, n, 10) }

func (e *jsonBuf) bool(v bool) { e.b = strconv.AppendBool(e.b, v) }

// float is encoding/json's float64: ES6 number formatting.
func (e *jsonBuf) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		if e.err == nil {
			e.err = fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
		}
		e.b = append(e.b, "null"...) // never sent: the answer is replaced
		return
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 && (f != 0 || !math.Signbit(f)) {
		e.b = strconv.AppendInt(e.b, int64(f), 10) // what 'f' writes for a whole number: its digits
		return
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(e.b, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	e.b = b
}

const hexDigits = "0123456789abcdef"

// plainASCII are the bytes str writes as they are by themselves.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str is encoding/json's string without HTML escaping: quotes, backslashes
// and control characters escaped, invalid UTF-8 as U+FFFD, U+2028 and
// U+2029 escaped.
func (e *jsonBuf) str(s string) {
	b := append(e.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainASCII[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			i += 2 // two bytes of UTF-8 (Cyrillic): always valid, never escaped
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.b = append(b, '"')
}

// object writes the fields of a struct whose fields may all be omitted:
// each field call opens the object or separates, close ends it ("{}" if
// nothing was written).
type object struct {
	e    *jsonBuf
	open bool
}

// field starts the field whose key is key (quoted, with its colon).
func (o *object) field(key string) {
	if o.open {
		o.e.b = append(o.e.b, ',')
	} else {
		o.e.b = append(o.e.b, '{')
		o.open = true
	}
	o.e.raw(key)
}

// optStr writes a string field with omitempty.
func (o *object) optStr(key, v string) {
	if v != "" {
		o.field(key)
		o.e.str(v)
	}
}

func (o *object) close() {
	if !o.open {
		o.e.b = append(o.e.b, '{')
	}
	o.e.b = append(o.e.b, '}')
}

// optStr writes `,"key":"v"` unless v is empty (omitempty after a field
// that is always there).
func (e *jsonBuf) optStr(key, v string) {
	if v != "" {
		e.raw(key)
		e.str(v)
	}
}

// listSep is what comes before element i of an array: the array's
// opening, or a comma.
func listSep(i int) byte {
	if i == 0 {
		return '['
	}
	return ','
}

func (t *Track) appendJSON(e *jsonBuf) {
	e.raw(`{"trackCode":`)
	e.str(t.TrackCode)
	e.raw(`,"deliveryServiceId":`)
	e.int(t.DeliveryServiceID)
	e.b = append(e.b, '}')
}

// tracks writes `,"key":[...]` unless ts is empty (omitempty).
func (e *jsonBuf) tracks(key string, ts []Track) {
	if len(ts) == 0 {
		return
	}
	e.raw(key)
	for i := range ts {
		e.b = append(e.b, listSep(i))
		ts[i].appendJSON(e)
	}
	e.b = append(e.b, ']')
}

func (p *pagingDTO) appendJSON(e *jsonBuf) {
	o := object{e: e}
	o.optStr(`"nextPageToken":`, p.NextPageToken)
	o.close()
}

func (d *datesDTO) appendJSON(e *jsonBuf) {
	e.raw(`{"fromDate":`)
	e.str(d.FromDate)
	e.optStr(`,"toDate":`, d.ToDate)
	e.optStr(`,"fromTime":`, d.FromTime)
	e.optStr(`,"toTime":`, d.ToTime)
	e.optStr(`,"realDeliveryDate":`, d.RealDeliveryDate)
	e.b = append(e.b, '}')
}

func (c currencyValue) appendJSON(e *jsonBuf) {
	e.raw(`{"value":`)
	e.float(c.Value)
	e.raw(`,"currencyId":`)
	e.str(c.CurrencyID)
	e.b = append(e.b, '}')
}

// The order of GET order and the campaign order list.

func (v *orderDTO) appendJSON(e *jsonBuf) {
	e.raw(`{"id":`)
	e.int(v.ID)
	e.raw(`,"status":`)
	e.str(v.Status)
	e.raw(`,"substatus":`)
	e.str(v.Substatus)
	e.raw(`,"creationDate":`)
	e.str(v.CreationDate)
	e.raw(`,"updatedAt":`)
	e.str(v.UpdatedAt)
	e.raw(`,"currency":`)
	e.str(v.Currency)
	e.raw(`,"itemsTotal":`)
	e.float(v.ItemsTotal)
	e.raw(`,"deliveryTotal":`)
	e.float(v.DeliveryTotal)
	e.raw(`,"buyerItemsTotal":`)
	e.float(v.BuyerItemsTotal)
	e.raw(`,"buyerTotal":`)
	e.float(v.BuyerTotal)
	e.raw(`,"buyerItemsTotalBeforeDiscount":`)
	e.float(v.BuyerItemsTotalBeforeDiscount)
	e.raw(`,"buyerTotalBeforeDiscount":`)
	e.float(v.BuyerTotalBeforeDiscount)
	e.raw(`,"paymentType":`)
	e.str(v.PaymentType)
	e.raw(`,"paymentMethod":`)
	e.str(v.PaymentMethod)
	e.raw(`,"fake":`)
	e.bool(v.Fake)
	e.raw(`,"items":`)
	if v.Items == nil {
		e.raw("null")
	} else {
		e.b = append(e.b, '[')
		for i := range v.Items {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			v.Items[i].appendJSON(e)
		}
		e.b = append(e.b, ']')
	}
	e.raw(`,"delivery":`)
	v.Delivery.appendJSON(e)
	e.raw(`,"buyer":`)
	v.Buyer.appendJSON(e)
	e.optStr(`,"notes":`, v.Notes)
	e.raw(`,"taxSystem":`)
	e.str(v.TaxSystem)
	e.raw(`,"cancelRequested":`)
	e.bool(v.CancelRequested)
	e.b = append(e.b, '}')
}

func (it *orderItemDTO) appendJSON(e *jsonBuf) {
	e.raw(`{"id":`)
	e.int(it.ID)
	e.raw(`,"offerId":`)
	e.str(it.OfferID)
	e.raw(`,"offerName":`)
	e.str(it.OfferName)
	e.raw(`,"price":`)
	e.float(it.Price)
	e.raw(`,"buyerPrice":`)
	e.float(it.BuyerPrice)
	e.raw(`,"buyerPriceBeforeDiscount":`)
	e.float(it.BuyerPriceBeforeDiscount)
	e.raw(`,"count":`)
	e.int(int64(it.Count))
	e.optStr(`,"vat":`, it.Vat)
	e.b = append(e.b, '}')
}

func (d *orderDeliveryDTO) appendJSON(e *jsonBuf) {
	e.raw(`{"type":`)
	e.str(d.Type)
	e.raw(`,"serviceName":`)
	e.str(d.ServiceName)
	e.raw(`,"deliveryPartnerType":`)
	e.str(d.DeliveryPartnerType)
	e.raw(`,"dates":`)
	d.Dates.appendJSON(e)
	if d.Address != nil {
		e.raw(`,"address":`)
		d.Address.appendJSON(e)
	}
	e.raw(`,"deliveryServiceId":`)
	e.int(d.DeliveryServiceID)
	e.optStr(`,"outletCode":`, d.OutletCode)
	e.tracks(`,"tracks":`, d.Tracks)
	if len(d.Shipments) > 0 {
		e.raw(`,"shipments":`)
		for i := range d.Shipments {
			e.b = append(e.b, listSep(i))
			sh := &d.Shipments[i]
			e.raw(`{"shipmentDate":`)
			e.str(sh.ShipmentDate)
			e.tracks(`,"tracks":`, sh.Tracks)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, '}')
}

func (a *Address) appendJSON(e *jsonBuf) {
	o := object{e: e}
	o.optStr(`"country":`, a.Country)
	o.optStr(`"postcode":`, a.Postcode)
	o.optStr(`"city":`, a.City)
	o.optStr(`"street":`, a.Street)
	o.optStr(`"house":`, a.House)
	o.optStr(`"block":`, a.Block)
	o.optStr(`"entrance":`, a.Entrance)
	o.optStr(`"floor":`, a.Floor)
	o.optStr(`"apartment":`, a.Apartment)
	o.optStr(`"phone":`, a.Phone)
	o.optStr(`"recipient":`, a.Recipient)
	o.close()
}

func (b *buyerDTO) appendJSON(e *jsonBuf) {
	o := object{e: e}
	o.optStr(`"id":`, b.ID)
	o.optStr(`"lastName":`, b.LastName)
	o.optStr(`"firstName":`, b.FirstName)
	o.optStr(`"middleName":`, b.MiddleName)
	o.field(`"type":`)
	e.str(b.Type)
	o.close()
}

// The order of the business order list.

func (v *businessOrderDTO) appendJSON(e *jsonBuf) {
	e.raw(`{"orderId":`)
	e.int(v.OrderID)
	e.raw(`,"campaignId":`)
	e.int(v.CampaignID)
	e.raw(`,"programType":`)
	e.str(v.ProgramType)
	e.raw(`,"status":`)
	e.str(v.Status)
	e.raw(`,"substatus":`)
	e.str(v.Substatus)
	e.raw(`,"creationDate":`)
	e.str(v.CreationDate)
	e.raw(`,"updateDate":`)
	e.str(v.UpdateDate)
	e.raw(`,"paymentType":`)
	e.str(v.PaymentType)
	e.raw(`,"paymentMethod":`)
	e.str(v.PaymentMethod)
	e.raw(`,"fake":`)
	e.bool(v.Fake)
	e.raw(`,"items":`)
	if v.Items == nil {
		e.raw("null")
	} else {
		e.b = append(e.b, '[')
		for i := range v.Items {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			it := &v.Items[i]
			e.raw(`{"id":`)
			e.int(it.ID)
			e.raw(`,"offerId":`)
			e.str(it.OfferID)
			e.raw(`,"offerName":`)
			e.str(it.OfferName)
			e.raw(`,"count":`)
			e.int(int64(it.Count))
			e.raw(`,"prices":{"payment":`)
			it.Prices.Payment.appendJSON(e)
			e.optStr(`,"vat":`, it.Prices.Vat)
			e.raw(`}}`)
		}
		e.b = append(e.b, ']')
	}
	e.raw(`,"prices":{"payment":`)
	v.Prices.Payment.appendJSON(e)
	e.raw(`,"delivery":{"payment":`)
	v.Prices.Delivery.Payment.appendJSON(e)
	e.raw(`}},"delivery":`)
	v.Delivery.appendJSON(e)
	e.raw(`,"buyerType":`)
	e.str(v.BuyerType)
	e.optStr(`,"notes":`, v.Notes)
	e.raw(`,"cancelRequested":`)
	e.bool(v.CancelRequested)
	e.b = append(e.b, '}')
}

func (d *businessDeliveryDTO) appendJSON(e *jsonBuf) {
	e.raw(`{"type":`)
	e.str(d.Type)
	e.raw(`,"serviceName":`)
	e.str(d.ServiceName)
	e.raw(`,"deliveryServiceId":`)
	e.int(d.DeliveryServiceID)
	e.optStr(`,"warehouseId":`, d.WarehouseID)
	e.raw(`,"deliveryPartnerType":`)
	e.str(d.DeliveryPartnerType)
	e.raw(`,"dates":`)
	d.Dates.appendJSON(e)
	if d.Shipment != nil {
		e.raw(`,"shipment":{"shipmentDate":`)
		e.str(d.Shipment.ShipmentDate)
		e.b = append(e.b, '}')
	}
	if d.Courier != nil {
		e.raw(`,"courier":{"address":`)
		d.Courier.Address.appendJSON(e)
		e.b = append(e.b, '}')
	}
	if p := d.Pickup; p != nil {
		e.raw(`,"pickup":{"address":`)
		p.Address.appendJSON(e)
		if p.LogisticPointID != 0 {
			e.raw(`,"logisticPointId":`)
			e.int(p.LogisticPointID)
		}
		e.optStr(`,"outletCode":`, p.OutletCode)
		e.b = append(e.b, '}')
	}
	e.tracks(`,"tracks":`, d.Tracks)
	e.b = append(e.b, '}')
}

func (a *businessAddressDTO) appendJSON(e *jsonBuf) {
	o := object{e: e}
	o.optStr(`"country":`, a.Country)
	o.optStr(`"postcode":`, a.Postcode)
	o.optStr(`"city":`, a.City)
	o.optStr(`"street":`, a.Street)
	o.optStr(`"house":`, a.House)
	o.optStr(`"block":`, a.Block)
	o.optStr(`"entrance":`, a.Entrance)
	o.optStr(`"floor":`, a.Floor)
	o.optStr(`"apartment":`, a.Apartment)
	o.close()
}

// The dates of the answers, formatted without time.Format (which cost as
// much as the rest of a view); encode_test.go compares them with it.

// appendDigits appends n (0 <= n < 10^width, width 2 or 4) zero-padded to
// width.
func appendDigits(b []byte, n, width int) []byte {
	if width == 4 {
		b = append(b, byte('0'+n/1000), byte('0'+n/100%10))
		n %= 100
	}
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// mskDateTime formats t in Moscow time, its fields in the order of the
// layout: iso is 2006-01-02T15:04:05-07:00 (BusinessOrderDTO), otherwise
// 02-01-2006 15:04:05 (OrderDTO). Moscow is UTC+3 all year: the civil date
// and time are those of t's Unix time plus three hours.
func mskDateTime(t time.Time, iso bool) string {
	sec := t.Unix() + 3*60*60
	days := sec / 86400
	if sec%86400 < 0 {
		days--
	}
	clock := int(sec - days*86400)
	year, month, day := civilDate(days)
	if year < 0 || year > 9999 { // time.Format's own widths and signs
		if iso {
			return t.In(moscow()).Format("2006-01-02T15:04:05-07:00")
		}
		return t.In(moscow()).Format("02-01-2006 15:04:05")
	}
	var buf [25]byte
	b := buf[:0]
	if iso {
		b = appendDigits(b, year, 4)
		b = append(b, '-')
		b = appendDigits(b, month, 2)
		b = append(b, '-')
		b = appendDigits(b, day, 2)
		b = append(b, 'T')
	} else {
		b = appendDigits(b, day, 2)
		b = append(b, '-')
		b = appendDigits(b, month, 2)
		b = append(b, '-')
		b = appendDigits(b, year, 4)
		b = append(b, ' ')
	}
	b = appendDigits(b, clock/3600, 2)
	b = append(b, ':')
	b = appendDigits(b, clock/60%60, 2)
	b = append(b, ':')
	b = appendDigits(b, clock%60, 2)
	if iso {
		b = append(b, "+03:00"...)
	}
	return string(b)
}

// civilDate is the proleptic Gregorian date of the day that many days
// after 1970-01-01 (Howard Hinnant's civil_from_days).
func civilDate(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if mp >= 10 {
		month = int(mp - 9)
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

// ddmmyyyy turns a state date (YYYY-MM-DD) into the DD-MM-YYYY of OrderDTO;
// anything that is not a date stays as it is.
func ddmmyyyy(s string) string {
	if !dateOnly(s) {
		return s
	}
	// A date is exactly YYYY-MM-DD: its digits only move.
	var buf [10]byte
	b := append(buf[:0], s[8:10]...)
	b = append(b, '-')
	b = append(b, s[5:7]...)
	b = append(b, '-')
	b = append(b, s[:4]...)
	return string(b)
}

// dateOnly reports whether time.Parse(time.DateOnly, s) takes s: four
// digits, a dash, a month of two digits, a dash and two digits of a day of
// that month.
func dateOnly(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	num := func(i, j int) int {
		n := 0
		for _, c := range []byte(s[i:j]) {
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

// orderDateTime is the DD-MM-YYYY HH:MM:SS of OrderDTO, Moscow time.
func orderDateTime(t time.Time) string { return mskDateTime(t, false) }

// isoDateTime is the ISO 8601 of BusinessOrderDTO, Moscow offset.
func isoDateTime(t time.Time) string { return mskDateTime(t, true) }
