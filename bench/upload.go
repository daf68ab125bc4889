package bench

import (
	"context"
	"errors"
	"fmt"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// Upload is what storing existing records did.
type Upload struct {
	Added, Known int     // new records, and records the store already held
	Rejected     []error // files that are not complete, valid records, each naming its file
}

func (u *Upload) String() string {
	return fmt.Sprintf("%d added, %d already stored, %d rejected", u.Added, u.Known, len(u.Rejected))
}

// UploadRecords stores the records in paths (record files, or folders whose
// *.json files are records) into st. A file that is not a complete, valid
// record is rejected, named in Rejected, and nothing of it is stored; the
// others are stored all the same. A path that does not exist is an
// *InputError; a store that fails stops the upload.
func UploadRecords(ctx context.Context, st store.Store, paths []string) (*Upload, error) {
	up := &Upload{}
	for _, p := range paths {
		files, err := results.FilesAt(p, ".json")
		if err != nil {
			return up, &InputError{err}
		}
		for _, f := range files {
			if err := up.put(ctx, st, f); err != nil {
				return up, err
			}
		}
	}
	return up, nil
}

// put stores one record file, counting it as added, known or rejected.
func (u *Upload) put(ctx context.Context, st store.Store, file string) error {
	r, err := results.ReadRecord(file) // its errors name the file
	if err != nil {
		u.Rejected = append(u.Rejected, err)
		return nil
	}
	added, err := st.Put(ctx, r)
	switch {
	case errors.Is(err, store.ErrInvalid): // a record, but one the store refuses
		u.Rejected = append(u.Rejected, fmt.Errorf("%s: %w", file, err))
	case err != nil:
		return err
	case added:
		u.Added++
	default:
		u.Known++
	}
	return nil
}
