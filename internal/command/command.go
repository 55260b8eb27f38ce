// Package command is orderform's command layer. Each command is three
// steps, as in Terraform: internal/arguments reads its command line into a
// struct and diagnostics; the operation here wires the stages together
// (schema -> refresh/provider -> plan -> apply, the journal's backend); a
// view of internal/views renders it, errors included, for a person or as
// JSON. It is the only place, with main, that decides which stream a
// command writes to and which exit code it ends with.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/agext/levenshtein"

	"github.com/orderform/orderform/internal/arguments"
)

// Version is orderform's version; release builds set it with -ldflags.
var Version = "0.1.0-dev"

// Exit codes, part of the tool's contract with scripts and CI: 0 success
// (and no changes under -detailed-exitcode), 1 an error, 2 changes, 3 fmt
// -check found unformatted files.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
	exitFormat  = 3
)

// Streams are where a command reads and writes.
type Streams struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type cmd struct {
	name    string
	summary string
	run     func(ctx context.Context, m *meta, args []string) int
}

func commands() []cmd {
	return []cmd{
		{"validate", "Check the configuration without talking to the API", runValidate},
		{"fmt", "Rewrite .hcl files in canonical style", runFmt},
		{"plan", "Show what apply would change", runPlan},
		{"apply", "Make the changes (plan, confirm, apply, follow)", runApply},
		{"show", "Print a saved plan (-json, -markdown)", runShow},
		{"import", "Write order blocks for existing orders", runImport},
		{"journal", "List the writes still in flight (-json)", runJournal},
		{"watch", "Reconcile continuously, on an interval and on the Market's notifications", runWatch},
		{"sandbox", "Run the local Market API emulator", runSandbox},
		{"version", "Print the version", runVersion},
	}
}

// Run is orderform's main: it returns the exit code instead of exiting, so
// tests call it like the shell does.
func Run(args []string, s Streams) (code int) {
	defer func() {
		// The tool never panics at a user: a bug is reported as one.
		if r := recover(); r != nil {
			fmt.Fprintf(s.Stderr, "orderform: internal error: %v\n%s\nPlease report this, with the command that caused it.\n", r, debug.Stack())
			code = exitError
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	global := flag.NewFlagSet("orderform", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	chdir := global.String("chdir", "", "")
	showVersion := global.Bool("version", false, "")
	err := global.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp): // -h, -help, --help
		usage(s.Stdout)
		return exitOK
	case err != nil:
		fmt.Fprintf(s.Stderr, "Error: %v\n\n", err)
		usage(s.Stderr)
		return exitError
	}
	rest := global.Args()
	if *showVersion {
		rest = []string{"version"}
	}
	if len(rest) == 0 {
		usage(s.Stdout)
		return exitError
	}
	if rest[0] == "help" {
		// help COMMAND is COMMAND -h.
		if len(rest) > 1 && slices.ContainsFunc(commands(), func(c cmd) bool { return c.name == rest[1] }) {
			arguments.Usage(s.Stdout, rest[1])
			return exitOK
		}
		usage(s.Stdout)
		return exitOK
	}
	dir := "."
	if *chdir != "" {
		dir = *chdir
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			fmt.Fprintf(s.Stderr, "Error: -chdir=%s: not a directory\n", dir)
			return exitError
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintf(s.Stderr, "Error: -chdir=%s: %v\n", dir, err)
		return exitError
	}
	m := &meta{Streams: s, dir: abs, relDir: dir}
	// The first interrupt cancels ctx: no new request goes out and apply's
	// writes in flight run to their answer (at most the request timeout).
	// Then the signals are handed back, so a second Ctrl-C ends the process
	// at once; the journal's intents keep the next run from sending blind.
	finished, exited := make(chan struct{}), make(chan struct{})
	defer func() {
		close(finished)
		<-exited // nothing is printed after Run returns
	}()
	go func() {
		defer close(exited)
		select {
		case <-ctx.Done():
			select {
			case <-finished:
				return // the end of Run, not an interrupt
			default:
			}
			stop()
			if rest[0] == "apply" {
				fmt.Fprintln(s.Stderr, "\nInterrupt received: no new change will be sent; waiting for the writes in flight to answer. Press Ctrl-C again to quit at once (the next run re-checks them).")
			}
		case <-finished:
		}
	}()
	for _, c := range commands() {
		if c.name != rest[0] {
			continue
		}
		// Every command's -h, -help and --help, answered before it runs:
		// its usage and flags on stderr, exit 0.
		if arguments.WantsHelp(c.name, rest[1:]) {
			arguments.Usage(s.Stderr, c.name)
			return exitOK
		}
		return c.run(ctx, m, rest[1:])
	}
	fmt.Fprintf(s.Stderr, "Error: unknown command %q%s\n\n", rest[0], didYouMean(rest[0]))
	usage(s.Stderr)
	return exitError
}

func didYouMean(name string) string {
	best, bestD := "", 3
	for _, c := range commands() {
		if d := levenshtein.Distance(name, c.name, nil); d < bestD {
			best, bestD = c.name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: orderform [-chdir=DIR] COMMAND [flags] [args]\n\n")
	fmt.Fprintf(w, "orderform keeps Yandex Market orders in the state your .hcl files declare.\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'orderform COMMAND -h' for a command's flags.\n")
	fmt.Fprintf(w, "Environment: YANDEX_MARKET_API_KEY, YANDEX_MARKET_ENDPOINT, YANDEX_MARKET_BUSINESS_ID, NO_COLOR, ORDERFORM_LOG=debug, ORDERFORM_QUOTAS (e.g. track=100/1s,update=10/1s).\n")
}

func runVersion(_ context.Context, m *meta, args []string) int {
	if diags := arguments.ParseVersion(args); diags.HasErrors() {
		return m.commandLineError("version", diags, m.viewOptions(false, false, m.Stderr))
	}
	fmt.Fprintf(m.Stdout, "orderform v%s\n", strings.TrimPrefix(Version, "v"))
	return exitOK
}
