package kernels

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesUpToDate runs the generator (see the go:generate line in
// kernels.go) into a temporary folder and fails unless every file it writes
// is byte for byte the committed one: the assembly must never drift from its
// generator. It needs the go command, not git.
func TestGeneratedFilesUpToDate(t *testing.T) {
	goTool, err := exec.LookPath("go") // `go test` puts its own toolchain first on PATH
	if err != nil {
		t.Fatal("no go command to build the generator:", err)
	}
	gen := filepath.Join(t.TempDir(), "asmgen")
	// The generator runs here, natively, even when this test runs under
	// emulation (GOARCH=arm64 go test -exec qemu-aarch64-static): build it
	// for the host.
	host, err := exec.Command(goTool, "env", "GOHOSTOS", "GOHOSTARCH").Output()
	if err != nil {
		t.Fatal("go env:", err)
	}
	hostOS, hostArch, _ := strings.Cut(strings.TrimSpace(string(host)), "\n")
	build := exec.Command(goTool, "build", "-o", gen, "./internal/asmgen")
	build.Env = append(os.Environ(), "GOOS="+hostOS, "GOARCH="+strings.TrimSpace(hostArch))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the generator: %v\n%s", err, out)
	}
	outDir := t.TempDir()
	run := exec.Command(gen)
	run.Dir = outDir // the generator writes into its working directory
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("running the generator: %v\n%s", err, out)
	}
	files, err := os.ReadDir(outDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the generator wrote no file")
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(outDir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f.Name())
		switch {
		case err != nil:
			t.Errorf("generated file %s: %v; regenerate with `go generate ./trainer/kernels` (from the module root)", f.Name(), err)
		case !bytes.Equal(got, want):
			t.Errorf("%s is stale: it differs from what internal/asmgen writes now; "+
				"regenerate with `go generate ./trainer/kernels` (from the module root) and commit the result", f.Name())
		}
	}
}
