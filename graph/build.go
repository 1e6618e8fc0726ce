package graph

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
)

// Defaults of Options (the paper's cuts and the E2E sensor box).
const (
	DefaultTrackerCone      = 0.2   // rad, segments whose deeper hit is in layer < 3
	DefaultCaloCone         = 0.4   // rad, all other segments
	DefaultTrackerConeBelow = 3     // the paper's "source hit z < 3"
	DefaultApertureX        = 270.8 // mm, full width (9 × 1024 px of 29.39 µm)
	DefaultApertureY        = 166.3 // mm, full height (12 × 512 px of 27.07 µm)

	// MaxLayer is the largest layer index Build accepts, that of the
	// dataset format; larger indices are treated as corrupt data.
	MaxLayer = dataset.MaxLayer
)

// OutsidePolicy says what Build does with a hit outside the aperture. In
// YAML and JSON it reads and writes as "drop" or "reject".
type OutsidePolicy int

const (
	// DropOutside drops the hit and counts it in HitGraph.DroppedOutside.
	DropOutside OutsidePolicy = iota
	// RejectOutside makes Build fail with ErrOutsideAperture.
	RejectOutside
)

// MarshalText returns "drop" or "reject".
func (p OutsidePolicy) MarshalText() ([]byte, error) {
	switch p {
	case DropOutside:
		return []byte("drop"), nil
	case RejectOutside:
		return []byte("reject"), nil
	}
	return nil, fmt.Errorf("graph: unknown outside-aperture policy %d", int(p))
}

// UnmarshalText reads "drop" (or "") and "reject".
func (p *OutsidePolicy) UnmarshalText(b []byte) error {
	switch string(b) {
	case "", "drop":
		*p = DropOutside
	case "reject":
		*p = RejectOutside
	default:
		return fmt.Errorf("graph: outside-aperture policy %q is not drop or reject", b)
	}
	return nil
}

// Options configures the graphs of a frame: Build's hit graph and, through
// PhysicsCut, the line graph (LineOptionsOf). The zero value (and a nil
// *Options) gives the paper's graphs: cones of 0.2 rad for segments whose
// deeper hit lies in layer 0, 1 or 2 and 0.4 rad otherwise, the 270.8 ×
// 166.3 mm aperture with outside hits dropped, no physics cut (the full
// line graph) — but, unlike the paper's pipeline, it keeps the layers
// behind a gap (set RemoveDisconnected and PaperQuirks for the paper's
// remove_disconnected).
type Options struct {
	// TrackerCone is the largest angle, in rad, between a segment and the
	// beam axis when the segment's deeper hit is in a layer below
	// TrackerConeBelow. 0 means DefaultTrackerCone; it must be in (0, π/2).
	TrackerCone float64 `yaml:"tracker_cone" json:"tracker_cone"`
	// CaloCone is the cone for all other segments. 0 means
	// DefaultCaloCone; it must be in (0, π/2).
	CaloCone float64 `yaml:"calo_cone" json:"calo_cone"`
	// TrackerConeBelow is the layer index below which a segment's deeper
	// hit selects TrackerCone. 0 means DefaultTrackerConeBelow (3: the
	// segments 2→1 and 1→0); a negative value applies CaloCone everywhere.
	TrackerConeBelow int32 `yaml:"tracker_cone_below" json:"tracker_cone_below"`

	// RemoveDisconnected drops every layer behind the first gap in the
	// occupied layers, as the paper's pipeline does per frame
	// (remove_disconnected): with occupied layers {0,1,2,3,5,6} the layers
	// 5 and 6 go.
	RemoveDisconnected bool `yaml:"remove_disconnected" json:"remove_disconnected"`
	// DisconnectedOffByOne reproduces the paper's off-by-one: it keeps
	// the layers whose index is below the position of the first gap in the
	// sorted occupied layers, which also drops the last layer before the
	// gap ({0,1,2,3,5} → {0,1,2}). Only used with RemoveDisconnected; only
	// useful to match the paper's numbers.
	DisconnectedOffByOne bool `yaml:"disconnected_off_by_one" json:"disconnected_off_by_one"`

	// ApertureX and ApertureY are the full width and height, in mm, of the
	// sensitive area, centred on the beam axis. 0 means DefaultApertureX
	// or DefaultApertureY; a negative value disables the check.
	ApertureX float64 `yaml:"aperture_x" json:"aperture_x"`
	ApertureY float64 `yaml:"aperture_y" json:"aperture_y"`
	// Outside selects what happens to hits outside the aperture; the zero
	// value drops and counts them.
	Outside OutsidePolicy `yaml:"outside" json:"outside"`

	// TrackerCut, when > 0, prunes the segments of the tracker cone (those
	// whose deeper hit is in a layer below TrackerConeBelow, whose number
	// grows with the square of the density) to the physically consistent
	// ones: a segment a→b is kept only if a continues a kept deeper segment
	// p→a with a scattering angle at a of at most TrackerCut Highland σ (the
	// Highland cut of the geometry, see Highland), so that every kept
	// segment has at least one pair that a physics cut of the same size
	// keeps. A hit without a deeper segment keeps its whole cone, and so
	// does a layer pair whose deeper neighbour layer is empty. 0 keeps the
	// whole cone, as the paper does. Segments are still built deepest pair
	// first, so the cost is O(segments kept), not O(cone).
	TrackerCut float64 `yaml:"tracker_cut,omitempty" json:"tracker_cut,omitempty"`
	// PhysicsCut, when > 0, is the Highland cut of the line graph in σ: a
	// pair of consecutive segments is kept when its scattering angle at
	// the shared hit is at most PhysicsCut·σ (Highland). It does not
	// change the hit graph; LineOptionsOf passes it to the line-graph
	// builder. 0 keeps every pair, as the paper does.
	PhysicsCut float64 `yaml:"physics_cut,omitempty" json:"physics_cut,omitempty"`
	// DropIsolated drops the segments that PhysicsCut leaves without any
	// pair although they had candidate pairs: no consecutive segment on
	// either side continues them within the cut, so they cannot be part
	// of a proton track (DropIsolated does it once the line graph is
	// built). About half the segments of a sparse graph at 100 p⁺, for
	// ~0.2 % of the true ones. It needs PhysicsCut.
	DropIsolated bool `yaml:"drop_isolated,omitempty" json:"drop_isolated,omitempty"`
	// Geometry is the detector of the physics cuts (TrackerCut,
	// PhysicsCut); nil means the preset each frame records
	// (FrameMeta.Geometry), and the default geometry for a name that is no
	// preset. Not serialised.
	Geometry *detector.Geometry `yaml:"-" json:"-"`

	// Validate runs Verify on every graph built and returns its error; a
	// test-time safety net costing O(hits + segments).
	Validate bool `yaml:"validate" json:"validate"`
}

// Sparse reports whether o asks for a physics cut (TrackerCut or
// PhysicsCut), i.e. graphs smaller than the paper's.
func (o Options) Sparse() bool { return o.TrackerCut > 0 || o.PhysicsCut > 0 }

// Resolved returns o with the defaults filled in (the cones, the tracker
// layer bound and the aperture), or an error for a cone outside (0, π/2),
// a NaN aperture, an unknown outside policy or a physics cut that is
// negative, infinite or NaN.
func (o Options) Resolved() (Options, error) {
	o.TrackerCone = cmp.Or(o.TrackerCone, DefaultTrackerCone)
	o.CaloCone = cmp.Or(o.CaloCone, DefaultCaloCone)
	o.TrackerConeBelow = cmp.Or(o.TrackerConeBelow, DefaultTrackerConeBelow)
	o.ApertureX = cmp.Or(o.ApertureX, DefaultApertureX)
	o.ApertureY = cmp.Or(o.ApertureY, DefaultApertureY)
	for _, c := range []struct {
		name string
		v    float64
	}{{"tracker cone", o.TrackerCone}, {"calorimeter cone", o.CaloCone}} {
		if !(c.v > 0 && c.v < math.Pi/2) {
			return o, fmt.Errorf("graph: %s %g rad is not in (0, π/2)", c.name, c.v)
		}
	}
	if math.IsNaN(o.ApertureX) || math.IsNaN(o.ApertureY) {
		return o, errors.New("graph: aperture is NaN")
	}
	if o.Outside != DropOutside && o.Outside != RejectOutside {
		return o, fmt.Errorf("graph: unknown outside-aperture policy %d", int(o.Outside))
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"tracker cut", o.TrackerCut}, {"physics cut", o.PhysicsCut}} {
		if !(c.v >= 0) || math.IsInf(c.v, 1) {
			return o, fmt.Errorf("graph: %s %g must be a number of sigmas >= 0", c.name, c.v)
		}
	}
	if o.DropIsolated && o.PhysicsCut == 0 {
		return o, errors.New("graph: drop isolated segments needs a physics cut")
	}
	return o, nil
}

// SameHitGraph reports whether a and b (resolved) build the same hit graph
// up to TrackerCut: the same cones, layer handling and aperture. Validate,
// PhysicsCut, DropIsolated and Geometry do not count.
func SameHitGraph(a, b Options) bool {
	a.TrackerCut, b.TrackerCut = 0, 0
	a.PhysicsCut, b.PhysicsCut = 0, 0
	a.DropIsolated, b.DropIsolated = false, false
	a.Geometry, b.Geometry = nil, nil
	a.Validate, b.Validate = false, false
	return a == b
}

// Errors that callers branch on with errors.Is. Build wraps them in a
// *FrameError naming the frame (and hit).
var (
	// ErrEmptyFrame: the frame has no hits (left). Callers count and skip.
	ErrEmptyFrame = errors.New("empty frame")
	// ErrTooFewLayers: all hits are in one layer, so there are no
	// segments. Callers count and skip.
	ErrTooFewLayers = errors.New("fewer than two occupied layers")
	// ErrOutsideAperture: a hit lies outside the aperture (RejectOutside).
	ErrOutsideAperture = errors.New("hit outside the aperture")
	// ErrNonFinite: a hit has a NaN or infinite coordinate or deposit.
	ErrNonFinite = errors.New("non-finite hit coordinate or energy")
	// ErrBadLayer: a layer index is negative or above MaxLayer.
	ErrBadLayer = errors.New("layer index out of range")
	// ErrLayerOrder: a deeper layer does not lie behind a shallower one in
	// z, so the layer indices or positions are corrupt.
	ErrLayerOrder = errors.New("layers not ordered in z")
	// ErrTooLarge: the graph would need more than 2³¹−1 edges.
	ErrTooLarge = errors.New("graph too large for int32 indices")
)

// FrameError is the error Build and LineBuilder.Build return for bad data:
// it names the frame and, when Hit >= 0, the hit (its index in the input
// frame's Hits).
type FrameError struct {
	Frame int64
	Hit   int
	Err   error
}

func (e *FrameError) Error() string {
	if e.Hit >= 0 {
		return fmt.Sprintf("graph: frame %d hit %d: %v", e.Frame, e.Hit, e.Err)
	}
	return fmt.Sprintf("graph: frame %d: %v", e.Frame, e.Err)
}

// Unwrap returns the underlying error.
func (e *FrameError) Unwrap() error { return e.Err }

// Builder builds hit graphs into caller-owned HitGraphs, reusing its
// workspace; once the graph's slices and the workspace have grown to the
// largest frame seen, Build does not allocate. A Builder is not safe for
// concurrent use; use one per goroutine.
type Builder struct {
	opt            Options
	trackerTan2    float64
	caloTan2       float64
	trackerTan     float64
	caloTan        float64
	halfX, halfY   float64
	checkX, checkY bool
	count          []int32 // per layer: hits, then insertion cursor
	occupied       []int32 // layers with hits, for RemoveDisconnected
	keys           []uint64
	sorted         []sortHit
	mark           []uint64  // bit set over the shallower layer's hits
	zmin, zmax     []float32 // per occupied layer k

	// TrackerCut: Highland tables per geometry and the deeper segments
	// arriving at each hit of the pair's deeper layer.
	cuts      *highlands
	hl        *Highland // prepared for the frame being built
	predStart []int32
	predCur   []int32
	predHit   []int32
}

// sortHit is a shallower-layer hit in the x-sorted spatial index.
type sortHit struct {
	x, y, z float32
	i       int32
}

// NewBuilder checks opt (nil means all defaults) and returns a Builder.
// It returns the errors of Options.Resolved.
func NewBuilder(opt *Options) (*Builder, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	o, err := o.Resolved()
	if err != nil {
		return nil, err
	}
	b := &Builder{opt: o}
	b.trackerTan = math.Tan(o.TrackerCone)
	b.caloTan = math.Tan(o.CaloCone)
	b.trackerTan2 = b.trackerTan * b.trackerTan
	b.caloTan2 = b.caloTan * b.caloTan
	b.halfX, b.checkX = o.ApertureX/2, o.ApertureX > 0
	b.halfY, b.checkY = o.ApertureY/2, o.ApertureY > 0
	if o.TrackerCut > 0 {
		b.cuts = newHighlands(o.TrackerCut, o.Geometry)
	}
	return b, nil
}

// Options returns the options in use, with defaults filled in.
func (b *Builder) Options() Options { return b.opt }

// Build builds the hit graph of one frame with the given options. It is
// NewBuilder followed by Builder.Build into a new HitGraph.
func Build(f *dataset.Frame, opt *Options) (*HitGraph, error) {
	b, err := NewBuilder(opt)
	if err != nil {
		return nil, err
	}
	g := new(HitGraph)
	if err := b.Build(g, f); err != nil {
		return nil, err
	}
	return g, nil
}

// Build builds the hit graph of frame f into dst, overwriting it and
// reusing its slices; f is not modified and dst does not alias it.
//
// Hits are sorted by layer, deepest first (a stable counting sort, so the
// order within a layer is the frame's order). For every occupied layer L
// whose layer L−1 is occupied, the pairs (a in L, b in L−1) whose direction
// makes an angle atan2(√(dx²+dy²), z_a−z_b) smaller than the cone with the
// +z axis become segments (the test is done as dx²+dy² < (dz·tan cone)²
// with dz > 0, in float64). The cone is TrackerCone when L <
// TrackerConeBelow, else CaloCone.
//
// Errors (all *FrameError): ErrNonFinite, ErrBadLayer, ErrOutsideAperture
// (RejectOutside), ErrLayerOrder, ErrEmptyFrame (no hits, or none left),
// ErrTooFewLayers (one occupied layer), ErrTooLarge; with Validate, a Verify
// failure. On error dst holds no usable graph.
//
// Complexity: O(n + Σ_L n_L log n_L + Σ_a (w_a + n_{L−1}/64 + k_a)) for n
// hits, w_a the hits in the x-window of hit a (in layer L) and k_a its
// segments: the shallower layer is sorted by x, the window found by binary
// search, and the hits passing the cone marked in a bit set so that they
// come out sorted. Panics if dst or f is nil.
func (b *Builder) Build(dst *HitGraph, f *dataset.Frame) error {
	if dst == nil || f == nil {
		panic("graph: Build with nil graph or frame")
	}
	fe := func(hit int, err error) error { return &FrameError{Frame: f.Meta.Frame, Hit: hit, Err: err} }
	hits := f.Hits
	if len(hits) > math.MaxInt32 {
		return fe(-1, ErrTooLarge)
	}
	g := dst
	g.Meta = f.Meta
	g.Options = b.opt
	g.Options.DropIsolated = false // done by a Dropper, on the line graph
	g.CandidatePairs, g.DroppedOutside, g.DroppedDisconnected = 0, 0, 0
	if len(hits) == 0 {
		g.resetEmpty()
		return fe(-1, ErrEmptyFrame)
	}

	// Validate hits and count per layer.
	maxLayer := int32(-1)
	for i := range hits {
		h := &hits[i]
		if !finite32(h.X) || !finite32(h.Y) || !finite32(h.Z) || !finite32(h.Edep) {
			return fe(i, fmt.Errorf("%w (x=%g y=%g z=%g edep=%g)", ErrNonFinite, h.X, h.Y, h.Z, h.Edep))
		}
		if h.Layer < 0 || h.Layer > MaxLayer {
			return fe(i, fmt.Errorf("%w: layer %d not in [0, %d]", ErrBadLayer, h.Layer, MaxLayer))
		}
		maxLayer = max(maxLayer, h.Layer)
	}
	b.count = slices.Grow(b.count[:0], int(maxLayer)+1)[:maxLayer+1]
	clear(b.count)
	for i := range hits {
		h := &hits[i]
		if b.outside(h) {
			if b.opt.Outside == RejectOutside {
				return fe(i, fmt.Errorf("%w (x=%g y=%g mm, aperture %g × %g mm)",
					ErrOutsideAperture, h.X, h.Y, b.opt.ApertureX, b.opt.ApertureY))
			}
			g.DroppedOutside++
			continue
		}
		b.count[h.Layer]++
	}

	// Layers beyond this one are dropped (RemoveDisconnected).
	keepMax := maxLayer
	if b.opt.RemoveDisconnected {
		b.occupied = b.occupied[:0]
		for l, c := range b.count {
			if c > 0 {
				b.occupied = append(b.occupied, int32(l))
			}
		}
		keepMax = dataset.DisconnectedCut(b.occupied, b.opt.DisconnectedOffByOne) - 1
	}
	g.Layers = g.Layers[:0]
	n := int32(0)
	for l := maxLayer; l >= 0; l-- {
		c := b.count[l]
		if c == 0 {
			continue
		}
		if l > keepMax {
			g.DroppedDisconnected += int(c)
			b.count[l] = 0
			continue
		}
		g.Layers = append(g.Layers, l)
		b.count[l] = n // becomes the insertion cursor
		n += c
	}
	if n == 0 {
		g.resetEmpty()
		return fe(-1, ErrEmptyFrame)
	}

	// Stable counting sort, deepest layer first.
	g.Hits = slices.Grow(g.Hits[:0], int(n))[:n]
	g.HitIndex = slices.Grow(g.HitIndex[:0], int(n))[:n]
	g.LayerStart = g.LayerStart[:0]
	for _, l := range g.Layers {
		g.LayerStart = append(g.LayerStart, b.count[l])
	}
	g.LayerStart = append(g.LayerStart, n)
	for i := range hits {
		h := &hits[i]
		if h.Layer > keepMax || b.outside(h) {
			continue
		}
		p := b.count[h.Layer]
		b.count[h.Layer]++
		g.Hits[p] = *h
		g.HitIndex[p] = int32(i)
	}
	if len(g.Layers) < 2 {
		g.resetSegments()
		return fe(-1, fmt.Errorf("%w: all %d hits in layer %d", ErrTooFewLayers, n, g.Layers[0]))
	}
	if err := b.checkZ(g); err != nil {
		g.resetSegments()
		return fe(-1, err)
	}
	if b.cuts != nil {
		h, err := b.cuts.prepare(g)
		if err != nil {
			g.resetSegments()
			return fe(-1, err)
		}
		b.hl = h
	}
	if err := b.segments(g); err != nil {
		g.resetSegments()
		return fe(-1, err)
	}
	if b.opt.Validate {
		if err := g.Verify(); err != nil {
			return fe(-1, err)
		}
	}
	return nil
}

func finite32(v float32) bool {
	f := float64(v)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

func (b *Builder) outside(h *dataset.Hit) bool {
	return (b.checkX && math.Abs(float64(h.X)) > b.halfX) || (b.checkY && math.Abs(float64(h.Y)) > b.halfY)
}

// checkZ fills the per-layer z range and checks that every occupied layer
// lies behind the next shallower occupied one.
func (b *Builder) checkZ(g *HitGraph) error {
	nl := len(g.Layers)
	b.zmin = slices.Grow(b.zmin[:0], nl)[:nl]
	b.zmax = slices.Grow(b.zmax[:0], nl)[:nl]
	for k := range nl {
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, h := range g.Hits[g.LayerStart[k]:g.LayerStart[k+1]] {
			lo, hi = min(lo, h.Z), max(hi, h.Z)
		}
		b.zmin[k], b.zmax[k] = lo, hi
	}
	for k := 0; k+1 < nl; k++ {
		if !(b.zmin[k] > b.zmax[k+1]) {
			return fmt.Errorf("%w: layer %d (z %g…%g mm) is not behind layer %d (z %g…%g mm)",
				ErrLayerOrder, g.Layers[k], b.zmin[k], b.zmax[k], g.Layers[k+1], b.zmin[k+1], b.zmax[k+1])
		}
	}
	return nil
}

// orderedBits maps a float32 to a uint32 with the same order (for finite
// values).
func orderedBits(x float32) uint32 {
	u := math.Float32bits(x)
	if u&(1<<31) != 0 {
		return ^u
	}
	return u | 1<<31
}

// segments finds the segments of every adjacent layer pair with an
// x-sorted index of the shallower layer.
func (b *Builder) segments(g *HitGraph) error {
	nh := len(g.Hits)
	g.Src, g.Dst = g.Src[:0], g.Dst[:0]
	g.Label, g.PrimaryLabel = g.Label[:0], g.PrimaryLabel[:0]
	g.SrcStart = slices.Grow(g.SrcStart[:0], nh+1)[:nh+1]
	g.PairStart = slices.Grow(g.PairStart[:0], len(g.Layers)+1)[:len(g.Layers)+1]
	for k, l := range g.Layers {
		a0, a1 := g.LayerStart[k], g.LayerStart[k+1]
		g.PairStart[k] = int32(len(g.Src))
		if k+1 == len(g.Layers) || g.Layers[k+1] != l-1 {
			for a := a0; a < a1; a++ {
				g.SrcStart[a] = int32(len(g.Src))
			}
			continue
		}
		b0, b1 := a1, g.LayerStart[k+2]
		g.CandidatePairs += int(a1-a0) * int(b1-b0)
		if int64(len(g.Src))+int64(a1-a0)*int64(b1-b0) > math.MaxInt32 {
			return fmt.Errorf("%w: %d candidate pairs", ErrTooLarge, g.CandidatePairs)
		}
		tan, tan2 := b.caloTan, b.caloTan2
		if l < b.opt.TrackerConeBelow {
			tan, tan2 = b.trackerTan, b.trackerTan2
		}
		// Sort the shallower layer by x: keys are the order-preserving
		// bits of x above the hit index, sorted as integers.
		keys := b.keys[:0]
		for i := b0; i < b1; i++ {
			keys = append(keys, uint64(orderedBits(g.Hits[i].X))<<32|uint64(i))
		}
		slices.Sort(keys)
		b.keys = keys
		s := b.sorted[:0]
		for _, key := range keys {
			h := &g.Hits[int32(key)]
			s = append(s, sortHit{h.X, h.Y, h.Z, int32(key)})
		}
		b.sorted = s
		nw := (int(b1-b0) + 63) / 64
		b.mark = slices.Grow(b.mark[:0], nw)[:nw]
		mark := b.mark
		clear(mark)
		// Every kept pair has |dx| < dz·tan <= (zmax_L − zmin_{L−1})·tan.
		w := float64(b.zmax[k]-b.zmin[k+1]) * tan
		cut := b.trackerCut(g, k)
		for a := a0; a < a1; a++ {
			g.SrcStart[a] = int32(len(g.Src))
			ha := &g.Hits[a]
			if cut > 0 && b.predStart[a-a0] < b.predStart[a-a0+1] {
				b.markConsistent(g, k, a, s, cut, w, tan2)
			} else {
				xa, ya, za := float64(ha.X), float64(ha.Y), float64(ha.Z)
				up := float32(xa + w)
				for j := firstAtLeast(s, float32(xa-w)); j < len(s) && s[j].x <= up; j++ {
					dx, dy, dz := xa-float64(s[j].x), ya-float64(s[j].y), za-float64(s[j].z)
					if dz > 0 && dx*dx+dy*dy < dz*dz*tan2 {
						r := s[j].i - b0
						mark[r>>6] |= 1 << (r & 63)
					}
				}
			}
			// The marks come out in index order: no sort needed.
			for wi, m := range mark {
				if m == 0 {
					continue
				}
				mark[wi] = 0
				for m != 0 {
					d := b0 + int32(wi<<6+bits.TrailingZeros64(m))
					m &= m - 1
					hd := &g.Hits[d]
					same := ha.EventID == hd.EventID
					g.Src = append(g.Src, a)
					g.Dst = append(g.Dst, d)
					g.Label = append(g.Label, same)
					g.PrimaryLabel = append(g.PrimaryLabel, same && ha.Primary && hd.Primary)
				}
			}
		}
	}
	g.SrcStart[nh] = int32(len(g.Src))
	g.PairStart[len(g.Layers)] = int32(len(g.Src))
	return nil
}

// firstAtLeast returns the first j with s[j].x >= x (len(s) if none).
func firstAtLeast(s []sortHit, x float32) int {
	j, hi := 0, len(s)
	for j < hi {
		m := int(uint(j+hi) >> 1)
		if s[m].x < x {
			j = m + 1
		} else {
			hi = m
		}
	}
	return j
}

// resetEmpty leaves dst as a graph without hits.
func (g *HitGraph) resetEmpty() {
	g.Hits, g.HitIndex = g.Hits[:0], g.HitIndex[:0]
	g.Layers, g.LayerStart = g.Layers[:0], append(g.LayerStart[:0], 0)
	g.resetSegments()
}

// resetSegments leaves dst without segments (consistent layout).
func (g *HitGraph) resetSegments() {
	g.Src, g.Dst = g.Src[:0], g.Dst[:0]
	g.Label, g.PrimaryLabel = g.Label[:0], g.PrimaryLabel[:0]
	g.SrcStart = g.SrcStart[:0]
	for range len(g.Hits) + 1 {
		g.SrcStart = append(g.SrcStart, 0)
	}
	g.PairStart = g.PairStart[:0]
	for range len(g.Layers) + 1 {
		g.PairStart = append(g.PairStart, 0)
	}
	g.CandidatePairs = 0
}
