package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleRecord() *Record {
	return &Record{
		SchemaVersion: SchemaVersion, Scenario: "smoke", Engine: "native", Strategy: "single",
		Devices: "cpu", Replicas: 1, GlobalBatch: 32, Seed: 1, Status: StatusOK,
		Epochs:     []Epoch{{Epoch: 1, TrainLoss: 0.5, TrainAccuracy: 0.85, TestLoss: 0.3, TestAccuracy: 0.91, Seconds: 2, SamplesPerSecond: 1000}},
		Targets:    []TargetResult{{Metric: "test_accuracy", Min: 0.8, ByEpoch: 1, Reached: true, Epoch: 1, Seconds: 2.5}},
		Throughput: Throughput{SamplesPerSecond: 5000, USPerSample: 200, Steps: 59, WarmupSteps: 5},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	want := sampleRecord()
	if err := WriteRecord(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestReadRecordRejectsPartialAndForeign(t *testing.T) {
	dir := t.TempDir()
	full, _ := os.ReadFile(writeSample(t, dir))
	for name, data := range map[string][]byte{
		"truncated.json": full[:len(full)/2],
		"other.json":     []byte(`{"hello": 1}`),
		"future.json":    []byte(`{"schema_version": 99, "scenario": "x", "status": "ok"}`),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		if _, err := ReadRecord(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want an error naming the file", name, err)
		}
	}
}

func writeSample(t *testing.T, dir string) string {
	p := filepath.Join(dir, "sample.json")
	if err := WriteRecord(p, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckWritable(t *testing.T) {
	if err := CheckWritable(filepath.Join(t.TempDir(), "new", "folder")); err != nil {
		t.Errorf("creatable folder: %v", err)
	}
	file := filepath.Join(t.TempDir(), "plain-file")
	os.WriteFile(file, nil, 0o644)
	if err := CheckWritable(filepath.Join(file, "sub")); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("folder under a file: err = %v, want an error naming --out", err)
	}
}

func TestSummaryTable(t *testing.T) {
	ref := &Reported{Label: "keras (reported)", USPerSample: 275, TestAccuracy: 0.9935}
	var text, md bytes.Buffer
	if err := WriteSummary(&text, []*Record{sampleRecord()}, ref, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"smoke", "91.00%", "ep 1, 2.5 s", "200", "1.38x, -8.35 pp", "99.35%"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, text.String())
		}
	}
	if err := WriteSummary(&md, []*Record{sampleRecord()}, ref, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "|---") && !strings.Contains(md.String(), "| :") && !strings.Contains(md.String(), "|:") {
		t.Errorf("markdown table lacks a header separator:\n%s", md.String())
	}
}

func TestBenchFileSkipsUnfinishedRuns(t *testing.T) {
	skipped := sampleRecord()
	skipped.Status = StatusSkipped
	out := string(BenchFile([]*Record{sampleRecord(), skipped}, "Test CPU"))
	if n := strings.Count(out, "BenchmarkTrain/"); n != 1 {
		t.Errorf("%d result lines, want 1:\n%s", n, out)
	}
	for _, want := range []string{"Unit samples/s better=higher", "cpu: Test CPU", "5000 samples/s", "200000 ns/sample", "0.91 test-acc", "2.5 sec-to-target"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench file lacks %q:\n%s", want, out)
		}
	}
}

func TestSummaryGroupsRepeatedRuns(t *testing.T) {
	var recs []*Record
	for i, c := range []struct{ acc, us float64 }{{0.90, 200}, {0.92, 220}, {0.94, 180}} {
		r := sampleRecord()
		r.Seed = uint64(i + 1)
		r.Epochs[0].TestAccuracy = c.acc
		r.Throughput.USPerSample = c.us
		recs = append(recs, r)
	}
	var out bytes.Buffer
	if err := WriteSummary(&out, recs, nil, false); err != nil {
		t.Fatal(err)
	}
	// mean 0.92, sample sd 0.02; median 200 with range 180-220.
	for _, want := range []string{"ok ×3", "92.00% ± 2.00 pp (n=3)", "200 (180–220)", "3 of 3 runs"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("grouped table lacks %q:\n%s", want, out.String())
		}
	}
}

// FuzzDecodeRecord: the record reader never panics, and what it accepts
// survives a write and a read unchanged.
func FuzzDecodeRecord(f *testing.F) {
	data, _ := json.Marshal(sampleRecord())
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(`{"schema_version": 1, "scenario": "x", "status": "ok", "epochs": [{"epoch": "1"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord("fuzz.json", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		path := filepath.Join(t.TempDir(), "r.json")
		if err := WriteRecord(path, r); err != nil {
			return // e.g. NaN cannot be written as JSON: rejected, not corrupted
		}
		back, err := ReadRecord(path)
		if err != nil {
			t.Fatalf("a record that was read cannot be read back: %v", err)
		}
		if diff := cmp.Diff(r, back); diff != "" {
			t.Errorf("round trip changed the record:\n%s", diff)
		}
	})
}

func TestSummaryGivesSkipReasonsInFull(t *testing.T) {
	skipped := sampleRecord()
	skipped.Scenario, skipped.Status, skipped.Epochs = "mirrored-gpu2", StatusSkipped, nil
	skipped.Reason = `engine "native" has no gpu support in this build; devices gpu:0,1 need 2 GPU(s), no NVIDIA GPU found`
	var out bytes.Buffer
	if err := WriteSummary(&out, []*Record{sampleRecord(), skipped}, nil, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "mirrored-gpu2 skipped: "+skipped.Reason) {
		t.Errorf("the full reason is not under the table:\n%s", out.String())
	}
}
