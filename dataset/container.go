package dataset

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
)

// A container is the Parquet layout that datasets and tracks files share
// (SCHEMA.md): required columns, the first the frame index; rows grouped by
// frame, each frame one data page in every column and row groups of whole
// frames, so that a reader seeks straight to one frame; zstd; and three
// footer keys: the format version, a JSON metadata object and a JSON
// per-frame index that starts with a rowIndex.
type container struct {
	what                          string // "" for a dataset, "tracks " for a tracks file (in messages)
	formatKey, metaKey, framesKey string
	version                       int
	createdBy                     string
	errForeign                    error // wrapped for a Parquet file of another kind
	columns                       []string
	kinds                         []parquet.Kind
}

// Row-group layout: a row group is closed once it has rowGroupRows rows or
// rowGroupFrames frames.
const (
	rowGroupRows   = 1 << 17
	rowGroupFrames = 256
)

var zstdCodec = &zstd.Codec{Level: zstd.SpeedDefault}

var errAborted = errors.New("dataset: writer aborted")

// rowIndex locates the frames of a container file: frame Frame[i] is the
// rows [FirstRow[i], FirstRow[i]+NumHits[i]). Embedded first in a frame
// index, its arrays come first in the footer's JSON.
type rowIndex struct {
	Frame    []int64 `json:"frame"`
	FirstRow []int64 `json:"first_row"`
	NumHits  []int64 `json:"num_hits"`
}

func newRowIndex() rowIndex {
	return rowIndex{Frame: []int64{}, FirstRow: []int64{}, NumHits: []int64{}} // [] in JSON, not null
}

func (x *rowIndex) add(frame, first, n int64) {
	x.Frame = append(x.Frame, frame)
	x.FirstRow = append(x.FirstRow, first)
	x.NumHits = append(x.NumHits, n)
}

// frameIndex is the decoded per-frame footer key of a container.
type frameIndex interface {
	rows() *rowIndex
	// check returns the number of frames, or an error for arrays of
	// different lengths or bad per-frame metadata.
	check() (int, error)
}

// frameWriter writes the rows of type R of one container file. Like the
// exported writers built on it, it writes to a temporary file that close
// renames, gives the same bytes for the same input and keeps its first
// error.
type frameWriter[R any] struct {
	c        *container
	path     string
	file     *atomicfile.File
	pw       *parquet.GenericWriter[R]
	cols     []*parquet.ColumnWriter
	rows     []R // the current frame's rows, filled by the caller
	nrows    int64
	rgRows   int64
	rgFrames int
	last     int64
	err      error
	done     bool
}

func (w *frameWriter[R]) create(c *container, path string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("dataset: create %s%q: %w", c.what, path, err)
	}
	pw := parquet.NewGenericWriter[R](f, parquet.Compression(zstdCodec), &parquet.WriterConfig{CreatedBy: c.createdBy})
	*w = frameWriter[R]{c: c, path: path, file: f, pw: pw, cols: pw.ColumnWriters(), last: -1}
	return nil
}

// usable returns the sticky error, or an error after close. It panics for
// a nil frame.
func (w *frameWriter[R]) usable(nilFrame bool) error {
	if nilFrame {
		panic("dataset: Write of a nil frame")
	}
	if w.err != nil {
		return w.err
	}
	if w.done {
		return fmt.Errorf("dataset: %q: write after close", w.path)
	}
	return nil
}

// follows checks that frame comes after the last frame written.
func (w *frameWriter[R]) follows(frame int64) error {
	if frame <= w.last {
		return w.fail(fmt.Errorf("dataset: %q: frame %d written after frame %d; frames must be strictly increasing", w.path, frame, w.last))
	}
	return nil
}

// writeFrame writes w.rows as frame frame and returns its first row.
func (w *frameWriter[R]) writeFrame(frame int64) (int64, error) {
	if len(w.rows) > 0 {
		if _, err := w.pw.Write(w.rows); err != nil {
			return 0, w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, frame, err))
		}
		// End the page here so that every frame starts a page.
		for _, c := range w.cols {
			if err := c.Flush(); err != nil {
				return 0, w.fail(fmt.Errorf("dataset: %q: frame %d: %w", w.path, frame, err))
			}
		}
	}
	first, n := w.nrows, int64(len(w.rows))
	w.nrows += n
	w.rgRows += n
	w.rgFrames++
	w.last = frame
	if w.rgRows >= rowGroupRows || w.rgFrames >= rowGroupFrames {
		if err := w.pw.Flush(); err != nil {
			return 0, w.fail(fmt.Errorf("dataset: %q: %w", w.path, err))
		}
		w.rgRows, w.rgFrames = 0, 0
	}
	return first, nil
}

func (w *frameWriter[R]) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// close writes the footer keys, meta and index as JSON, and renames the
// file into place; after an error it discards the file and returns the
// error. Later calls return the first call's result.
func (w *frameWriter[R]) close(meta any, index frameIndex) error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		w.file.Close()
		return w.err
	}
	metaJSON, err := json.Marshal(meta)
	if err == nil {
		var indexJSON []byte
		if indexJSON, err = json.Marshal(index); err == nil {
			w.pw.SetKeyValueMetadata(w.c.formatKey, strconv.Itoa(w.c.version))
			w.pw.SetKeyValueMetadata(w.c.metaKey, string(metaJSON))
			w.pw.SetKeyValueMetadata(w.c.framesKey, string(indexJSON))
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

func (w *frameWriter[R]) abort() {
	if w.done {
		return
	}
	w.done = true
	w.fail(errAborted)
	w.file.Close()
}

// frameFile is an open container file. Its methods are safe for concurrent
// use.
type frameFile struct {
	c       *container
	path    string
	file    *os.File
	pf      *parquet.File
	version int
	index   *rowIndex
	frameRG []int32 // row group holding frame i; -1 for a frame without rows
	rgStart []int64 // first row of each row group
	col     []int   // leaf column of each of c.columns
	scratch sync.Pool
}

type readScratch struct {
	i64 []int64
	i32 []int32
	f32 []float32
	b   []bool
}

// open opens path and decodes its footer into meta and index, which it
// then checks against the schema and the row groups; optional, if not nil,
// finds the format's optional columns in the schema. A missing file is an
// error wrapping the os error; bad content is a *FormatError, wrapping
// c.errForeign for a Parquet file of another kind.
func (r *frameFile) open(c *container, path string, meta any, index frameIndex, optional func(*parquet.Schema) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	if err := r.decode(c, path, f, meta, index, optional); err != nil {
		f.Close()
		return err
	}
	return nil
}

func (r *frameFile) decode(c *container, path string, f *os.File, meta any, index frameIndex, optional func(*parquet.Schema) error) (err error) {
	bad := func(err error) error { return &FormatError{File: path, Entry: -1, Err: err} }
	defer func() {
		if p := recover(); p != nil {
			err = bad(fmt.Errorf("corrupt Parquet file: %v", p))
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	if err := checkFooter(f, st.Size()); err != nil {
		return bad(err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipBloomFilters(true))
	if err != nil {
		return bad(fmt.Errorf("not a readable Parquet file: %w", err))
	}
	vs, ok := pf.Lookup(c.formatKey)
	if !ok {
		return bad(fmt.Errorf("%w (no %q footer key)", c.errForeign, c.formatKey))
	}
	v, err := strconv.Atoi(vs)
	if err != nil || v < 1 {
		return bad(fmt.Errorf("bad %sformat version %q", c.what, vs))
	}
	if v > c.version {
		return bad(fmt.Errorf("%sformat version %d is newer than this program's %d", c.what, v, c.version))
	}
	ms, _ := pf.Lookup(c.metaKey)
	if err := json.Unmarshal([]byte(ms), meta); err != nil {
		return bad(fmt.Errorf("footer key %q: %w", c.metaKey, err))
	}
	fs, _ := pf.Lookup(c.framesKey)
	if err := json.Unmarshal([]byte(fs), index); err != nil {
		return bad(fmt.Errorf("footer key %q: %w", c.framesKey, err))
	}
	r.c, r.path, r.file, r.pf, r.version, r.index = c, path, f, pf, v, index.rows()
	if err := r.checkSchema(); err != nil {
		return bad(err)
	}
	if optional != nil {
		if err := optional(pf.Schema()); err != nil {
			return bad(err)
		}
	}
	n, err := index.check()
	if err != nil {
		return bad(err)
	}
	if err := r.locate(n); err != nil {
		return bad(err)
	}
	return nil
}

func (r *frameFile) checkSchema() error {
	schema := r.pf.Schema()
	r.col = make([]int, len(r.c.columns))
	for i, name := range r.c.columns {
		leaf, ok := schema.Lookup(name)
		if !ok {
			return fmt.Errorf("%w: no column %q", r.c.errForeign, name)
		}
		if k := leaf.Node.Type().Kind(); k != r.c.kinds[i] || leaf.MaxDefinitionLevel != 0 || leaf.MaxRepetitionLevel != 0 {
			return fmt.Errorf("%w: column %q is %v, want required %v", r.c.errForeign, name, k, r.c.kinds[i])
		}
		r.col[i] = leaf.ColumnIndex
	}
	return nil
}

// locate checks that the n frames of the index increase, follow each other
// without gaps, each lie within one row group and together cover the file,
// and finds their row groups.
func (r *frameFile) locate(n int) error {
	x := r.index
	var total int64
	for _, rg := range r.pf.RowGroups() {
		r.rgStart = append(r.rgStart, total)
		total += rg.NumRows()
	}
	r.frameRG = make([]int32, n)
	var row int64
	for i := range n {
		fr := x.Frame[i]
		if fr < 0 || (i > 0 && fr <= x.Frame[i-1]) {
			return fmt.Errorf("frame index not increasing at position %d (frame %d)", i, fr)
		}
		first, nh := x.FirstRow[i], x.NumHits[i]
		if first != row || nh < 0 || nh > total-row {
			return fmt.Errorf("frame %d: rows [%d, %d+%d) do not follow the previous frame (row %d of %d)", fr, first, first, nh, row, total)
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

// readFrame decodes the n > 0 rows of the frame at position i column by
// column: for column c it fills the scratch slice of the column's kind
// (s.i64, s.i32, s.f32 or s.b, length n) and calls set(c, s). It checks
// the frame column against the index. Then after, if not nil, reads the
// format's optional columns from the row group's chunks at row off.
// Corrupt pages, and errors of after, give a *FormatError naming the
// frame.
func (r *frameFile) readFrame(i, n int, set func(c int, s *readScratch), after func(chunks []parquet.ColumnChunk, off int64, s *readScratch) error) (err error) {
	frame := r.index.Frame[i]
	bad := func(err error) error { return &FormatError{File: r.path, Entry: frame, Unit: "frame", Err: err} }
	defer func() {
		if p := recover(); p != nil {
			err = bad(fmt.Errorf("corrupt frame data: %v", p))
		}
	}()
	s, _ := r.scratch.Get().(*readScratch)
	if s == nil {
		s = new(readScratch)
	}
	defer r.scratch.Put(s)
	s.grow(n)
	g := r.frameRG[i]
	off := r.index.FirstRow[i] - r.rgStart[g]
	chunks := r.pf.RowGroups()[g].ColumnChunks()
	for c, kind := range r.c.kinds {
		cc := chunks[r.col[c]]
		var err error
		switch kind {
		case parquet.Int64:
			err = readColumn(cc, off, s.i64[:n])
		case parquet.Int32:
			err = readColumn(cc, off, s.i32[:n])
		case parquet.Float:
			err = readColumn(cc, off, s.f32[:n])
		case parquet.Boolean:
			err = readColumn(cc, off, s.b[:n])
		}
		if err == nil && c == 0 {
			for _, v := range s.i64[:n] {
				if v != frame {
					err = fmt.Errorf("row of frame %d in frame %d", v, frame)
					break
				}
			}
		}
		if err != nil {
			return bad(fmt.Errorf("column %q: %w", r.c.columns[c], err))
		}
		set(c, s)
	}
	if after != nil {
		if err := after(chunks, off, s); err != nil {
			return bad(err)
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

// scatter copies src into one field of each element of dst.
func scatter[H, T any](dst []H, src []T, set func(*H, T)) {
	for j, v := range src {
		set(&dst[j], v)
	}
}

// frameReader is what readAll needs of a Reader or TracksReader.
type frameReader[M, F any] interface {
	Meta() M
	NumFrames() int
	ReadFrameInto(dst *F, i int) error
	Close() error
}

// readAll reads the metadata and every frame of r, which was opened with
// error err, and closes it.
func readAll[M, F any, R frameReader[M, F]](r R, err error) (M, []F, error) {
	var meta M
	if err != nil {
		return meta, nil, err
	}
	defer r.Close()
	frames := make([]F, r.NumFrames())
	for i := range frames {
		if err := r.ReadFrameInto(&frames[i], i); err != nil {
			return meta, nil, err
		}
	}
	return r.Meta(), frames, nil
}

// Close closes the file; it may be called more than once.
func (r *frameFile) Close() error {
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

// column is a Go type of a container column.
type column interface{ int64 | int32 | float32 | bool }

// readColumn reads len(dst) values of one column chunk from row off on.
func readColumn[T column](cc parquet.ColumnChunk, off int64, dst []T) error {
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
			k, err := readValues(vr, dst[got:])
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

// readValues reads through the page's typed reader.
func readValues[T column](vr parquet.ValueReader, dst []T) (int, error) {
	switch d := any(dst).(type) {
	case []int64:
		return readAs(vr, d, parquet.Int64Reader.ReadInt64s, parquet.Value.Int64)
	case []int32:
		return readAs(vr, d, parquet.Int32Reader.ReadInt32s, parquet.Value.Int32)
	case []float32:
		return readAs(vr, d, parquet.FloatReader.ReadFloats, parquet.Value.Float)
	}
	return readAs(vr, any(dst).([]bool), parquet.BooleanReader.ReadBooleans, parquet.Value.Boolean)
}

// readAs reads with the typed reader R if the page has one, else value by
// value (e.g. a dictionary-encoded page written by another tool).
func readAs[R any, T column](vr parquet.ValueReader, dst []T, typed func(R, []T) (int, error), conv func(parquet.Value) T) (int, error) {
	if r, ok := vr.(R); ok {
		return typed(r, dst)
	}
	buf := make([]parquet.Value, len(dst))
	k, err := vr.ReadValues(buf)
	for j, v := range buf[:k] {
		dst[j] = conv(v)
	}
	return k, err
}

// checkFooter refuses a Parquet file whose footer (the file metadata,
// whose length is the little-endian uint32 before the closing magic) does
// not fit in the file or holds a length beyond its end: parquet-go would
// allocate what it says, up to gigabytes, before finding it false.
func checkFooter(f io.ReaderAt, size int64) error {
	var tail [8]byte
	if size < int64(len(tail)) {
		return nil // too short for a footer: parquet-go says so
	}
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("not a readable Parquet file: %w", err)
	}
	if string(tail[4:]) != "PAR1" {
		return nil // parquet-go names the bad magic
	}
	const magic = 4 // "PAR1" at both ends
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-2*magic-4 {
		return fmt.Errorf("not a readable Parquet file: a footer of %d bytes in a file of %d", n, size)
	}
	footer := make([]byte, n)
	if _, err := f.ReadAt(footer, size-8-n); err != nil {
		return fmt.Errorf("not a readable Parquet file: %w", err)
	}
	if err := checkThrift(footer); err != nil {
		return fmt.Errorf("not a readable Parquet file: footer: %w", err)
	}
	return nil
}
