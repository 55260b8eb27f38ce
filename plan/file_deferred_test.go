package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A plan with deferred changes is written as format 2.1, and one without as
// 2.0, which an orderform that knows only 2.0 still applies.
func TestFileDeferredFormat(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		deferred []Deferred
		format   string
	}{{nil, "2.0"}, {[]Deferred{deferredEntry()}, "2.1"}} {
		p := format2Plan()
		p.Deferred = tc.deferred
		path := filepath.Join(dir, tc.format+".plan")
		if err := Write(path, &File{Version: "0.1.0", Endpoint: "https://api.partner.market.yandex.ru", Plan: p}); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		if !strings.Contains(string(data), `"format_version": "`+tc.format+`",
  "orderform_version"`) || strings.Contains(string(data), `"deferred"`) != (tc.deferred != nil) {
			t.Errorf("%d deferred: written as\n%s", len(tc.deferred), data)
		}
		f, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Plan.Deferred) != len(tc.deferred) || f.FormatVersion != tc.format {
			t.Errorf("read back %d deferred, format %s", len(f.Plan.Deferred), f.FormatVersion)
		}
	}
}

// A file whose deferred entries contradict the rest is refused whole: a 2.0
// file cannot hold them, an order is not both deferred and blocked, and a
// deferred entry says what it waits for and what it sets.
func TestFileDeferredRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(edit func(p *Plan)) string {
		p := format2Plan()
		p.Deferred = []Deferred{deferredEntry()}
		edit(p)
		path := filepath.Join(dir, "p.plan")
		if err := Write(path, &File{Version: "0.1.0", Endpoint: "https://api.partner.market.yandex.ru", Plan: p}); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		name string
		edit func(p *Plan)
		file func(s string) string
		want string
	}{
		{"in a 2.0 file", func(*Plan) {}, func(s string) string {
			return strings.Replace(s, `"format_version": "2.1"`, `"format_version": "2.0"`, 1)
		}, "has format 2.0, which has no deferred changes, but holds some"},
		{"also blocked", func(p *Plan) { p.Blocked[0].OrderID = 1007 }, nil, "deferred change 1 (order.1007): order 1007 is also listed as blocked"},
		{"no status", func(p *Plan) { p.Deferred[0].WaitsFor = nil }, nil, "names no status it waits for"},
		{"no fields", func(p *Plan) { p.Deferred[0].Fields = nil }, nil, "sets no field"},
		{"twice", func(p *Plan) { p.Deferred = append(p.Deferred, deferredEntry()) }, nil, "order 1007 is already deferred"},
		{"status", func(p *Plan) { p.Deferred[0].Observed.Status = "PROCESSING" }, nil, `shows status "PENDING"`},
		{"a block its change sets", func(p *Plan) { p.Deferred[0].OrderID, p.Deferred[0].Address = 1001, "order.1001" }, nil, "defers track, which change 1 also sets"},
	} {
		path := write(tc.edit)
		if tc.file != nil {
			data, _ := os.ReadFile(path)
			if err := os.WriteFile(path, []byte(tc.file(string(data))), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Read(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Read error %v, want %q", tc.name, err, tc.want)
		}
	}
}
