package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// errorEntry is one item of the API's error envelope.
type errorEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorBody is the API's error envelope.
type errorBody struct {
	Status string       `json:"status"`
	Errors []errorEntry `json:"errors"`
}

// okBody is the ApiResponse of a write without a result.
type okBody struct {
	Status string `json:"status"`
}

// apiError is a refusal: an HTTP status with the API's error codes.
type apiError struct {
	status int
	errs   []errorEntry
	// bare: answered by a gateway in front of the API, as an HTML page
	// without the API's envelope.
	bare bool
}

func newAPIError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, errs: []errorEntry{{code, fmt.Sprintf(format, args...)}}}
}

func badRequest(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "BAD_REQUEST", format, args...)
}

func notFound(format string, args ...any) *apiError {
	return newAPIError(http.StatusNotFound, "NOT_FOUND", format, args...)
}

// add appends another error of the same request (validation reports all).
func (e *apiError) add(code, format string, args ...any) *apiError {
	if e == nil {
		e = &apiError{status: http.StatusBadRequest}
	}
	e.errs = append(e.errs, errorEntry{code, fmt.Sprintf(format, args...)})
	return e
}

func (e *apiError) response() response {
	if e.bare {
		page := fmt.Sprintf("<html><head><title>%[1]d %[2]s</title></head><body><h1>%[1]d %[2]s</h1></body></html>\n",
			e.status, http.StatusText(e.status))
		return response{status: e.status, raw: []byte(page), contentType: "text/html"}
	}
	return response{status: e.status, body: errorBody{Status: "ERROR", Errors: e.errs}}
}

// codeForStatus is the error code an injected failure carries.
func codeForStatus(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return "BAD_REQUEST"
	case status == http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case status == http.StatusForbidden:
		return "FORBIDDEN"
	case status == http.StatusNotFound:
		return "NOT_FOUND"
	case status == StatusRateLimited:
		return "LIMIT_EXCEEDED"
	case status == http.StatusLocked:
		return "LOCKED"
	case status >= 500:
		return "INTERNAL_ERROR"
	}
	return "ERROR"
}

// response is an answer before it is written: handlers build it under the
// server's lock, ServeHTTP writes it after.
type response struct {
	status int
	// body is encoded with encoding/json, unless it encodes itself (a
	// jsonAppender: the order answers).
	body any
	// raw, when set, is sent as it is instead of body (a malformed answer,
	// a gateway's page), as contentType (default JSON).
	raw         []byte
	contentType string
	// malformed: the answer is not the documented shape on purpose
	// (MalformNext), and says so in FaultHeader.
	malformed bool
}

// FaultHeader marks an answer the server malformed on purpose
// (MalformNext), for whatever checks answers against the spec (the
// contract tests): the API never sends it, and the client ignores it.
const FaultHeader = "X-Sandbox-Fault"

func ok(body any) response { return response{status: http.StatusOK, body: body} }

// answers are the buffers answers are encoded in, reused: a page of 50
// orders is some 50 KB.
var answers = sync.Pool{New: func() any { return new(jsonBuf) }}

// maxPooledAnswer bounds the buffers kept for reuse.
const maxPooledAnswer = 1 << 20

func (r response) write(w http.ResponseWriter) {
	if r.raw != nil {
		if r.malformed {
			w.Header().Set(FaultHeader, "malformed")
		}
		w.Header().Set("Content-Type", cmp.Or(r.contentType, "application/json; charset=utf-8"))
		w.WriteHeader(r.status)
		_, _ = w.Write(r.raw)
		return
	}
	e := answers.Get().(*jsonBuf)
	defer func() {
		if cap(e.b) <= maxPooledAnswer {
			e.b, e.err = e.b[:0], nil
			answers.Put(e)
		}
	}()
	if body, ok := r.body.(jsonAppender); ok {
		body.appendJSON(e)
		e.b = append(e.b, '\n') // as Encoder.Encode ends a value
		defer body.written()
	} else {
		buf := bytes.NewBuffer(e.b[:0])
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		e.err = enc.Encode(r.body)
		e.b = buf.Bytes()
	}
	if e.err != nil {
		// Every body is a plain struct of strings and numbers: a number
		// JSON cannot carry (a price overflowing to infinity), or a bug.
		r.status = http.StatusInternalServerError
		e.b = append(e.b[:0], `{"status":"ERROR","errors":[{"code":"INTERNAL_ERROR","message":"encode answer"}]}`+"\n"...)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(e.b)))
	w.WriteHeader(r.status)
	_, _ = w.Write(e.b) // the client went away: nothing to do
}

// decodeBody decodes a JSON request body into v the way the API does:
// unknown fields are ignored, anything else that is not the expected shape is
// a 400 naming the field.
func decodeBody(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	err := dec.Decode(v)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &syntax):
		return badRequest("malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("request body must be a JSON object, not %s", typ.Value)
		}
		return badRequest("field %s: expected %s, got %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	default:
		return badRequest("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("malformed JSON: data after the JSON document")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int32", "int64":
		return "integer"
	case "float64":
		return "number"
	case "struct", "map":
		return "object"
	case "slice":
		return "array"
	case "bool":
		return "boolean"
	}
	return goKind
}

// moscow is the API's time zone (UTC+03:00, no daylight saving).
func moscow() *time.Location { return msk }

// msk is made once: every order of every answer is dated in it.
var msk = time.FixedZone("MSK", 3*60*60)

// repeated lists the values that occur more than once in xs, each once, in
// the order their first repetition appears: a request reports each once.
func repeated[T comparable](xs []T) []T {
	seen := make(map[T]bool, len(xs))
	var out []T
	for _, x := range xs {
		if seen[x] && !slices.Contains(out, x) {
			out = append(out, x)
		}
		seen[x] = true
	}
	return out
}
