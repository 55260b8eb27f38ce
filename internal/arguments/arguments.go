// Package arguments is the first step of every command: it turns a command
// line into a struct of what was asked plus diagnostics, and nothing else:
// it reads no file, opens nothing and prints nothing, so each parse is
// tested as a table. The command layer (internal/command) then runs the
// operation and renders it through internal/views; what the flags mean
// beyond their syntax (a plan file that cannot be read, a backend that
// cannot be reached) is the operation's to find out.
//
// Every Parse function returns a usable struct even with errors (the best
// reading of the arguments), so a command can still honour -json when
// reporting them.
package arguments

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/schema"
)

// ViewType is how a command renders what it shows.
type ViewType rune

const (
	ViewHuman    ViewType = 'H' // text for a person: colour on a terminal, masked values
	ViewJSON     ViewType = 'J' // one JSON document, or apply's stream of JSON lines
	ViewMarkdown ViewType = 'M' // show -markdown: a pull-request comment
)

// DefaultParallelism is how many reads or writes plan, apply and import
// keep in flight unless -parallelism says otherwise.
const DefaultParallelism = 10

// View is how the output looks, whatever its type.
type View struct {
	NoColor bool
	// ShowSensitive shows recipient names, phones and values from
	// sensitive variables in clear.
	ShowSensitive bool
}

// Vars are -var and -var-file in command-line order: a later one wins, as
// in Terraform.
type Vars []schema.VarArg

// Operation is what plan and apply share: the variables, which orders, and
// how many requests at once.
type Operation struct {
	Vars        Vars
	Targets     []string // -target, as given; the operation checks them against the orders
	Excludes    []string // -exclude, as given
	Parallelism int
}

// errorf is one error of the command line, which has no place in a file.
func errorf(format string, a ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf(format, a...)}
}

// badFlags marks (as hcl.Diagnostic.Extra) the diagnostic of flags that did
// not parse at all: an unknown flag, a value of the wrong type.
type badFlags struct{}

// FlagsDidNotParse reports whether diags say the flags themselves did not
// parse, when the command's list of flags helps more than anything.
func FlagsDidNotParse(diags hcl.Diagnostics) bool {
	return slices.ContainsFunc(diags, func(d *hcl.Diagnostic) bool {
		_, ok := d.Extra.(badFlags)
		return ok
	})
}

// flagSet is a command's flags, silent: its errors become diagnostics and
// its usage is printed by Usage.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

func (v *View) register(fs *flag.FlagSet) {
	fs.BoolVar(&v.NoColor, "no-color", false, "no colour in the output")
	fs.BoolVar(&v.ShowSensitive, "show-sensitive", false, "show recipient names, phones and sensitive values in clear")
}

// varFlag is -var or -var-file, appending to one list so that their order
// is kept.
type varFlag struct {
	list *Vars
	file bool
}

func (v varFlag) String() string { return "" }
func (v varFlag) Set(s string) error {
	*v.list = append(*v.list, schema.VarArg{File: v.file, Value: s})
	return nil
}

func (v *Vars) register(fs *flag.FlagSet) {
	fs.Var(varFlag{list: v}, "var", "set a variable: -var NAME=VALUE (repeatable)")
	fs.Var(varFlag{list: v, file: true}, "var-file", "read variables from an HCL file (repeatable)")
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (o *Operation) register(fs *flag.FlagSet) {
	o.Vars.register(fs)
	fs.Var((*stringList)(&o.Targets), "target", "only this order address (order.LABEL or order.LABEL[\"KEY\"]); repeatable")
	fs.Var((*stringList)(&o.Excludes), "exclude", "leave out this order address; repeatable")
	fs.IntVar(&o.Parallelism, "parallelism", DefaultParallelism, "at most N reads or writes in flight")
}

// checkParallelism refuses a -parallelism that allows nothing in flight:
// 0 would hang and a negative one means nothing.
func checkParallelism(n int) *hcl.Diagnostic {
	if n < 1 {
		return errorf("-parallelism=%d: it is how many reads or writes may be in flight at once, at least 1 (default %d)", n, DefaultParallelism)
	}
	return nil
}

// parse parses args into fs, the flags of command name. A flag of another
// command is named as such: "validate -parallelism=2" is a mistake about
// commands, not a typo.
func parse(fs *flag.FlagSet, args []string) hcl.Diagnostics {
	err := fs.Parse(args)
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		// The command layer answers -h before parsing (WantsHelp); a
		// parse that meets it anyway runs nothing.
		return hcl.Diagnostics{errorf("%s -h asks for the usage, and runs nothing", fs.Name())}
	}
	d := errorf("%v", err)
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		if others := commandsWithFlag(name); len(others) > 0 {
			d = errorf("%s: %s does not take -%s, a flag of %s", asGiven(args, name), fs.Name(), name, joinAnd(others))
		}
	}
	d.Extra = badFlags{}
	return hcl.Diagnostics{d}
}

// jsonAsked reports whether args ask for -json even though they did not
// parse: the errors are then reported as JSON, which a script expects.
func jsonAsked(args []string) bool {
	if i := slices.Index(args, "--"); i >= 0 {
		args = args[:i]
	}
	var flags []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		}
	}
	return boolSet(flags, "json")
}

// asGiven is the argument of args that set flag name, as the user wrote it.
func asGiven(args []string, name string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && n == name {
			return a
		}
	}
	return "-" + name
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// usage is one command's usage: the positional arguments, and a flag set
// whose defaults are printed (built on a throw-away struct).
type usage struct {
	args  string
	flags func() *flag.FlagSet
}

// usages are every command's, by name.
var usages = map[string]usage{
	"validate": {"", func() *flag.FlagSet { return (&Validate{}).flagSet() }},
	"fmt":      {"[FILE | DIR]... | -", func() *flag.FlagSet { return (&Fmt{}).flagSet() }},
	"plan":     {"", func() *flag.FlagSet { return (&Plan{}).flagSet() }},
	"apply":    {"[PLANFILE]", func() *flag.FlagSet { return (&Apply{}).flagSet() }},
	"show":     {"PLANFILE", func() *flag.FlagSet { return (&Show{}).flagSet() }},
	"import":   {"ORDER_ID...", func() *flag.FlagSet { return (&Import{}).flagSet() }},
	"journal":  {"", func() *flag.FlagSet { return (&Journal{}).flagSet() }},
	"sandbox":  {"", func() *flag.FlagSet { return (&Sandbox{}).flagSet() }},
	"watch":    {"", func() *flag.FlagSet { return (&Watch{}).flagSet() }},
	"version":  {"", func() *flag.FlagSet { return flagSet("version") }},
}

// commandsWithFlag names the commands that take flag name, sorted.
func commandsWithFlag(name string) []string {
	var out []string
	for cmd, u := range usages {
		if u.flags().Lookup(name) != nil {
			out = append(out, cmd)
		}
	}
	slices.Sort(out)
	return out
}

// WantsHelp reports whether args, the arguments of command name, ask for
// its usage: -h, -help or --help among its flags (not after them, where it
// is an argument, nor as a flag's value).
func WantsHelp(name string, args []string) bool {
	u, ok := usages[name]
	if !ok {
		return false
	}
	return errors.Is(u.flags().Parse(args), flag.ErrHelp)
}

// Usage writes command name's usage and flags, as -h shows them.
func Usage(w io.Writer, name string) {
	u, ok := usages[name]
	if !ok {
		return
	}
	fs := u.flags()
	args := ""
	if u.args != "" {
		args = " " + u.args
	}
	fmt.Fprintf(w, "Usage: orderform %s [flags]%s\n\nFlags:\n", name, args)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
