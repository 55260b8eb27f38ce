package schema

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/orderform/orderform/internal/endpoint"
)

// Limits of the Market Partner API (its OpenAPI spec's CustomerDTO and
// delivery-options).
const (
	maxNameLen      = 512
	maxAddressLen   = 512
	maxItems        = 1000
	maxItemCount    = 1000
	maxOfferIDLen   = 255
	maxPickupPoints = 20
	// The OpenAPI spec gives trackCode no maxLength. 255 is the longest
	// identifier it bounds (ShopSku, ReportId); real track numbers are 13
	// characters (UPU S10) to about 40 (carriers' own).
	maxTrackCodeLen = 255
)

// The shapes of dates, times, phones and IDs are checked byte by byte: a
// regular expression took as long as the rest of an order's checks.
// checks_test.go holds the expressions they match, ^[0-9]{4}-[0-9]{2}-[0-9]{2}$,
// ^([01][0-9]|2[0-3]):[0-5][0-9]$, ^\+[0-9]{4,15}$ and ^[0-9]+$, and
// compares.

// isDate reports whether s is written YYYY-MM-DD, with ASCII digits.
func isDate(s string) bool {
	return len(s) == 10 && isDigits(s[0:4]) && s[4] == '-' && isDigits(s[5:7]) && s[7] == '-' && isDigits(s[8:10])
}

// isTime reports whether s is an HH:MM time from 00:00 to 23:59.
func isTime(s string) bool {
	return len(s) == 5 && isDigits(s[0:2]) && (s[0] < '2' || (s[0] == '2' && s[1] <= '3')) &&
		s[2] == ':' && isDigits(s[3:5]) && s[3] <= '5'
}

// isPhone reports whether s is a plus sign and 4 to 15 ASCII digits.
func isPhone(s string) bool {
	return len(s) >= 5 && len(s) <= 16 && s[0] == '+' && isDigits(s[1:])
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkDate returns what is wrong with a YYYY-MM-DD date, or "".
func checkDate(s string) string {
	if !isDate(s) {
		return "must be a date written YYYY-MM-DD, such as \"2026-11-25\""
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "is not a day of the calendar"
	}
	return ""
}

// checkTime returns what is wrong with an HH:MM time, or "".
func checkTime(s string) string {
	if !isTime(s) {
		return "must be a time written HH:MM, from 00:00 to 23:59, such as \"10:00\""
	}
	return ""
}

// endpointDetail is what the diagnostic of an endpoint that endpoint.Check
// refuses says: the rule provider applies too (so validate refuses what plan
// would), why it matters, and what to write.
func endpointDetail(err error) string {
	detail := err.Error() + "."
	if errors.Is(err, endpoint.ErrCleartext) {
		detail += " It would send the API key unencrypted over the network: plain http is for an emulator on this machine (localhost, 127.0.0.1, [::1])."
	}
	return detail + " The Market API is at \"https://api.partner.market.yandex.ru\", the default: remove endpoint to use it."
}

// status says what became of an attribute's value.
type status int

const (
	absent  status = iota // not declared, or null
	unknown               // known only once the data sources are read
	invalid               // an error was reported
	valid
)

// checker evaluates attributes and reports what is wrong with them.
type checker struct {
	diags *hcl.Diagnostics
	// strict makes an unknown value an error: in phase 2 nothing should be
	// unknown unless an error was already reported.
	strict bool
	// instance is the address of the for_each instance being evaluated,
	// named in details of values that depend on each.
	instance  string
	sensitive []string
	// fixed holds the values of the attributes that are the same in every
	// instance of a block, evaluated once (see fixedValues). Only read.
	fixed map[*attrExpr]fixedValue
	// each is the for_each instance being evaluated, nil outside one.
	each *eachBinding
}

// eachBinding is each of a for_each instance: its key and value, and the
// child context binding them that expressions are evaluated in. Most
// expressions of a for_each block are each.value.NAME, which lookup finds
// without evaluating; the context (an object and a map, for every
// instance) is only made for the others.
type eachBinding struct {
	key, value cty.Value
	ctx        *hcl.EvalContext
}

// bind makes b the instance of key and value, with no context yet.
func (b *eachBinding) bind(key, value cty.Value) {
	*b = eachBinding{key: key, value: value}
}

// context returns the instance's context, a child of parent (the block's
// context, the same for all the instance's expressions), made once.
func (b *eachBinding) context(parent *hcl.EvalContext) *hcl.EvalContext {
	if b == nil {
		return parent
	}
	if b.ctx == nil {
		b.ctx = parent.NewChild()
		b.ctx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{
			"key": b.key, "value": b.value,
		})}
	}
	return b.ctx
}

// lookup returns the value of a when it is each.key, each.value, or
// each.value.NAME of an object that has NAME: what evaluating it in the
// context would give, without diagnostics. Whatever else, such as an
// attribute the value lacks (an error to report as hcl words it), is left
// to the evaluation.
func (b *eachBinding) lookup(a *attrExpr) (cty.Value, bool) {
	if b == nil {
		return cty.NilVal, false
	}
	switch a.ref.kind {
	case refKey:
		return b.key, true
	case refValue:
		return b.value, true
	case refValueAttr:
		v := b.value
		if v.IsMarked() || !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(a.ref.name) {
			return cty.NilVal, false
		}
		return v.GetAttr(a.ref.name), true
	}
	return cty.NilVal, false
}

// fixedValue is an attribute's value and the diagnostics of evaluating it.
type fixedValue struct {
	v     cty.Value
	diags hcl.Diagnostics
}

func (c *checker) errorf(a *attrExpr, summary, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	if a.each && c.instance != "" {
		detail += fmt.Sprintf(" (in %s)", c.instance)
	}
	*c.diags = append(*c.diags, errorDiag(a.rng, summary, "%s", detail))
}

// eval evaluates a, unmarks the value and records whether it is sensitive.
func (c *checker) eval(a *attrExpr, ctx *hcl.EvalContext) (cty.Value, status, bool) {
	if a == nil {
		return cty.NilVal, absent, false
	}
	if a.bad {
		return cty.DynamicVal, unknown, false
	}
	var v cty.Value
	var diags hcl.Diagnostics
	if f, ok := c.fixed[a]; ok {
		v, diags = f.v, f.diags
	} else if ev, ok := c.each.lookup(a); ok {
		v = ev
	} else {
		v, diags = a.expr.Value(c.each.context(ctx))
	}
	*c.diags = append(*c.diags, diags...)
	if diags.HasErrors() {
		return cty.DynamicVal, invalid, false
	}
	sens := false
	if containsMarked(v) { // rarely: UnmarkDeep makes a map every time
		var marks cty.ValueMarks
		v, marks = v.UnmarkDeep()
		_, sens = marks[sensitiveMark]
	}
	if sens {
		c.sensitive = append(c.sensitive, a.path)
	}
	switch {
	case !v.IsWhollyKnown():
		if c.strict {
			c.errorf(a, "Value not known", "The value of %s could not be determined.", a.path)
			return v, invalid, sens
		}
		return v, unknown, sens
	case v.IsNull():
		return v, absent, sens
	}
	return v, valid, sens
}

// containsMarked is v.ContainsMarked(), without walking (and collecting
// into a slice) the values of a string, number or bool, which holds no
// other, nor of an unknown or null value.
func containsMarked(v cty.Value) bool {
	if v.IsMarked() {
		return true
	}
	if v.Type().IsPrimitiveType() || !v.IsKnown() || v.IsNull() {
		return false
	}
	return v.ContainsMarked()
}

// required reports a required attribute set to null.
func (c *checker) required(a *attrExpr, st status) status {
	if st == absent && a != nil {
		c.errorf(a, "Missing value", "%s is required, and it is null here.", a.path)
		return invalid
	}
	return st
}

func (c *checker) str(a *attrExpr, ctx *hcl.EvalContext) (string, status) {
	s, st, _ := c.strS(a, ctx)
	return s, st
}

// strS evaluates a string attribute, and says whether it is sensitive.
func (c *checker) strS(a *attrExpr, ctx *hcl.EvalContext) (string, status, bool) {
	v, st, sens := c.eval(a, ctx)
	if st != valid {
		return "", st, sens
	}
	// Only a string: converting would send `code = true` as "true", and a
	// number written without quotes has lost its leading zeros already.
	if v.Type() != cty.String {
		c.errorf(a, "Incorrect attribute value type", "Inappropriate value for attribute %q: a string is required, not %s.%s", a.name, v.Type().FriendlyName(), notStringHint(v.Type()))
		return "", invalid, sens
	}
	return v.AsString(), valid, sens
}

func notStringHint(ty cty.Type) string {
	switch ty {
	case cty.Number:
		return " Write it in quotes (a number has no leading zeros: 007 is 7), or convert it with tostring() if that is what you mean."
	case cty.Bool:
		return ` Write it in quotes if you mean the text "true" or "false".`
	}
	return ""
}

// checkTrackCode returns what is wrong with a track code, or "". The value
// is quoted only once its length is known to be sane.
func checkTrackCode(s string, sens bool) string {
	switch n := utf8.RuneCountInString(s); {
	case strings.TrimSpace(s) == "":
		return fmt.Sprintf("The track code must not be empty: give the parcel's track number, such as %q.", "RP123456789RU")
	case n > maxTrackCodeLen:
		return fmt.Sprintf("The track code is %d characters long; track codes are at most %d.", n, maxTrackCodeLen)
	case strings.TrimSpace(s) != s:
		return fmt.Sprintf("The track code %s has spaces around it; remove them.", show(s, sens))
	}
	if r, i, ok := badRune(s, textTrackCode); ok {
		return fmt.Sprintf("The track code %s contains %s at character %d; a track code is printable text: remove it.", show(s, sens), describeRune(r), i)
	}
	return ""
}

// What badRune refuses in a kind of text.
type textKind int

const (
	textName      textKind = iota // names and addresses: controls and bidi controls
	textOfferID                   // the API's ShopSku: the same, but a tab passes
	textTrackCode                 // also every invisible formatting character
)

// badRune returns the first character of s that has no place in text of
// kind k, and its position (from 1). Control characters (a newline, NUL)
// and line separators break the API's records and the plan's lines;
// bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
// U+061C) make text display other than it is sent.
func badRune(s string, k textKind) (rune, int, bool) {
	i := 0
	for _, r := range s {
		i++
		switch {
		case r == '\t' && k == textOfferID:
		case unicode.IsControl(r), unicode.In(r, unicode.Zl, unicode.Zp), isBidiControl(r):
			return r, i, true
		case k == textTrackCode && unicode.Is(unicode.Cf, r):
			return r, i, true
		}
	}
	return 0, 0, false
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// describeRune names a refused character without printing it.
func describeRune(r rune) string {
	switch {
	case isBidiControl(r):
		return fmt.Sprintf("a bidirectional control character (U+%04X)", r)
	case unicode.IsControl(r), unicode.In(r, unicode.Zl, unicode.Zp):
		return fmt.Sprintf("a control character (U+%04X)", r)
	}
	return fmt.Sprintf("an invisible formatting character (U+%04X)", r)
}

// positiveInt evaluates an ID attribute: a whole number >= 1, or a string
// of digits (each.key is a string).
func (c *checker) positiveInt(a *attrExpr, ctx *hcl.EvalContext, what, example string) (int64, status) {
	v, st, sens := c.eval(a, ctx)
	if st != valid {
		return 0, st
	}
	n, msg := positiveInt(v)
	if msg != "" {
		got := "a value of type " + v.Type().FriendlyName()
		if !sens && (v.Type() == cty.String || v.Type() == cty.Number) {
			got = renderScalar(v)
		} else if sens {
			got = "(sensitive value)"
		}
		c.errorf(a, "Invalid "+a.name, "%s must be a %s: a whole number of at least 1, such as %s; got %s.", a.name, what, example, got)
		return 0, invalid
	}
	return n, valid
}

// positiveInt converts a known, non-null number or string of digits to an
// int64 >= 1; the message says why it cannot.
func positiveInt(v cty.Value) (int64, string) {
	switch v.Type() {
	case cty.String:
		s := v.AsString()
		if !isDigits(s) {
			return 0, "not a number"
		}
		// The common case, an order ID from a for_each key or a CSV
		// column, without a trip through big.Float.
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 1 {
			return n, ""
		}
		var err error
		if v, err = convert.Convert(v, cty.Number); err != nil {
			return 0, "not a number"
		}
	case cty.Number:
	default:
		return 0, "not a number"
	}
	return wholeNumber(v.AsBigFloat(), 1)
}

// wholeNumber returns f as an int64 if it is whole, >= min and fits.
func wholeNumber(f *big.Float, min int64) (int64, string) {
	if !f.IsInt() {
		return 0, "not whole"
	}
	n, acc := f.Int64()
	if acc != big.Exact {
		return 0, "too large"
	}
	if n < min {
		return 0, "too small"
	}
	return n, ""
}

func renderScalar(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case cty.Number:
		return v.AsBigFloat().Text('g', -1)
	}
	return v.Type().FriendlyName()
}

// checkName checks a recipient's name and returns it trimmed.
func (c *checker) name(a *attrExpr, ctx *hcl.EvalContext) (*string, bool) {
	s, st, _ := c.strS(a, ctx)
	if st != valid {
		return nil, st != invalid
	}
	t := strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(t); {
	case n == 0:
		c.errorf(a, "Invalid "+a.name, "%s must not be empty or blank. To leave the recipient's %s as it is, remove the attribute.", a.name, strings.ReplaceAll(a.name, "_", " "))
		return nil, false
	case n > maxNameLen:
		c.errorf(a, "Invalid "+a.name, "%s must be at most %d characters long; it has %d.", a.name, maxNameLen, n)
		return nil, false
	}
	if r, i, bad := badRune(t, textName); bad {
		c.errorf(a, "Invalid "+a.name, "%s contains %s at character %d; remove it.", a.name, describeRune(r), i)
		return nil, false
	}
	return &t, true
}

func (c *checker) phone(a *attrExpr, ctx *hcl.EvalContext) (*string, bool) {
	s, st, sens := c.strS(a, ctx)
	if st != valid {
		return nil, st != invalid
	}
	if !isPhone(s) {
		c.errorf(a, "Invalid phone", "phone must be a plus sign and 4 to 15 digits, the country code first, such as \"+79990001122\", without spaces or dashes; got %s.", show(s, sens))
		return nil, false
	}
	return &s, true
}
