package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// streams are where a verb writes: results to out, progress and warnings to err.
type streams struct{ out, err io.Writer }

// A verb is one subcommand: its synopsis and help, how many positional
// arguments it takes, and setup, which declares its flags on fs and returns
// the function that runs it once the flags are parsed.
type verb struct {
	name     string
	synopsis string // after "go run . NAME" in NAME --help
	brief    string // the verb's line in the top-level usage, before summary
	summary  string // what the verb does, in a few words
	help     string // what NAME --help says above the flags
	minArgs  int
	maxArgs  int    // -1: no limit
	argsHint string // the error when the count is wrong, e.g. "give OLD and NEW"
	setup    func(fs *flag.FlagSet) func(std streams, args []string) error
}

// verbs is every subcommand, in the order the usage lists them.
var verbs []verb

func init() {
	verbs = []verb{runVerb, listVerb, verifyVerb, evalVerb, compareVerb, reportVerb, uploadVerb, historyVerb, dashboardVerb, hardwareVerb, frameworksVerb, helpVerb}
}

// usage is the top-level help, built from the table of verbs.
func usage() string {
	var b strings.Builder
	b.WriteString("mirrorbench: reproduce and benchmark the Keras MNIST CNN (docs/reference.md).\n\nUsage:\n")
	for _, v := range verbs {
		fmt.Fprintf(&b, "  go run . %-26s %s\n", v.brief, v.summary)
	}
	b.WriteString("\nRun 'go run . VERB --help' for a verb's flags.\n" +
		"Exit status: 0 ok (skips allowed), 1 a target missed or a run failed, 2 bad usage or input.\n")
	return b.String()
}

// dispatch finds the verb and runs it.
func dispatch(args []string, std streams) error {
	if len(args) == 0 {
		fmt.Fprint(std.err, usage())
		return usageError{fmt.Errorf("%w: no verb", errShown)}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		args = append([]string{"help"}, args[1:]...)
	}
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(args[1:], std)
		}
	}
	fmt.Fprint(std.err, usage())
	return badUsage("unknown command %q", args[0])
}

// run parses the verb's flags (before or after its arguments), checks the
// argument count, and runs it.
func (v verb) run(args []string, std streams) error {
	fs := flag.NewFlagSet(v.name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	fs.Usage = func() {
		fmt.Fprintf(std.err, "Usage: go run . %s\n\n%s", strings.TrimSpace(v.name+" "+v.synopsis), v.help)
		if hasFlags(fs) {
			fmt.Fprint(std.err, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	runFn := v.setup(fs)
	pos, err := parseInterleaved(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return err
	case err != nil:
		return errBadFlags
	case len(pos) < v.minArgs || (v.maxArgs >= 0 && len(pos) > v.maxArgs):
		fs.Usage()
		return badUsage("%s: %s", v.name, v.argsHint)
	}
	return runFn(std, pos)
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseInterleaved parses flags that may come before or after the positional
// arguments ("run smoke --epochs 1" as well as "run --epochs 1 smoke").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// noFlags is the setup of a verb without flags.
func noFlags(run func(std streams, args []string) error) func(*flag.FlagSet) func(streams, []string) error {
	return func(*flag.FlagSet) func(streams, []string) error { return run }
}
