// Package usage measures the CPU time and peak memory of a benchmark
// program's run, from getrusage, and prints them the same way for every
// program under bench/.
package usage

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// Sample is the process's resource usage at one moment.
type Sample struct {
	User, Sys time.Duration
	// MaxRSS is the peak resident memory of the process so far, in bytes.
	MaxRSS int64
	// measured is false where this system gives no usage (see take).
	measured bool
}

// Take samples the process's resource usage now.
func Take() Sample { return take() }

// Print writes the CPU time spent between before and after, and the peak
// resident memory at after and before what (e.g. "the plan") ran.
func Print(w io.Writer, before, after Sample, what string) {
	if !before.measured || !after.measured {
		fmt.Fprintf(w, "cpu         not measured on this system\n")
		return
	}
	user := after.User - before.User
	sys := after.Sys - before.Sys
	fmt.Fprintf(w, "cpu         %v (user %v, sys %v)\n", (user + sys).Round(time.Millisecond),
		user.Round(time.Millisecond), sys.Round(time.Millisecond))
	// The peak is a high-water mark of the process: the generated state and
	// the emulator are in it too.
	fmt.Fprintf(w, "peak RSS    %s MiB (%s MiB before %s: the generated orders and the emulator)\n",
		mib(after.MaxRSS), mib(before.MaxRSS), what)
}

func mib(bytes int64) string { return strconv.FormatFloat(float64(bytes)/(1<<20), 'f', 1, 64) }
