package dataset

import (
	"bytes"
	"os"
	"path/filepath"
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

func TestImportGATEBadInput(t *testing.T) {
	needGATE(t)
	good, err := os.ReadFile(gateFile)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	for i := 1000; i < len(flipped)-1000; i += 997 {
		flipped[i] ^= 0xff
	}
	cases := []struct {
		name string
		data []byte
		opt  GATEOptions
		want string
	}{
		{"missing", nil, GATEOptions{}, "no such file"},
		{"empty", []byte{}, GATEOptions{}, "hits.root"},
		{"random bytes", bytes.Repeat([]byte("\x13\x99\x42garbage"), 4000), GATEOptions{}, "hits.root"},
		{"truncated header", good[:200], GATEOptions{}, "hits.root"},
		{"truncated half", good[:len(good)/2], GATEOptions{}, "hits.root"},
		{"bit flips", flipped, GATEOptions{}, "hits.root"},
		{"no such tree", good, GATEOptions{Tree: "Singles"}, `no tree "Singles"`},
		{"not a tree", good, GATEOptions{Tree: "latest_event_ID"}, "not a TTree"},
		{"scheme mismatch", good, GATEOptions{ImportOptions: ImportOptions{LayerScheme: SchemeV92Volume}}, "system index 2"},
		{"tk scheme gap at layer 1", good, GATEOptions{ImportOptions: ImportOptions{LayerScheme: SchemeTK, TKPhantom: true}}, "starts at 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "hits.root")
			if tc.data != nil {
				if err := os.WriteFile(p, tc.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadGATE([]string{p}, &tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "dataset: ") {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
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
