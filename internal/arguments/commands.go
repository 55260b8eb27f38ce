package arguments

import (
	"flag"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Validate is the command line of validate: the variables, because a
// configuration is only valid with them, and how to show the result.
// Nothing of plan's (-target, -parallelism, ...): validate reads nothing.
type Validate struct {
	Vars     Vars
	NoColor  bool
	ViewType ViewType
}

func (v *Validate) flagSet() *flag.FlagSet {
	fs := flagSet("validate")
	v.Vars.register(fs)
	fs.BoolVar(&v.NoColor, "no-color", false, "no colour in the output")
	fs.Var(jsonFlag{&v.ViewType}, "json", "print the diagnostics as one JSON document")
	return fs
}

// ParseValidate reads validate's command line.
func ParseValidate(args []string) (*Validate, hcl.Diagnostics) {
	v := &Validate{ViewType: ViewHuman}
	fs := v.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		if jsonAsked(args) {
			v.ViewType = ViewJSON
		}
		return v, diags
	}
	if fs.NArg() > 0 {
		return v, hcl.Diagnostics{errorf("validate takes no arguments (got %q); the configuration is every *.hcl in the directory, see -chdir", fs.Args())}
	}
	return v, nil
}

// Import is the command line of import.
type Import struct {
	Vars Vars
	// OrderIDs are the orders to import, in the order given.
	OrderIDs []int64
	// Out is -out: the new file to write, as given ("" = standard output).
	Out string
	// Campaign is -campaign (0: the provider block's).
	Campaign      int64
	ShowSensitive bool
	NoColor       bool
	Parallelism   int
}

func (i *Import) flagSet() *flag.FlagSet {
	fs := flagSet("import")
	fs.StringVar(&i.Out, "out", "", "write the blocks to FILE (in the configuration directory) instead of standard output")
	fs.Int64Var(&i.Campaign, "campaign", 0, "campaign of the orders (default: the provider block's campaign_id)")
	fs.BoolVar(&i.ShowSensitive, "show-sensitive", false, "include recipient names and phones (personal data: think before committing them)")
	fs.BoolVar(&i.NoColor, "no-color", false, "no colour in the output")
	fs.IntVar(&i.Parallelism, "parallelism", DefaultParallelism, "at most N reads in flight")
	i.Vars.register(fs)
	return fs
}

// ParseImport reads import's command line: at least one order ID, each a
// positive integer.
func ParseImport(args []string) (*Import, hcl.Diagnostics) {
	i := &Import{}
	fs := i.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		return i, diags
	}
	var diags hcl.Diagnostics
	if d := checkParallelism(i.Parallelism); d != nil {
		diags = append(diags, d)
	}
	if i.Campaign < 0 {
		diags = append(diags, errorf("-campaign=%d is not a campaign ID (a positive integer)", i.Campaign))
	}
	if fs.NArg() == 0 {
		diags = append(diags, errorf("import needs at least one order ID: orderform import 1001 1002"))
	}
	for _, a := range fs.Args() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			diags = append(diags, errorf("%q is not an order ID (a positive integer)", a))
			continue
		}
		i.OrderIDs = append(i.OrderIDs, id)
	}
	return i, diags
}

// Show is the command line of show.
type Show struct {
	View
	ViewType ViewType
	PlanPath string
}

func (s *Show) flagSet() *flag.FlagSet {
	fs := flagSet("show")
	fs.Var(jsonFlag{&s.ViewType}, "json", "print the plan as one JSON document")
	fs.Var(markdownFlag{&s.ViewType}, "markdown", "print the plan as Markdown for a pull-request comment (always masked)")
	fs.BoolVar(&s.NoColor, "no-color", false, "no colour in the output")
	fs.BoolVar(&s.ShowSensitive, "show-sensitive", false, "show recipient names, phones and sensitive values in clear")
	return fs
}

// ParseShow reads show's command line: one plan file, at most one of
// -json and -markdown.
func ParseShow(args []string) (*Show, hcl.Diagnostics) {
	s := &Show{ViewType: ViewHuman}
	fs := s.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		return s, diags
	}
	flags := args[:len(args)-fs.NArg()]
	both := boolSet(flags, "json") && boolSet(flags, "markdown")
	if fs.NArg() != 1 || both {
		return s, hcl.Diagnostics{errorf("show takes one plan file and at most one of -json and -markdown")}
	}
	s.PlanPath = fs.Arg(0)
	return s, nil
}

// Journal is the command line of journal.
type Journal struct {
	NoColor  bool
	ViewType ViewType
}

func (j *Journal) flagSet() *flag.FlagSet {
	fs := flagSet("journal")
	fs.Var(jsonFlag{&j.ViewType}, "json", "print the writes in flight as one JSON document")
	fs.BoolVar(&j.NoColor, "no-color", false, "no colour in the output")
	return fs
}

// ParseJournal reads journal's command line.
func ParseJournal(args []string) (*Journal, hcl.Diagnostics) {
	j := &Journal{ViewType: ViewHuman}
	fs := j.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		return j, diags
	}
	if fs.NArg() > 0 {
		return j, hcl.Diagnostics{errorf("journal takes no arguments (got %q); it lists the writes in flight of the configuration in the directory, see -chdir", fs.Args())}
	}
	return j, nil
}

// Fmt is the command line of fmt.
type Fmt struct {
	// Paths are the files and directories named, as given; ["-"] is
	// standard input; none is the configuration directory.
	Paths   []string
	Check   bool
	Diff    bool
	NoColor bool
}

func (f *Fmt) flagSet() *flag.FlagSet {
	fs := flagSet("fmt")
	fs.BoolVar(&f.Check, "check", false, "change nothing; exit 3 when a file is not formatted")
	fs.BoolVar(&f.Diff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&f.NoColor, "no-color", false, "no colour in the output")
	return fs
}

// ParseFmt reads fmt's command line.
func ParseFmt(args []string) (*Fmt, hcl.Diagnostics) {
	f := &Fmt{}
	fs := f.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		return f, diags
	}
	f.Paths = fs.Args()
	if slices.Contains(f.Paths, "-") && len(f.Paths) > 1 {
		return f, hcl.Diagnostics{errorf("fmt - reads standard input and takes no other file")}
	}
	return f, nil
}

// Sandbox is the command line of sandbox.
type Sandbox struct {
	Listen      string
	Data        string
	Save        string
	Key         string // "" = $YANDEX_MARKET_API_KEY, else "sandbox"
	UpdateDelay time.Duration
	AllowRemote bool
	// Notify is the seller's notification URL ("" = none); notifications
	// go to Notify + "/notification".
	Notify       string
	NotifyCopies int
	NotifyRetry  time.Duration
}

func (s *Sandbox) flagSet() *flag.FlagSet {
	fs := flagSet("sandbox")
	fs.StringVar(&s.Listen, "listen", "127.0.0.1:8080", "address to serve on (loopback unless -allow-remote)")
	fs.StringVar(&s.Data, "data", "", "seed file with campaigns and orders, e.g. testdata/sandbox-small.json")
	fs.StringVar(&s.Save, "save", "", "write the state to FILE when stopped")
	fs.StringVar(&s.Key, "key", "", "the API key the emulator accepts (default $YANDEX_MARKET_API_KEY, else \"sandbox\")")
	fs.DurationVar(&s.UpdateDelay, "update-delay", 30*time.Second, "how long orders/update operations stay IN_PROGRESS")
	fs.BoolVar(&s.AllowRemote, "allow-remote", false, "allow a non-loopback -listen address (needs an explicit -key)")
	fs.StringVar(&s.Notify, "notify", "", "POST the Market's push notifications to URL/notification when an order changes, e.g. http://127.0.0.1:8090")
	fs.IntVar(&s.NotifyCopies, "notify-copies", 1, "send every notification N times (the Market sends duplicates)")
	fs.DurationVar(&s.NotifyRetry, "notify-retry", time.Minute, "wait this long before sending a notification not answered 200 again")
	return fs
}

// ParseSandbox reads sandbox's command line. Whether -listen is loopback is
// the command's to decide (it resolves nothing here).
func ParseSandbox(args []string) (*Sandbox, hcl.Diagnostics) {
	s := &Sandbox{}
	fs := s.flagSet()
	if diags := parse(fs, args); diags.HasErrors() {
		return s, diags
	}
	var diags hcl.Diagnostics
	if fs.NArg() > 0 {
		diags = append(diags, errorf("sandbox takes no arguments (got %q); name the seed with -data=FILE", fs.Args()))
	}
	if s.Data == "" {
		diags = append(diags, errorf("sandbox needs a seed: -data=FILE (the repository has testdata/sandbox-small.json)"))
	}
	if s.Notify != "" {
		if u, err := url.Parse(s.Notify); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			diags = append(diags, errorf("-notify=%s is not an http or https URL without a query, e.g. http://127.0.0.1:8090", s.Notify))
		}
	}
	if s.NotifyCopies < 1 {
		diags = append(diags, errorf("-notify-copies=%d: want at least 1", s.NotifyCopies))
	}
	if s.NotifyRetry <= 0 {
		diags = append(diags, errorf("-notify-retry=%s: want a duration > 0", s.NotifyRetry))
	}
	return s, diags
}

// ParseVersion reads version's command line, which takes nothing.
func ParseVersion(args []string) hcl.Diagnostics {
	fs := flagSet("version")
	if diags := parse(fs, args); diags.HasErrors() {
		return diags
	}
	if fs.NArg() > 0 {
		return hcl.Diagnostics{errorf("version takes no arguments (got %q)", fs.Args())}
	}
	return nil
}

// markdownFlag is -markdown: a boolean flag that sets ViewMarkdown.
type markdownFlag struct{ v *ViewType }

func (m markdownFlag) String() string {
	if m.v != nil && *m.v == ViewMarkdown {
		return "true"
	}
	return "false"
}

func (m markdownFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if on {
		*m.v = ViewMarkdown
	} else if *m.v == ViewMarkdown {
		*m.v = ViewHuman
	}
	return nil
}

func (m markdownFlag) IsBoolFlag() bool { return true }

// boolSet reports whether flags, arguments that parsed as flags, leave the
// boolean flag name true (-name, --name, -name=true; the last one wins).
func boolSet(flags []string, name string) bool {
	on := false
	for _, a := range flags {
		n, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if n != name {
			continue
		}
		on = true
		if hasValue {
			on, _ = strconv.ParseBool(value) // it parsed: the value is valid
		}
	}
	return on
}
