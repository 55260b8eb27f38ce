package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/orderform/orderform/internal/pgtest"
	"github.com/orderform/orderform/provider/sandbox"
)

// The backend a saved plan is applied through must be the one every other
// run uses. A backend block that takes its schema from a variable gives
// `apply FILE` (which takes no -var) another schema than the runs given
// -var: a journal and locks of their own, so a write another run has in
// flight is sent again. Variables have no place in a backend block, as in
// Terraform.
func TestBackendBlockTakesNoVariables(t *testing.T) {
	url := pgtest.URL(t)
	prod, staging := pgtest.SchemaName(t), pgtest.SchemaName(t)
	e := newApplyEnv(t, nil, sandbox.Options{UpdateDelay: time.Hour}, map[string]string{"main.hcl": crashUpdateHCL,
		"backend.hcl": fmt.Sprintf("variable \"schema\" {\n  type    = string\n  default = %q\n}\n\nbackend \"pg\" {\n  schema_name = var.schema\n}\n", staging)})
	e.pg = &testPGBackend{url: url, schema: prod}
	if r := e.orderform("plan", "-var", "schema="+prod, "-out=p.bin"); r.code == 0 {
		e.mustExit(0, "apply", "-auto-approve", "-wait=0", "-var", "schema="+prod)
		e.orderform("apply", "-wait=0", "p.bin")
		t.Fatalf("a backend block with a variable was accepted; order 2001 got %d updates", e.effectiveWrites(2001))
	} else {
		wantContains(t, "plan", r.stderr, "Variables not allowed", "backend.hcl")
	}

	// A saved plan is not applied through a backend block with an error
	// either: its defaults are another journal.
	e.write("backend.hcl", fmt.Sprintf("backend \"pg\" {\n  schema_name = %q\n}\n", prod))
	e.mustExit(0, "plan", "-out=p.bin")
	e.mustExit(0, "apply", "-auto-approve", "-wait=0")
	e.write("backend.hcl", "backend \"pg\" {\n  schema_name = \"Prod\"\n}\n")
	r := e.orderform("apply", "-wait=0", "p.bin")
	if r.code != 1 {
		t.Errorf("apply FILE through an invalid backend block: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if n := e.effectiveWrites(2001); n != 1 {
		t.Errorf("order 2001 got %d updates, want 1: apply FILE used another journal than the apply before it", n)
	}
}
