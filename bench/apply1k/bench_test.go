package main

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

func fixture(tb testing.TB, n int, quota sandbox.Quota, latency time.Duration) *Fixture {
	tb.Helper()
	f, err := NewFixture(tb.TempDir(), n, quota, latency)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	for k, v := range f.Env() {
		tb.Setenv(k, v)
	}
	return f
}

// checkWrites fails unless every declared order's track was written exactly
// once and shows afterwards, with no other track write.
func checkWrites(tb testing.TB, f *Fixture, r Result) {
	tb.Helper()
	n := len(f.Orders)
	if r.TrackWrites != n || r.WrittenOnce != n || r.Tracked != n {
		tb.Errorf("%d track writes processed, %d of %d orders written exactly once, %d show the declared track; want %d, each once",
			r.TrackWrites, r.WrittenOnce, n, r.Tracked, n)
	}
}

// BenchmarkApply1k is `orderform apply -auto-approve` of 1,000 track changes
// against the in-process emulator with a track quota of 100 per second that
// the client is told through ORDERFORM_QUOTAS; every iteration starts from a
// fresh emulator (the quota's windows included) and configuration. Each
// takes about ten seconds, bounded by the quota; wall/bound is the ratio to
// the least time the quota allows (Bound).
//
//	go test -run '^$' -bench Apply1k ./bench/apply1k
func BenchmarkApply1k(b *testing.B) {
	const n = 1000
	quota := sandbox.Quota{Limit: 100, Period: time.Second}
	latency := 5 * time.Millisecond
	b.ReportAllocs()
	var wall time.Duration
	var rateLimited int
	for b.Loop() {
		b.StopTimer()
		f := fixture(b, n, quota, latency)
		b.StartTimer()
		start := time.Now()
		code := f.Apply(io.Discard, io.Discard)
		wall += time.Since(start)
		b.StopTimer()
		if code != 0 {
			b.Fatalf("apply exited %d, want 0", code)
		}
		r := f.Result()
		checkWrites(b, f, r)
		rateLimited += r.RateLimited
		f.Close()
		b.StartTimer()
	}
	b.ReportMetric(wall.Seconds()/float64(b.N)/Bound(n, quota, latency).Seconds(), "wall/bound")
	b.ReportMetric(float64(rateLimited)/float64(b.N), "420s/op")
}

// TestApplySmall is the benchmark's check at a size `go test` can afford:
// 50 track changes under a quota of 20 per 200ms. With ORDERFORM_QUOTAS
// telling the client the quota, the emulator never answers 420; without it,
// the client believes the documented 10,000 per hour, runs into 420s and
// still writes each track exactly once (a 420 is a write not processed).
// Counts only: the time is the benchmark's business.
func TestApplySmall(t *testing.T) {
	quota := sandbox.Quota{Limit: 20, Period: 200 * time.Millisecond}
	for _, tc := range []struct {
		name     string
		env      string // ORDERFORM_QUOTAS
		want420s bool
	}{
		{"told the quota", "track=20/200ms", false},
		{"documented quota", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixture(t, 50, quota, 5*time.Millisecond)
			t.Setenv("ORDERFORM_QUOTAS", tc.env)
			var out, progress bytes.Buffer
			if code := f.Apply(&out, &progress); code != 0 {
				t.Fatalf("apply exited %d, want 0\n%s\n%s", code, out.String(), progress.String())
			}
			r := f.Result()
			checkWrites(t, f, r)
			if got := r.RateLimited > 0; got != tc.want420s {
				t.Errorf("ORDERFORM_QUOTAS=%q: the emulator answered 420 %d times; want some: %v", tc.env, r.RateLimited, tc.want420s)
			}
		})
	}
}

func TestBound(t *testing.T) {
	second := sandbox.Quota{Limit: 100, Period: time.Second}
	for _, tc := range []struct {
		n       int
		q       sandbox.Quota
		latency time.Duration
		want    time.Duration
	}{
		{1, second, 0, 0},
		{100, second, 0, 0},           // one window holds them all
		{101, second, 0, time.Second}, // the 101st waits a period
		{1000, second, 5 * time.Millisecond, 9*time.Second + 5*time.Millisecond},
		{1001, second, 0, 10 * time.Second},
		{50, sandbox.Quota{Limit: 20, Period: 200 * time.Millisecond}, 0, 400 * time.Millisecond},
	} {
		if got := Bound(tc.n, tc.q, tc.latency); got != tc.want {
			t.Errorf("Bound(%d, %d/%v, %v) = %v, want %v", tc.n, tc.q.Limit, tc.q.Period, tc.latency, got, tc.want)
		}
	}
}
