package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// CreateExclusive creates a new, empty file dir/name+ext that no other
// process holds: if that name is taken (another run of the same second, a
// CI shard writing into the same shared folder), it takes name-2+ext,
// name-3+ext, and so on. Creation is exclusive (O_EXCL), so two writers
// racing for one name each end with a file of their own. The file is then
// filled with WriteFileAtomic, which replaces it whole.
func CreateExclusive(dir, name, ext string) (string, error) {
	for i := 1; i <= 1000; i++ {
		path := filepath.Join(dir, name+ext)
		if i > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", name, i, ext))
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return path, f.Close()
	}
	return "", fmt.Errorf("%s: no free name for %s%s after 1000 tries", dir, name, ext)
}

// FilesAt expands path the way every command that reads results does: a
// file stands for itself, a folder for the files directly in it whose names
// end in ext, in name order.
func FilesAt(path, ext string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ext) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	return files, nil
}

// ReadRecord reads and checks a record file.
func ReadRecord(path string) (*Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeRecord(path, data)
}

// ReadRecords reads the *.json records directly in each folder of dirs, the
// folders in the order given and each folder's files in name order. A file
// that is not a complete record (a truncated copy, a stray JSON
// file) is skipped: its error, naming the file, is
// returned among the warnings, as is a folder that cannot be listed. err is
// for a path that is not a folder; its text reads "DIR is not a folder".
func ReadRecords(dirs []string) (recs []*Record, warnings []error, err error) {
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("%s is not a folder", dir)
		}
		entries, err := os.ReadDir(dir) // sorted by name; on an error, what it could read
		if err != nil {
			warnings = append(warnings, err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			r, err := ReadRecord(filepath.Join(dir, e.Name()))
			if err != nil {
				warnings = append(warnings, err)
				continue
			}
			recs = append(recs, r)
		}
	}
	return recs, warnings, nil
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
	// A probe of its own: runs started together into one folder must not
	// remove each other's.
	probe, err := os.CreateTemp(dir, ".mirrorbench-write-test-*")
	if err != nil {
		return fmt.Errorf("--out %s is not writable: %v", dir, err)
	}
	defer os.Remove(probe.Name())
	_, err = probe.Write(make([]byte, 64<<10))
	if err == nil {
		err = probe.Sync()
	}
	if cerr := probe.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--out %s is not writable: %v", dir, err)
	}
	return nil
}
