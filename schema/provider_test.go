package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An order or data block is in its own campaign when it declares one, else
// in the provider block's.
func TestProviderCampaign(t *testing.T) {
	for _, tc := range []struct {
		provider, declared, want int64
	}{
		{provider: 21000000, declared: 0, want: 21000000},
		{provider: 21000000, declared: 22000000, want: 22000000},
		{provider: 0, declared: 22000000, want: 22000000},
		{provider: 0, declared: 0, want: 0},
	} {
		if got := (Provider{CampaignID: tc.provider}).Campaign(tc.declared); got != tc.want {
			t.Errorf("Provider{CampaignID: %d}.Campaign(%d) = %d, want %d", tc.provider, tc.declared, got, tc.want)
		}
	}
}

// The provider block's endpoint is held to the rule the API client applies
// (internal/endpoint): what plan would refuse, validate refuses, pointing
// at the attribute and saying what to write.
func TestProviderEndpointIsTheClientsRule(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		want     []string // diagnostics, render's form
		detail   string   // in the detail, when refused
	}{
		{endpoint: "https://api.partner.market.yandex.ru"},
		{endpoint: "http://localhost:8080"},
		{endpoint: "http://api.partner.market.yandex.ru",
			want:   []string{"error: Invalid endpoint @ main.hcl:3:17"},
			detail: `endpoint "http://api.partner.market.yandex.ru": plain http is allowed only to a loopback address; use https. It would send the API key unencrypted`},
		// The client refuses these too; validate used to accept them.
		{endpoint: "https://user:secret@api.partner.market.yandex.ru",
			want:   []string{"error: Invalid endpoint @ main.hcl:3:17"},
			detail: "want a plain base URL, without credentials, query or fragment"},
		{endpoint: "https://api.partner.market.yandex.ru/?campaign=1",
			want:   []string{"error: Invalid endpoint @ main.hcl:3:17"},
			detail: "without credentials, query or fragment"},
		{endpoint: "ftp://api.partner.market.yandex.ru",
			want:   []string{"error: Invalid endpoint @ main.hcl:3:17"},
			detail: `scheme must be https. The Market API is at "https://api.partner.market.yandex.ru", the default: remove endpoint to use it.`},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"main.hcl": "provider \"yandex_market\" {\n  campaign_id = 1\n  endpoint    = \"" + tc.endpoint + "\"\n}\n" +
				"order \"1001\" {\n  track {\n    code                = \"RP1\"\n    delivery_service_id = 51\n  }\n}\n"})
			cfg, diags := Load(dir, LoadOptions{})
			if diff := cmp.Diff(tc.want, render(dir, diags)); diff != "" {
				t.Fatalf("diagnostics (-want +got):\n%s", diff)
			}
			if tc.detail == "" {
				if cfg.Provider.Endpoint != tc.endpoint {
					t.Errorf("Provider.Endpoint = %q, want %q", cfg.Provider.Endpoint, tc.endpoint)
				}
				return
			}
			if !strings.Contains(diags[0].Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", diags[0].Detail, tc.detail)
			}
		})
	}
}
