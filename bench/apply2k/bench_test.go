package main

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

func fixture(tb testing.TB, n, missing int, latency time.Duration) *Fixture {
	tb.Helper()
	f, err := NewFixture(tb.TempDir(), n, missing, latency)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	for k, v := range f.Env() {
		tb.Setenv(k, v)
	}
	return f
}

// BenchmarkApply2k is `orderform apply -auto-approve` of 2,000 declared DBS
// orders, 200 of them missing their track, against the in-process emulator
// answering every request after 5 ms; every iteration starts from a fresh
// emulator and configuration. floor/op is the physical floor (Floor) at the
// round trip measured before the iteration, and wall/floor the ratio.
//
//	go test -run '^$' -bench Apply2k -benchtime 10x ./bench/apply2k
func BenchmarkApply2k(b *testing.B) {
	const n, missing = 2000, 200
	b.ReportAllocs()
	var wall, floor time.Duration
	for b.Loop() {
		b.StopTimer()
		f := fixture(b, n, missing, 5*time.Millisecond)
		rt, err := f.RoundTrip()
		if err != nil {
			b.Fatal(err)
		}
		floor += Floor(n, missing, parallel, rt)
		b.StartTimer()
		start := time.Now()
		code := f.Apply(io.Discard, io.Discard)
		wall += time.Since(start)
		b.StopTimer()
		if code != 0 {
			b.Fatalf("apply exited %d, want 0", code)
		}
		if r := f.Result(); r.WrittenOnce != missing || r.Others != 0 {
			b.Fatalf("%d of %d tracks written once, %d other writes", r.WrittenOnce, missing, r.Others)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(wall.Seconds()/floor.Seconds(), "wall/floor")
}

// TestApplySmall checks that the benchmark measures what it says, on a
// small run: the declared orders are read in batches, only the missing
// tracks are written, each once, and afterwards every order shows its
// track; the requests are the reads of the plan (apply -auto-approve
// checks the plan against them, made moments before under its locks) and
// the confirmation read, and the writes, nothing else.
func TestApplySmall(t *testing.T) {
	const n, missing = 120, 13
	f := fixture(t, n, missing, time.Millisecond)
	if len(f.Missing) != missing || len(f.Orders) != n {
		t.Fatalf("fixture: %d orders, %d missing; want %d, %d", len(f.Orders), len(f.Missing), n, missing)
	}
	var out, progress bytes.Buffer
	if code := f.Apply(&out, &progress); code != 0 {
		t.Fatalf("apply exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), progress.String())
	}
	r := f.Result()
	if r.WrittenOnce != missing || r.Tracked != missing || r.Others != 0 {
		t.Errorf("%d of %d missing tracks written once, %d show it, %d writes to other orders", r.WrittenOnce, missing, r.Tracked, r.Others)
	}
	// 3 batches for the plan, 1 to confirm the 13.
	want := map[sandbox.Endpoint]int{sandbox.EndpointBusinessOrders: 4, sandbox.EndpointTrack: missing}
	for e, k := range want {
		if r.Calls[e] != k {
			t.Errorf("%s: %d requests, want %d (all: %v)", e, r.Calls[e], k, r.Calls)
		}
	}
	if len(r.Calls) != len(want) {
		t.Errorf("requests %v, want only %v", r.Calls, want)
	}
	// Floor: 3 read batches in 1 round of 6, 13 writes in 3 rounds.
	if got := Floor(n, missing, parallel, time.Millisecond); got != 4*time.Millisecond {
		t.Errorf("Floor = %v, want 4ms", got)
	}
}
