package dataset

import (
	"errors"
	"fmt"
	"slices"

	"github.com/parquet-go/parquet-go"

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

var tracksContainer = &container{
	what:      "tracks ",
	formatKey: KeyTracksFormat, metaKey: KeyTracksMeta, framesKey: KeyTracksFrames,
	version: TracksFormatVersion, createdBy: "pcttrack tracks format 1", errForeign: ErrNotTracks,
	columns: trackColumnNames[:], kinds: trackColumnKinds[:],
}

// trackTable is the per-frame index stored under KeyTracksFrames.
type trackTable struct {
	rowIndex
	NumTracks []int32  `json:"num_tracks"`
	Skip      []string `json:"skip"`
}

func (t *trackTable) rows() *rowIndex { return &t.rowIndex }

// check returns the number of frames; the arrays must agree in length and
// a frame cannot have more tracks than rows.
func (t *trackTable) check() (int, error) {
	n := len(t.Frame)
	if len(t.FirstRow) != n || len(t.NumHits) != n || len(t.NumTracks) != n || len(t.Skip) != n {
		return 0, fmt.Errorf("footer key %q: columns of different lengths", KeyTracksFrames)
	}
	for i := range n {
		if t.NumTracks[i] < 0 || int64(t.NumTracks[i]) > t.NumHits[i] {
			return 0, fmt.Errorf("frame %d: %d tracks in %d rows", t.Frame[i], t.NumTracks[i], t.NumHits[i])
		}
	}
	return n, nil
}

// TracksWriter writes reconstructed tracks to a tracks file. Like Writer it
// writes to a temporary file that Close renames, is deterministic (the same
// meta and frames give the same bytes), keeps its first error and is not
// safe for concurrent use.
type TracksWriter struct {
	frameWriter[trackRow]
	meta  TracksMeta
	table trackTable
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
	w := &TracksWriter{meta: meta, table: trackTable{rowIndex: newRowIndex(), NumTracks: []int32{}, Skip: []string{}}}
	if err := w.create(tracksContainer, path); err != nil {
		return nil, err
	}
	return w, nil
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
	if err := w.usable(f == nil); err != nil {
		return err
	}
	if err := w.follows(f.Frame); err != nil {
		return err
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
	first, err := w.writeFrame(f.Frame)
	if err != nil {
		return err
	}
	t := &w.table
	t.add(f.Frame, first, int64(len(f.Hits)))
	t.NumTracks = append(t.NumTracks, int32(f.NumTracks()))
	t.Skip = append(t.Skip, f.Skip)
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
		if err := checkLayer(h.Layer); err != nil {
			return fmt.Errorf("track hit %d: %w", j, err)
		}
		if !finite32(h.X) || !finite32(h.Y) || !finite32(h.Z) || !finite32(h.Edep) {
			return fmt.Errorf("track hit %d: non-finite position or energy (%v, %v, %v, %v)", j, h.X, h.Y, h.Z, h.Edep)
		}
	}
	return nil
}

// NumFrames returns the number of frames written so far.
func (w *TracksWriter) NumFrames() int { return len(w.table.Frame) }

// Close writes the footer and renames the file into place. After an error
// in Write, Close discards the file and returns that error. Later calls
// return the first call's result.
func (w *TracksWriter) Close() error { return w.close(&w.meta, &w.table) }

// Abort discards the output; a no-op after a successful Close, so
// `defer w.Abort()` cleans up on error paths.
func (w *TracksWriter) Abort() { w.abort() }

// TracksReader gives random access to the frames of a tracks file. Its
// methods are safe for concurrent use.
type TracksReader struct {
	frameFile
	meta  TracksMeta
	table trackTable
	opt   tracksOptional
}

// OpenTracks opens a tracks file written by CreateTracks and checks its
// footer, schema and frame index. A missing or corrupt file, or a Parquet
// file that is not a tracks file, is an error (a *FormatError for bad
// content, wrapping ErrNotTracks for a foreign file).
func OpenTracks(path string) (*TracksReader, error) {
	r := &TracksReader{}
	if err := r.open(tracksContainer, path, &r.meta, &r.table, r.opt.index); err != nil {
		return nil, err
	}
	r.meta.Version = r.version
	return r, nil
}

// Meta returns the file's metadata.
func (r *TracksReader) Meta() TracksMeta { return r.meta }

// NumFrames returns the number of frames in the file.
func (r *TracksReader) NumFrames() int { return len(r.table.Frame) }

// ReadFrameInto decodes the frame at position i (0 <= i < NumFrames) into
// dst, reusing the capacity of dst.Hits and dst.WEPL (nil without the WEPL
// columns). Rows that break the layout of TracksWriter.Write give a
// *FormatError naming the frame.
func (r *TracksReader) ReadFrameInto(dst *FrameTracks, i int) error {
	if i < 0 || i >= len(r.table.Frame) {
		return fmt.Errorf("dataset: %q: frame position %d out of range [0, %d)", r.path, i, len(r.table.Frame))
	}
	dst.Frame, dst.Skip = r.table.Frame[i], r.table.Skip[i]
	n := int(r.table.NumHits[i])
	dst.Hits = slices.Grow(dst.Hits[:0], n)[:n]
	dst.WEPL = dst.WEPL[:0]
	if !r.opt.hasWEPL {
		dst.WEPL = nil
	}
	if n == 0 {
		return nil
	}
	hits := dst.Hits
	return r.readFrame(i, n, func(c int, s *readScratch) {
		switch c {
		case tTrack:
			scatter(hits, s.i32[:n], func(h *TrackHit, v int32) { h.Track = v })
		case tOrder:
			scatter(hits, s.i32[:n], func(h *TrackHit, v int32) { h.Order = v })
		case tHit:
			scatter(hits, s.i32[:n], func(h *TrackHit, v int32) { h.Hit = v })
		case tLayer:
			scatter(hits, s.i32[:n], func(h *TrackHit, v int32) { h.Layer = v })
		case tX:
			scatter(hits, s.f32[:n], func(h *TrackHit, v float32) { h.X = v })
		case tY:
			scatter(hits, s.f32[:n], func(h *TrackHit, v float32) { h.Y = v })
		case tZ:
			scatter(hits, s.f32[:n], func(h *TrackHit, v float32) { h.Z = v })
		case tEdep:
			scatter(hits, s.f32[:n], func(h *TrackHit, v float32) { h.Edep = v })
		case tEvent:
			scatter(hits, s.i64[:n], func(h *TrackHit, v int64) { h.EventID = v })
		}
	}, func(chunks []parquet.ColumnChunk, off int64, s *readScratch) error {
		if err := checkFrameTracks(dst); err != nil {
			return err
		}
		if got := dst.NumTracks(); got != int(r.table.NumTracks[i]) {
			return fmt.Errorf("%d tracks in the rows, %d in the frame index", got, r.table.NumTracks[i])
		}
		return r.readOptional(dst, chunks, off, s)
	})
}

// ReadAllTracks reads a whole tracks file into memory.
func ReadAllTracks(path string) (TracksMeta, []FrameTracks, error) {
	return readAll[TracksMeta, FrameTracks](OpenTracks(path))
}
