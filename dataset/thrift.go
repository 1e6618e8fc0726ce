package dataset

import (
	"errors"
	"fmt"
)

// checkThrift walks the Thrift compact-protocol struct at the start of b
// (a Parquet footer or page header) and checks that no length or element
// count exceeds the bytes left. parquet-go allocates a list or string of
// the length it reads before reading it, so one flipped bit in a footer
// could ask for gigabytes and end the process out of memory; a struct
// that passes asks for at most a small multiple of len(b).
func checkThrift(b []byte) error {
	w := thriftWalker{b: b}
	if err := w.structure(0); err != nil {
		return fmt.Errorf("corrupt Thrift metadata at byte %d of %d: %w", w.i, len(b), err)
	}
	return nil
}

type thriftWalker struct {
	b []byte
	i int
}

var errThriftShort = errors.New("truncated")

const thriftMaxDepth = 64 // Parquet's metadata nests a few levels

// Thrift compact-protocol types.
const (
	tStop, tTrue, tFalse, tByte, tI16, tI32, tI64, tDouble, tBinary, tList, tSet, tMap, tStruct = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
)

func (w *thriftWalker) byte() (byte, error) {
	if w.i >= len(w.b) {
		return 0, errThriftShort
	}
	w.i++
	return w.b[w.i-1], nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c, err := w.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint too long")
}

// count reads a length or element count and checks it against the bytes
// left: every element takes at least one byte.
func (w *thriftWalker) count() (int, error) {
	n, err := w.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(w.b)-w.i) {
		return 0, fmt.Errorf("a length of %d with %d bytes left", n, len(w.b)-w.i)
	}
	return int(n), nil
}

func (w *thriftWalker) skip(n int) error {
	if n > len(w.b)-w.i {
		return errThriftShort
	}
	w.i += n
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth > thriftMaxDepth {
		return errors.New("nested too deeply")
	}
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		t := h & 0x0f
		if t == tStop {
			return nil
		}
		if h>>4 == 0 { // a long-form field id follows
			if _, err := w.uvarint(); err != nil {
				return err
			}
		}
		if t == tTrue || t == tFalse { // the value is in the type
			continue
		}
		if err := w.value(t, depth); err != nil {
			return err
		}
	}
}

func (w *thriftWalker) value(t byte, depth int) error {
	switch t {
	case tTrue, tFalse, tByte:
		return w.skip(1)
	case tI16, tI32, tI64:
		_, err := w.uvarint()
		return err
	case tDouble:
		return w.skip(8)
	case tBinary:
		n, err := w.count()
		if err != nil {
			return err
		}
		return w.skip(n)
	case tList, tSet:
		h, err := w.byte()
		if err != nil {
			return err
		}
		n := int(h >> 4)
		if n == 15 {
			if n, err = w.count(); err != nil {
				return err
			}
		} else if n > len(w.b)-w.i {
			return errThriftShort
		}
		for range n {
			if err := w.value(h&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tMap:
		n, err := w.count()
		if err != nil || n == 0 {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		for range n {
			if err := w.value(kv>>4, depth+1); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tStruct:
		return w.structure(depth + 1)
	}
	return fmt.Errorf("unknown type %d", t)
}
