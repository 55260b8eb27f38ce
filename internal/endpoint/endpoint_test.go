package endpoint

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		base      string
		ok        bool
		cleartext bool // the refusal is ErrCleartext
	}{
		{base: "https://api.partner.market.yandex.ru", ok: true},
		{base: "https://api.partner.market.yandex.ru/", ok: true},
		{base: "https://10.0.0.1:8443", ok: true},
		{base: "http://127.0.0.1:8080", ok: true},
		{base: "http://127.1.2.3", ok: true},
		{base: "http://localhost:9000", ok: true},
		{base: "http://LOCALHOST", ok: true},
		{base: "http://[::1]:9000", ok: true},
		{base: "http://api.partner.market.yandex.ru", cleartext: true},
		{base: "http://10.0.0.1:8080", cleartext: true},
		{base: "http://localhost.example.com", cleartext: true},
		{base: "http://127.0.0.1.nip.io", cleartext: true},
		{base: "ftp://localhost"},
		{base: "api.partner.market.yandex.ru"},
		{base: ""},
		{base: "https://user:secret@api.partner.market.yandex.ru"},
		{base: "https://api.partner.market.yandex.ru/?x=1"},
		{base: "https://api.partner.market.yandex.ru/#top"},
		{base: "https://api.partner.market.yandex.ru/%zz"},
	} {
		err := Check(tc.base)
		if (err == nil) != tc.ok {
			t.Errorf("Check(%q) = %v, want ok = %v", tc.base, err, tc.ok)
		}
		if got := errors.Is(err, ErrCleartext); got != tc.cleartext {
			t.Errorf("Check(%q) = %v: errors.Is(ErrCleartext) = %v, want %v", tc.base, err, got, tc.cleartext)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true,
		"": false, "localhost.example.com": false, "10.0.0.1": false, "::": false, "example.com": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
