package command

import (
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
	"github.com/orderform/orderform/schema"
)

// dataSourcesRead puts what the data blocks read into the plan's terms, in
// declaration order, so the views can show it: users pick intervals by
// index into these lists and must be able to see them.
func dataSourcesRead(ds []schema.DataSource, res *schema.DataResults, prov schema.Provider) []plan.DataSource {
	if res == nil || len(ds) == 0 {
		return nil
	}
	out := make([]plan.DataSource, 0, len(ds))
	for _, d := range ds {
		v := plan.DataSource{Address: d.Address, Kind: d.Kind, CampaignID: prov.Campaign(d.CampaignID), OrderID: d.OrderID}
		switch d.Kind {
		case schema.KindDeliveryIntervals:
			ivs, ok := res.Intervals[d.Name]
			if !ok {
				continue
			}
			v.Available = make([]provider.Interval, 0, len(ivs))
			for _, iv := range ivs {
				v.Available = append(v.Available, provider.Interval(iv))
			}
		case schema.KindDeliveryOptions:
			opts, ok := res.Options[d.Name]
			if !ok {
				continue
			}
			v.Options = make([]provider.DeliveryOption, 0, len(opts))
			for _, o := range opts {
				v.Options = append(v.Options, provider.DeliveryOption{WarehouseID: o.WarehouseID, Type: o.Type,
					LogisticPointID: o.LogisticPointID, Interval: provider.Interval(o.Interval), Price: o.Price, Currency: o.Currency})
			}
		}
		out = append(out, v)
	}
	return out
}
