//go:build unix

package usage

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

func take() Sample {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return Sample{}
	}
	return fromRusage(&r)
}

func exited(ps *os.ProcessState) Sample {
	r, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return Sample{}
	}
	return fromRusage(r)
}

func fromRusage(r *syscall.Rusage) Sample {
	// ru_maxrss is in KiB on Linux and the BSDs, in bytes on Apple's systems.
	unit := int64(1024)
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		unit = 1
	}
	return Sample{
		User:     time.Duration(r.Utime.Nano()),
		Sys:      time.Duration(r.Stime.Nano()),
		MaxRSS:   int64(r.Maxrss) * unit,
		measured: true,
	}
}
