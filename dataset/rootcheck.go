package dataset

import (
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxROOTObject bounds the uncompressed size of one ROOT object, ROOT's
// own buffer limit (1 GiB): a larger claimed length is corruption.
const maxROOTObject = 1 << 30

// checkROOT guards groot against corrupt length fields, which it trusts
// when it allocates: a flipped byte in a key header of a 32 kB file made
// it allocate 1.8 GB. It walks the chain of records from fBEGIN to fEND
// (as ROOT's TFile::Map does) and the top directory's key list, and checks
// that every record lies in the file, knows its own position and names a
// class, that its object length agrees with the record (uncompressed) or
// with the headers of its compression blocks, that a basket's header reads
// as groot reads it, that the streamer, free-segment and key-list records
// are where and as long as the headers say, and that a listed key agrees
// with the record it names. It inflates every zlib block to its end, as
// ROOT does, so that its checksum is verified: groot stops at the bytes it
// expects, and a damaged block then decodes to garbage (a tree header
// asking for a 30 GB branch list, or hits that are silently wrong). Blocks
// of the other algorithms are left to groot.
func checkROOT(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rd := &beReader{r: f, size: st.Size()}
	size := rd.size
	var magic [4]byte
	rd.bytes(0, magic[:])
	if rd.err == nil && string(magic[:]) != "root" {
		return errors.New("not a ROOT file (no \"root\" magic)")
	}
	version := rd.i32(4)
	begin := int64(rd.i32(8))
	var end, seekInfo, seekFree int64
	var nbytesName, nbytesInfo, nbytesFree int32
	if version >= 1000000 {
		end, seekFree, nbytesFree, nbytesName, seekInfo, nbytesInfo = rd.i64(12), rd.i64(20), rd.i32(28), rd.i32(36), rd.i64(45), rd.i32(53)
	} else {
		end, seekFree, nbytesFree, nbytesName, seekInfo, nbytesInfo = int64(rd.i32(12)), int64(rd.i32(16)), rd.i32(20), rd.i32(28), int64(rd.i32(37)), rd.i32(41)
	}
	if rd.err != nil {
		return fmt.Errorf("ROOT header: %w", rd.err)
	}
	if begin <= 0 || end < begin || end > size {
		return fmt.Errorf("ROOT header: records [%d, %d) outside the file of %d bytes", begin, end, size)
	}
	records := map[int64]keyHeader{}
	err = rd.walk(begin, end, func(pos int64, k keyHeader) error {
		var err error
		if k.class == "TBasket" {
			err = rd.checkBasket(pos, k)
		}
		if err == nil {
			err = rd.checkPayload(pos, k)
		}
		records[pos] = k
		return err
	})
	if err != nil {
		return err
	}
	// groot reads the streamer and free-segment records with the lengths
	// the header gives, allocating them first
	if r, ok := records[seekInfo]; !ok || r.nbytes != nbytesInfo {
		return fmt.Errorf("ROOT header: streamer record of %d bytes at %d is not a record", nbytesInfo, seekInfo)
	}
	if r, ok := records[seekFree]; (seekFree != 0 || nbytesFree != 0) && (!ok || r.nbytes != nbytesFree) {
		return fmt.Errorf("ROOT header: free-segment record of %d bytes at %d is not a record", nbytesFree, seekFree)
	}
	// The top directory follows the file's own key and name.
	dir := begin + int64(nbytesName)
	dv := rd.i16(dir)
	var seekKeys int64
	if dv > 1000 {
		seekKeys = rd.i64(dir + 2 + 4 + 4 + 4 + 4 + 8 + 8)
	} else {
		seekKeys = int64(rd.i32(dir + 2 + 4 + 4 + 4 + 4 + 4 + 4))
	}
	nbytesKeys := rd.i32(dir + 2 + 4 + 4)
	list, ok := records[seekKeys]
	if rd.err != nil || !ok || list.nbytes != nbytesKeys {
		return fmt.Errorf("top directory: key list of %d bytes at %d is not a record (%v)", nbytesKeys, seekKeys, rd.err)
	}
	if list.compressed() {
		return errors.New("top directory: compressed key list")
	}
	pos := seekKeys + int64(list.keylen)
	nkeys := rd.i32(pos)
	pos += 4
	if rd.err != nil || nkeys < 0 || int64(nkeys) > int64(list.objlen) {
		return fmt.Errorf("top directory: %d keys in a list of %d bytes (%v)", nkeys, list.objlen, rd.err)
	}
	for i := range nkeys {
		k, err := rd.key(pos)
		if err != nil {
			return fmt.Errorf("top directory: key %d: %w", i, err)
		}
		rec, ok := records[k.seekKey]
		if !ok || rec.nbytes != k.nbytes || rec.objlen != k.objlen || rec.keylen != k.keylen {
			return fmt.Errorf("top directory: key %d does not match a record at %d", i, k.seekKey)
		}
		pos += int64(k.headerLen)
	}
	return nil
}

// walk visits the records from begin to end (free gaps skipped), each
// with its key, after checking that the record fits before end and that
// its key gives the record's length and position. It stops at the first
// error, of its own or of visit, naming the record.
func (rd *beReader) walk(begin, end int64, visit func(pos int64, k keyHeader) error) error {
	for pos := begin; pos < end; {
		n := rd.i32(pos)
		if rd.err != nil {
			return fmt.Errorf("record at %d: %w", pos, rd.err)
		}
		switch {
		case n < 0: // a free gap
			pos -= int64(n)
			continue
		case n == 0 || pos+int64(n) > end:
			return fmt.Errorf("record at %d: length %d runs past the end of the records (%d)", pos, n, end)
		}
		k, err := rd.key(pos)
		if err == nil && k.nbytes != n {
			err = fmt.Errorf("length %d in the key, %d in the record", k.nbytes, n)
		}
		if err == nil && k.seekKey != pos { // groot reads the object from there
			err = fmt.Errorf("key at %d says it is at %d", pos, k.seekKey)
		}
		if err == nil {
			err = visit(pos, k)
		}
		if err != nil {
			return fmt.Errorf("record at %d: %w", pos, err)
		}
		pos += int64(n)
	}
	return nil
}

// keyHeader is the part of a TKey header that sizes its object.
type keyHeader struct {
	nbytes, objlen int32
	keylen         int16
	seekKey        int64
	headerLen      int // bytes of the header as stored, names included
	class          string
}

func (k keyHeader) compressed() bool { return k.objlen != k.nbytes-int32(k.keylen) }

// key reads the TKey header at pos: Nbytes, Version, ObjLen, Datime,
// KeyLen, Cycle, SeekKey, SeekPdir (64-bit from version 1000 on) and
// three strings.
func (rd *beReader) key(pos int64) (keyHeader, error) {
	k := keyHeader{nbytes: rd.i32(pos), objlen: rd.i32(pos + 6), keylen: rd.i16(pos + 14)}
	v := rd.i16(pos + 4)
	p := pos + 18
	if v > 1000 {
		k.seekKey = rd.i64(p)
		p += 16
	} else {
		k.seekKey = int64(rd.i32(p))
		p += 8
	}
	for i := range 3 { // class, name, title
		n := int64(rd.u8(p))
		p++
		if n == 255 {
			if n = int64(rd.i32(p)); n < 0 {
				return k, fmt.Errorf("key name of %d bytes", n)
			}
			p += 4
		}
		if i == 0 && n <= int64(k.keylen) { // a longer one fails below
			c := make([]byte, n)
			rd.bytes(p, c)
			k.class = string(c)
		}
		p += n
	}
	k.headerLen = int(p - pos)
	switch {
	case rd.err != nil:
		return k, rd.err
	case k.nbytes <= 0 || int32(k.keylen) > k.nbytes || k.headerLen > int(k.keylen): // a basket adds its own header
		return k, fmt.Errorf("key lengths %d and %d for a header of %d bytes", k.nbytes, k.keylen, k.headerLen)
	case k.objlen < 0 || k.objlen > maxROOTObject:
		return k, fmt.Errorf("object length %d", k.objlen)
	case !className(k.class):
		// groot takes whatever record a branch points to for a basket
		// (its Basket.Class is a constant), so a damaged "TBasket" would
		// escape checkBasket
		return k, fmt.Errorf("class %q is not a class name", k.class)
	}
	return k, nil
}

// checkPayload checks the object of the record at pos: stored as is, or
// as ROOT compression blocks of a known algorithm whose 9-byte headers
// (algorithm, method, 3-byte compressed and uncompressed sizes,
// little-endian) add up to the record and to the object length.
func (rd *beReader) checkPayload(pos int64, k keyHeader) error {
	if !k.compressed() {
		return nil
	}
	p, end := pos+int64(k.keylen), pos+int64(k.nbytes)
	var out int64
	for p < end {
		var h [9]byte
		rd.bytes(p, h[:])
		if rd.err != nil {
			return rd.err
		}
		cin := int64(h[3]) | int64(h[4])<<8 | int64(h[5])<<16
		out += int64(h[6]) | int64(h[7])<<8 | int64(h[8])<<16
		// groot panics, on a goroutine of its own where no caller can
		// recover, for another algorithm and for an LZ4 block shorter
		// than its checksum.
		switch alg := string(h[:2]); {
		case alg == "L4" && cin < 8:
			return fmt.Errorf("LZ4 block of %d bytes", cin)
		case alg != "ZL" && alg != "XZ" && alg != "L4" && alg != "ZS":
			return fmt.Errorf("unknown compression algorithm %q", alg)
		case alg == "ZL":
			if err := rd.checkZlib(p+9, cin, int64(h[6])|int64(h[7])<<8|int64(h[8])<<16); err != nil {
				return fmt.Errorf("compression block at %d: %w", p, err)
			}
		}
		p += 9 + cin
	}
	if p != end || out != int64(k.objlen) {
		return fmt.Errorf("compression blocks of %d bytes for %d, inflating to %d for an object of %d", p-pos-int64(k.keylen), k.nbytes-int32(k.keylen), out, k.objlen)
	}
	return nil
}

// className reports whether s can name a C++ class as ROOT stores it
// (namespaces, templates).
func className(s string) bool {
	if s == "" || !(s[0] == '_' || 'A' <= s[0] && s[0] <= 'Z' || 'a' <= s[0] && s[0] <= 'z') {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c == '_', '0' <= c && c <= '9', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case strings.IndexByte(":<>,* ", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkBasket checks the basket header that follows a TBasket's key
// (version, buffer size, entry size, I/O features if the entry size is
// negative, entries, last offset, flag) as groot reads it. groot reads it on
// a goroutine of its own, where a panic ends the process: on a version it
// does not know, and on a flag of 80 or more with a remainder of at most 40.
// Some other flags make it read arrays of a stored length from the header,
// which must fit in it.
func (rd *beReader) checkBasket(pos int64, k keyHeader) error {
	p, end := pos+int64(k.headerLen), pos+int64(k.keylen)
	nevsize := rd.i32(p + 6)
	p += 10
	if nevsize < 0 { // TIOFeatures: [byte count,] version 1, a byte, 4 more if it is not 0
		if bcnt := uint32(rd.i32(p)); bcnt&0x40000000 != 0 {
			p += 4
		}
		if v := rd.i16(p) &^ 0x4000; v != 1 {
			return fmt.Errorf("basket I/O features version %d", v)
		}
		p += 2
		if rd.u8(p) != 0 {
			p += 4
		}
		p++
	}
	nevbuf := rd.i32(p)
	flag := int(rd.u8(p + 8))
	p += 9
	if rd.err != nil || p > end {
		return fmt.Errorf("basket header past its key (%v)", rd.err)
	}
	gen := flag >= 80
	if gen {
		flag -= 80
	}
	array := func() error {
		n := int64(rd.i32(p))
		if rd.err != nil || n < 0 || p+4+4*n > end {
			return fmt.Errorf("basket header: an array of %d offsets in %d bytes", n, end-p)
		}
		p += 4 + 4*n
		return nil
	}
	switch {
	case gen && flag <= 40:
		return fmt.Errorf("basket flag %d", flag+80)
	case !gen && flag != 0 && flag%10 != 2:
		if nevbuf > 0 {
			if err := array(); err != nil {
				return err
			}
		}
		if flag > 40 {
			return array()
		}
	}
	return nil
}

// checkZlib inflates the zlib stream of n bytes at pos to its end, so that
// its Adler-32 checksum is verified, and checks that it gives want bytes.
// groot inflates only the bytes it expects and never reaches the checksum:
// a damaged tree header then decodes to garbage, e.g. a branch list of
// 30 GB that ends the process out of memory.
func (rd *beReader) checkZlib(pos, n, want int64) error {
	if pos+n > rd.size {
		return fmt.Errorf("%d bytes at %d past the end of the file", n, pos)
	}
	src := io.NewSectionReader(rd.r, pos, n)
	var err error
	if rd.zr == nil {
		rd.zr, err = zlib.NewReader(src)
	} else {
		err = rd.zr.(zlib.Resetter).Reset(src, nil)
	}
	if err != nil {
		return fmt.Errorf("zlib: %w", err)
	}
	if rd.zbuf == nil {
		rd.zbuf = make([]byte, 32<<10)
	}
	var got int64
	for {
		k, err := rd.zr.Read(rd.zbuf)
		got += int64(k)
		if got > want {
			return fmt.Errorf("zlib stream of more than the %d bytes the header says", want)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("zlib: %w", err)
		}
	}
	if got != want {
		return fmt.Errorf("zlib stream of %d bytes where the header says %d", got, want)
	}
	return nil
}

// beReader reads big-endian fields at absolute offsets; the first error
// (a read past the end) sticks and later reads give zeros.
type beReader struct {
	r    io.ReaderAt
	size int64
	err  error
	buf  [8]byte
	zr   io.ReadCloser // reused by checkZlib
	zbuf []byte
}

func (rd *beReader) bytes(pos int64, b []byte) {
	if rd.err != nil {
		clear(b)
		return
	}
	if pos < 0 || pos+int64(len(b)) > rd.size {
		rd.err = fmt.Errorf("read of %d bytes at %d past the end of the file (%d bytes)", len(b), pos, rd.size)
		clear(b)
		return
	}
	if _, err := rd.r.ReadAt(b, pos); err != nil {
		rd.err = err
		clear(b)
	}
}

func (rd *beReader) u8(pos int64) uint8 { rd.bytes(pos, rd.buf[:1]); return rd.buf[0] }

func (rd *beReader) i16(pos int64) int16 {
	rd.bytes(pos, rd.buf[:2])
	return int16(binary.BigEndian.Uint16(rd.buf[:2]))
}

func (rd *beReader) i32(pos int64) int32 {
	rd.bytes(pos, rd.buf[:4])
	return int32(binary.BigEndian.Uint32(rd.buf[:4]))
}

func (rd *beReader) i64(pos int64) int64 {
	rd.bytes(pos, rd.buf[:8])
	return int64(binary.BigEndian.Uint64(rd.buf[:8]))
}
