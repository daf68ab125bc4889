// Command mirrorbench runs the reference MNIST CNN of REFERENCE.md from
// declarative scenario files, checks accuracy targets and records throughput.
//
//	go run . run [flags] NAME|FILE...   train scenarios, write records
//	go run . list                       the embedded suite
//	go run . help [scenarios]           usage, or the scenario file format
//
// Exit status: 0 all ran and met their targets (skips allowed), 1 a target
// was missed or a run failed, 2 bad usage or bad input.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

const usage = `mirrorbench: reproduce and benchmark the Keras MNIST CNN (REFERENCE.md).

Usage:
  go run . run [flags] NAME|FILE...   run scenarios from the suite (by name) or files
  go run . list                       list the embedded scenario suite
  go run . verify RECORD.json         re-run a recorded run and check that it reproduces
  go run . eval WEIGHTS.safetensors   test accuracy of exported weights (Gorgonia engine by default)
  go run . compare [flags] OLD NEW    benchstat-style comparison with a verdict (exit 1 on regression)
  go run . report [--markdown] DIR... tables and plots from stored records, without training
  go run . hardware                   this host, its calibration, the reference profiles
  go run . help scenarios             the scenario file format

Run 'go run . VERB --help' for a verb's flags.
Exit status: 0 ok (skips allowed), 1 a target missed or a run failed, 2 bad usage or input.
`

// usageError marks a failure that is the caller's: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badUsage(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func main() {
	os.Exit(mainExit(os.Args[1:], os.Stdout, os.Stderr))
}

func mainExit(args []string, stdout, stderr io.Writer) int {
	code, err := dispatch(args, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "mirrorbench:", err)
		var ue usageError
		if code == 2 || errors.As(err, &ue) || isInputError(err) {
			return 2
		}
		return 1
	}
	return code
}

func dispatch(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2, nil
	}
	switch verb, rest := args[0], args[1:]; verb {
	case "run":
		return cmdRun(rest, stdout, stderr)
	case "verify":
		return cmdVerify(rest, stdout, stderr)
	case "eval":
		return cmdEval(rest, stdout, stderr)
	case "compare":
		return cmdCompare(rest, stdout, stderr)
	case "report":
		return cmdReport(rest, stdout, stderr)
	case "list":
		return 0, cmdList(rest, stdout)
	case "hardware":
		return 0, cmdHardware(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		return 0, cmdHelp(rest, stdout)
	default:
		fmt.Fprint(stderr, usage)
		return 2, badUsage("unknown command %q", verb)
	}
}
