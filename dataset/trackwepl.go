package dataset

import (
	"fmt"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// TrackWEPL is what package wepl measures of one track: its water-equivalent
// path length and residual range, the fit quality, and where and in which
// direction the proton left the patient as the tracker layers see it. A
// tracks file stores it on every row of the track (SCHEMA.md); NaN fields
// mean not measured.
type TrackWEPL struct {
	WEPL  float32 // mm of water
	Range float32 // residual range in the detector, mm water-equivalent from its front face
	Chi2  float32 // reduced χ² of the range fit
	Flags int32   // bit set of wepl.Flag values
	// ExitX, ExitY, ExitZ is the track at the first tracker plane, mm;
	// ExitTX, ExitTY its direction tangents dx/dz and dy/dz.
	ExitX, ExitY, ExitZ float32
	ExitTX, ExitTY      float32
}

// NoWEPL is the TrackWEPL of a track that was not measured.
var NoWEPL = TrackWEPL{WEPL: nan32, Range: nan32, Chi2: nan32,
	ExitX: nan32, ExitY: nan32, ExitZ: nan32, ExitTX: nan32, ExitTY: nan32}

// Optional columns of a tracks file, absent in files written before they
// existed: per hit the cluster size, per track (on each of its rows) the
// TrackWEPL.
const colClusterSize = "cluster_size"

var weplColumnNames = [...]string{"wepl", "wepl_range", "wepl_chi2", "wepl_flags",
	"exit_x", "exit_y", "exit_z", "exit_tx", "exit_ty"}

const numWEPLColumns = len(weplColumnNames)

// WEPLColumns returns the names of a tracks file's per-track WEPL columns.
func WEPLColumns() []string { return weplColumnNames[:] }

// floats returns pointers to the FLOAT columns' fields of w, in
// weplColumnNames order with wepl_flags (an INT32) as nil.
func (w *TrackWEPL) floats() [numWEPLColumns]*float32 {
	return [numWEPLColumns]*float32{&w.WEPL, &w.Range, &w.Chi2, nil,
		&w.ExitX, &w.ExitY, &w.ExitZ, &w.ExitTX, &w.ExitTY}
}

// setWEPL copies w into the WEPL fields of row r.
func (r *trackRow) setWEPL(w *TrackWEPL) {
	r.WEPL, r.WEPLRange, r.WEPLChi2, r.WEPLFlags = w.WEPL, w.Range, w.Chi2, w.Flags
	r.ExitX, r.ExitY, r.ExitZ, r.ExitTX, r.ExitTY = w.ExitX, w.ExitY, w.ExitZ, w.ExitTX, w.ExitTY
}

// checkWEPL checks f.WEPL against the tracks of f.
func checkWEPL(f *FrameTracks) error {
	if f.WEPL == nil {
		return nil
	}
	if n := f.NumTracks(); len(f.WEPL) != n {
		return fmt.Errorf("%d WEPL records for %d tracks", len(f.WEPL), n)
	}
	for t := range f.WEPL {
		for k, p := range f.WEPL[t].floats() {
			if p != nil && math.IsInf(float64(*p), 0) {
				return fmt.Errorf("track %d: %s is %v", t, weplColumnNames[k], *p)
			}
		}
	}
	return nil
}

// tracksOptional locates the optional columns of a tracks file.
type tracksOptional struct {
	cluster int // column index, -1 if absent
	wepl    [numWEPLColumns]int
	hasWEPL bool
	missing []string
}

func (o *tracksOptional) index(schema *parquet.Schema) error {
	o.missing = nil
	o.cluster = -1
	look := func(name string, kind parquet.Kind) (int, error) {
		leaf, ok := schema.Lookup(name)
		if !ok {
			o.missing = append(o.missing, name)
			return -1, nil
		}
		if k := leaf.Node.Type().Kind(); k != kind || leaf.MaxDefinitionLevel != 0 || leaf.MaxRepetitionLevel != 0 {
			return -1, fmt.Errorf("column %q is %v, want required %v", name, k, kind)
		}
		return leaf.ColumnIndex, nil
	}
	var err error
	if o.cluster, err = look(colClusterSize, parquet.Int32); err != nil {
		return err
	}
	o.hasWEPL = true
	for i, name := range weplColumnNames {
		kind := parquet.Float
		if name == "wepl_flags" {
			kind = parquet.Int32
		}
		if o.wepl[i], err = look(name, kind); err != nil {
			return err
		}
		if o.wepl[i] < 0 {
			o.hasWEPL = false
		}
	}
	return nil
}

// HasWEPL reports whether the file has the per-track WEPL columns, so that
// ReadFrameInto fills FrameTracks.WEPL.
func (r *TracksReader) HasWEPL() bool { return r.opt.hasWEPL }

// HasClusterSize reports whether the file has the per-hit cluster_size
// column; without it TrackHit.ClusterSize is 0.
func (r *TracksReader) HasClusterSize() bool { return r.opt.cluster >= 0 }

// Missing returns the optional columns the file lacks (files written before
// they existed); nil when it has them all.
func (r *TracksReader) Missing() []string { return slices.Clone(r.opt.missing) }

// readOptional fills the cluster sizes and dst.WEPL of the frame's rows
// starting at row off of chunks. Rows of one track that disagree on its
// WEPL are an error.
func (r *TracksReader) readOptional(dst *FrameTracks, chunks []parquet.ColumnChunk, off int64, s *readScratch) error {
	n := len(dst.Hits)
	hits := dst.Hits
	if c := r.opt.cluster; c >= 0 {
		if err := readColumn(chunks[c], off, s.i32[:n]); err != nil {
			return fmt.Errorf("column %q: %w", colClusterSize, err)
		}
		for j, v := range s.i32[:n] {
			hits[j].ClusterSize = v
		}
	} else {
		for j := range hits {
			hits[j].ClusterSize = 0
		}
	}
	dst.WEPL = dst.WEPL[:0]
	if !r.opt.hasWEPL {
		dst.WEPL = nil
		return nil
	}
	for j := range hits {
		if j == 0 || hits[j].Track != hits[j-1].Track {
			dst.WEPL = append(dst.WEPL, TrackWEPL{})
		}
	}
	for k, name := range weplColumnNames {
		cc := chunks[r.opt.wepl[k]]
		if name == "wepl_flags" {
			if err := readColumn(cc, off, s.i32[:n]); err != nil {
				return fmt.Errorf("column %q: %w", name, err)
			}
			for j, v := range s.i32[:n] {
				w := &dst.WEPL[hits[j].Track]
				if hits[j].Order == 0 {
					w.Flags = v
				} else if w.Flags != v {
					return fmt.Errorf("column %q: rows of track %d disagree (%d, %d)", name, hits[j].Track, w.Flags, v)
				}
			}
			continue
		}
		if err := readColumn(cc, off, s.f32[:n]); err != nil {
			return fmt.Errorf("column %q: %w", name, err)
		}
		for j, v := range s.f32[:n] {
			p := dst.WEPL[hits[j].Track].floats()[k]
			if hits[j].Order == 0 {
				*p = v
			} else if math.Float32bits(*p) != math.Float32bits(v) {
				return fmt.Errorf("column %q: rows of track %d disagree (%v, %v)", name, hits[j].Track, *p, v)
			}
		}
	}
	return nil
}
