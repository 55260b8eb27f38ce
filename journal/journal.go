// Package journal is apply's memory between runs, and the lock that keeps
// two runs from writing to one campaign at once. Both live in a Backend:
// Local (an append-only file and flocks under .orderform/ of the
// configuration directory, one machine) or PG (a PostgreSQL table and
// advisory locks, every machine that reaches it). The moment before a write
// leaves, an intent is made durable (fsync, or a synchronous commit;
// writes leaving together share one: commit.go); after it, the outcome. A
// run that finds an intent without an outcome knows a write may have
// reached the Market and re-reads the order instead of sending the change
// again. Records are scoped by the endpoint they were sent to.
//
// The journal never holds the API key, nor a recipient's name or phone: a
// change is kept as keyed fingerprints of its target values (plan.Key).
//
// What became of a write (its answer, its operations, how long one without
// an answer stays in flight) is judged by the rules of verdict.go alone,
// which apply and internal/refresh share.
package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/orderform/orderform/internal/atomicfile"
	"github.com/orderform/orderform/provider"
)

// Dir is the directory, inside the configuration directory, that holds the
// journal, the lock and the embedded sandbox's state.
const Dir = ".orderform"

const fileName = "journal.jsonl"

// Kinds of records.
const (
	KindIntent    = "intent"    // about to send; fsynced before the call
	KindSubmitted = "submitted" // the API accepted it (operation IDs for updates)
	KindConfirmed = "confirmed" // the order shows the change
	KindFailed    = "failed"    // the API refused it or its operation failed
	KindUnknown   = "unknown"   // sent, but no answer: the order must be re-read
	KindExpired   = "expired"   // never confirmed within the grace period: no longer in flight
)

// Calls a record can be about: the names of the write endpoints
// (plan.CallKind), "track" and "update".
const (
	CallTrack  = provider.EndpointTrack
	CallUpdate = provider.EndpointUpdate
)

// Record is one line of the journal.
type Record struct {
	Time       time.Time         `json:"time"`
	Kind       string            `json:"kind"`
	ID         string            `json:"id"` // one submission: its intent and every later record share it
	Call       string            `json:"call,omitempty"`
	Address    string            `json:"address,omitempty"`
	OrderID    int64             `json:"order_id"`
	CampaignID int64             `json:"campaign_id,omitempty"`
	BusinessID int64             `json:"business_id,omitempty"`
	Targets    map[string]string `json:"targets,omitempty"` // field path -> fingerprint of the value sent
	Operations []Operation       `json:"operations,omitempty"`
	Error      string            `json:"error,omitempty"`
	// Endpoint is the API the write was sent to (a URL, or "sandbox:SEED"):
	// the journal is scoped by it. By is who sent it (Holder.Who). Intents
	// carry both.
	Endpoint string `json:"endpoint,omitempty"`
	By       string `json:"by,omitempty"`
}

// Operation is an asynchronous operation the Market started for a write.
type Operation struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Journal appends records durably. It is safe for concurrent use: appends
// that arrive while another is being written go to disk together, with one
// write and one fsync (group commit), and each returns once its records are
// on disk.
type Journal struct {
	path string

	fileMu sync.Mutex // the file: one writer at a time; Compact swaps it
	f      *os.File

	mu     sync.Mutex // broken
	broken error      // set when a failed append could not be undone

	commits groupCommit[byte]

	// appendLock, when set, is held exclusively for each write: other
	// processes append to the same file (local backend), and undoing a
	// short write by cutting the file back is only safe while nobody else
	// can have appended after it.
	appendLock *os.File
}

// Open opens (creating it if needed) the journal of the configuration
// directory dir. A last line cut short by a crash is cut off first, so the
// records appended next start on a line of their own. Call it holding the
// lock (see Acquire).
func Open(dir string) (*Journal, error) { return open(dir, true) }

// open opens the journal file; repair cuts a torn tail off, which only a
// process that knows no other is appending may do.
func open(dir string, repair bool) (*Journal, error) {
	d := filepath.Join(dir, Dir)
	_, statErr := os.Stat(d)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// The journal's directory itself must survive a power loss, or
		// the intents fsynced in it go with it.
		if err := atomicfile.SyncDir(dir); err != nil {
			return nil, fmt.Errorf("open journal: %w", err)
		}
	}
	path := filepath.Join(d, fileName)
	f, err := openFile(path, repair)
	if err != nil {
		return nil, err
	}
	j := &Journal{f: f, path: path}
	j.commits.write = j.write
	return j, nil
}

// reopen points the journal at the file now at its path (another process
// may have compacted it, replacing the file).
func (j *Journal) reopen() error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	nf, err := openFile(j.path, false)
	if err != nil {
		return err
	}
	j.f.Close()
	j.f = nf
	return nil
}

// openFile opens path for appending, repairs a torn tail and makes the
// file's existence durable.
func openFile(path string, repair bool) (*os.File, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if repair {
		if err := repairTail(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("open journal %s: %w", path, err)
		}
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, fmt.Errorf("open journal: %w", err)
		}
	}
	return f, nil
}

// repairTail truncates f after its last newline: a crash in the middle of
// an Append leaves a partial line, which must not swallow the next record.
func repairTail(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size == 0 {
		return nil
	}
	const chunk = 4096
	buf := make([]byte, chunk)
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && n < int(end-start) {
			return err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			keep := start + int64(i) + 1
			if keep == size {
				return nil
			}
			if err := f.Truncate(keep); err != nil {
				return err
			}
			return f.Sync()
		}
		end = start
	}
	if err := f.Truncate(0); err != nil { // no complete line at all
		return err
	}
	return f.Sync()
}

// MaxErrorLen bounds the error text a record keeps: an API message can be
// megabytes long, and a journal line must stay small enough to read back.
const MaxErrorLen = 2048

// Append writes records and waits until they are on disk. Concurrent calls
// share one write and one fsync; a call returns its batch's error.
func (j *Journal) Append(records ...Record) error {
	data, what, err := j.encode(records)
	if err != nil || data == nil {
		return err
	}
	if err := j.commits.add(data...); err != nil {
		return fmt.Errorf("journal %s: %w", what, err)
	}
	return nil
}

// AppendLater queues records to be written with the next Append's fsync,
// or with their own when wait is called first; wait returns once they are
// on disk. For records that need not be durable before anything else
// happens, only before the run relies on them.
func (j *Journal) AppendLater(records ...Record) (wait func() error) {
	data, what, err := j.encode(records)
	if err != nil || data == nil {
		return func() error { return err }
	}
	w := j.commits.later(data...)
	return func() error {
		if err := w(); err != nil {
			return fmt.Errorf("journal %s: %w", what, err)
		}
		return nil
	}
}

// encode makes the lines of records, and says what they are for errors;
// data is nil when there is nothing to write.
func (j *Journal) encode(records []Record) (data []byte, what string, err error) {
	var buf bytes.Buffer
	for _, r := range records {
		if r.Time.IsZero() {
			r.Time = time.Now().UTC()
		}
		r.Error = truncate(r.Error, MaxErrorLen)
		line, err := json.Marshal(r)
		if err != nil {
			return nil, "", fmt.Errorf("journal %s for order %d: %w", r.Kind, r.OrderID, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if buf.Len() == 0 {
		return nil, "", nil
	}
	what = fmt.Sprintf("%s for order %d", records[0].Kind, records[0].OrderID)
	if len(records) > 1 {
		what = fmt.Sprintf("%d records", len(records))
	}
	j.mu.Lock()
	broken := j.broken
	j.mu.Unlock()
	if broken != nil {
		return nil, "", fmt.Errorf("journal %s: %w", what, broken)
	}
	return buf.Bytes(), what, nil
}

// write appends data and fsyncs: the group commit's writer, one batch at a
// time.
func (j *Journal) write(data []byte) error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	j.mu.Lock()
	broken := j.broken
	j.mu.Unlock()
	if broken != nil {
		return broken
	}
	if j.appendLock != nil {
		if _, err := flock(j.appendLock, true, true); err != nil {
			return fmt.Errorf("lock the journal for appending: %w", err)
		}
		defer funlock(j.appendLock)
	}
	st, err := j.f.Stat()
	if err != nil {
		return err
	}
	_, err = j.f.Write(data)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		// A short write (a full disk) must not leave a partial line for
		// the next record to be glued to: cut it off, or refuse every
		// later record (and so every later write to the Market).
		if terr := j.f.Truncate(st.Size()); terr != nil {
			j.setBroken(fmt.Errorf("unusable after a failed write (%v) that could not be undone: %w", err, terr))
		} else if serr := j.f.Sync(); serr != nil {
			j.setBroken(fmt.Errorf("unusable after a failed write: %w", serr))
		}
		return err
	}
	return nil
}

func (j *Journal) setBroken(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.broken = err
}

// truncate cuts s to at most n bytes, on a rune boundary, saying how much
// was cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes more)", s[:cut], len(s)-cut)
}

// Close closes the file.
func (j *Journal) Close() error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	return j.f.Close()
}

// Read returns every record of dir's journal in order. A last line cut short
// by a crash is ignored: its write never happened from the journal's view,
// and the intent before it (always complete, it was fsynced first) is what
// keeps the change from being sent twice. Lines may be of any length (older
// versions journaled API messages whole). Any other damaged line is an error
// that names the file and the line and says how to recover.
func Read(dir string) ([]Record, error) {
	path := filepath.Join(dir, Dir, fileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	var out []Record
	for line, rest := 1, data; len(rest) > 0; line++ {
		b, after, complete := bytes.Cut(rest, []byte("\n"))
		rest = after
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil || r.ID == "" || r.Kind == "" {
			if !complete {
				break // torn last line
			}
			if err == nil {
				err = errors.New("no id or kind")
			}
			return nil, damaged(path, line, b, err)
		}
		out = append(out, r)
	}
	return out, nil
}

var orderIDRE = regexp.MustCompile(`"order_id"\s*:\s*(\d+)`)

// damaged explains a journal line that cannot be read: which, why, and how
// to go on without losing the other records (every other submission stays
// known; only this line's is in doubt).
func damaged(path string, line int, b []byte, err error) error {
	about := "the write it records"
	if m := orderIDRE.FindSubmatch(b); m != nil {
		about = "order " + string(m[1])
	}
	return fmt.Errorf("read journal: %s line %d is damaged (%v). The other records are intact. "+
		"Check %s in the Market (it may have a write in flight that this line recorded), "+
		"then delete line %d alone, for example with: sed -i '%dd' %s",
		path, line, truncate(err.Error(), 200), about, line, line, path)
}

// Entry is one submission folded from its records.
type Entry struct {
	ID          string
	Call        string
	Address     string
	OrderID     int64
	CampaignID  int64
	BusinessID  int64
	Targets     map[string]string
	Operations  []Operation
	SubmittedAt time.Time
	// LastAt is the time of its latest record: for an unknown outcome, when
	// the answer was given up on (grace periods count from then).
	LastAt time.Time
	State  string // the kind of its latest record
	Error  string
	// Endpoint and By are the intent's.
	Endpoint string
	By       string
}

// Open reports whether the submission may still change the order: sent (or
// maybe sent) and not yet confirmed, failed or expired.
func (e Entry) Open() bool {
	switch e.State {
	case KindIntent, KindSubmitted, KindUnknown:
		return true
	}
	return false
}

// Fold turns records into one entry per submission, in the order of their
// intents.
func Fold(records []Record) []Entry {
	byID := map[string]*Entry{}
	var order []string
	for _, r := range records {
		e, ok := byID[r.ID]
		if !ok {
			e = &Entry{ID: r.ID}
			byID[r.ID] = e
			order = append(order, r.ID)
		}
		if r.Kind == KindIntent {
			e.Call, e.Address, e.OrderID, e.CampaignID, e.BusinessID = r.Call, r.Address, r.OrderID, r.CampaignID, r.BusinessID
			e.Targets, e.SubmittedAt = r.Targets, r.Time
			e.Endpoint, e.By = r.Endpoint, r.By
		}
		if len(r.Operations) > 0 {
			e.Operations = r.Operations
		}
		if r.Error != "" {
			e.Error = r.Error
		}
		e.State = r.Kind
		e.LastAt = r.Time
	}
	out := make([]Entry, 0, len(order))
	for _, id := range order {
		if e := byID[id]; e.Call != "" { // records without an intent are ignored
			out = append(out, *e)
		}
	}
	return out
}

// Compact rewrites the journal keeping only the records of open
// submissions, so it does not grow without end, and goes on appending to the
// new file. Call it holding the lock.
func (j *Journal) Compact() error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	dir := filepath.Dir(filepath.Dir(j.path))
	recs, err := Read(dir)
	if err != nil || len(recs) == 0 {
		return err
	}
	open := map[string]bool{}
	for _, e := range Fold(recs) {
		if e.Open() {
			open[e.ID] = true
		}
	}
	var buf bytes.Buffer
	for _, r := range recs {
		if open[r.ID] {
			line, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("compact journal: %w", err)
			}
			buf.Write(append(line, '\n'))
		}
	}
	if err := atomicfile.Write(j.path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("compact journal: %w", err)
	}
	// The old handle points at the file just replaced: a record appended
	// through it would be lost.
	nf, err := openFile(j.path, true)
	if err != nil {
		return err
	}
	j.f.Close()
	j.f = nf
	return nil
}
