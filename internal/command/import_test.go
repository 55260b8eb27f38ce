package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
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

// A recipient is declared as the plan reads it: the delivery's recipient,
// not the buyer's name (a gift), so a plan right after import shows no
// change, rather than one that would rename the recipient to the buyer.
func TestImportDeclaresTheDeliverysRecipient(t *testing.T) {
	o := provider.Order{ID: 2010, CampaignID: 22000000, Model: provider.ModelLaaS, Status: provider.StatusProcessing, HasRecipient: true,
		Buyer: provider.Buyer{FirstName: "Ольга", LastName: "Смирнова"},
		Delivery: provider.Delivery{Address: provider.Address{Recipient: "Петров Иван Сергеевич", Phone: "+7 999 000-11-22"},
			Dates: provider.Dates{FromDate: "27-11-2026", ToDate: "27-11-2026", FromTime: "10:00", ToTime: "14:00"}}}
	f := hclwrite.NewEmptyFile()
	writeOrder(f.Body(), o, false, true)
	src := string(hclwrite.Format(f.Bytes()))
	if strings.Contains(src, "Ольга") || !strings.Contains(src, `first_name  = "Иван"`) {
		t.Errorf("import wrote the buyer, not the recipient:\n%s", src)
	}

	dir := t.TempDir()
	cfg := "provider \"yandex_market\" {\n  campaign_id = 22000000\n}\n" + src
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, diags := schema.Load(dir, schema.LoadOptions{})
	desired, d := c.Orders(nil)
	if diags = append(diags, d...); diags.HasErrors() || len(desired) != 1 {
		t.Fatalf("the imported block does not load: %v\n%s", diags, src)
	}
	p := plan.Build(plan.Input{Desired: desired, Current: map[int64]plan.Current{2010: {Found: true, Order: o}}})
	if p.Unchanged != 1 || len(p.Changes)+len(p.Blocked) > 0 {
		t.Errorf("a plan right after import: %d unchanged, changes %+v, blocked %+v; want no change\n%s", p.Unchanged, p.Changes, p.Blocked, src)
	}
}
