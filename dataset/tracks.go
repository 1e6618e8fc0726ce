package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/shard"
)

// TracksFormatVersion is the version of the tracks-file layout written by
// CreateTracks. OpenTracks refuses files with a newer version.
const TracksFormatVersion = 1

// Footer keys of a tracks file (SCHEMA.md, "Tracks format"). They differ
// from a dataset's keys, so neither reader mistakes one file for the other.
const (
	KeyTracksFormat = "pcttrack.tracks.format" // decimal TracksFormatVersion
	KeyTracksMeta   = "pcttrack.tracks.meta"   // JSON object: the TracksMeta
	KeyTracksFrames = "pcttrack.tracks.frames" // JSON object of equal-length arrays, one entry per frame
)

// ErrNotTracks is wrapped by OpenTracks's error for a Parquet file that is
// not a tracks file written by this package.
var ErrNotTracks = errors.New("not a pcttrack tracks file")

// TrackHit is one hit of a reconstructed track: one row of a tracks file.
// Positions are global and in mm, Edep in MeV, copied from the input frame.
type TrackHit struct {
	Track   int32 // track index within the frame, 0-based
	Order   int32 // position within the track, 0 = deepest hit
	Hit     int32 // index of the hit in the input frame's Hits (graph.HitGraph.HitIndex)
	Layer   int32
	X, Y, Z float32
	Edep    float32
	EventID int64 // Monte-Carlo truth of the hit (its primary history)
	// ClusterSize is the hit's ALPIDE cluster size (0 in files written
	// before the column existed: TracksReader.HasClusterSize).
	ClusterSize int32
}

// FrameTracks are the reconstructed tracks of one frame. Hits holds the
// hits of track 0 (deepest first), then of track 1, and so on.
type FrameTracks struct {
	Frame int64 // FrameMeta.Frame of the input frame
	// Skip is empty for a tracked frame; otherwise it says why the frame
	// was not tracked (e.g. "empty frame"), and Hits is empty.
	Skip string
	Hits []TrackHit
	// WEPL holds one record per track (package wepl), or is nil when the
	// tracks were not measured; a file without the WEPL columns reads as
	// nil (TracksReader.HasWEPL).
	WEPL []TrackWEPL
}

// NumTracks returns the number of tracks: the last hit's Track + 1.
func (f *FrameTracks) NumTracks() int {
	if len(f.Hits) == 0 {
		return 0
	}
	return int(f.Hits[len(f.Hits)-1].Track) + 1
}

// Starts writes the offsets of the tracks into dst (grown if too short)
// and returns it: track t is f.Hits[dst[t]:dst[t+1]], len = NumTracks()+1.
// It assumes the layout CreateTracks enforces.
func (f *FrameTracks) Starts(dst []int32) []int32 {
	dst = append(dst[:0], 0)
	for j := 1; j < len(f.Hits); j++ {
		if f.Hits[j].Track != f.Hits[j-1].Track {
			dst = append(dst, int32(j))
		}
	}
	if len(f.Hits) > 0 {
		dst = append(dst, int32(len(f.Hits)))
	}
	return dst
}

// TracksMeta describes a tracks file; it is stored in the footer as JSON.
type TracksMeta struct {
	Method  string `json:"method"`  // tracker, e.g. "follower", "physics", "truth", "model"
	Source  string `json:"source"`  // path of the input dataset as given
	Config  string `json:"config"`  // free text: tracker options, checkpoint path; may be empty
	Dataset Meta   `json:"dataset"` // metadata of the input dataset
	// WEPL describes how the WEPL columns were measured (package wepl:
	// estimator, signal, calibration); empty when they were not.
	WEPL string `json:"wepl,omitempty"`
	// Options describes the graph and tracker options (free text, e.g.
	// JSON); may be empty. MergeTracks refuses shards whose options differ.
	Options string `json:"options,omitempty"`
	// Frames is the number of input frames of the whole tracking run, over
	// all shards (tracked and skipped); 0 means unknown.
	Frames int64 `json:"frames,omitempty"`
	// Shard is "k/K" when the file holds only shard k of K of a run (the
	// input frames at positions i with i mod K = k), and empty for a
	// complete file. CreateTracks stores "0/1" as empty.
	Shard string `json:"shard,omitempty"`
	// Version is the TracksFormatVersion of a file that was read;
	// CreateTracks ignores it.
	Version int `json:"-"`
}

// trackRow is one Parquet row; the tags are the column names of SCHEMA.md.
type trackRow struct {
	Frame   int64   `parquet:"frame"`
	Track   int32   `parquet:"track"`
	Order   int32   `parquet:"order"`
	Hit     int32   `parquet:"hit"`
	Layer   int32   `parquet:"layer"`
	X       float32 `parquet:"x"`
	Y       float32 `parquet:"y"`
	Z       float32 `parquet:"z"`
	Edep    float32 `parquet:"edep"`
	EventID int64   `parquet:"event_id"`
	// optional columns (trackwepl.go)
	ClusterSize int32   `parquet:"cluster_size"`
	WEPL        float32 `parquet:"wepl"`
	WEPLRange   float32 `parquet:"wepl_range"`
	WEPLChi2    float32 `parquet:"wepl_chi2"`
	WEPLFlags   int32   `parquet:"wepl_flags"`
	ExitX       float32 `parquet:"exit_x"`
	ExitY       float32 `parquet:"exit_y"`
	ExitZ       float32 `parquet:"exit_z"`
	ExitTX      float32 `parquet:"exit_tx"`
	ExitTY      float32 `parquet:"exit_ty"`
}

// Column indexes of trackRow.
const (
	tFrame = iota
	tTrack
	tOrder
	tHit
	tLayer
	tX
	tY
	tZ
	tEdep
	tEvent
	numTrackColumns
)

var trackColumnNames = [numTrackColumns]string{"frame", "track", "order", "hit", "layer", "x", "y", "z", "edep", "event_id"}

var trackColumnKinds = [numTrackColumns]parquet.Kind{parquet.Int64, parquet.Int32, parquet.Int32, parquet.Int32,
	parquet.Int32, parquet.Float, parquet.Float, parquet.Float, parquet.Float, parquet.Int64}

const tracksCreatedBy = "pcttrack tracks format 1"

// trackTable is the per-frame index stored under KeyTracksFrames.
type trackTable struct {
	Frame     []int64  `json:"frame"`
	FirstRow  []int64  `json:"first_row"`
	NumHits   []int64  `json:"num_hits"`
	NumTracks []int32  `json:"num_tracks"`
	Skip      []string `json:"skip"`
}

func (t *trackTable) len() int {
	n := len(t.Frame)
	if len(t.FirstRow) != n || len(t.NumHits) != n || len(t.NumTracks) != n || len(t.Skip) != n {
		return -1
	}
	return n
}

// TracksWriter writes reconstructed tracks to a tracks file. Like Writer it
// writes to a temporary file that Close renames, is deterministic (the same
// meta and frames give the same bytes), keeps its first error and is not
// safe for concurrent use.
type TracksWriter struct {
	path     string
	file     *atomicfile.File
	pw       *parquet.GenericWriter[trackRow]
	cols     []*parquet.ColumnWriter
	meta     TracksMeta
	table    trackTable
	rows     []trackRow
	nrows    int64
	rgRows   int64
	rgFrames int
	last     int64
	err      error
	done     bool
}

// CreateTracks starts a tracks file at path. It fails only if the
// temporary file cannot be created.
func CreateTracks(path string, meta TracksMeta) (*TracksWriter, error) {
	meta.Version = TracksFormatVersion
	if meta.Shard != "" {
		s, err := shard.ParseFixed(meta.Shard)
		if err != nil {
			return nil, fmt.Errorf("dataset: create tracks %q: %w", path, err)
		}
		meta.Shard = s.String()
		if s.All() {
			meta.Shard = ""
		}
	}
	if meta.Frames < 0 {
		return nil, fmt.Errorf("dataset: create tracks %q: negative number of frames %d", path, meta.Frames)
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: create tracks %q: %w", path, err)
	}
	pw := parquet.NewGenericWriter[trackRow](f, parquet.Compression(zstdCodec),
		&parquet.WriterConfig{CreatedBy: tracksCreatedBy})
	t := trackTable{Frame: []int64{}, FirstRow: []int64{}, NumHits: []int64{}, NumTracks: []int32{}, Skip: []string{}}
	return &TracksWriter{path: path, file: f, pw: pw, cols: pw.ColumnWriters(), meta: meta, table: t, last: -1}, nil
}

// Write appends the tracks of one frame. Frames must come in strictly
// increasing f.Frame. The hits must be grouped by track with tracks
// numbered 0, 1, … and Order 0, 1, … within each track, layers strictly
// decreasing along a track, hit indices and layers not negative, positions
// and deposits finite; a skipped frame (f.Skip set) has no hits; f.WEPL is
// nil (written as NaN) or one record per track without infinite values.
// Anything else is an error naming the frame and hit, which is sticky. It
// panics if f is nil.
func (w *TracksWriter) Write(f *FrameTracks) error {
	if f == nil {
		panic("dataset: TracksWriter.Write of a nil frame")
	}
	if w.err != nil {
		return w.err
	}
	if w.done {
		return fmt.Errorf("dataset: %q: write after close", w.path)
	}
	if f.Frame <= w.last {
		return w.fail(fmt.Errorf("dataset: %q: frame %d written after frame %d; frames must be strictly increasing", w.path, f.Frame, w.last))
	}
	if err := checkFrameTracks(f); err != nil {
		return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, f.Frame, err))
	}
	if err := checkWEPL(f); err != nil {
		return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, f.Frame, err))
	}
	w.rows = w.rows[:0]
	for _, h := range f.Hits {
		w.rows = append(w.rows, trackRow{Frame: f.Frame, Track: h.Track, Order: h.Order, Hit: h.Hit,
			Layer: h.Layer, X: h.X, Y: h.Y, Z: h.Z, Edep: h.Edep, EventID: h.EventID, ClusterSize: h.ClusterSize})
		if f.WEPL != nil {
			w.rows[len(w.rows)-1].setWEPL(&f.WEPL[h.Track])
		} else {
			w.rows[len(w.rows)-1].setWEPL(&NoWEPL)
		}
	}
	if len(w.rows) > 0 {
		if _, err := w.pw.Write(w.rows); err != nil {
			return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, f.Frame, err))
		}
		// One page per frame, as in a dataset, so a reader seeks to it.
		for _, c := range w.cols {
			if err := c.Flush(); err != nil {
				return w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, f.Frame, err))
			}
		}
	}
	n := int64(len(f.Hits))
	t := &w.table
	t.Frame = append(t.Frame, f.Frame)
	t.FirstRow = append(t.FirstRow, w.nrows)
	t.NumHits = append(t.NumHits, n)
	t.NumTracks = append(t.NumTracks, int32(f.NumTracks()))
	t.Skip = append(t.Skip, f.Skip)
	w.nrows += n
	w.rgRows += n
	w.rgFrames++
	w.last = f.Frame
	if w.rgRows >= rowGroupRows || w.rgFrames >= rowGroupFrames {
		if err := w.pw.Flush(); err != nil {
			return w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
		}
		w.rgRows, w.rgFrames = 0, 0
	}
	return nil
}

// checkFrameTracks checks the layout documented on TracksWriter.Write.
func checkFrameTracks(f *FrameTracks) error {
	if f.Frame < 0 {
		return fmt.Errorf("negative frame index %d", f.Frame)
	}
	if f.Skip != "" && len(f.Hits) > 0 {
		return fmt.Errorf("skipped frame (%s) with %d track hits", f.Skip, len(f.Hits))
	}
	for j := range f.Hits {
		h := &f.Hits[j]
		wantTrack, wantOrder := int32(0), int32(0)
		if j > 0 {
			p := &f.Hits[j-1]
			wantTrack, wantOrder = p.Track, p.Order+1
			if h.Track != p.Track {
				wantTrack, wantOrder = p.Track+1, 0
			} else if h.Layer >= p.Layer {
				return fmt.Errorf("track hit %d: layer %d after layer %d; tracks run deepest first", j, h.Layer, p.Layer)
			}
		}
		if h.Track != wantTrack || h.Order != wantOrder {
			return fmt.Errorf("track hit %d: track %d order %d, want track %d order %d", j, h.Track, h.Order, wantTrack, wantOrder)
		}
		if h.Hit < 0 || h.Layer < 0 {
			return fmt.Errorf("track hit %d: negative hit index %d or layer %d", j, h.Hit, h.Layer)
		}
		if !finite32(h.X) || !finite32(h.Y) || !finite32(h.Z) || !finite32(h.Edep) {
			return fmt.Errorf("track hit %d: non-finite position or energy (%v, %v, %v, %v)", j, h.X, h.Y, h.Z, h.Edep)
		}
	}
	return nil
}

// NumFrames returns the number of frames written so far.
func (w *TracksWriter) NumFrames() int { return len(w.table.Frame) }

func (w *TracksWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// Close writes the footer and renames the file into place. After an error
// in Write, Close discards the file and returns that error. Later calls
// return the first call's result.
func (w *TracksWriter) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		w.file.Close()
		return w.err
	}
	metaJSON, err := json.Marshal(&w.meta)
	if err == nil {
		var framesJSON []byte
		if framesJSON, err = json.Marshal(&w.table); err == nil {
			w.pw.SetKeyValueMetadata(KeyTracksFormat, strconv.Itoa(TracksFormatVersion))
			w.pw.SetKeyValueMetadata(KeyTracksMeta, string(metaJSON))
			w.pw.SetKeyValueMetadata(KeyTracksFrames, string(framesJSON))
			err = w.pw.Close()
		}
	}
	if err != nil {
		w.file.Close()
		return w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
	}
	if err := w.file.Commit(); err != nil {
		return w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
	}
	return nil
}

// Abort discards the output; a no-op after a successful Close, so
// `defer w.Abort()` cleans up on error paths.
func (w *TracksWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.fail(errAborted)
	w.file.Close()
}

// TracksReader gives random access to the frames of a tracks file. Its
// methods are safe for concurrent use.
type TracksReader struct {
	path    string
	file    *os.File
	pf      *parquet.File
	meta    TracksMeta
	table   trackTable
	frameRG []int32 // row group of frame i, -1 without rows
	rgStart []int64
	col     [numTrackColumns]int
	opt     tracksOptional
}

// OpenTracks opens a tracks file written by CreateTracks and checks its
// footer, schema and frame index. A missing or corrupt file, or a Parquet
// file that is not a tracks file, is an error (a *FormatError for bad
// content, wrapping ErrNotTracks for a foreign file).
func OpenTracks(path string) (*TracksReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r, err := openTracks(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func openTracks(path string, f *os.File) (r *TracksReader, err error) {
	bad := func(err error) error { return &FormatError{File: path, Entry: -1, Err: err} }
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, bad(fmt.Errorf("corrupt Parquet file: %v", p))
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, bad(fmt.Errorf("not a readable Parquet file: %w", err))
	}
	r = &TracksReader{path: path, file: f, pf: pf}
	vs, ok := pf.Lookup(KeyTracksFormat)
	if !ok {
		return nil, bad(fmt.Errorf("%w (no %q footer key)", ErrNotTracks, KeyTracksFormat))
	}
	v, err := strconv.Atoi(vs)
	if err != nil || v < 1 {
		return nil, bad(fmt.Errorf("bad tracks format version %q", vs))
	}
	if v > TracksFormatVersion {
		return nil, bad(fmt.Errorf("tracks format version %d is newer than this program's %d", v, TracksFormatVersion))
	}
	ms, _ := pf.Lookup(KeyTracksMeta)
	if err := json.Unmarshal([]byte(ms), &r.meta); err != nil {
		return nil, bad(fmt.Errorf("footer key %q: %w", KeyTracksMeta, err))
	}
	r.meta.Version = v
	fs, _ := pf.Lookup(KeyTracksFrames)
	if err := json.Unmarshal([]byte(fs), &r.table); err != nil {
		return nil, bad(fmt.Errorf("footer key %q: %w", KeyTracksFrames, err))
	}
	if err := r.index(); err != nil {
		return nil, bad(err)
	}
	return r, nil
}

// index checks the schema and the frame index against the row groups.
func (r *TracksReader) index() error {
	schema := r.pf.Schema()
	for i, name := range trackColumnNames {
		leaf, ok := schema.Lookup(name)
		if !ok {
			return fmt.Errorf("%w: no column %q", ErrNotTracks, name)
		}
		if k := leaf.Node.Type().Kind(); k != trackColumnKinds[i] || leaf.MaxDefinitionLevel != 0 || leaf.MaxRepetitionLevel != 0 {
			return fmt.Errorf("%w: column %q is %v, want required %v", ErrNotTracks, name, k, trackColumnKinds[i])
		}
		r.col[i] = leaf.ColumnIndex
	}
	if err := r.opt.index(schema); err != nil {
		return err
	}
	n := r.table.len()
	if n < 0 {
		return fmt.Errorf("footer key %q: columns of different lengths", KeyTracksFrames)
	}
	var total int64
	for _, rg := range r.pf.RowGroups() {
		r.rgStart = append(r.rgStart, total)
		total += rg.NumRows()
	}
	r.frameRG = make([]int32, n)
	var row int64
	for i := range n {
		fr := r.table.Frame[i]
		if fr < 0 || (i > 0 && fr <= r.table.Frame[i-1]) {
			return fmt.Errorf("frame index not increasing at position %d (frame %d)", i, fr)
		}
		first, nh := r.table.FirstRow[i], r.table.NumHits[i]
		if first != row || nh < 0 || nh > total-row || r.table.NumTracks[i] < 0 || int64(r.table.NumTracks[i]) > nh {
			return fmt.Errorf("frame %d: rows [%d, %d+%d) with %d tracks do not follow the previous frame (row %d of %d)",
				fr, first, first, nh, r.table.NumTracks[i], row, total)
		}
		r.frameRG[i] = -1
		if nh > 0 {
			g := sort.Search(len(r.rgStart), func(k int) bool { return r.rgStart[k] > first }) - 1
			end := total
			if g+1 < len(r.rgStart) {
				end = r.rgStart[g+1]
			}
			if first+nh > end {
				return fmt.Errorf("frame %d spans two row groups", fr)
			}
			r.frameRG[i] = int32(g)
		}
		row += nh
	}
	if row != total {
		return fmt.Errorf("frame index covers %d rows, file has %d", row, total)
	}
	return nil
}

// Meta returns the file's metadata.
func (r *TracksReader) Meta() TracksMeta { return r.meta }

// NumFrames returns the number of frames in the file.
func (r *TracksReader) NumFrames() int { return len(r.table.Frame) }

// ReadFrameInto decodes the frame at position i (0 <= i < NumFrames) into
// dst, reusing the capacity of dst.Hits and dst.WEPL (nil without the WEPL
// columns). Rows that break the layout of TracksWriter.Write give a
// *FormatError naming the frame.
func (r *TracksReader) ReadFrameInto(dst *FrameTracks, i int) (err error) {
	if i < 0 || i >= len(r.table.Frame) {
		return fmt.Errorf("dataset: %q: frame position %d out of range [0, %d)", r.path, i, len(r.table.Frame))
	}
	dst.Frame, dst.Skip = r.table.Frame[i], r.table.Skip[i]
	n := int(r.table.NumHits[i])
	if cap(dst.Hits) < n {
		dst.Hits = make([]TrackHit, n)
	}
	dst.Hits = dst.Hits[:n]
	dst.WEPL = dst.WEPL[:0]
	if !r.opt.hasWEPL {
		dst.WEPL = nil
	}
	bad := func(err error) error { return &FormatError{File: r.path, Entry: dst.Frame, Unit: "frame", Err: err} }
	if n == 0 {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = bad(fmt.Errorf("corrupt frame data: %v", p))
		}
	}()
	var s readScratch
	s.grow(n)
	g := r.frameRG[i]
	off := r.table.FirstRow[i] - r.rgStart[g]
	chunks := r.pf.RowGroups()[g].ColumnChunks()
	hits := dst.Hits
	for c := range numTrackColumns {
		cc := chunks[r.col[c]]
		var err error
		switch trackColumnKinds[c] {
		case parquet.Int64:
			if err = readColumn(cc, off, s.i64[:n], readI64); err != nil {
				break
			}
			for j, v := range s.i64[:n] {
				if c == tEvent {
					hits[j].EventID = v
				} else if v != dst.Frame {
					err = fmt.Errorf("row of frame %d in frame %d", v, dst.Frame)
					break
				}
			}
		case parquet.Int32:
			if err = readColumn(cc, off, s.i32[:n], readI32); err != nil {
				break
			}
			for j, v := range s.i32[:n] {
				switch c {
				case tTrack:
					hits[j].Track = v
				case tOrder:
					hits[j].Order = v
				case tHit:
					hits[j].Hit = v
				case tLayer:
					hits[j].Layer = v
				}
			}
		case parquet.Float:
			if err = readColumn(cc, off, s.f32[:n], readF32); err != nil {
				break
			}
			for j, v := range s.f32[:n] {
				switch c {
				case tX:
					hits[j].X = v
				case tY:
					hits[j].Y = v
				case tZ:
					hits[j].Z = v
				case tEdep:
					hits[j].Edep = v
				}
			}
		}
		if err != nil {
			return bad(fmt.Errorf("column %q: %w", trackColumnNames[c], err))
		}
	}
	if err := checkFrameTracks(dst); err != nil {
		return bad(err)
	}
	if got := dst.NumTracks(); got != int(r.table.NumTracks[i]) {
		return bad(fmt.Errorf("%d tracks in the rows, %d in the frame index", got, r.table.NumTracks[i]))
	}
	if err := r.readOptional(dst, chunks, off, &s); err != nil {
		return bad(err)
	}
	return nil
}

// Close closes the file; it may be called more than once.
func (r *TracksReader) Close() error {
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return nil
}

// ReadAllTracks reads a whole tracks file into memory.
func ReadAllTracks(path string) (TracksMeta, []FrameTracks, error) {
	r, err := OpenTracks(path)
	if err != nil {
		return TracksMeta{}, nil, err
	}
	defer r.Close()
	frames := make([]FrameTracks, r.NumFrames())
	for i := range frames {
		if err := r.ReadFrameInto(&frames[i], i); err != nil {
			return TracksMeta{}, nil, err
		}
	}
	return r.meta, frames, nil
}
