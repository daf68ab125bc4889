package testdeps

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// fakeT records what Missing does to a test; Skipf and Fatalf end the call
// as the real ones end the test.
type fakeT struct {
	testing.TB
	name             string
	skipped, fatal   string
	errors           []string
	skipNow, failNow bool
}

type stop struct{}

func (f *fakeT) Name() string { return f.name }
func (f *fakeT) Skipf(format string, args ...any) {
	f.skipped, f.skipNow = fmt.Sprintf(format, args...), true
	panic(stop{})
}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal, f.failNow = fmt.Sprintf(format, args...), true
	panic(stop{})
}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func missing(t *testing.T, name string, d Dep, reason string) *fakeT {
	f := &fakeT{TB: t, name: name}
	func() {
		defer func() {
			if r := recover(); r != nil && r != (stop{}) {
				panic(r)
			}
		}()
		Missing(f, d, "%s", reason)
		t.Errorf("%s: Missing returned", name)
	}()
	return f
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func TestMissingSkipsAndRecords(t *testing.T) {
	skips := filepath.Join(t.TempDir(), "skips")
	t.Setenv(SkipsEnv, skips)
	t.Setenv("CI", "")
	f := missing(t, "TestStore/pg", PostgreSQL, "initdb not on PATH\n(nor in /usr/lib)")
	if !f.skipNow || f.failNow || len(f.errors) > 0 {
		t.Fatalf("skipped %v, failed %v, errors %q; want skipped", f.skipNow, f.failNow, f.errors)
	}
	if !strings.Contains(f.skipped, "postgresql missing (apt-get install postgresql): initdb not on PATH") {
		t.Errorf("skip message %q", f.skipped)
	}
	want := "postgresql\tapt-get install postgresql\t./internal/testdeps\tTestStore/pg\tinitdb not on PATH (nor in /usr/lib)\n"
	if got := readFile(t, skips); got != want {
		t.Errorf("recorded %q, want %q", got, want)
	}
}

func TestMissingUnderCI(t *testing.T) {
	skips := filepath.Join(t.TempDir(), "skips")
	t.Setenv(SkipsEnv, skips)
	t.Setenv("CI", "true")
	// CI installs Chromium: its absence there fails the test, unrecorded.
	f := missing(t, "TestChromium", Chromium, "no chromium on PATH")
	if !f.failNow || f.skipNow || !strings.Contains(f.fatal, "chromium missing under CI") || !strings.Contains(f.fatal, "apt-get install chromium") {
		t.Errorf("CI dependency under CI: failed %v (%q), skipped %v; want a failure naming it and its package", f.failNow, f.fatal, f.skipNow)
	}
	// A CPU feature cannot be installed: skipped and recorded under CI too.
	f = missing(t, "TestAVX512", AVX512, "no AVX-512F")
	if !f.skipNow || f.failNow {
		t.Errorf("CPU feature under CI: skipped %v, failed %v (%q); want skipped", f.skipNow, f.failNow, f.fatal)
	}
	if got := readFile(t, skips); strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "avx512\t") {
		t.Errorf("recorded %q, want the AVX-512 skip alone", got)
	}
	t.Setenv("CI", "false")
	if f := missing(t, "TestChromium", Chromium, "no chromium"); !f.skipNow {
		t.Errorf("CI=false: failed (%q), want skipped", f.fatal)
	}
}

func TestMissingWithoutFile(t *testing.T) {
	t.Setenv(SkipsEnv, "")
	t.Setenv("CI", "")
	if f := missing(t, "TestX", Torch, "no torch"); !f.skipNow || len(f.errors) > 0 {
		t.Errorf("skipped %v, errors %q", f.skipNow, f.errors)
	}
}

func TestMissingUnwritableFile(t *testing.T) {
	t.Setenv(SkipsEnv, filepath.Join(t.TempDir(), "no", "such", "folder"))
	t.Setenv("CI", "")
	if f := missing(t, "TestX", Torch, "no torch"); !f.skipNow || len(f.errors) != 1 {
		t.Errorf("skipped %v, errors %q; want skipped with one error about the file", f.skipNow, f.errors)
	}
}

// Test binaries of several packages append at once; so do parallel tests.
func TestConcurrentRecordsStayWhole(t *testing.T) {
	skips := filepath.Join(t.TempDir(), "skips")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			s := Skip{Dep: "torch", Install: Torch.Install, Package: "./bench", Test: fmt.Sprintf("TestP%02d", i), Reason: strings.Repeat("x", 2000)}
			if err := record(skips, s); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	lines, err := Summary(strings.NewReader(readFile(t, skips)))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || strings.Count(lines[0], "TestP") != 50 || strings.Contains(lines[0], "unreadable") {
		t.Errorf("summary of 50 concurrent records: %q", lines)
	}
}

func TestSummary(t *testing.T) {
	var file strings.Builder
	for _, s := range []Skip{
		{"torch", Torch.Install, "./bench", "TestPyTorchB", "no interpreter imports torch"},
		{"postgresql", PostgreSQL.Install, "./results/store", "TestPostgres", "initdb not found"},
		{"torch", Torch.Install, ".", "TestSIGTERM", "no interpreter imports torch"},
		{"torch", Torch.Install, "./bench", "TestPyTorchA", "no interpreter imports torch"},
		{"torch", Torch.Install, "./bench", "TestPyTorchA", "no interpreter imports torch"}, // -count 2
	} {
		file.WriteString(s.line())
	}
	file.WriteString("\ntruncated line\n")
	got, err := Summary(strings.NewReader(file.String()))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"postgresql missing (apt-get install postgresql): skipped ./results/store: TestPostgres (initdb not found)",
		"torch missing (" + Torch.Install + "): skipped .: TestSIGTERM; ./bench: TestPyTorchA, TestPyTorchB (no interpreter imports torch)",
		"1 line of recorded skips unreadable",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, _ := Summary(strings.NewReader("")); len(got) != 0 {
		t.Errorf("summary of no skips: %q", got)
	}
}

// The real thing: a test binary whose test calls Missing for a dependency
// CI installs passes, skipped, without CI, and fails under CI=true.
func TestMissingEndsTheRealTest(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		skips := filepath.Join(t.TempDir(), "skips")
		cmd := exec.Command(os.Args[0], "-test.run", "^TestChild$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTDEPS_CHILD=1", "CI="+ci, SkipsEnv+"="+skips)
		out, err := cmd.CombinedOutput()
		recorded := readFile(t, skips)
		switch ci {
		case "":
			if err != nil || !strings.Contains(string(out), "--- SKIP: TestChild") || !strings.Contains(recorded, "\tTestChild\t") {
				t.Errorf("without CI: %v\n%s\nrecorded %q; want a recorded skip", err, out, recorded)
			}
		default:
			if err == nil || !strings.Contains(string(out), "--- FAIL: TestChild") || recorded != "" {
				t.Errorf("CI=true: %v\n%s\nrecorded %q; want a failure, nothing recorded", err, out, recorded)
			}
		}
	}
}

func TestChild(t *testing.T) {
	if os.Getenv("TESTDEPS_CHILD") == "" {
		t.Skip("run by TestMissingEndsTheRealTest")
	}
	Missing(t, PostgreSQL, "not here")
	t.Error("Missing returned")
}

// Every dependency CI is said to install is in .ci/run's package list.
func TestCIInstallsWhatItRequires(t *testing.T) {
	b, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	installed := map[string]bool{}
	for _, m := range regexp.MustCompile(`need\+=\(([^)]*)\)`).FindAllStringSubmatch(string(b), -1) {
		for _, p := range strings.Fields(m[1]) {
			installed[p] = true
		}
	}
	if len(installed) == 0 {
		t.Fatal(".ci/run: no need+=(...) lines found")
	}
	for _, d := range []Dep{PostgreSQL, Chromium, Torch, OpenCL, OpenCL2, LLVMMC, Ps, GoCommand, MNIST, AVX512, AsmPath} {
		pkgs, ok := strings.CutPrefix(d.Install, "apt-get install ")
		if !d.CI || !ok {
			continue
		}
		for _, p := range strings.Fields(pkgs) {
			if !installed[p] {
				t.Errorf("%s: CI fails where it is missing, but .ci/run does not install %s", d.Name, p)
			}
		}
	}
}

// .ci/skipped, the same for the parts of make test in shell, writes lines
// Summary reads, and fails under CI.
func TestShellSkipped(t *testing.T) {
	skips := filepath.Join(t.TempDir(), "skips")
	run := func(ci string) ([]byte, error) {
		cmd := exec.Command("../../.ci/skipped", "qemu-user-static", "apt-get install qemu-user-static",
			".ci/arm64-test.sh", "arm64 tests", "qemu-aarch64-static\tnot found\n")
		cmd.Env = append(os.Environ(), "CI="+ci, SkipsEnv+"="+skips)
		return cmd.CombinedOutput()
	}
	if out, err := run(""); err != nil {
		t.Fatalf(".ci/skipped: %v\n%s", err, out)
	}
	lines, err := Summary(strings.NewReader(readFile(t, skips)))
	want := "qemu-user-static missing (apt-get install qemu-user-static): skipped .ci/arm64-test.sh: arm64 tests (qemu-aarch64-static not found)"
	if err != nil || len(lines) != 1 || lines[0] != want {
		t.Errorf("summary of .ci/skipped's record: %q, %v; want %q", lines, err, want)
	}
	if out, err := run("true"); err == nil || !strings.Contains(string(out), "missing under CI") {
		t.Errorf("under CI: %v\n%s; want exit 1 saying CI installs it", err, out)
	}
}
