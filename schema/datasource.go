package schema

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var dataSchemas = map[string]*hcl.BodySchema{
	KindDeliveryIntervals: {
		Attributes: []hcl.AttributeSchema{{Name: "order_id", Required: true}, {Name: "campaign_id"}},
	},
	KindDeliveryOptions: {
		Attributes: []hcl.AttributeSchema{
			{Name: "items", Required: true}, {Name: "courier_address"}, {Name: "pickup_point_ids"}, {Name: "campaign_id"},
		},
	},
}

// The object types of data sources' results in expressions.
var (
	intervalType = cty.Object(map[string]cty.Type{
		"from_date": cty.String, "to_date": cty.String, "from_time": cty.String, "to_time": cty.String,
	})
	optionType = cty.Object(map[string]cty.Type{
		"warehouse_id": cty.Number, "type": cty.String, "logistic_point_id": cty.Number,
		"from_date": cty.String, "to_date": cty.String, "from_time": cty.String, "to_time": cty.String,
		"price": cty.Number, "currency": cty.String,
	})
)

var itemAttrs = []string{"offer_id", "count", "warehouse_id"}

type dataBlock struct {
	kind, name string
	defRange   hcl.Range
	attrs      map[string]*attrExpr
}

func (d *dataBlock) attrList() []*attrExpr {
	list := make([]*attrExpr, 0, len(d.attrs))
	for _, a := range d.attrs {
		list = append(list, a)
	}
	slices.SortFunc(list, func(a, b *attrExpr) int { return a.rng.Start.Byte - b.rng.Start.Byte })
	return list
}

func (l *loader) decodeData(b *hcl.Block) {
	kind, name := b.Labels[0], b.Labels[1]
	sch, ok := dataSchemas[kind]
	if !ok {
		l.diags = append(l.diags, errorDiag(b.LabelRanges[0], "Unsupported data source",
			"There is no data source %q: orderform has delivery_intervals and delivery_options.%s",
			kind, didYouMean(kind, []string{KindDeliveryIntervals, KindDeliveryOptions})))
		return
	}
	if !hclsyntax.ValidIdentifier(name) {
		l.diags = append(l.diags, errorDiag(b.LabelRanges[1], "Invalid data source name",
			"A data source name must start with a letter and contain only letters, digits, underscores and dashes, such as \"o1002\": it is referred to as data.%s.NAME.", kind))
		return
	}
	if prev, ok := l.dataIdx[kind][name]; ok {
		l.diags = append(l.diags, errorDiag(b.LabelRanges[1], "Duplicate data source",
			"A data source %q %q was already declared at %s. Names must be unique within a kind.", kind, name, place(prev.defRange)))
		return
	}
	content, diags := b.Body.Content(sch)
	l.diags = append(l.diags, diags...)
	d := &dataBlock{kind: kind, name: name, defRange: b.DefRange, attrs: map[string]*attrExpr{}}
	for n, a := range content.Attributes {
		d.attrs[n] = newAttrExpr("", a)
	}
	l.dataIdx[kind][name] = d
	l.data = append(l.data, d)
}

// evalData evaluates and checks the data sources' arguments, which may
// refer to variables and locals only.
func (l *loader) evalData(ev *evaluator) {
	ctx := ev.rootContext(l.locals.values, ev.unknownData())
	c := &checker{diags: &l.diags}
	for _, d := range l.data {
		ds := DataSource{
			Kind:      d.kind,
			Name:      d.name,
			Address:   "data." + d.kind + "." + d.name,
			DeclRange: d.defRange,
		}
		var campaignSt status
		if a := d.attrs["campaign_id"]; a != nil {
			ds.CampaignID, campaignSt = c.positiveInt(a, ctx, "campaign ID", "21000000")
		}
		if campaignSt == absent && !l.providerHasCampaign() {
			l.diags = append(l.diags, errorDiag(d.defRange, "Missing campaign ID",
				"%s has no campaign_id, and the provider block sets none. Set campaign_id in the provider %q block (the default for everything) or in this block.", ds.Address, providerName))
		}
		switch d.kind {
		case KindDeliveryIntervals:
			ds.OrderID, _ = c.positiveInt(d.attrs["order_id"], ctx, "order ID", "1002")
		case KindDeliveryOptions:
			l.evalOptions(c, d, ctx, &ds)
		}
		l.cfg.Data = append(l.cfg.Data, ds)
	}
}

func (l *loader) providerHasCampaign() bool {
	return l.provider != nil && l.provider.attrs["campaign_id"] != nil
}

func (l *loader) evalOptions(c *checker, d *dataBlock, ctx *hcl.EvalContext, ds *DataSource) {
	if a := d.attrs["items"]; a != nil {
		ds.Items = l.evalItems(c, a, ctx)
	}
	courier, pickup := d.attrs["courier_address"], d.attrs["pickup_point_ids"]
	switch {
	case courier != nil && pickup != nil:
		c.errorf(pickup, "Conflicting delivery arguments",
			"Set either courier_address (courier delivery, at %s) or pickup_point_ids (pickup delivery), not both.", place(courier.rng))
	case courier == nil && pickup == nil:
		*c.diags = append(*c.diags, errorDiag(d.defRange, "Missing delivery argument",
			"A delivery_options data source needs courier_address (courier delivery) or pickup_point_ids (pickup delivery)."))
	}
	if courier != nil {
		if s, st := c.str(courier, ctx); c.required(courier, st) == valid {
			t := strings.TrimSpace(s)
			if n := utf8.RuneCountInString(t); n == 0 || n > maxAddressLen {
				c.errorf(courier, "Invalid courier_address", "courier_address must be a full address down to the house number, 1 to %d characters long; it has %d.", maxAddressLen, n)
			} else if r, i, bad := badRune(t, textName); bad {
				c.errorf(courier, "Invalid courier_address", "courier_address contains %s at character %d; remove it.", describeRune(r), i)
			} else {
				ds.CourierAddress = t
			}
		}
	}
	if pickup != nil {
		ds.PickupPointIDs = evalPickupIDs(c, pickup, ctx)
	}
}

func evalPickupIDs(c *checker, a *attrExpr, ctx *hcl.EvalContext) []int64 {
	v, st, _ := c.eval(a, ctx)
	if c.required(a, st) != valid {
		return nil
	}
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		c.errorf(a, "Invalid pickup_point_ids", "pickup_point_ids must be a list of logistic point IDs, such as [101, 102]; got a value of type %s.", ty.FriendlyName())
		return nil
	}
	n := v.LengthInt()
	if n < 1 || n > maxPickupPoints {
		c.errorf(a, "Invalid pickup_point_ids", "pickup_point_ids must hold 1 to %d logistic point IDs; it holds %d.", maxPickupPoints, n)
		return nil
	}
	var ids []int64
	seen := map[int64]int{}
	ok := true
	for i, it := 0, v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		rng := elemRange(a.expr, i, "")
		if ev.IsNull() {
			*c.diags = append(*c.diags, errorDiag(rng, "Invalid pickup point ID", "Pickup point IDs must not be null."))
			ok = false
			continue
		}
		id, msg := positiveInt(ev)
		if msg != "" {
			*c.diags = append(*c.diags, errorDiag(rng, "Invalid pickup point ID",
				"A pickup point ID must be a whole number of at least 1; element %d is %s.", i, renderScalar(ev)))
			ok = false
			continue
		}
		if j, dup := seen[id]; dup {
			*c.diags = append(*c.diags, errorDiag(rng, "Duplicate pickup point ID",
				"Pickup point %d is listed twice (elements %d and %d); list each once.", id, j, i))
			ok = false
			continue
		}
		seen[id] = i
		ids = append(ids, id)
	}
	if !ok {
		return nil
	}
	return ids
}

func (l *loader) evalItems(c *checker, a *attrExpr, ctx *hcl.EvalContext) []Item {
	v, st, _ := c.eval(a, ctx)
	if c.required(a, st) != valid {
		return nil
	}
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		c.errorf(a, "Invalid items", "items must be a list of objects such as { offer_id = \"SKU-1\", count = 2, warehouse_id = 1 }; got a value of type %s.", ty.FriendlyName())
		return nil
	}
	n := v.LengthInt()
	if n < 1 || n > maxItems {
		c.errorf(a, "Invalid items", "items must hold 1 to %d items; it holds %d.", maxItems, n)
		return nil
	}
	var items []Item
	offers := map[string]int{}
	ok := true
	for i, it := 0, v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		item, good := checkItem(c, a, i, ev, offers)
		ok = ok && good
		items = append(items, item)
	}
	if !ok {
		return nil
	}
	return items
}

func checkItem(c *checker, a *attrExpr, i int, v cty.Value, offers map[string]int) (Item, bool) {
	fail := func(key, summary, format string, args ...any) {
		*c.diags = append(*c.diags, errorDiag(elemRange(a.expr, i, key), summary, format, args...))
	}
	ty := v.Type()
	if v.IsNull() || !(ty.IsObjectType() || ty.IsMapType()) {
		fail("", "Invalid item", "Item %d must be an object such as { offer_id = \"SKU-1\", count = 2, warehouse_id = 1 }.", i)
		return Item{}, false
	}
	fields := map[string]cty.Value{}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		name := k.AsString()
		if !slices.Contains(itemAttrs, name) {
			fail(name, "Unsupported item attribute",
				"Item %d has an attribute %q; items have offer_id, count and warehouse_id.%s", i, name, didYouMean(name, itemAttrs))
			return Item{}, false
		}
		if !ev.IsNull() {
			fields[name] = ev
		}
	}
	var item Item
	ok := true
	if f, has := fields["offer_id"]; !has {
		fail("", "Missing offer_id", "Item %d needs an offer_id: the offer's SKU in the catalogue.", i)
		ok = false
	} else if f.Type() != cty.String || !f.IsKnown() {
		fail("offer_id", "Invalid offer_id", "Item %d: offer_id must be a string, such as \"SKU-1\"; got %s.%s", i, renderScalar(f), notStringHint(f.Type()))
		ok = false
	} else {
		item.OfferID = f.AsString()
		n := utf8.RuneCountInString(item.OfferID)
		r, at, bad := badRune(item.OfferID, textOfferID)
		switch j, dup := offers[item.OfferID]; {
		case n < 1 || n > maxOfferIDLen:
			fail("offer_id", "Invalid offer_id", "Item %d: offer_id must be 1 to %d characters long; it has %d.", i, maxOfferIDLen, n)
			ok = false
		case bad:
			fail("offer_id", "Invalid offer_id", "Item %d: offer_id contains %s at character %d; remove it.", i, describeRune(r), at)
			ok = false
		case dup:
			fail("offer_id", "Duplicate offer_id", "Items %d and %d both have offer_id %q; the API wants each offer once: add up the counts.", j, i, item.OfferID)
			ok = false
		default:
			offers[item.OfferID] = i
		}
	}
	if f, has := fields["count"]; !has {
		fail("", "Missing count", "Item %d needs a count, from 1 to %d.", i, maxItemCount)
		ok = false
	} else if n, msg := itemNumber(f); msg != "" || n > maxItemCount {
		fail("count", "Invalid count", "Item %d: count must be a whole number from 1 to %d; got %s.", i, maxItemCount, renderScalar(f))
		ok = false
	} else {
		item.Count = int(n)
	}
	// The API would let the Market pick the warehouse, but the options
	// differ per warehouse, and a pick that changes between runs would
	// change what options[N] in an order block means. The emulators
	// refuse such an item too (400): say so here, with the place.
	if f, has := fields["warehouse_id"]; !has {
		fail("", "Missing warehouse_id", "Item %d needs a warehouse_id: the ID of the warehouse it ships from (the options differ per warehouse).", i)
		ok = false
	} else {
		if n, msg := itemNumber(f); msg != "" {
			fail("warehouse_id", "Invalid warehouse_id", "Item %d: warehouse_id must be a whole number of at least 1; got %s.", i, renderScalar(f))
			ok = false
		} else {
			item.WarehouseID = n
		}
	}
	return item, ok
}

func itemNumber(v cty.Value) (int64, string) {
	n, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, "not a number"
	}
	return wholeNumber(n.AsBigFloat(), 1)
}

// elemRange narrows a diagnostic to element i of a list literal, and to its
// attribute key when the element is an object literal; otherwise it is the
// whole expression.
func elemRange(expr hcl.Expression, i int, key string) hcl.Range {
	tuple, ok := expr.(*hclsyntax.TupleConsExpr)
	if !ok || i >= len(tuple.Exprs) {
		return expr.Range()
	}
	elem := tuple.Exprs[i]
	obj, ok := elem.(*hclsyntax.ObjectConsExpr)
	if !ok || key == "" {
		return elem.Range()
	}
	for _, item := range obj.Items {
		k, diags := item.KeyExpr.Value(nil)
		if !diags.HasErrors() && k.Type() == cty.String && k.IsKnown() && !k.IsNull() && k.AsString() == key {
			return item.ValueExpr.Range()
		}
	}
	return elem.Range()
}

// unknownData is the "data" namespace of phase 1: every result unknown, of
// its type, so that attribute references are still type-checked.
func (ev *evaluator) unknownData() cty.Value {
	return ev.dataObject(func(d *dataBlock) cty.Value {
		if d.kind == KindDeliveryIntervals {
			return cty.UnknownVal(cty.List(intervalType))
		}
		return cty.UnknownVal(cty.List(optionType))
	})
}

// dataValue is the "data" namespace of phase 2.
func (ev *evaluator) dataValue(results *DataResults, diags *hcl.Diagnostics) cty.Value {
	return ev.dataObject(func(d *dataBlock) cty.Value {
		switch d.kind {
		case KindDeliveryIntervals:
			list, ok := results.Intervals[d.name]
			if !ok {
				break
			}
			vals := make([]cty.Value, len(list))
			for i, iv := range list {
				vals[i] = intervalValue(iv)
			}
			if len(vals) == 0 {
				return cty.ListValEmpty(intervalType)
			}
			return cty.ListVal(vals)
		case KindDeliveryOptions:
			list, ok := results.Options[d.name]
			if !ok {
				break
			}
			vals := make([]cty.Value, len(list))
			for i, o := range list {
				lp := cty.NullVal(cty.Number)
				if o.LogisticPointID != 0 {
					lp = cty.NumberIntVal(o.LogisticPointID)
				}
				attrs := intervalValue(o.Interval).AsValueMap()
				attrs["warehouse_id"] = cty.NumberIntVal(o.WarehouseID)
				attrs["type"] = cty.StringVal(o.Type)
				attrs["logistic_point_id"] = lp
				attrs["price"] = cty.NumberFloatVal(o.Price)
				attrs["currency"] = cty.StringVal(o.Currency)
				vals[i] = cty.ObjectVal(attrs)
			}
			if len(vals) == 0 {
				return cty.ListValEmpty(optionType)
			}
			return cty.ListVal(vals)
		}
		*diags = append(*diags, errorDiag(d.defRange, "Missing data source result",
			"data.%s.%s was not read: every data source must be read before the orders are evaluated.", d.kind, d.name))
		if d.kind == KindDeliveryIntervals {
			return cty.UnknownVal(cty.List(intervalType))
		}
		return cty.UnknownVal(cty.List(optionType))
	})
}

func intervalValue(iv Interval) cty.Value {
	s := func(x string) cty.Value {
		if x == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(x)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"from_date": s(iv.FromDate), "to_date": s(iv.ToDate), "from_time": s(iv.FromTime), "to_time": s(iv.ToTime),
	})
}

func (ev *evaluator) dataObject(result func(*dataBlock) cty.Value) cty.Value {
	kinds := map[string]map[string]cty.Value{KindDeliveryIntervals: {}, KindDeliveryOptions: {}}
	for _, d := range ev.data {
		kinds[d.kind][d.name] = cty.ObjectVal(map[string]cty.Value{resultAttr[d.kind]: result(d)})
	}
	out := map[string]cty.Value{}
	for k, m := range kinds {
		out[k] = cty.ObjectVal(m)
	}
	return cty.ObjectVal(out)
}
