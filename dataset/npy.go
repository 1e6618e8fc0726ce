package dataset

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// npyField is one field of a structured .npy array: count values of size
// bytes each (count > 1 for a sub-array such as volumeID (10,)).
type npyField struct {
	name   string
	kind   byte // 'i', 'u', 'f', 'b', 'S', 'U', 'V', ...
	size   int
	offset int
	count  int
}

// npyHeader is the parsed header of a 1-d structured .npy array.
type npyHeader struct {
	fields   []npyField
	itemsize int
	rows     int64
}

var npyMagic = []byte("\x93NUMPY")

// readNPYHeader reads the magic, version, header length and header dict of
// a .npy stream and leaves r at the first data byte.
func readNPYHeader(r *bufio.Reader) (*npyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("npy: short header: %w", err)
	}
	if string(pre[:6]) != string(npyMagic) {
		return nil, errors.New("npy: not a .npy array (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: short header: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: short header: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	if hlen > 1<<24 {
		return nil, fmt.Errorf("npy: header length %d too large", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("npy: short header: %w", err)
	}
	return parseNPYHeader(string(hb))
}

func parseNPYHeader(s string) (*npyHeader, error) {
	p := &pyParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, fmt.Errorf("npy: header: %w", err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("npy: header is not a dict")
	}
	if fo, _ := d["fortran_order"].(bool); fo {
		// Irrelevant for 1-d arrays, but say so rather than guess.
		if sh, _ := d["shape"].([]any); len(sh) != 1 {
			return nil, errors.New("npy: fortran_order arrays are not supported")
		}
	}
	shape, ok := d["shape"].([]any)
	if !ok || len(shape) != 1 {
		return nil, fmt.Errorf("npy: want a 1-d array, shape is %v", d["shape"])
	}
	rows, ok := shape[0].(int64)
	if !ok || rows < 0 {
		return nil, fmt.Errorf("npy: bad shape %v", d["shape"])
	}
	descr, ok := d["descr"].([]any)
	if !ok {
		return nil, fmt.Errorf("npy: want a structured array (descr is a list of fields), descr is %v", d["descr"])
	}
	h := &npyHeader{rows: rows}
	if err := h.addFields(descr); err != nil {
		return nil, err
	}
	if h.itemsize == 0 {
		return nil, errors.New("npy: structured array with zero-size rows")
	}
	return h, nil
}

// addFields appends the fields of descr; nested structures only count
// towards the row size.
func (h *npyHeader) addFields(descr []any) error {
	for _, e := range descr {
		t, ok := e.([]any)
		if !ok || len(t) < 2 || len(t) > 3 {
			return fmt.Errorf("npy: bad descr entry %v", e)
		}
		var name string
		switch n := t[0].(type) {
		case string:
			name = n
		case []any: // (title, name)
			if len(n) == 2 {
				name, _ = n[1].(string)
			}
		}
		count := 1
		if len(t) == 3 {
			sh, ok := t[2].([]any)
			if !ok {
				if k, isInt := t[2].(int64); isInt {
					sh = []any{k}
				} else {
					return fmt.Errorf("npy: field %q: bad shape %v", name, t[2])
				}
			}
			for _, d := range sh {
				k, ok := d.(int64)
				if !ok || k < 0 || k > 1<<20 {
					return fmt.Errorf("npy: field %q: bad shape %v", name, t[2])
				}
				count *= int(k)
			}
		}
		switch typ := t[1].(type) {
		case string:
			kind, size, err := parseTypestr(typ)
			if err != nil {
				return fmt.Errorf("npy: field %q: %w", name, err)
			}
			h.fields = append(h.fields, npyField{name: name, kind: kind, size: size, offset: h.itemsize, count: count})
			h.itemsize += size * count
		case []any:
			sub := &npyHeader{}
			if err := sub.addFields(typ); err != nil {
				return err
			}
			h.itemsize += sub.itemsize * count
		default:
			return fmt.Errorf("npy: field %q: bad type %v", name, t[1])
		}
		if h.itemsize > 1<<24 {
			return errors.New("npy: row size too large")
		}
	}
	return nil
}

// parseTypestr parses a numpy type string such as '<i4', '|S16', '<M8[ns]'.
func parseTypestr(s string) (kind byte, size int, err error) {
	if len(s) < 2 {
		return 0, 0, fmt.Errorf("bad type %q", s)
	}
	order := s[0]
	rest := s[1:]
	if order != '<' && order != '>' && order != '|' && order != '=' {
		order, rest = '=', s
	}
	if i := strings.IndexByte(rest, '['); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" || rest[0] < 'A' || rest[0] > 'z' {
		return 0, 0, fmt.Errorf("bad type %q", s)
	}
	kind = rest[0]
	if kind == 'O' {
		return 0, 0, fmt.Errorf("type %q: object arrays (pickles) are not supported", s)
	}
	n, err := strconv.Atoi(rest[1:])
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("bad type %q", s)
	}
	size = n
	switch kind {
	case 'U':
		size = 4 * n
	}
	if order == '>' && size > 1 && kind != 'S' && kind != 'V' {
		return 0, 0, fmt.Errorf("type %q: big-endian data is not supported", s)
	}
	return kind, size, nil
}

// field returns the field called name, or element d of a sub-array for
// "name[d]", and the byte offset of the value in a row.
func (h *npyHeader) field(name string) (npyField, int, bool) {
	for _, f := range h.fields {
		if f.name == name {
			return f, f.offset, true
		}
	}
	if base, d, ok := splitIndex(name); ok {
		for _, f := range h.fields {
			if f.name == base && d < f.count {
				return f, f.offset + d*f.size, true
			}
		}
	}
	return npyField{}, 0, false
}

// npyValue decodes a little-endian numeric value; ok is false for other kinds.
func npyValue(b []byte, kind byte, size int) (float64, int64, bool) {
	switch {
	case kind == 'f' && size == 4:
		v := float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		return v, int64(v), true
	case kind == 'f' && size == 8:
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		return v, int64(v), true
	case kind == 'i' || kind == 'u' || kind == 'b':
		var u uint64
		switch size {
		case 1:
			u = uint64(b[0])
		case 2:
			u = uint64(binary.LittleEndian.Uint16(b))
		case 4:
			u = uint64(binary.LittleEndian.Uint32(b))
		case 8:
			u = binary.LittleEndian.Uint64(b)
		default:
			return 0, 0, false
		}
		var i int64
		if kind == 'i' {
			shift := 64 - 8*uint(size)
			i = int64(u<<shift) >> shift
		} else {
			i = int64(u)
		}
		return float64(i), i, true
	}
	return 0, 0, false
}

// pyParser parses the Python literal subset numpy writes in .npy headers:
// dicts, lists, tuples (both as []any), strings, ints (int64), booleans, None.
type pyParser struct {
	s   string
	pos int
}

func (p *pyParser) skip() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *pyParser) errorf(format string, a ...any) error {
	return fmt.Errorf("at byte %d: %s", p.pos, fmt.Sprintf(format, a...))
}

func (p *pyParser) value() (any, error) {
	p.skip()
	if p.pos >= len(p.s) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		p.pos++
		m := map[string]any{}
		for {
			p.skip()
			if p.pos < len(p.s) && p.s[p.pos] == '}' {
				p.pos++
				return m, nil
			}
			k, err := p.value()
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, p.errorf("dict key %v is not a string", k)
			}
			p.skip()
			if p.pos >= len(p.s) || p.s[p.pos] != ':' {
				return nil, p.errorf("want ':'")
			}
			p.pos++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			m[ks] = v
			if err := p.sep('}'); err != nil {
				return nil, err
			}
		}
	case c == '[' || c == '(':
		end := byte(']')
		if c == '(' {
			end = ')'
		}
		p.pos++
		l := []any{}
		for {
			p.skip()
			if p.pos < len(p.s) && p.s[p.pos] == end {
				p.pos++
				return l, nil
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			if err := p.sep(end); err != nil {
				return nil, err
			}
		}
	case c == '\'' || c == '"':
		return p.str(c)
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		if p.pos < len(p.s) && p.s[p.pos] == 'L' { // Python 2 long
			p.pos++
			return strconv.ParseInt(p.s[start:p.pos-1], 10, 64)
		}
		return strconv.ParseInt(p.s[start:p.pos], 10, 64)
	}
	for _, w := range []struct {
		lit string
		v   any
	}{{"True", true}, {"False", false}, {"None", nil}} {
		if strings.HasPrefix(p.s[p.pos:], w.lit) {
			p.pos += len(w.lit)
			return w.v, nil
		}
	}
	return nil, p.errorf("unexpected %q", p.s[p.pos])
}

// sep consumes a ',' or peeks the closing byte.
func (p *pyParser) sep(end byte) error {
	p.skip()
	if p.pos >= len(p.s) {
		return p.errorf("unexpected end")
	}
	switch p.s[p.pos] {
	case ',':
		p.pos++
		return nil
	case end:
		return nil
	}
	return p.errorf("want ',' or %q", end)
}

func (p *pyParser) str(q byte) (string, error) {
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.s):
			p.pos++
			switch e := p.s[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
		p.pos++
	}
	return "", p.errorf("unterminated string")
}
