package plan

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// NormDate turns either API date format into "YYYY-MM-DD". The campaign
// endpoints answer "DD-MM-YYYY", every other endpoint and the configuration
// "YYYY-MM-DD"; the two are told apart by where the four-digit year stands, so
// a date is never compared as a string in the wrong format.
func NormDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02-01-2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// NormTime turns "HH:MM" or "HH:MM:SS" into "HH:MM". Seconds other than zero
// are kept ("HH:MM:SS") so two different instants never compare equal.
func NormTime(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Second() != 0 {
				return t.Format("15:04:05"), true
			}
			return t.Format("15:04"), true
		}
	}
	return "", false
}

// NormName trims a name and folds runs of white space into one space.
func NormName(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// NormPhone keeps the digits of a phone: "+7 999 000-11-22" and
// "+79990001122" are the same phone. A Russian number written the domestic
// way, 8 and ten digits without a "+", is the same as +7 and those digits.
func NormPhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) == 11 && d[0] == '8' && !strings.HasPrefix(strings.TrimSpace(s), "+") {
		d = "7" + d[1:]
	}
	return d
}

// Key keys the fingerprints that the journal and plan files keep of values
// (a recipient's name or phone, a track code): an HMAC-SHA-256 with it, so
// that whoever holds only a journal (a file, a CI artifact, a database dump)
// cannot recover a phone by hashing every number. The command layer derives
// it from a secret every machine sharing a journal has and the journal does
// not: ORDERFORM_FINGERPRINT_KEY, else the API key. A nil Key gives plain
// SHA-256 fingerprints (tests, and files written before keys).
type Key []byte

// Fingerprint identifies a field's target value without keeping it, so the
// journal can tell "this exact change is already in flight" without storing a
// recipient's name or phone.
func (k Key) Fingerprint(field, value string) string {
	msg := []byte(field + "\x00" + value)
	if len(k) == 0 {
		h := sha256.Sum256(msg)
		return hex.EncodeToString(h[:12])
	}
	m := hmac.New(sha256.New, k)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil)[:12])
}
