//go:build unix

package journal

import (
	"errors"
	"os"
	"syscall"
)

// flock locks f, shared or exclusive, waiting or not; ok is false when it
// would have to wait and wait is false. The kernel drops the lock when the
// process dies.
func flock(f *os.File, exclusive, wait bool) (ok bool, err error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func funlock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
