package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func at(min int) time.Time { return time.Date(2026, 11, 23, 10, min, 0, 0, time.UTC) }

func appendAll(t *testing.T, dir string, recs ...Record) {
	t.Helper()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, r := range recs {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFoldAndOpenEntries(t *testing.T) {
	dir := t.TempDir()
	targets := map[string]string{"track.code": "fp1"}
	appendAll(t, dir,
		Record{Time: at(1), Kind: KindIntent, ID: "a", Call: CallTrack, OrderID: 1001, CampaignID: 21, Targets: targets},
		Record{Time: at(1), Kind: KindSubmitted, ID: "a", OrderID: 1001},
		Record{Time: at(2), Kind: KindConfirmed, ID: "a", OrderID: 1001},
		Record{Time: at(3), Kind: KindIntent, ID: "b", Call: CallUpdate, OrderID: 2001, CampaignID: 22, Targets: targets},
		Record{Time: at(3), Kind: KindSubmitted, ID: "b", OrderID: 2001, Operations: []Operation{{ID: "op1", Type: "ORDER_RECIPIENT_UPDATE"}}},
		Record{Time: at(4), Kind: KindIntent, ID: "c", Call: CallTrack, OrderID: 1002, CampaignID: 21, Targets: targets},
		Record{Time: at(5), Kind: KindIntent, ID: "d", Call: CallTrack, OrderID: 1003, CampaignID: 21, Targets: targets},
		Record{Time: at(5), Kind: KindFailed, ID: "d", OrderID: 1003, Error: "STATUS_NOT_ALLOWED"},
	)
	recs, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := OpenEntries(recs, "https://api.partner.market.yandex.ru")
	want := []Entry{
		{ID: "b", Call: CallUpdate, OrderID: 2001, CampaignID: 22, Targets: targets, SubmittedAt: at(3), LastAt: at(3), State: KindSubmitted,
			Operations: []Operation{{ID: "op1", Type: "ORDER_RECIPIENT_UPDATE"}}},
		// An intent with no outcome is open: the write may have reached the Market.
		{ID: "c", Call: CallTrack, OrderID: 1002, CampaignID: 21, Targets: targets, SubmittedAt: at(4), LastAt: at(4), State: KindIntent},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("open entries (-want +got):\n%s", diff)
	}
}

func TestReadIgnoresOnlyATornLastLine(t *testing.T) {
	dir := t.TempDir()
	appendAll(t, dir, Record{Kind: KindIntent, ID: "a", Call: CallTrack, OrderID: 1})
	path := filepath.Join(dir, Dir, fileName)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"submitted","id":"a","ord`) // the crash cut this write short
	f.Close()
	recs, err := Read(dir)
	if err != nil {
		t.Fatalf("a torn last line must be ignored: %v", err)
	}
	if len(recs) != 1 || recs[0].Kind != KindIntent {
		t.Fatalf("got %+v, want the intent alone", recs)
	}
	// Damage anywhere else is not a crash artefact: refuse to guess.
	data, _ := os.ReadFile(path)
	os.WriteFile(path, append([]byte("garbage\n"), data...), 0o600)
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("want an error naming line 1, got %v", err)
	}
}

func TestCompactKeepsOpenSubmissionsOnly(t *testing.T) {
	dir := t.TempDir()
	appendAll(t, dir,
		Record{Kind: KindIntent, ID: "done", Call: CallTrack, OrderID: 1},
		Record{Kind: KindConfirmed, ID: "done", OrderID: 1},
		Record{Kind: KindIntent, ID: "open", Call: CallUpdate, OrderID: 2},
		Record{Kind: KindUnknown, ID: "open", OrderID: 2, Error: "timeout"},
	)
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Compact(); err != nil {
		t.Fatal(err)
	}
	// The journal goes on appending to the compacted file, not to the one
	// it replaced: a record written now must be read back.
	if err := j.Append(Record{Kind: KindIntent, ID: "next", Call: CallTrack, OrderID: 3}); err != nil {
		t.Fatal(err)
	}
	recs, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID+"/"+r.Kind)
	}
	if diff := cmp.Diff([]string{"open/intent", "open/unknown", "next/intent"}, ids); diff != "" {
		t.Errorf("after compaction (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(filepath.Join(dir, Dir, fileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600 (err %v)", fi.Mode().Perm(), err)
	}
}

// TestOpenRepairsTornTail: a crash in the middle of an Append leaves a
// partial line; the next run's records must still be readable.
func TestOpenRepairsTornTail(t *testing.T) {
	dir := t.TempDir()
	appendAll(t, dir, Record{Kind: KindIntent, ID: "a", Call: CallTrack, OrderID: 1})
	path := filepath.Join(dir, Dir, fileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"submitted","id":"a","or`)
	f.Close()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Record{Kind: KindUnknown, ID: "a", OrderID: 1}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	recs, err := Read(dir)
	if err != nil {
		t.Fatalf("journal unreadable after a torn tail and an append: %v", err)
	}
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
	}
	if diff := cmp.Diff([]string{KindIntent, KindUnknown}, kinds); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
