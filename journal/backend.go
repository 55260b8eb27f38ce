package journal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"slices"
	"sort"
	"strings"
	"time"
)

// Backend keeps the journal and the locks of the runs that share it: local
// (files under .orderform/ of one configuration directory, one machine) or
// pg (PostgreSQL, every machine that reaches it). A third backend is one new
// file implementing this interface.
//
// Every record carries the endpoint it was written against; readers keep
// only their own endpoint's (see OpenEntries), so a sandbox's writes never
// make an order pending against the real API.
type Backend interface {
	// Name says where the journal is, for messages: ".orderform/journal.jsonl",
	// "PostgreSQL schema orderform on db:5432".
	Name() string
	// Lock takes the write locks of keys, in their sorted order (so two
	// runs wanting overlapping sets never deadlock), recording holder beside
	// each. A lock held by another run is waited for up to timeout (0: not
	// at all), calling onWait with its holder each time the holder changes;
	// then Lock fails with a *LockedError. A lock dies with the process or
	// the connection that holds it.
	Lock(ctx context.Context, keys []LockKey, holder Holder, timeout time.Duration, onWait func(LockKey, Holder)) (Locks, error)
	// Records returns every record, oldest first.
	Records(ctx context.Context) ([]Record, error)
	// Append writes records durably (fsynced, or committed with
	// synchronous commit) before it returns. Safe for concurrent use.
	Append(records ...Record) error
	// Prune drops the records of settled submissions (confirmed, failed,
	// expired) of the locked campaigns, so the journal does not grow without
	// end. Call it holding their locks.
	Prune(ctx context.Context, locks Locks) error
	Close() error
}

// LaterAppender is a Backend that can make records durable with its next
// write rather than with one of their own (Local and PG are): AppendLater
// queues them; wait returns once they are durable, writing them if nothing
// else has. For the outcome of a write that has its answer: it must be
// durable before the run relies on it, not before the next write leaves,
// whose intent carries it to disk.
type LaterAppender interface {
	AppendLater(records ...Record) (wait func() error)
}

// Preparer is a Backend that can get ready for a run's appends off the run's
// path (Local: open and create its files, then Prune, on a new file system
// a few milliseconds): Prepare is Prune plus that, safe to run while the
// run reads the backend and the API. Call it holding the locks.
type Preparer interface {
	Prepare(ctx context.Context, locks Locks) error
}

// Locks are the locks a run holds.
type Locks interface {
	Keys() []LockKey
	Release() error
}

// LockKey is what one lock serialises: the writes to one campaign of one
// API endpoint.
type LockKey struct {
	Endpoint   string
	CampaignID int64
}

func (k LockKey) String() string { return fmt.Sprintf("campaign %d at %s", k.CampaignID, k.Endpoint) }

// SortKeys sorts keys and drops duplicates: the one order every backend takes
// locks in.
func SortKeys(keys []LockKey) []LockKey {
	out := slices.Clone(keys)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Endpoint != out[j].Endpoint {
			return out[i].Endpoint < out[j].Endpoint
		}
		return out[i].CampaignID < out[j].CampaignID
	})
	return slices.Compact(out)
}

// Holder is who holds a lock, shown to whoever waits for it.
type Holder struct {
	User    string    `json:"user"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	// Info is ORDERFORM_LOCK_INFO, or the CI job's URL when it runs in CI.
	Info string `json:"info,omitempty"`
}

func (h Holder) String() string {
	if h.User == "" && h.Host == "" && h.PID == 0 {
		return "another orderform run"
	}
	s := fmt.Sprintf("%s@%s (pid %d, %s, since %s)", cmp.Or(h.User, "?"), cmp.Or(h.Host, "?"), h.PID,
		cmp.Or(h.Command, "orderform"), h.Since.UTC().Format("2006-01-02 15:04:05 UTC"))
	if h.Info != "" {
		s += ", " + h.Info
	}
	return s
}

// Who is the short form of the holder written into intents: who sent it.
func (h Holder) Who() string {
	s := cmp.Or(h.User, "?") + "@" + cmp.Or(h.Host, "?")
	if h.Info != "" {
		s += " (" + h.Info + ")"
	}
	return s
}

// Me describes this process as a lock holder running command.
func Me(command string, env func(string) string) Holder {
	h := Holder{PID: os.Getpid(), Command: command, Since: time.Now().UTC()}
	if u, err := user.Current(); err == nil {
		h.User = u.Username
	}
	h.User = cmp.Or(h.User, env("USER"), env("USERNAME"))
	h.Host, _ = os.Hostname()
	h.Info = env("ORDERFORM_LOCK_INFO")
	if h.Info == "" && env("GITHUB_RUN_ID") != "" {
		h.Info = strings.TrimRight(cmp.Or(env("GITHUB_SERVER_URL"), "https://github.com"), "/") + "/" +
			env("GITHUB_REPOSITORY") + "/actions/runs/" + env("GITHUB_RUN_ID")
	} else if h.Info == "" && env("CI_JOB_URL") != "" {
		h.Info = env("CI_JOB_URL")
	}
	return h
}

// ErrLocked is wrapped by a *LockedError.
var ErrLocked = errors.New("locked by another orderform run")

// LockedError is a lock another run held for longer than the run could wait.
type LockedError struct {
	Key     LockKey
	Holder  Holder
	Timeout time.Duration
}

func (e *LockedError) Error() string {
	if e.Timeout <= 0 {
		return fmt.Sprintf("the lock of %s is held by %s; wait for that run to finish (it releases the lock when it exits), or give -lock-timeout=DURATION to wait for it",
			e.Key, e.Holder)
	}
	return fmt.Sprintf("the lock of %s is still held by %s after waiting %v for it; try again once that run has finished, or give a longer -lock-timeout",
		e.Key, e.Holder, e.Timeout)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// lockPoll is how often a lock held by another run is tried again.
const lockPoll = 100 * time.Millisecond

// lockSettle is how long even a zero timeout keeps trying: a run killed a
// moment ago still holds its PostgreSQL locks until the server notices the
// connection is gone, and a rerun started at once must not be refused for
// them.
const lockSettle = time.Second

// waitFor tries one lock until it is taken, the timeout passes or ctx ends.
// try reports whether it took the lock, else who holds it.
func waitFor(ctx context.Context, key LockKey, timeout time.Duration, onWait func(LockKey, Holder), try func() (bool, Holder, error)) error {
	start := time.Now()
	limit := max(timeout, lockSettle)
	var last Holder
	shown := false
	for {
		ok, h, err := try()
		if err != nil || ok {
			return err
		}
		waited := time.Since(start)
		if waited >= limit {
			return &LockedError{Key: key, Holder: h, Timeout: timeout}
		}
		// A holder caught between taking the lock and writing its note
		// reads as empty: give it a few polls before saying "another run".
		blank := h == (Holder{})
		if onWait != nil && timeout > 0 && (!blank || (!shown && waited >= 3*lockPoll)) && (!shown || h != last) {
			onWait(key, h)
			shown, last = true, h
		}
		t := time.NewTimer(min(lockPoll, limit-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// OpenEntries folds records into the submissions still open against
// endpoint, oldest first. Records written before the journal was scoped (no
// endpoint) count for every endpoint: not knowing where a write went is no
// reason to send it again.
func OpenEntries(records []Record, endpoint string) []Entry {
	var out []Entry
	for _, e := range Fold(records) {
		if e.Open() && (e.Endpoint == "" || CanonicalEndpoint(e.Endpoint) == CanonicalEndpoint(endpoint)) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SubmittedAt.Before(out[j].SubmittedAt) })
	return out
}

// settledIn returns the IDs of the submissions that are over (not open)
// and belong to one of keys' campaigns at its endpoint.
func settledIn(records []Record, keys []LockKey) map[string]bool {
	locked := map[LockKey]bool{}
	for _, k := range keys {
		locked[k] = true
	}
	out := map[string]bool{}
	for _, e := range Fold(records) {
		if !e.Open() && (locked[LockKey{CanonicalEndpoint(e.Endpoint), e.CampaignID}] || e.Endpoint == "" && lockedCampaign(keys, e.CampaignID)) {
			out[e.ID] = true
		}
	}
	return out
}

// CanonicalEndpoint is the one spelling of an API base URL that the journal
// is scoped by and the locks are keyed on: the client sends
// "https://host/" and "HTTPS://Host" to one place, so two runs spelling it
// differently must see each other's writes and wait for each other's
// locks. Anything that is not such a URL (the embedded sandbox's
// "sandbox:SEED") is kept as it is.
func CanonicalEndpoint(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return s
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), ""
	return u.String()
}

func lockedCampaign(keys []LockKey, campaign int64) bool {
	for _, k := range keys {
		if k.CampaignID == campaign {
			return true
		}
	}
	return false
}
