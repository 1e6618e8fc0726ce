package dataset

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// State is where a primary crosses a plane: position in mm, direction as
// the tangents dx/dz and dy/dz, kinetic energy in MeV. All fields are NaN
// when the primary did not reach the plane (or the file does not know).
type State struct {
	X, Y   float32
	TX, TY float32
	E      float32
}

// NaNState is the State of a plane that was not reached.
var NaNState = State{X: nan32, Y: nan32, TX: nan32, TY: nan32, E: nan32}

var nan32 = float32(math.NaN())

// Reached reports whether the state is known (E is not NaN).
func (s State) Reached() bool { return !math.IsNaN(float64(s.E)) }

// PrimaryTruth is the Monte-Carlo truth of one primary history that range
// and WEPL studies need and the hits do not carry.
type PrimaryTruth struct {
	EventID int64 // the history (Hit.EventID)
	// WEPL is the water-equivalent path length of the primary through the
	// phantom, mm: its path length weighted by the phantom's stopping-power
	// ratio to water at the local energy (1 for water). 0 without a
	// phantom; NaN if the primary did not leave the phantom (it stopped or
	// interacted there) or the file does not know.
	WEPL float32
	// Exit is the primary at the downstream face of the phantom (NaN
	// without a phantom).
	Exit State
	// Layer0 is the primary at the sensor plane of layer 0 (the centre of
	// its sensitive slab, where its hit is), with the energy it has on
	// entering that slab.
	Layer0 State
}

// Truth columns of a dataset (SCHEMA.md, "Monte-Carlo truth per primary"):
// every row carries the truth of its history's primary. Files written
// before these columns existed lack them; Reader.Missing lists them and
// Reader.SetTruth refuses to read them.
var truthColumnNames = [...]string{
	"mc_wepl",
	"mc_exit_x", "mc_exit_y", "mc_exit_tx", "mc_exit_ty", "mc_exit_e",
	"mc_layer0_x", "mc_layer0_y", "mc_layer0_tx", "mc_layer0_ty", "mc_layer0_e",
}

const numTruthColumns = len(truthColumnNames)

// TruthColumns returns the names of the per-primary truth columns.
func TruthColumns() []string { return truthColumnNames[:] }

// fields returns pointers to the columns' fields of p, in truthColumnNames order.
func (p *PrimaryTruth) fields() [numTruthColumns]*float32 {
	return [numTruthColumns]*float32{&p.WEPL,
		&p.Exit.X, &p.Exit.Y, &p.Exit.TX, &p.Exit.TY, &p.Exit.E,
		&p.Layer0.X, &p.Layer0.Y, &p.Layer0.TX, &p.Layer0.TY, &p.Layer0.E}
}

// unknownTruth is the truth written for a history the frame has none for.
var unknownTruth = PrimaryTruth{WEPL: nan32, Exit: NaNState, Layer0: NaNState}

// FindPrimary returns the truth of history event in f.Primaries (sorted by
// EventID) and whether it is there. O(log n).
func (f *Frame) FindPrimary(event int64) (*PrimaryTruth, bool) {
	i, ok := slices.BinarySearchFunc(f.Primaries, PrimaryTruth{EventID: event}, cmpEvent)
	if !ok {
		return nil, false
	}
	return &f.Primaries[i], true
}

// checkPrimaries checks that ps is sorted by strictly increasing EventID
// and holds no infinite values (NaN means unknown).
func checkPrimaries(ps []PrimaryTruth) error {
	for i := range ps {
		if i > 0 && ps[i].EventID <= ps[i-1].EventID {
			return fmt.Errorf("primary truth %d: event %d after event %d; want strictly increasing events", i, ps[i].EventID, ps[i-1].EventID)
		}
		for k, f := range ps[i].fields() {
			if math.IsInf(float64(*f), 0) {
				return fmt.Errorf("primary truth of event %d: %s is %v", ps[i].EventID, truthColumnNames[k], *f)
			}
		}
	}
	return nil
}

// truthCursor finds the truth of consecutive hits quickly: hits of one
// history usually follow each other.
type truthCursor struct {
	ps  []PrimaryTruth
	cur int
}

func (c *truthCursor) find(event int64) *PrimaryTruth {
	if c.cur < len(c.ps) && c.ps[c.cur].EventID == event {
		return &c.ps[c.cur]
	}
	i, ok := slices.BinarySearchFunc(c.ps, PrimaryTruth{EventID: event}, cmpEvent)
	if !ok {
		return &unknownTruth
	}
	c.cur = i
	return &c.ps[i]
}

// setTruth copies truth p into the truth fields of row r.
func (r *hitRow) setTruth(p *PrimaryTruth) {
	r.MCWEPL = p.WEPL
	r.MCExitX, r.MCExitY, r.MCExitTX, r.MCExitTY, r.MCExitE = p.Exit.X, p.Exit.Y, p.Exit.TX, p.Exit.TY, p.Exit.E
	r.MCLayer0X, r.MCLayer0Y, r.MCLayer0TX, r.MCLayer0TY, r.MCLayer0E = p.Layer0.X, p.Layer0.Y, p.Layer0.TX, p.Layer0.TY, p.Layer0.E
}

// indexTruth finds the truth columns in the schema; absent ones are listed
// in r.missing and make the reader skip truth. A truth column of the wrong
// type is an error.
func (r *Reader) indexTruth(schema *parquet.Schema) error {
	r.missing = r.missing[:0]
	for i, name := range truthColumnNames {
		leaf, ok := schema.Lookup(name)
		if !ok {
			r.missing = append(r.missing, name)
			continue
		}
		if k := leaf.Node.Type().Kind(); k != parquet.Float || leaf.MaxDefinitionLevel != 0 || leaf.MaxRepetitionLevel != 0 {
			return fmt.Errorf("column %q is %v, want required FLOAT", name, k)
		}
		r.truthCol[i] = leaf.ColumnIndex
	}
	r.hasTruth = len(r.missing) == 0
	return nil
}

// HasTruth reports whether the file has the per-primary truth columns.
func (r *Reader) HasTruth() bool { return r.hasTruth }

// SetTruth makes ReadFrameInto fill Frame.Primaries from the truth columns
// (on) or not (off, the default: decoding them more than doubles the time
// to read a frame, and tracking does not need them). Turning it on for a
// file without them is an error naming the missing columns. Call it before
// reading, not concurrently with ReadFrameInto.
func (r *Reader) SetTruth(on bool) error {
	if on && !r.hasTruth {
		return &FormatError{File: r.path, Entry: -1, Err: fmt.Errorf("no Monte-Carlo truth: the file lacks the columns %s (written before they existed)",
			strings.Join(r.missing, ", "))}
	}
	r.readTrue = on
	return nil
}

// Missing returns the optional columns the file lacks (the truth columns
// of files written before they existed); nil when it has them all.
func (r *Reader) Missing() []string {
	if len(r.missing) == 0 {
		return nil
	}
	return slices.Clone(r.missing)
}

// truthWork is readTruth's scratch: the values of one column, and per row
// the index of its history in Frame.Primaries and per history its first row.
type truthWork struct {
	vals  []float32
	entry []int32
	first []int32
}

var truthScratch = sync.Pool{New: func() any { return new(truthWork) }}

func cmpEvent(a, b PrimaryTruth) int {
	switch {
	case a.EventID < b.EventID:
		return -1
	case a.EventID > b.EventID:
		return 1
	}
	return 0
}

// readTruth fills dst.Primaries from the truth columns of the frame's rows
// starting at row off of the row group's chunks: one entry per history
// with hits, sorted by event. Rows of one history that disagree are an
// error.
func (r *Reader) readTruth(dst *Frame, chunks []parquet.ColumnChunk, off int64) error {
	hits := dst.Hits
	n := len(hits)
	ps := dst.Primaries[:0]
	sorted := true
	for j := range hits {
		e := hits[j].EventID
		if k := len(ps); k == 0 || ps[k-1].EventID != e {
			if k > 0 && e < ps[k-1].EventID {
				sorted = false
			}
			ps = append(ps, PrimaryTruth{EventID: e})
		}
	}
	if !sorted {
		slices.SortFunc(ps, cmpEvent)
		ps = slices.CompactFunc(ps, func(a, b PrimaryTruth) bool { return a.EventID == b.EventID })
	}
	dst.Primaries = ps
	w := truthScratch.Get().(*truthWork)
	defer truthScratch.Put(w)
	if cap(w.vals) < n {
		w.vals = make([]float32, n)
		w.entry = make([]int32, n)
	}
	if cap(w.first) < len(ps) {
		w.first = make([]int32, len(ps))
	}
	vals, entry, first := w.vals[:n], w.entry[:n], w.first[:len(ps)]
	for i := range first {
		first[i] = -1
	}
	cur := truthCursor{ps: ps}
	for j := range hits {
		cur.find(hits[j].EventID)
		entry[j] = int32(cur.cur)
		if first[cur.cur] < 0 {
			first[cur.cur] = int32(j)
		}
	}
	for c := range numTruthColumns {
		if err := readColumn(chunks[r.truthCol[c]], off, vals); err != nil {
			return fmt.Errorf("column %q: %w", truthColumnNames[c], err)
		}
		for i := range ps {
			*ps[i].fields()[c] = vals[first[i]]
		}
		for j, v := range vals {
			if got := *ps[entry[j]].fields()[c]; math.Float32bits(got) != math.Float32bits(v) {
				return fmt.Errorf("column %q: rows of event %d disagree (%v, %v)", truthColumnNames[c], hits[j].EventID, got, v)
			}
		}
	}
	return nil
}
