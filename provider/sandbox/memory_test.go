package sandbox

import (
	"runtime"
	"testing"
)

// BenchmarkGenerate100k measures what the emulator holds for each of
// 100,000 generated orders, served with Own as plan10k -inprocess does: the
// live heap after a collection, per order (live-bytes/order).
func BenchmarkGenerate100k(b *testing.B) {
	const n = 100000
	var live float64
	for b.Loop() {
		live = float64(liveBytes(func() any { return New(Generate(n, 1), Options{Own: true}) })) / n
	}
	b.ReportMetric(live, "live-bytes/order")
}

// liveBytes is how much more heap is live, after a collection, while what
// hold returns is still held.
func liveBytes(hold func() any) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := hold()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(x)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}
