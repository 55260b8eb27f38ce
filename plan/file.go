package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/orderform/orderform/provider"
)

// fileKind marks a file as an orderform plan, so `apply somefile.json` with
// anything else fails clearly instead of applying nothing.
const fileKind = "orderform-plan"

// FileFormatVersion is the version of the plan file. 2.0 dropped the calls
// (track_call, update_call: apply makes them from the fields) and keeps
// personal before-values masked; an orderform that reads 1.x refuses it
// rather than apply a change without its calls. Files of format 1.x are
// still read, their calls checked against their fields.
const FileFormatVersion = "2.0"

// File is a saved plan: the plan itself and where it was made. It holds no
// API key: apply takes the key from the environment again. It does hold the
// recipient values it will send, so it is written 0600, like Terraform's.
// Of the values a recipient had, it keeps only what Mask shows (the
// staleness check has the observed state's fingerprint).
type File struct {
	Kind          string
	FormatVersion string
	// Version of orderform that wrote it.
	Version string
	// Endpoint the plan was made against (no credentials), so applying a
	// sandbox plan to the real API is refused.
	Endpoint string
	Plan     *Plan
}

// fileJSON is the file as written: the in-memory types never double as the
// file format, so what the file holds is decided here.
type fileJSON struct {
	Kind          string    `json:"kind"`
	FormatVersion string    `json:"format_version"`
	Version       string    `json:"orderform_version"`
	Endpoint      string    `json:"endpoint"`
	Plan          *filePlan `json:"plan"`
}

// filePlan is a Plan whose changes are fileChanges (the outer field wins
// over the embedded one in encoding/json).
type filePlan struct {
	Plan
	Changes []fileChange `json:"changes"`
}

// fileChange is a Change as the file keeps it: its action as a word (an
// unknown one is refused, not read as no-op) and, in format 1.x files
// only, the calls, read to be checked and then dropped.
type fileChange struct {
	Change
	Action string                `json:"action"`
	Track  *provider.Track       `json:"track_call,omitempty"`
	Update *provider.OrderUpdate `json:"update_call,omitempty"`
}

// Write saves f to path atomically with mode 0600.
func Write(path string, f *File) error {
	f.Kind, f.FormatVersion = fileKind, FileFormatVersion
	out := fileJSON{Kind: f.Kind, FormatVersion: f.FormatVersion, Version: f.Version, Endpoint: f.Endpoint}
	if f.Plan != nil {
		fp := &filePlan{Plan: *f.Plan, Changes: make([]fileChange, len(f.Plan.Changes))}
		fp.Plan.Changes = nil
		for i, c := range f.Plan.Changes {
			c.Fields = slices.Clone(c.Fields)
			for j, fl := range c.Fields {
				if IsPersonal(fl.Path) && fl.Before != nil {
					c.Fields[j].Before = strp(maskValue(fl.Path, *fl.Before))
				}
			}
			fp.Changes[i] = fileChange{Change: c, Action: c.Action.String()}
		}
		out.Plan = fp
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plan-*")
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// maskValue is the masked form of a personal field's value.
func maskValue(path, v string) string {
	if path == FieldPhone {
		return provider.MaskPhone(v)
	}
	return provider.MaskName(v)
}

// Read loads a saved plan, refusing files that are not plans, that a newer
// orderform wrote in a format this one does not know, or whose parts
// disagree (an edited or damaged file): what apply sends must be what show
// displays, so a file that cannot be trusted to say one thing is refused
// whole, before anything is read or sent.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var probe struct {
		Kind          string `json:"kind"`
		FormatVersion string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.Kind != fileKind {
		return nil, fmt.Errorf("read plan: %s is not an orderform plan file", path)
	}
	major, _, _ := strings.Cut(probe.FormatVersion, ".")
	current, _, _ := strings.Cut(FileFormatVersion, ".")
	if major != "1" && major != current {
		return nil, fmt.Errorf("read plan: %s has format %s; this orderform reads 1.x and %s.x", path, printable(probe.FormatVersion), current)
	}
	var fj fileJSON
	if err := json.Unmarshal(data, &fj); err != nil {
		return nil, fmt.Errorf("read plan: %s: %w", path, err)
	}
	if fj.Plan == nil {
		return nil, fmt.Errorf("read plan: %s holds no plan", path)
	}
	p, problems := fj.Plan.plan(major == "1")
	if len(problems) > 0 {
		return nil, fmt.Errorf("read plan: %s is not consistent (edited or damaged?) and is refused whole; make it again with `orderform plan -out=FILE`:\n  %s",
			path, strings.Join(problems, "\n  "))
	}
	// Format 1 files were written before fingerprints were keyed: their
	// observed state is compared unkeyed (it is in the file anyway).
	p.UnkeyedObserved = major == "1"
	return &File{Kind: fj.Kind, FormatVersion: fj.FormatVersion, Version: fj.Version, Endpoint: fj.Endpoint, Plan: p}, nil
}

// plan checks the file's plan and returns it, or every problem found.
// legacy is a format 1.x file, whose changes carry their calls.
func (fp *filePlan) plan(legacy bool) (*Plan, []string) {
	p := fp.Plan
	p.Changes = make([]Change, 0, len(fp.Changes))
	if p.Pending == nil {
		p.Pending = []Pending{}
	}
	if p.Blocked == nil {
		p.Blocked = []Blocked{}
	}
	var problems []string
	byOrder := map[int64]int{}
	byAddress := map[string]int{}
	for i, fc := range fp.Changes {
		c := fc.Change
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
			for _, why := range checkCalls(c, fc.Track, fc.Update) {
				bad("%s", why)
			}
		case fc.Track != nil || fc.Update != nil:
			bad("carries track_call or update_call, which format %s plans do not (apply makes the calls from the fields)", FileFormatVersion)
		}
		c.Track, c.Update = nil, nil
		p.Changes = append(p.Changes, c)
	}
	for _, b := range p.Blocked {
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
