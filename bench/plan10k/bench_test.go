package main

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/orderform/orderform/provider/sandbox"
)

func fixture(tb testing.TB, n int, business bool) (*Fixture, Mix) {
	tb.Helper()
	f, mix, err := NewFixture(tb.TempDir(), n, business)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	for k, v := range f.Env() {
		tb.Setenv(k, v)
	}
	return f, mix
}

// BenchmarkPlan10k is `orderform plan` of 10,000 declared orders against the
// in-process emulator (whose work is counted too), output discarded.
//
//	go test -run '^$' -bench Plan10k -benchtime 10x ./bench/plan10k
func BenchmarkPlan10k(b *testing.B) {
	for _, bc := range []struct {
		name     string
		business bool
	}{{"business", true}, {"campaigns", false}} {
		b.Run(bc.name, func(b *testing.B) {
			f, _ := fixture(b, 10000, bc.business)
			plans(b, f)
		})
	}
}

// BenchmarkPlan100k is the same plan of 100,000 declared orders (business
// ID set), for allocs/op and B/op at the size of the README's target; the
// peak RSS is the program's to measure (go run ./bench/plan10k -n 100000).
//
//	go test -run '^$' -bench Plan100k -benchtime 3x ./bench/plan10k
func BenchmarkPlan100k(b *testing.B) {
	f, _ := fixture(b, 100000, true)
	plans(b, f)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/order")
}

// plans runs f's plan b.N times, output discarded.
func plans(b *testing.B, f *Fixture) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if code := f.Plan(io.Discard); code != 1 {
			b.Fatalf("plan exited %d, want 1 (the mix has blocked changes)", code)
		}
		b.StopTimer()
		f.Server.ResetCalls() // the emulator records every call
		b.StartTimer()
	}
}

// TestPlan10kMix checks that the benchmark measures what it says: every
// order is read, the declared changes are planned or blocked, the rest is
// unchanged, in a few batched reads and one update-options call per moved
// interval.
func TestPlan10kMix(t *testing.T) {
	if testing.Short() {
		t.Skip("a plan of 10,000 orders")
	}
	for _, business := range []bool{true, false} {
		f, mix := fixture(t, 10000, business)
		var out bytes.Buffer
		if code := f.Plan(&out, "-json"); code != 1 {
			t.Fatalf("business=%v: plan exited %d, want 1 (blocked changes)", business, code)
		}
		var p struct {
			Changes []struct{ Address string }
			Blocked []struct{ Address, Reason string }
			Summary struct{ Change, Pending, Deferred, Blocked, Unchanged int }
		}
		if err := json.Unmarshal(out.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		s := p.Summary
		if s.Change+s.Deferred+s.Blocked+s.Unchanged != 10000 {
			t.Errorf("business=%v: %+v does not account for 10,000 orders", business, s)
		}
		if want := mix.TrackChanges + mix.IntervalChanges; s.Change+s.Deferred+s.Blocked != want {
			t.Errorf("business=%v: %d changes, %d deferred and %d blocked, want %d declared changes in all", business, s.Change, s.Deferred, s.Blocked, want)
		}
		if s.Change < (mix.TrackChanges+mix.IntervalChanges)/2 || s.Blocked == 0 {
			t.Errorf("business=%v: %+v: not the mix of changes and blocked changes the benchmark means", business, s)
		}
		for _, b := range p.Blocked {
			if b.Reason != "status_not_allowed" {
				t.Errorf("business=%v: %s blocked as %s; only status gates are expected", business, b.Address, b.Reason)
			}
		}
		reads := map[sandbox.Endpoint]int{}
		for _, c := range f.Server.Calls() {
			reads[c.Endpoint]++
		}
		orderReads := reads[sandbox.EndpointBusinessOrders] + reads[sandbox.EndpointListOrders]
		if orderReads > 10000/50+2 || reads[sandbox.EndpointGetOrder] != 0 {
			t.Errorf("business=%v: %d list reads and %d single reads for 10,000 orders, want batches of 50", business, orderReads, reads[sandbox.EndpointGetOrder])
		}
		// Without a business ID each campaign's model is asked once, however
		// many batches read its orders at the same time.
		if got, want := reads[sandbox.EndpointGetCampaign], map[bool]int{true: 0, false: 2}[business]; got != want {
			t.Errorf("business=%v: %d get_campaign calls, want %d", business, got, want)
		}
		if got := reads[sandbox.EndpointUpdateOptions]; got > mix.IntervalChanges {
			t.Errorf("business=%v: %d update-options calls for %d moved intervals", business, got, mix.IntervalChanges)
		}
		t.Logf("business=%v: %+v; calls %v", business, s, reads)
	}
}
