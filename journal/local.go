package journal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Local is the local backend: the journal is .orderform/journal.jsonl of the
// configuration directory and each lock an flock on a file under
// .orderform/locks/. It serves the runs of one machine (one directory): a
// journal that is not shared cannot keep two machines from sending one
// change twice.
//
// Runs writing to different campaigns may share the directory: each holds
// .orderform/journal.lock shared while it appends, and compaction (which
// replaces the file) and the repair of a torn tail (which cuts it) happen
// only under that lock held exclusively, when no other run has the journal
// open.
type Local struct {
	dir string

	mu sync.Mutex
	j  *Journal // open for appending, under jl held shared
	jl *os.File
}

// OpenLocal opens the local backend of the configuration directory dir.
// Nothing is created until a run locks or appends.
func OpenLocal(dir string) *Local { return &Local{dir: dir} }

// Name says where the journal is.
func (l *Local) Name() string { return filepath.Join(Dir, fileName) }

// Records reads the journal file.
func (l *Local) Records(context.Context) ([]Record, error) { return Read(l.dir) }

// Append appends to the journal file, opening it on first use.
func (l *Local) Append(records ...Record) error {
	j, err := l.journal()
	if err != nil {
		return err
	}
	return j.Append(records...)
}

// AppendLater is Journal.AppendLater on the journal file.
func (l *Local) AppendLater(records ...Record) (wait func() error) {
	j, err := l.journal()
	if err != nil {
		return func() error { return err }
	}
	return j.AppendLater(records...)
}

// journal opens the journal for appending: the shared lock first, then the
// file, so that no compaction can replace it under the handle. A torn tail
// is repaired first if no other run has the journal open.
func (l *Local) journal() (*Journal, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.j != nil {
		return l.j, nil
	}
	d := filepath.Join(l.dir, Dir)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	jl, err := os.OpenFile(filepath.Join(d, "journal.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if ok, err := flock(jl, true, false); err != nil {
		jl.Close()
		return nil, fmt.Errorf("open journal: lock: %w", err)
	} else if ok {
		// Alone: repair a tail a crash left torn.
		j, err := open(l.dir, true)
		if err != nil {
			jl.Close()
			return nil, err
		}
		j.Close()
		_ = funlock(jl)
	}
	if _, err := flock(jl, false, true); err != nil {
		jl.Close()
		return nil, fmt.Errorf("open journal: lock: %w", err)
	}
	j, err := open(l.dir, false)
	if err != nil {
		jl.Close()
		return nil, err
	}
	al, err := os.OpenFile(filepath.Join(d, "append.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		j.Close()
		jl.Close()
		return nil, fmt.Errorf("open journal: %w", err)
	}
	j.appendLock = al
	l.j, l.jl = j, jl
	return j, nil
}

// Prepare opens the journal for appending (creating its directory and files
// on first use) and prunes it: what a run's first append would wait for.
// Safe while the run reads the journal: compaction replaces the file whole.
func (l *Local) Prepare(ctx context.Context, locks Locks) error {
	if _, err := l.journal(); err != nil {
		return err
	}
	return l.Prune(ctx, locks)
}

// Prune compacts the journal file when no other run has it open; otherwise
// it leaves it for a later run (settled records are only dead weight).
func (l *Local) Prune(context.Context, Locks) error {
	j, err := l.journal()
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := funlock(l.jl); err != nil {
		return fmt.Errorf("compact journal: %w", err)
	}
	ok, err := flock(l.jl, true, false)
	if err == nil && ok {
		err = j.Compact()
		if uerr := funlock(l.jl); err == nil {
			err = uerr
		}
	}
	if _, lerr := flock(l.jl, false, true); lerr != nil {
		return fmt.Errorf("compact journal: lock: %w", lerr)
	}
	// Whoever compacted last replaced the file: append to the one there now.
	if rerr := j.reopen(); err == nil {
		err = rerr
	}
	return err
}

// Close closes the journal file and gives its shared lock back.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.j == nil {
		return nil
	}
	err := l.j.Close()
	if l.j.appendLock != nil {
		l.j.appendLock.Close()
	}
	_ = funlock(l.jl)
	l.jl.Close()
	l.j, l.jl = nil, nil
	return err
}

// Lock takes an flock per key, in order, on .orderform/locks/.
func (l *Local) Lock(ctx context.Context, keys []LockKey, holder Holder, timeout time.Duration, onWait func(LockKey, Holder)) (Locks, error) {
	d := filepath.Join(l.dir, Dir, "locks")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	held := &localLocks{}
	info, _ := json.Marshal(holder)
	for _, k := range SortKeys(keys) {
		path := filepath.Join(d, lockFileName(k))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			_ = held.Release()
			return nil, fmt.Errorf("lock: %w", err)
		}
		err = waitFor(ctx, k, timeout, onWait, func() (bool, Holder, error) {
			ok, err := flock(f, true, false)
			if err != nil || ok {
				return ok, Holder{}, err
			}
			var h Holder
			if data, err := os.ReadFile(path); err == nil {
				_ = json.Unmarshal(data, &h) // a holder that wrote nothing yet is "another run"
			}
			return false, h, nil
		})
		if err != nil {
			f.Close()
			_ = held.Release()
			var le *LockedError
			if errors.As(err, &le) {
				return nil, err
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		_, _ = f.WriteAt(info, 0)
		_ = f.Truncate(int64(len(info)))
		held.files = append(held.files, f)
		held.keys = append(held.keys, k)
	}
	return held, nil
}

// lockFileName names a key's lock file: the campaign, and a digest of the
// endpoint (a URL is no file name).
func lockFileName(k LockKey) string {
	h := sha256.Sum256([]byte(k.Endpoint))
	return fmt.Sprintf("campaign-%d-%s.lock", k.CampaignID, hex.EncodeToString(h[:6]))
}

type localLocks struct {
	keys  []LockKey
	files []*os.File
}

func (h *localLocks) Keys() []LockKey { return h.keys }

// Release gives the locks back, last taken first.
func (h *localLocks) Release() error {
	var first error
	for i := len(h.files) - 1; i >= 0; i-- {
		f := h.files[i]
		// The note stays until the next holder writes its own: emptied
		// here, a waiter could read it blank while the lock is still ours.
		if err := funlock(f); err != nil && first == nil {
			first = err
		}
		f.Close()
	}
	h.files, h.keys = nil, nil
	return first
}
