package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runCLI runs the command in-process and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := mainExit(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func onlyRecord(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "smoke-*.json"))
	if len(files) != 1 {
		t.Fatalf("records in %s: %v", dir, files)
	}
	return files[0]
}

// run --export-weights, then verify reproduces the fingerprint; an edited
// record fails verify with a diff naming the edited field; the exported
// weights, evaluated by the Gorgonia engine (an independent implementation),
// give the test accuracy the record states.
func TestExportVerifyEval(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.safetensors")
	code, out, errOut := runCLI(t, "run", "--quiet", "--out", dir, "--train-limit", "1024", "--export-weights", weights, "smoke")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	rec := onlyRecord(t, dir)

	if code, out, errOut := runCLI(t, "verify", "--quiet", rec); code != 0 || !strings.Contains(out, "identical fingerprint") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}

	var r map[string]any
	data, _ := os.ReadFile(rec)
	json.Unmarshal(data, &r)
	acc := r["epochs"].([]any)[0].(map[string]any)["test_accuracy"].(float64)

	code, out, errOut = runCLI(t, "eval", "--engine", "gorgonia", weights)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`\((\d+) of 10000\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("eval output lacks the count: %q", out)
	}
	if correct, _ := strconv.Atoi(m[1]); float64(correct)/10000 != acc {
		t.Errorf("gorgonia gets %d of 10000 right with the exported weights; the record states %v", correct, acc)
	}

	edited := strings.Replace(string(data), `"test_loss": `, `"test_loss": 1`, 1)
	editedPath := filepath.Join(dir, "edited.json")
	os.WriteFile(editedPath, []byte(edited), 0o644)
	code, out, _ = runCLI(t, "verify", "--quiet", editedPath)
	if code != 1 || !strings.Contains(out, "TestLoss") {
		t.Errorf("verify of an edited record: exit %d, want 1 with a diff naming TestLoss:\n%s", code, out)
	}
}

// report renders from stored records and skips a truncated one with a warning.
func TestReportSkipsTruncatedRecord(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "run", "--quiet", "--out", dir, "--train-limit", "512", "smoke"); code > 1 { // 512 images may miss the target: fine here
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	data, _ := os.ReadFile(onlyRecord(t, dir))
	os.WriteFile(filepath.Join(dir, "killed.json"), data[:len(data)/3], 0o644)
	code, out, errOut := runCLI(t, "report", dir)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "skipping") || !strings.Contains(errOut, "killed.json") {
		t.Errorf("no warning naming the truncated file: %q", errOut)
	}
	if !strings.Contains(out, "smoke") {
		t.Errorf("report lacks the good record:\n%s", out)
	}
	for _, f := range []string{"accuracy.png", "loss.svg", "throughput.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("plot %s: %v", f, err)
		}
	}
}

// compare of a file with itself: no change, exit 0.
func TestCompareSameFile(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "run", "--quiet", "--count", "4", "--out", dir, "--train-limit", "512", "smoke"); code > 1 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "bench-*.txt"))
	code, out, errOut := runCLI(t, "compare", files[0], files[0])
	if code != 0 {
		t.Errorf("compare f f: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestUnwritableOutExits2(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o644)
	code, _, errOut := runCLI(t, "run", "--out", filepath.Join(file, "sub"), "smoke")
	if code != 2 || !strings.Contains(errOut, "--out") {
		t.Errorf("exit %d, stderr %q; want 2 naming --out", code, errOut)
	}
}
