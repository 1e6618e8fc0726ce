package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// Column indexes into Reader.col, in hitRow order.
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
	path    string
	file    *os.File
	pf      *parquet.File
	meta    Meta
	table   frameTable
	metas   []FrameMeta
	frameRG []int32 // row group holding frame i; -1 for a frame without hits
	rgStart []int64 // first row of each row group
	col     [numColumns]int
	scratch sync.Pool // *readScratch
	// optional truth columns (truth.go)
	truthCol [numTruthColumns]int
	hasTruth bool
	readTrue bool // SetTruth
	missing  []string
}

type readScratch struct {
	i64 []int64
	i32 []int32
	f32 []float32
	b   []bool
}

// Open opens a dataset written by Create and checks its footer: the
// schema, the metadata and the frame index. A missing, truncated or
// corrupt file, or a Parquet file not written by this package, is an
// error (a *FormatError for bad content).
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r, err := open(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func open(path string, f *os.File) (r *Reader, err error) {
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
	r = &Reader{path: path, file: f, pf: pf}
	vs, ok := pf.Lookup(KeyFormat)
	if !ok {
		return nil, bad(fmt.Errorf("%w (no %q footer key)", ErrNotDataset, KeyFormat))
	}
	v, err := strconv.Atoi(vs)
	if err != nil || v < 1 {
		return nil, bad(fmt.Errorf("bad format version %q", vs))
	}
	if v > FormatVersion {
		return nil, bad(fmt.Errorf("format version %d is newer than this program's %d", v, FormatVersion))
	}
	ms, _ := pf.Lookup(KeyMeta)
	if err := json.Unmarshal([]byte(ms), &r.meta); err != nil {
		return nil, bad(fmt.Errorf("footer key %q: %w", KeyMeta, err))
	}
	r.meta.Version = v
	fs, _ := pf.Lookup(KeyFrames)
	if err := json.Unmarshal([]byte(fs), &r.table); err != nil {
		return nil, bad(fmt.Errorf("footer key %q: %w", KeyFrames, err))
	}
	if err := r.index(); err != nil {
		return nil, bad(err)
	}
	return r, nil
}

// index checks the schema and the frame table against the row groups.
func (r *Reader) index() error {
	schema := r.pf.Schema()
	for i, name := range columnNames {
		leaf, ok := schema.Lookup(name)
		if !ok {
			return fmt.Errorf("%w: no column %q", ErrNotDataset, name)
		}
		if k := leaf.Node.Type().Kind(); k != columnKinds[i] || leaf.MaxDefinitionLevel != 0 || leaf.MaxRepetitionLevel != 0 {
			return fmt.Errorf("%w: column %q is %v, want required %v", ErrNotDataset, name, k, columnKinds[i])
		}
		r.col[i] = leaf.ColumnIndex
	}
	if err := r.indexTruth(schema); err != nil {
		return err
	}
	n := r.table.len()
	if n < 0 {
		return fmt.Errorf("footer key %q: columns of different lengths", KeyFrames)
	}
	var start int64
	for _, rg := range r.pf.RowGroups() {
		r.rgStart = append(r.rgStart, start)
		start += rg.NumRows()
	}
	total := start
	r.metas = make([]FrameMeta, n)
	r.frameRG = make([]int32, n)
	var row int64
	for i := range n {
		r.metas[i] = r.table.meta(i)
		if err := checkFrameMeta(&r.metas[i]); err != nil {
			return fmt.Errorf("frame %d: %w", r.metas[i].Frame, err)
		}
		if i > 0 && r.metas[i].Frame <= r.metas[i-1].Frame {
			return fmt.Errorf("frame index not increasing at position %d (%d after %d)", i, r.metas[i].Frame, r.metas[i-1].Frame)
		}
		first, nh := r.table.FirstRow[i], r.table.NumHits[i]
		if first != row || nh < 0 || nh > total-row {
			return fmt.Errorf("frame %d: rows [%d, %d+%d) do not follow the previous frame (row %d of %d)", r.metas[i].Frame, first, first, nh, row, total)
		}
		r.frameRG[i] = -1
		if nh > 0 {
			g := sort.Search(len(r.rgStart), func(k int) bool { return r.rgStart[k] > first }) - 1
			end := total
			if g+1 < len(r.rgStart) {
				end = r.rgStart[g+1]
			}
			if first+nh > end {
				return fmt.Errorf("frame %d spans two row groups", r.metas[i].Frame)
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
func (r *Reader) ReadFrameInto(dst *Frame, i int) (err error) {
	if i < 0 || i >= len(r.metas) {
		return fmt.Errorf("dataset: %q: frame position %d out of range [0, %d)", r.path, i, len(r.metas))
	}
	dst.Meta = r.metas[i]
	n := int(r.table.NumHits[i])
	if cap(dst.Hits) < n {
		dst.Hits = make([]Hit, n)
	}
	dst.Hits = dst.Hits[:n]
	dst.Primaries = dst.Primaries[:0]
	if n == 0 {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = &FormatError{File: r.path, Entry: dst.Meta.Frame, Unit: "frame", Err: fmt.Errorf("corrupt frame data: %v", p)}
		}
	}()
	s, _ := r.scratch.Get().(*readScratch)
	if s == nil {
		s = new(readScratch)
	}
	defer r.scratch.Put(s)
	s.grow(n)
	rg := r.pf.RowGroups()[r.frameRG[i]]
	off := r.table.FirstRow[i] - r.rgStart[r.frameRG[i]]
	chunks := rg.ColumnChunks()
	hits := dst.Hits
	wrap := func(c int, err error) error {
		return &FormatError{File: r.path, Entry: dst.Meta.Frame, Unit: "frame", Err: fmt.Errorf("column %q: %w", columnNames[c], err)}
	}
	for c := range numColumns {
		cc := chunks[r.col[c]]
		switch columnKinds[c] {
		case parquet.Int64:
			if err := readColumn(cc, off, s.i64[:n], readI64); err != nil {
				return wrap(c, err)
			}
			for j, v := range s.i64[:n] {
				if c == cEvent {
					hits[j].EventID = v
				} else if v != dst.Meta.Frame {
					return wrap(c, fmt.Errorf("row of frame %d in frame %d", v, dst.Meta.Frame))
				}
			}
		case parquet.Int32:
			if err := readColumn(cc, off, s.i32[:n], readI32); err != nil {
				return wrap(c, err)
			}
			for j, v := range s.i32[:n] {
				switch c {
				case cLayer:
					hits[j].Layer = v
				case cCluster:
					hits[j].ClusterSize = v
				case cTrack:
					hits[j].TrackID = v
				case cParent:
					hits[j].ParentID = v
				case cPDG:
					hits[j].PDG = v
				}
			}
		case parquet.Float:
			if err := readColumn(cc, off, s.f32[:n], readF32); err != nil {
				return wrap(c, err)
			}
			for j, v := range s.f32[:n] {
				switch c {
				case cX:
					hits[j].X = v
				case cY:
					hits[j].Y = v
				case cZ:
					hits[j].Z = v
				case cEdep:
					hits[j].Edep = v
				}
			}
		case parquet.Boolean:
			if err := readColumn(cc, off, s.b[:n], readBool); err != nil {
				return wrap(c, err)
			}
			for j, v := range s.b[:n] {
				hits[j].Primary = v
			}
		}
	}
	if r.readTrue {
		if err := r.readTruth(dst, chunks, off); err != nil {
			return &FormatError{File: r.path, Entry: dst.Meta.Frame, Unit: "frame", Err: err}
		}
	}
	return nil
}

func (s *readScratch) grow(n int) {
	if cap(s.i64) < n {
		s.i64 = make([]int64, n)
		s.i32 = make([]int32, n)
		s.f32 = make([]float32, n)
		s.b = make([]bool, n)
	}
}

// readColumn reads len(dst) values of one column chunk from row off on.
func readColumn[T any](cc parquet.ColumnChunk, off int64, dst []T, read func(parquet.ValueReader, []T) (int, error)) error {
	pages := cc.Pages()
	defer pages.Close()
	if err := pages.SeekToRow(off); err != nil {
		return err
	}
	got := 0
	for got < len(dst) {
		p, err := pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		vr := p.Values()
		for got < len(dst) {
			k, err := read(vr, dst[got:])
			got += k
			if errors.Is(err, io.EOF) || (err == nil && k == 0) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return err
			}
		}
		parquet.Release(p)
	}
	return nil
}

func readI64(vr parquet.ValueReader, dst []int64) (int, error) {
	if r, ok := vr.(parquet.Int64Reader); ok {
		return r.ReadInt64s(dst)
	}
	return readValues(vr, dst, parquet.Value.Int64)
}

func readI32(vr parquet.ValueReader, dst []int32) (int, error) {
	if r, ok := vr.(parquet.Int32Reader); ok {
		return r.ReadInt32s(dst)
	}
	return readValues(vr, dst, parquet.Value.Int32)
}

func readF32(vr parquet.ValueReader, dst []float32) (int, error) {
	if r, ok := vr.(parquet.FloatReader); ok {
		return r.ReadFloats(dst)
	}
	return readValues(vr, dst, parquet.Value.Float)
}

func readBool(vr parquet.ValueReader, dst []bool) (int, error) {
	if r, ok := vr.(parquet.BooleanReader); ok {
		return r.ReadBooleans(dst)
	}
	return readValues(vr, dst, parquet.Value.Boolean)
}

// readValues is the slow path for pages without a typed reader (e.g. a
// dictionary-encoded page written by another tool).
func readValues[T any](vr parquet.ValueReader, dst []T, conv func(parquet.Value) T) (int, error) {
	buf := make([]parquet.Value, len(dst))
	k, err := vr.ReadValues(buf)
	for j := range k {
		dst[j] = conv(buf[j])
	}
	return k, err
}

// Close closes the file.
func (r *Reader) Close() error {
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

// ReadAll reads a whole dataset into memory.
func ReadAll(path string) (Meta, []Frame, error) {
	r, err := Open(path)
	if err != nil {
		return Meta{}, nil, err
	}
	defer r.Close()
	frames := make([]Frame, r.NumFrames())
	for i := range frames {
		if err := r.ReadFrameInto(&frames[i], i); err != nil {
			return Meta{}, nil, err
		}
	}
	return r.Meta(), frames, nil
}
