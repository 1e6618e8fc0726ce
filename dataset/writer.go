package dataset

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/shard"
)

// hitRow is one Parquet row. The tags are the column names of SCHEMA.md.
type hitRow struct {
	Frame       int64   `parquet:"frame"`
	Layer       int32   `parquet:"layer"`
	X           float32 `parquet:"x"`
	Y           float32 `parquet:"y"`
	Z           float32 `parquet:"z"`
	Edep        float32 `parquet:"edep"`
	ClusterSize int32   `parquet:"cluster_size"`
	EventID     int64   `parquet:"event_id"`
	TrackID     int32   `parquet:"track_id"`
	ParentID    int32   `parquet:"parent_id"`
	PDG         int32   `parquet:"pdg"`
	Primary     bool    `parquet:"primary"`
	// Monte-Carlo truth of the hit's primary (PrimaryTruth), NaN if unknown.
	MCWEPL     float32 `parquet:"mc_wepl"`
	MCExitX    float32 `parquet:"mc_exit_x"`
	MCExitY    float32 `parquet:"mc_exit_y"`
	MCExitTX   float32 `parquet:"mc_exit_tx"`
	MCExitTY   float32 `parquet:"mc_exit_ty"`
	MCExitE    float32 `parquet:"mc_exit_e"`
	MCLayer0X  float32 `parquet:"mc_layer0_x"`
	MCLayer0Y  float32 `parquet:"mc_layer0_y"`
	MCLayer0TX float32 `parquet:"mc_layer0_tx"`
	MCLayer0TY float32 `parquet:"mc_layer0_ty"`
	MCLayer0E  float32 `parquet:"mc_layer0_e"`
}

// createdBy is fixed (parquet-go's default embeds build info), so that the
// bytes do not depend on how the binary was built.
const createdBy = "pcttrack dataset format 1"

var datasetContainer = &container{
	formatKey: KeyFormat, metaKey: KeyMeta, framesKey: KeyFrames,
	version: FormatVersion, createdBy: createdBy, errForeign: ErrNotDataset,
	columns: columnNames[:], kinds: columnKinds[:],
}

// Writer writes frames to a dataset file. It writes to a temporary file next
// to the target, which Close renames; until then, and after any error, no
// file appears at the target path. A Writer is not safe for concurrent use.
type Writer struct {
	frameWriter[hitRow]
	meta  Meta
	table frameTable
}

// Create starts a dataset at path with the dataset metadata meta. The
// output is deterministic: the same meta and the same frames give the same
// bytes. It returns an error if meta.Shard is not of the form "k/K" or the
// temporary file cannot be created.
func Create(path string, meta Meta) (*Writer, error) {
	if meta.Shard != "" {
		s, err := shard.ParseFixed(meta.Shard)
		if err != nil {
			return nil, fmt.Errorf("dataset: create %q: %w", path, err)
		}
		meta.Shard = s.String()
		if s.Count == 1 {
			meta.Shard = ""
		}
	}
	if meta.Frames < 0 {
		return nil, fmt.Errorf("dataset: create %q: negative number of frames %d", path, meta.Frames)
	}
	meta.Version = FormatVersion
	w := &Writer{meta: meta, table: newFrameTable()}
	if err := w.create(datasetContainer, path); err != nil {
		return nil, err
	}
	return w, nil
}

// Write appends frame f. Frames must come in strictly increasing
// f.Meta.Frame (gaps are allowed, as in a shard). A frame may have no hits.
// NaN or infinite positions, energies or metadata are an error. Each hit
// row carries the truth of its history from f.Primaries (NaN for a history
// not there); Primaries out of event order or with infinite values are an
// error. The first
// error is sticky: later calls return it and Close discards the file.
// Write panics if f is nil.
func (w *Writer) Write(f *Frame) error {
	if err := w.usable(f == nil); err != nil {
		return err
	}
	m := &f.Meta
	if err := checkFrameMeta(m); err != nil {
		return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, m.Frame, err))
	}
	if err := w.follows(m.Frame); err != nil {
		return err
	}
	if err := checkPrimaries(f.Primaries); err != nil {
		return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, m.Frame, err))
	}
	truth := truthCursor{ps: f.Primaries}
	w.rows = w.rows[:0]
	for i := range f.Hits {
		h := &f.Hits[i]
		if !finite32(h.X) || !finite32(h.Y) || !finite32(h.Z) || !finite32(h.Edep) {
			return w.fail(fmt.Errorf("dataset: %q: frame %d hit %d: non-finite position or energy (%v, %v, %v, %v)",
				w.path, m.Frame, i, h.X, h.Y, h.Z, h.Edep))
		}
		if err := checkLayer(h.Layer); err != nil {
			return w.fail(fmt.Errorf("dataset: %q: frame %d hit %d: %w", w.path, m.Frame, i, err))
		}
		w.rows = append(w.rows, hitRow{
			Frame: m.Frame, Layer: h.Layer, X: h.X, Y: h.Y, Z: h.Z, Edep: h.Edep,
			ClusterSize: h.ClusterSize, EventID: h.EventID, TrackID: h.TrackID,
			ParentID: h.ParentID, PDG: h.PDG, Primary: h.Primary,
		})
		w.rows[len(w.rows)-1].setTruth(truth.find(h.EventID))
	}
	first, err := w.writeFrame(m.Frame)
	if err != nil {
		return err
	}
	w.table.add(m, first, int64(len(f.Hits)))
	return nil
}

// NumFrames returns the number of frames written so far.
func (w *Writer) NumFrames() int { return len(w.table.Frame) }

// Close writes the footer and renames the file into place. After an error
// in Write, Close discards the file and returns that error. Close may be
// called more than once; later calls return the first call's result.
func (w *Writer) Close() error { return w.close(&w.meta, &w.table) }

// Abort discards the output. It is a no-op after a successful Close, so
// `defer w.Abort()` is the idiomatic clean-up on error paths.
func (w *Writer) Abort() { w.abort() }

func finite32(x float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
}
