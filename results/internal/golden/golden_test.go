package golden

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every package under results/ with tests must define -update, or
// `go test ./results/... -update` (the command the docs give) fails in it
// with "flag provided but not defined". A package defines it by importing
// this one in a test file (a blank import will do).
func TestEveryResultsPackageDefinesUpdate(t *testing.T) {
	root := filepath.Join("..", "..")
	hasTests, defines := map[string]bool{}, map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		hasTests[dir] = true
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(src), `"github.com/mirrorbench/mirrorbench/results/internal/golden"`) ||
			strings.Contains(string(src), `flag.Bool("update"`) {
			defines[dir] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(hasTests) < 5 {
		t.Fatalf("found tests in only %d packages under results/: walked the wrong folder?", len(hasTests))
	}
	for dir := range hasTests {
		if !defines[dir] && dir != "." { // this package defines it itself
			t.Errorf("%s: its tests define no -update flag (import %q in a test file)", dir, "github.com/mirrorbench/mirrorbench/results/internal/golden")
		}
	}
}
