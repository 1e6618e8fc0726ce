package dataset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/internal/jsonfile"
)

type npzExpected struct {
	Scheme string `json:"scheme"`
	Want   struct {
		SameAs  string       `json:"same_as"`
		Default pipelineWant `json:"default"`
		Paper   pipelineWant `json:"paper"`
	} `json:"want"`
}

type pipelineWant struct {
	Merged        int64   `json:"merged"`
	Leftover      int64   `json:"leftover"`
	MissingLayers []int32 `json:"missing_layers"`
	Frames        []struct {
		Spot [2]float64  `json:"spot"`
		Hits [][]float64 `json:"hits"` // event, track, layer, parent, pdg, cs, edep, x, y, z
	} `json:"frames"`
}

func loadExpected(t *testing.T) map[string]npzExpected {
	t.Helper()
	mp, err := jsonfile.Read[map[string]npzExpected]("dataset", "testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	m := *mp
	for k, v := range m {
		if v.Want.SameAs != "" {
			v.Want = m[v.Want.SameAs].Want
			m[k] = v
		}
	}
	return m
}

// TestImportNPZFixtures checks the Go pipeline against the independent
// Python implementation in testdata/make_npz.py, hit by hit.
func TestImportNPZFixtures(t *testing.T) {
	exp := loadExpected(t)
	for _, file := range []string{"hits_v92_volume.npz", "hits_v92_level.npz", "hits_v91.npy"} {
		for _, paper := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/paper=%v", file, paper), func(t *testing.T) {
				o := &NPZOptions{}
				o.ProtonsPerFrame = 3
				o.PaperQuirks = paper
				o.FirstFrame = 5
				frames, rep, err := ImportNPZ([]string{filepath.Join("testdata", file)}, o)
				if err != nil {
					t.Fatal(err)
				}
				e := exp[file]
				checkPipeline(t, frames, rep, LayerScheme(e.Scheme), e, paper)
			})
		}
	}
}

// checkPipeline compares an import of the fixture rows (3 protons per
// frame, first frame 5) with the expected result e, hit by hit.
func checkPipeline(t *testing.T, frames []Frame, rep *ImportReport, scheme LayerScheme, e npzExpected, paper bool) {
	t.Helper()
	want := e.Want.Default
	if paper {
		want = e.Want.Paper
	}
	if got := rep.Files[0].Scheme; got != scheme {
		t.Errorf("scheme %s, want %s", got, scheme)
	}
	if rep.MergedHits-rep.Disconnected != want.Merged || rep.LeftoverEvents != want.Leftover {
		t.Errorf("merged %d-%d leftover %d, want %d, %d", rep.MergedHits, rep.Disconnected, rep.LeftoverEvents, want.Merged, want.Leftover)
	}
	if got, w := FormatRanges(rep.Files[0].MissingLayers), FormatRanges(want.MissingLayers); got != w {
		t.Errorf("missing layers %q, want %q", got, w)
	}
	if len(frames) != len(want.Frames) {
		t.Fatalf("%d frames, want %d", len(frames), len(want.Frames))
	}
	for i, f := range frames {
		wf := want.Frames[i]
		if f.Meta.Frame != int64(5+i) || f.Meta.SpotX != wf.Spot[0] || f.Meta.SpotY != wf.Spot[1] || f.Meta.ProtonsPerFrame != 3 {
			t.Errorf("frame %d meta %+v, want spot %v", i, f.Meta, wf.Spot)
		}
		if len(f.Hits) != len(wf.Hits) {
			t.Fatalf("frame %d: %d hits, want %d", i, len(f.Hits), len(wf.Hits))
		}
		for j, h := range f.Hits {
			w := wf.Hits[j]
			got := []float64{float64(h.EventID), float64(h.TrackID), float64(h.Layer), float64(h.ParentID),
				float64(h.PDG), float64(h.ClusterSize), float64(h.Edep), float64(h.X), float64(h.Y), float64(h.Z)}
			if !slices.Equal(got, w) {
				t.Fatalf("frame %d hit %d: got %v, want %v", i, j, got, w)
			}
			if h.Primary != (h.ParentID == 0) {
				t.Fatalf("frame %d hit %d: primary flag %v with parent %d", i, j, h.Primary, h.ParentID)
			}
		}
	}
}

func TestImportNPZErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/hits_v92_volume.npz")
	if err != nil {
		t.Fatal(err)
	}
	npy, err := os.ReadFile("testdata/hits_v91.npy")
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(good)
	for i := len(corrupt) / 3; i < len(corrupt)/2; i++ {
		corrupt[i] ^= 0x5a
	}
	// hits 10⁴ layers deep: level1ID (bytes 44–47 of the 80-byte records)
	// of every tenth hit
	farLayer := bytes.Clone(npy)
	if npy[6] != 2 {
		t.Fatalf("hits_v91.npy is .npy version %d, not 2", npy[6])
	}
	for r := 12 + int(binary.LittleEndian.Uint32(npy[8:12])); r+80 <= len(npy); r += 800 {
		binary.LittleEndian.PutUint32(farLayer[r+44:], 10000)
	}
	bigEndian := npyBytes(t, "{'descr': [('eventID', '>i4')], 'fortran_order': False, 'shape': (1,), }", 4)
	plain := npyBytes(t, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 24)
	noLayers := npyBytes(t, "{'descr': [('eventID', '<i4'), ('trackID', '<i4'), ('parentID', '<i4'), ('edep', '<f4'), ('posX', '<f4'), ('posY', '<f4'), ('posZ', '<f4')], 'fortran_order': False, 'shape': (1,), }", 28)
	cases := []importErrorCase[NPZOptions]{
		{"missing", nil, NPZOptions{}, "no such file"},
		{"empty", []byte{}, NPZOptions{}, "not a .npz"},
		{"random", bytes.Repeat([]byte{0x17, 0xa3, 0x5c}, 500), NPZOptions{}, "not a .npz"},
		{"truncated zip", good[:len(good)/2], NPZOptions{}, "not a .npz"},
		{"corrupt zip", corrupt, NPZOptions{}, "hits_"},
		{"truncated npy", npy[:len(npy)-100], NPZOptions{}, "truncated data"},
		{"truncated npy header", npy[:40], NPZOptions{}, "short header"},
		{"big-endian", bigEndian, NPZOptions{}, "big-endian"},
		{"not structured", plain, NPZOptions{}, "structured array"},
		{"no layer columns", noLayers, NPZOptions{}, "no layer columns"},
		{"layer beyond any DTC", farLayer, NPZOptions{}, "v91 layer numbering reaches layer 100"},
		{"wrong key", good, NPZOptions{Key: "arr_1"}, `no array "arr_1"`},
		{"scheme without columns", good, NPZOptions{ImportOptions: ImportOptions{LayerScheme: SchemeV91}}, `needs column "baseID"`},
		{"too few events", good, NPZOptions{ImportOptions: ImportOptions{ProtonsPerFrame: 1000}}, "no frames"},
		{"negative thickness", good, NPZOptions{ImportOptions: ImportOptions{EpiThickness: -1}}, "thickness"},
		{"bad scheme", good, NPZOptions{ImportOptions: ImportOptions{LayerScheme: "v93"}}, "unknown layer scheme"},
	}
	checkImportErrors(t, "hits_x.npz", cases, func(p string, o *NPZOptions) error {
		_, err := ReadNPZ([]string{p}, o)
		return err
	})
}

// importErrorCase is a bad input of an importer with options O: file
// content (nil: no file) and the text the error must contain.
type importErrorCase[O any] struct {
	name string
	data []byte
	opt  O
	want string
}

// checkImportErrors writes each case's data to a file name in a new
// directory, runs read on it and checks that the error starts with the
// package name and contains the case's text.
func checkImportErrors[O any](t *testing.T, name string, cases []importErrorCase[O], read func(path string, opt *O) error) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name)
			if tc.data != nil {
				if err := os.WriteFile(p, tc.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := read(p, &tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "dataset: ") {
				t.Fatalf("error %v, want one starting with dataset: and containing %q", err, tc.want)
			}
		})
	}
}

// npyBytes builds a v1 .npy file with the given header and zero data.
func npyBytes(t *testing.T, header string, data int) []byte {
	t.Helper()
	h := header
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	b = append(b, h...)
	return append(b, make([]byte, data)...)
}

func TestParseNPYHeader(t *testing.T) {
	cases := []struct {
		name     string
		header   string
		fields   string // name:kind:size:offset:count, ...
		itemsize int
		rows     int64
		err      string
	}{
		{"gate", "{'descr': [('eventID', '<i4'), ('volumeID', '<i4', (10,)), ('processName', '|S16'), ('time', '<f8')], 'fortran_order': False, 'shape': (7,), }",
			"eventID:i:4:0:1 volumeID:i:4:4:10 processName:S:16:44:1 time:f:8:60:1", 68, 7, ""},
		{"padding and titles", "{'descr': [(('t', 'a'), '|u1'), ('', '|V3'), ('b', '<u4'), ('c', '<U2')], 'fortran_order': False, 'shape': (2,)}",
			"a:u:1:0:1 :V:3:1:1 b:u:4:4:1 c:U:8:8:1", 16, 2, ""},
		{"nested", "{'descr': [('a', [('x', '<f4'), ('y', '<f4')]), ('b', '<i8', 2)], 'fortran_order': False, 'shape': (0,)}",
			"b:i:8:8:2", 24, 0, ""},
		{"2-d", "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2, 3)}", "", 0, 0, "1-d"},
		{"object", "{'descr': [('a', '|O')], 'fortran_order': False, 'shape': (2,)}", "", 0, 0, "object"},
		{"garbage", "{'descr': [('a', '<i4')", "", 0, 0, "unexpected end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseNPYHeader(tc.header)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range h.fields {
				got = append(got, strings.Join([]string{f.name, string(f.kind), strconv.Itoa(f.size), strconv.Itoa(f.offset), strconv.Itoa(f.count)}, ":"))
			}
			if s := strings.Join(got, " "); s != tc.fields || h.itemsize != tc.itemsize || h.rows != tc.rows {
				t.Errorf("fields %q itemsize %d rows %d, want %q %d %d", s, h.itemsize, h.rows, tc.fields, tc.itemsize, tc.rows)
			}
		})
	}
}

func TestNPYValue(t *testing.T) {
	cases := []struct {
		b    []byte
		kind byte
		f    float64
		i    int64
	}{
		{[]byte{0xff, 0xff, 0xff, 0xff}, 'i', -1, -1},
		{[]byte{0xff, 0xff, 0xff, 0xff}, 'u', 4294967295, 4294967295},
		{[]byte{0xfe, 0xff}, 'i', -2, -2},
		{[]byte{0x00, 0x00, 0xc0, 0x3f}, 'f', 1.5, 1},
		{[]byte{0x01}, 'b', 1, 1},
	}
	for _, tc := range cases {
		f, i, ok := npyValue(tc.b, tc.kind, len(tc.b))
		if !ok || f != tc.f || i != tc.i {
			t.Errorf("npyValue(%x, %c) = %v, %v, %v; want %v, %v", tc.b, tc.kind, f, i, ok, tc.f, tc.i)
		}
	}
	if _, _, ok := npyValue(make([]byte, 16), 'S', 16); ok {
		t.Error("npyValue accepted a string field")
	}
}
