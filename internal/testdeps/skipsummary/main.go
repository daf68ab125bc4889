// Command skipsummary prints the skips that tests recorded through
// testdeps.Missing in FILE ($MIRRORBENCH_SKIPS), one line per missing
// dependency; nothing when there were none. `make test` runs it after the
// tests, where `go test` without -v would have shown no skip at all.
//
//	go run ./internal/testdeps/skipsummary [-prefix 'make test: '] FILE
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

func main() {
	prefix := flag.String("prefix", "make test: ", "printed before each line")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: skipsummary [-prefix P] FILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if os.IsNotExist(err) {
		return // no test skipped, or none recorded
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "skipsummary:", err)
		os.Exit(1)
	}
	defer f.Close()
	lines, err := testdeps.Summary(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skipsummary:", err)
		os.Exit(1)
	}
	for _, l := range lines {
		fmt.Println(*prefix + l)
	}
}
