package arguments

import (
	"flag"
	"strconv"

	"github.com/hashicorp/hcl/v2"
)

// Plan is the command line of plan.
type Plan struct {
	Operation
	View
	ViewType ViewType
	// Out is -out: where to save the plan ("" = not saved), as given.
	Out string
	// DetailedExitcode is -detailed-exitcode: exit 2 when there are changes.
	DetailedExitcode bool
}

func (p *Plan) flagSet() *flag.FlagSet {
	fs := flagSet("plan")
	p.Operation.register(fs)
	p.View.register(fs)
	fs.Var(jsonFlag{&p.ViewType}, "json", "machine-readable output")
	fs.StringVar(&p.Out, "out", "", "save the plan to `FILE`, for orderform apply FILE")
	fs.BoolVar(&p.DetailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none, 1 on error")
	return fs
}

// ParsePlan reads plan's command line.
func ParsePlan(args []string) (*Plan, hcl.Diagnostics) {
	p := &Plan{ViewType: ViewHuman}
	fs := p.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		if jsonAsked(args) {
			p.ViewType = ViewJSON
		}
		return p, diags
	}
	var diags hcl.Diagnostics
	if fs.NArg() > 0 {
		diags = append(diags, errorf("plan takes no arguments (got %q); the configuration is every *.hcl in the directory, see -chdir", fs.Args()))
	}
	if d := checkParallelism(p.Parallelism); d != nil {
		diags = append(diags, d)
	}
	return p, diags
}

// jsonFlag is -json: a boolean flag that sets a ViewType.
type jsonFlag struct{ v *ViewType }

func (j jsonFlag) String() string {
	if j.v != nil && *j.v == ViewJSON {
		return "true"
	}
	return "false"
}

func (j jsonFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if on {
		*j.v = ViewJSON
	} else if *j.v == ViewJSON {
		*j.v = ViewHuman
	}
	return nil
}

func (j jsonFlag) IsBoolFlag() bool { return true }
