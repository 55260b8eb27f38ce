package schema

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// blockTypes are the blocks that declare what orderform manages of an
// order (plan's table has one row for each), in the order messages name
// them. Each has its schema in nestedSchemas.
var blockTypes = []string{"track", "delivery_interval", "recipient", "delivery_date"}

var orderSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "for_each"}, {Name: "id"}, {Name: "campaign_id"}},
	Blocks: func() []hcl.BlockHeaderSchema {
		out := make([]hcl.BlockHeaderSchema, len(blockTypes))
		for i, t := range blockTypes {
			out[i] = hcl.BlockHeaderSchema{Type: t}
		}
		return out
	}(),
}

// The API needs a whole time interval to move a delivery, and both parts of
// a track; to_date defaults to from_date.
var nestedSchemas = map[string]*hcl.BodySchema{
	"track": {Attributes: []hcl.AttributeSchema{
		{Name: "code", Required: true}, {Name: "delivery_service_id", Required: true},
	}},
	"delivery_interval": {Attributes: []hcl.AttributeSchema{
		{Name: "from_date", Required: true}, {Name: "to_date"}, {Name: "from_time", Required: true}, {Name: "to_time", Required: true},
	}},
	"recipient": {Attributes: []hcl.AttributeSchema{
		{Name: "first_name"}, {Name: "last_name"}, {Name: "middle_name"}, {Name: "phone"},
	}},
	// The reason has no default: a move the shop causes counts against it.
	"delivery_date": {Attributes: []hcl.AttributeSchema{
		{Name: "to_date", Required: true}, {Name: "reason", Required: true},
	}},
}

// The reasons setOrderDeliveryDate takes (OrderDeliveryDateReasonType).
const (
	reasonUserMoved    = "USER_MOVED_DELIVERY_DATES"
	reasonPartnerMoved = "PARTNER_MOVED_DELIVERY_DATES"
)

type nestedBlock struct {
	defRange hcl.Range
	attrs    map[string]*attrExpr
}

// orderBlock is a decoded order block, ready to be evaluated any number of
// times without touching the syntax again.
type orderBlock struct {
	label                 string
	defRange, labelRange  hcl.Range
	forEach, id, campaign *attrExpr
	blocks                map[string]*nestedBlock // by type (blockTypes)
	ranges                map[string]hcl.Range    // shared by the instances
	badLabel, duplicate   bool
	locals                []string // the locals its expressions refer to
}

func decodeOrderBlock(b *hcl.Block, diags *hcl.Diagnostics) *orderBlock {
	ob := &orderBlock{
		label:      b.Labels[0],
		defRange:   b.DefRange,
		labelRange: b.LabelRanges[0],
		blocks:     map[string]*nestedBlock{},
		ranges:     map[string]hcl.Range{},
	}
	content, d := b.Body.Content(orderSchema)
	*diags = append(*diags, d...)
	ob.forEach = newAttrExpr("", content.Attributes["for_each"])
	ob.id = newAttrExpr("", content.Attributes["id"])
	ob.campaign = newAttrExpr("", content.Attributes["campaign_id"])
	for _, a := range []*attrExpr{ob.forEach, ob.id, ob.campaign} {
		if a != nil {
			ob.ranges[a.path] = a.rng
		}
	}
	for _, nb := range content.Blocks {
		if prev := ob.blocks[nb.Type]; prev != nil {
			*diags = append(*diags, errorDiag(nb.DefRange, "Duplicate "+nb.Type+" block",
				"An order has at most one %s block; another one was declared at %s. Merge them.", nb.Type, place(prev.defRange)))
			continue
		}
		c, d := nb.Body.Content(nestedSchemas[nb.Type])
		*diags = append(*diags, d...)
		n := &nestedBlock{defRange: nb.DefRange, attrs: map[string]*attrExpr{}}
		ob.ranges[nb.Type] = nb.DefRange
		for name, a := range c.Attributes {
			ae := newAttrExpr(nb.Type, a)
			n.attrs[name] = ae
			ob.ranges[ae.path] = ae.rng
		}
		ob.blocks[nb.Type] = n
	}
	return ob
}

// attrList returns the attributes other than for_each, in source order.
func (ob *orderBlock) attrList() []*attrExpr {
	var list []*attrExpr
	for _, a := range []*attrExpr{ob.id, ob.campaign} {
		if a != nil {
			list = append(list, a)
		}
	}
	for _, t := range blockTypes {
		n := ob.blocks[t]
		if n == nil {
			continue
		}
		for _, a := range n.attrs {
			list = append(list, a)
		}
	}
	slices.SortFunc(list, func(a, b *attrExpr) int { return a.rng.Start.Byte - b.rng.Start.Byte })
	return list
}

// rootContext is the evaluation context of provider, data and order
// expressions. It is built once per phase; for_each instances get a small
// child context holding only "each".
func (ev *evaluator) rootContext(locals map[string]cty.Value, data cty.Value) *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": ev.varVal, "local": cty.ObjectVal(locals), "data": data},
		Functions: ev.funcs,
	}
}

// Orders evaluates the order blocks with the data sources' results bound,
// and returns the order instances sorted by address. With results nil (an
// offline validate) the data sources are unknown, and checks on what
// depends on them are skipped.
//
// Diagnostics that Load already returned are not repeated. Fields whose
// value is unknown are left zero. The slice may be shared with later calls:
// copy it before changing it.
func (c *Config) Orders(results *DataResults) ([]Order, hcl.Diagnostics) {
	if c == nil || c.eval == nil {
		return nil, nil
	}
	if c.eval.final != nil {
		return c.eval.final, nil // its diagnostics were Load's
	}
	c.eval.budget.reset()
	orders, diags := c.eval.evalOrders(results, false)
	var out hcl.Diagnostics
	for _, d := range diags {
		if !c.eval.reported[keyOf(d)] {
			out = append(out, d)
		}
	}
	sortDiags(out, c.eval.fileOrder)
	return orders, out
}

// idSource is the first order that declared an ID: its index in the
// orders, and where in its block the ID is, an index in ids.rngs. It is
// half an address and a pointer: at 100,000 orders the map of them is
// half the size.
type idSource struct {
	at, rng int32
}

// result is what evaluating an order instance found beside the order,
// for the duplicate order IDs to be looked for: that takes every instance
// before it, in order, so it is done after the instances are evaluated
// (see ids.add).
type result struct {
	diags hcl.Diagnostics
	// With checkID, the ID is to be checked for duplicates: idRng is where
	// it was declared, and a duplicate's error goes at diags[dupAt].
	checkID bool
	idRng   *hcl.Range
	dupAt   int
}

// ids collects the order IDs of the instances, in declaration order, to
// report each one declared twice.
type ids struct {
	seen  map[int64]idSource
	diags *hcl.Diagnostics
	// rngs are the places the IDs are declared at (a for_each of 100,000
	// rows shares its block's), and rngAt their index.
	rngs  []*hcl.Range
	rngAt map[*hcl.Range]int32
}

func newIDs(diags *hcl.Diagnostics) *ids {
	return &ids{seen: map[int64]idSource{}, diags: diags, rngAt: map[*hcl.Range]int32{}}
}

// add merges r's diagnostics into ids.diags, with the error of a duplicate
// ID of o at the place the instance found it. o is orders[at] unless it
// is not returned (then its ID is not checked); orders holds every order
// before it.
func (s *ids) add(orders []Order, at int, o *Order, r *result) {
	if r.checkID {
		if prev, dup := s.seen[o.ID]; dup {
			d := errorDiag(*r.idRng, "Duplicate order ID",
				"Order ID %d is declared twice: by %s at %s and by %s at %s. Declare each order once: remove one, or fix its ID.",
				o.ID, orders[prev.at].Address, place(*s.rngs[prev.rng]), o.Address, place(*r.idRng))
			*s.diags = append(*s.diags, r.diags[:r.dupAt]...)
			*s.diags = append(*s.diags, d)
			*s.diags = append(*s.diags, r.diags[r.dupAt:]...)
		} else {
			i, ok := s.rngAt[r.idRng]
			if !ok {
				i = int32(len(s.rngs))
				s.rngs = append(s.rngs, r.idRng)
				s.rngAt[r.idRng] = i
			}
			s.seen[o.ID] = idSource{at: int32(at), rng: i}
			*s.diags = append(*s.diags, r.diags...)
		}
	} else {
		*s.diags = append(*s.diags, r.diags...)
	}
}

// evalOrders evaluates every order block. With release (Load's phase 1
// without data sources) the locals that no block from the next on refers
// to are let go of as soon as it starts: at 100,000 orders from two CSVs, the rows of the first while the
// second's instances are evaluated. Load evaluates them again if the
// orders turn out not to be final (see Load).
func (ev *evaluator) evalOrders(results *DataResults, release bool) ([]Order, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	data, locals := ev.unknownData(), ev.locals.values
	if results != nil {
		data = ev.dataValue(results, &diags)
		locals = ev.locals.evaluate(ev, data, true, &diags)
	}
	ctx := ev.rootContext(locals, data)
	// Once the data sources are read nothing should be unknown, unless it
	// follows from an error already reported (then one error is enough).
	c := &checker{diags: &diags, strict: results != nil && !ev.loadErrors && !diags.HasErrors()}
	seen := newIDs(&diags)
	var needed []map[string]bool
	if release {
		needed = ev.localsNeeded()
	}
	var orders []Order
	for bi, ob := range ev.orders {
		if release {
			dropped := false
			for name := range locals {
				if !needed[bi][name] {
					delete(locals, name)
					dropped, ev.released = true, true
				}
			}
			if dropped {
				ctx = ev.rootContext(locals, data)
			}
		}
		if ob.duplicate {
			continue
		}
		if ob.forEach == nil {
			var o Order
			var r result
			ev.instance(&o, &r, ob, ctx, nil, false, &checker{strict: c.strict})
			orders = append(orders, o)
			seen.add(orders, len(orders)-1, &orders[len(orders)-1], &r)
			continue
		}
		keys, vals, st := ev.expand(ob, ctx, c)
		switch st {
		case unknown:
			// Offline: check the block once with each unknown.
			child := ctx.NewChild()
			child.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{
				"key": cty.UnknownVal(cty.String), "value": cty.DynamicVal,
			})}
			var o Order
			var r result
			ev.instance(&o, &r, ob, child, nil, true, &checker{strict: c.strict})
			seen.add(orders, -1, &o, &r)
		case valid:
			// The instances are evaluated into their place in orders,
			// grown to exactly what they take: at 100,000 orders
			// append's quarter more is 4 MB that no instance fills.
			base := len(orders)
			if cap(orders)-base < len(keys) {
				grown := make([]Order, base, base+len(keys))
				copy(grown, orders)
				orders = grown
			}
			orders = orders[:base+len(keys)]
			notes := ev.instances(ob, ctx, keys, vals, c.strict, orders[base:])
			usual := result{idRng: ob.idRange()}
			for i := range keys {
				o, r := &orders[base+i], &usual
				if len(notes) > 0 && notes[0].i == i {
					r, notes = &notes[0].r, notes[1:]
				}
				usual.checkID = o.ID > 0
				seen.add(orders, base+i, o, r)
			}
		}
	}
	slices.SortFunc(orders, func(a, b Order) int { return strings.Compare(a.Address, b.Address) })
	return orders, dedup(diags, map[diagKey]bool{})
}

// localsNeeded returns, for each order block, the locals that it or a
// block after it refers to. Those are the names the blocks look up: a
// local that refers to another holds its value already.
func (ev *evaluator) localsNeeded() []map[string]bool {
	out := make([]map[string]bool, len(ev.orders))
	need := map[string]bool{}
	for i := len(ev.orders) - 1; i >= 0; i-- {
		for _, name := range ev.orders[i].locals {
			need[name] = true
		}
		out[i] = maps.Clone(need)
	}
	return out
}

// expand evaluates for_each into instance keys and values, as Terraform
// does: a map (or object), or a set of strings. The keys are string
// values, as each.key binds them.
func (ev *evaluator) expand(ob *orderBlock, ctx *hcl.EvalContext, c *checker) ([]cty.Value, []cty.Value, status) {
	a := ob.forEach
	if a.bad {
		// Its reference error is reported; still check the block once.
		return c.unknownForEach(a)
	}
	if keys, vals, d, ok := rowsByKey(a.expr, ctx); ok {
		*c.diags = append(*c.diags, d...)
		if d.HasErrors() {
			return nil, nil, invalid
		}
		return keys, vals, valid
	}
	v, d := a.expr.Value(ctx)
	*c.diags = append(*c.diags, d...)
	if d.HasErrors() {
		return nil, nil, invalid
	}
	fail := func(format string, args ...any) ([]cty.Value, []cty.Value, status) {
		c.errorf(a, "Invalid for_each argument", format, args...)
		return nil, nil, invalid
	}
	if v.IsMarked() {
		return fail("Sensitive values, or values derived from them, cannot be used in for_each: the keys would show in addresses. If the keys are not secret, wrap the value in nonsensitive().")
	}
	ty := v.Type()
	if v.IsKnown() && v.IsNull() {
		return fail("for_each is null; it must be a map, or a set of strings.")
	}
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		if !v.IsKnown() {
			return c.unknownForEach(a)
		}
		n := v.LengthInt()
		keys, vals := make([]cty.Value, 0, n), make([]cty.Value, 0, n)
		for it := v.ElementIterator(); it.Next(); {
			k, elem := it.Element()
			keys = append(keys, k)
			vals = append(vals, elem)
		}
		return keys, vals, valid
	case ty.IsSetType() && (ty.ElementType() == cty.String || ty.ElementType() == cty.DynamicPseudoType):
		if !v.IsWhollyKnown() {
			return c.unknownForEach(a)
		}
		if v.ContainsMarked() {
			return fail("Sensitive values, or values derived from them, cannot be used in for_each: the keys would show in addresses. If the keys are not secret, wrap the value in nonsensitive().")
		}
		var keys, vals []cty.Value
		for it := v.ElementIterator(); it.Next(); {
			_, elem := it.Element()
			if elem.IsNull() {
				return fail("A set given to for_each must not contain null.")
			}
			if elem.Type() != cty.String {
				return fail("for_each must be a map, or a set of strings; this set holds %s values.", elem.Type().FriendlyName())
			}
			keys = append(keys, elem)
			vals = append(vals, elem)
		}
		return keys, vals, valid
	case ty == cty.DynamicPseudoType:
		return c.unknownForEach(a)
	}
	return fail("for_each must be a map, or a set of strings, and this is a value of type %s. Convert a list of strings with toset(), or build a map with a for expression: { for row in LIST : row.order_id => row }.", ty.FriendlyName())
}

func (c *checker) unknownForEach(a *attrExpr) ([]cty.Value, []cty.Value, status) {
	if c.strict {
		c.errorf(a, "Invalid for_each argument", "The value of for_each could not be determined.")
		return nil, nil, invalid
	}
	return nil, nil, unknown
}

// instance evaluates and checks one order instance into o and r with c,
// which it gives the instance's own diagnostics. key is the for_each key (a string
// value), nil without for_each; template is the instance of phase 1
// whose for_each is unknown, checked but not returned. The duplicate
// order IDs are for ids.add to find.
func (ev *evaluator) instance(o *Order, r *result, ob *orderBlock, ctx *hcl.EvalContext, key *cty.Value, template bool, c *checker) {
	*r = result{}
	addr := "order." + ob.label
	if key != nil {
		addr = instanceAddress(ob.label, key.AsString())
	}
	*o = Order{Address: addr, DeclRange: ob.labelRange, Ranges: ob.ranges}
	c.diags, c.instance, c.sensitive = &r.diags, "", c.sensitive[:0]
	if key != nil {
		c.instance = addr
	}

	idRng, idSt := &ob.labelRange, unknown
	if ob.id != nil {
		o.ID, idSt = c.positiveInt(ob.id, ctx, "order ID", "1001")
		idRng = &ob.id.rng
	}
	if idSt == absent || ob.id == nil {
		switch {
		case template:
			// unknown key: nothing to check
		case key != nil:
			idRng = &ob.forEach.rng
			if n, msg := positiveInt(*key); msg == "" {
				o.ID = n
			} else {
				c.errorf(&attrExpr{rng: ob.forEach.rng, each: true}, "Order ID not known",
					"The for_each key %q is not an order ID: set id in the block, such as id = each.value.order_id.", key.AsString())
			}
		default:
			if n, msg := positiveInt(cty.StringVal(ob.label)); msg == "" {
				o.ID = n
			} else if !ob.badLabel {
				*c.diags = append(*c.diags, errorDiag(ob.labelRange, "Order ID not known",
					"The label %q is not an order ID: set id = ORDER_ID in the block, or label the block with the numeric order ID.", ob.label))
			}
		}
	}
	if o.ID > 0 && !template {
		r.checkID, r.idRng, r.dupAt = true, idRng, len(r.diags)
	}

	campaignSt := absent
	if ob.campaign != nil {
		o.CampaignID, campaignSt = c.positiveInt(ob.campaign, ctx, "campaign ID", "21000000")
	}
	if campaignSt == absent {
		o.CampaignID = ev.providerCampaign // the default, as Provider.Campaign applies it
	}
	if campaignSt == absent && !ev.providerHasCampaign {
		*c.diags = append(*c.diags, errorDiag(ob.labelRange, "Missing campaign ID",
			"order.%s has no campaign_id, and the provider block sets none. Set campaign_id in the provider %q block (the default for every order) or in this block.", ob.label, providerName))
	}

	if t := ob.blocks["track"]; t != nil {
		o.Track = &Track{}
		code := t.attrs["code"]
		if s, st, sens := c.strS(code, ctx); c.required(code, st) == valid {
			if msg := checkTrackCode(s, sens); msg != "" {
				c.errorf(code, "Invalid track code", "%s", msg)
			} else {
				o.Track.Code = s
			}
		}
		svc := t.attrs["delivery_service_id"]
		var st status
		o.Track.DeliveryServiceID, st = c.positiveInt(svc, ctx, "delivery service ID (from GET delivery/services)", "51")
		c.required(svc, st)
	}
	if iv := ob.blocks["delivery_interval"]; iv != nil {
		o.Interval = ev.interval(iv, ctx, c)
	}
	if r := ob.blocks["recipient"]; r != nil {
		o.Recipient = &Recipient{}
		o.Recipient.FirstName, _ = c.name(r.attrs["first_name"], ctx)
		o.Recipient.LastName, _ = c.name(r.attrs["last_name"], ctx)
		o.Recipient.MiddleName, _ = c.name(r.attrs["middle_name"], ctx)
		o.Recipient.Phone, _ = c.phone(r.attrs["phone"], ctx)
	}
	if n := ob.blocks["delivery_date"]; n != nil {
		o.DeliveryDate = c.deliveryDate(n, ctx)
	}
	if len(c.sensitive) > 0 {
		o.Sensitive = slices.Compact(slices.Sorted(slices.Values(c.sensitive)))
	}
	c.diags = nil
}

// idRange is where the ID of a for_each instance is declared: id, or for_each
// (its key) when the block sets no id.
func (ob *orderBlock) idRange() *hcl.Range {
	if ob.id != nil {
		return &ob.id.rng
	}
	return &ob.forEach.rng
}

// instanceAddress is order.LABEL["KEY"], made in one allocation when the
// key needs no escape (an order ID, a word).
func instanceAddress(label, key string) string {
	var b strings.Builder
	b.Grow(len("order.") + len(label) + len(key) + len(`[""]`))
	b.WriteString("order.")
	b.WriteString(label)
	b.WriteByte('[')
	plain := true
	for i := 0; i < len(key) && plain; i++ {
		plain = key[i] >= ' ' && key[i] < 0x7f && key[i] != '"' && key[i] != '\\'
	}
	if plain {
		b.WriteByte('"')
		b.WriteString(key)
		b.WriteByte('"')
	} else {
		b.WriteString(strconv.Quote(key))
	}
	b.WriteByte(']')
	return b.String()
}

// deliveryDate checks a delivery_date block: a calendar date (whether it is
// past is the plan's to say, on the day it is made) and one of the API's two
// reasons, named on purpose. The shop's own reason plans, with a warning.
func (c *checker) deliveryDate(n *nestedBlock, ctx *hcl.EvalContext) *DeliveryDate {
	out := &DeliveryDate{}
	to := n.attrs["to_date"]
	if s, st, sens := c.strS(to, ctx); c.required(to, st) == valid {
		if msg := checkDate(s); msg != "" {
			c.errorf(to, "Invalid date", "to_date %s; got %s.", msg, show(s, sens))
		} else {
			out.ToDate = s
		}
	}
	reason := n.attrs["reason"]
	s, st, sens := c.strS(reason, ctx)
	if c.required(reason, st) != valid {
		return out
	}
	switch s {
	case reasonUserMoved, reasonPartnerMoved:
		out.Reason = s
	default:
		c.errorf(reason, "Invalid delivery date reason",
			"reason must be %q (the buyer asked for the new date, or agreed to an earlier one) or %q (the shop cannot deliver on time); got %s.%s",
			reasonUserMoved, reasonPartnerMoved, show(s, sens), didYouMean(s, []string{reasonUserMoved, reasonPartnerMoved}))
		return out
	}
	if s == reasonPartnerMoved {
		*c.diags = append(*c.diags, warningDiag(reason.rng, "Delivery date moved at the shop's cost",
			"%s tells the Market the shop cannot deliver on time: every such move counts against the shop, and an order moved too often is cancelled (substatus TOO_MANY_DELIVERY_DATE_CHANGES). If the buyer asked for the new date, the reason is %s.",
			reasonPartnerMoved, reasonUserMoved))
	}
	return out
}

func (ev *evaluator) interval(n *nestedBlock, ctx *hcl.EvalContext, c *checker) *Interval {
	// Whether each attribute is sensitive, by the index of its name.
	const fromDate, toDate, fromTime, toTime = 0, 1, 2, 3
	names := [...]string{"from_date", "to_date", "from_time", "to_time"}
	var sens [4]bool
	get := func(i int, what string, check func(string) string, required bool) (string, status) {
		name := names[i]
		a := n.attrs[name]
		s, st, sv := c.strS(a, ctx)
		if required {
			st = c.required(a, st)
		}
		if st != valid {
			return "", st
		}
		if msg := check(s); msg != "" {
			c.errorf(a, "Invalid "+what, "%s %s; got %s.", name, msg, show(s, sv))
			return "", invalid
		}
		sens[i] = sv
		return s, valid
	}
	from, fromSt := get(fromDate, "date", checkDate, true)
	to, toSt := get(toDate, "date", checkDate, false)
	if toSt == absent {
		to, toSt = from, fromSt
		if sens[fromDate] {
			sens[toDate] = true
			c.sensitive = append(c.sensitive, "delivery_interval.to_date")
		}
	}
	ft, ftSt := get(fromTime, "time", checkTime, true)
	tt, ttSt := get(toTime, "time", checkTime, true)
	out := &Interval{FromDate: from, ToDate: to, FromTime: ft, ToTime: tt}
	if fromSt != valid || toSt != valid {
		return out
	}
	if to < from {
		c.errorf(n.attrs["to_date"], "Invalid delivery interval", "to_date %s is before from_date %s.", show(to, sens[toDate]), show(from, sens[fromDate]))
		return out
	}
	if from == to && ftSt == valid && ttSt == valid && ft >= tt {
		c.errorf(n.attrs["to_time"], "Invalid delivery interval", "On a single day, to_time %s must be later than from_time %s.", show(tt, sens[toTime]), show(ft, sens[fromTime]))
	}
	return out
}
