package dataset

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
)

// NPZOptions control ReadNPZ. A nil pointer means all defaults.
type NPZOptions struct {
	ImportOptions
	// Key is the array inside the .npz archive; "" means "arr_0" (the
	// paper's files).
	Key string
}

// ReadNPZ reads the paper's Zenodo .npz files (or plain .npy files) and
// returns their frames: see ImportNPZ.
func ReadNPZ(paths []string, opt *NPZOptions) ([]Frame, error) {
	frames, _, err := ImportNPZ(paths, opt)
	return frames, err
}

// ImportNPZ reads .npz archives holding a structured array of GATE hits
// under opt.Key (stored or deflated; .npy format 1, 2 or 3; little-endian),
// or plain .npy files, and runs the same pipeline as ImportGATE. The field
// types are taken from the array's descr; sub-array fields such as
// volumeID (10,) and scalar fields volumeID[d] are both understood.
func ImportNPZ(paths []string, opt *NPZOptions) ([]Frame, *ImportReport, error) {
	o := cmp.Or(opt, &NPZOptions{})
	key := cmp.Or(o.Key, "arr_0")
	return importFiles(paths, &o.ImportOptions, func(path string, b *builder) (LayerScheme, int64, error) {
		return readNPZFile(path, key, b)
	})
}

// readNPZFile feeds the rows of one .npz or .npy file to b.
func readNPZFile(path, key string, b *builder) (LayerScheme, int64, error) {
	bad := func(entry int64, err error) error { return &FormatError{File: path, Entry: entry, Err: err} }
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("dataset: %w", err)
	}
	var head [6]byte
	n, _ := io.ReadFull(f, head[:])
	var data io.Reader
	if bytes.Equal(head[:n], npyMagic) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", 0, fmt.Errorf("dataset: %w", err)
		}
		data = f
	} else {
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return "", 0, bad(-1, fmt.Errorf("not a .npz (zip) or .npy file: %w", err))
		}
		var zf *zip.File
		for _, e := range zr.File {
			if e.Name == key+".npy" || e.Name == key {
				zf = e
				break
			}
		}
		if zf == nil {
			return "", 0, bad(-1, fmt.Errorf("no array %q in the archive", key))
		}
		rc, err := zf.Open()
		if err != nil {
			return "", 0, bad(-1, fmt.Errorf("array %q: %w", key, err))
		}
		defer rc.Close()
		data = rc
	}
	br := bufio.NewReaderSize(data, 1<<16)
	h, err := readNPYHeader(br)
	if err != nil {
		return "", 0, bad(-1, err)
	}
	src := &npySource{h: h, row: make([]byte, h.itemsize)}
	scheme, hr, err := newHitReader(src, b.opt.LayerScheme)
	if err != nil {
		return "", 0, bad(-1, err)
	}
	for i := range h.rows {
		if _, err := io.ReadFull(br, src.row); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return "", 0, bad(i, fmt.Errorf("truncated data (%d of %d rows): %w", i, h.rows, err))
		}
		if err := b.add(hr.read(i)); err != nil {
			return "", 0, err
		}
	}
	// Reading to the end makes archive/zip check the CRC.
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("trailing bytes after the last row")
		}
		return "", 0, bad(h.rows, err)
	}
	return scheme, h.rows, nil
}

// npySource serves the fields of the current row of a structured array.
type npySource struct {
	h   *npyHeader
	row []byte
}

func (s *npySource) has(name string) bool {
	if name == "volumeID" {
		_, _, ok := s.h.field("volumeID[0]")
		return ok
	}
	_, _, ok := s.h.field(name)
	return ok
}

func (s *npySource) intCol(name string) func() int64 {
	return npyCol(s, name, func(_ float64, i int64) int64 { return i })
}

func (s *npySource) floatCol(name string) func() float64 {
	return npyCol(s, name, func(f float64, _ int64) float64 { return f })
}

// npyCol returns a getter of the named numeric field of the current row:
// pick chooses npyValue's float or integer reading. nil means the field is
// absent or not numeric.
func npyCol[T any](s *npySource, name string, pick func(float64, int64) T) func() T {
	f, off, ok := s.h.field(name)
	if !ok {
		return nil
	}
	if _, _, ok := npyValue(make([]byte, 8), f.kind, f.size); !ok {
		return nil
	}
	return func() T { return pick(npyValueAt(s.row[off:], f.kind, f.size)) }
}

func npyValueAt(b []byte, kind byte, size int) (float64, int64) {
	v, i, _ := npyValue(b, kind, size)
	return v, i
}
