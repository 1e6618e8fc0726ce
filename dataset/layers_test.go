package dataset

import (
	"strings"
	"testing"
)

func TestLayerSchemes(t *testing.T) {
	type hit struct {
		key  [2]int32
		want int32
	}
	cases := []struct {
		name    string
		scheme  LayerScheme
		phantom bool
		k0      int
		hits    []hit
		err     string
	}{
		{"tk", SchemeTK, false, 0, []hit{{[2]int32{1, 0}, 0}, {[2]int32{1, 1}, 1}, {[2]int32{2, 0}, 2}, {[2]int32{2, 40}, 42}}, ""},
		{"tk phantom", SchemeTK, true, 0, []hit{{[2]int32{1, 0}, 2}, {[2]int32{2, 3}, 7}}, ""},
		// The shared GATE file: one sensor in baseID 1, then baseID 2.
		{"v91 one tracker sensor", SchemeV91, false, 0, []hit{{[2]int32{1, 0}, 0}, {[2]int32{2, 0}, 1}, {[2]int32{2, 88}, 89}}, ""},
		{"v91 two tracker sensors", SchemeV91, false, 0, []hit{{[2]int32{1, 1}, 1}, {[2]int32{1, 0}, 0}, {[2]int32{2, 0}, 2}, {[2]int32{2, 5}, 7}}, ""},
		{"v91 three systems", SchemeV91, false, 0, []hit{{[2]int32{0, 0}, 0}, {[2]int32{1, 0}, 1}, {[2]int32{1, 1}, 2}, {[2]int32{2, 0}, 3}}, ""},
		{"v92 level", SchemeV92Level, false, 0, []hit{{[2]int32{0, -1}, 0}, {[2]int32{1, -1}, 1}, {[2]int32{0, 0}, 2}, {[2]int32{0, 47}, 49}}, ""},
		{"v92 level bad tracker", SchemeV92Level, false, 0, []hit{{[2]int32{2, -1}, 0}}, "level1ID 2"},
		{"v92 volume", SchemeV92Volume, false, 0, []hit{{[2]int32{0, 0}, 0}, {[2]int32{0, 1}, 1}, {[2]int32{1, 0}, 2}, {[2]int32{1, 47}, 49}}, ""},
		{"v92 volume third tracker", SchemeV92Volume, false, 0, []hit{{[2]int32{0, 2}, 0}}, "tracker copy 2"},
		{"v92 volume bad system", SchemeV92Volume, false, 0, []hit{{[2]int32{2, 0}, 0}}, "system index 2"},
		{"v92 world auto k0", SchemeV92World, false, 0, []hit{{[2]int32{2, 0}, 0}, {[2]int32{2, 1}, 1}, {[2]int32{3, 0}, 2}, {[2]int32{3, 9}, 11}}, ""},
		{"v92 world k0 1", SchemeV92World, false, 1, []hit{{[2]int32{1, 1}, 1}, {[2]int32{2, 4}, 6}}, ""},
		{"tk negative", SchemeTK, false, 0, []hit{{[2]int32{0, 0}, 0}}, "negative layer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys := make([][2]int32, len(tc.hits))
			for i, h := range tc.hits {
				keys[i] = h.key
			}
			n := newNumbering(tc.scheme, keys, tc.phantom, tc.k0)
			for _, h := range tc.hits {
				z, err := n.layer(h.key)
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("layer(%v) error %v, want %q", h.key, err, tc.err)
					}
					return
				}
				if err != nil || z != h.want {
					t.Errorf("layer(%v) = %d, %v; want %d", h.key, z, err, h.want)
				}
			}
		})
	}
}

func TestDetectScheme(t *testing.T) {
	cases := []struct {
		cols   string
		scheme LayerScheme
		want   string // scheme or error text
	}{
		{"baseID level1ID level2ID volumeID", SchemeAuto, "v91"},
		{"level1ID level2ID volumeID", "", "v92-level"},
		{"volumeID", SchemeAuto, "v92-volume"},
		{"eventID", SchemeAuto, "no layer columns"},
		{"volumeID", SchemeV91, `needs column "baseID"`},
		{"baseID level1ID", SchemeTK, "tk"},
		{"volumeID", SchemeV92World, "v92-world"},
	}
	for _, tc := range cases {
		has := func(c string) bool { return strings.Contains(" "+tc.cols+" ", " "+c+" ") }
		s, err := detectScheme(tc.scheme, has)
		got := string(s)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("detectScheme(%q, %q) = %q, want %q", tc.scheme, tc.cols, got, tc.want)
		}
	}
}

func TestDisconnected(t *testing.T) {
	cases := []struct {
		layers       []int32
		paper, exact int32
		missing      string
	}{
		{[]int32{0, 1, 2, 3, 5}, 3, 4, "4"},     // the reference doc's example: paper keeps {0,1,2}
		{[]int32{0, 1, 2, 3}, 4, 4, ""},         // no gap: keep all
		{[]int32{0, 3, 4, 9}, 0, 1, "1-2, 5-8"}, // gap right after the first layer
		{[]int32{2, 3, 7}, 1, 4, "4-6"},         // index, not layer: the paper drops everything
		{nil, 0, 0, ""},
	}
	for _, tc := range cases {
		if got := DisconnectedCut(tc.layers, true); got != tc.paper {
			t.Errorf("paper cut of %v = %d, want %d", tc.layers, got, tc.paper)
		}
		if got := DisconnectedCut(tc.layers, false); got != tc.exact {
			t.Errorf("cut of %v = %d, want %d", tc.layers, got, tc.exact)
		}
		if got := FormatRanges(missingLayers(tc.layers)); got != tc.missing {
			t.Errorf("missing of %v = %q, want %q", tc.layers, got, tc.missing)
		}
	}
}

func TestParseLayerScheme(t *testing.T) {
	for _, s := range Schemes {
		if got, err := ParseLayerScheme(string(s)); err != nil || got != s {
			t.Errorf("ParseLayerScheme(%q) = %q, %v", s, got, err)
		}
	}
	if got, err := ParseLayerScheme(""); err != nil || got != SchemeAuto {
		t.Errorf(`ParseLayerScheme("") = %q, %v`, got, err)
	}
	if _, err := ParseLayerScheme("v9"); err == nil || !strings.Contains(err.Error(), "v92-volume") {
		t.Errorf("ParseLayerScheme(v9) error %v", err)
	}
}
