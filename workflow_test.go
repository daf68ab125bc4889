package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
)

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
	code, out, errOut := runCLI(t, "run", "--store", "", "--quiet", "--out", dir, "--train-limit", "1024", "--export-weights", weights, "smoke")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	rec := onlyRecord(t, dir)

	if code, out, errOut := runCLI(t, "verify", "--quiet", rec); code != 0 || !strings.Contains(out, "identical fingerprint") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}

	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Epochs []struct {
			TestAccuracy float64 `json:"test_accuracy"`
		} `json:"epochs"`
	}
	if err := json.Unmarshal(data, &r); err != nil || len(r.Epochs) != 1 {
		t.Fatalf("record %s: %v, %d epochs", rec, err, len(r.Epochs))
	}
	acc := r.Epochs[0].TestAccuracy

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
	if err := os.WriteFile(editedPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "verify", "--quiet", editedPath)
	if code != 1 || !strings.Contains(out, "TestLoss") {
		t.Errorf("verify of an edited record: exit %d, want 1 with a diff naming TestLoss:\n%s", code, out)
	}
}

// report renders from stored records and skips a truncated one with a warning.
func TestReportSkipsTruncatedRecord(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "run", "--store", "", "--quiet", "--out", dir, "--train-limit", "512", "smoke"); code > 1 { // 512 images may miss the target: fine here
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(onlyRecord(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "killed.json"), data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
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

// report --store renders the records of a results store, filtered as
// history filters them, without a folder.
func TestReportFromStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	if code, _, errOut := runCLI(t, "run", "--store", db, "--quiet", "--out", dir, "--train-limit", "512", "smoke"); code > 1 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "report", "--store", db, "--scenario", "smoke")
	if code != 0 || !strings.Contains(out, "smoke") {
		t.Fatalf("report --store: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "report", "--store", db, "--scenario", "no-such-scenario"); code != 1 || !strings.Contains(errOut, "no readable run records") {
		t.Errorf("report --store with nothing selected: exit %d, %q; want 1 saying no records", code, errOut)
	}
	if code, _, _ := runCLI(t, "report"); code != 2 {
		t.Errorf("report with neither folder nor store: exit %d, want 2", code)
	}
}

func TestUnwritableOutExits2(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "run", "--store", "", "--out", filepath.Join(file, "sub"), "smoke")
	if code != 2 || !strings.Contains(errOut, "--out") {
		t.Errorf("exit %d, stderr %q; want 2 naming --out", code, errOut)
	}
}

// Records go into the results store as they are written, once each: a second
// upload of the same files adds nothing, history shows each run once, and the
// dashboard is written from the store.
func TestStoreWorkflow(t *testing.T) {
	dir := t.TempDir()
	db, out := filepath.Join(dir, "t.db"), filepath.Join(dir, "out")
	if code, _, errOut := runCLI(t, "run", "--store", db, "--quiet", "--count", "2", "--out", out, "--train-limit", "512", "smoke"); code > 1 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	code, stdout, errOut := runCLI(t, "upload", "--store", db, out)
	if code != 0 || !strings.Contains(stdout, "0 added, 2 already stored, 0 rejected") {
		t.Fatalf("upload of stored records: exit %d, %q %q", code, stdout, errOut)
	}
	// A truncated record is rejected by name (exit 2); the others still count.
	recs, _ := filepath.Glob(filepath.Join(out, "smoke-*.json"))
	if len(recs) != 2 {
		t.Fatalf("records %v, want 2", recs)
	}
	data, err := os.ReadFile(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "killed.json"), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut = runCLI(t, "upload", "--store", db, out)
	if code != 2 || !strings.Contains(stdout, "0 added, 2 already stored, 1 rejected") || !strings.Contains(errOut, "killed.json") {
		t.Errorf("upload with a truncated record: exit %d, %q %q; want 2, naming killed.json", code, stdout, errOut)
	}
	if code, _, _ := runCLI(t, "upload", "--store", db, filepath.Join(dir, "no-such")); code != 2 {
		t.Errorf("upload of a missing path: exit %d, want 2", code)
	}
	// A run on other images is a series of its own, not a third point.
	if code, _, errOut := runCLI(t, "run", "--store", db, "--quiet", "--out", out, "--train-limit", "640", "smoke"); code > 1 {
		t.Fatalf("run --train-limit 640: exit %d: %s", code, errOut)
	}
	code, stdout, errOut = runCLI(t, "history", "--store", db, "--scenario", "smoke")
	if code != 0 || len(regexp.MustCompile(`(?m)^smoke · `).FindAllString(stdout, -1)) != 2 ||
		!regexp.MustCompile(`(?m)^smoke · .* · native \S+ on cpu · 1 epoch, 512 images, batch 32 · samples_per_second\n(.*\n){2}  2 points, 0 changes$`).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^smoke · .* · native \S+ on cpu · 1 epoch, 640 images, batch 32 · samples_per_second\n.*\n  1 point, 0 changes$`).MatchString(stdout) {
		t.Fatalf("history: exit %d, want two series (512 and 640 images), got:\n%s\n%s", code, stdout, errOut)
	}
	code, stdout, errOut = runCLI(t, "dashboard", "--store", db, "--out", filepath.Join(dir, "dash"))
	if code != 0 {
		t.Fatalf("dashboard: exit %d, %q %q", code, stdout, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "dash", "index.html")); err != nil {
		t.Error(err)
	}
	if code, _, _ := runCLI(t, "history", "--store", db, "--metric", "bogus"); code != 2 {
		t.Errorf("history --metric bogus: exit %d, want 2", code)
	}
}

// A store that cannot be reached costs a warning that never shows its
// password; the record files are written and the exit status is the run's.
func TestUnreachableStoreIsAWarning(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runCLI(t, "run", "--store", "postgres://bench:s3cret@127.0.0.1:1/results", "--quiet", "--out", dir, "--train-limit", "512", "smoke")
	rec, err := results.ReadRecord(onlyRecord(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	if rec.Status != results.StatusOK {
		want = 1
	}
	if code != want || !strings.Contains(errOut, "warning: results store") || strings.Contains(errOut, "s3cret") {
		t.Errorf("exit %d (want %d), stderr %q: want a warning without the password", code, want, errOut)
	}
}

// Readers of the store do not create one: a mistyped path is bad input and
// leaves nothing behind; a bad --metric is found before any store is opened.
func TestReadersNeedAnExistingStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "typo", "x.db")
	for _, args := range [][]string{
		{"history", "--store", db},
		{"dashboard", "--store", db, "--out", t.TempDir()},
		{"history", "--store", "postgres://u:p@127.0.0.1:1/x", "--metric", "bogus"},
	} {
		if code, _, errOut := runCLI(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Dir(db)); err == nil {
		t.Errorf("a reader created %s", filepath.Dir(db))
	}
}

// With no Python to be found, the pytorch scenarios are skipped with their
// reason, and the run exits 0.
func TestNoPythonSkipsPyTorchScenarios(t *testing.T) {
	t.Setenv("MIRRORBENCH_PYTHON", "/nonexistent/python3")
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", "--store", "", "--quiet", "--out", dir, "pytorch-cpu1", "pytorch-mirrored-cpu2")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	recs, _, err := results.ReadRecords([]string{dir})
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records (%v), want 2", len(recs), err)
	}
	for _, r := range recs {
		if r.Status != results.StatusSkipped || !strings.Contains(r.Reason, "/nonexistent/python3: not found") {
			t.Errorf("%s: %s (%s), want skipped naming the interpreter", r.Scenario, r.Status, r.Reason)
		}
	}
}
