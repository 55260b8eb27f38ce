package schema

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata/fmt")

// TestFormat formats each testdata/fmt/*.input, compares it with its
// .golden, and checks that formatting is idempotent (gofmt's habit).
func TestFormat(t *testing.T) {
	inputs, err := filepath.Glob("testdata/fmt/*.input")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := Format(src)
			golden := strings.TrimSuffix(in, ".input") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Format(%s) =\n%s\nwant (%s)\n%s", in, got, golden, want)
			}
			if again := Format(got); !bytes.Equal(again, got) {
				t.Errorf("Format is not idempotent:\n%s\nthen\n%s", got, again)
			}
			if bytes.Equal(src, got) {
				t.Errorf("the input is already formatted: the test proves nothing")
			}
			if _, diags := hclsyntax.ParseConfig(got, in, hcl.InitialPos); diags.HasErrors() {
				t.Errorf("formatted source does not parse: %v", diags)
			}
		})
	}
}
