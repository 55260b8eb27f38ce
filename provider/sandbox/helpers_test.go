package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/internal/contract"
)

const seedPath = "../../testdata/sandbox-small.json"

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, time.November, 23, 12, 0, 0, 0, moscow())}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a sandbox seeded with testdata/sandbox-small.json behind a real
// HTTP server, on a clock the test moves.
type fixture struct {
	t     *testing.T
	srv   *Server
	http  *httptest.Server
	clock *clock
}

func newFixture(t *testing.T, opt Options) *fixture {
	t.Helper()
	st, err := LoadState(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureState(t, st, opt)
}

func newFixtureState(t *testing.T, st *State, opt Options) *fixture {
	t.Helper()
	c := newClock()
	if opt.Now == nil {
		opt.Now = c.Now
	}
	srv := New(st, opt)
	// Every answer is checked against the official spec. The requests are
	// not: many are invalid on purpose, to see the server refuse them.
	hs := httptest.NewServer(contract.Handler(srv, contract.Answers, contract.Errorf(t)))
	t.Cleanup(hs.Close)
	return &fixture{t: t, srv: srv, http: hs, clock: c}
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into a generic value for cmp.Diff.
func (a answer) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(a.body), &v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, a.body)
	}
	return v
}

// do sends a request with the seed's API key.
func (f *fixture) do(method, path, body string) answer {
	f.t.Helper()
	return f.doKey(method, path, body, "sandbox")
}

func (f *fixture) doKey(method, path, body, key string) answer {
	f.t.Helper()
	a, err := send(f.http.URL, method, path, body, key)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

func send(base, method, path, body, key string) (answer, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if key != "" {
		req.Header.Set("Api-Key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

// mustJSON decodes a literal expected document.
func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad expected JSON: %v\n%s", err, s)
	}
	return v
}

// expect checks an answer's status and exact JSON body.
func expect(t *testing.T, got answer, status int, body string) {
	t.Helper()
	if got.status != status {
		t.Errorf("status = %d, want %d; body %s", got.status, status, got.body)
	}
	if diff := cmp.Diff(mustJSON(t, body), got.json(t)); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

// errorOf returns the first error code and message of an error answer.
func errorOf(t *testing.T, a answer) (code, message string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(a.body), &e); err != nil || e.Status != "ERROR" || len(e.Errors) == 0 {
		t.Fatalf("not an error envelope (HTTP %d): %s", a.status, a.body)
	}
	return e.Errors[0].Code, e.Errors[0].Message
}

// field digs a value out of a decoded JSON document by keys and indexes.
func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}
