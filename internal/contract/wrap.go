package contract

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Report receives the violations of one message, at least one, as soon as
// the message is complete. It may be called from several goroutines at once.
type Report func(vs []Violation)

// Errorf is a Report failing t at the first invalid message, and at every
// other, with each violation on a line of its own.
func Errorf(t testing.TB) Report {
	return func(vs []Violation) {
		lines := make([]string, len(vs))
		for i, v := range vs {
			lines[i] = v.String()
		}
		t.Errorf("contract: a message breaks the Market Partner API's OpenAPI spec:\n\t%s", strings.Join(lines, "\n\t"))
	}
}

// Recorder keeps violations for a test to assert at its end, where the
// messages are checked in a goroutine that cannot fail the test (the
// testscript harness).
type Recorder struct {
	mu sync.Mutex
	vs []Violation
}

// Report records vs.
func (r *Recorder) Report(vs []Violation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.vs = append(r.vs, vs...)
}

// Violations returns what was recorded.
func (r *Recorder) Violations() []Violation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Violation(nil), r.vs...)
}

// Err is nil when nothing was recorded, else an error listing it.
func (r *Recorder) Err() error {
	vs := r.Violations()
	if len(vs) == 0 {
		return nil
	}
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.String()
	}
	return fmt.Errorf("contract: %d violations of the Market Partner API's OpenAPI spec:\n\t%s", len(vs), strings.Join(lines, "\n\t"))
}

// mustSpec is the vendored spec; a spec that does not load is a broken
// checkout, and every check would be meaningless.
func mustSpec() *spec {
	s, err := loadSpec()
	if err != nil {
		panic(err)
	}
	return s
}

// Transport wraps a client's transport (nil: http.DefaultTransport): every
// request it carries and every answer it brings back are checked and what
// breaks the spec goes to report. It never changes what is sent or received.
func Transport(next http.RoundTripper, report Report) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{next: next, spec: mustSpec(), report: report}
}

type transport struct {
	next   http.RoundTripper
	spec   *spec
	report Report
}

// Unwrap is the transport it wraps.
func (t *transport) Unwrap() http.RoundTripper { return t.next }

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := requestBody(req)
	if err != nil {
		return nil, err
	}
	x := t.spec.begin(req, body)
	t.emit(onPurpose(req.Context(), x.request()))
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	data, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = &replay{Reader: bytes.NewReader(data), err: readErr}
	if readErr == nil {
		t.emit(x.response(resp.StatusCode, resp.Header, data))
	}
	return resp, nil
}

func (t *transport) emit(vs []Violation) {
	if len(vs) > 0 {
		t.report(vs)
	}
}

// requestBody is a copy of req's body, leaving req as it was.
func requestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	data, err := io.ReadAll(req.Body)
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(data))
	return data, err
}

// replay is an answer's body read ahead: its bytes, then the error reading
// them ended with, as the client would have seen it.
type replay struct {
	*bytes.Reader
	err error
}

func (r *replay) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	if err == io.EOF && r.err != nil {
		err = r.err
	}
	return n, err
}

func (r *replay) Close() error { return nil }

type onPurposeKey struct{}

// OnPurpose returns a context whose requests, sent through a Transport,
// break the spec on purpose at the given JSON pointers of their bodies: a
// test of how the server refuses them. Only those values go unreported.
func OnPurpose(ctx context.Context, pointers ...string) context.Context {
	return context.WithValue(ctx, onPurposeKey{}, pointers)
}

// onPurpose is vs without the violations ctx's requests make on purpose.
func onPurpose(ctx context.Context, vs []Violation) []Violation {
	pointers, _ := ctx.Value(onPurposeKey{}).([]string)
	return slices.DeleteFunc(vs, func(v Violation) bool { return v.In == "body" && slices.Contains(pointers, v.Pointer) })
}

// Mode says what Handler checks.
type Mode int

const (
	// Both: the requests the handler receives and the answers it sends.
	Both Mode = iota
	// Answers: only the answers, for tests that send invalid requests on
	// purpose (the emulator's own tests of its 400s).
	Answers
	// Requests: only the requests, for a test's own hand-written server
	// whose answers break the spec on purpose (malformed bodies, statuses
	// the spec lacks, dropped connections): what the client sends it is
	// still the client's, and still checked.
	Requests
)

// Handler wraps a server (the sandbox, or a test's own): the requests it
// receives (unless mode is Answers) and the answers it sends (unless mode
// is Requests) are checked, and what breaks the spec goes to report. It
// never changes what is received or sent.
func Handler(next http.Handler, mode Mode, report Report) http.Handler {
	s := mustSpec()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			var err error
			body, err = io.ReadAll(r.Body)
			r.Body.Close()
			r.Body = &replay{Reader: bytes.NewReader(body), err: err}
		}
		x := s.begin(r, body)
		if mode != Answers {
			if vs := x.request(); len(vs) > 0 {
				report(vs)
			}
		}
		if mode == Requests {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.hijacked {
			return // the connection was dropped on purpose: no answer
		}
		if rec.status == 0 {
			if r.Context().Err() != nil {
				return // the client went away before anything was answered
			}
			rec.status = http.StatusOK // what net/http sends for nothing
		}
		if vs := x.response(rec.status, rec.header, rec.body.Bytes()); len(vs) > 0 {
			report(vs)
		}
	})
}

// recorder passes an answer through and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status   int
	header   http.Header
	body     bytes.Buffer
	hijacked bool
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
		r.header = r.ResponseWriter.Header().Clone()
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	r.hijacked = true
	return hj.Hijack()
}
