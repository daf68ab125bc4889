package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path through a temporary file in the same
// folder, synced and renamed, so a reader sees the old file or the new one,
// never a part: a killed run leaves no half-written record.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteRecord stores r as indented JSON at path, atomically.
func WriteRecord(path string, r *Record) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(data, '\n'))
}

// CheckWritable makes sure dir exists (creating it) and accepts a file, before
// any training starts: a bad --out is found in a second, not after an hour.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %s: %v", dir, err)
	}
	probe := filepath.Join(dir, ".mirrorbench-write-test")
	if err := WriteFileAtomic(probe, make([]byte, 64<<10)); err != nil {
		return fmt.Errorf("--out %s is not writable: %v", dir, err)
	}
	return os.Remove(probe)
}
