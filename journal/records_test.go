package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Older versions journaled a refused write's API message whole: a 5 MB line
// made every later plan and apply fail with "bufio.Scanner: token too long".
// Such a journal is read, and new records keep at most MaxErrorLen of it.
func TestLongLinesAreReadAndErrorsBounded(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Repeat("я", 5<<20/2) // 5 MB of two-byte runes
	path := filepath.Join(dir, Dir, fileName)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(`{"time":"2026-11-23T10:01:00Z","kind":"intent","id":"a","call":"track","order_id":1001}
{"time":"2026-11-23T10:01:00Z","kind":"failed","id":"a","order_id":1001,"error":%q}
`, huge)
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := Read(dir)
	if err != nil {
		t.Fatalf("Read of a journal with a 5 MB line: %v", err)
	}
	if len(recs) != 2 || len(recs[1].Error) != len(huge) {
		t.Fatalf("read %d records, want 2 with the long error intact", len(recs))
	}

	appendAll(t, dir, Record{Kind: KindIntent, ID: "b", Call: CallTrack, OrderID: 1002},
		Record{Kind: KindFailed, ID: "b", OrderID: 1002, Error: huge})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	last := lines[len(lines)-1]
	if len(last) > MaxErrorLen+200 {
		t.Errorf("a new failed record is %d bytes long, want it bounded near %d", len(last), MaxErrorLen)
	}
	if !strings.Contains(last, "bytes more)") {
		t.Errorf("the cut error does not say it was cut: %.200s", last)
	}
	recs, err = Read(dir)
	if err != nil || len(recs) != 4 {
		t.Fatalf("Read after appending: %d records, %v", len(recs), err)
	}
}

// A damaged record in the middle names the file and the line, the order it
// was about, and how to go on without losing the other records.
func TestDamagedLineIsNamed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, Dir, fileName)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	content := `{"time":"2026-11-23T10:01:00Z","kind":"intent","id":"a","call":"track","order_id":1001}
{"time":"2026-11-23T10:01:00Z","kind":"intent","id":"b","call":"track","order_id":1002,"targets":{"track.code":
{"time":"2026-11-23T10:02:00Z","kind":"intent","id":"c","call":"track","order_id":1003}
`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Read(dir)
	if err == nil {
		t.Fatal("Read accepted a damaged line")
	}
	for _, want := range []string{path + " line 2 is damaged", "order 1002", "sed -i '2d' " + path, "other records are intact"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Concurrent appends each return once their record is on disk, and none is
// lost or glued to another (they share writes and fsyncs).
func TestConcurrentAppendsAllLand(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := j.Append(Record{Kind: KindIntent, ID: fmt.Sprint(i), Call: CallTrack, OrderID: int64(i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.ID] = true
	}
	if len(recs) != n || len(seen) != n {
		t.Errorf("%d records, %d distinct, want %d", len(recs), len(seen), n)
	}
}

// Two runs in one directory (writing to other campaigns) append to one file
// at once: every record of both lands whole, none glued to another.
func TestTwoLocalRunsAppendTogether(t *testing.T) {
	dir := t.TempDir()
	a, b := OpenLocal(dir), OpenLocal(dir)
	defer a.Close()
	defer b.Close()
	const n = 100
	var wg sync.WaitGroup
	for i, be := range []*Local{a, b} {
		for k := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := be.Append(Record{Kind: KindIntent, ID: fmt.Sprint(i, "-", k), Call: CallTrack, OrderID: int64(k), CampaignID: int64(21 + i)}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	recs, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.ID] = true
	}
	if len(recs) != 2*n || len(seen) != 2*n {
		t.Errorf("%d records, %d distinct, want %d", len(recs), len(seen), 2*n)
	}
}
