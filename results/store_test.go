package results

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestReadRecordRejectsPartialAndForeign(t *testing.T) {
	dir := t.TempDir()
	full, err := os.ReadFile(writeSample(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"truncated.json": full[:len(full)/2],
		"other.json":     []byte(`{"hello": 1}`),
		"future.json":    []byte(`{"schema_version": 99, "scenario": "x", "status": "ok"}`),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadRecord(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want an error naming the file", name, err)
		}
	}
}

func writeSample(t *testing.T, dir string) string {
	t.Helper()
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
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(filepath.Join(file, "sub")); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("folder under a file: err = %v, want an error naming --out", err)
	}
}

func TestReadRecords(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write := func(dir, name string, r *Record) {
		t.Helper()
		if err := WriteRecord(filepath.Join(dir, name), r); err != nil {
			t.Fatal(err)
		}
	}
	second := sampleRecord()
	second.Scenario = "second"
	write(a, "2.json", second)
	write(a, "1.json", sampleRecord())
	write(b, "3.json", sampleRecord())
	for name, data := range map[string]string{
		filepath.Join(a, "killed.json"): `{"schema_version": 1, "scen`,
		filepath.Join(a, "notes.txt"):   "not a record, and not *.json",
	} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	recs, warnings, err := ReadRecords([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Scenario)
	}
	// a's files in name order, then b's.
	if want := []string{"smoke", "second", "smoke"}; !slices.Equal(got, want) {
		t.Errorf("scenarios %q, want %q", got, want)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].Error(), filepath.Join(a, "killed.json")) {
		t.Errorf("warnings %v, want one naming killed.json", warnings)
	}

	file := filepath.Join(a, "1.json")
	for _, bad := range []string{file, filepath.Join(a, "missing")} {
		recs, warnings, err := ReadRecords([]string{a, bad})
		if err == nil || err.Error() != bad+" is not a folder" || recs != nil || warnings != nil {
			t.Errorf("%s: %d records, warnings %v, err %v; want only the error %q", bad, len(recs), warnings, err, bad+" is not a folder")
		}
	}
}
