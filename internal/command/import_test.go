package command

import (
	"strings"
	"testing"

	"github.com/orderform/orderform/provider"
)

// What import declares of an order follows the plan's table: a DBS order
// with neither a track nor a delivery date has nothing to declare and says
// so; with a date only, the date is declared.
func TestNotImportable(t *testing.T) {
	bare := provider.Order{ID: 1010, CampaignID: 21000000, Model: provider.ModelDBS, Status: provider.StatusProcessing}
	if why := notImportable(bare, false); !strings.HasPrefix(why, "it has no track and no delivery date yet, so there is nothing to declare") {
		t.Errorf("notImportable = %q", why)
	}
	dated := bare
	dated.Delivery.Dates.ToDate = "26-11-2026"
	if why := notImportable(dated, false); why != "" {
		t.Errorf("notImportable of an order with a delivery date = %q, want it importable", why)
	}
	if got := managedSummary(); got != "the track and delivery date of DBS orders and the delivery interval and recipient of LaaS orders" {
		t.Errorf("managedSummary = %q", got)
	}
}
