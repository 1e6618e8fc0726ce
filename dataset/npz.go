package dataset

import (
	"archive/zip"
	"bufio"
	"bytes"
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
	var o NPZOptions
	if opt != nil {
		o = *opt
	}
	iopt, err := o.ImportOptions.defaults()
	if err != nil {
		return nil, nil, err
	}
	if o.Key == "" {
		o.Key = "arr_0"
	}
	if len(paths) == 0 {
		return nil, nil, errors.New("dataset: no input files")
	}
	rep := &ImportReport{}
	var frames []Frame
	next := iopt.FirstFrame
	for _, p := range paths {
		fr := FileReport{Path: p}
		fs, err := readNPZFile(p, o.Key, &iopt, next, &fr, rep)
		if err != nil {
			return nil, nil, err
		}
		rep.Files = append(rep.Files, fr)
		rep.Entries += fr.Entries
		frames = append(frames, fs...)
		next += int64(len(fs))
	}
	if len(frames) == 0 {
		return nil, nil, fmt.Errorf("dataset: no frames: %d events with hits, fewer than %d protons per frame", rep.Events, iopt.ProtonsPerFrame)
	}
	return frames, rep, nil
}

func readNPZFile(path, key string, opt *ImportOptions, firstFrame int64, fr *FileReport, tot *ImportReport) ([]Frame, error) {
	bad := func(entry int64, err error) error { return &FormatError{File: path, Entry: entry, Err: err} }
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var head [6]byte
	n, _ := io.ReadFull(f, head[:])
	var data io.Reader
	if bytes.Equal(head[:n], npyMagic) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		data = f
	} else {
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return nil, bad(-1, fmt.Errorf("not a .npz (zip) or .npy file: %w", err))
		}
		var zf *zip.File
		for _, e := range zr.File {
			if e.Name == key+".npy" || e.Name == key {
				zf = e
				break
			}
		}
		if zf == nil {
			return nil, bad(-1, fmt.Errorf("no array %q in the archive", key))
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, bad(-1, fmt.Errorf("array %q: %w", key, err))
		}
		defer rc.Close()
		data = rc
	}
	br := bufio.NewReaderSize(data, 1<<16)
	h, err := readNPYHeader(br)
	if err != nil {
		return nil, bad(-1, err)
	}
	src := &npySource{h: h, row: make([]byte, h.itemsize)}
	scheme, err := detectScheme(opt.LayerScheme, src.has)
	if err != nil {
		return nil, bad(-1, err)
	}
	fr.Scheme = scheme
	hr, err := newHitReader(src, scheme)
	if err != nil {
		return nil, bad(-1, err)
	}
	b := &builder{file: path, opt: opt}
	for i := range h.rows {
		if _, err := io.ReadFull(br, src.row); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, bad(i, fmt.Errorf("truncated data (%d of %d rows): %w", i, h.rows, err))
		}
		if err := b.add(hr.read(i)); err != nil {
			return nil, err
		}
	}
	// Reading to the end makes archive/zip check the CRC.
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("trailing bytes after the last row")
		}
		return nil, bad(h.rows, err)
	}
	fr.Entries = h.rows
	return b.finish(scheme, firstFrame, fr, tot)
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
	f, off, ok := s.h.field(name)
	if !ok {
		return nil
	}
	if _, _, ok := npyValue(make([]byte, 8), f.kind, f.size); !ok {
		return nil
	}
	return func() int64 {
		_, v, _ := npyValue(s.row[off:], f.kind, f.size)
		return v
	}
}

func (s *npySource) floatCol(name string) func() float64 {
	f, off, ok := s.h.field(name)
	if !ok {
		return nil
	}
	if _, _, ok := npyValue(make([]byte, 8), f.kind, f.size); !ok {
		return nil
	}
	return func() float64 {
		v, _, _ := npyValue(s.row[off:], f.kind, f.size)
		return v
	}
}
