package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vendored is the extract the contract tests load.
const vendored = "../openapi"

// TestVendoredIsAnExtract: extracting again from the vendored copy changes
// no byte and drops no file, so the vendored copy is what the extractor
// writes (from the full spec too: it copies files byte for byte and only the
// entry point is rewritten, the same way) and is closed under $ref.
func TestVendoredIsAnExtract(t *testing.T) {
	out := t.TempDir()
	if _, err := extract(vendored, out, Paths); err != nil {
		t.Fatal(err)
	}
	want := files(t, vendored)
	got := files(t, out)
	for name, data := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s is vendored but not reached from the paths (stale: run go generate in internal/contract)", name)
		} else if !bytes.Equal(g, data) {
			t.Errorf("%s differs from a fresh extract (run go generate in internal/contract)", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is reached from the paths but not vendored", name)
		}
	}
	if !bytes.HasPrefix(got["openapi.yaml"], []byte(header)) || bytes.Count(got["openapi.yaml"], []byte("DO NOT EDIT")) != 1 {
		t.Errorf("openapi.yaml does not start with the generated header, once")
	}
}

func TestExtractRefusesAMissingPath(t *testing.T) {
	_, err := extract(vendored, t.TempDir(), append([]string{"/v2/campaigns/{campaignId}/offers"}, Paths...))
	if err == nil || !strings.Contains(err.Error(), "/v2/campaigns/{campaignId}/offers") {
		t.Errorf("extract with a path the spec lacks: %v, want an error naming it", err)
	}
}

func TestExtractRefusesARefOutsideTheSpec(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("LICENSE", "license")
	write("openapi.yaml", "openapi: 3.0.3\npaths:\n  /a:\n    $ref: paths/a.yaml\n")
	write("paths/a.yaml", "get:\n  responses:\n    '200':\n      $ref: ../../elsewhere.yaml\n")
	if _, err := extract(dir, t.TempDir(), []string{"/a"}); err == nil || !strings.Contains(err.Error(), "leaves the spec") {
		t.Errorf("extract with a $ref out of the spec: %v, want an error", err)
	}
}

func files(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
