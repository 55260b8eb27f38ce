//go:build windows

package atomicfile

// SyncDir does nothing on Windows: a directory cannot be opened for
// FlushFileBuffers there (os.Open gives a handle without write access, and
// flushing it fails), and NTFS journals its directory entries itself.
func SyncDir(dir string) error { return nil }
