package dataset

import (
	"fmt"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// Column indexes of a dataset, in hitRow order.
const (
	cFrame = iota
	cLayer
	cX
	cY
	cZ
	cEdep
	cCluster
	cEvent
	cTrack
	cParent
	cPDG
	cPrimary
	numColumns
)

var columnNames = [numColumns]string{"frame", "layer", "x", "y", "z", "edep", "cluster_size",
	"event_id", "track_id", "parent_id", "pdg", "primary"}

var columnKinds = [numColumns]parquet.Kind{parquet.Int64, parquet.Int32, parquet.Float, parquet.Float,
	parquet.Float, parquet.Float, parquet.Int32, parquet.Int64, parquet.Int32, parquet.Int32,
	parquet.Int32, parquet.Boolean}

// Reader gives random access to the frames of a dataset file. Open reads
// only the footer; ReadFrame decodes the pages of one frame. The methods
// are safe for concurrent use.
type Reader struct {
	frameFile
	meta  Meta
	table frameTable
	metas []FrameMeta
	// optional truth columns (truth.go)
	truthCol [numTruthColumns]int
	hasTruth bool
	readTrue bool // SetTruth
	missing  []string
}

// Open opens a dataset written by Create and checks its footer: the
// schema, the metadata and the frame index. A missing, truncated or
// corrupt file, or a Parquet file not written by this package, is an
// error (a *FormatError for bad content).
func Open(path string) (*Reader, error) {
	r := &Reader{}
	if err := r.open(datasetContainer, path, &r.meta, &r.table, r.indexTruth); err != nil {
		return nil, err
	}
	r.meta.Version = r.version
	r.metas = make([]FrameMeta, len(r.table.Frame))
	for i := range r.metas {
		r.metas[i] = r.table.meta(i)
	}
	return r, nil
}

// Meta returns the dataset metadata.
func (r *Reader) Meta() Meta { return r.meta }

// Path returns the file name the reader was opened with.
func (r *Reader) Path() string { return r.path }

// NumFrames returns the number of frames.
func (r *Reader) NumFrames() int { return len(r.metas) }

// NumHits returns the total number of hits (rows) in the dataset.
func (r *Reader) NumHits() int64 { return r.pf.NumRows() }

// FrameMetas returns the metadata of all frames in file order, which is
// increasing Frame. The slice is shared: the caller must not modify it.
func (r *Reader) FrameMetas() []FrameMeta { return r.metas }

// FrameHits returns the number of hits of the frame at position i
// without decoding it. It panics if i is out of range.
func (r *Reader) FrameHits(i int) int {
	if i < 0 || i >= len(r.metas) {
		panic("dataset: frame position out of range")
	}
	return int(r.table.NumHits[i])
}

// ReadFrame decodes the frame at position i (0 <= i < NumFrames) into a
// new Frame. It decodes only that frame's pages.
func (r *Reader) ReadFrame(i int) (Frame, error) {
	var f Frame
	err := r.ReadFrameInto(&f, i)
	return f, err
}

// ReadFrameInto decodes the frame at position i into dst, reusing the
// capacity of dst.Hits and of dst.Primaries, which it fills after
// SetTruth(true) and empties otherwise (it allocates a new slice only when
// one is too short; the page decoder still makes about ten small
// allocations per column). Corrupt pages give a *FormatError naming the
// frame.
func (r *Reader) ReadFrameInto(dst *Frame, i int) error {
	if i < 0 || i >= len(r.metas) {
		return fmt.Errorf("dataset: %q: frame position %d out of range [0, %d)", r.path, i, len(r.metas))
	}
	dst.Meta = r.metas[i]
	n := int(r.table.NumHits[i])
	dst.Hits = slices.Grow(dst.Hits[:0], n)[:n]
	dst.Primaries = dst.Primaries[:0]
	if n == 0 {
		return nil
	}
	hits := dst.Hits
	var truth func([]parquet.ColumnChunk, int64, *readScratch) error
	if r.readTrue {
		truth = func(chunks []parquet.ColumnChunk, off int64, _ *readScratch) error {
			return r.readTruth(dst, chunks, off)
		}
	}
	err := r.readFrame(i, n, func(c int, s *readScratch) {
		switch c {
		case cLayer:
			scatter(hits, s.i32[:n], func(h *Hit, v int32) { h.Layer = v })
		case cX:
			scatter(hits, s.f32[:n], func(h *Hit, v float32) { h.X = v })
		case cY:
			scatter(hits, s.f32[:n], func(h *Hit, v float32) { h.Y = v })
		case cZ:
			scatter(hits, s.f32[:n], func(h *Hit, v float32) { h.Z = v })
		case cEdep:
			scatter(hits, s.f32[:n], func(h *Hit, v float32) { h.Edep = v })
		case cCluster:
			scatter(hits, s.i32[:n], func(h *Hit, v int32) { h.ClusterSize = v })
		case cEvent:
			scatter(hits, s.i64[:n], func(h *Hit, v int64) { h.EventID = v })
		case cTrack:
			scatter(hits, s.i32[:n], func(h *Hit, v int32) { h.TrackID = v })
		case cParent:
			scatter(hits, s.i32[:n], func(h *Hit, v int32) { h.ParentID = v })
		case cPDG:
			scatter(hits, s.i32[:n], func(h *Hit, v int32) { h.PDG = v })
		case cPrimary:
			scatter(hits, s.b[:n], func(h *Hit, v bool) { h.Primary = v })
		}
	}, truth)
	if err != nil {
		return err
	}
	for j := range hits {
		if err := checkLayer(hits[j].Layer); err != nil {
			return &FormatError{File: r.path, Entry: dst.Meta.Frame, Unit: "frame", Err: fmt.Errorf("hit %d: %w", j, err)}
		}
	}
	return nil
}

// ReadAll reads a whole dataset into memory.
func ReadAll(path string) (Meta, []Frame, error) { return readAll[Meta, Frame](Open(path)) }
