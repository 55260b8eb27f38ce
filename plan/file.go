package plan

//lint:file-ignore S1016 the file's structs are copied field by field on purpose: a conversion would tie them to Plan's Go fields again.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/internal/atomicfile"
	"github.com/orderform/orderform/provider"
)

// fileKind marks a file as an orderform plan, so `apply somefile.json` with
// anything else fails clearly instead of applying nothing.
const fileKind = "orderform-plan"

// FileFormatVersion is the version of the plan file's format, MAJOR.MINOR.
// It is not FormatVersion, the JSON views' version: what a script reads
// and what apply reads back change separately.
//
//   - 1.0: the changes carry their calls (track_call, update_call) and the
//     recipient's previous values in clear.
//   - 2.0: no calls (apply makes them from the fields); personal
//     before-values masked; blocked entries may carry the range of their
//     declaration (an optional key, which readers of 2.0 that came before
//     it ignore).
//   - 2.1: deferred changes (the "deferred" key): changes an order's
//     status does not allow yet, which a later apply sends once it does.
//     A reader must understand them (a 2.0 reader would refuse the key
//     anyway, or, were it lenient, silently drop a change it was meant to
//     send), so a file that holds any is 2.1; one that holds none is
//     written as 2.0, and an orderform that reads only 2.0 still applies
//     it.
//
// A minor version only adds. This orderform reads 1.x (checking each
// change's calls against its fields, then dropping them) and 2.x up to
// this version; anything else is refused, naming both versions, since it
// may hold what this one does not understand (an orderform that reads 2.0
// would apply a 3.0 change it cannot see the whole of).
const FileFormatVersion = "2.1"

// fileFormatFor is the lowest format that holds p: 2.1 for deferred
// changes, else 2.0.
func fileFormatFor(p *Plan) string {
	if p != nil && len(p.Deferred) > 0 {
		return FileFormatVersion
	}
	return "2.0"
}

// File is a saved plan: the plan itself and where it was made. It holds no
// API key: apply takes the key from the environment again. It does hold the
// recipient values it will send, so it is written 0600, like Terraform's.
// Of the values a recipient had, it keeps only what Mask shows (the
// staleness check has the observed state's fingerprint).
type File struct {
	Kind          string
	FormatVersion string
	// Version of orderform that wrote it: a semantic version ("0.1.0-dev",
	// "v1.2.0"). The format, not the version, says what the file means: a
	// file any orderform wrote, older or newer, is read if its format is
	// one this orderform reads. A version that does not parse is refused
	// (the file is damaged, or no orderform wrote it), and Write refuses
	// it too, so that a plan saved is a plan that can be applied.
	Version string
	// Endpoint the plan was made against (no credentials), so applying a
	// sandbox plan to the real API is refused.
	Endpoint string
	Plan     *Plan
}

// The structs below are the file as written, its keys spelled out here:
// Plan, Change and the provider types never double as the file format, so
// renaming a Go field changes nothing in it. Keys that are Go names
// ("FromDate", "OrderID") are what format 2.0 (and 1.0) files hold: they
// stay as they were.

type fileJSON struct {
	Kind          string    `json:"kind"`
	FormatVersion string    `json:"format_version"`
	Version       string    `json:"orderform_version"`
	Endpoint      string    `json:"endpoint"`
	Plan          *filePlan `json:"plan"`
}

type filePlan struct {
	// ViewsVersion is Plan.FormatVersion, the JSON views' version the plan
	// was made under, not the file's: every file since 1.0 has it.
	ViewsVersion string           `json:"format_version"`
	CreatedAt    time.Time        `json:"created_at"`
	BusinessID   int64            `json:"business_id,omitempty"`
	Changes      []fileChange     `json:"changes"`
	Pending      []filePending    `json:"pending"`
	Deferred     []fileDeferred   `json:"deferred,omitempty"` // format 2.1
	Blocked      []fileBlocked    `json:"blocked"`
	Unchanged    int              `json:"unchanged"`
	DataSources  []fileDataSource `json:"data_sources,omitempty"`
}

// fileChange is a Change: its action as a word (an unknown one is refused,
// not read as no-op) and, in format 1.x files only, its calls, read to be
// checked and then dropped.
type fileChange struct {
	Address    string          `json:"address"`
	OrderID    int64           `json:"order_id"`
	CampaignID int64           `json:"campaign_id"`
	Action     string          `json:"action"`
	Status     string          `json:"status"`
	Model      string          `json:"model"`
	Fields     []fileField     `json:"fields"`
	Unchanged  int             `json:"unchanged_fields"`
	Sensitive  []string        `json:"sensitive_fields,omitempty"`
	Observed   fileObserved    `json:"observed"`
	TrackCall  *fileTrackCall  `json:"track_call,omitempty"`
	UpdateCall *fileUpdateCall `json:"update_call,omitempty"`
}

type fileField struct {
	Path   string  `json:"path"`
	Before *string `json:"before"`
	After  *string `json:"after"`
}

type fileObserved struct {
	Status    string            `json:"status"`
	Model     string            `json:"model"`
	UpdatedAt string            `json:"updated_at,omitempty"`
	Values    map[string]string `json:"values"`
}

// fileTrackCall and fileUpdateCall are the calls of format 1.x files.
type fileTrackCall struct {
	Code              string `json:"trackCode"`
	DeliveryServiceID int64  `json:"deliveryServiceId"`
}

type fileUpdateCall struct {
	OrderID  int64         `json:"OrderID"`
	Interval *fileInterval `json:"Interval"`
	Customer *fileCustomer `json:"Customer"`
}

type fileCustomer struct {
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	MiddleName string `json:"middleName,omitempty"`
	Phone      string `json:"phone"`
}

type fileInterval struct {
	FromDate string `json:"FromDate"`
	ToDate   string `json:"ToDate"`
	FromTime string `json:"FromTime"`
	ToTime   string `json:"ToTime"`
}

type filePending struct {
	Address     string    `json:"address"`
	OrderID     int64     `json:"order_id"`
	CampaignID  int64     `json:"campaign_id"`
	Fields      []string  `json:"fields"`
	Operations  []string  `json:"operations,omitempty"`
	SubmittedAt time.Time `json:"submitted_at"`
	Unknown     bool      `json:"outcome_unknown,omitempty"`
	Why         string    `json:"unknown_reason,omitempty"`
}

// fileDeferred is a Deferred: its change's fields and observed state (as a
// change's: personal before-values masked), what waits and for what.
type fileDeferred struct {
	Address    string       `json:"address"`
	OrderID    int64        `json:"order_id"`
	CampaignID int64        `json:"campaign_id"`
	Status     string       `json:"status"`
	Model      string       `json:"model"`
	Fields     []fileField  `json:"fields"`
	Sensitive  []string     `json:"sensitive_fields,omitempty"`
	Observed   fileObserved `json:"observed"`
	Blocks     string       `json:"blocks"`
	WaitsFor   []string     `json:"waits_for"`
	Detail     string       `json:"detail"`
	Range      *fileRange   `json:"range,omitempty"`
}

type fileBlocked struct {
	Address    string         `json:"address"`
	OrderID    int64          `json:"order_id"`
	CampaignID int64          `json:"campaign_id"`
	Status     string         `json:"status,omitempty"`
	Model      string         `json:"model,omitempty"`
	Field      string         `json:"field,omitempty"`
	Reason     string         `json:"reason"`
	Detail     string         `json:"detail"`
	Available  []fileInterval `json:"available,omitempty"`
	Range      *fileRange     `json:"range,omitempty"`
}

// fileRange has the shape of a diagnostic's range in the JSON views.
type fileRange struct {
	Filename string  `json:"filename"`
	Start    filePos `json:"start"`
	End      filePos `json:"end"`
}

type filePos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type fileDataSource struct {
	Address    string            `json:"address"`
	Kind       string            `json:"kind"`
	CampaignID int64             `json:"campaign_id"`
	OrderID    int64             `json:"order_id,omitempty"`
	Available  []fileInterval    `json:"available,omitempty"`
	Options    []fileDelivOption `json:"options,omitempty"`
}

type fileDelivOption struct {
	WarehouseID     int64        `json:"WarehouseID"`
	Type            string       `json:"Type"`
	LogisticPointID int64        `json:"LogisticPointID"`
	Interval        fileInterval `json:"Interval"`
	Price           float64      `json:"Price"`
	Currency        string       `json:"Currency"`
}

// Write saves f to path atomically with mode 0600.
func Write(path string, f *File) error {
	if !validVersion(f.Version) {
		return fmt.Errorf("write plan: orderform version %s is not a semantic version (such as 1.2.0 or 0.1.0-dev), and a plan file needs one", strconv.Quote(f.Version))
	}
	f.Kind, f.FormatVersion = fileKind, fileFormatFor(f.Plan)
	out := fileJSON{Kind: f.Kind, FormatVersion: f.FormatVersion, Version: f.Version, Endpoint: f.Endpoint}
	if f.Plan != nil {
		out.Plan = toFile(f.Plan)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// toFile is p as the file keeps it: the previous values of personal fields
// masked, no calls.
func toFile(p *Plan) *filePlan {
	fp := &filePlan{ViewsVersion: p.FormatVersion, CreatedAt: p.CreatedAt, BusinessID: p.BusinessID, Unchanged: p.Unchanged,
		Changes: make([]fileChange, 0, len(p.Changes)), Pending: make([]filePending, 0, len(p.Pending)),
		Blocked: make([]fileBlocked, 0, len(p.Blocked))}
	fields := func(fs []Field) []fileField {
		return convert(fs, func(f Field) fileField {
			if IsPersonal(f.Path) && f.Before != nil {
				f.Before = strp(maskValue(f.Path, *f.Before))
			}
			return fileField{Path: f.Path, Before: f.Before, After: f.After}
		})
	}
	observed := func(o Observed) fileObserved {
		return fileObserved{Status: o.Status, Model: o.Model, UpdatedAt: o.UpdatedAt, Values: o.Values}
	}
	for _, c := range p.Changes {
		fc := fileChange{Address: c.Address, OrderID: c.OrderID, CampaignID: c.CampaignID, Action: c.Action.String(),
			Status: c.Status, Model: c.Model, Unchanged: c.Unchanged, Sensitive: c.Sensitive, Observed: observed(c.Observed)}
		fc.Fields = fields(c.Fields)
		fp.Changes = append(fp.Changes, fc)
	}
	for _, d := range p.Deferred {
		fp.Deferred = append(fp.Deferred, fileDeferred{Address: d.Address, OrderID: d.OrderID, CampaignID: d.CampaignID,
			Status: d.Status, Model: d.Model, Fields: fields(d.Fields), Sensitive: d.Sensitive, Observed: observed(d.Observed),
			Blocks: d.Blocks, WaitsFor: d.WaitsFor, Detail: d.Detail, Range: toFileRange(d.Range)})
	}
	for _, pd := range p.Pending {
		fp.Pending = append(fp.Pending, filePending{Address: pd.Address, OrderID: pd.OrderID, CampaignID: pd.CampaignID,
			Fields: pd.Fields, Operations: pd.Operations, SubmittedAt: pd.SubmittedAt, Unknown: pd.Unknown, Why: pd.Why})
	}
	for _, b := range p.Blocked {
		fb := fileBlocked{Address: b.Address, OrderID: b.OrderID, CampaignID: b.CampaignID, Status: b.Status, Model: b.Model,
			Field: b.Field, Reason: string(b.Reason), Detail: b.Detail, Available: convert(b.Available, toFileInterval)}
		fb.Range = toFileRange(b.Range)
		fp.Blocked = append(fp.Blocked, fb)
	}
	fp.DataSources = convert(p.DataSources, func(d DataSource) fileDataSource {
		return fileDataSource{Address: d.Address, Kind: d.Kind, CampaignID: d.CampaignID, OrderID: d.OrderID,
			Available: convert(d.Available, toFileInterval),
			Options: convert(d.Options, func(o provider.DeliveryOption) fileDelivOption {
				return fileDelivOption{WarehouseID: o.WarehouseID, Type: o.Type, LogisticPointID: o.LogisticPointID,
					Interval: toFileInterval(o.Interval), Price: o.Price, Currency: o.Currency}
			})}
	})
	return fp
}

// toFileRange is r as the file keeps it; nil for the zero Range.
func toFileRange(r hcl.Range) *fileRange {
	if r.Filename == "" {
		return nil
	}
	return &fileRange{Filename: r.Filename,
		Start: filePos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:   filePos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte}}
}

// hclRange is the Range r keeps; the zero Range for nil.
func (r *fileRange) hclRange() hcl.Range {
	if r == nil {
		return hcl.Range{}
	}
	return hcl.Range{Filename: r.Filename,
		Start: hcl.Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:   hcl.Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte}}
}

func toFileInterval(iv provider.Interval) fileInterval {
	return fileInterval{FromDate: iv.FromDate, ToDate: iv.ToDate, FromTime: iv.FromTime, ToTime: iv.ToTime}
}

func (iv fileInterval) interval() provider.Interval {
	return provider.Interval{FromDate: iv.FromDate, ToDate: iv.ToDate, FromTime: iv.FromTime, ToTime: iv.ToTime}
}

// convert maps xs with f, keeping nil nil (and empty empty).
func convert[A, B any](xs []A, f func(A) B) []B {
	if xs == nil {
		return nil
	}
	out := make([]B, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// maskValue is the masked form of a personal field's value.
func maskValue(path, v string) string {
	if path == FieldPhone {
		return provider.MaskPhone(v)
	}
	return provider.MaskName(v)
}

// semver is a semantic version, with or without its "v".
var semver = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func validVersion(v string) bool { return semver.MatchString(v) }

// formatVersion splits a file format version, MAJOR.MINOR.
func formatVersion(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found || !digits(a) || !digits(b) {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(b)
	return major, minor, err1 == nil && err2 == nil
}

func digits(s string) bool {
	return s != "" && len(s) <= 9 && strings.Trim(s, "0123456789") == ""
}

// Read loads a saved plan, refusing files that are not plans, that are
// damaged, that a newer orderform wrote in a format this one does not know,
// or whose parts disagree (an edited file): what apply sends must be what
// show displays, so a file that cannot be trusted to say one thing is
// refused whole, before anything is read or sent. Decoding is strict: a key
// the file's format does not have is refused, not ignored.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("read plan: %s is not an orderform plan file", path)
	}
	var probe struct {
		Kind          any `json:"kind"`
		FormatVersion any `json:"format_version"`
		Version       any `json:"orderform_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		// A file that starts as JSON and breaks off is most likely a plan
		// that was damaged: say where, not "not a plan".
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset >= int64(len(data)) {
			return nil, fmt.Errorf("read plan: %s is truncated at byte %d (%v); make it again with `orderform plan -out=FILE`", path, se.Offset, err)
		}
		if errors.As(err, &se) {
			return nil, fmt.Errorf("read plan: %s is not valid JSON at byte %d: %v", path, se.Offset, err)
		}
		return nil, fmt.Errorf("read plan: %s: %w", path, err)
	}
	if probe.Kind != fileKind {
		return nil, fmt.Errorf("read plan: %s is not an orderform plan file", path)
	}
	format, _ := probe.FormatVersion.(string)
	major, minor, ok := formatVersion(format)
	currentMajor, currentMinor, _ := formatVersion(FileFormatVersion)
	if !ok || (major != 1 && (major != currentMajor || minor > currentMinor)) {
		shown := format
		if _, isString := probe.FormatVersion.(string); !isString {
			shown = fmt.Sprint(probe.FormatVersion)
		}
		return nil, fmt.Errorf("read plan: %s has format %s; this orderform reads 1.x and %d.x up to %s",
			path, printable(shown), currentMajor, FileFormatVersion)
	}
	if v, _ := probe.Version.(string); !validVersion(v) {
		named := "names no orderform version"
		if probe.Version != nil {
			named = "names orderform version " + printable(fmt.Sprint(probe.Version)) + ", which is not a version"
		}
		return nil, fmt.Errorf("read plan: %s %s (edited or damaged?); make it again with `orderform plan -out=FILE`", path, named)
	}
	var fj fileJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("read plan: %s: %s is %s, where format %s has %s (at byte %d)", path, printable(te.Field), article(te.Value), format, jsonKind(te.Type), te.Offset)
		}
		return nil, fmt.Errorf("read plan: %s (format %s): %w", path, format, err)
	}
	if fj.Plan == nil {
		return nil, fmt.Errorf("read plan: %s holds no plan", path)
	}
	if len(fj.Plan.Deferred) > 0 && (major != 2 || minor < 1) {
		return nil, fmt.Errorf("read plan: %s has format %s, which has no deferred changes, but holds some (edited or damaged?); make it again with `orderform plan -out=FILE`", path, format)
	}
	p, problems := fj.Plan.plan(major == 1)
	if len(problems) > 0 {
		return nil, fmt.Errorf("read plan: %s is not consistent (edited or damaged?) and is refused whole; make it again with `orderform plan -out=FILE`:\n  %s",
			path, strings.Join(problems, "\n  "))
	}
	// Format 1 files were written before fingerprints were keyed: their
	// observed state is compared unkeyed (it is in the file anyway).
	p.UnkeyedObserved = major == 1
	return &File{Kind: fj.Kind, FormatVersion: fj.FormatVersion, Version: fj.Version, Endpoint: fj.Endpoint, Plan: p}, nil
}

// article is a JSON value kind as encoding/json names it ("string",
// "number", "array"), with its article.
func article(kind string) string {
	if kind != "" && strings.IndexByte("aeiou", kind[0]) >= 0 {
		return "an " + kind
	}
	return "a " + kind
}

// jsonKind names what a Go type is in JSON.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// plan checks the file's plan and returns it, or every problem found.
// legacy is a format 1.x file, whose changes carry their calls.
func (fp *filePlan) plan(legacy bool) (*Plan, []string) {
	p := Plan{FormatVersion: fp.ViewsVersion, CreatedAt: fp.CreatedAt, BusinessID: fp.BusinessID, Unchanged: fp.Unchanged,
		Changes: make([]Change, 0, len(fp.Changes)), Pending: make([]Pending, 0, len(fp.Pending)),
		Deferred: make([]Deferred, 0, len(fp.Deferred)), Blocked: make([]Blocked, 0, len(fp.Blocked))}
	for _, pd := range fp.Pending {
		p.Pending = append(p.Pending, Pending{Address: pd.Address, OrderID: pd.OrderID, CampaignID: pd.CampaignID,
			Fields: pd.Fields, Operations: pd.Operations, SubmittedAt: pd.SubmittedAt, Unknown: pd.Unknown, Why: pd.Why})
	}
	for _, fb := range fp.Blocked {
		b := Blocked{Address: fb.Address, OrderID: fb.OrderID, CampaignID: fb.CampaignID, Status: fb.Status, Model: fb.Model,
			Field: fb.Field, Reason: Reason(fb.Reason), Detail: fb.Detail, Available: convert(fb.Available, fileInterval.interval)}
		b.Range = fb.Range.hclRange()
		p.Blocked = append(p.Blocked, b)
	}
	p.DataSources = convert(fp.DataSources, func(d fileDataSource) DataSource {
		return DataSource{Address: d.Address, Kind: d.Kind, CampaignID: d.CampaignID, OrderID: d.OrderID,
			Available: convert(d.Available, fileInterval.interval),
			Options: convert(d.Options, func(o fileDelivOption) provider.DeliveryOption {
				return provider.DeliveryOption{WarehouseID: o.WarehouseID, Type: o.Type, LogisticPointID: o.LogisticPointID,
					Interval: o.Interval.interval(), Price: o.Price, Currency: o.Currency}
			})}
	})
	var problems []string
	byOrder := map[int64]int{}
	byAddress := map[string]int{}
	for i, fc := range fp.Changes {
		c := Change{Address: fc.Address, OrderID: fc.OrderID, CampaignID: fc.CampaignID, Status: fc.Status, Model: fc.Model,
			Unchanged: fc.Unchanged, Sensitive: fc.Sensitive,
			Fields:   convert(fc.Fields, func(f fileField) Field { return Field{Path: f.Path, Before: f.Before, After: f.After} }),
			Observed: Observed{Status: fc.Observed.Status, Model: fc.Observed.Model, UpdatedAt: fc.Observed.UpdatedAt, Values: fc.Observed.Values}}
		label := fmt.Sprintf("change %d (%s)", i+1, printable(c.Address))
		bad := func(format string, args ...any) {
			problems = append(problems, label+": "+fmt.Sprintf(format, args...))
		}
		switch {
		case c.Address == "":
			bad("names no address")
		case c.OrderID <= 0:
			bad("names no order ID")
		case c.CampaignID <= 0:
			bad("names no campaign ID")
		}
		if j, ok := byOrder[c.OrderID]; ok && c.OrderID > 0 {
			bad("order %d is already changed by change %d", c.OrderID, j+1)
		} else if j, ok := byAddress[c.Address]; ok && c.Address != "" {
			bad("%s is already changed by change %d", printable(c.Address), j+1)
		}
		if _, ok := byOrder[c.OrderID]; !ok {
			byOrder[c.OrderID] = i
		}
		if _, ok := byAddress[c.Address]; !ok {
			byAddress[c.Address] = i
		}
		if fc.Action != Update.String() {
			bad("action %s is not one orderform applies (want %q)", strconv.Quote(fc.Action), Update.String())
		}
		c.Action = Update
		for _, why := range checkFields(c) {
			bad("%s", why)
		}
		if c.Status != c.Observed.Status || c.Model != c.Observed.Model {
			bad("shows status %s and model %s, but observed %s and %s",
				strconv.Quote(c.Status), strconv.Quote(c.Model), strconv.Quote(c.Observed.Status), strconv.Quote(c.Observed.Model))
		}
		switch {
		case legacy:
			for _, why := range checkCalls(c, fc.TrackCall.track(), fc.UpdateCall.update()) {
				bad("%s", why)
			}
		case fc.TrackCall != nil || fc.UpdateCall != nil:
			bad("carries track_call or update_call, which format 2 plans do not (apply makes the calls from the fields)")
		}
		p.Changes = append(p.Changes, c)
	}
	deferredOrders := map[int64]int{}
	for i, fd := range fp.Deferred {
		d := Deferred{Change: Change{Address: fd.Address, OrderID: fd.OrderID, CampaignID: fd.CampaignID, Action: Update,
			Status: fd.Status, Model: fd.Model, Sensitive: fd.Sensitive,
			Fields:   convert(fd.Fields, func(f fileField) Field { return Field{Path: f.Path, Before: f.Before, After: f.After} }),
			Observed: Observed{Status: fd.Observed.Status, Model: fd.Observed.Model, UpdatedAt: fd.Observed.UpdatedAt, Values: fd.Observed.Values}},
			Blocks: fd.Blocks, WaitsFor: fd.WaitsFor, Detail: fd.Detail, Range: fd.Range.hclRange()}
		label := fmt.Sprintf("deferred change %d (%s)", i+1, printable(d.Address))
		bad := func(format string, args ...any) {
			problems = append(problems, label+": "+fmt.Sprintf(format, args...))
		}
		switch {
		case d.Address == "":
			bad("names no address")
		case d.OrderID <= 0:
			bad("names no order ID")
		case d.CampaignID <= 0:
			bad("names no campaign ID")
		}
		if j, ok := deferredOrders[d.OrderID]; ok && d.OrderID > 0 {
			bad("order %d is already deferred by deferred change %d", d.OrderID, j+1)
		} else {
			deferredOrders[d.OrderID] = i
		}
		// An order may have a change and a deferred part (the status allows
		// one and not yet the other), but they are its parts: not the same
		// field twice, and the same address.
		if j, ok := byOrder[d.OrderID]; ok {
			if fp.Changes[j].Address != d.Address {
				bad("is for order %d, as change %d, which names another address", d.OrderID, j+1)
			}
			for _, f := range fp.Changes[j].Fields {
				if slices.ContainsFunc(d.Fields, func(g Field) bool { return block(g.Path) == block(f.Path) }) {
					bad("defers %s, which change %d also sets", block(f.Path), j+1)
					break
				}
			}
		}
		for _, why := range checkFields(d.Change) {
			bad("%s", why)
		}
		if d.Status != d.Observed.Status || d.Model != d.Observed.Model {
			bad("shows status %s and model %s, but observed %s and %s",
				strconv.Quote(d.Status), strconv.Quote(d.Model), strconv.Quote(d.Observed.Status), strconv.Quote(d.Observed.Model))
		}
		if len(d.WaitsFor) == 0 {
			bad("names no status it waits for")
		}
		p.Deferred = append(p.Deferred, d)
	}
	for _, b := range p.Blocked {
		if i, ok := deferredOrders[b.OrderID]; ok {
			problems = append(problems, fmt.Sprintf("deferred change %d (%s): order %d is also listed as blocked (%s)",
				i+1, printable(p.Deferred[i].Address), b.OrderID, printable(b.Address)))
		}
		if i, ok := byOrder[b.OrderID]; ok {
			problems = append(problems, fmt.Sprintf("change %d (%s): order %d is also listed as blocked (%s)",
				i+1, printable(fp.Changes[i].Address), b.OrderID, printable(b.Address)))
		}
	}
	for _, pd := range p.Pending {
		if i, ok := byAddress[pd.Address]; ok && fp.Changes[i].OrderID != pd.OrderID {
			problems = append(problems, fmt.Sprintf("change %d (%s): is for order %d, but the pending entry of the same address names order %d",
				i+1, printable(pd.Address), fp.Changes[i].OrderID, pd.OrderID))
		}
	}
	return &p, problems
}

// track and update are a format 1.x change's calls as provider values,
// for checkCalls; nil when the file has none.
func (t *fileTrackCall) track() *provider.Track {
	if t == nil {
		return nil
	}
	return &provider.Track{Code: t.Code, DeliveryServiceID: t.DeliveryServiceID}
}

func (u *fileUpdateCall) update() *provider.OrderUpdate {
	if u == nil {
		return nil
	}
	out := &provider.OrderUpdate{OrderID: u.OrderID}
	if u.Interval != nil {
		iv := u.Interval.interval()
		out.Interval = &iv
	}
	if c := u.Customer; c != nil {
		out.Customer = &provider.Customer{FirstName: c.FirstName, LastName: c.LastName, MiddleName: c.MiddleName, Phone: c.Phone}
	}
	return out
}

// checkFields finds what is wrong with a change's fields on their own.
func checkFields(c Change) []string {
	var out []string
	if len(c.Fields) == 0 {
		return []string{"sets no field"}
	}
	seen := map[string]bool{}
	hasCode, hasService := false, false
	for _, f := range c.Fields {
		switch {
		case !knownFields[f.Path]:
			out = append(out, fmt.Sprintf("field %s is not one orderform manages", strconv.Quote(f.Path)))
			continue
		case seen[f.Path]:
			out = append(out, fmt.Sprintf("field %s is listed twice", f.Path))
		case f.After == nil:
			out = append(out, fmt.Sprintf("field %s has no value to set", f.Path))
		}
		seen[f.Path] = true
		hasCode = hasCode || f.Path == FieldTrackCode
		hasService = hasService || f.Path == FieldTrackService
		// Staleness is checked on the observed value of each block the
		// change touches: without it, nothing would be checked.
		if _, ok := c.Observed.Values[block(f.Path)]; !ok {
			out = append(out, fmt.Sprintf("field %s has no observed %s state to check it against", f.Path, block(f.Path)))
		}
	}
	if hasService && !hasCode {
		out = append(out, fmt.Sprintf("field %s without %s: a track is set with its code", FieldTrackService, FieldTrackCode))
	}
	return slices.Compact(out)
}

// checkCalls compares the calls of a format 1.x change with what its fields
// and observed state say they must be; what they do not show (the replaced
// track's service, an interval's unchanged ends, the undeclared recipient
// names) is checked against the observed state the file also holds.
func checkCalls(c Change, t *provider.Track, u *provider.OrderUpdate) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	fields := map[string]*Field{}
	var hasTrack, hasInterval, hasRecipient bool
	for i, f := range c.Fields {
		fields[f.Path] = &c.Fields[i]
		switch block(f.Path) {
		case "track":
			hasTrack = true
		case "delivery_interval":
			hasInterval = true
		case "recipient":
			hasRecipient = true
		}
	}
	after := func(path string) (string, bool) {
		if f := fields[path]; f != nil && f.After != nil {
			return *f.After, true
		}
		return "", false
	}
	before := func(path string) string {
		if f := fields[path]; f != nil && f.Before != nil {
			return *f.Before
		}
		return ""
	}

	switch {
	case hasTrack && t == nil:
		bad("shows track fields but has no track_call")
	case !hasTrack && t != nil:
		bad("has a track_call but shows no track field")
	case t != nil:
		if code, _ := after(FieldTrackCode); t.Code != code {
			bad("track_call sends track code %s, but %s shows %s", strconv.Quote(t.Code), FieldTrackCode, strconv.Quote(code))
		}
		if svc, ok := after(FieldTrackService); ok {
			if strconv.FormatInt(t.DeliveryServiceID, 10) != svc {
				bad("track_call sends delivery service %d, but %s shows %s", t.DeliveryServiceID, FieldTrackService, strconv.Quote(svc))
			}
		} else if old := before(FieldTrackCode); old == "" ||
			!slices.Contains(strings.Split(c.Observed.Values["track"], ","), fmt.Sprintf("%s@%d", strings.TrimSpace(old), t.DeliveryServiceID)) {
			bad("track_call sends delivery service %d, which is not the service of the track it replaces", t.DeliveryServiceID)
		}
	}

	switch {
	case (hasInterval || hasRecipient) && u == nil:
		bad("shows delivery_interval or recipient fields but has no update_call")
	case !hasInterval && !hasRecipient && u != nil:
		bad("has an update_call but shows no delivery_interval or recipient field")
	case u == nil:
	default:
		if u.OrderID != c.OrderID {
			bad("update_call is for order %d, but the change is for order %d", u.OrderID, c.OrderID)
		}
		switch {
		case hasInterval != (u.Interval != nil):
			bad("update_call's delivery interval does not match the delivery_interval fields")
		case u.Interval != nil:
			sent := *u.Interval
			was := sent
			for _, path := range []string{FieldIntervalFromDate, FieldIntervalToDate, FieldIntervalFromTime, FieldIntervalToTime} {
				if v, ok := after(path); ok {
					if *intervalPart(&sent, path) != v {
						bad("update_call sends %s %s, but the field shows %s", path, strconv.Quote(*intervalPart(&sent, path)), strconv.Quote(v))
					}
					*intervalPart(&was, path) = before(path)
				}
			}
			// The parts the fields do not show are sent as they were.
			if c.Observed.Values["delivery_interval"] != was.FromDate+" "+was.FromTime+"/"+was.ToDate+" "+was.ToTime {
				bad("update_call sends a delivery interval whose unchanged parts are not the observed interval's")
			}
		}
		switch {
		case hasRecipient != (u.Customer != nil):
			bad("update_call's customer does not match the recipient fields")
		case u.Customer != nil:
			cu := *u.Customer
			was := cu
			for _, x := range []struct {
				path       string
				sent, prev *string
			}{
				{FieldFirstName, &cu.FirstName, &was.FirstName},
				{FieldLastName, &cu.LastName, &was.LastName},
				{FieldMiddleName, &cu.MiddleName, &was.MiddleName},
				{FieldPhone, &cu.Phone, &was.Phone},
			} {
				if v, ok := after(x.path); ok {
					if *x.sent != strings.TrimSpace(v) {
						bad("update_call sends another %s than the field shows", x.path)
					}
					*x.prev = before(x.path)
				}
			}
			// The parts the fields do not show are sent as the order had
			// them: the observed fingerprint says what that was.
			// Files of format 1 were written before fingerprints were
			// keyed.
			fp := Key(nil).Fingerprint("recipient", NormName(was.LastName)+"\x00"+NormName(was.FirstName)+"\x00"+NormName(was.MiddleName)+"\x00"+NormPhone(was.Phone))
			if c.Observed.Values["recipient"] != fp {
				bad("update_call sends a customer whose undeclared parts are not the observed recipient's")
			}
		}
	}
	return out
}

// printable is s, quoted when it holds anything that is not plainly
// printable (a file's text goes to a terminal in error messages).
func printable(s string) string {
	if q := strconv.Quote(s); q[1:len(q)-1] != s {
		return q
	}
	return s
}
