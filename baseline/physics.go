package baseline

import (
	"cmp"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/track"
)

// Defaults of PhysicsOptions, chosen on 40 simulated frames of 100 p⁺
// behind 100 mm of water (purity/efficiency in %): MaxChi2 6 gives
// 90.6/67.7, 9 gives 86.6/69.8, 16 gives 85.1/70.7, 25 gives 84.4/70.6 —
// a lower threshold breaks uncertain tracks, whose shallow remainders
// then fail the paper's filter. With MaxChi2 9, StartSigma 0.05, 0.1 and
// 0.2 rad lose 4/2/2 points of purity and 11/2/2 of efficiency against
// 0.4 rad and above, which are all alike (10 frames).
const (
	DefaultMaxChi2    = 9.0 // χ² (2 dof) above which a hit is left unmatched: 3σ
	DefaultStartSigma = 0.5 // rad, σ of a track's first segment around the beam axis
)

// PhysicsOptions configures the physics-cost tracker. The zero value means
// the defaults.
type PhysicsOptions struct {
	// MaxChi2 sets the cost of leaving a hit unmatched in a layer pair to
	// MaxChi2/2 per hit, so that a pair whose χ² exceeds MaxChi2 costs
	// more than leaving both its hits free: with Gaussian scattering a
	// true continuation exceeds it with probability exp(−MaxChi2/2)
	// (1.1 % at 9). 0 means DefaultMaxChi2.
	MaxChi2 float64
	// StartSigma is the σ in rad of the angle between a track's first
	// (deepest) segment and the beam axis: its cost is (angle/StartSigma)².
	// Wide, because near its stopping point a proton's direction has
	// little to do with the beam axis. 0 means DefaultStartSigma.
	StartSigma float64
	// PositionSigma is the hit position resolution in mm per transverse
	// coordinate (see detector.Stack.KinkSigma). 0 means the geometry's pixel
	// pitch/√12, negative none.
	PositionSigma float64
}

// Physics is the physics-cost assignment tracker: it solves the layer pairs
// of a hit graph from the deepest up, one LSAP each (track.Assigner
// AssignPair: rows = deeper hits, columns = shallower hits, only g's
// segments allowed), with costs from multiple-scattering physics:
//
//   - A segment a→b leaving a hit a that already continues a track (a
//     segment p→a was chosen in the deeper pair) costs χ² = (θ/σ)², θ the
//     space angle between p→a and a→b and σ the rms projected kink at a's
//     plane (detector.Stack.KinkSigma: Highland over the material between the
//     neighbouring planes, plus position resolution). The energy is taken
//     from the residual range: the track's deepest hit, in layer s, is
//     where the proton stopped, so at plane l−1 it has the mean of the
//     least energies needed to reach planes s and s+1 (detector.Stack
//     MinEnergy). σ is tabulated per (s, l) when the tracker is built.
//   - A segment leaving a hit with no chosen predecessor (a track's first
//     segment, or a restart) costs (α/StartSigma)², α its angle to the
//     beam axis.
//   - Leaving a hit unmatched costs MaxChi2/2.
//
// The chosen segments are chained into tracks (track.Chain) and filtered
// with Filter (zero: the paper's). Result.Stats sums the assignment
// statistics. A proton that ends in a nuclear interaction gets a lower
// energy than it has, hence a looser cost; a track broken by a missing
// hit restarts with the start cost.
//
// Not safe for concurrent use.
type Physics struct {
	Filter track.Filter

	opt  PhysicsOptions
	st   *detector.Stack
	n    int
	sig  []float64 // sig[s*n+l]: kink σ at plane l for a proton stopping at s
	a    track.Assigner
	aopt track.Options
	cost []float64
	prev []int32 // per hit: previous (deeper) hit of its track, -1 for none
	stop []int32 // per hit: layer where its track stops
	geo  detector.NameCheck
}

var _ track.Tracker = (*Physics)(nil)

// NewPhysics returns a physics-cost tracker for geometry geom (nil means
// detector.Default()) with options opt (nil means the defaults). It
// returns an error for an invalid geometry or negative, infinite or NaN
// options. It tabulates σ for every (stop layer, plane) pair: O(layers² ·
// slabs per layer), about 5 ms for the default geometry (more when the
// material tables are built on first use).
func NewPhysics(geom *detector.Geometry, opt *PhysicsOptions) (*Physics, error) {
	if geom == nil {
		geom = detector.Default()
	}
	p := &Physics{}
	if opt != nil {
		p.opt = *opt
	}
	o := &p.opt
	for _, v := range []float64{o.MaxChi2, o.StartSigma} {
		if !(v >= 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("baseline: physics options %+v: negative, infinite or NaN", *o)
		}
	}
	if math.IsNaN(o.PositionSigma) || math.IsInf(o.PositionSigma, 0) {
		return nil, fmt.Errorf("baseline: physics options: position sigma %g", o.PositionSigma)
	}
	o.MaxChi2 = cmp.Or(o.MaxChi2, DefaultMaxChi2)
	o.StartSigma = cmp.Or(o.StartSigma, DefaultStartSigma)
	st, err := detector.NewStack(geom)
	if err != nil {
		return nil, fmt.Errorf("baseline: physics tracker: %w", err)
	}
	p.st = st
	pos := o.PositionSigma
	switch {
	case pos == 0:
		pos = geom.PositionSigma()
	case pos < 0:
		pos = 0
	}
	n := st.NumLayers()
	p.n = n
	p.sig = make([]float64, n*n)
	for s := range n {
		for l := range n {
			p.sig[s*n+l] = math.Inf(1)
			if l < 1 || l+1 > s {
				continue
			}
			e := st.MinEnergy(l-1, s)
			if s+1 < n {
				e = 0.5 * (e + st.MinEnergy(l-1, s+1))
			}
			p.sig[s*n+l] = st.KinkSigma(l, e, pos)
		}
	}
	p.aopt = track.Options{UnmatchedCost: o.MaxChi2 / 2}
	return p, nil
}

// Options returns the options in use, defaults filled in.
func (p *Physics) Options() PhysicsOptions { return p.opt }

// Sigma returns the rms projected kink in rad the tracker assumes at plane
// l for a proton whose track stops in layer s (+Inf unless 1 <= l < s).
// It panics if s or l is not a layer of the geometry.
func (p *Physics) Sigma(s, l int) float64 {
	if s < 0 || l < 0 || s >= p.n || l >= p.n {
		panic("baseline: Physics.Sigma layer out of range")
	}
	return p.sig[s*p.n+l]
}

// Track implements track.Tracker. It returns an error when g has a layer
// beyond the geometry or records another preset geometry,
// or when the assignment fails; a graph without hits or segments gives no
// tracks. Complexity: the costs are O(segments); each layer pair is one
// sparse LSAP (package lsap). It allocates only to grow its workspace and
// dst.
func (p *Physics) Track(dst *track.Result, g *graph.HitGraph) error {
	dst.Selected = scratch.Zeroed(dst.Selected, len(g.Src))
	dst.Stats = track.Stats{}
	if len(g.Hits) == 0 || len(g.Layers) == 0 {
		dst.All.Reset()
		dst.Tracks.Reset()
		return nil
	}
	if int(g.Layers[0]) >= p.n {
		return fmt.Errorf("baseline: frame %d: layer %d beyond the %d layers of geometry %q", g.Meta.Frame, g.Layers[0], p.n, p.st.Geometry().Name)
	}
	if err := p.geo.Check(g.Meta.Geometry, p.st.Geometry().Name); err != nil {
		return fmt.Errorf("baseline: frame %d: %w", g.Meta.Frame, err)
	}
	p.cost = scratch.Grow(p.cost, len(g.Src))
	p.prev = scratch.Grow(p.prev, len(g.Hits))
	p.stop = scratch.Grow(p.stop, len(g.Hits))
	for h := range g.Hits {
		p.prev[h] = -1
		p.stop[h] = g.Hits[h].Layer
	}
	is2 := 1 / (p.opt.StartSigma * p.opt.StartSigma)
	for k := range g.Layers {
		if k+1 >= len(g.Layers) || g.Layers[k+1] != g.Layers[k]-1 {
			continue
		}
		l := int(g.Layers[k])
		for a := g.LayerStart[k]; a < g.LayerStart[k+1]; a++ {
			ha := &g.Hits[a]
			pv := p.prev[a]
			var isig2 float64
			if pv >= 0 {
				s := p.sig[int(p.stop[a])*p.n+l]
				isig2 = 1 / (s * s)
			}
			for s := g.SrcStart[a]; s < g.SrcStart[a+1]; s++ {
				hb := &g.Hits[g.Dst[s]]
				if pv < 0 {
					t := axisAngle(ha, hb)
					p.cost[s] = t * t * is2
					continue
				}
				t := kink(&g.Hits[pv], ha, hb)
				p.cost[s] = t * t * isig2
			}
		}
		st, err := p.a.AssignPair(dst.Selected, g, k, p.cost, &p.aopt)
		if err != nil {
			return fmt.Errorf("baseline: frame %d: %w", g.Meta.Frame, err)
		}
		dst.Stats.Add(st)
		for s := g.PairStart[k]; s < g.PairStart[k+1]; s++ {
			if dst.Selected[s] {
				a, b := g.Src[s], g.Dst[s]
				p.prev[b] = a
				p.stop[b] = p.stop[a]
			}
		}
	}
	track.Chain(&dst.All, g, dst.Selected)
	p.Filter.Apply(&dst.Tracks, &dst.All, g)
	return nil
}
