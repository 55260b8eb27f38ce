package sandbox

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
}

// Fault describes requests to sabotage: the next Count requests (at least 1)
// to Endpoint ("" = any) about OrderID (0 = any order).
type Fault struct {
	Endpoint Endpoint
	OrderID  int64
	Count    int
	Status   int    // FailNext only; default 500
	Body     string // MalformNext only: the answer's body; default "{}"
	// Bare (FailNext only): the failure is a gateway's, an HTML page
	// without the API's error envelope.
	Bare bool
}

func (f Fault) matches(e Endpoint, orderIDs []int64) bool {
	return (f.Endpoint == "" || f.Endpoint == e) && (f.OrderID == 0 || slices.Contains(orderIDs, f.OrderID))
}

// Call is one recorded request.
type Call struct {
	Time       time.Time // arrival
	Method     string
	Path       string
	Query      string // raw query
	Endpoint   Endpoint
	CampaignID int64
	BusinessID int64   // from the path, or the campaign's business
	OrderIDs   []int64 // the orders the request names (path, query or body)
	Body       []byte
	Status     int // 0 while in flight, or when the client went away first
	// Processed is true when the request reached the endpoint's logic (which
	// may still have answered 4xx): false for auth failures, 420s, injected
	// failures and malformed paths. A 2xx write with Processed took effect.
	Processed bool
	Dropped   bool // processed, then the connection was closed without an answer
}

// Server is the emulated Market Partner API. It is safe for concurrent use.
type Server struct {
	mu         sync.Mutex
	st         *State
	orders     map[int64]int // order ID -> index in st.Orders
	campaigns  map[int64]int
	businesses map[int64]int
	operations map[string]int
	keys       map[string]bool
	delay      time.Duration
	now        func() time.Time
	limits     *limiter
	failNext   []Fault
	drops      []Fault
	malformed  []Fault
	latency    map[Endpoint]time.Duration
	calls      []*Call
	// processAbandoned: Options.ProcessAbandoned.
	processAbandoned bool
}

// New returns a server serving a copy of st (nil: an empty state).
func New(st *State, opt Options) *Server {
	if st == nil {
		st = &State{}
	}
	st = st.Clone()
	st.fillDerived()
	s := &Server{
		st:      st,
		delay:   opt.UpdateDelay,
		now:     opt.Now,
		limits:  newLimiter(opt),
		latency: map[Endpoint]time.Duration{},
		keys:    map[string]bool{},

		processAbandoned: opt.ProcessAbandoned,
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
	return s
}

func (s *Server) reindex() {
	s.orders = make(map[int64]int, len(s.st.Orders))
	for i, o := range s.st.Orders {
		s.orders[o.ID] = i
	}
	s.campaigns = make(map[int64]int, len(s.st.Campaigns))
	for i, c := range s.st.Campaigns {
		s.campaigns[c.ID] = i
	}
	s.businesses = make(map[int64]int, len(s.st.Businesses))
	for i, b := range s.st.Businesses {
		s.businesses[b.ID] = i
	}
	s.operations = make(map[string]int, len(s.st.Operations))
	for i, op := range s.st.Operations {
		s.operations[op.ID] = i
	}
}

func (s *Server) order(id int64) *OrderState {
	if i, ok := s.orders[id]; ok {
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

// route is a request's endpoint with its path parameters.
type route struct {
	endpoint   Endpoint
	campaignID int64
	businessID int64
	orderID    int64
}

// scope is what the endpoint's quota is counted per.
func (rt route) scope() int64 {
	if rt.businessID != 0 {
		return rt.businessID
	}
	return rt.campaignID
}

// parseRoute maps a method and path to an endpoint.
func parseRoute(method, path string) (route, *apiError) {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var rt route
	var want string // the method the path takes
	id := func(i int, name string, dst *int64) *apiError {
		n, err := strconv.ParseInt(seg[i], 10, 64)
		if err != nil || n < 1 {
			return badRequest("path parameter %s must be a positive integer, got %q", name, seg[i])
		}
		*dst = n
		return nil
	}
	var err *apiError
	switch {
	case len(seg) >= 3 && seg[0] == "v2" && seg[1] == "campaigns":
		err = id(2, "campaignId", &rt.campaignID)
		switch {
		case len(seg) == 3:
			rt.endpoint, want = EndpointGetCampaign, http.MethodGet
		case len(seg) == 4 && seg[3] == "orders":
			rt.endpoint, want = EndpointListOrders, http.MethodGet
		case len(seg) == 5 && seg[3] == "orders":
			rt.endpoint, want = EndpointGetOrder, http.MethodGet
		case len(seg) == 7 && seg[3] == "orders" && seg[5] == "delivery" && seg[6] == "track":
			rt.endpoint, want = EndpointTrack, http.MethodPost
		}
		if err == nil && (rt.endpoint == EndpointGetOrder || rt.endpoint == EndpointTrack) {
			err = id(4, "orderId", &rt.orderID)
		}
	case len(seg) >= 3 && seg[0] == "v1" && seg[1] == "campaigns":
		err = id(2, "campaignId", &rt.campaignID)
		switch {
		case len(seg) == 5 && seg[3] == "orders" && seg[4] == "update-options":
			rt.endpoint, want = EndpointUpdateOptions, http.MethodPost
		case len(seg) == 5 && seg[3] == "orders" && seg[4] == "update":
			rt.endpoint, want = EndpointUpdate, http.MethodPost
		case len(seg) == 4 && seg[3] == "delivery-options":
			rt.endpoint, want = EndpointDeliveryOptions, http.MethodPost
		}
	case len(seg) == 4 && seg[0] == "v1" && seg[1] == "businesses":
		err = id(2, "businessId", &rt.businessID)
		switch seg[3] {
		case "orders":
			rt.endpoint, want = EndpointBusinessOrders, http.MethodPost
		case "operations":
			rt.endpoint, want = EndpointOperations, http.MethodPost
		}
	}
	switch {
	case rt.endpoint == "":
		return route{}, notFound("no method at %s", path)
	case method != want:
		return rt, newAPIError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "%s takes %s, not %s", path, want, method)
	case err != nil:
		return rt, err
	}
	return rt, nil
}

// ServeHTTP answers one API request: route, body limit, auth, rate limits,
// injected faults and latency, then the endpoint itself.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, routeErr := parseRoute(r.Method, r.URL.Path)
	body, bodyErr := readBody(r.Body)
	query := r.URL.Query()
	arrived := s.now()

	s.mu.Lock()
	call := &Call{Time: arrived, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Endpoint: rt.endpoint, CampaignID: rt.campaignID, BusinessID: rt.businessID, Body: body}
	if c := s.campaign(rt.campaignID); c != nil {
		call.BusinessID = c.BusinessID
	}
	call.OrderIDs = s.requestOrderIDs(rt, query, body)
	s.calls = append(s.calls, call)

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

	if delay > 0 {
		t := time.NewTimer(delay)
		gone := r.Context().Done()
		if s.processAbandoned {
			gone = nil // processed whether or not anyone reads the answer
		}
		select {
		case <-t.C:
		case <-gone:
			t.Stop()
			return // the client gave up: the request is never processed
		}
	}

	s.mu.Lock()
	now := s.now()
	s.settle(now, false)
	resp := s.handle(rt, query, body, now)
	call.Status, call.Processed = resp.status, true
	drop := resp.status/100 == 2 && s.takeDrop(rt.endpoint, call.OrderIDs)
	call.Dropped = drop
	if resp.status/100 == 2 && !drop {
		if f, ok := take(&s.malformed, rt.endpoint, call.OrderIDs); ok {
			resp = response{status: resp.status, raw: []byte(cmp.Or(f.Body, "{}"))}
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

// dropConnection closes the connection without an answer: the client sees a
// network error although the request took effect.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close() // closing is the point; its error changes nothing
			return
		}
	}
	// HTTP/2 or a recorder: the server aborts the stream without logging.
	panic(http.ErrAbortHandler)
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

// takeFailure consumes a FailNext fault matching the request.
func (s *Server) takeFailure(e Endpoint, orderIDs []int64) *apiError {
	f, ok := take(&s.failNext, e, orderIDs)
	if !ok {
		return nil
	}
	ae := newAPIError(f.Status, codeForStatus(f.Status), "injected failure: HTTP %d", f.Status)
	ae.bare = f.Bare
	return ae
}

func (s *Server) takeDrop(e Endpoint, orderIDs []int64) bool {
	_, ok := take(&s.drops, e, orderIDs)
	return ok
}

// take consumes one use of the first fault in *faults matching the request.
func take(faults *[]Fault, e Endpoint, orderIDs []int64) (Fault, bool) {
	for i, f := range *faults {
		if !f.matches(e, orderIDs) {
			continue
		}
		if (*faults)[i].Count--; (*faults)[i].Count <= 0 {
			*faults = slices.Delete(*faults, i, i+1)
		}
		return f, true
	}
	return Fault{}, false
}

// requestOrderIDs names the orders a request is about, leniently: it is for
// recording and fault matching, validation comes later.
func (s *Server) requestOrderIDs(rt route, query url.Values, body []byte) []int64 {
	switch rt.endpoint {
	case EndpointGetOrder, EndpointTrack:
		return []int64{rt.orderID}
	case EndpointListOrders:
		var ids []int64
		for _, v := range query["orderIds"] {
			for _, p := range strings.Split(v, ",") {
				if n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
					ids = append(ids, n)
				}
			}
		}
		return ids
	case EndpointUpdateOptions:
		var req struct {
			ID int64 `json:"id"`
		}
		_ = json.Unmarshal(body, &req) // lenient: what decodes is enough
		if req.ID != 0 {
			return []int64{req.ID}
		}
	case EndpointUpdate:
		var req struct {
			Order struct {
				ID int64 `json:"id"`
			} `json:"order"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Order.ID != 0 {
			return []int64{req.Order.ID}
		}
	case EndpointBusinessOrders:
		var req struct {
			OrderIDs []int64 `json:"orderIds"`
		}
		_ = json.Unmarshal(body, &req)
		return req.OrderIDs
	case EndpointOperations:
		var req struct {
			OperationIDs []string `json:"operationIds"`
		}
		_ = json.Unmarshal(body, &req)
		var ids []int64
		for _, id := range req.OperationIDs {
			if i, ok := s.operations[id]; ok && !slices.Contains(ids, s.st.Operations[i].OrderID) {
				ids = append(ids, s.st.Operations[i].OrderID)
			}
		}
		return ids
	}
	return nil
}

// handle runs the endpoint; the caller holds the lock.
func (s *Server) handle(rt route, query url.Values, body []byte, now time.Time) response {
	switch rt.endpoint {
	case EndpointGetOrder:
		return s.getOrder(rt)
	case EndpointListOrders:
		return s.listOrders(rt, query)
	case EndpointBusinessOrders:
		return s.businessOrders(rt, query, body)
	case EndpointGetCampaign:
		return s.getCampaign(rt)
	case EndpointTrack:
		return s.setTrack(rt, body, now)
	case EndpointUpdateOptions:
		return s.updateOptions(rt, body)
	case EndpointUpdate:
		return s.updateOrder(rt, body, now)
	case EndpointOperations:
		return s.getOperations(rt, body)
	case EndpointDeliveryOptions:
		return s.deliveryOptions(rt, body)
	}
	return notFound("no method at this path").response()
}

// Snapshot returns a deep copy of the current state, with every operation
// whose time has come applied.
func (s *Server) Snapshot() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.now(), false)
	return s.st.Clone()
}

// Save writes the current state to path atomically (a temporary file renamed
// over it), readable by the owner only: it holds API keys and personal data.
func (s *Server) Save(path string) error {
	data, err := json.MarshalIndent(s.Snapshot(), "", "  ")
	if err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	data = append(data, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save sandbox state: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save sandbox state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save sandbox state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	return nil
}

// Calls returns the recorded requests in order of arrival.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = *c
		out[i].OrderIDs = slices.Clone(c.OrderIDs)
		out[i].Body = slices.Clone(c.Body)
	}
	return out
}

// ResetCalls forgets the recorded requests.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
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
// still valid. updatedAt bumps unless f set it.
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
	*o = c
	return nil
}

// Settle applies every pending operation now, whatever its time.
func (s *Server) Settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.now(), true)
}

// FailNext makes the next f.Count requests matching f fail with f.Status
// (default 500) without being processed.
func (s *Server) FailNext(f Fault) {
	f.Count = max(f.Count, 1)
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, f)
}

// DropAfterProcessing makes the next f.Count requests matching f that
// succeed take effect and then lose their answer: the connection is closed.
func (s *Server) DropAfterProcessing(f Fault) {
	f.Count = max(f.Count, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops = append(s.drops, f)
}

// MalformNext makes the next f.Count requests matching f that succeed take
// effect and then answer f.Body (default "{}") with their 2xx status: an
// answer that is not the documented shape.
func (s *Server) MalformNext(f Fault) {
	f.Count = max(f.Count, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.malformed = append(s.malformed, f)
}

// FailOperations makes the orders/update operations of an order, pending and
// future, end FAILED without changing it.
func (s *Server) FailOperations(orderID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.order(orderID); o != nil {
		o.FailOperations = true
	}
}

// SetLatency delays every admitted request to e by d before it is processed
// (it counts against the parallel limit meanwhile).
func (s *Server) SetLatency(e Endpoint, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[e] = d
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
