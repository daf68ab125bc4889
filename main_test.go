package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
			code := mainExit([]string{"run", "--out", filepath.Join(dir, "out"), file}, &stdout, &stderr)
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
		{"compare", "--format", "xml", "main_test.go", "main_test.go"},
		{"report", "/no/such/folder"},
		{"eval", "/no/such/weights.safetensors"},
		{"eval", "--engine", "tensorflow", "w.safetensors"},
		{"hardware", "--bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if code := mainExit(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
}

func TestHelpFlagsExit0(t *testing.T) {
	for _, verb := range []string{"run", "verify", "eval", "compare", "report", "hardware"} {
		var stdout, stderr bytes.Buffer
		if code := mainExit([]string{verb, "--help"}, &stdout, &stderr); code != 0 {
			t.Errorf("%s --help: exit %d", verb, code)
		}
	}
}

func TestListAndHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := mainExit([]string{"list"}, &stdout, &stderr); code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr.String())
	}
	for _, name := range []string{"reference-gorgonia", "smoke"} {
		if !strings.Contains(stdout.String(), name) {
			t.Errorf("list does not show %s", name)
		}
	}
	stdout.Reset()
	if code := mainExit([]string{"help", "scenarios"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "global_batch") {
		t.Errorf("help scenarios: exit %d, output %q", code, stdout.String())
	}
}
