package provider

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// The business order list is most of what a plan reads (a page of 50
// orders is some 50 KB, 100,000 orders 100 MB), and encoding/json spends
// most of its time there on the fields the tool does not use: it checks the
// whole answer, then walks it again by reflection. scanBusinessOrders reads
// the fields of businessOrdersResponse in one pass and skips the rest as
// bytes, and hands back anything it is not sure of (see scanner.ok):
// encoding/json then decodes that answer, and says what is wrong with it if
// anything is. For every answer it accepts, it gives what encoding/json
// gives (FuzzScanBusinessOrders).

// scanner walks one JSON document. Any syntax it does not accept, and any
// value it would read differently from encoding/json (escapes in a string it
// keeps, invalid UTF-8, a number that is not a plain int64, a key that
// differs from a field's only in case), makes it give up: ok turns false
// and stays false.
type scanner struct {
	data  []byte
	i     int
	ok    bool
	depth int
	// seen holds the strings read so far: within one page the statuses,
	// models, service names and dates repeat, and each is made once.
	seen map[string]string
}

// maxScanDepth bounds nesting; encoding/json refuses deeper documents
// (10,000), and nothing the API sends comes close to this.
const maxScanDepth = 512

func (s *scanner) fail() bool { s.ok = false; return false }

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek is the next byte after white space, 0 at the end.
func (s *scanner) peek() byte {
	s.space()
	if s.i >= len(s.data) {
		return 0
	}
	return s.data[s.i]
}

func (s *scanner) expect(c byte) bool {
	if !s.ok || s.peek() != c {
		return s.fail()
	}
	s.i++
	return true
}

// literal reads true, false or null.
func (s *scanner) literal(word string) bool {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		return s.fail()
	}
	s.i += len(word)
	return true
}

// null reads a null if one is next.
func (s *scanner) null() bool {
	if s.ok && s.peek() == 'n' {
		return s.literal("null")
	}
	return false
}

// rawString reads a string and returns its bytes between the quotes, and
// whether it has escapes (then the bytes are not its value).
func (s *scanner) rawString() ([]byte, bool) {
	if !s.expect('"') {
		return nil, false
	}
	start, escaped := s.i, false
	// Most strings have no escape: find the quote, then check what is
	// before it.
	if j := bytes.IndexByte(s.data[s.i:], '"'); j >= 0 {
		b := s.data[s.i : s.i+j]
		if bytes.IndexByte(b, '\\') < 0 {
			for _, c := range b {
				if c < 0x20 {
					s.fail()
					return nil, false
				}
			}
			s.i += j + 1
			return b, false
		}
	}
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			b := s.data[start:s.i]
			s.i++
			return b, escaped
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.data) {
				s.fail()
				return nil, false
			}
			switch s.data[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.data) {
					s.fail()
					return nil, false
				}
				for _, h := range s.data[s.i+2 : s.i+6] {
					if !isHex(h) {
						s.fail()
						return nil, false
					}
				}
				s.i += 6
			default:
				s.fail()
				return nil, false
			}
		case c < 0x20:
			s.fail()
			return nil, false
		default:
			s.i++
		}
	}
	s.fail()
	return nil, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// str reads a string value into dst (null leaves it). Escapes and invalid
// UTF-8, which encoding/json rewrites, are left to it.
func (s *scanner) str(dst *string) {
	if s.null() {
		return
	}
	b, escaped := s.rawString()
	if !s.ok {
		return
	}
	if escaped || !utf8.Valid(b) {
		s.fail()
		return
	}
	if v, ok := s.seen[string(b)]; ok { // no allocation for the lookup
		*dst = v
		return
	}
	v := string(b)
	if s.seen == nil {
		s.seen = map[string]string{}
	}
	if len(s.seen) < maxShared {
		s.seen[v] = v
	}
	*dst = v
}

// number reads a JSON number and returns its text.
func (s *scanner) number() []byte {
	s.space()
	start := s.i
	if s.i < len(s.data) && s.data[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	intStart := s.i
	if n := digits(); n == 0 || (n > 1 && s.data[intStart] == '0') {
		s.fail()
		return nil
	}
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if digits() == 0 {
			s.fail()
			return nil
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			s.fail()
			return nil
		}
	}
	return s.data[start:s.i]
}

// int reads an integer into dst (null leaves it); a fraction, an exponent
// or an overflow is encoding/json's to report.
func (s *scanner) int(dst *int64) {
	if s.null() {
		return
	}
	b := s.number()
	if !s.ok {
		return
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		s.fail()
		return
	}
	*dst = n
}

// bool reads true or false into dst (null leaves it).
func (s *scanner) bool(dst *bool) {
	switch s.peek() {
	case 't':
		if s.literal("true") {
			*dst = true
		}
	case 'f':
		if s.literal("false") {
			*dst = false
		}
	case 'n':
		s.literal("null")
	default:
		s.fail()
	}
}

// skip reads any value without keeping it.
func (s *scanner) skip() {
	if !s.ok {
		return
	}
	switch c := s.peek(); {
	case c == '"':
		s.rawString()
	case c == '{':
		s.object(func([]byte) bool { return false })
	case c == '[':
		s.array(s.skip)
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		s.number()
	default:
		s.fail()
	}
}

// object reads an object, calling field with each key; field reads the
// value and returns true, or returns false to have it skipped. A null
// object is read as nothing.
func (s *scanner) object(field func(key []byte) bool) {
	if s.null() || !s.expect('{') {
		return
	}
	if s.depth++; s.depth > maxScanDepth {
		s.fail()
		return
	}
	defer func() { s.depth-- }()
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.ok {
		key, escaped := s.rawString()
		if !s.ok || escaped || !s.expect(':') {
			s.fail()
			return
		}
		if !field(key) {
			s.skip()
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.fail()
		}
	}
}

// array reads an array, calling elem for each element. A null array is
// read as nothing.
func (s *scanner) array(elem func()) {
	if s.null() || !s.expect('[') {
		return
	}
	if s.depth++; s.depth > maxScanDepth {
		s.fail()
		return
	}
	defer func() { s.depth-- }()
	if s.peek() == ']' {
		s.i++
		return
	}
	for s.ok {
		elem()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.fail()
		}
	}
}

// known is what an object's reader does with a key it has no case for:
// false (skip the value) unless encoding/json could read the key into one
// of fields anyway (it matches keys ignoring case, Unicode folding
// included), then the scan gives up. A field read twice gives up too
// (seen tracks them, one bit each): encoding/json's merging of repeated
// keys is its own.
func (s *scanner) known(key []byte, fields ...string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			s.fail()
			return true
		}
	}
	for _, f := range fields {
		if len(f) == len(key) && equalFoldASCII(f, key) {
			s.fail()
			return true
		}
	}
	return false
}

// once reports whether bit is not yet in *seen, and sets it; a field read
// twice makes the scan give up.
func (s *scanner) once(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		return s.fail()
	}
	*seen |= bit
	return true
}

func equalFoldASCII(a string, b []byte) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// scanBusinessOrders reads data into out, reporting whether it could; when
// it could not, out is to be discarded.
func scanBusinessOrders(data []byte, out *businessOrdersResponse) bool {
	s := &scanner{data: data, ok: true}
	if s.peek() != '{' {
		return false
	}
	var seen uint32
	s.object(func(key []byte) bool {
		switch string(key) {
		case "orders":
			if !s.once(&seen, 1) || s.peek() != '[' {
				return s.fail() // null, or not a list: encoding/json's to judge
			}
			out.Orders = make([]businessOrderDTO, 0, ordersBatch)
			s.array(func() {
				out.Orders = append(out.Orders, businessOrderDTO{})
				s.businessOrder(&out.Orders[len(out.Orders)-1])
			})
		case "paging":
			if !s.once(&seen, 2) {
				return true
			}
			var pseen uint32
			s.object(func(key []byte) bool {
				if string(key) == "nextPageToken" {
					if s.once(&pseen, 1) {
						s.str(&out.Paging.NextPageToken)
					}
					return true
				}
				return s.known(key, "nextPageToken")
			})
		default:
			return s.known(key, "orders", "paging")
		}
		return true
	})
	s.space()
	return s.ok && s.i == len(s.data)
}

func (s *scanner) businessOrder(o *businessOrderDTO) {
	if s.peek() != '{' {
		s.fail() // null and other values: encoding/json's
		return
	}
	var seen uint32
	s.object(func(key []byte) bool {
		switch string(key) {
		case "orderId":
			if s.once(&seen, 1<<0) {
				s.int(&o.OrderID)
			}
		case "campaignId":
			if s.once(&seen, 1<<1) {
				s.int(&o.CampaignID)
			}
		case "programType":
			if s.once(&seen, 1<<2) {
				s.str(&o.ProgramType)
			}
		case "status":
			if s.once(&seen, 1<<3) {
				s.str(&o.Status)
			}
		case "substatus":
			if s.once(&seen, 1<<4) {
				s.str(&o.Substatus)
			}
		case "updateDate":
			if s.once(&seen, 1<<5) {
				s.str(&o.UpdateDate)
			}
		case "cancelRequested":
			if s.once(&seen, 1<<6) {
				s.bool(&o.CancelRequested)
			}
		case "fake":
			if s.once(&seen, 1<<7) {
				s.bool(&o.Fake)
			}
		case "delivery":
			if s.once(&seen, 1<<8) {
				s.delivery(&o.Delivery)
			}
		default:
			return s.known(key, "orderId", "campaignId", "programType", "status", "substatus", "updateDate",
				"cancelRequested", "fake", "delivery")
		}
		return true
	})
}

func (s *scanner) delivery(d *businessDeliveryDTO) {
	if c := s.peek(); c != '{' && c != 'n' {
		s.fail()
		return
	}
	var seen uint32
	s.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			if s.once(&seen, 1<<0) {
				s.str(&d.Type)
			}
		case "deliveryPartnerType":
			if s.once(&seen, 1<<1) {
				s.str(&d.PartnerType)
			}
		case "deliveryServiceId":
			if s.once(&seen, 1<<2) {
				s.int(&d.DeliveryServiceID)
			}
		case "serviceName":
			if s.once(&seen, 1<<3) {
				s.str(&d.ServiceName)
			}
		case "dates":
			if s.once(&seen, 1<<4) {
				s.dates(&d.Dates)
			}
		case "tracks":
			if !s.once(&seen, 1<<5) || s.peek() != '[' {
				return s.fail()
			}
			d.Tracks = []Track{}
			s.array(func() {
				d.Tracks = append(d.Tracks, Track{})
				s.track(&d.Tracks[len(d.Tracks)-1])
			})
		default:
			return s.known(key, "type", "deliveryPartnerType", "deliveryServiceId", "serviceName", "dates", "tracks")
		}
		return true
	})
}

func (s *scanner) dates(d *datesDTO) {
	if c := s.peek(); c != '{' && c != 'n' {
		s.fail()
		return
	}
	var seen uint32
	s.object(func(key []byte) bool {
		switch string(key) {
		case "fromDate":
			if s.once(&seen, 1<<0) {
				s.str(&d.FromDate)
			}
		case "toDate":
			if s.once(&seen, 1<<1) {
				s.str(&d.ToDate)
			}
		case "fromTime":
			if s.once(&seen, 1<<2) {
				s.str(&d.FromTime)
			}
		case "toTime":
			if s.once(&seen, 1<<3) {
				s.str(&d.ToTime)
			}
		default:
			return s.known(key, "fromDate", "toDate", "fromTime", "toTime")
		}
		return true
	})
}

func (s *scanner) track(t *Track) {
	if s.peek() != '{' {
		s.fail()
		return
	}
	var seen uint32
	s.object(func(key []byte) bool {
		switch string(key) {
		case "trackCode":
			if s.once(&seen, 1<<0) {
				s.str(&t.Code)
			}
		case "deliveryServiceId":
			if s.once(&seen, 1<<1) {
				s.int(&t.DeliveryServiceID)
			}
		default:
			return s.known(key, "trackCode", "deliveryServiceId")
		}
		return true
	})
}

func (r *businessOrdersResponse) scan(data []byte) bool {
	var t businessOrdersResponse
	if !scanBusinessOrders(data, &t) {
		return false
	}
	*r = t
	return true
}
