package journal

import (
	"testing"
)

// A record appended later is written with the next Append, in its fsync,
// before that Append returns; one nobody else carries is written when its
// wait is called.
func TestAppendLaterGoesWithTheNextAppend(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ids := func() []string {
		recs, err := Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
	wait := j.AppendLater(Record{Kind: KindSubmitted, ID: "outcome", OrderID: 1})
	if got := ids(); len(got) != 0 {
		t.Fatalf("written before anything carried it: %v", got)
	}
	if err := j.Append(Record{Kind: KindIntent, ID: "intent", OrderID: 2}); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 2 || got[0] != "outcome" || got[1] != "intent" {
		t.Fatalf("after the next Append: %v, want the outcome then the intent", got)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if err := j.AppendLater(Record{Kind: KindConfirmed, ID: "alone", OrderID: 3})(); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 3 || got[2] != "alone" {
		t.Fatalf("after waiting alone: %v", got)
	}
}
