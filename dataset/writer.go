package dataset

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
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

// Row-group layout: a row group holds whole frames and is closed once it
// has rowGroupRows rows or rowGroupFrames frames; each frame is its own
// data page in every column, so a reader seeks straight to it.
const (
	rowGroupRows   = 1 << 17
	rowGroupFrames = 256
)

// createdBy is fixed (parquet-go's default embeds build info), so that the
// bytes do not depend on how the binary was built.
const createdBy = "pcttrack dataset format 1"

var zstdCodec = &zstd.Codec{Level: zstd.SpeedDefault}

var errAborted = errors.New("dataset: writer aborted")

// Writer writes frames to a dataset file. It writes to a temporary file next
// to the target, which Close renames; until then, and after any error, no
// file appears at the target path. A Writer is not safe for concurrent use.
type Writer struct {
	path     string
	file     *atomicfile.File
	pw       *parquet.GenericWriter[hitRow]
	cols     []*parquet.ColumnWriter
	meta     Meta
	table    frameTable
	rows     []hitRow
	nrows    int64
	rgRows   int64
	rgFrames int
	last     int64
	err      error
	done     bool
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
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: create %q: %w", path, err)
	}
	pw := parquet.NewGenericWriter[hitRow](f,
		parquet.Compression(zstdCodec),
		&parquet.WriterConfig{CreatedBy: createdBy},
	)
	return &Writer{path: path, file: f, pw: pw, cols: pw.ColumnWriters(), meta: meta, last: -1}, nil
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
	if f == nil {
		panic("dataset: Write of a nil frame")
	}
	if w.err != nil {
		return w.err
	}
	if w.done {
		return fmt.Errorf("dataset: %q: write after close", w.path)
	}
	m := &f.Meta
	if err := checkFrameMeta(m); err != nil {
		return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, m.Frame, err))
	}
	if m.Frame <= w.last {
		return w.fail(fmt.Errorf("dataset: %q: frame %d written after frame %d; frames must be strictly increasing", w.path, m.Frame, w.last))
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
		w.rows = append(w.rows, hitRow{
			Frame: m.Frame, Layer: h.Layer, X: h.X, Y: h.Y, Z: h.Z, Edep: h.Edep,
			ClusterSize: h.ClusterSize, EventID: h.EventID, TrackID: h.TrackID,
			ParentID: h.ParentID, PDG: h.PDG, Primary: h.Primary,
		})
		w.rows[len(w.rows)-1].setTruth(truth.find(h.EventID))
	}
	if len(w.rows) > 0 {
		if _, err := w.pw.Write(w.rows); err != nil {
			return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, m.Frame, err))
		}
		// End the page here so that every frame starts a page.
		for _, c := range w.cols {
			if err := c.Flush(); err != nil {
				return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, m.Frame, err))
			}
		}
	}
	n := int64(len(f.Hits))
	w.table.add(m, w.nrows, n)
	w.nrows += n
	w.rgRows += n
	w.rgFrames++
	w.last = m.Frame
	if w.rgRows >= rowGroupRows || w.rgFrames >= rowGroupFrames {
		if err := w.pw.Flush(); err != nil {
			return w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
		}
		w.rgRows, w.rgFrames = 0, 0
	}
	return nil
}

// NumFrames returns the number of frames written so far.
func (w *Writer) NumFrames() int { return len(w.table.Frame) }

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// Close writes the footer and renames the file into place. After an error
// in Write, Close discards the file and returns that error. Close may be
// called more than once; later calls return the first call's result.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		w.file.Close()
		return w.err
	}
	metaJSON, err := marshalMeta(&w.meta)
	if err != nil {
		w.file.Close()
		return w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
	}
	framesJSON, err := w.table.marshal()
	if err != nil {
		w.file.Close()
		return w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
	}
	w.pw.SetKeyValueMetadata(KeyFormat, strconv.Itoa(FormatVersion))
	w.pw.SetKeyValueMetadata(KeyMeta, string(metaJSON))
	w.pw.SetKeyValueMetadata(KeyFrames, string(framesJSON))
	if err := w.pw.Close(); err != nil {
		w.file.Close()
		return w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
	}
	if err := w.file.Commit(); err != nil {
		return w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
	}
	return nil
}

// Abort discards the output. It is a no-op after a successful Close, so
// `defer w.Abort()` is the idiomatic clean-up on error paths.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.fail(errAborted)
	w.file.Close()
}

func finite32(x float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
}
