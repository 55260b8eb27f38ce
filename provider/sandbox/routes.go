package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Routing: the endpoint table, its registration on an http.ServeMux, and the
// path parameters of a request.

// Endpoint names one emulated API method; quotas, faults, latency and
// recorded calls are keyed by it.
type Endpoint string

// The emulated endpoints; the table below says where each is served.
const (
	EndpointGetOrder        Endpoint = "get_order"
	EndpointListOrders      Endpoint = "list_orders"
	EndpointBusinessOrders  Endpoint = "business_orders"
	EndpointGetCampaign     Endpoint = "get_campaign"
	EndpointTrack           Endpoint = "track"
	EndpointDeliveryDate    Endpoint = "delivery_date"
	EndpointUpdateOptions   Endpoint = "update_options"
	EndpointUpdate          Endpoint = "update"
	EndpointOperations      Endpoint = "operations"
	EndpointDeliveryOptions Endpoint = "delivery_options"
)

// endpointLimits are an endpoint's documented limits
// (x-resource-limit-config in the OpenAPI spec).
type endpointLimits struct {
	resource int   // x-resource-id, named in 420 messages
	quota    Quota // per campaign, or per business for business endpoints
	parallel int   // parallel-limit-value; 0: none documented
}

// input is what an endpoint's handler gets: the path parameters, the query,
// the body, what the endpoint's parse made of them, and the instant it is
// processed at.
type input struct {
	route
	query url.Values
	body  []byte
	req   any
	now   time.Time
}

// endpoint is one row of the table: everything the server knows about one
// API method.
type endpoint struct {
	name   Endpoint
	method string
	path   string // an http.ServeMux path pattern; {campaignId}, {businessId}, {orderId} are parsed
	limits endpointLimits
	// write: a 2xx answer means the request changed the state (or started
	// an operation that will).
	write bool
	// parse, if set, reads the query and body into input.req before the
	// server's lock is taken: it must not touch the server. What it finds
	// wrong is for handle to answer, in the order of the API's checks.
	parse func(in input) any
	// orderIDs names the orders a request is about, leniently: it is for
	// recording and fault matching, validation comes later. nil: the
	// path's order, if the path has one.
	orderIDs func(s *Server, in input) []int64
	// handle runs the endpoint; the caller holds the lock.
	handle func(s *Server, in input) response
}

// pattern is the row's http.ServeMux pattern, method included.
func (e *endpoint) pattern() string { return e.method + " " + e.path }

// endpoints is the table. Limits are the spec's x-resource-limit-config.
var endpoints = []*endpoint{
	{name: EndpointGetOrder, method: http.MethodGet, path: "/v2/campaigns/{campaignId}/orders/{orderId}",
		limits: endpointLimits{28, Quota{10000, time.Hour}, 6},
		handle: func(s *Server, in input) response { return s.getOrder(in.route) }},
	{name: EndpointListOrders, method: http.MethodGet, path: "/v2/campaigns/{campaignId}/orders",
		limits:   endpointLimits{27, Quota{10000, time.Hour}, 6},
		parse:    func(in input) any { return parseListOrders(in.query) },
		orderIDs: func(_ *Server, in input) []int64 { return queryOrderIDs(in.query) },
		handle:   func(s *Server, in input) response { return s.listOrders(in.route, in.req.(*listOrdersQuery)) }},
	{name: EndpointBusinessOrders, method: http.MethodPost, path: "/v1/businesses/{businessId}/orders",
		limits:   endpointLimits{283, Quota{10000, time.Hour}, 6},
		parse:    func(in input) any { return parseBusinessOrders(in.query, in.body) },
		orderIDs: func(_ *Server, in input) []int64 { return in.req.(*businessOrdersQuery).orderIDs },
		handle:   func(s *Server, in input) response { return s.businessOrders(in.route, in.req.(*businessOrdersQuery)) }},
	{name: EndpointGetCampaign, method: http.MethodGet, path: "/v2/campaigns/{campaignId}",
		limits: endpointLimits{2, Quota{5000, time.Hour}, 0},
		handle: func(s *Server, in input) response { return s.getCampaign(in.route) }},
	{name: EndpointTrack, method: http.MethodPost, path: "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/track",
		limits: endpointLimits{136, Quota{10000, time.Hour}, 0}, write: true,
		handle: func(s *Server, in input) response { return s.setTrack(in.route, in.body, in.now) }},
	{name: EndpointDeliveryDate, method: http.MethodPut, path: "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/date",
		limits: endpointLimits{138, Quota{10000, time.Hour}, 0}, write: true,
		handle: func(s *Server, in input) response { return s.setDeliveryDate(in.route, in.body, in.now) }},
	{name: EndpointUpdateOptions, method: http.MethodPost, path: "/v1/campaigns/{campaignId}/orders/update-options",
		limits: endpointLimits{280, Quota{10000, time.Hour}, 0},
		orderIDs: func(_ *Server, in input) []int64 {
			var req struct {
				ID int64 `json:"id"`
			}
			_ = json.Unmarshal(in.body, &req)
			return nonZero(req.ID)
		},
		handle: func(s *Server, in input) response { return s.updateOptions(in.route, in.body) }},
	{name: EndpointUpdate, method: http.MethodPost, path: "/v1/campaigns/{campaignId}/orders/update",
		limits: endpointLimits{273, Quota{10000, time.Hour}, 0}, write: true,
		orderIDs: func(_ *Server, in input) []int64 {
			var req struct {
				Order struct {
					ID int64 `json:"id"`
				} `json:"order"`
			}
			_ = json.Unmarshal(in.body, &req)
			return nonZero(req.Order.ID)
		},
		handle: func(s *Server, in input) response { return s.updateOrder(in.route, in.body, in.now) }},
	{name: EndpointOperations, method: http.MethodPost, path: "/v1/businesses/{businessId}/operations",
		limits:   endpointLimits{279, Quota{1000, time.Hour}, 0},
		orderIDs: (*Server).operationOrderIDs,
		handle:   func(s *Server, in input) response { return s.getOperations(in.route, in.body) }},
	{name: EndpointDeliveryOptions, method: http.MethodPost, path: "/v1/campaigns/{campaignId}/delivery-options",
		limits: endpointLimits{274, Quota{1000, time.Minute}, 10},
		handle: func(s *Server, in input) response { return s.deliveryOptions(in.route, in.body) }},
}

// endpointNamed is the table's row of e, or nil.
func endpointNamed(e Endpoint) *endpoint {
	for _, row := range endpoints {
		if row.name == e {
			return row
		}
	}
	return nil
}

// Endpoints lists every endpoint the emulator serves.
func Endpoints() []Endpoint {
	out := make([]Endpoint, len(endpoints))
	for i, row := range endpoints {
		out[i] = row.name
	}
	return out
}

// DocumentedQuotas are the quotas of every endpoint as the spec documents
// them (what Options.Quotas overrides).
func DocumentedQuotas() map[Endpoint]Quota {
	out := make(map[Endpoint]Quota, len(endpoints))
	for _, row := range endpoints {
		out[row.name] = row.limits.quota
	}
	return out
}

// IsWrite reports whether e changes orders: a processed request to it
// answered 2xx took effect.
func (e Endpoint) IsWrite() bool {
	row := endpointNamed(e)
	return row != nil && row.write
}

func limitsOf(e Endpoint) endpointLimits {
	if row := endpointNamed(e); row != nil {
		return row.limits
	}
	return endpointLimits{}
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

// newMux registers the table: each row's pattern serves the endpoint; the
// same path with any other method answers 405 with the API's envelope, and
// every other path 404.
func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	methods := map[string][]string{} // path -> the methods it takes
	for _, row := range endpoints {
		mux.HandleFunc(row.pattern(), func(w http.ResponseWriter, r *http.Request) {
			rt, err := parseRoute(row, r)
			if r.Method != row.method { // a GET pattern also matches HEAD
				err = methodNotAllowed(r.URL.Path, []string{row.method}, r.Method)
			}
			s.serve(w, r, row, rt, err)
		})
		methods[row.path] = append(methods[row.path], row.method)
	}
	for p, takes := range methods {
		row := endpoints[slices.IndexFunc(endpoints, func(e *endpoint) bool { return e.path == p })]
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			rt, _ := parseRoute(row, r) // recorded as the path's endpoint
			s.serve(w, r, row, rt, methodNotAllowed(r.URL.Path, takes, r.Method))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, nil, route{}, notFound("no method at %s", r.URL.Path))
	})
	return mux
}

func methodNotAllowed(path string, takes []string, got string) *apiError {
	return newAPIError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "%s takes %s, not %s", path, strings.Join(takes, " or "), got)
}

// cleanPath reports whether p is already in the form http.ServeMux matches;
// the mux would redirect any other path, the API answers it 404.
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// parseRoute reads the path parameters the row's pattern names, in the
// order campaignId, businessId, orderId, stopping at the first that is not
// a positive integer.
func parseRoute(row *endpoint, r *http.Request) (route, *apiError) {
	rt := route{endpoint: row.name}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"campaignId", &rt.campaignID}, {"businessId", &rt.businessID}, {"orderId", &rt.orderID}} {
		if !strings.Contains(row.path, "{"+p.name+"}") {
			continue
		}
		v := r.PathValue(p.name)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return rt, badRequest("path parameter %s must be a positive integer, got %q", p.name, v)
		}
		*p.dst = n
	}
	return rt, nil
}

// requestOrderIDs names the orders a request is about (endpoint.orderIDs).
func (s *Server) requestOrderIDs(row *endpoint, in input) []int64 {
	switch {
	case row == nil:
		return nil
	case row.orderIDs != nil:
		return row.orderIDs(s, in)
	case strings.Contains(row.path, "{orderId}"):
		return []int64{in.orderID}
	}
	return nil
}

func queryOrderIDs(query url.Values) []int64 {
	var ids []int64
	for _, v := range query["orderIds"] {
		for _, p := range strings.Split(v, ",") {
			if n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
				ids = append(ids, n)
			}
		}
	}
	return ids
}

func (s *Server) operationOrderIDs(in input) []int64 {
	var req struct {
		OperationIDs []string `json:"operationIds"`
	}
	_ = json.Unmarshal(in.body, &req)
	var ids []int64
	for _, id := range req.OperationIDs {
		if i, ok := s.operations[id]; ok && !slices.Contains(ids, s.st.Operations[i].OrderID) {
			ids = append(ids, s.st.Operations[i].OrderID)
		}
	}
	return ids
}

func nonZero(id int64) []int64 {
	if id == 0 {
		return nil
	}
	return []int64{id}
}
