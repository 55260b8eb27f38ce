package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// fileKind marks a file as an orderform plan, so `apply somefile.json` with
// anything else fails clearly instead of applying nothing.
const fileKind = "orderform-plan"

// File is a saved plan: the plan itself and where it was made. It holds no
// API key: apply takes the key from the environment again. It does hold the
// recipient values it will send, so it is written 0600, like Terraform's.
type File struct {
	Kind          string `json:"kind"`
	FormatVersion string `json:"format_version"`
	// Version of orderform that wrote it.
	Version string `json:"orderform_version"`
	// Endpoint the plan was made against (no credentials), so applying a
	// sandbox plan to the real API is refused.
	Endpoint string `json:"endpoint"`
	Plan     *Plan  `json:"plan"`
}

// Write saves f to path atomically with mode 0600.
func Write(path string, f *File) error {
	f.Kind, f.FormatVersion = fileKind, FormatVersion
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plan-*")
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// Read loads a saved plan, refusing files that are not plans or that a newer
// orderform wrote in a format this one does not know.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil || f.Kind != fileKind {
		return nil, fmt.Errorf("read plan: %s is not an orderform plan file", path)
	}
	major := func(v string) string { m, _, _ := strings.Cut(v, "."); return m }
	if major(f.FormatVersion) != major(FormatVersion) {
		return nil, fmt.Errorf("read plan: %s has format %s; this orderform reads %s.x", path, f.FormatVersion, major(FormatVersion))
	}
	if f.Plan == nil {
		return nil, errors.New("read plan: the file holds no plan")
	}
	return &f, nil
}
