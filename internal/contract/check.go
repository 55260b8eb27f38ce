package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// A Violation is one way one message breaks the spec.
type Violation struct {
	// Operation is the spec's operationId, "" when the spec has no
	// operation for the request's method and path.
	Operation string
	// Route is the request's method and the spec's path of it
	// ("GET /v2/campaigns/{campaignId}"), or the request's own path when the
	// spec has none.
	Route string
	// Message is "request", or "response" and its status ("response 200").
	Message string
	// In is where in the message: "body", "query", "path", "header", or ""
	// for the message as a whole (its status, its content type, its route).
	In string
	// Pointer is the JSON pointer of the value in the body ("/order/id",
	// "" the body itself), or the parameter's name and a pointer into its
	// value.
	Pointer string
	// Keyword is the schema keyword the value breaks: "type", "required",
	// "format", "pattern", "enum", "minLength", ..., or "" when the
	// message breaks no schema (an undocumented status, no such operation).
	Keyword string
	// Value is the offending value as JSON, shortened.
	Value  string
	Reason string
}

func (v Violation) String() string {
	var b strings.Builder
	if v.Operation != "" {
		b.WriteString(v.Operation + " (" + v.Route + ")")
	} else {
		b.WriteString(v.Route)
	}
	b.WriteString(": " + v.Message)
	if v.In != "" {
		b.WriteString(" " + v.In + " " + cmpOr(v.Pointer, "/"))
	}
	if v.Value != "" {
		b.WriteString(" = " + v.Value)
	}
	b.WriteString(": " + v.Reason)
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// maxValue bounds a reported value: enough to recognise it.
const maxValue = 200

// options are how every message is checked: all problems of a message at
// once, undocumented statuses refused, nothing rewritten, the spec's own
// formats.
func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:            true,
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
		AuthenticationFunc:    authenticate,
		RegexCompiler:         compileRegexp,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidators(formats),
			openapi3.SetSchemaRegexCompiler(compileRegexp),
		},
	}
}

// authenticate meets the ApiKey scheme when the request carries the
// Api-Key header; orderform never uses OAuth.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName == "ApiKey" && in.RequestValidationInput.Request.Header.Get("Api-Key") != "" {
		return nil
	}
	return fmt.Errorf("no %s credentials", in.SecuritySchemeName)
}

// exchange is one request being checked, and then its answer.
type exchange struct {
	spec  *spec
	table []Exception // what is excused
	op    *operation  // nil: the spec has no such operation
	input *openapi3filter.RequestValidationInput
	route string
}

// begin routes req (whose body is body) to its operation.
func (s *spec) begin(req *http.Request, body []byte) *exchange {
	op, params, _ := s.route(req.Method, req.URL.Path)
	x := &exchange{spec: s, table: exceptions, op: op, route: req.Method + " " + req.URL.Path}
	if op == nil {
		return x
	}
	x.route = op.method + " " + op.path
	clone := req.Clone(context.Background())
	clone.Body = io.NopCloser(bytes.NewReader(body))
	x.input = &openapi3filter.RequestValidationInput{
		Request:    clone,
		PathParams: params,
		Route:      &routers.Route{Spec: s.doc, Path: op.path, PathItem: op.item, Method: op.method, Operation: op.op},
		Options:    options(),
	}
	return x
}

// request checks the request begin was given.
func (x *exchange) request() []Violation {
	if x.op == nil {
		return []Violation{x.violation("request", "", "", nil, "the spec has no such operation")}
	}
	body, _ := io.ReadAll(x.input.Request.Body)
	x.input.Request.Body = io.NopCloser(bytes.NewReader(body))
	err := openapi3filter.ValidateRequest(context.Background(), x.input)
	return x.excused(x.violations("request", err))
}

// response checks the answer to the request.
func (x *exchange) response(status int, header http.Header, body []byte) []Violation {
	message := "response " + strconv.Itoa(status)
	if header.Get(deliberateHeader) != "" {
		return nil
	}
	if x.op == nil {
		// No operation, so no documented answer: an answer to a request
		// the spec does not have must still be the API's error envelope.
		if status/100 == 2 {
			return []Violation{x.violation(message, "", "", nil, "a success answer to a request the spec does not have")}
		}
		return x.envelope(message, header, body)
	}
	documented := x.op.op.Responses.Status(status)
	if documented == nil {
		documented = x.op.op.Responses.Default()
	}
	if documented == nil || documented.Value == nil {
		v := x.violation(message, "", "", nil, "the spec documents no such status for this operation")
		v.Keyword = "status"
		if vs := x.excused([]Violation{v}); len(vs) > 0 {
			return vs
		}
		// A status the API answers though the spec leaves it out: its
		// body is still the envelope.
		return x.envelope(message, header, body)
	}
	if vs := x.contentType(message, documented.Value, header); len(vs) > 0 {
		return x.excused(vs)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: x.input,
		Status:                 status,
		Header:                 header,
		Options:                x.input.Options,
	}
	in.SetBodyBytes(body)
	return x.excused(x.violations(message, openapi3filter.ValidateResponse(context.Background(), in)))
}

// contentType checks the answer is of a media type its status documents.
func (x *exchange) contentType(message string, r *openapi3.Response, header http.Header) []Violation {
	ct := header.Get("Content-Type")
	if len(r.Content) == 0 || r.Content.Get(ct) != nil {
		return nil
	}
	v := x.violation(message, "header", "Content-Type", ct, "the spec documents no such content type for this status")
	v.Keyword = "content-type"
	return []Violation{v}
}

// envelope checks body as ApiErrorResponse.
func (x *exchange) envelope(message string, header http.Header, body []byte) []Violation {
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		v := x.violation(message, "header", "Content-Type", ct, "an error answer that is not JSON")
		v.Keyword = "content-type"
		return x.excused([]Violation{v})
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []Violation{x.violation(message, "body", "", nil, "not JSON: "+err.Error())}
	}
	err := x.spec.envelope.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse())
	return x.excused(x.violations(message, err))
}

func (x *exchange) violation(message, in, pointer string, value any, reason string) Violation {
	v := Violation{Route: x.route, Message: message, In: in, Pointer: pointer, Reason: reason}
	if x.op != nil {
		v.Operation = x.op.op.OperationID
	}
	if value != nil {
		v.Value = shorten(value)
	}
	return v
}

// violations flattens what kin-openapi returned into one Violation per
// offending value.
func (x *exchange) violations(message string, err error) []Violation {
	var out []Violation
	var walk func(err error, in, prefix string)
	walk = func(err error, in, prefix string) {
		// A type switch, not errors.As: the wrappers unwrap to what they
		// wrap, and it is the wrapper that says where in the message.
		switch e := err.(type) {
		case nil:
		case openapi3.MultiError:
			for _, e := range e {
				walk(e, in, prefix)
			}
		case *openapi3filter.SecurityRequirementsError:
			out = append(out, x.violation(message, "header", "Api-Key", nil, "no credentials the spec accepts"))
		case *openapi3filter.RequestError:
			switch {
			case e.Parameter != nil:
				in, prefix = e.Parameter.In, e.Parameter.Name
			case e.RequestBody != nil:
				in = "body"
			}
			if !hasSchemaError(e.Err) {
				out = append(out, x.violation(message, in, prefix, nil, e.Error()))
				return
			}
			walk(e.Err, in, prefix)
		case *openapi3filter.ResponseError:
			if !hasSchemaError(e.Err) {
				where := ""
				if strings.Contains(e.Reason, "body") {
					where = "body"
				}
				out = append(out, x.violation(message, where, "", nil, e.Error()))
				return
			}
			walk(e.Err, "body", prefix)
		case *openapi3.SchemaError:
			if c := schemaCause(e.Origin); e.SchemaField == "allOf" && c != nil {
				// Each part's own errors say what is wrong; their
				// pointers are whole. (A oneOf's alternatives' errors
				// would not: it is reported as it is.)
				walk(c, in, prefix)
				return
			}
			at := prefix + pointer(e.JSONPointer())
			if m := unsupported.FindStringSubmatch(e.Reason); m != nil {
				at += pointer([]string{m[1]})
				v := x.violation(message, cmpOr(in, "body"), at, nil, "the spec has no such property")
				v.Keyword = "additionalProperties"
				if obj, ok := e.Value.(map[string]any); ok {
					v.Value = shorten(obj[m[1]])
				}
				out = append(out, v)
				return
			}
			v := x.violation(message, cmpOr(in, "body"), at, e.Value, e.Reason)
			v.Keyword = e.SchemaField
			out = append(out, v)
		default:
			out = append(out, x.violation(message, in, prefix, nil, err.Error()))
		}
	}
	walk(err, "", "")
	return out
}

// unsupported is kin-openapi's reason for a property an object does not list.
var unsupported = regexp.MustCompile(`^property "(.*)" is unsupported$`)

// schemaCause is the schema errors err wraps, or nil.
func schemaCause(err error) error {
	for ; err != nil; err = errors.Unwrap(err) {
		if hasSchemaError(err) {
			return err
		}
	}
	return nil
}

func hasSchemaError(err error) bool {
	switch err.(type) {
	case openapi3.MultiError, *openapi3.SchemaError:
		return true
	}
	return false
}

// pointer is the JSON pointer (RFC 6901) of a path of keys.
func pointer(keys []string) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k))
	}
	return b.String()
}

func shorten(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(data) > maxValue {
		return string(data[:maxValue]) + "..."
	}
	return string(data)
}
