package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const gateFile = "../../shared/data/gate/DTC_Aluminium_Absorber3mm_Degrader250mm_250MeV.root"

func needGATE(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(gateFile); err != nil {
		t.Skipf("shared GATE file absent: %v", err)
	}
}

// TestImportGATEReal checks the importer on the real GATE file against the
// figures computed independently (highest cycle only; 14 µm slab).
func TestImportGATEReal(t *testing.T) {
	needGATE(t)
	cases := []struct {
		name                          string
		n                             int
		paper                         bool
		frames                        int
		merged, hits, sec, primaries  int64
		leftover, disconnected, small int64
	}{
		// N = 1 frames every event: the per-hit figures of the whole file.
		{"all events", 1, false, 4163, 71369, 71194, 3426, 3899, 0, 0, 175},
		{"frames of 100", 100, false, 41, 71369, 70122, 3377, 3840, 63, 0, 172},
		// The paper's remove_disconnected keeps layers below 42, the array
		// index of layer 42, the last before the first gap (43-44): it drops
		// layer 42 too.
		{"paper quirks", 1, true, 4162, 71369, 71167, 3399, 3899, 0, 32, 170},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := &GATEOptions{}
			o.ProtonsPerFrame = tc.n
			o.EpiThickness = 0.014
			o.PaperQuirks = tc.paper
			o.Geometry = "gate-3mm-2018"
			frames, rep, err := ImportGATE([]string{gateFile}, o)
			if err != nil {
				t.Fatal(err)
			}
			fr := rep.Files[0]
			if fr.Scheme != SchemeV91 || fr.Entries != 79044 || fr.Layers != 90 {
				t.Errorf("scheme %s entries %d layers %d, want v91 79044 90", fr.Scheme, fr.Entries, fr.Layers)
			}
			if got := FormatRanges(fr.MissingLayers); !strings.HasPrefix(got, "43-44, 49-52") {
				t.Errorf("missing layers %q", got)
			}
			var hits, sec int64
			prim := map[int64]bool{}
			maxLayer := int32(0)
			for _, f := range frames {
				if f.Meta.Geometry != "gate-3mm-2018" || f.Meta.ProtonsPerFrame != tc.n {
					t.Fatalf("frame meta %+v", f.Meta)
				}
				for _, h := range f.Hits {
					hits++
					maxLayer = max(maxLayer, h.Layer)
					if h.Primary {
						prim[h.EventID] = true
					} else {
						sec++
					}
					if h.ClusterSize < 2 {
						t.Fatalf("hit with cluster size %d", h.ClusterSize)
					}
				}
			}
			if len(frames) != tc.frames || rep.MergedHits != tc.merged || hits != tc.hits || rep.Hits != hits ||
				sec != tc.sec || int64(len(prim)) != tc.primaries || rep.LeftoverEvents != tc.leftover ||
				rep.Disconnected != tc.disconnected || rep.SmallClusters != tc.small {
				t.Errorf("frames %d merged %d hits %d sec %d primaries %d leftover %d disconnected %d small %d\nwant   %d        %d      %d     %d         %d        %d            %d       %d",
					len(frames), rep.MergedHits, hits, sec, len(prim), rep.LeftoverEvents, rep.Disconnected, rep.SmallClusters,
					tc.frames, tc.merged, tc.hits, tc.sec, tc.primaries, tc.leftover, tc.disconnected, tc.small)
			}
			if tc.paper && maxLayer != 41 {
				t.Errorf("deepest layer %d with paper quirks, want 41", maxLayer)
			}
		})
	}
}

// TestImportGATEFixture reads the fixture's trees with every layer
// scheme; each must give the layers and hits that the Python pipeline of
// testdata/make_npz.py computed for the same raw hits.
func TestImportGATEFixture(t *testing.T) {
	exp := loadExpected(t)
	cases := []struct {
		tree     string
		scheme   LayerScheme
		resolved LayerScheme
		want     string // key of expected.json
	}{
		{treeV91, SchemeAuto, SchemeV91, "hits_v91.npy"},
		{treeV91, SchemeV91, SchemeV91, "hits_v91.npy"},
		{treeV91, SchemeTK, SchemeTK, "hits_v91.npy"},
		{treeV91, SchemeV92Level, SchemeV92Level, "hits_v91.npy"},
		{treeV91, SchemeV92Volume, SchemeV92Volume, "hits_v91.npy"},
		{treeV92, SchemeAuto, SchemeV92Level, "hits_v92_level.npz"},
		{treeVolume, SchemeAuto, SchemeV92Volume, "hits_v92_volume.npz"},
		{treeWorld, SchemeV92World, SchemeV92World, "hits_v92_volume.npz"},
	}
	for _, tc := range cases {
		for _, paper := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/%s/paper=%v", tc.tree, tc.scheme, paper), func(t *testing.T) {
				o := &GATEOptions{Tree: tc.tree}
				o.LayerScheme = tc.scheme
				o.ProtonsPerFrame = 3
				o.PaperQuirks = paper
				o.FirstFrame = 5
				frames, rep, err := ImportGATE([]string{gateFixture}, o)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Entries != 163 { // the highest cycle, not the backup of 40 rows
					t.Errorf("%d entries, want 163", rep.Entries)
				}
				checkPipeline(t, frames, rep, tc.resolved, exp[tc.want], paper)
			})
		}
	}
	// HitsWorld's scanner_1 is daughter 2 of the world: given or found.
	o := &GATEOptions{Tree: treeWorld}
	o.LayerScheme, o.WorldK0, o.ProtonsPerFrame = SchemeV92World, worldK0, 3
	frames, _, err := ImportGATE([]string{gateFixture}, o)
	if err != nil || len(frames) != 4 || frames[0].Hits[0].Layer != 0 {
		t.Errorf("WorldK0 %d: %d frames, %v", worldK0, len(frames), err)
	}
	// Two files: frame indexes continue, as do the reports.
	o = &GATEOptions{}
	o.ProtonsPerFrame = 3
	frames, rep, err := ImportGATE([]string{gateFixture, gateFixture}, o)
	if n := len(exp["hits_v91.npy"].Want.Default.Frames); err != nil || len(frames) != 2*n || len(rep.Files) != 2 ||
		frames[n].Meta.Frame != int64(n) || rep.Entries != 2*163 {
		t.Fatalf("two files: %d frames (want %d), %v", len(frames), 2*n, err)
	}
}

func TestImportGATEBadInput(t *testing.T) {
	good, err := os.ReadFile(gateFixture)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	for i := 1000; i < len(flipped)-1000; i += 997 {
		flipped[i] ^= 0xff
	}
	huge := bytes.Clone(good) // the TFile record claims a 1.8 GB object
	binary.BigEndian.PutUint32(huge[100+6:], 0x6b000000)
	tree, basket := firstRecord(t, good, "TTree"), firstRecord(t, good, "TBasket")
	damaged := func(at int64, v byte) []byte {
		b := bytes.Clone(good)
		b[at] = v
		return b
	}
	// a byte inside the tree's first zlib block, past its 9-byte header
	inTree := tree.pos + int64(tree.keylen) + 9 + 200
	treeZlib := damaged(inTree, good[inTree]^0x10)
	// the basket header's flag is the last byte of a basket's key
	flag80 := damaged(basket.pos+int64(basket.keylen)-1, 80)
	// the second letter of the basket's class name, after the key's fixed
	// fields, its two seek positions (8 bytes each from key version 1001)
	// and the name's length byte
	seeks := int64(8)
	if binary.BigEndian.Uint16(good[basket.pos+4:]) > 1000 {
		seeks = 16
	}
	className := damaged(basket.pos+18+seeks+2, 0xbe)
	info := bytes.Clone(good) // the header's streamer-record length (small-file layout)
	binary.BigEndian.PutUint32(info[41:], 1<<30)
	opt := func(tree string, s LayerScheme, phantom bool, k0 int) GATEOptions {
		o := GATEOptions{Tree: tree}
		o.LayerScheme, o.TKPhantom, o.WorldK0 = s, phantom, k0
		return o
	}
	cases := []importErrorCase[GATEOptions]{
		{"missing", nil, GATEOptions{}, "no such file"},
		{"empty", []byte{}, GATEOptions{}, "hits.root"},
		{"random bytes", bytes.Repeat([]byte("\x13\x99\x42garbage"), 4000), GATEOptions{}, "hits.root"},
		{"truncated header", good[:200], GATEOptions{}, "hits.root"},
		{"truncated half", good[:len(good)/2], GATEOptions{}, "hits.root"},
		{"bit flips", flipped, GATEOptions{}, "hits.root"},
		{"huge object length", huge, GATEOptions{}, "object length 1795162112"},
		{"damaged tree header", treeZlib, GATEOptions{}, fmt.Sprintf("record at %d: compression block at %d: zlib: ", tree.pos, tree.pos+int64(tree.keylen))},
		{"basket flag", flag80, GATEOptions{}, fmt.Sprintf("record at %d: basket flag 80", basket.pos)},
		{"basket class", className, GATEOptions{}, fmt.Sprintf(`record at %d: class "T\xbeasket" is not a class name`, basket.pos)},
		{"streamer length", info, GATEOptions{}, "streamer record of 1073741824 bytes at"},
		{"no such tree", good, GATEOptions{Tree: "Singles"}, `no tree "Singles"`},
		{"not a tree", good, GATEOptions{Tree: "latest_event_ID"}, "not a TTree"},
		{"scheme mismatch", good, opt(treeWorld, SchemeV92Volume, false, 0), "tracker copy 3"},
		{"world k0 wrong", good, opt(treeWorld, SchemeV92World, false, 5), "system index -3"},
		{"tk scheme gap at layer 1", good, opt(treeV91, SchemeTK, true, 0), "starts at 2"},
		{"scheme without columns", good, opt(treeVolume, SchemeV91, false, 0), `needs column "baseID"`},
		{"unknown scheme", good, opt(treeV91, "v93", false, 0), "unknown layer scheme"},
	}
	checkImportErrors(t, "hits.root", cases, func(p string, o *GATEOptions) error {
		_, err := ReadGATE([]string{p}, o)
		return err
	})
	if _, err := ReadGATE(nil, nil); err == nil {
		t.Error("no error without input files")
	}
}

func BenchmarkImportGATE(b *testing.B) {
	needGATE(b)
	o := &GATEOptions{}
	o.EpiThickness = 0.014
	b.ReportAllocs()
	var hits int64
	for b.Loop() {
		_, rep, err := ImportGATE([]string{gateFile}, o)
		if err != nil {
			b.Fatal(err)
		}
		hits += rep.Entries
	}
	b.ReportMetric(float64(hits)/b.Elapsed().Seconds(), "entries/s")
}

// fixtureRecord is a record of a ROOT file and its key.
type fixtureRecord struct {
	pos int64
	keyHeader
}

// firstRecord returns the first record of class class in the ROOT file
// data, walking the record chain as checkROOT does.
func firstRecord(t *testing.T, data []byte, class string) fixtureRecord {
	t.Helper()
	rd := &beReader{r: bytes.NewReader(data), size: int64(len(data))}
	var found *fixtureRecord
	errFound := errors.New("found")
	err := rd.walk(int64(rd.i32(8)), int64(len(data)), func(pos int64, k keyHeader) error {
		if k.class == class {
			found = &fixtureRecord{pos, k}
			return errFound
		}
		return nil
	})
	if found == nil {
		t.Fatalf("no %s record (%v)", class, err)
	}
	return *found
}
