package provider

import (
	"slices"
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

// messageMask hides personal data in free text the API sends back (an
// error message may quote the request): the recipient names the request
// carried, as whole words and in any case, and every phone-looking run of
// digits (11 to 15 digits, E.164's most, with single spaces, dashes or
// brackets between them: +7 903 555-01-22, 89035550122), masked as the
// plan masks them; and a shorter run with the digits of the phone the
// request carried. keep are values the request sent that are not personal
// (a track code of 14 digits is not a phone).
type messageMask struct {
	names  []string
	phones []string // digits only
	keep   []string
}

func (m messageMask) apply(s string) string {
	return m.maskNames(m.maskPhones(s))
}

func (m messageMask) maskNames(s string) string {
	if len(m.names) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !nameRune(r) {
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !nameRune(r) {
				break
			}
			j += size
		}
		word := s[i:j]
		for _, n := range m.names {
			if strings.EqualFold(word, n) {
				b.WriteString(s[last:i])
				b.WriteString(MaskName(word))
				last = j
				break
			}
		}
		i = j
	}
	b.WriteString(s[last:])
	return b.String()
}

func nameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '-' || r == '\''
}

// nameWords are the words of names worth masking: a one-letter word says
// nothing of the person, and masking it would garble the text around it.
func nameWords(names ...string) []string {
	var out []string
	for _, n := range names {
		for _, w := range strings.FieldsFunc(n, func(r rune) bool { return !nameRune(r) }) {
			if utf8.RuneCountInString(w) >= 2 {
				out = append(out, w)
			}
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// maskPhones masks the phone-looking runs of digits in s.
func (m messageMask) maskPhones(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		plus := s[i] == '+' && i+1 < len(s) && isDigit(s[i+1])
		if !plus && !isDigit(s[i]) {
			i++
			continue
		}
		// A run is judged whole: one glued to a word (a track code, an
		// ID) is not a phone, and its tail never starts another.
		end, digits := phoneRun(s, i)
		phone := (digits >= 11 && digits <= 15) || (digits >= 6 && slices.Contains(m.phones, digitsOf(s[i:end])))
		if phone && (plus || !alnumBefore(s, i)) && !alnumAfter(s, end) && !slices.Contains(m.keep, s[i:end]) {
			b.WriteString(s[last:i])
			b.WriteString(MaskPhone(s[i:end]))
			last = end
		}
		i = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// phoneRun reads digits from s[i] (a digit or a "+" before one), allowing up
// to two separators ("-", " ", "(", ")", ".") between digits, and returns
// where the last digit ends and how many digits it read.
func phoneRun(s string, i int) (end, digits int) {
	k := i
	if s[k] == '+' {
		k++
	}
	end = k
	for k < len(s) {
		if isDigit(s[k]) {
			digits++
			k++
			end = k
			continue
		}
		seps := 0
		for k < len(s) && seps < 3 && strings.IndexByte(" -().", s[k]) >= 0 {
			k++
			seps++
		}
		if seps == 0 || seps > 2 || k >= len(s) || !isDigit(s[k]) {
			break
		}
	}
	return end, digits
}

func alnumBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return i > 0 && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func alnumAfter(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return i < len(s) && (unicode.IsLetter(r) || unicode.IsDigit(r))
}
