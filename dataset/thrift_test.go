package dataset

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// footerOf returns the Thrift footer of a Parquet file.
func footerOf(t *testing.T, data []byte) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	return data[len(data)-8-n : len(data)-8]
}

func TestCheckThrift(t *testing.T) {
	for _, data := range goodParquet(t) {
		footer := footerOf(t, data)
		if err := checkThrift(footer); err != nil {
			t.Fatalf("a good footer of %d bytes: %v", len(footer), err)
		}
		// the struct ends with its last byte: every shorter prefix is cut
		for n := range len(footer) {
			if checkThrift(footer[:n]) == nil {
				t.Fatalf("the first %d of %d bytes of a footer pass", n, len(footer))
			}
		}
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"list of 2³¹−1 structs", []byte{0x29, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00}, "a length of 2147483647 with 1 bytes left"},
		{"short list", []byte{0x29, 0x5c, 0x00, 0x00}, "truncated"},
		{"long string", []byte{0x18, 0x80, 0x80, 0x04, 'a', 0x00}, "a length of 65536 with 2 bytes left"},
		{"map", []byte{0x1b, 0xff, 0xff, 0x03, 0x55, 0x00}, "a length of 65535"},
		{"nesting", []byte(strings.Repeat("\x1c", 100)), "nested too deeply"},
		{"unknown type", []byte{0x1e, 0x00}, "unknown type 14"},
		{"endless varint", []byte{0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "varint too long"},
	} {
		err := checkThrift(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestOpenFalseFooter: a footer that declares more than the file holds is
// refused before anything of that size is allocated.
func TestOpenFalseFooter(t *testing.T) {
	dir := t.TempDir()
	good := goodParquet(t)[0]
	huge := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(huge[len(huge)-8:], 0xfffffff0)
	// a footer whose schema is a list of 2³¹−1 elements
	list := append([]byte("PAR1\x29\xfc\xff\xff\xff\xff\x07\x00"), 8, 0, 0, 0)
	list = append(list, "PAR1"...)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"footer length", huge, "a footer of 4294967280 bytes in a file of"},
		{"list length", list, "footer: corrupt Thrift metadata at byte 7 of 8: a length of 2147483647 with 1 bytes left"},
	} {
		path := filepath.Join(dir, tc.name+".parquet")
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err := Open(path)
		runtime.ReadMemStats(&m1)
		if err == nil || !strings.HasPrefix(err.Error(), "dataset: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if a := m1.TotalAlloc - m0.TotalAlloc; a > 16<<20 {
			t.Errorf("%s: %d MB allocated to refuse the file", tc.name, a>>20)
		}
	}
}
