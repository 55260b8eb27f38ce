package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderform/orderform/internal/endpoint"
)

// DefaultEndpoint is the Market Partner API's base URL.
const DefaultEndpoint = "https://api.partner.market.yandex.ru"

// Endpoint names: the keys of Config.Quotas and what Hooks report. They match
// the emulator's (provider/sandbox).
const (
	EndpointGetOrder        = "get_order"
	EndpointListOrders      = "list_orders"
	EndpointBusinessOrders  = "business_orders"
	EndpointGetCampaign     = "get_campaign"
	EndpointTrack           = "track"
	EndpointUpdateOptions   = "update_options"
	EndpointUpdate          = "update"
	EndpointOperations      = "operations"
	EndpointDeliveryOptions = "delivery_options"
	EndpointDeliveryDate    = "delivery_date"
)

// Quota is a rate limit: at most Limit requests in any Period.
type Quota struct {
	Limit  int
	Period time.Duration
}

// DefaultQuotas are the documented limits, per campaign or business, of the
// current spec (api/openapi/paths). The seeds said 100,000/hour for track;
// the spec says 10,000, and the lower one is the safe one.
func DefaultQuotas() map[string]Quota {
	return map[string]Quota{
		EndpointGetOrder:        {10000, time.Hour},
		EndpointListOrders:      {10000, time.Hour},
		EndpointBusinessOrders:  {10000, time.Hour},
		EndpointGetCampaign:     {5000, time.Hour},
		EndpointTrack:           {10000, time.Hour},
		EndpointUpdateOptions:   {10000, time.Hour},
		EndpointUpdate:          {10000, time.Hour},
		EndpointOperations:      {1000, time.Hour},
		EndpointDeliveryOptions: {1000, time.Minute},
		EndpointDeliveryDate:    {10000, time.Hour},
	}
}

// DefaultParallel is the documented cap on parallel requests.
const DefaultParallel = 6

const (
	maxResponseBody = 16 << 20
	maxRequestBody  = 512 << 10
	debugBodyLimit  = 2 << 10
	defaultTimeout  = 30 * time.Second
)

// RetryPolicy bounds the retries of a request. Zero fields take the defaults.
type RetryPolicy struct {
	MaxAttempts int           // attempts in all, the first included (default 8)
	BaseDelay   time.Duration // first backoff ceiling (default 200ms)
	MaxDelay    time.Duration // backoff ceiling (default 10s)
}

// Hooks report progress. They are called from the goroutines making requests,
// possibly at once, and must not block.
type Hooks struct {
	// OnWait: a rate limiter makes a request wait.
	OnWait func(w Wait)
	// OnRateLimited: the server answered 420 (the request will be retried if
	// attempts remain).
	OnRateLimited func(endpoint string, rl RateLimit)
	// OnRetry: a request to endpoint failed with err and is tried again
	// after delay, as attempt next of at most max.
	OnRetry func(endpoint string, err error, next, max int, delay time.Duration)
	// OnAnswer: a request to an endpoint got an HTTP answer (any status),
	// for metrics.
	OnAnswer func(a Answer)
}

// Answer is one HTTP answer, as OnAnswer sees it.
type Answer struct {
	Endpoint string
	Status   int
	// Remaining is X-RateLimit-Resource-Remaining, -1 when the answer
	// does not say.
	Remaining int
}

// Wait is one request held back by a rate limit.
type Wait struct {
	Endpoint   string
	CampaignID int64 // 0 for a business's endpoint
	BusinessID int64
	Duration   time.Duration
	Until      time.Time
	Quota      Quota // the quota the client paces this endpoint by
	// Server: the Market said so (a 420's X-RateLimit-Resource-Until, or
	// its headers said no requests remain), not the client's own pacing.
	Server bool
}

// RateLimit describes one HTTP 420 answer.
type RateLimit struct {
	CampaignID int64
	BusinessID int64
	Parallel   bool          // the parallel-requests limit was hit, not the per-period quota
	Limit      int           // the N of the server's message, 0 if it named none
	Period     time.Duration // the period of "N requests per PERIOD", 0 if it named none
	Until      time.Time     // X-RateLimit-Resource-Until, zero if absent
	Err        *APIError
}

// Config configures a Client. The zero value talks to the production API with
// the documented limits.
type Config struct {
	Endpoint   string       // base URL; "" is DefaultEndpoint. Plain http only to loopback.
	APIKey     string       // sent as Api-Key; never logged
	HTTPClient *http.Client // nil: a client with a 30s per-request timeout
	Quotas     map[string]Quota
	Parallel   int       // requests in flight per campaign or business; 0 is DefaultParallel
	DebugLog   io.Writer // one line per request and per response, key redacted
	Retry      RetryPolicy
	Hooks      Hooks
	// MaxWait bounds one rate-limit wait: a request the limiter would hold
	// longer (a quota that resets in an hour) fails at once with a
	// *RateLimitError and is not sent. 0: no bound.
	MaxWait time.Duration
	// Version is orderform's version: every request says
	// X-Market-Integration: orderform/VERSION, which names the integration
	// in the seller's request log. "" is "dev".
	Version string
}

// Client is a Market Partner API client. It is safe for concurrent use; its
// rate limits are per Client, so a process should share one.
type Client struct {
	base        string
	key         string
	integration string // the X-Market-Integration header
	hc          *http.Client
	// traceable: hc's transport calls httptrace's GotConn before it writes
	// a byte, so a failure without GotConn proves nothing was sent.
	traceable bool
	quotas    map[string]Quota
	parallel  int
	retry     RetryPolicy
	hooks     Hooks
	maxWait   time.Duration

	debugMu sync.Mutex
	debug   io.Writer

	mu      sync.Mutex
	windows map[limitKey]*window
	gates   map[scope]*gate

	shared sharedStrings
}

// sharedStrings holds the strings that repeat across the orders a Client
// reads (statuses, models, service names, dates), so that a run holding
// 100,000 orders holds each of them once, not 100,000 times.
type sharedStrings struct {
	mu sync.Mutex
	m  map[string]string
}

// maxShared bounds sharedStrings: past it a string is kept as it came.
const maxShared = 1 << 14

// share makes the repeating fields of orders point at one copy.
func (ss *sharedStrings) share(orders []Order) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[string]string{}
	}
	one := func(s *string) {
		if v, ok := ss.m[*s]; ok {
			*s = v
		} else if len(ss.m) < maxShared {
			ss.m[*s] = *s
		}
	}
	for i := range orders {
		o := &orders[i]
		for _, s := range []*string{&o.Model, &o.Status, &o.Substatus, &o.Delivery.Type, &o.Delivery.PartnerType,
			&o.Delivery.ServiceName, &o.Delivery.Dates.FromDate, &o.Delivery.Dates.ToDate,
			&o.Delivery.Dates.FromTime, &o.Delivery.Dates.ToTime} {
			one(s)
		}
	}
}

// scope is what the server counts requests of: a campaign or a business.
type scope struct {
	business bool
	id       int64
}

type limitKey struct {
	endpoint string
	scope    scope
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base := cfg.Endpoint
	if base == "" {
		base = DefaultEndpoint
	}
	if err := endpoint.Check(base); err != nil {
		return nil, err
	}
	quotas := DefaultQuotas()
	for name, q := range cfg.Quotas {
		if _, ok := quotas[name]; !ok {
			return nil, fmt.Errorf("quota for unknown endpoint %q", name)
		}
		if q.Limit < 1 || q.Period <= 0 {
			return nil, fmt.Errorf("quota for %s: limit and period must be positive, got %d per %v", name, q.Limit, q.Period)
		}
		quotas[name] = q
	}
	if cfg.Parallel < 0 {
		return nil, fmt.Errorf("parallel must not be negative, got %d", cfg.Parallel)
	}
	parallel := cfg.Parallel
	if parallel == 0 {
		parallel = DefaultParallel
	}
	retry := cfg.Retry
	if retry.MaxAttempts <= 0 {
		retry.MaxAttempts = 8
	}
	if retry.BaseDelay <= 0 {
		retry.BaseDelay = 200 * time.Millisecond
	}
	if retry.MaxDelay <= 0 {
		retry.MaxDelay = 10 * time.Second
	}
	hc := cfg.HTTPClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 4 * parallel
		hc = &http.Client{Timeout: defaultTimeout, Transport: t}
	}
	// Never follow redirects: a 301/302 turns a POST into a GET (a write
	// silently lost behind a 200), and net/http would forward the Api-Key
	// header to wherever the redirect points. A copy, so the caller's client
	// is left as it was.
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc = &own
	return &Client{
		base:        strings.TrimRight(base, "/"),
		key:         cfg.APIKey,
		integration: Integration(cfg.Version),
		hc:          hc,
		traceable:   traceable(hc.Transport),
		quotas:      quotas,
		parallel:    parallel,
		retry:       retry,
		hooks:       cfg.Hooks,
		maxWait:     max(cfg.MaxWait, 0),
		debug:       cfg.DebugLog,
		windows:     make(map[limitKey]*window),
		gates:       make(map[scope]*gate),
	}, nil
}

// Parallel is how many requests the client lets in flight per campaign or
// business.
func (c *Client) Parallel() int { return c.parallel }

// IntegrationHeader names the integration in the seller's request log.
const IntegrationHeader = "X-Market-Integration"

// Integration is the X-Market-Integration value of a version:
// "orderform/VERSION". A character a header value cannot carry, or one
// outside the token characters a version is made of, becomes "_": a
// version set at build time must never make every request fail.
func Integration(version string) string {
	if version == "" {
		version = "dev"
	}
	b := []byte(version)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".-+_~", c) >= 0
		if !ok {
			b[i] = '_'
		}
	}
	return "orderform/" + string(b[:min(len(b), 100)])
}

// request is one API call, described once and sent as many times as retries
// allow.
type request struct {
	endpoint string // EndpointTrack, ...
	method   string
	template string // the path as documented, for errors
	path     string // the path with IDs filled in
	query    url.Values
	body     any
	scope    scope
	order    int64 // 0 when not about one order
	// write: the request changes the order, so it may be resent only when the
	// answer proves it was not processed (420).
	write bool
}

func campaignScope(id int64) scope { return scope{id: id} }
func businessScope(id int64) scope { return scope{business: true, id: id} }

// errNotSent marks a transport failure that happened before any byte of the
// request left: resending is safe even for a write.
var errNotSent = errors.New("request not sent")

type beforeSendKey struct{}

// BeforeSend returns a context whose requests call f at the last moment
// before they leave: once the rate limiter has admitted the request and a
// parallel slot is free, immediately before its bytes go out, on every
// attempt (a retry after a 420 calls it again). If f returns an error the
// request is not sent and the call fails with an error wrapping ErrNotSent
// and f's. A journal records its intent here, so an intent always means
// "this write left (or was about to)", never "it was waiting its turn".
func BeforeSend(ctx context.Context, f func() error) context.Context {
	return context.WithValue(ctx, beforeSendKey{}, f)
}

// Leaving runs ctx's BeforeSend hook, if any. The Client calls it for every
// request it sends; another implementation of the same API (a test's fake)
// calls it right before a write takes effect, and must not make the write
// if it returns an error.
func Leaving(ctx context.Context) error {
	if f, ok := ctx.Value(beforeSendKey{}).(func() error); ok && f != nil {
		if err := f(); err != nil {
			return &errRefused{err}
		}
	}
	return nil
}

type oneAttemptKey struct{}

// OneAttempt returns a context whose requests are made once and never
// retried by the Client: for a caller that polls on its own schedule within
// a budget of requests and has a fallback (apply following its operations,
// which re-reads the orders when the endpoint fails). Retries inside the
// Client would spend that budget several times over and hold the fallback
// back for the whole retry budget.
func OneAttempt(ctx context.Context) context.Context {
	return context.WithValue(ctx, oneAttemptKey{}, true)
}

type notProcessedKey struct{}

// NotProcessed returns a context whose write requests call f when an
// attempt that left (its BeforeSend hook ran) proves not processed and is
// about to be tried again: the Market answered 420, or nothing reached it
// (the connection failed before a byte went out). The retry then waits for
// the limiter and a slot like a new request, maybe for long; f lets a
// journal close the attempt's intent meanwhile, so a crash during that wait
// leaves no intent of a write the Market never saw. The next attempt calls
// the BeforeSend hook again. f is not called for the last attempt: its error
// is the call's.
func NotProcessed(ctx context.Context, f func(error)) context.Context {
	return context.WithValue(ctx, notProcessedKey{}, f)
}

// Refused runs ctx's NotProcessed hook, if any, with why the attempt was not
// processed. The Client calls it before it retries a write; another
// implementation of the same API (a test's fake) calls it when a write it let
// leave (Leaving) was not processed and will be tried again.
func Refused(ctx context.Context, why error) { notProcessed(ctx, why) }

// notProcessed runs ctx's NotProcessed hook, if any.
func notProcessed(ctx context.Context, err error) {
	if f, ok := ctx.Value(notProcessedKey{}).(func(error)); ok && f != nil {
		f(err)
	}
}

// errRefused is f's refusal in BeforeSend: final, never retried.
type errRefused struct{ err error }

func (e *errRefused) Error() string   { return e.err.Error() }
func (e *errRefused) Unwrap() []error { return []error{ErrNotSent, e.err} }

// outcome is what one attempt produced.
type outcome struct {
	status int
	header http.Header
	body   []byte
	err    error // transport failure or ctx; status is 0 then unless reading the body failed
	sent   bool  // when err != nil: the request may have reached the server
	left   bool  // the BeforeSend hook ran: the caller counts the attempt as leaving
}

// do sends r, with retries, and decodes a 2xx answer into out (unless nil).
func (c *Client) do(ctx context.Context, r *request, out any) error {
	var body []byte
	if r.body != nil {
		var err error
		body, err = json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		if len(body) > maxRequestBody {
			return fmt.Errorf("request body of %d bytes exceeds the API's limit of %d", len(body), maxRequestBody)
		}
	}
	u := c.base + "/" + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	win := c.window(r.endpoint, r.scope)
	g := c.gate(r.scope)
	attempts := c.retry.MaxAttempts
	if once, _ := ctx.Value(oneAttemptKey{}).(bool); once {
		attempts = 1
	}

	for attempt := 1; ; attempt++ {
		o := c.attempt(ctx, r, u, body, win, g)
		var (
			err     error
			backoff = true
		)
		var refused *errRefused
		var tooLong *errHoldTooLong
		switch {
		case errors.As(o.err, &refused):
			return refused
		case errors.As(o.err, &tooLong):
			return c.rateLimitError(r, tooLong)
		case o.err != nil && o.status == 0:
			if r.write && o.sent {
				return fmt.Errorf("%w: %w", ErrOutcomeUnknown, o.err)
			}
			if ctx.Err() != nil {
				return o.err
			}
			err = o.err
		case o.status >= 200 && o.status < 300:
			if o.err == nil {
				if o.err = decode(o.body, out); o.err == nil {
					return nil
				}
				o.err = &MalformedAnswerError{StatusCode: o.status, Endpoint: r.method + " " + r.template, Problem: o.err.Error()}
				if !r.write {
					return o.err // malformed, not cut short: reading again will not help
				}
			}
			if r.write {
				if out == nil {
					return nil // the status proves it was processed; the body is not needed
				}
				// Processed, but what it started (operation IDs) is lost.
				return fmt.Errorf("%w: %w", ErrOutcomeUnknown, o.err)
			}
			err = o.err // the body was cut short: read again
		default:
			apiErr := c.apiError(r, o)
			switch {
			case apiErr.RateLimited():
				backoff = c.rateLimited(r, win, g, apiErr, o.header)
			case o.status >= 500:
				if r.write {
					if apiErr.Envelope {
						// The Market's own answer: it did not process
						// the write (a 5xx spends no quota). The caller
						// re-reads before sending it again.
						return apiErr
					}
					// A gateway's bare 5xx: the Market may be at work
					// behind it.
					return fmt.Errorf("%w: %w", ErrOutcomeUnknown, apiErr)
				}
			default:
				return apiErr
			}
			err = apiErr
		}
		if attempt >= attempts {
			if attempt > 1 {
				return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
			}
			return err
		}
		if r.write && o.left {
			// A write is retried only when this attempt proved it was
			// not processed (a 420, or nothing sent).
			notProcessed(ctx, err)
		}
		if backoff {
			d := c.backoff(attempt)
			if c.hooks.OnRetry != nil {
				c.hooks.OnRetry(r.endpoint, err, attempt+1, attempts, d)
			}
			if err := sleep(ctx, d); err != nil {
				return err
			}
		}
	}
}

// backoff is the full-jitter delay before attempt+1: uniform in [0, ceiling),
// the ceiling doubling from BaseDelay up to MaxDelay.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.retry.MaxDelay
	if attempt < 30 {
		ceiling = min(ceiling, c.retry.BaseDelay<<(attempt-1))
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling)
}

// attempt makes one request: waits for the rate limiter and a parallel slot,
// sends, and reads the answer.
func (c *Client) attempt(ctx context.Context, r *request, u string, body []byte, win *window, g *gate) outcome {
	var onWait func(time.Duration, bool, Quota)
	if c.hooks.OnWait != nil {
		onWait = func(d time.Duration, server bool, q Quota) {
			w := Wait{Endpoint: r.endpoint, Duration: d, Until: time.Now().Add(d), Quota: q, Server: server}
			if r.scope.business {
				w.BusinessID = r.scope.id
			} else {
				w.CampaignID = r.scope.id
			}
			c.hooks.OnWait(w)
		}
	}
	adm, err := win.wait(ctx, time.Now, c.maxWait, onWait)
	if err != nil {
		return outcome{err: err}
	}
	// Whatever happens next, the server saw this request (if at all) before
	// now: the window counts it until then.
	defer func() { adm.finish(time.Now()) }()
	if err := g.acquire(ctx); err != nil {
		return outcome{err: err}
	}
	defer g.release()
	if err := Leaving(ctx); err != nil {
		return outcome{err: err}
	}
	o := c.send(ctx, r, u, body, win)
	o.left = true
	return o
}

// send makes one request that the limiter and the gate admitted, and reads
// the answer.
func (c *Client) send(ctx context.Context, r *request, u string, body []byte, win *window) outcome {

	// ctx bounds the waits above. A write, once it leaves, runs to its
	// answer (bounded by the request timeout) even if ctx is cancelled:
	// cutting it off would only turn a known outcome into an unknown one.
	sendCtx := ctx
	if r.write {
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), c.writeTimeout())
		defer cancel()
	}
	var gotConn atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) }}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(sendCtx, trace), r.method, u, rd)
	if err != nil {
		return outcome{err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(IntegrationHeader, c.integration)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Api-Key", c.key)
	}
	c.logRequest(req, body)
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.logf("<- %s %s %v: %v", r.method, u, time.Since(start).Round(time.Microsecond), err)
		o := outcome{err: err, sent: true}
		// A standard transport calls GotConn before writing a byte; with
		// another RoundTripper only a failed dial proves nothing left.
		if !gotConn.Load() && (c.traceable || isDialError(err)) {
			o.sent = false
			o.err = fmt.Errorf("%w: %w", errNotSent, err)
		}
		return o
	}
	defer resp.Body.Close()
	data, err := readAll(io.LimitReader(resp.Body, maxResponseBody+1), resp.ContentLength)
	if err == nil && len(data) > maxResponseBody {
		err = fmt.Errorf("answer larger than %d bytes", maxResponseBody)
	}
	if err != nil {
		err = fmt.Errorf("read answer: %w", err)
	}
	c.logResponse(r, u, resp, time.Since(start), data, err)
	win.observe(resp.Header, time.Now())
	if c.hooks.OnAnswer != nil {
		rem, rerr := strconv.Atoi(resp.Header.Get("X-RateLimit-Resource-Remaining"))
		if rerr != nil {
			rem = -1
		}
		c.hooks.OnAnswer(Answer{Endpoint: r.endpoint, Status: resp.StatusCode, Remaining: rem})
	}
	return outcome{status: resp.StatusCode, header: resp.Header, body: data, err: err, sent: true}
}

// traceable reports whether rt is a standard transport, or one that passes
// each request on unchanged to one (Unwrap: a wrapper that only observes,
// as the tests' contract checker): httptrace's GotConn then comes before
// any byte of a request is written.
func traceable(rt http.RoundTripper) bool {
	for {
		switch t := rt.(type) {
		case nil, *http.Transport:
			return true
		case interface{ Unwrap() http.RoundTripper }:
			rt = t.Unwrap()
		default:
			return false
		}
	}
}

// readAll is io.ReadAll starting from the size the answer announces
// (Content-Length, -1 when unknown): a page of 50 orders is some 80 KB,
// which io.ReadAll reaches through a dozen copies from 512 bytes. One byte
// more than announced lets the end be seen without growing.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > maxResponseBody {
		size = 511
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the next size
		}
	}
}

// writeTimeout bounds a write's exchange, which its caller cannot cancel.
func (c *Client) writeTimeout() time.Duration {
	if c.hc.Timeout > 0 {
		return c.hc.Timeout
	}
	return defaultTimeout
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// decode reads a 2xx answer into out and checks it has the documented
// shape (see shaped): what is wrong with it, in the API's field names.
func decode(data []byte, out any) error {
	if out == nil {
		return nil
	}
	if sc, ok := out.(scannable); ok && sc.scan(data) {
		if s, ok := out.(shaped); ok {
			if p := s.shapeProblem(); p != "" {
				return errors.New(p)
			}
		}
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return fmt.Errorf("%s is a JSON %s, want %s", te.Field, te.Value, jsonKind(te.Type))
		case errors.As(err, &te):
			return fmt.Errorf("the answer is a JSON %s, want an object", te.Value)
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("not JSON: %w", err)
		}
		return err
	}
	if s, ok := out.(shaped); ok {
		if p := s.shapeProblem(); p != "" {
			return errors.New(p)
		}
	}
	return nil
}

// scannable is an answer with a faster reader of its own (scan.go); when
// scan cannot read the answer, it leaves the destination untouched and
// encoding/json reads it.
type scannable interface {
	scan(data []byte) bool
}

// jsonKind names what a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	}
	return "a number"
}

// apiError builds the typed error of a non-2xx answer, tolerating a body that
// is not the API's envelope.
func (c *Client) apiError(r *request, o outcome) *APIError {
	e := &APIError{
		StatusCode: o.status,
		Endpoint:   r.method + " " + r.template,
		OrderID:    r.order,
	}
	if r.scope.business {
		e.BusinessID = r.scope.id
	} else {
		e.CampaignID = r.scope.id
	}
	// The messages may quote the request (a recipient's names and phone)
	// and be of any length: masked and bounded here, so whatever shows or
	// keeps them (output, journal) gets them so.
	mask := r.messageMask()
	text := func(s string) string { return mask.apply(c.redact(strings.ToValidUTF8(s, ""))) }
	var env errorEnvelope
	if json.Unmarshal(o.body, &env) == nil && len(env.Errors) > 0 {
		e.Envelope = true
		e.Errors = boundEntries(env.Errors, text)
		return e
	}
	if excerpt := strings.TrimSpace(string(o.body)); excerpt != "" {
		e.Errors = []ErrorEntry{{Message: bound(text(excerpt), 200)}}
	}
	return e
}

var (
	parallelLimitRE = regexp.MustCompile(`(?i)(\d+)\s+parallel`)
	periodLimitRE   = regexp.MustCompile(`(?i)(\d+)\s+requests?\s+per\s+(\w+)`)
)

// parsePeriod reads the period of a 420's "N requests per PERIOD": a unit
// word or a Go duration; 0 when it is neither.
func parsePeriod(s string) time.Duration {
	switch strings.ToLower(s) {
	case "second":
		return time.Second
	case "minute":
		return time.Minute
	case "hour":
		return time.Hour
	case "day":
		return 24 * time.Hour
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0
	}
	return d
}

// rateLimited adapts to a 420 and reports whether the retry should back off
// first (false when the window already holds the retry until the server's
// Until).
func (c *Client) rateLimited(r *request, win *window, g *gate, e *APIError, h http.Header) bool {
	rl := RateLimit{Err: e, Until: parseUntil(h)}
	if r.scope.business {
		rl.BusinessID = r.scope.id
	} else {
		rl.CampaignID = r.scope.id
	}
	for _, x := range e.Errors {
		if m := parallelLimitRE.FindStringSubmatch(x.Message); m != nil {
			rl.Parallel = true
			rl.Limit, _ = strconv.Atoi(m[1])
			break
		}
		if m := periodLimitRE.FindStringSubmatch(x.Message); m != nil {
			rl.Limit, _ = strconv.Atoi(m[1])
			rl.Period = parsePeriod(m[2])
			break
		}
	}
	if c.hooks.OnRateLimited != nil {
		c.hooks.OnRateLimited(r.endpoint, rl)
	}
	if rl.Parallel {
		// "Hit rate limit of N parallel requests": stay below N.
		g.lower(max(rl.Limit-1, 1))
		return true
	}
	win.adopt(rl.Limit, rl.Period)
	// Until is when the exhausted quota renews; if the server still counts
	// requests left, this 420 is about something else and Until means nothing.
	if rem, err := strconv.Atoi(h.Get("X-RateLimit-Resource-Remaining")); err == nil && rem > 0 {
		return true
	}
	if rl.Until.After(time.Now()) {
		win.holdUntil(rl.Until)
		return false
	}
	return true
}

// rateLimitError describes a wait the client refused to make.
func (c *Client) rateLimitError(r *request, e *errHoldTooLong) *RateLimitError {
	rl := &RateLimitError{Endpoint: r.endpoint, Quota: e.quota, Until: e.until, MaxWait: c.maxWait, Server: e.server}
	if r.scope.business {
		rl.BusinessID = r.scope.id
	} else {
		rl.CampaignID = r.scope.id
	}
	return rl
}

// parseUntil reads X-RateLimit-Resource-Until: RFC 1123, leniently.
func parseUntil(h http.Header) time.Time {
	v := strings.TrimSpace(h.Get("X-RateLimit-Resource-Until"))
	if v == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC1123, time.RFC1123Z, time.RFC3339Nano, time.RFC850, time.ANSIC} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (c *Client) window(endpoint string, s scope) *window {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := limitKey{endpoint, s}
	w, ok := c.windows[k]
	if !ok {
		w = newWindow(c.quotas[endpoint])
		c.windows[k] = w
	}
	return w
}

func (c *Client) gate(s scope) *gate {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.gates[s]
	if !ok {
		g = newGate(c.parallel)
		c.gates[s] = g
	}
	return g
}

// minSecretLen is the shortest key looked for in free text. A real key is
// long and random, so it never turns up in text by accident, and every
// occurrence of it is replaced (glued to other characters too: an echo may
// be URL-encoded). A shorter one is no secret worth garbling text for: the
// key "a" would make "remaining" read "remREDACTEDining".
const minSecretLen = 8

// secretField matches the known places of a credential in free text (a
// server echoing the request's headers or query): the value is replaced
// whatever its length.
var secretField = regexp.MustCompile(`(?i)\b(api[-_]?key|authorization|access[-_]?token|oauth[-_]?token)(["']?\s*[:=]\s*["']?)(?:(?:bearer|oauth)\s+)?[^\s"',;&<>()\[\]{}]+`)

// redact removes the API key from text that may end up in a log or an error:
// the key's known places always, and the key itself wherever it appears
// when it is long enough to be a real secret. The request's own Api-Key
// header is never logged (logRequest writes "Api-Key=REDACTED").
func (c *Client) redact(s string) string {
	s = secretField.ReplaceAllString(s, "${1}${2}REDACTED")
	if len(c.key) < minSecretLen {
		return s
	}
	return strings.ReplaceAll(s, c.key, "REDACTED")
}

func (c *Client) logRequest(req *http.Request, body []byte) {
	if c.debug == nil {
		return
	}
	key := ""
	if req.Header.Get("Api-Key") != "" {
		key = " Api-Key=REDACTED"
	}
	c.logf("-> %s %s%s body=%s", req.Method, req.URL, key, logBody(body))
}

func (c *Client) logResponse(r *request, u string, resp *http.Response, d time.Duration, body []byte, err error) {
	if c.debug == nil {
		return
	}
	// An answer may quote the request's recipient in free text, where
	// logBody's field rule does not reach.
	body = []byte(r.messageMask().apply(string(body)))
	h := resp.Header
	line := fmt.Sprintf("<- %s %s %d %v limit=%q remaining=%q until=%q body=%s",
		r.method, u, resp.StatusCode, d.Round(time.Microsecond),
		h.Get("X-RateLimit-Resource-Limit"), h.Get("X-RateLimit-Resource-Remaining"), h.Get("X-RateLimit-Resource-Until"),
		logBody(body))
	if err != nil {
		line += fmt.Sprintf(" error=%q", err)
	}
	c.logf("%s", line)
}

func (c *Client) logf(format string, args ...any) {
	if c.debug == nil {
		return
	}
	line := c.redact(fmt.Sprintf(format, args...))
	line = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(line) + "\n"
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	io.WriteString(c.debug, line)
}

// personalField matches the JSON string fields that carry a recipient's
// personal data. The debug log is for diagnosing traffic, and a log file
// travels further than the orders it describes (tickets, CI artifacts).
var personalField = regexp.MustCompile(`"(firstName|lastName|middleName|phone|recipient|street|house|apartment|entrance|entryphone|floor|fullAddress|postcode)"(\s*:\s*)"(?:[^"\\]|\\.)*"`)

func logBody(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	b = personalField.ReplaceAll(b, []byte(`"$1"$2"***"`))
	if len(b) > debugBodyLimit {
		return fmt.Sprintf("%s...(%d bytes)", strings.ToValidUTF8(string(b[:debugBodyLimit]), ""), len(b))
	}
	return string(b)
}
