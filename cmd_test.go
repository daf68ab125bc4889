package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mirrorbench/mirrorbench/scenarios"
)

// Every malformed scenario must exit 2 with a message that names the file,
// the line and the field, before any training starts.
func TestMalformedScenarioExits2(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown-key", "name: x\nepochz: 3\n", ":2: epochz:"},
		{"wrong-type", "name: x\nepochs: five\n", ":2: epochs:"},
		{"batch-not-divisible", "name: x\nstrategy: mirrored\ndevices: cpu:0-3\nglobal_batch: 30\n", ":4: global_batch: 30 is not divisible by replicas (4)"},
		{"target-above-1", "name: x\ntargets:\n  - metric: test_accuracy\n    min: 1.5\n", ":4: targets[0].min:"},
		{"epochs-zero", "name: x\nepochs: 0\n", ":2: epochs:"},
		{"unknown-engine", "name: x\nengine: tensorflow\n", ":2: engine:"},
		{"unknown-device", "name: x\ndevices: tpu:0\n", ":2: devices:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, c.name+".yaml")
			if err := os.WriteFile(file, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := mainExit([]string{"run", "--store", "", "--out", filepath.Join(dir, "out"), file}, &stdout, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr.String())
			}
			if msg := stderr.String(); !strings.Contains(msg, file+c.want) {
				t.Errorf("stderr %q does not name file, line and field %q", msg, file+c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Error("a bad scenario still created the output folder")
			}
		})
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"run"},
		{"run", "no-such-scenario"},
		{"run", "--epochs", "-1", "smoke"},
		{"run", "--bogus-flag", "smoke"},
		{"help", "nope"},
		{"run", "--shard", "3/2", "smoke"},
		{"run", "--init-weights", "/no/such/weights.safetensors", "smoke"},
		{"verify", "/no/such/record.json"},
		{"verify"},
		{"compare", "/no/such/old.txt", "/no/such/new.txt"},
		{"compare", "--format", "xml", "testdata/bench.txt", "testdata/bench.txt"},
		{"report", "/no/such/folder"},
		{"eval", "/no/such/weights.safetensors"},
		{"eval", "--engine", "tensorflow", "w.safetensors"},
		{"hardware", "--bogus"},
		{"frameworks", "extra"},
		{"run", "--nodes", "2", "pytorch-mirrored-cpu2"},                              // no rendezvous
		{"run", "--nodes", "2", "--rendezvous", "127.0.0.1", "pytorch-mirrored-cpu2"}, // no port
		{"run", "--nodes", "2", "--node-rank", "2", "--rendezvous", "h:1", "pytorch-mirrored-cpu2"},
		{"run", "--nodes", "0", "smoke"},
		{"run", "--nodes", "2", "--rendezvous", "h:1", "reference-cpu1"}, // not a mirrored pytorch scenario
		{"run", "--nodes", "2", "--rendezvous", "h:1", "pytorch-cpu1"},   // strategy single
	} {
		var stdout, stderr bytes.Buffer
		if code := mainExit(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
}

func TestHelpFlagsExit0(t *testing.T) {
	for _, v := range verbs {
		code, _, errOut := runCLI(t, v.name, "--help")
		if code != 0 || !strings.HasPrefix(errOut, "Usage: go run . "+v.name) {
			t.Errorf("%s --help: exit %d, %q", v.name, code, errOut)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test . -update' to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; 'go test . -update' accepts a deliberate change):\n%s", name, diff)
	}
}

// list prints the suite as a table: every column, every scenario.
func TestListGolden(t *testing.T) {
	code, out, errOut := runCLI(t, "list")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	golden(t, "list.golden", out)
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, "help")
	if code != 0 || out != usage() {
		t.Errorf("help: exit %d, output %q", code, out)
	}
	for _, v := range verbs {
		if !strings.Contains(out, "go run . "+v.name) {
			t.Errorf("usage does not list the verb %s", v.name)
		}
	}
	code, out, _ = runCLI(t, "help", "scenarios")
	if code != 0 || out != scenarios.Help {
		t.Errorf("help scenarios: exit %d, output is not the format's help text", code)
	}
}

// compare of a benchmark file with itself: no change, exit 0; the file's
// samples are shown for both sides.
func TestCompareSameFile(t *testing.T) {
	file := filepath.Join("testdata", "bench.txt")
	code, out, errOut := runCLI(t, "compare", file, file)
	if code != 0 {
		t.Fatalf("compare f f: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "reference-cpu1") || !strings.Contains(out, "mirrored-cpu2") {
		t.Errorf("compare output lacks a benchmark:\n%s", out)
	}
}

// runCLI runs the command in-process and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := mainExit(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestPlotsLine(t *testing.T) {
	got := plotsLine([]string{"results/out/accuracy.png", "results/out/accuracy.svg", "results/out/loss.png", "results/out/loss.svg"})
	if want := "plots in results/out: accuracy, loss (.png, .svg)"; got != want {
		t.Errorf("plotsLine = %q, want %q", got, want)
	}
	got = plotsLine([]string{"a/loss.png", "b/loss.png"})
	if want := "plots: a/loss.png b/loss.png"; got != want {
		t.Errorf("plotsLine over two folders = %q, want %q", got, want)
	}
}
