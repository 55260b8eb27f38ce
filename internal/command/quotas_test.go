package command

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/internal/contract"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/provider/sandbox"
)

func TestParseQuotas(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  map[string]provider.Quota
		// errs are the parts the error must show: the variable, the
		// entry, what is wrong with it.
		errs []string
	}{
		{value: "", want: nil},
		{value: " , ", want: nil},
		{value: "track=100/1s", want: map[string]provider.Quota{"track": {Limit: 100, Period: time.Second}}},
		{value: "track=100/1s,update=10/1m", want: map[string]provider.Quota{
			"track": {Limit: 100, Period: time.Second}, "update": {Limit: 10, Period: time.Minute}}},
		{value: " track = 100 / 1s , operations=5/250ms,", want: map[string]provider.Quota{
			"track": {Limit: 100, Period: time.Second}, "operations": {Limit: 5, Period: 250 * time.Millisecond}}},
		{value: "delivery_options=1/1h30m", want: map[string]provider.Quota{"delivery_options": {Limit: 1, Period: 90 * time.Minute}}},

		{value: "trak=100/1s", errs: []string{"ORDERFORM_QUOTAS", `"trak=100/1s"`, `unknown endpoint "trak"`,
			"valid names: business_orders, delivery_date, delivery_options, get_campaign, get_order, list_orders, operations, track, update, update_options"}},
		{value: "Track=100/1s", errs: []string{`unknown endpoint "Track"`}},
		{value: "track", errs: []string{"ORDERFORM_QUOTAS", `"track"`, "no endpoint name", "NAME=LIMIT/DURATION"}},
		{value: "=100/1s", errs: []string{`"=100/1s"`, "no endpoint name"}},
		{value: "track=100", errs: []string{"ORDERFORM_QUOTAS", `"track=100"`, "no /DURATION"}},
		{value: "track=0/1s", errs: []string{"ORDERFORM_QUOTAS", `"track=0/1s"`, `the limit "0" is not a positive integer`}},
		{value: "track=-5/1s", errs: []string{`the limit "-5" is not a positive integer`}},
		{value: "track=1.5/1s", errs: []string{`the limit "1.5" is not a positive integer`}},
		{value: "track=/1s", errs: []string{`the limit "" is not a positive integer`}},
		{value: "track=100/1", errs: []string{"ORDERFORM_QUOTAS", `"track=100/1"`, `the period "1" is not a positive Go duration`}},
		{value: "track=100/0s", errs: []string{`the period "0s" is not a positive Go duration`}},
		{value: "track=100/-1s", errs: []string{`the period "-1s"`}},
		{value: "track=100/second", errs: []string{`the period "second"`}},
		{value: "update=1/1s,track=1/1s,track=2/1s", errs: []string{"ORDERFORM_QUOTAS", `"track=2/1s"`, "track is given twice"}},
		{value: "track=100/1s,update=x/1s", errs: []string{`"update=x/1s"`, `the limit "x"`}},
	} {
		got, err := parseQuotas(tc.value)
		if len(tc.errs) == 0 {
			if err != nil {
				t.Errorf("parseQuotas(%q): %v", tc.value, err)
			} else if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseQuotas(%q) (-want +got):\n%s", tc.value, diff)
			}
			continue
		}
		if err == nil {
			t.Errorf("parseQuotas(%q) = %v, want an error", tc.value, got)
			continue
		}
		for _, part := range tc.errs {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("parseQuotas(%q): %q does not say %q", tc.value, err, part)
			}
		}
	}
}

// FuzzParseQuotas: whatever the variable holds, the parser either refuses
// it or returns quotas the client accepts.
func FuzzParseQuotas(f *testing.F) {
	for _, s := range []string{"", "track=100/1s", "track=100/1s,update=10/1m", "trak=1/1s", "track=0/1s", "track=1/0s", "x=y=z/1/2", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		quotas, err := parseQuotas(value)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ORDERFORM_QUOTAS: ") {
				t.Errorf("parseQuotas(%q): %q does not name the variable", value, err)
			}
			return
		}
		if _, err := provider.New(provider.Config{Quotas: quotas}); err != nil {
			t.Errorf("parseQuotas(%q) = %v, which the client refuses: %v", value, quotas, err)
		}
	})
}

// TestQuotasRefusedBeforeAnyCall: a bad ORDERFORM_QUOTAS ends plan and
// apply with exit 1 and an error naming the variable and the entry, before
// a single request reaches the API.
func TestQuotasRefusedBeforeAnyCall(t *testing.T) {
	srv := sandbox.New(sandbox.Generate(2, 1), sandbox.Options{APIKeys: []string{"quotas-test-key"}})
	hs := httptest.NewServer(contract.Handler(srv, contract.Both, contract.Errorf(t)))
	defer hs.Close()
	dir := t.TempDir()
	config := "provider \"yandex_market\" {\n  campaign_id = 21000000\n}\n\norder \"100001\" {\n  track {\n    code                = \"RP1\"\n    delivery_service_id = 51\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("YANDEX_MARKET_ENDPOINT", hs.URL)
	t.Setenv("YANDEX_MARKET_API_KEY", "quotas-test-key")
	t.Setenv("YANDEX_MARKET_BUSINESS_ID", "")
	t.Setenv("NO_COLOR", "1")
	for _, tc := range []struct {
		value string
		says  []string
	}{
		{"track=100/1s,update=ten/1s", []string{"ORDERFORM_QUOTAS", `"update=ten/1s"`, `the limit "ten"`}},
		{"tracks=100/1s", []string{"ORDERFORM_QUOTAS", `unknown endpoint "tracks"`, "valid names: ", "track, update"}},
	} {
		t.Setenv("ORDERFORM_QUOTAS", tc.value)
		for _, args := range [][]string{{"plan"}, {"apply", "-auto-approve"}} {
			var stdout, stderr bytes.Buffer
			code := Run(append([]string{"-chdir=" + dir}, args...), Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
			if code != exitError {
				t.Errorf("ORDERFORM_QUOTAS=%q %s: exit %d, want %d", tc.value, args[0], code, exitError)
			}
			for _, s := range tc.says {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("ORDERFORM_QUOTAS=%q %s: stderr does not say %q:\n%s", tc.value, args[0], s, stderr.String())
				}
			}
			if calls := srv.Calls(); len(calls) != 0 {
				t.Errorf("ORDERFORM_QUOTAS=%q %s: %d calls reached the API, want none (first: %s %s)", tc.value, args[0], len(calls), calls[0].Method, calls[0].Path)
			}
		}
	}
}
