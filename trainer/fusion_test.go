package trainer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// fusionMarker, in a line's comment, accepts an unrounded float product on
// that line; say why after it.
const fusionMarker = "fusion:ok"

// TestNoImplicitFusion keeps the "separate" numerics portable. On arm64 (and
// ppc64le, s390x, riscv64) the Go compiler fuses x*y + z into one FMA, even
// across statements, unless an explicit conversion rounds the product
// (float32(x*y) + z): the spec allows fusion and says a conversion prevents
// it. amd64 never fuses, so an unconverted product that reaches an addition
// makes the Go path's weights differ between the two.
//
// The rule checked, on the non-test Go files of every package under trainer/
// as built for amd64 and for arm64: a non-constant floating-point product
// a*b must be rounded by a conversion (float32(a*b), float64(a*b)) unless it
// is itself an operand of a product, a quotient or a comparison, none of
// which can absorb it into a fused operation. Everything else (an operand
// of + or -, the right side of +=, a value assigned, stored, returned or
// passed on, where a later addition may meet it) is reported with its
// position, as is x *= y on floats; a line carrying the comment fusion:ok
// is accepted.
func TestNoImplicitFusion(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		testdeps.Missing(t, testdeps.GoCommand, "no go command to list the packages: %v", err)
	}
	seen := map[string]bool{}
	var found []string
	for _, arch := range []string{"amd64", "arm64"} {
		for _, f := range fusionCandidates(t, goTool, arch) {
			if !seen[f] {
				seen[f] = true
				found = append(found, f)
			}
		}
	}
	sort.Strings(found)
	for _, f := range found {
		t.Errorf("%s: a float product that Go may fuse into an FMA on arm64; round it explicitly (float32(a*b)), or mark the line //%s with the reason", f, fusionMarker)
	}
}

// listedPackage is what `go list -json` says of a package.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	DepOnly    bool
}

// fusionCandidates type-checks the trainer packages as built for arch
// (dependencies from their export data, built by go list) and returns the
// positions of the products the rule rejects.
func fusionCandidates(t *testing.T, goTool, arch string) []string {
	t.Helper()
	cmd := exec.Command(goTool, "list", "-e", "-export", "-deps", "-json=ImportPath,Dir,GoFiles,Export,DepOnly", "./...")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list (GOARCH=%s): %v\n%s", arch, err, stderr.Bytes())
	}
	exports := map[string]string{}
	var targets []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if !p.DepOnly {
			targets = append(targets, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if exports[path] == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(exports[path])
	})
	var found []string
	for _, p := range targets {
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
		conf := types.Config{Importer: imp, GoVersion: "", FakeImportC: true}
		if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-checking %s for %s: %v", p.ImportPath, arch, err)
		}
		for _, f := range files {
			found = append(found, unroundedProducts(fset, f, info)...)
		}
	}
	return found
}

// unroundedProducts returns "file:line" for each product in f the rule
// rejects, except on lines marked with fusionMarker.
func unroundedProducts(fset *token.FileSet, f *ast.File, info *types.Info) []string {
	marked := map[int]bool{}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.Contains(c.Text, fusionMarker) {
				marked[fset.Position(c.Pos()).Line] = true
			}
		}
	}
	var found []string
	report := func(n ast.Node) {
		pos := fset.Position(n.Pos())
		if !marked[pos.Line] {
			rel := pos.Filename
			if wd, err := os.Getwd(); err == nil {
				if r, err := filepath.Rel(wd, pos.Filename); err == nil {
					rel = r
				}
			}
			found = append(found, fmt.Sprintf("%s:%d", rel, pos.Line))
		}
	}
	isFloat := func(e ast.Expr) bool {
		tv, ok := info.Types[e]
		if !ok || tv.Value != nil { // constants are exact, not computed
			return false
		}
		b, ok := tv.Type.Underlying().(*types.Basic)
		return ok && b.Info()&types.IsFloat != 0
	}
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		defer func() { stack = append(stack, n) }()
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok == token.MUL_ASSIGN && isFloat(n.Lhs[0]) {
				report(n)
			}
		case *ast.BinaryExpr:
			if n.Op != token.MUL || !isFloat(n) {
				return true
			}
			// The nearest enclosing node that is not a parenthesis.
			var parent ast.Node
			for i := len(stack) - 1; i >= 0; i-- {
				if _, paren := stack[i].(*ast.ParenExpr); !paren {
					parent = stack[i]
					break
				}
			}
			switch p := parent.(type) {
			case *ast.CallExpr:
				if tv, ok := info.Types[p.Fun]; ok && tv.IsType() {
					return true // a conversion rounds the product
				}
			case *ast.BinaryExpr:
				switch p.Op {
				case token.MUL, token.QUO, token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
					return true
				}
			}
			report(n)
		}
		return true
	})
	return found
}
