// Package atomicfile replaces files whole, so that a crash or a power loss
// leaves either the old content or the new one, never a part of it, and a
// replacement that returned nil survives a power loss. The plan file, the
// embedded sandbox's state and the compacted journal are written through
// it. A file that is appended to (the journal between compactions) is not
// its business, except that SyncDir makes its creation durable.
package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data, with permissions perm: it writes a
// temporary file next to path, fsyncs it, renames it over path and fsyncs
// the directory, so that the rename itself is on disk. Readers of path see
// the old file or the new one, never a mix; on an error path is as it was
// and the temporary file is gone.
func Write(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	// In the same directory: a rename across file systems is a copy.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// Chmod, not the mode of a create, so the umask cannot widen or narrow it.
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}
