package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// rangedPlan is format2Plan with its blocked entries located.
func rangedPlan() *Plan {
	p := format2Plan()
	p.Blocked[0].Range = hcl.Range{Filename: "orders.hcl", Start: hcl.Pos{Line: 12, Column: 3, Byte: 201}, End: hcl.Pos{Line: 12, Column: 8, Byte: 206}}
	p.Blocked[1].Range = hcl.Range{Filename: "laas/main.hcl", Start: hcl.Pos{Line: 7, Column: 3, Byte: 90}, End: hcl.Pos{Line: 7, Column: 20, Byte: 107}}
	p.Deferred = []Deferred{deferredEntry()}
	return p
}

// deferredEntry is a track declared for an order still PENDING.
func deferredEntry() Deferred {
	return Deferred{Change: Change{Address: "order.1007", OrderID: 1007, CampaignID: 21000000, Action: Update,
		Status: "PENDING", Model: "DBS", Sensitive: []string{FieldTrackCode},
		Fields:   []Field{{Path: FieldTrackCode, After: sp("RP7")}, {Path: FieldTrackService, After: sp("51")}},
		Observed: Observed{Status: "PENDING", Model: "DBS", UpdatedAt: "2026-11-23T10:00:00+03:00", Values: map[string]string{"track": ""}}},
		Blocks: "track", WaitsFor: []string{"PROCESSING", "DELIVERY", "PICKUP"},
		Detail: "a track number can be set only in status PROCESSING, DELIVERY or PICKUP; the order is PENDING",
		Range:  hcl.Range{Filename: "orders.hcl", Start: hcl.Pos{Line: 30, Column: 3, Byte: 400}, End: hcl.Pos{Line: 30, Column: 8, Byte: 405}}}
}

// Everything a plan holds survives Write and Read, but the previous values
// of personal fields, which the file keeps masked; and what Read makes of
// a file, Write writes again byte for byte.
func TestFileRoundTripEveryPart(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.plan")
	if err := Write(first, &File{Version: "1.4.0", Endpoint: "https://api.partner.market.yandex.ru", Plan: rangedPlan()}); err != nil {
		t.Fatal(err)
	}
	f, err := Read(first)
	if err != nil {
		t.Fatal(err)
	}
	want := rangedPlan()
	want.Changes[1].Fields[2].Before = sp("П***")
	want.Changes[1].Fields[3].Before = sp("+*********22")
	if diff := cmp.Diff(want, f.Plan); diff != "" {
		t.Errorf("plan read back (-written +read):\n%s", diff)
	}
	if f.Version != "1.4.0" || f.Endpoint != "https://api.partner.market.yandex.ru" || f.FormatVersion != FileFormatVersion {
		t.Errorf("file header = %q %q %q", f.Version, f.Endpoint, f.FormatVersion)
	}
	second := filepath.Join(dir, "second.plan")
	if err := Write(second, f); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if !bytes.Equal(a, b) {
		t.Errorf("written again, the file differs:\n%s\n---\n%s", a, b)
	}
	// The range has the shape of a diagnostic's range in the JSON views.
	if want := `"range": {
          "filename": "orders.hcl",
          "start": {
            "line": 12,
            "column": 3,
            "byte": 201
          },`; !strings.Contains(string(a), want) {
		t.Errorf("the file lacks\n%s\n%s", want, a)
	}
}

// The checked-in files, read and written again, read the same: the current
// format holds everything the earlier ones did.
func TestCheckedInFilesRoundTrip(t *testing.T) {
	for _, name := range []string{"v1.plan", "v2.plan"} {
		t.Run(name, func(t *testing.T) {
			f, err := Read(filepath.Join(planfileDir, name))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), name)
			if err := Write(path, f); err != nil {
				t.Fatal(err)
			}
			again, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			// Written in format 2, a format 1 plan's observed state is
			// keyed like any other: the one thing that is not carried
			// over (its fingerprints were made unkeyed, see Read).
			again.Plan.UnkeyedObserved = f.Plan.UnkeyedObserved
			// The previous values format 1 kept in clear are masked now.
			for i, c := range f.Plan.Changes {
				for j, fl := range c.Fields {
					if IsPersonal(fl.Path) && fl.Before != nil {
						f.Plan.Changes[i].Fields[j].Before = strp(maskValue(fl.Path, *fl.Before))
					}
				}
			}
			if diff := cmp.Diff(f.Plan, again.Plan); diff != "" {
				t.Errorf("read, written and read again (-first +again):\n%s", diff)
			}
		})
	}
}

// A damaged file is refused with what is wrong and where, before anything
// else is looked at; a file that is not JSON at all is not a plan.
func TestReadRefusesDamagedFiles(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(planfileDir, "v2.plan"))
	if err != nil {
		t.Fatal(err)
	}
	withKey := strings.Replace(string(good), `"model": "DBS",`, `"model": "DBS", "track_kind": "new",`, 1)
	for _, tc := range []struct {
		name, data, want string
	}{
		{"truncated", string(good[:1000]), "is truncated at byte 1000 (unexpected end of JSON input)"},
		{"truncated at the start", `{"kind": "orderform-plan", "format_vers`, "is truncated at byte 39"},
		{"broken JSON", `{"kind": "orderform-plan",, "plan": {}}`, "is not valid JSON at byte 27: invalid character ','"},
		{"data after the plan", string(good) + "{}", "is not valid JSON at byte"},
		{"not JSON", "provider \"yandex_market\" {}\n", "is not an orderform plan file"},
		{"empty", "", "is not an orderform plan file"},
		{"other JSON", `{"kind": "terraform-plan", "format_version": "2.0"}`, "is not an orderform plan file"},
		{"kind not a string", `{"kind": 1}`, "is not an orderform plan file"},
		{"unknown key", withKey, `format 2.0): json: unknown field "track_kind"`},
		{"wrong type", strings.Replace(string(good), `"order_id": 1001`, `"order_id": "1001"`, 1),
			"plan.changes.order_id is a string, where format 2.0 has an integer"},
		{"no plan", `{"kind": "orderform-plan", "format_version": "2.0", "orderform_version": "0.1.0"}`, "holds no plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.plan")
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil {
				t.Fatal("Read accepted the file")
			}
			for _, want := range []string{"read plan: " + path, tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// The rule for versions: the file's format decides what is read (1.x, and
// 2.x up to this orderform's); the orderform version that wrote it only has
// to be one, older or newer than this orderform.
func TestReadVersions(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(planfileDir, "v2.plan"))
	if err != nil {
		t.Fatal(err)
	}
	v1, err := os.ReadFile(filepath.Join(planfileDir, "v1.plan"))
	if err != nil {
		t.Fatal(err)
	}
	header := func(data []byte, format, version string) string {
		s := strings.Replace(string(data), `"format_version": "2.0"`, `"format_version": `+format, 1)
		s = strings.Replace(s, `"format_version": "1.0",
  "orderform_version"`, `"format_version": `+format+`,
  "orderform_version"`, 1)
		return strings.Replace(s, `"orderform_version": "0.1.0-dev"`, `"orderform_version": `+version, 1)
	}
	for _, tc := range []struct {
		name, data, want string // want "": read
	}{
		{"newer orderform, known format", header(good, `"2.0"`, `"7.3.1"`), ""},
		{"release version with v", header(good, `"2.0"`, `"v1.0.0"`), ""},
		{"build metadata", header(good, `"2.0"`, `"1.0.0-rc.1+abc123"`), ""},
		{"a later 1.x", header(v1, `"1.3"`, `"0.1.0"`), ""},
		{"a later 2.x", header(good, `"2.2"`, `"0.2.0"`), "has format 2.2; this orderform reads 1.x and 2.x up to 2.1"},
		{"2.1", header(good, `"2.1"`, `"0.2.0"`), ""},
		{"a later major", header(good, `"3.0"`, `"2.0.0"`), "has format 3.0; this orderform reads 1.x and 2.x"},
		{"no minor", header(good, `"2"`, `"0.1.0"`), "has format 2;"},
		{"a number", header(good, `2.0`, `"0.1.0"`), "has format 2;"},
		{"not a version", header(good, `"2.0"`, `"latest"`), `names orderform version latest, which is not a version (edited or damaged?)`},
		{"two parts", header(good, `"2.0"`, `"1.2"`), `names orderform version 1.2, which is not a version`},
		{"escape", header(good, `"2.0"`, `"1.0.0\u001b[2J"`), `names orderform version "1.0.0\x1b[2J"`},
		{"no version", strings.Replace(string(good), `"orderform_version": "0.1.0-dev",`, "", 1), "names no orderform version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.plan")
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := Read(path)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Read refused the file: %v", err)
			case tc.want == "" && len(f.Plan.Changes) == 0:
				t.Errorf("Read found no change in the file")
			case tc.want != "" && err == nil:
				t.Fatalf("Read accepted the file")
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error lacks %q:\n%v", tc.want, err)
			}
		})
	}
}

// Write refuses what Read would: a plan saved is a plan that can be applied.
func TestWriteRefusesAnUnparseableVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.plan")
	err := Write(path, &File{Version: "dev", Plan: format2Plan()})
	if err == nil || !strings.Contains(err.Error(), `orderform version "dev" is not a semantic version`) {
		t.Fatalf("Write = %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a file was written: %v", err)
	}
}
