// Package usage measures the CPU time and peak memory of a benchmark
// program's run, from getrusage, and prints them the same way for every
// program under bench/.
package usage

import (
	"fmt"
	"io"
	"strconv"
	"syscall"
	"time"
)

// Sample is the process's resource usage at one moment.
type Sample syscall.Rusage

// Take samples the process's resource usage now.
func Take() Sample {
	var r syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return Sample(r)
}

// Print writes the CPU time spent between before and after, and the peak
// resident memory at after and before what (e.g. "the plan") ran.
func Print(w io.Writer, before, after Sample, what string) {
	user := time.Duration(after.Utime.Nano() - before.Utime.Nano())
	sys := time.Duration(after.Stime.Nano() - before.Stime.Nano())
	fmt.Fprintf(w, "cpu         %v (user %v, sys %v)\n", (user + sys).Round(time.Millisecond),
		user.Round(time.Millisecond), sys.Round(time.Millisecond))
	// ru_maxrss is in KiB on Linux, and a high-water mark of the process:
	// the generated state and the emulator are in it too.
	fmt.Fprintf(w, "peak RSS    %s MiB (%s MiB before %s: the generated orders and the emulator)\n",
		mib(after.Maxrss), mib(before.Maxrss), what)
}

func mib(kib int64) string { return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) }
