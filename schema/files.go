package schema

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Size limits of what a configuration makes orderform read.
const (
	// MaxConfigFileSize bounds a *.hcl file and a variables file. 2 MiB
	// hold some 19,000 literal order blocks (bulk orders belong in a CSV
	// read with file() and for_each); the parser needs up to a hundred
	// times a file's size in memory, so the bound keeps it near 200 MiB.
	MaxConfigFileSize = 2 << 20
	// MaxReadFileSize bounds what file() reads: 8 MiB hold a CSV of
	// 100,000 orders (maxElements) at 80 bytes a row.
	MaxReadFileSize = 8 << 20
)

// ReadInside reads the regular file at p, a path relative to dir that
// stays inside dir, lexically and through symbolic links, of at most limit
// bytes. It is how file() reads and how the embedded sandbox reads its
// seed: a configuration (think of a CI run on a pull request) never makes
// orderform read the rest of the machine, nor wait on a FIFO or a device.
func ReadInside(dir, p string, limit int64) ([]byte, error) {
	target, err := resolveInside(dir, p)
	if err != nil {
		return nil, err
	}
	return readRegular(target, p, limit)
}

// resolveInside returns the absolute path p (relative to dir) names,
// symbolic links resolved, or why it is refused: absolute, outside dir,
// missing, or not a regular file.
func resolveInside(dir, p string) (string, error) {
	clean, err := lexicallyInside(p)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(dir)
	if err == nil {
		root, err = filepath.Abs(root)
	}
	if err != nil {
		return "", fmt.Errorf("resolve the configuration directory: %w", err)
	}
	target, err := filepath.EvalSymlinks(filepath.Join(dir, clean))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no file exists at %q (relative to the configuration directory)", p)
	}
	if err == nil {
		target, err = filepath.Abs(target)
	}
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", p, err)
	}
	if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%q resolves (through a symbolic link) to a file outside the configuration directory; orderform reads only files inside it", p)
	}
	info, err := os.Stat(target)
	if err != nil {
		return "", fmt.Errorf("read %q: %w", p, err)
	}
	if err := regularFile(info, p); err != nil {
		return "", err
	}
	return target, nil
}

// lexicallyInside returns p cleaned, or why it names no file inside the
// directory as written (the symbolic links are resolveInside's).
func lexicallyInside(p string) (string, error) {
	if p == "" {
		return "", errors.New("the path must not be empty")
	}
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || filepath.VolumeName(p) != "" {
		return "", fmt.Errorf("%q is an absolute path; give a path relative to the configuration directory", p)
	}
	clean := filepath.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%q is outside the configuration directory; orderform reads only files inside it", p)
	}
	return clean, nil
}

// checkInside is resolveInside for a file that need not exist yet: it
// refuses what ReadInside would refuse, except a missing file.
func checkInside(dir, p string) error {
	clean, err := lexicallyInside(p)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(dir, clean)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	_, err = resolveInside(dir, p)
	return err
}

func regularFile(info fs.FileInfo, name string) error {
	switch {
	case info.IsDir():
		return fmt.Errorf("%q is a directory, not a file", name)
	case !info.Mode().IsRegular():
		return fmt.Errorf("%q is not a regular file (it is a %s); orderform reads only regular files", name, fileKind(info.Mode()))
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// readRegular reads path, which must be a regular file of at most limit
// bytes; name is how messages call it. The file is opened without
// blocking and checked again once open, so that a FIFO put in its place
// after a check is refused rather than waited on.
func readRegular(path, name string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", name, err)
	}
	if err := regularFile(info, name); err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, tooLarge(name, info.Size(), limit, true)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(name, int64(len(data)), limit, false)
	}
	return data, nil
}

// readLimited reads a file given on the command line (a variables file),
// which may be a pipe (-var-file=<(...)), of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, int64(len(data)), limit, false)
	}
	return data, nil
}

// tooLarge says a file is over limit; size is its size when exact, else
// what was read of it.
func tooLarge(name string, size, limit int64, exact bool) error {
	what := fmt.Sprintf("%.1f MiB", float64(size)/(1<<20))
	if !exact {
		what = "more than " + mib(limit)
	}
	return fmt.Errorf("%q is too large (%s); orderform reads files of at most %s", name, what, mib(limit))
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }
