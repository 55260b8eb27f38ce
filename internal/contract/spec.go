// Package contract is test support: it checks the HTTP messages of the
// provider's client and of its emulator (provider/sandbox) against the
// official OpenAPI 3.0.3 spec of the Market Partner API, so that the suites
// that already drive them are contract tests too.
//
// Wrap a client's transport in Transport (it checks every request it sends
// and every answer it gets), or a sandbox in Handler (it checks every request
// it receives and every answer it sends). A message that breaks the spec is a
// Violation naming the operation, the JSON pointer and the value; where the
// spec and orderform disagree on purpose, the table in exceptions.go says so.
//
// The spec is the part of it orderform calls, vendored in openapi/ by
// go generate (see extract/), so tests need nothing outside the repository.
package contract

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:generate go run ./extract -to openapi

//go:embed openapi
var vendored embed.FS

// operation is one method of one path of the spec.
type operation struct {
	method   string
	path     string   // as the spec writes it: /v2/campaigns/{campaignId}
	segments []string // path split at "/", parameters kept as "{name}"
	item     *openapi3.PathItem
	op       *openapi3.Operation
}

// name is how a report names the operation: its operationId and route.
func (o *operation) name() string { return o.op.OperationID + " (" + o.method + " " + o.path + ")" }

// spec is the loaded, validated document and its operations.
type spec struct {
	doc        *openapi3.T
	operations []*operation
	// envelope is ApiErrorResponse: what an answer to a path or method the
	// spec does not have is checked against.
	envelope *openapi3.Schema
}

// loadSpec parses the vendored spec once per process: the suites wrap many
// servers and clients, and parsing takes a noticeable fraction of a second.
var loadSpec = sync.OnceValues(func() (*spec, error) { return parse(vendored, "openapi/openapi.yaml") })

// parse loads the multi-file spec rooted at root in fsys, resolving its
// relative $refs inside fsys only.
func parse(fsys fs.FS, root string) (*spec, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" || u.Host != "" {
			return nil, fmt.Errorf("read %s: only files of the vendored spec", u)
		}
		return fs.ReadFile(fsys, strings.TrimPrefix(u.Path, "/"))
	}
	doc, err := loader.LoadFromURI(&url.URL{Path: root})
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI spec: %w", err)
	}
	// The spec's examples are not all valid against its own schemas
	// (they are documentation); the structure must be.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.SetRegexCompiler(compileRegexp)); err != nil {
		return nil, fmt.Errorf("the OpenAPI spec is not valid: %w", err)
	}
	closeObjects(doc)
	s := &spec{doc: doc}
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		for method, op := range item.Operations() {
			s.operations = append(s.operations, &operation{
				method: method, path: p, segments: strings.Split(p, "/"), item: item, op: op,
			})
		}
	}
	if len(s.operations) == 0 {
		return nil, errors.New("the OpenAPI spec has no operations")
	}
	// Every operation's 500 answer is the generic envelope.
	for _, o := range s.operations {
		if r := o.op.Responses.Status(500); r != nil && r.Value != nil {
			if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				s.envelope = mt.Schema.Value
				break
			}
		}
	}
	if s.envelope == nil {
		return nil, errors.New("the OpenAPI spec documents no error envelope (a 500 answer)")
	}
	return s, nil
}

// route finds the operation of method and path, with its path parameters.
// found reports whether the path exists at all (with another method).
func (s *spec) route(method, path string) (op *operation, params map[string]string, found bool) {
	segs := strings.Split(path, "/")
next:
	for _, o := range s.operations {
		if len(o.segments) != len(segs) {
			continue
		}
		p := map[string]string{}
		for i, seg := range o.segments {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				if segs[i] == "" {
					continue next
				}
				v, err := url.PathUnescape(segs[i])
				if err != nil {
					continue next
				}
				p[seg[1:len(seg)-1]] = v
				continue
			}
			if seg != segs[i] {
				continue next
			}
		}
		found = true
		if o.method == method {
			return o, p, true
		}
	}
	return nil, nil, found
}

// formats are the spec's string formats that are not JSON Schema's, as its
// descriptions define them, and its "time", which the spec uses for the
// 24-hour HH:MM its descriptions give (JSON Schema's time is RFC 3339's
// HH:MM:SS with an offset, which the API never sends). "date" and
// "date-time" keep kin-openapi's RFC 3339 checks.
var formats = map[string]openapi3.StringFormatValidator{
	// DateDdMmYyyy: OrderDTO's dates.
	"date-dd-MM-yyyy": layout("02-01-2006"),
	// DateDdMmYyyyHhMmSs: OrderDTO's creationDate, updatedAt, ...
	"date-dd-MM-yyyy-HH-mm-ss": layout("02-01-2006 15:04:05"),
	// "Формат времени: 24-часовой, ЧЧ:ММ" (OrderDeliveryDatesDTO,
	// TimeIntervalDTO, whose pattern says the same).
	"time": openapi3.NewRegexpFormatValidator(`^([01][0-9]|2[0-3]):[0-5][0-9]$`),
}

// layout accepts exactly the strings time.Parse reads with l that format
// back the same way: a real calendar date, zero-padded.
func layout(l string) openapi3.StringFormatValidator {
	shape := regexp.MustCompile("^" + regexp.MustCompile(`[0-9]`).ReplaceAllString(regexp.QuoteMeta(l), `[0-9]`) + "$")
	return openapi3.NewCallbackValidator(func(v string) error {
		if !shape.MatchString(v) {
			return fmt.Errorf("not in the layout %s", l)
		}
		if _, err := time.Parse(l, v); err != nil {
			return fmt.Errorf("not a date in the layout %s", l)
		}
		return nil
	})
}

// compileRegexp compiles the spec's patterns, which are ECMA 262 regular
// expressions, with Go's regexp: the same syntax but for \uXXXX escapes,
// rewritten, and lookahead, which one pattern (ShopSku's
// "^(?=.*\S.*)[^\x00-\x08\x0A-\x1f\x7f]{1,255}$": not blank) opens with.
// A leading "^(?=A)B" is read as "^A" and "^B" both matching.
func compileRegexp(expr string) (openapi3.RegexMatcher, error) {
	expr = codepoint.ReplaceAllString(expr, `\x{$1}`)
	var all allOf
	for strings.HasPrefix(expr, "^(?=") {
		end, depth := -1, 0
		for i := len("^("); i < len(expr) && end < 0; i++ {
			switch expr[i] {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				if depth == 0 {
					end = i
				}
				depth--
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("pattern %q: unterminated lookahead", expr)
		}
		re, err := regexp.Compile("^(?:" + expr[len("^(?="):end] + ")")
		if err != nil {
			return nil, err
		}
		all = append(all, re)
		expr = "^" + expr[end+1:]
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return re, nil
	}
	return append(all, re), nil
}

var codepoint = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// allOf matches what all its expressions match.
type allOf []*regexp.Regexp

func (a allOf) MatchString(s string) bool {
	for _, re := range a {
		if !re.MatchString(s) {
			return false
		}
	}
	return true
}

// closeObjects makes every object schema reachable from the operations
// refuse properties it does not list, the one check this adds to the spec.
// OpenAPI 3.0 lets an object carry any property, so a misspelt field
// (logisticPointIds for logisticPointsIds) would pass; a field the API
// does not know is ignored by it without a word, and is a bug either way.
// Schemas composed with allOf, anyOf or oneOf, and their parts, stay open:
// each part lists only its own properties.
func closeObjects(doc *openapi3.T) {
	var all []*openapi3.Schema
	seen := map[*openapi3.Schema]bool{}
	composed := map[*openapi3.Schema]bool{}
	var visit func(r *openapi3.SchemaRef)
	visit = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		s := r.Value
		seen[s] = true
		all = append(all, s)
		for _, parts := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			if len(parts) > 0 {
				composed[s] = true
			}
			for _, p := range parts {
				if p.Value != nil {
					composed[p.Value] = true
				}
				visit(p)
			}
		}
		visit(s.Not)
		visit(s.Items)
		visit(s.AdditionalProperties.Schema)
		for _, p := range s.Properties {
			visit(p)
		}
	}
	for _, p := range doc.Paths.Map() {
		for _, op := range p.Operations() {
			for _, param := range append(p.Parameters, op.Parameters...) {
				if param.Value != nil {
					visit(param.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					visit(mt.Schema)
				}
			}
			for _, r := range op.Responses.Map() {
				if r.Value != nil {
					for _, mt := range r.Value.Content {
						visit(mt.Schema)
					}
				}
			}
		}
	}
	closed := false
	for _, s := range all {
		if len(s.Properties) == 0 || composed[s] || s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil {
			continue
		}
		s.AdditionalProperties.Has = &closed
		// A property the spec requires is one it knows, even where it
		// forgot to describe it (CourierDeliveryOptionDTO and
		// PickupOptionsDTO require paymentMethods and list no such
		// property): any value.
		for _, name := range s.Required {
			if _, ok := s.Properties[name]; !ok {
				s.Properties[name] = openapi3.NewSchemaRef("", &openapi3.Schema{})
			}
		}
	}
}
