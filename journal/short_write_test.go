package journal

import (
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
)

// TestAppendUndoesAShortWrite: the disk fills up in the middle of a record.
// The partial line is cut off, so the record appended once there is room
// again is readable, and so is the journal.
func TestAppendUndoesAShortWrite(t *testing.T) {
	signal.Ignore(syscall.SIGXFSZ)
	defer signal.Reset(syscall.SIGXFSZ)
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append(Record{Kind: KindIntent, ID: "a", Call: CallUpdate, OrderID: 1}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, Dir, fileName))
	if err != nil {
		t.Fatal(err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skip(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(fi.Size() + 40), Max: old.Max}); err != nil {
		t.Skip(err)
	}
	err = j.Append(Record{Kind: KindSubmitted, ID: "a", OrderID: 1, Operations: []Operation{{ID: "op-1", Type: "ORDER_RECIPIENT_UPDATE"}}})
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("an append past the file size limit succeeded")
	}
	if err := j.Append(Record{Kind: KindIntent, ID: "b", Call: CallTrack, OrderID: 2}); err != nil {
		t.Fatal(err)
	}
	recs, err := Read(dir)
	if err != nil {
		t.Fatalf("journal unreadable after a short write: %v", err)
	}
	if len(recs) != 2 || recs[0].ID != "a" || recs[1].ID != "b" {
		t.Errorf("records %+v, want the two complete intents", recs)
	}
}
