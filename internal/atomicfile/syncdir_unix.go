//go:build !windows

package atomicfile

import "os"

// SyncDir makes a create, a rename or a removal in dir durable: until the
// directory itself is fsynced, a power loss can undo them even though the
// file's own data were fsynced.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
