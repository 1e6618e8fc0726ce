package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Holds reports whether path is a complete dataset written with metadata
// meta (compared field by field, Shard normalised as Create stores it):
// what a re-run of the same job and shard would write, so a requeued
// array task can keep it. A missing file is (false, nil); a file that is
// not such a dataset, or holds another run or shard, is an error saying
// which.
func Holds(path string, meta Meta) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	r, err := Open(path)
	if err != nil {
		return false, err
	}
	defer r.Close()
	got, want := r.Meta(), meta
	got.Version, want.Version = 0, 0
	if want.Shard == "0/1" {
		want.Shard = ""
	}
	if got.Shard != want.Shard {
		return false, fmt.Errorf("dataset: %q holds shard %q, not %q", path, got.Shard, want.Shard)
	}
	if err := sameRun(got, want); err != nil {
		return false, fmt.Errorf("dataset: %q holds another run: %w", path, err)
	}
	return true, nil
}

// HoldsTracks is Holds for a tracks file with metadata meta (Method and
// Config as WriteTracks fills them in).
func HoldsTracks(path string, meta TracksMeta) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	r, err := OpenTracks(path)
	if err != nil {
		return false, err
	}
	defer r.Close()
	got, want := r.Meta(), meta
	got.Version, want.Version = 0, 0
	got.Dataset.Version, want.Dataset.Version = 0, 0
	if want.Shard == "0/1" {
		want.Shard = ""
	}
	if got.Shard != want.Shard {
		return false, fmt.Errorf("dataset: %q holds shard %q, not %q", path, got.Shard, want.Shard)
	}
	if err := sameTracksRun(got, want); err != nil {
		return false, fmt.Errorf("dataset: %q holds another run: %w", path, err)
	}
	return true, nil
}
