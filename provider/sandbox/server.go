package sandbox

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// maxBody is the API's request body limit.
const maxBody = 512 << 10

// Options tune a Server. The zero value emulates the documented API with
// operations that settle right after they are submitted.
type Options struct {
	// APIKeys are the accepted Api-Key values; if empty, the state's keys; if
	// none either, "sandbox".
	APIKeys []string
	// UpdateDelay is how long orders/update operations stay IN_PROGRESS.
	// With 0 they settle on the next request (or Snapshot, Order, ...) after
	// the one that submitted them: never within the update's own answer.
	UpdateDelay time.Duration
	// Quotas override the documented per-endpoint quotas. A Limit <= 0 turns
	// the endpoint's quota (and its X-RateLimit headers) off.
	Quotas map[Endpoint]Quota
	// Parallel, when > 0, is the limit of concurrent requests per endpoint
	// and campaign (or business) for every endpoint. 0 keeps the documented
	// limits: 6 for the three order reads, 10 for delivery-options, none for
	// the rest. < 0 turns parallel limits off.
	Parallel int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ProcessAbandoned makes a request whose client goes away during its
	// latency (SetLatency) processed all the same, as a real server does
	// once it has read the whole request: a client killed while its write
	// is on the wire cannot know whether the write took effect. By default
	// such a request is never processed.
	ProcessAbandoned bool
	// PartnerMovesLimit, when > 0, is how many delivery date moves with
	// reason PARTNER_MOVED_DELIVERY_DATES cancel a DBS order: the move that
	// reaches it answers OK and the order becomes CANCELLED with substatus
	// TOO_MANY_DELIVERY_DATE_CHANGES. The spec documents the substatus
	// ("moved too many times"), not the number, so by default no number of
	// moves cancels an order; OrderState.PartnerDateMoves counts them.
	PartnerMovesLimit int
	// KeepCalls is how many recorded calls Calls keeps, the latest
	// (default 10,000); the older are only counted (CallsDropped).
	KeepCalls int

	// NotifyURL, when set, is the seller's notification URL: the server
	// POSTs the Market's push notifications to NotifyURL + "/notification"
	// when an order's status, delivery dates or shipment date change (see
	// notify.go), asynchronously, and records them (Notifications).
	NotifyURL string
	// NotifyRetry is the interval before a notification not answered 200 is
	// sent again (default a minute, as the Market).
	NotifyRetry time.Duration
	// NotifyAttempts is how many times a notification is sent before the
	// server gives up (default 61: the first and an hour of retries).
	NotifyAttempts int
	// NotifyTimeout limits one attempt (default 10 s, the Market's limit).
	NotifyTimeout time.Duration
	// NotifyCopies sends every notification this many times (default 1):
	// duplicates are normal in the Market.
	NotifyCopies int
	// NotifyClient sends the notifications (default http.DefaultClient).
	NotifyClient *http.Client
	// Own makes New serve the state it is given instead of a copy: the
	// caller gives it up and must not touch it again. A benchmark's
	// 100,000 orders need not be held twice.
	Own bool
}

// Server is the emulated Market Partner API. It is safe for concurrent use.
type Server struct {
	mu         sync.Mutex
	st         *State
	orders     orderIndex // order ID -> index in st.Orders
	campaigns  map[int64]int
	businesses map[int64]int
	operations map[string]int
	// The read indexes, so that a request costs what it asks for, not the
	// size of the shop: the indexes of st.Orders of each campaign and of
	// each business, by order ID; the operations still in progress; and the
	// order that holds each track of a campaign.
	byCampaign map[int64][]int32
	byBusiness map[int64][]int32
	inProgress []int // indexes in st.Operations
	tracks     map[trackKey][]int64
	keys       map[string]bool
	delay      time.Duration
	now        func() time.Time
	limits     *limiter
	failNext   []Fault
	drops      []Fault
	malformed  []Fault
	latency    map[Endpoint]time.Duration
	calls      callLog
	mux        *http.ServeMux
	// processAbandoned: Options.ProcessAbandoned.
	processAbandoned bool
	// partnerMovesLimit: Options.PartnerMovesLimit.
	partnerMovesLimit int
	// notify sends notifications; nil without Options.NotifyURL.
	notify *notifier
	// started is when the timeline's delays count from; timers wake it.
	started time.Time
	timers  []*time.Timer
}

// New returns a server serving a copy of st (nil: an empty state), or st
// itself with Options.Own.
func New(st *State, opt Options) *Server {
	if st == nil {
		st = &State{}
	}
	if !opt.Own {
		st = st.Clone()
	}
	st.fillDerived()
	s := &Server{
		st:      st,
		delay:   opt.UpdateDelay,
		now:     opt.Now,
		limits:  newLimiter(opt),
		latency: map[Endpoint]time.Duration{},
		keys:    map[string]bool{},
		calls:   callLog{keep: cmp.Or(max(opt.KeepCalls, 0), defaultKeepCalls)},

		processAbandoned:  opt.ProcessAbandoned,
		partnerMovesLimit: opt.PartnerMovesLimit,
		notify:            newNotifier(opt),
	}
	if s.now == nil {
		s.now = time.Now
	}
	keys := opt.APIKeys
	if len(keys) == 0 {
		keys = st.APIKeys
	}
	if len(keys) == 0 {
		keys = []string{"sandbox"}
	}
	for _, k := range keys {
		s.keys[k] = true
	}
	s.reindex()
	s.mux = s.newMux()
	s.startTimeline()
	return s
}

func (s *Server) reindex() {
	s.orders = newOrderIndex(s.st.Orders)
	s.campaigns = make(map[int64]int, len(s.st.Campaigns))
	for i, c := range s.st.Campaigns {
		s.campaigns[c.ID] = i
	}
	s.businesses = make(map[int64]int, len(s.st.Businesses))
	for i, b := range s.st.Businesses {
		s.businesses[b.ID] = i
	}
	s.operations = make(map[string]int, len(s.st.Operations))
	s.inProgress = nil
	for i, op := range s.st.Operations {
		s.operations[op.ID] = i
		if op.Status == OperationInProgress {
			s.inProgress = append(s.inProgress, i)
		}
	}
	// Orders are never added or removed after New: only their fields
	// change, and of those only the tracks are indexed. Each index is made
	// at its size: at 100,000 orders, what an append leaves spare counts.
	byID := make([]int32, len(s.st.Orders))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return cmp.Compare(s.st.Orders[a].ID, s.st.Orders[b].ID) })
	businessOf := func(o *OrderState) (int64, bool) {
		c := s.campaign(o.CampaignID)
		if c == nil {
			return 0, false
		}
		return c.BusinessID, true
	}
	campaignSizes, businessSizes, tracks := map[int64]int{}, map[int64]int{}, 0
	for i := range s.st.Orders {
		o := &s.st.Orders[i]
		campaignSizes[o.CampaignID]++
		if b, ok := businessOf(o); ok {
			businessSizes[b]++
		}
		tracks += len(o.Delivery.Tracks)
	}
	s.byCampaign = make(map[int64][]int32, len(campaignSizes))
	for id, n := range campaignSizes {
		s.byCampaign[id] = make([]int32, 0, n)
	}
	s.byBusiness = make(map[int64][]int32, len(businessSizes))
	for id, n := range businessSizes {
		s.byBusiness[id] = make([]int32, 0, n)
	}
	s.tracks = make(map[trackKey][]int64, tracks)
	for _, i := range byID {
		o := &s.st.Orders[i]
		s.byCampaign[o.CampaignID] = append(s.byCampaign[o.CampaignID], i)
		if b, ok := businessOf(o); ok {
			s.byBusiness[b] = append(s.byBusiness[b], i)
		}
		s.indexTracks(o)
	}
}

// orderIndex is where each order is in st.Orders by its ID: by ID minus the
// lowest when the IDs are dense enough (generated ones are consecutive), a
// map otherwise. A map costs some 24 bytes an order, the slice 4.
type orderIndex struct {
	base  int64
	dense []int32 // 1 + the index of the order with ID base+i; 0: none
	any   map[int64]int32
}

func newOrderIndex(orders []OrderState) orderIndex {
	if len(orders) == 0 {
		return orderIndex{}
	}
	lo, hi := orders[0].ID, orders[0].ID
	for _, o := range orders {
		lo, hi = min(lo, o.ID), max(hi, o.ID)
	}
	if span := uint64(hi - lo); span >= uint64(4*len(orders)) || span >= math.MaxInt32 {
		x := orderIndex{any: make(map[int64]int32, len(orders))}
		for i, o := range orders {
			x.any[o.ID] = int32(i)
		}
		return x
	}
	x := orderIndex{base: lo, dense: make([]int32, hi-lo+1)}
	for i, o := range orders {
		x.dense[o.ID-lo] = int32(i) + 1
	}
	return x
}

// find is the index of the order with this ID.
func (x *orderIndex) find(id int64) (int, bool) {
	if x.any != nil {
		i, ok := x.any[id]
		return int(i), ok
	}
	if d := uint64(id - x.base); id >= x.base && d < uint64(len(x.dense)) && x.dense[d] != 0 {
		return int(x.dense[d]) - 1, true
	}
	return 0, false
}

// trackKey is a track in a campaign.
type trackKey struct {
	campaignID int64
	track      Track
}

// indexTracks records which orders hold o's tracks.
func (s *Server) indexTracks(o *OrderState) {
	for _, t := range o.Delivery.Tracks {
		k := trackKey{o.CampaignID, t}
		if !slices.Contains(s.tracks[k], o.ID) {
			s.tracks[k] = append(s.tracks[k], o.ID)
		}
	}
}

// unindexTracks forgets o's tracks, before they change.
func (s *Server) unindexTracks(o *OrderState) {
	for _, t := range o.Delivery.Tracks {
		k := trackKey{o.CampaignID, t}
		if ids := slices.DeleteFunc(s.tracks[k], func(id int64) bool { return id == o.ID }); len(ids) > 0 {
			s.tracks[k] = ids
		} else {
			delete(s.tracks, k)
		}
	}
}

// trackHolder is an order of the campaign other than except that holds t,
// 0 if none. (A seed, or a change made elsewhere, may give two orders one
// track: the API would not, but the emulator keeps what it was given.)
func (s *Server) trackHolder(campaignID int64, t Track, except int64) int64 {
	for _, id := range s.tracks[trackKey{campaignID, t}] {
		if id != except {
			return id
		}
	}
	return 0
}

func (s *Server) order(id int64) *OrderState {
	if i, ok := s.orders.find(id); ok {
		return &s.st.Orders[i]
	}
	return nil
}

func (s *Server) campaign(id int64) *Campaign {
	if i, ok := s.campaigns[id]; ok {
		return &s.st.Campaigns[i]
	}
	return nil
}

func (s *Server) business(id int64) *Business {
	if i, ok := s.businesses[id]; ok {
		return &s.st.Businesses[i]
	}
	return nil
}

// ServeHTTP answers one API request: the mux finds the endpoint (see
// routes.go), then serve does the rest.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !cleanPath(r.URL.EscapedPath()) { // the mux would redirect it
		s.serve(w, r, nil, route{}, notFound("no method at %s", r.URL.Path))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// serve answers a request to row (nil: no endpoint) with its path
// parameters, or the routing error: body limit, auth, rate limits, injected
// faults and latency, then the endpoint itself. Every request is recorded.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, row *endpoint, rt route, routeErr *apiError) {
	body, bodyErr := readBody(r.Body)
	in := input{route: rt, query: r.URL.Query(), body: body}
	if row != nil && row.parse != nil {
		in.req = row.parse(in) // before the lock: it reads the request only
	}
	arrived := s.now()

	s.mu.Lock()
	call := &Call{Time: arrived, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Endpoint: rt.endpoint, CampaignID: rt.campaignID, BusinessID: rt.businessID, Body: body,
		Integration: r.Header.Get("X-Market-Integration")}
	if c := s.campaign(rt.campaignID); c != nil {
		call.BusinessID = c.BusinessID
	}
	call.OrderIDs = s.requestOrderIDs(row, in)
	s.calls.add(call)

	key := limitKey{rt.endpoint, rt.scope()}
	var headers rateHeaders
	refusal := routeErr
	if refusal == nil {
		headers = s.limits.peek(key, arrived)
		refusal = bodyErr
	}
	if refusal == nil {
		refusal = s.authenticate(r.Header.Get("Api-Key"))
	}
	if refusal == nil {
		headers, refusal = s.limits.admit(key, arrived)
		if refusal == nil {
			defer func() {
				s.mu.Lock()
				s.limits.release(key)
				s.mu.Unlock()
			}()
		}
	}
	if refusal == nil {
		refusal = s.takeFailure(rt.endpoint, call.OrderIDs)
	}
	if refusal != nil {
		call.Status = refusal.status
		s.mu.Unlock()
		headers.write(w)
		refusal.response().write(w)
		return
	}
	delay := s.latency[rt.endpoint]
	s.mu.Unlock()

	if !s.wait(r, delay) {
		return // the client gave up: the request is never processed
	}

	s.mu.Lock()
	in.now = s.now()
	s.settle(in.now, false)
	resp := row.handle(s, in)
	call.Status, call.Processed = resp.status, true
	if row.write && resp.status/100 == 2 {
		s.calls.wrote = true
	}
	drop := resp.status/100 == 2 && s.takeDrop(rt.endpoint, call.OrderIDs)
	call.Dropped = drop
	if resp.status/100 == 2 && !drop {
		if f, ok := take(&s.malformed, rt.endpoint, call.OrderIDs); ok {
			resp = response{status: resp.status, raw: []byte(cmp.Or(f.Body, "{}")), malformed: true}
		}
	}
	s.mu.Unlock()

	if drop {
		dropConnection(w)
		return
	}
	headers.write(w)
	resp.write(w)
}

func readBody(r io.Reader) ([]byte, *apiError) {
	if r == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return body, badRequest("read request body: %v", err)
	}
	if len(body) > maxBody {
		return body[:maxBody], badRequest("request body exceeds %d KB", maxBody>>10)
	}
	return body, nil
}

func (s *Server) authenticate(key string) *apiError {
	switch {
	case key == "":
		return newAPIError(http.StatusUnauthorized, "UNAUTHORIZED", "no authorization data: send the Api-Key header")
	case !s.keys[key]:
		return newAPIError(http.StatusForbidden, "FORBIDDEN", "the API key is invalid or has no access to this resource")
	}
	return nil
}

// Snapshot returns a deep copy of the current state, with every operation
// whose time has come applied.
func (s *Server) Snapshot() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.now(), false)
	return s.st.Clone()
}

// Order returns a copy of one order's current state.
func (s *Server) Order(orderID int64) (OrderState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.now(), false)
	o := s.order(orderID)
	if o == nil {
		return OrderState{}, false
	}
	return o.clone(), true
}

// UpdateOrder changes an order as if it changed elsewhere (the buyer, the
// courier, the Market): f edits a copy, which replaces the order if it is
// still valid. updatedAt bumps unless f set it. A change of status or dates
// sends its notification (Options.NotifyURL).
func (s *Server) UpdateOrder(orderID int64, f func(*OrderState)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.settle(now, false)
	o := s.order(orderID)
	if o == nil {
		return fmt.Errorf("update sandbox order %d: no such order", orderID)
	}
	c := o.clone()
	f(&c)
	if c.ID != o.ID || c.CampaignID != o.CampaignID {
		return fmt.Errorf("update sandbox order %d: the id and campaignId cannot change", orderID)
	}
	c.Delivery.PartnerType = o.Delivery.PartnerType
	if c.UpdatedAt.Equal(o.UpdatedAt) {
		bumpUpdatedAt(&c, now)
	}
	var model string
	if camp := s.campaign(c.CampaignID); camp != nil {
		model = camp.PlacementType
	}
	if err := errors.Join(checkOrder(c, model)...); err != nil {
		return fmt.Errorf("update sandbox order %d: %w", orderID, err)
	}
	before := markOf(o)
	s.unindexTracks(o)
	*o = c
	s.indexTracks(o)
	s.noticeChange(before, o)
	return nil
}

// bumpUpdatedAt moves updatedAt to now, and at least a second forward: the
// API shows seconds, and a change must be visible in updatedAt.
func bumpUpdatedAt(o *OrderState, now time.Time) {
	t := now.Truncate(time.Second)
	if !t.After(o.UpdatedAt) {
		t = o.UpdatedAt.Truncate(time.Second).Add(time.Second)
	}
	o.UpdatedAt = t
}
