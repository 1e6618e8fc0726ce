package dataset

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// LayerScheme selects how a GATE hit's volume IDs give its layer index
// (reference doc §1.4).
type LayerScheme string

// Layer-numbering schemes.
const (
	// SchemeAuto picks v91 when baseID and level1ID exist, else v92-level
	// when level1ID and level2ID exist, else v92-volume when volumeID does.
	SchemeAuto LayerScheme = "auto"
	// SchemeTK is the DTC toolkit's GATE 8 rule: 2·baseID + level1ID − 2
	// (+2 with ImportOptions.TKPhantom).
	SchemeTK LayerScheme = "tk"
	// SchemeV91 is the paper's GateVersion.v91 rule: the number of distinct
	// (level1ID, baseID) pairs with a lower baseID, plus level1ID.
	SchemeV91 LayerScheme = "v91"
	// SchemeV92Level is v92 with level IDs: level1ID if level2ID = −1,
	// else 2 + level2ID.
	SchemeV92Level LayerScheme = "v92-level"
	// SchemeV92Volume is the v92 fallback 2·volumeID[2] + volumeID[3]
	// (an extra mother volume between the world and the scanners).
	SchemeV92Volume LayerScheme = "v92-volume"
	// SchemeV92World is the same for scanners placed directly in the world:
	// 2·(volumeID[1] − k0) + volumeID[2], k0 = scanner_1's daughter index.
	SchemeV92World LayerScheme = "v92-world"
)

// Schemes lists the accepted scheme names.
var Schemes = []LayerScheme{SchemeAuto, SchemeTK, SchemeV91, SchemeV92Level, SchemeV92Volume, SchemeV92World}

// ParseLayerScheme checks a scheme name; "" means SchemeAuto.
func ParseLayerScheme(s string) (LayerScheme, error) {
	if s == "" {
		return SchemeAuto, nil
	}
	for _, v := range Schemes {
		if string(v) == s {
			return v, nil
		}
	}
	names := make([]string, len(Schemes))
	for i, v := range Schemes {
		names[i] = string(v)
	}
	return "", fmt.Errorf("dataset: unknown layer scheme %q (want one of %s)", s, strings.Join(names, ", "))
}

// detectScheme resolves SchemeAuto from the columns present and checks that
// an explicit scheme has its columns.
func detectScheme(s LayerScheme, has func(string) bool) (LayerScheme, error) {
	need := func(s LayerScheme, cols ...string) (LayerScheme, error) {
		for _, c := range cols {
			if !has(c) {
				return "", fmt.Errorf("layer scheme %s needs column %q, which is missing", s, c)
			}
		}
		return s, nil
	}
	switch s {
	case "", SchemeAuto:
		switch {
		case has("baseID") && has("level1ID"):
			return SchemeV91, nil
		case has("level1ID") && has("level2ID"):
			return SchemeV92Level, nil
		case has("volumeID"):
			return SchemeV92Volume, nil
		}
		return "", fmt.Errorf("no layer columns (baseID+level1ID, level1ID+level2ID or volumeID)")
	case SchemeTK, SchemeV91:
		return need(s, "baseID", "level1ID")
	case SchemeV92Level:
		return need(s, "level1ID", "level2ID")
	case SchemeV92Volume, SchemeV92World:
		return need(s, "volumeID")
	}
	return "", fmt.Errorf("unknown layer scheme %q", s)
}

// rawKeyColumns names the two per-hit IDs a scheme needs; "volumeID[d]" is
// element d of the volumeID array.
func rawKeyColumns(s LayerScheme) (a, b string) {
	switch s {
	case SchemeTK, SchemeV91:
		return "baseID", "level1ID"
	case SchemeV92Level:
		return "level1ID", "level2ID"
	case SchemeV92Volume:
		return "volumeID[2]", "volumeID[3]"
	case SchemeV92World:
		return "volumeID[1]", "volumeID[2]"
	}
	panic("dataset: rawKeyColumns of an unresolved scheme")
}

func layerTK(baseID, level1ID int32, phantom bool) int32 {
	z := 2*baseID + level1ID - 2
	if phantom {
		z += 2
	}
	return z
}

// v91Offsets returns, for each baseID in keys, the number of distinct
// (baseID, level1ID) pairs with a lower baseID. keys are (baseID, level1ID).
func v91Offsets(keys [][2]int32) map[int32]int32 {
	pairs := slices.Clone(keys)
	slices.SortFunc(pairs, cmpKey)
	pairs = slices.Compact(pairs)
	off := make(map[int32]int32)
	for i, p := range pairs {
		if _, ok := off[p[0]]; !ok {
			off[p[0]] = int32(i) // pairs is sorted by baseID first
		}
	}
	return off
}

func layerV92Level(level1ID, level2ID int32) int32 {
	if level2ID == -1 {
		return level1ID
	}
	return 2 + level2ID
}

func layerV92Volume(vid2, vid3 int32) int32 { return 2*vid2 + vid3 }

func layerV92World(vid1, vid2, k0 int32) int32 { return 2*(vid1-k0) + vid2 }

// numbering maps raw keys to layers for one file and checks the result.
type numbering struct {
	scheme  LayerScheme
	phantom bool
	k0      int32
	v91     map[int32]int32
}

// newNumbering prepares the numbering of scheme s for the distinct raw keys
// of one file; worldK0 <= 0 means the smallest volumeID[1] seen.
func newNumbering(s LayerScheme, keys [][2]int32, tkPhantom bool, worldK0 int) *numbering {
	n := &numbering{scheme: s, phantom: tkPhantom, k0: int32(worldK0)}
	switch s {
	case SchemeV91:
		n.v91 = v91Offsets(keys)
	case SchemeV92World:
		if worldK0 <= 0 && len(keys) > 0 {
			n.k0 = keys[0][0]
			for _, k := range keys {
				n.k0 = min(n.k0, k[0])
			}
		}
	}
	return n
}

// layer returns the layer of raw key k, or an error for IDs the scheme
// cannot number (tracker copies beyond 2, system indexes beyond 1).
func (n *numbering) layer(k [2]int32) (int32, error) {
	var z int32
	switch n.scheme {
	case SchemeTK:
		z = layerTK(k[0], k[1], n.phantom)
	case SchemeV91:
		z = n.v91[k[0]] + k[1]
	case SchemeV92Level:
		if k[1] == -1 && k[0] >= 2 {
			return 0, fmt.Errorf("tracker hit with level1ID %d (want 0 or 1)", k[0])
		}
		z = layerV92Level(k[0], k[1])
	case SchemeV92Volume, SchemeV92World:
		sys := k[0]
		if n.scheme == SchemeV92World {
			sys -= n.k0
		}
		if sys != 0 && sys != 1 {
			return 0, fmt.Errorf("%s: system index %d (want 0 = tracker or 1 = calorimeter); wrong --layer-scheme?", n.scheme, sys)
		}
		if sys == 0 && (k[1] < 0 || k[1] >= 2) {
			return 0, fmt.Errorf("%s: tracker copy %d (want 0 or 1)", n.scheme, k[1])
		}
		if n.scheme == SchemeV92World {
			z = layerV92World(k[0], k[1], n.k0)
		} else {
			z = layerV92Volume(k[0], k[1])
		}
	default:
		panic("dataset: numbering of an unresolved scheme")
	}
	if z < 0 {
		return 0, fmt.Errorf("%s: IDs (%d, %d) give negative layer %d", n.scheme, k[0], k[1], z)
	}
	return z, nil
}

// DisconnectedCut is the paper's remove_disconnected: given the sorted
// distinct occupied layers, it returns the exclusive upper bound of the
// layers kept, all layers up to the first gap (all layers without a gap).
// With offByOne it reproduces the paper's off-by-one, which compares layers
// with the array index of the last layer before the gap ({0,1,2,3,5} keeps
// {0,1,2}). The importer (ImportOptions.RemoveDisconnected) and the graph
// builder both use it.
func DisconnectedCut(layers []int32, offByOne bool) int32 {
	for i := 0; i+1 < len(layers); i++ {
		if layers[i+1]-layers[i] > 1 {
			if offByOne {
				return int32(i)
			}
			return layers[i] + 1
		}
	}
	if len(layers) == 0 {
		return 0
	}
	return layers[len(layers)-1] + 1
}

// missingLayers lists the layers between the first and last of the sorted
// distinct layers that have no hit.
func missingLayers(layers []int32) []int32 {
	var miss []int32
	for i := 0; i+1 < len(layers); i++ {
		for z := layers[i] + 1; z < layers[i+1]; z++ {
			miss = append(miss, z)
		}
	}
	return miss
}

// FormatRanges writes sorted integers as "1-3, 7": for reports of missing
// layers or frames.
func FormatRanges[T int32 | int64 | int](v []T) string {
	var b strings.Builder
	for i := 0; i < len(v); {
		j := i
		for j+1 < len(v) && v[j+1] == v[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(int64(v[i]), 10))
		if j > i {
			b.WriteString("-")
			b.WriteString(strconv.FormatInt(int64(v[j]), 10))
		}
		i = j + 1
	}
	return b.String()
}

func cmpKey(a, b [2]int32) int {
	return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
}
