package provider

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The masking rule for a recipient's personal data, shared by every place
// that shows or keeps such a value without the user asking to see it: the
// plan's views, the plan file's before-values, and the API's error messages
// (see APIError). Masking a masked value changes nothing.

// MaskName keeps a name's first letter and becomes "П***" whatever its
// length; a one-letter name, or one that starts with a control or format
// character, is "***". "" stays "".
func MaskName(value string) string {
	if value == "" {
		return value
	}
	name := strings.TrimSpace(value)
	r, size := utf8.DecodeRuneInString(name)
	if size == len(name) || r == '*' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
		return "***"
	}
	return string(r) + "***"
}

// MaskPhone keeps a phone's leading "+" and its last two digits; every
// other digit becomes "*": "+79990001122" -> "+*********22". Separators are
// dropped. A phone of fewer than 6 digits shows no digit; one without any
// is "***". A "*" counts as a digit already masked. "" stays "".
func MaskPhone(value string) string {
	if value == "" {
		return value
	}
	var digits []byte
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c >= '0' && c <= '9') || c == '*' {
			digits = append(digits, c)
		}
	}
	var b strings.Builder
	if strings.HasPrefix(strings.TrimSpace(value), "+") {
		b.WriteByte('+')
	}
	if len(digits) == 0 {
		return b.String() + "***"
	}
	keep := 2
	if len(digits) < 6 {
		keep = 0
	}
	b.WriteString(strings.Repeat("*", len(digits)-keep))
	b.Write(digits[len(digits)-keep:])
	return b.String()
}
