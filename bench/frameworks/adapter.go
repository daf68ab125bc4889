package frameworks

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The adapters, embedded so that any build of the harness can run them: the
// PyTorch adapter is the Python package mirrorbench_torch (its modules; its
// tests stay behind).
//
//go:embed mirrorbench_torch/*.py
var pytorchAdapter embed.FS

// pytorchPackage is the PyTorch adapter's package, and the folder it is
// written to.
const pytorchPackage = "mirrorbench_torch"

// PythonEnv is the environment variable that names the Python interpreter
// (the run flag --python does the same and wins).
const PythonEnv = "MIRRORBENCH_PYTHON"

// debianPython is where Debian's python3-torch is importable: a python3
// earlier on PATH (pyenv, a virtual environment) may not see it.
const debianPython = "/usr/bin/python3"

// WriteAdapter writes the PyTorch adapter's package into dir (every module,
// in dir/mirrorbench_torch) and returns the package's folder, which Python
// runs as a program: `python3 DIR/mirrorbench_torch --probe`.
func WriteAdapter(dir string) (string, error) {
	root := filepath.Join(dir, pytorchPackage)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	files, err := fs.ReadDir(pytorchAdapter, pytorchPackage)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		b, err := pytorchAdapter.ReadFile(pytorchPackage + "/" + f.Name())
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(root, f.Name()), b, 0o644); err != nil {
			return "", err
		}
	}
	return root, nil
}

// Interpreters lists the Python interpreters to try, best first: the one
// named (by --python or MIRRORBENCH_PYTHON) alone; else python3 from PATH,
// then Debian's /usr/bin/python3 when it is another file.
func Interpreters(named string) []string {
	if named == "" {
		named = os.Getenv(PythonEnv)
	}
	if named != "" {
		return []string{named}
	}
	var out []string
	if p, err := exec.LookPath("python3"); err == nil {
		out = append(out, p)
	}
	if len(out) == 0 || !sameFile(out[0], debianPython) {
		out = append(out, debianPython)
	}
	return out
}

func sameFile(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// Runtime is an interpreter whose adapter said hello: what it found.
type Runtime struct {
	Python string
	Hello  Event
}

// probeTimeout bounds one --probe (importing torch takes a few seconds).
const probeTimeout = 2 * time.Minute

// Probe asks each interpreter in turn to import the framework (the adapter's
// --probe) and returns the first that can. When none can, the error says,
// for each interpreter tried, why not: not found, the import that failed.
func Probe(ctx context.Context, interpreters []string, adapter string) (*Runtime, error) {
	if len(interpreters) == 0 {
		return nil, errors.New("no Python interpreter to try")
	}
	var why []string
	for _, py := range interpreters {
		hello, err := probeOne(ctx, py, adapter)
		if err == nil {
			return &Runtime{Python: py, Hello: hello}, nil
		}
		why = append(why, err.Error())
	}
	return nil, errors.New(strings.Join(why, "; "))
}

func probeOne(ctx context.Context, py, adapter string) (Event, error) {
	if _, err := exec.LookPath(py); err != nil {
		return Event{}, fmt.Errorf("%s: not found (%v)", py, errors.Unwrap(err))
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, adapter, "--probe")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Event{}, fmt.Errorf("%s %s --probe: %v: %s", py, filepath.Base(adapter), err, lastLine(stderr.String()))
	}
	for line := range bytes.Lines(out) {
		ev, err := ParseEvent(bytes.TrimSpace(line))
		switch {
		case err != nil:
			return Event{}, fmt.Errorf("%s: %v", py, err)
		case ev.Event == EventUnavailable:
			return Event{}, fmt.Errorf("%s: %s", py, ev.Reason)
		case ev.Event == EventHello:
			return ev, nil
		}
	}
	return Event{}, fmt.Errorf("%s %s --probe said neither hello nor unavailable", py, filepath.Base(adapter))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
