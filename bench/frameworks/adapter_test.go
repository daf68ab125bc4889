//go:build unix

package frameworks

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// WriteAdapter writes every module of the package, and nothing else (its
// tests stay behind).
func TestWriteAdapterWritesThePackage(t *testing.T) {
	path, err := WriteAdapter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != pytorchPackage {
		t.Errorf("adapter path %s, want the package's folder", path)
	}
	written := pyFiles(t, path)
	source := pyFiles(t, pytorchPackage)
	if !slices.Equal(written, source) || !slices.Contains(written, "__main__.py") {
		t.Errorf("written %q, want the package's modules %q with __main__.py", written, source)
	}
	for _, name := range written {
		a, _ := os.ReadFile(filepath.Join(path, name))
		b, _ := os.ReadFile(filepath.Join(pytorchPackage, name))
		if string(a) != string(b) {
			t.Errorf("%s differs from the source", name)
		}
	}
}

func pyFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".py") {
			out = append(out, e.Name())
		}
	}
	return out
}

// An interpreter that cannot import torch gets a clean unavailable event,
// which Probe turns into its reason: the adapter imports torch lazily.
func TestProbeWithoutTorchSaysWhy(t *testing.T) {
	py := anyPython(t)
	dir := t.TempDir()
	adapter, err := WriteAdapter(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A python whose torch fails to import, whatever is installed.
	fake := filepath.Join(dir, "notorch")
	if err := os.MkdirAll(fake, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fake, "torch.py"), []byte("raise ImportError('no torch in this test')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(dir, "python-without-torch")
	script := "#!/bin/sh\nPYTHONPATH='" + fake + "' exec '" + py + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Probe(context.Background(), []string{wrapper}, adapter)
	if err == nil || !strings.Contains(err.Error(), "import torch failed") || !strings.Contains(err.Error(), "no torch in this test") {
		t.Errorf("probe without torch: %v; want the failed import named", err)
	}
}

// Where an interpreter imports torch, the written package says hello.
func TestProbeSaysHello(t *testing.T) {
	adapter, err := WriteAdapter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Probe(context.Background(), Interpreters(""), adapter)
	if err != nil {
		testdeps.Missing(t, testdeps.Torch, "no interpreter imports torch here: %v", err)
	}
	h := rt.Hello
	if h.Framework != "pytorch" || h.Protocol != ProtocolVersion || h.Versions["torch"] == "" || h.Versions["numpy"] == "" {
		t.Errorf("hello: framework %q, protocol %d, versions %q", h.Framework, h.Protocol, h.Versions)
	}
}

func anyPython(t *testing.T) string {
	t.Helper()
	for _, name := range []string{debianPython, "python3"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testdeps.Missing(t, testdeps.Torch, "no python3 here")
	return ""
}
