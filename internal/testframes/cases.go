package testframes

import "github.com/pcttrack/pcttrack/dataset"

// Default DTC geometry (dtc-reference.md §1.4, Module_final_auto): two
// tracker sensors 52.4 mm apart, then 48 calorimeter sensors 5.5 mm apart.
const (
	TrackerZ0    = 225.2315 // mm, sensor plane of layer 0
	TrackerPitch = 52.4     // mm
	CaloZ0       = 333.3815 // mm, sensor plane of layer 2
	CaloPitch    = 5.5      // mm
	NumLayers    = 50       // 2 tracker + 48 calorimeter layers
)

// LayerZ returns the z of the sensor plane of layer l (0-based) in mm.
func LayerZ(l int) float64 {
	if l < 2 {
		return TrackerZ0 + TrackerPitch*float64(l)
	}
	return CaloZ0 + CaloPitch*float64(l-2)
}

// Case is a hand-made frame with its known graphs under the default graph
// options (cones 0.2 rad for segments leaving layers 0–2 and 0.4 rad
// otherwise). Hit indices refer to Frame.Hits.
type Case struct {
	Name  string
	Frame dataset.Frame

	// Segments lists every hit-graph edge as {deeper, shallower} hit
	// indices, grouped by layer pair (in no particular order).
	Segments [][2]int
	// CandidatePairs is Σ n_L·n_{L−1} over adjacent occupied layers.
	CandidatePairs int
	// TrueSegments have both hits in the same event; PrimarySegments
	// additionally both Primary (all of them survive the cone here).
	TrueSegments, PrimarySegments int
	// LinePairs counts pairs of consecutive segments (undirected; the line
	// graph holds 2·LinePairs edges), TrueLinePairs those made of two true
	// segments, PrimaryPairs those made of two primary segments.
	LinePairs, TrueLinePairs, PrimaryPairs int
	// Tracks lists the primary tracks as hit indices, deepest first.
	Tracks [][]int
}

// hit makes a hit on the sensor plane of layer l with a typical proton
// deposit (cs 4).
func hit(ev int64, track int32, l int, x, y float32) dataset.Hit {
	h := dataset.Hit{
		Layer: int32(l), X: x, Y: y, Z: float32(LayerZ(l)),
		Edep: 0.025, ClusterSize: 4, EventID: ev, TrackID: track, PDG: dataset.PDGProton,
		Primary: track == 1,
	}
	if track != 1 {
		h.ParentID = 1
	}
	return h
}

// Cases returns the hand-made frames, freshly allocated:
//
//   - "two-protons": protons A (event 1, x = 0) and B (event 2, x = 8 mm)
//     run straight through layers 0–2; 8 mm over 52.4 or 55.75 mm is
//     0.15 or 0.14 rad, inside the 0.2 rad tracker cone, so both layer
//     pairs are complete bipartite: 8 segments, 4 true, 8 line pairs at
//     the two layer-1 hits, 2 true.
//   - "three-protons-secondary": protons 10 (x = y = 0, layers 0–4), 11
//     (x = 20 mm drifting to 22 mm, layers 0–4) and 12 (y = 5 mm, layers
//     0–3), and a secondary of event 10 in layers 3 and 4 (x = 1.0 and
//     1.5 mm). In the tracker 12 and 10 (5 mm apart) connect crosswise, 11
//     (20 mm away) does not; in the calorimeter (cone radius 2.33 mm over
//     5.5 mm) only 10 and the secondary connect crosswise: 19 segments
//     (15 true, 11 primary), 21 line pairs (12 true, 8 primary).
func Cases() []Case {
	return []Case{twoProtons(), threeProtonsSecondary()}
}

func twoProtons() Case {
	var hs []dataset.Hit
	for _, p := range []struct {
		ev int64
		x  float32
	}{{1, 0}, {2, 8}} {
		for l := range 3 {
			hs = append(hs, hit(p.ev, 1, l, p.x, 0))
		}
	}
	// Indices: A0 0, A1 1, A2 2, B0 3, B1 4, B2 5.
	return Case{
		Name:  "two-protons",
		Frame: dataset.Frame{Meta: meta(0, 2), Hits: hs},
		Segments: [][2]int{
			{2, 1}, {2, 4}, {5, 1}, {5, 4},
			{1, 0}, {1, 3}, {4, 0}, {4, 3},
		},
		CandidatePairs: 8,
		TrueSegments:   4, PrimarySegments: 4,
		LinePairs: 8, TrueLinePairs: 2, PrimaryPairs: 2,
		Tracks: [][]int{{2, 1, 0}, {5, 4, 3}},
	}
}

func threeProtonsSecondary() Case {
	hs := []dataset.Hit{
		hit(10, 1, 0, 0, 0), hit(10, 1, 1, 0, 0), hit(10, 1, 2, 0, 0), hit(10, 1, 3, 0, 0), hit(10, 1, 4, 0, 0), // 0–4
		hit(10, 2, 3, 1.0, 0), hit(10, 2, 4, 1.5, 0), // 5, 6: secondary of event 10
		hit(11, 1, 0, 20, 0), hit(11, 1, 1, 20, 0), hit(11, 1, 2, 21, 0), hit(11, 1, 3, 21.5, 0), hit(11, 1, 4, 22, 0), // 7–11
		hit(12, 1, 0, 0, 5), hit(12, 1, 1, 0, 5), hit(12, 1, 2, 0, 5), hit(12, 1, 3, 0, 5), // 12–15
	}
	hs[5].PDG, hs[6].PDG = dataset.PDGElectron, dataset.PDGElectron
	return Case{
		Name:  "three-protons-secondary",
		Frame: dataset.Frame{Meta: meta(1, 3), Hits: hs},
		Segments: [][2]int{
			{4, 3}, {4, 5}, {11, 10}, {6, 3}, {6, 5}, // 4 → 3
			{3, 2}, {10, 9}, {15, 14}, {5, 2}, // 3 → 2
			{2, 1}, {2, 13}, {9, 8}, {14, 1}, {14, 13}, // 2 → 1
			{1, 0}, {1, 12}, {8, 7}, {13, 0}, {13, 12}, // 1 → 0
		},
		CandidatePairs: 3*4 + 4*3 + 3*3 + 3*3,
		TrueSegments:   15, PrimarySegments: 11,
		LinePairs: 21, TrueLinePairs: 12, PrimaryPairs: 8,
		Tracks: [][]int{{4, 3, 2, 1, 0}, {11, 10, 9, 8, 7}, {15, 14, 13, 12}},
	}
}

func meta(frame int64, protons int) dataset.FrameMeta {
	return dataset.FrameMeta{
		Frame: frame, Phantom: "none", BeamEnergy: 230, ProtonsPerFrame: protons, Geometry: "testframes",
	}
}
