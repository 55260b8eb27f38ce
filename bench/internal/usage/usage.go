// Package usage measures the CPU time and peak memory of a benchmark
// program's run, from getrusage, and prints them the same way for every
// program under bench/.
package usage

import (
	"fmt"
	"io"
	"os"
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

// Exited is the resource usage of a child process that has ended, over
// its whole life.
func Exited(ps *os.ProcessState) Sample { return exited(ps) }

// Print writes the CPU time spent between before and after, and the peak
// resident memory at after and before what (e.g. "the plan") ran; held
// says what the process held before it (e.g. "the generated orders and
// the emulator").
func Print(w io.Writer, before, after Sample, what, held string) {
	if !before.measured || !after.measured {
		fmt.Fprintf(w, "cpu         not measured on this system\n")
		return
	}
	user := after.User - before.User
	sys := after.Sys - before.Sys
	fmt.Fprintf(w, "cpu         %v (user %v, sys %v)\n", (user + sys).Round(time.Millisecond),
		user.Round(time.Millisecond), sys.Round(time.Millisecond))
	// The peak is a high-water mark of the process: what it held before is
	// in it too.
	fmt.Fprintf(w, "peak RSS    %s MiB (%s MiB before %s: %s)\n", mib(after.MaxRSS), mib(before.MaxRSS), what, held)
}

// Measured reports whether s holds figures (not on every system).
func (s Sample) Measured() bool { return s.measured }

// MiB is bytes in MiB, as Print writes them.
func MiB(bytes int64) string { return mib(bytes) }

func mib(bytes int64) string { return strconv.FormatFloat(float64(bytes)/(1<<20), 'f', 1, 64) }
