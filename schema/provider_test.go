package schema

import "testing"

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
