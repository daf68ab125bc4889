package scenarios

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSuite(t *testing.T) {
	suite, err := Suite()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range suite {
		if slices.Contains(names, s.Name) {
			t.Errorf("name %q appears twice in the suite", s.Name)
		}
		names = append(names, s.Name)
		if want := "scenarios/" + s.Name + ".yaml"; s.File != want {
			t.Errorf("%s: File %q, want %q (file name = scenario name)", s.Name, s.File, want)
		}
		if s.Description == "" || len(s.Targets) == 0 {
			t.Errorf("%s: needs a description and a target", s.Name)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: Validate after Parse: %v", s.Name, err)
		}
	}
	if !slices.Equal(names, suiteOrder) {
		t.Errorf("suite order %v, want %v", names, suiteOrder)
	}
	files, _ := fs.Glob(suiteFS, "*.yaml")
	if len(files) != len(suite) {
		t.Errorf("%d files embedded, %d scenarios", len(files), len(suite))
	}
}

// TestSuiteFilesOnDisk validates every suite file again through Load, as a
// user passing the path would.
func TestSuiteFilesOnDisk(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no suite files: %v", err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Error(err)
		}
	}
}

func TestSuiteKerasDefaults(t *testing.T) {
	suite, err := Suite()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range suite {
		if s.Optimizer != KerasAdam || s.GlobalBatch != 32 || s.Reference != "keras-mnist-mirrored" {
			t.Errorf("%s: optimizer %+v batch %d reference %q", s.Name, s.Optimizer, s.GlobalBatch, s.Reference)
		}
		if s.Epochs == 5 && (s.Targets[0] != Target{Metric: MetricTestAccuracy, Min: 0.985, ByEpoch: 5}) {
			t.Errorf("%s: target %+v", s.Name, s.Targets[0])
		}
	}
}

func TestLookupResolve(t *testing.T) {
	s, err := Lookup("smoke")
	if err != nil || s.Name != "smoke" || s.TrainLimit != 2048 {
		t.Fatalf("Lookup(smoke) = %+v, %v", s, err)
	}
	if s, err := Resolve("mirrored-cpu2"); err != nil || s.Replicas != 2 {
		t.Errorf("Resolve(mirrored-cpu2) = %+v, %v", s, err)
	}
	_, err = Resolve("nope")
	if err == nil || !strings.Contains(err.Error(), "reference-gorgonia, reference-cpu1") {
		t.Errorf("Resolve(nope) = %v, want the available names", err)
	}
	if _, err := Resolve("missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Resolve(missing.yaml) = %v, want not exist", err)
	}
	// A file without a .yaml suffix is still a file.
	path := filepath.Join(t.TempDir(), "mine")
	if err := os.WriteFile(path, []byte("name: mine\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if s, err := Resolve(path); err != nil || s.Name != "mine" || s.File != path {
		t.Errorf("Resolve(%s) = %+v, %v", path, s, err)
	}
}
