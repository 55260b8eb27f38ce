package schema

import (
	"strings"
	"testing"
)

// TestFunctionsTerraformUsersReachFor: every function the configuration
// language promises exists, and those we wrap behave as in Terraform.
func TestFunctionsTerraformUsersReachFor(t *testing.T) {
	promised := strings.Fields(`abs ceil floor max min chomp format formatlist indent join lower upper
		replace split strrev substr title trim trimprefix trimsuffix trimspace regex regexall concat
		contains distinct element flatten keys length lookup merge range reverse setintersection
		setproduct setsubtract setunion slice sort values zipmap coalesce coalescelist compact
		csvdecode jsondecode jsonencode tonumber tostring tobool tolist toset tomap can try file`)
	funcs := functions(t.TempDir(), nil)
	for _, name := range promised {
		if _, ok := funcs[name]; !ok {
			t.Errorf("function %s is missing", name)
		}
	}

	for _, tt := range []struct{ expr, want string }{
		{`length("абв")`, "3"},
		{`length({ a = 1, b = 2 })`, "2"},
		{`length([1, 2, 3])`, "3"},
		{`length(toset(["a", "a"]))`, "1"},
		{`replace("a-b--c", "/-+/", "+")`, "a+b+c"},
		{`replace("a.b", ".", "+")`, "a+b"},
		{`jsonencode({ a = [1, "x"] })`, `{"a":[1,"x"]}`},
		{`csvdecode("a,b\n1,2")[0].b`, "2"},
		{`format("%s-%03d", upper("rp"), 7)`, "RP-007"},
		{`join(",", sort(distinct(concat(["b"], ["a", "b"]))))`, "a,b"},
		{`title(strrev("navi"))`, "Ivan"},
		{`try(tonumber("x"), "fallback")`, "fallback"},
		{`can(regex("^[0-9]+$", "123"))`, "true"},
		{`coalesce("", null, "x")`, "x"},
		{`coalesce(null, 2, 3)`, "2"},
		{`lookup({ a = "1" }, "b", "none")`, "none"},
		{`formatdate("YYYY-MM-DD", timeadd("2026-11-25T00:00:00Z", "24h"))`, "2026-11-26"},
		{`nonsensitive(sensitive("s"))`, "s"},
		{`trimspace(file("code.txt"))`, "RP1"},
	} {
		t.Run(tt.expr, func(t *testing.T) {
			_, orders, dir, diags := loadAll(t, map[string]string{
				"main.hcl": "order \"1001\" {\n  track {\n    code                = tostring(" + tt.expr + ")\n    delivery_service_id = 1\n  }\n}\n",
				"code.txt": "RP1\n",
			}, LoadOptions{})
			if len(diags) > 0 {
				t.Fatalf("%v %q", render(dir, diags), details(dir, diags))
			}
			if got := orders[0].Track.Code; got != tt.want {
				t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}
