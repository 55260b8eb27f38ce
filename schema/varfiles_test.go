package schema

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// svcOf loads dir and returns order 1001's delivery_service_id.
func svcOf(t *testing.T, dir string, opt LoadOptions) int64 {
	t.Helper()
	cfg, diags := Load(dir, opt)
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	orders, diags := cfg.Orders(nil)
	if diags.HasErrors() || len(orders) != 1 {
		t.Fatalf("Orders: %d orders, %v", len(orders), diags)
	}
	return orders[0].Track.DeliveryServiceID
}

// A relative -var-file is found in the configuration directory, not in
// the process's working directory, as Terraform does after -chdir.
func TestVarFileRelativeToConfigDir(t *testing.T) {
	dir := writeDir(t, withProvider(map[string]string{"main.hcl": serviceVarHCL, "prod.ofvars": "svc = 9\n"}))
	t.Chdir(t.TempDir())
	if got := svcOf(t, dir, LoadOptions{VarArgs: varFileArgs("prod.ofvars")}); got != 9 {
		t.Errorf("delivery_service_id = %d, want 9 from prod.ofvars", got)
	}
	cfg, diags := Load(dir, LoadOptions{VarArgs: []VarArg{{File: true, Value: "prod.ofvars"}, {Value: "svc=4"}}})
	if diags.HasErrors() {
		t.Fatalf("Load with VarArgs: %v", diags)
	}
	if _, ok := cfg.Files()[filepath.Join(dir, "prod.ofvars")]; !ok {
		t.Errorf("Files() lacks the var file under its path in the directory: %v", sortedNames(cfg.Files()))
	}
}

// orderform.ofvars and *.auto.ofvars are loaded without -var-file, after
// the environment and before the command line, in Terraform's order; none
// of them is read as configuration.
func TestAutoVarFiles(t *testing.T) {
	base := map[string]string{"main.hcl": serviceVarHCL}
	tests := []struct {
		name  string
		files map[string]string
		opt   LoadOptions
		want  int64
	}{
		{"orderform.ofvars over the default", map[string]string{"orderform.ofvars": "svc = 2\n"}, LoadOptions{}, 2},
		{"orderform.ofvars over the environment",
			map[string]string{"orderform.ofvars": "svc = 2\n"}, LoadOptions{Env: []string{"ORDERFORM_VAR_svc=7"}}, 2},
		{"orderform.ofvars.json after orderform.ofvars",
			map[string]string{"orderform.ofvars": "svc = 2\n", "orderform.ofvars.json": `{"svc": 3}`}, LoadOptions{}, 3},
		{"*.auto.ofvars after orderform.ofvars, by name",
			map[string]string{"orderform.ofvars": "svc = 2\n", "b.auto.ofvars": "svc = 5\n", "a.auto.ofvars.json": `{"svc": 4}`}, LoadOptions{}, 5},
		{"-var-file over the auto files",
			map[string]string{"z.auto.ofvars": "svc = 5\n", "prod.ofvars": "svc = 6\n"}, LoadOptions{VarArgs: varFileArgs("prod.ofvars")}, 6},
		{"-var over the auto files",
			map[string]string{"orderform.ofvars": "svc = 2\n"}, LoadOptions{VarArgs: varArgs("svc=8")}, 8},
		{"other names are not loaded",
			map[string]string{"prod.ofvars": "svc = 6\n", "orderform.ofvars.bak": "svc = 6\n", ".x.auto.ofvars": "svc = 6\n"}, LoadOptions{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			for k, v := range tt.files {
				files[k] = v
			}
			if got := svcOf(t, writeDir(t, withProvider(files)), tt.opt); got != tt.want {
				t.Errorf("delivery_service_id = %d, want %d", got, tt.want)
			}
		})
	}
}

// A variables file named *.hcl in the directory is read as configuration:
// one error that says it looks like a variables file and what to name it,
// not an "Unsupported argument" per value.
func TestVarFileNamedHCL(t *testing.T) {
	files := withProvider(map[string]string{"main.hcl": serviceVarHCL, "prod.vars.hcl": "svc = 9\ncourier_service = 51\n"})
	_, _, dir, diags := loadAll(t, files, LoadOptions{})
	if diff := cmp.Diff([]string{"error: Variables file among the configuration @ prod.vars.hcl:1:1"}, render(dir, diags)); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s", diff)
	}
	for _, want := range []string{"looks like a variables file", "(svc, courier_service)", "name this one prod.ofvars", "-var-file=prod.ofvars", "orderform.ofvars"} {
		if !strings.Contains(diags[0].Detail, want) {
			t.Errorf("detail lacks %q: %s", want, diags[0].Detail)
		}
	}

	// Given with -var-file, it is read as variables only, with a warning
	// to rename it.
	cfg, diags := Load(dir, LoadOptions{VarArgs: varFileArgs("prod.vars.hcl")})
	if diff := cmp.Diff([]string{
		"warning: Variables file named like configuration @ prod.vars.hcl:1:1",
		"warning: Value for undeclared variable @ prod.vars.hcl:2:1",
	}, render(dir, diags)); diff != "" {
		t.Fatalf("diagnostics with -var-file (-want +got):\n%s", diff)
	}
	orders, _ := cfg.Orders(nil)
	if len(orders) != 1 || orders[0].Track.DeliveryServiceID != 9 {
		t.Errorf("orders = %+v, want 1001 with service 9", orders)
	}
}
