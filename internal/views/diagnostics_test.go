package views

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const diagSource = `order "from_csv" {
  for_each = local.rows
  recipient {
    phone = each.value.phone
  }
}
`

var diagFiles = map[string]*hcl.File{}

// diagnosticsFixture is an error on an expression evaluated with a
// for_each row holding a phone, a warning without a place, and an error in
// a file whose source is not at hand.
func diagnosticsFixture() hcl.Diagnostics {
	f, diags := hclsyntax.ParseConfig([]byte(diagSource), "orders.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		panic(diags.Error())
	}
	diagFiles["orders.hcl"] = f
	expr := f.Body.(*hclsyntax.Body).Blocks[0].Body.Blocks[0].Body.Attributes["phone"].Expr
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"each": cty.ObjectVal(map[string]cty.Value{
			"key":   cty.StringVal("1001"),
			"value": cty.ObjectVal(map[string]cty.Value{"phone": cty.StringVal(phoneBefore + "x")}),
		}),
	}}
	return hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Invalid phone",
			Detail:  "A phone is \"+\" and 4 to 15 digits. Fix the value in the data file this row comes from.",
			Subject: expr.Range().Ptr(), Expression: expr, EvalContext: ctx},
		{Severity: hcl.DiagWarning, Summary: "No orders declared",
			Detail: "The configuration declares no order block, so plan and apply have nothing to do."},
		{Severity: hcl.DiagError, Summary: "Unsupported argument",
			Detail:  `An argument named "colour" is not expected here. Did you mean "color"?`,
			Subject: &hcl.Range{Filename: "gone.hcl", Start: hcl.Pos{Line: 3, Column: 5, Byte: 20}, End: hcl.Pos{Line: 3, Column: 11, Byte: 26}}},
	}
}

func TestDiagnosticsGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"diagnostics", Options{}},
		{"diagnostics_show_sensitive", Options{ShowSensitive: true, Width: 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			Diagnostics(&b, diagnosticsFixture(), diagFiles, tc.opt)
			golden(t, tc.name, b.String())
		})
	}
}

// The evaluation context of a diagnostic shows the values of the variables
// an expression used: recipients' phones read from a data file. They are
// left out unless the user asked to see sensitive values.
func TestDiagnosticsHideContext(t *testing.T) {
	var b bytes.Buffer
	Diagnostics(&b, diagnosticsFixture(), diagFiles, Options{})
	if strings.Contains(b.String(), phoneBefore) || strings.Contains(b.String(), "with each") {
		t.Errorf("masked diagnostics show the evaluation context:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "   4:     phone = each.value.phone\n") {
		t.Errorf("diagnostics lack the snippet:\n%s", b.String())
	}
	b.Reset()
	Diagnostics(&b, diagnosticsFixture(), diagFiles, Options{ShowSensitive: true})
	if !strings.Contains(b.String(), `with each.value.phone as "`+phoneBefore+`x"`) {
		t.Errorf("-show-sensitive diagnostics lack the evaluation context:\n%s", b.String())
	}
}

func TestDiagnosticsJSON(t *testing.T) {
	out, err := DiagnosticsJSON(diagnosticsFixture())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]any{
		"format_version": "1.0",
		"valid":          false,
		"error_count":    2.0,
		"warning_count":  1.0,
		"diagnostics": []any{
			map[string]any{"severity": "error", "summary": "Invalid phone",
				"detail": "A phone is \"+\" and 4 to 15 digits. Fix the value in the data file this row comes from.",
				"range": map[string]any{"filename": "orders.hcl",
					"start": map[string]any{"line": 4.0, "column": 13.0, "byte": 69.0},
					"end":   map[string]any{"line": 4.0, "column": 29.0, "byte": 85.0}}},
			map[string]any{"severity": "warning", "summary": "No orders declared",
				"detail": "The configuration declares no order block, so plan and apply have nothing to do."},
			map[string]any{"severity": "error", "summary": "Unsupported argument",
				"detail": `An argument named "colour" is not expected here. Did you mean "color"?`,
				"range": map[string]any{"filename": "gone.hcl",
					"start": map[string]any{"line": 3.0, "column": 5.0, "byte": 20.0},
					"end":   map[string]any{"line": 3.0, "column": 11.0, "byte": 26.0}}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("validate -json (-want +got):\n%s", diff)
	}

	out, err = DiagnosticsJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"format_version":"1.0","valid":true,"error_count":0,"warning_count":0,"diagnostics":[]}`; string(out) != want {
		t.Errorf("no diagnostics: got %s, want %s", out, want)
	}
}
