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
	return holds(path, meta, Open, func(m *Meta) *string {
		m.Version = 0
		return &m.Shard
	}, sameRun)
}

// HoldsTracks is Holds for a tracks file with metadata meta (Method and
// Config as WriteTracks fills them in).
func HoldsTracks(path string, meta TracksMeta) (bool, error) {
	return holds(path, meta, OpenTracks, func(m *TracksMeta) *string {
		m.Version, m.Dataset.Version = 0, 0
		return &m.Shard
	}, sameTracksRun)
}

// holds is Holds for a file that open reads with metadata of type M;
// norm clears the fields a re-run may write differently (the format
// versions) and returns the shard field, same compares the rest.
func holds[M any, R interface {
	Meta() M
	Close() error
}](path string, want M, open func(string) (R, error), norm func(*M) *string, same func(got, want M) error) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	r, err := open(path)
	if err != nil {
		return false, err
	}
	defer r.Close()
	got := r.Meta()
	gs, ws := norm(&got), norm(&want)
	if *ws == "0/1" {
		*ws = ""
	}
	if *gs != *ws {
		return false, fmt.Errorf("dataset: %q holds shard %q, not %q", path, *gs, *ws)
	}
	if err := same(got, want); err != nil {
		return false, fmt.Errorf("dataset: %q holds another run: %w", path, err)
	}
	return true, nil
}
