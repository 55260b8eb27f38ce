package schema

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const serviceVarHCL = `variable "svc" {
  type    = number
  default = 1
}
order "1001" {
  track {
    code                = "RP1"
    delivery_service_id = var.svc
  }
}
`

func TestVariablePrecedence(t *testing.T) {
	dir := writeDir(t, withProvider(map[string]string{"main.hcl": serviceVarHCL}))
	files := writeDir(t, map[string]string{
		"three.hclvars": "svc = 3\n",
		"six.hclvars":   "svc = 6\n",
		"vars.json":     `{"svc": 7}`,
	})
	three, six := filepath.Join(files, "three.hclvars"), filepath.Join(files, "six.hclvars")
	tests := []struct {
		name string
		opt  LoadOptions
		want int64
	}{
		{"default", LoadOptions{}, 1},
		{"environment over default", LoadOptions{Env: []string{"ORDERFORM_VAR_svc=2", "PATH=/bin"}}, 2},
		{"var-file over environment", LoadOptions{Env: []string{"ORDERFORM_VAR_svc=2"}, VarArgs: varFileArgs(three)}, 3},
		{"-var over var-file", LoadOptions{Env: []string{"ORDERFORM_VAR_svc=2"}, VarArgs: append(varFileArgs(three), varArgs("svc=4")...)}, 4},
		{"later -var wins", LoadOptions{VarArgs: varArgs("svc=4", "svc=5")}, 5},
		{"later var-file wins", LoadOptions{VarArgs: varFileArgs(three, six)}, 6},
		{"JSON var-file", LoadOptions{VarArgs: varFileArgs(filepath.Join(files, "vars.json"))}, 7},
		{"interleaved: a var-file after a -var wins", LoadOptions{VarArgs: []VarArg{{Value: "svc=4"}, {File: true, Value: three}}}, 3},
		{"interleaved: a -var after a var-file wins", LoadOptions{VarArgs: []VarArg{{File: true, Value: three}, {Value: "svc=4"}}}, 4},
		{"later environment entry wins", LoadOptions{Env: []string{"ORDERFORM_VAR_svc=2", "ORDERFORM_VAR_svc=8"}}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := Load(dir, tt.opt)
			if len(diags) > 0 {
				t.Fatalf("Load: %v", diags)
			}
			orders, diags := cfg.Orders(nil)
			if len(diags) > 0 || len(orders) != 1 {
				t.Fatalf("Orders: %d orders, %v", len(orders), diags)
			}
			if got := orders[0].Track.DeliveryServiceID; got != tt.want {
				t.Errorf("delivery_service_id = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestVariableValues(t *testing.T) {
	varFiles := writeDir(t, map[string]string{
		"wrong.hclvars":      "svc = \"many\"\n",
		"undeclared.hclvars": "svcs = 3\n",
		"block.hclvars":      "svc {\n}\n",
	})
	tests := []struct {
		name     string
		src      string
		opt      LoadOptions
		want     []string
		wantCode string // the track code of order 1001, when no error
	}{
		{
			name: "a number variable parses -var as HCL",
			src:  serviceVarHCL,
			opt:  LoadOptions{VarArgs: varArgs(`svc="abc"`)},
			want: []string{"error: Invalid value for variable @ main.hcl:1:1"},
		},
		{
			name: "a bare word is not a number",
			src:  serviceVarHCL,
			opt:  LoadOptions{VarArgs: varArgs(`svc=abc`)},
			want: []string{"error: Variables not allowed @ <value for var.svc>:1:1"},
		},
		{
			name: "a conversion error in a var-file points into it",
			src:  serviceVarHCL,
			opt:  LoadOptions{VarArgs: varFileArgs(filepath.Join(varFiles, "wrong.hclvars"))},
			want: []string{"error: Invalid value for variable @ " + filepath.Join(varFiles, "wrong.hclvars") + ":1:7"},
		},
		{
			name: "an undeclared name in a var-file is a warning",
			src:  serviceVarHCL,
			opt:  LoadOptions{VarArgs: varFileArgs(filepath.Join(varFiles, "undeclared.hclvars"))},
			want: []string{"warning: Value for undeclared variable @ " + filepath.Join(varFiles, "undeclared.hclvars") + ":1:1"},
		},
		{
			name: "a var-file holds attributes only",
			src:  serviceVarHCL,
			opt:  LoadOptions{VarArgs: varFileArgs(filepath.Join(varFiles, "block.hclvars"))},
			want: []string{"error: Unexpected \"svc\" block @ " + filepath.Join(varFiles, "block.hclvars") + ":1:1"},
		},
		{
			name: "a missing var-file",
			src:  serviceVarHCL,
			opt:  LoadOptions{VarArgs: varFileArgs(filepath.Join(varFiles, "nope.hclvars"))},
			want: []string{"error: Failed to read file @ -"},
		},
		{
			name: "an undeclared -var is an error",
			src:  serviceVarHCL,
			opt:  LoadOptions{VarArgs: varArgs("svcs=3")},
			want: []string{"error: Value for undeclared variable @ -"},
		},
		{
			name: "-var without a value",
			src:  serviceVarHCL,
			opt:  LoadOptions{VarArgs: varArgs("svc")},
			want: []string{"error: Invalid -var option @ -"},
		},
		{
			name: "an undeclared environment variable is ignored",
			src:  serviceVarHCL,
			opt:  LoadOptions{Env: []string{"ORDERFORM_VAR_other=1", "ORDERFORM_VAR_=2", "ORDERFORM_VAR_svc"}},
		},
		{
			name: "required variable without a value",
			src: `variable "code" {
}
order "1001" {
  track {
    code                = var.code
    delivery_service_id = 1
  }
}
`,
			want: []string{"error: No value for required variable @ main.hcl:1:1"},
		},
		{
			name: "a variable without type takes text literally",
			src: `variable "code" {
}
order "1001" {
  track {
    code                = var.code
    delivery_service_id = 1
  }
}
`,
			opt:      LoadOptions{VarArgs: varArgs("code=[RP1]")},
			wantCode: "[RP1]",
		},
		{
			name: "a string variable takes text literally, the environment too",
			src: `variable "code" {
  type = string
}
order "1001" {
  track {
    code                = var.code
    delivery_service_id = 1
  }
}
`,
			opt:      LoadOptions{Env: []string{`ORDERFORM_VAR_code="RP1"`}},
			wantCode: `"RP1"`,
		},
		{
			name: "a list from the environment",
			src: `variable "codes" {
  type = list(string)
}
order "1001" {
  track {
    code                = join("-", var.codes)
    delivery_service_id = 1
  }
}
`,
			opt:      LoadOptions{Env: []string{`ORDERFORM_VAR_codes=["RP1", 2]`}},
			wantCode: "RP1-2",
		},
		{
			name: "object type with optional attributes and their defaults",
			src: `variable "track" {
  type = object({
    code   = string
    suffix = optional(string, "RU")
  })
}
order "1001" {
  track {
    code                = "${var.track.code}${var.track.suffix}"
    delivery_service_id = 1
  }
}
`,
			opt:      LoadOptions{VarArgs: varArgs(`track={ code = "RP1" }`)},
			wantCode: "RP1RU",
		},
		{
			name: "a default that does not match the type",
			src: `variable "svc" {
  type    = number
  default = "many"
}
`,
			want: []string{"error: Invalid default value for variable @ main.hcl:3:13"},
		},
		{
			name: "a default cannot refer to anything",
			src: `variable "svc" {
  default = var.other
}
`,
			want: []string{"error: Variables not allowed @ main.hcl:2:13"},
		},
		{
			name: "a bad type expression",
			src: `variable "svc" {
  type = numbr
}
`,
			want: []string{"error: Invalid type specification @ main.hcl:2:10"},
		},
		{
			name: "not nullable",
			src: `variable "svc" {
  type     = number
  nullable = false
}
`,
			opt:  LoadOptions{VarArgs: varArgs("svc=null")},
			want: []string{"error: Invalid value for variable @ main.hcl:1:1"},
		},
		{
			name: "a null for a non-nullable variable with a default takes the default",
			src: `variable "code" {
  type     = string
  nullable = false
  default  = "RP9"
}
order "1001" {
  track {
    code                = var.code
    delivery_service_id = 1
  }
}
`,
			opt:      LoadOptions{VarArgs: varFileArgs(writeDir(t, map[string]string{"n.hclvars": "code = null\n"}) + "/n.hclvars")},
			wantCode: "RP9",
		},
		{
			name: "duplicate variable",
			src: `variable "svc" {
  default = 1
}
variable "svc" {
  default = 2
}
`,
			want: []string{"error: Duplicate variable declaration @ main.hcl:4:10"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, orders, dir, diags := loadAll(t, map[string]string{"main.hcl": tt.src}, tt.opt)
			if diff := cmp.Diff(tt.want, render(dir, diags)); diff != "" {
				t.Fatalf("diagnostics (-want +got):\n%s\ndetails: %q", diff, details(dir, diags))
			}
			if tt.wantCode != "" {
				if len(orders) != 1 || orders[0].Track == nil {
					t.Fatalf("orders = %+v", orders)
				}
				if got := orders[0].Track.Code; got != tt.wantCode {
					t.Errorf("code = %q, want %q", got, tt.wantCode)
				}
			}
		})
	}
}

func TestVariableErrorsNameTheVariable(t *testing.T) {
	_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": serviceVarHCL}, LoadOptions{VarArgs: varArgs(`svc="abc"`)})
	want := []string{`The value given by -var is not suitable for var.svc (declared at main.hcl:1:1): a number is required.`}
	if diff := cmp.Diff(want, details(dir, diags)); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	_, _, dir, diags = loadAll(t, map[string]string{"main.hcl": `variable "rows" {
  type = list(object({ code = string }))
}
`}, LoadOptions{VarArgs: varArgs(`rows=[{ code = "RP1" }, { code = ["RP2"] }]`)})
	want = []string{`The value given by -var is not suitable for var.rows (declared at main.hcl:1:1): element 1: attribute "code": string required, but have tuple.`}
	if diff := cmp.Diff(want, details(dir, diags)); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	_, _, dir, diags = loadAll(t, map[string]string{"main.hcl": `variable "rows" {
  type = list(object({ n = number }))
}
`}, LoadOptions{VarArgs: varArgs(`rows=[{ n = 1 }, { n = "x" }]`)})
	want = []string{`The value given by -var is not suitable for var.rows (declared at main.hcl:1:1): [1].n: a number is required.`}
	if diff := cmp.Diff(want, details(dir, diags)); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	_, _, dir, diags = loadAll(t, map[string]string{"main.hcl": serviceVarHCL}, LoadOptions{VarArgs: varArgs(`sv=1`)})
	want = []string{`A value was given with -var for "sv", but the configuration declares no such variable. Did you mean "svc"?`}
	if diff := cmp.Diff(want, details(dir, diags)); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}

func TestVariableValidation(t *testing.T) {
	src := `variable "phone" {
  type = string
  validation {
    condition     = startswith(var.phone, "+7")
    error_message = "The phone must be Russian, got ${var.phone}."
  }
  validation {
    condition     = length(var.phone) > 5
    error_message = "The phone is too short."
  }
}
`
	// startswith is not in the function set: the condition errors.
	_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": src}, LoadOptions{VarArgs: varArgs("phone=+1")})
	got := render(dir, diags)
	want := []string{
		"error: Invalid value for variable @ main.hcl:1:1",
		"error: Call to unknown function @ main.hcl:4:21",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s", diff)
	}

	src = strings.ReplaceAll(src, `startswith(var.phone, "+7")`, `substr(var.phone, 0, 2) == "+7"`)
	for _, tt := range []struct {
		phone string
		want  []string
	}{
		{"+79990001122", nil},
		{"+1", []string{
			"The phone must be Russian, got +1.\n\nThis was checked by the validation rule of var.phone at main.hcl:4:21.",
			"The phone is too short.\n\nThis was checked by the validation rule of var.phone at main.hcl:8:21.",
		}},
		{"+7", []string{
			"The phone is too short.\n\nThis was checked by the validation rule of var.phone at main.hcl:8:21.",
		}},
	} {
		_, _, dir, diags := loadAll(t, map[string]string{"main.hcl": src}, LoadOptions{VarArgs: varArgs("phone=" + tt.phone)})
		if diff := cmp.Diff(tt.want, details(dir, withoutNoOrders(diags))); diff != "" {
			t.Errorf("phone %s: details (-want +got):\n%s", tt.phone, diff)
		}
	}

	// A validation may refer to its own variable only.
	_, _, dir, diags = loadAll(t, map[string]string{"main.hcl": `variable "a" {
  default = 1
  validation {
    condition     = var.a > var.b
    error_message = "Too small."
  }
}
variable "b" {
  default = 0
}
`}, LoadOptions{})
	if diff := cmp.Diff([]string{"error: Invalid reference in variable validation @ main.hcl:4:29"}, render(dir, diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestSensitivePropagation(t *testing.T) {
	src := `variable "phone" {
  type      = string
  sensitive = true
  default   = "+79990001122"
}
variable "codes" {
  type      = map(string)
  sensitive = true
  default   = { "1002" = "RP2" }
}
locals {
  phone = var.phone
}
order "1001" {
  track {
    code                = "RP${substr(local.phone, 1, 3)}"
    delivery_service_id = 1
  }
  recipient {
    first_name = "Ivan"
    phone      = local.phone
  }
}
order "more" {
  for_each = nonsensitive(var.codes)
  track {
    code                = each.value
    delivery_service_id = 1
  }
}
`
	_, orders, dir, diags := loadAll(t, map[string]string{"main.hcl": src}, LoadOptions{})
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %v", render(dir, diags))
	}
	got := map[string][]string{}
	for _, o := range orders {
		got[o.Address] = o.Sensitive
	}
	want := map[string][]string{
		"order.1001":         {"recipient.phone", "track.code"},
		`order.more["1002"]`: nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sensitive paths (-want +got):\n%s", diff)
	}
	if p := orders[0].Recipient.Phone; p == nil || *p != "+79990001122" {
		t.Errorf("phone = %v", p)
	}

	// Without nonsensitive, a sensitive for_each is refused: its keys
	// would show in addresses.
	src2 := strings.Replace(src, "nonsensitive(var.codes)", "var.codes", 1)
	_, _, dir, diags = loadAll(t, map[string]string{"main.hcl": src2}, LoadOptions{})
	if diff := cmp.Diff([]string{"error: Invalid for_each argument @ main.hcl:25:14"}, render(dir, diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}

	// A sensitive value is never echoed in a diagnostic.
	_, _, dir, diags = loadAll(t, map[string]string{"main.hcl": src}, LoadOptions{VarArgs: varArgs("phone=+7 999 000")})
	for _, d := range details(dir, diags) {
		if strings.Contains(d, "999 000") {
			t.Errorf("a diagnostic shows the sensitive value: %q", d)
		}
	}
	if diff := cmp.Diff([]string{"error: Invalid phone @ main.hcl:21:18"}, render(dir, diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}

	// A validation message that would show a sensitive value is withheld.
	_, _, dir, diags = loadAll(t, map[string]string{"main.hcl": `variable "phone" {
  sensitive = true
  validation {
    condition     = length(var.phone) > 5
    error_message = "Too short: ${var.phone}."
  }
}
`}, LoadOptions{Env: []string{"ORDERFORM_VAR_phone=+7"}})
	want2 := []string{"The error message included a sensitive value, so it is not displayed.\n\nThis was checked by the validation rule of var.phone at main.hcl:4:21."}
	if diff := cmp.Diff(want2, details(dir, diags)); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}

// varArgs are -var arguments, in order.
func varArgs(vs ...string) []VarArg {
	out := make([]VarArg, len(vs))
	for i, v := range vs {
		out[i] = VarArg{Value: v}
	}
	return out
}

// varFileArgs are -var-file arguments, in order.
func varFileArgs(paths ...string) []VarArg {
	out := make([]VarArg, len(paths))
	for i, p := range paths {
		out[i] = VarArg{File: true, Value: p}
	}
	return out
}
