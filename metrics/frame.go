package metrics

import (
	"math"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/track"
)

// DefaultReconstructableHits is the default least number of primary hits
// in the graph that makes a particle reconstructable: 5, the least length
// the paper's track filter keeps.
const DefaultReconstructableHits = 5

// Options configures an Evaluator. The zero value gives the definitions of
// the package comment.
type Options struct {
	// ReconstructableHits is the least number of Primary hits a history
	// needs in the graph to count as a reconstructable particle for the
	// double-majority efficiency; 0 means DefaultReconstructableHits.
	ReconstructableHits int `yaml:"reconstructable_hits" json:"reconstructable_hits"`
	// MaxKinkAngle, when positive, drops tracks whose direction changes by
	// this much or more (rad, 3-D angle between consecutive segments)
	// anywhere along them before the track metrics (purity, efficiency,
	// double-majority efficiency, fake rate) are counted, as the RL
	// tracker's evaluation does (RLTrackerKinkCut, 0.271 rad, in its
	// reject_tracks): such tracks count neither as correct nor in the
	// purity denominator, while the efficiency denominator stays the
	// events whose hits are all primary. 0 means no cut, the paper's
	// (E2E) metric.
	MaxKinkAngle float64 `yaml:"max_kink_angle,omitempty" json:"max_kink_angle,omitempty"`
}

// RLTrackerKinkCut is the segment-angle cut of the RL tracker's metric
// (Kortus et al., the follower figures published with it): 0.271 rad.
const RLTrackerKinkCut = 0.271

// kinked reports whether track t (graph hit indices in order along the
// track) turns by at least maxAngle rad between two consecutive segments.
func kinked(g *graph.HitGraph, t []int32, maxAngle float64) bool {
	c := math.Cos(maxAngle)
	for i := 0; i+2 < len(t); i++ {
		a, b, d := &g.Hits[t[i]], &g.Hits[t[i+1]], &g.Hits[t[i+2]]
		ux, uy, uz := float64(b.X-a.X), float64(b.Y-a.Y), float64(b.Z-a.Z)
		vx, vy, vz := float64(d.X-b.X), float64(d.Y-b.Y), float64(d.Z-b.Z)
		n := math.Sqrt((ux*ux + uy*uy + uz*uz) * (vx*vx + vy*vy + vz*vz))
		if n > 0 && (ux*vx+uy*vy+uz*vz) <= c*n {
			return true
		}
	}
	return false
}

func (o Options) minHits() int32 {
	if o.ReconstructableHits <= 0 {
		return DefaultReconstructableHits
	}
	return int32(o.ReconstructableHits)
}

// Rates are the metrics of one frame, or pooled over frames, as fractions
// (not percent). See the package comment for the definitions.
type Rates struct {
	Purity       float64 `json:"purity"`
	Efficiency   float64 `json:"efficiency"`
	TPR          float64 `json:"tpr"`
	FPR          float64 `json:"fpr"`
	DMEfficiency float64 `json:"dm_efficiency"`
	FakeRate     float64 `json:"fake_rate"`
}

// Counts are the raw numbers the Rates of a frame come from. Counts of
// several frames add up (Add) to give pooled rates (Ratios).
type Counts struct {
	Hits          int `json:"hits"`           // hits in the graph
	Events        int `json:"events"`         // distinct EventIDs among them
	PrimaryEvents int `json:"primary_events"` // events whose hits are all Primary (efficiency denominator)

	Tracks        int `json:"tracks"`         // tracks evaluated (non-empty)
	PrimaryTracks int `json:"primary_tracks"` // tracks made only of Primary hits (purity denominator)
	Correct       int `json:"correct"`        // primary tracks with one EventID

	Segments      int `json:"segments"`       // segments of the graph
	TrueSegments  int `json:"true_segments"`  // with g.Label
	SelectedTrue  int `json:"selected_true"`  // true segments selected
	FalseSegments int `json:"false_segments"` // without g.Label
	SelectedFalse int `json:"selected_false"` // false segments selected

	Reconstructable int `json:"reconstructable"` // particles with enough primary hits
	Matched         int `json:"matched"`         // reconstructable particles matched by double majority
	Fakes           int `json:"fakes"`           // tracks without a majority particle
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Hits += o.Hits
	c.Events += o.Events
	c.PrimaryEvents += o.PrimaryEvents
	c.Tracks += o.Tracks
	c.PrimaryTracks += o.PrimaryTracks
	c.Correct += o.Correct
	c.Segments += o.Segments
	c.TrueSegments += o.TrueSegments
	c.SelectedTrue += o.SelectedTrue
	c.FalseSegments += o.FalseSegments
	c.SelectedFalse += o.SelectedFalse
	c.Reconstructable += o.Reconstructable
	c.Matched += o.Matched
	c.Fakes += o.Fakes
}

// Ratios returns the rates of c; each is 0 when its denominator is 0. For
// the counts of one frame these are the frame's metrics; for counts summed
// over frames they are the pooled ratios (which differ from the average of
// the per-frame ratios).
func (c Counts) Ratios() Rates {
	return Rates{
		Purity:       ratio(c.Correct, c.PrimaryTracks),
		Efficiency:   ratio(c.Correct, c.PrimaryEvents),
		TPR:          ratio(c.SelectedTrue, c.TrueSegments),
		FPR:          ratio(c.SelectedFalse, c.FalseSegments),
		DMEfficiency: ratio(c.Matched, c.Reconstructable),
		FakeRate:     ratio(c.Fakes, c.Tracks),
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Frame holds the metrics of one reconstructed frame (Rates, so f.Purity
// etc.) and the counts they come from.
type Frame struct {
	Rates
	Counts
}

// Evaluate computes the metrics of one frame; see Evaluator.Evaluate. It
// allocates its workspace on every call: reuse an Evaluator for many frames.
func Evaluate(g *graph.HitGraph, selected []bool, tracks *track.Tracks) Frame {
	var e Evaluator
	return e.Evaluate(g, selected, tracks)
}

// Evaluator computes frame metrics with a reusable workspace. The zero value
// is ready to use with default Options; it is not safe for concurrent use.
type Evaluator struct {
	Options Options

	event map[int64]int32 // EventID -> dense event index
	hitEv []int32         // dense event index of each graph hit
	nHits []int32         // hits per event
	nPrim []int32         // Primary hits per event
	match []bool          // event already matched by a track
	sel   []bool          // selection derived from tracks
}

// Evaluate computes the metrics of one frame. g is its hit graph (truth from
// g.Hits EventID/Primary and g.Label); selected marks the segments the
// tracker chose (len(g.Src)); tracks holds the tracks to score (graph hit
// indices, e.g. track.Result.Tracks after the filter; nil means none; empty
// tracks are ignored). A nil selected is derived from the tracks: the
// segments joining consecutive hits of a track in adjacent layers (pairs
// that are no segment of g are skipped), so TPR and FPR then describe only
// the tracks given. O(hits + segments + track hits); it does not allocate
// once the workspace has grown to the largest frame seen.
//
// Evaluate panics with a "metrics: ..." message if g is nil, if selected is
// not nil and len(selected) != len(g.Src), or if a track holds a hit index
// outside g.Hits.
func (e *Evaluator) Evaluate(g *graph.HitGraph, selected []bool, tracks *track.Tracks) Frame {
	if g == nil {
		panic("metrics: Evaluate: nil graph")
	}
	if selected != nil && len(selected) != len(g.Src) {
		panic("metrics: Evaluate: len(selected) != number of segments")
	}
	if tracks == nil {
		tracks = &track.Tracks{}
	}
	minHits := e.Options.minHits()
	var c Counts
	e.index(g)
	c.Hits = len(g.Hits)
	c.Events = len(e.nHits)
	for ev, n := range e.nHits {
		p := e.nPrim[ev]
		if p == n {
			c.PrimaryEvents++
		}
		if p >= minHits {
			c.Reconstructable++
		}
	}

	if selected == nil {
		selected = e.derive(g, tracks)
	}
	c.Segments = len(g.Src)
	for s, lab := range g.Label {
		if lab {
			c.TrueSegments++
			if selected[s] {
				c.SelectedTrue++
			}
		} else {
			c.FalseSegments++
			if selected[s] {
				c.SelectedFalse++
			}
		}
	}

	for i := 0; i < tracks.Len(); i++ {
		t := tracks.Track(i)
		if len(t) == 0 || e.Options.MaxKinkAngle > 0 && kinked(g, t, e.Options.MaxKinkAngle) {
			continue
		}
		for _, h := range t {
			if h < 0 || int(h) >= len(g.Hits) {
				panic("metrics: Evaluate: track hit index out of range")
			}
		}
		c.Tracks++
		if primary, same := e.purity(g, t); primary {
			c.PrimaryTracks++
			if same {
				c.Correct++
			}
		}
		ev, k := e.majority(g, t)
		if ev < 0 {
			c.Fakes++
			continue
		}
		if p := e.nPrim[ev]; p >= minHits && 2*k > p && !e.match[ev] {
			e.match[ev] = true
			c.Matched++
		}
	}
	return Frame{Rates: c.Ratios(), Counts: c}
}

// index maps the hits of g to dense event indices and counts the (Primary)
// hits of each event; it clears the match flags.
func (e *Evaluator) index(g *graph.HitGraph) {
	if e.event == nil {
		e.event = make(map[int64]int32)
	}
	clear(e.event)
	n := len(g.Hits)
	if cap(e.hitEv) < n {
		e.hitEv = make([]int32, n)
	}
	e.hitEv = e.hitEv[:n]
	e.nHits, e.nPrim = e.nHits[:0], e.nPrim[:0]
	for i := range g.Hits {
		h := &g.Hits[i]
		ev, ok := e.event[h.EventID]
		if !ok {
			ev = int32(len(e.nHits))
			e.event[h.EventID] = ev
			e.nHits = append(e.nHits, 0)
			e.nPrim = append(e.nPrim, 0)
		}
		e.hitEv[i] = ev
		e.nHits[ev]++
		if h.Primary {
			e.nPrim[ev]++
		}
	}
	if cap(e.match) < len(e.nHits) {
		e.match = make([]bool, len(e.nHits), cap(e.nHits))
	}
	e.match = e.match[:len(e.nHits)]
	clear(e.match)
}

// purity reports whether track t is made only of Primary hits and whether
// all its hits share one EventID.
func (e *Evaluator) purity(g *graph.HitGraph, t []int32) (primary, same bool) {
	primary, same = true, true
	ev := e.hitEv[t[0]]
	for _, h := range t {
		primary = primary && g.Hits[h].Primary
		same = same && e.hitEv[h] == ev
	}
	return primary, same
}

// majority returns the event whose primary proton holds more than half of
// the hits of t and how many it holds, or -1 if there is none. Boyer–Moore
// vote over tokens (event index for Primary hits, -1 otherwise), then a
// count to confirm.
func (e *Evaluator) majority(g *graph.HitGraph, t []int32) (int32, int32) {
	tok := func(h int32) int32 {
		if g.Hits[h].Primary {
			return e.hitEv[h]
		}
		return -1
	}
	cand, votes := int32(-1), 0
	for _, h := range t {
		switch v := tok(h); {
		case votes == 0:
			cand, votes = v, 1
		case v == cand:
			votes++
		default:
			votes--
		}
	}
	if cand < 0 {
		return -1, 0
	}
	var k int32
	for _, h := range t {
		if tok(h) == cand {
			k++
		}
	}
	if 2*int(k) <= len(t) {
		return -1, 0
	}
	return cand, k
}

// derive marks the segments of g that join consecutive hits of the tracks.
func (e *Evaluator) derive(g *graph.HitGraph, tracks *track.Tracks) []bool {
	n := len(g.Src)
	if cap(e.sel) < n {
		e.sel = make([]bool, n)
	}
	e.sel = e.sel[:n]
	clear(e.sel)
	for i := 0; i < tracks.Len(); i++ {
		t := tracks.Track(i)
		for j := 1; j < len(t); j++ {
			a, b := t[j-1], t[j]
			if a < 0 || b < 0 || int(a) >= len(g.Hits) || int(b) >= len(g.Hits) {
				panic("metrics: Evaluate: track hit index out of range")
			}
			if g.Hits[b].Layer != g.Hits[a].Layer-1 {
				continue
			}
			for s := g.SrcStart[a]; s < g.SrcStart[a+1]; s++ {
				if g.Dst[s] == b {
					e.sel[s] = true
					break
				}
			}
		}
	}
	return e.sel
}
