package graph

import (
	"cmp"
	"errors"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/physics"
)

// Defaults of HighlandOptions.
const (
	DefaultHighlandSigmas   = 4.0 // cut at 4 σ of the projected kink
	DefaultStragglingSigmas = 3.0 // beam energy lowered by 3 σ of range straggling
)

// HighlandOptions configures a Highland pair filter. The zero value means
// the defaults documented per field.
type HighlandOptions struct {
	// NSigma is the cut: a pair is kept when its scattering angle is at
	// most NSigma·σ(l). 0 means DefaultHighlandSigmas; it must be > 0.
	NSigma float64
	// StragglingSigmas lowers the frame's beam energy so that its water
	// range shrinks by this many Bortfeld range-straggling σ before the
	// energy at a plane is computed: a proton that lost more energy than
	// the mean scatters more. 0 means DefaultStragglingSigmas, a negative
	// value uses the mean energy.
	StragglingSigmas float64
	// PositionSigma is the hit position resolution in mm per transverse
	// coordinate, added to the kink variance through the three hits.
	// 0 means the geometry's pixel pitch/√12, a negative value none.
	PositionSigma float64
	// IgnoreBeam always uses the conservative energy (the least energy
	// with which a proton at the shallower hit still reaches the deeper
	// one), even when the frame records its beam energy.
	IgnoreBeam bool
}

// Highland is a PairFilter (and Preparer) that drops pairs of consecutive
// segments a→b, b→c whose scattering angle at b is implausible for a
// proton crossing b's layer l: it keeps angle <= NSigma·σ(l), with σ(l)
// the rms plane-projected kink between the chords c→b and b→a from
// Highland multiple scattering in the material between planes l−1 and
// l+1 (see detector.Stack.KinkSigma), plus the position resolution.
//
// The energy at plane l−1 is the larger of (i) the least energy that still
// reaches plane l+1, where the deeper hit a lies (Stack.MinEnergy, a bound
// every primary satisfies), and (ii) when the graph's FrameMeta has a
// BeamEnergy, the mean energy at l−1 of a beam lowered by
// StragglingSigmas of range straggling behind PhantomThickness mm of
// water. Energy (i) alone is conservative: it loosens the cut far from the
// Bragg peak. The angle tested is the space angle, whose square is the sum
// of two projected kinks: for Gaussian scattering a true pair fails the
// cut with probability exp(−NSigma²/2) (1.1 % at 3, 0.03 % at 4); tails of
// single and nuclear scattering add to that.
//
// Prepare builds the per-layer cut table of a graph's beam and phantom
// and keeps it for the next graph with the same ones; a Highland is
// therefore not safe for concurrent use (one per LineBuilder).
type Highland struct {
	st     *detector.Stack
	opt    HighlandOptions
	posSig float64

	consCut []float64 // cut per layer from energy (i) only
	cut     []float64 // cut per layer for the prepared graph
	key     [2]float64
	keyOK   bool
	geo     detector.NameCheck
}

var (
	_ PairFilter = (*Highland)(nil)
	_ Preparer   = (*Highland)(nil)
)

// HighlandFilter returns a Highland pair filter for geometry geom cutting
// at nSigma·σ with the other options at their defaults; see NewHighland.
func HighlandFilter(geom *detector.Geometry, nSigma float64) (*Highland, error) {
	if !(nSigma > 0) || math.IsInf(nSigma, 1) {
		return nil, fmt.Errorf("graph: Highland cut must be a positive number of sigmas, not %g", nSigma)
	}
	return NewHighland(geom, &HighlandOptions{NSigma: nSigma})
}

// NewHighland returns a Highland pair filter for geometry geom (nil means
// detector.Default()) with options opt (nil means all defaults). It
// returns an error for an invalid geometry or a non-positive or NaN
// NSigma. It compiles the geometry (detector.NewStack) and tabulates the
// conservative cut: a few ms (up to ~40 ms when the material tables are
// built on first use).
func NewHighland(geom *detector.Geometry, opt *HighlandOptions) (*Highland, error) {
	if geom == nil {
		geom = detector.Default()
	}
	h := &Highland{}
	if opt != nil {
		h.opt = *opt
	}
	switch n := h.opt.NSigma; {
	case n == 0:
		h.opt.NSigma = DefaultHighlandSigmas
	case !(n > 0) || math.IsInf(n, 1):
		return nil, fmt.Errorf("graph: Highland cut must be a positive number of sigmas, not %g", n)
	}
	if math.IsNaN(h.opt.StragglingSigmas) || math.IsNaN(h.opt.PositionSigma) {
		return nil, errors.New("graph: Highland options: NaN")
	}
	h.opt.StragglingSigmas = cmp.Or(h.opt.StragglingSigmas, DefaultStragglingSigmas)
	st, err := detector.NewStack(geom)
	if err != nil {
		return nil, fmt.Errorf("graph: Highland filter: %w", err)
	}
	h.st = st
	switch p := h.opt.PositionSigma; {
	case p == 0:
		h.posSig = geom.PositionSigma()
	case p > 0:
		h.posSig = p
	}
	n := st.NumLayers()
	h.consCut = make([]float64, n)
	h.cut = make([]float64, n)
	for l := range n {
		h.consCut[l] = h.opt.NSigma * h.sigma(l, 0)
	}
	copy(h.cut, h.consCut)
	return h, nil
}

// Options returns the options in use, defaults filled in.
func (h *Highland) Options() HighlandOptions { return h.opt }

// Stack returns the compiled geometry the filter uses.
func (h *Highland) Stack() *detector.Stack { return h.st }

// sigma returns the kink σ at plane l (+Inf where a kink needs a plane
// that does not exist) for the beam-derived energy eBeam at plane l−1
// (0: unknown).
func (h *Highland) sigma(l int, eBeam float64) float64 {
	n := h.st.NumLayers()
	if l < 1 || l+1 >= n {
		return math.Inf(1)
	}
	e := max(h.st.MinEnergy(l-1, l+1), eBeam)
	return h.st.KinkSigma(l, e, h.posSig)
}

// Cut returns the largest scattering angle in rad the filter keeps at
// layer l for the graph last prepared (the conservative cut before any
// Prepare); +Inf for the first and last layer, where no pair exists.
// It panics if l is not a layer of the geometry.
func (h *Highland) Cut(l int) float64 {
	if l < 0 || l >= len(h.cut) {
		panic("graph: Highland.Cut layer out of range")
	}
	return h.cut[l]
}

// Prepare implements Preparer: it checks that g fits the geometry (its
// deepest layer exists; a geometry name g records is not another preset)
// and tabulates the cut for g's beam energy and phantom, reusing the table
// of the previous graph when they are the same. O(layers · slabs) on a
// new beam, O(1) otherwise; it allocates only to resolve a geometry name
// it has not seen in the previous graph.
func (h *Highland) Prepare(g *HitGraph) error {
	n := h.st.NumLayers()
	if len(g.Layers) > 0 && int(g.Layers[0]) >= n {
		return fmt.Errorf("graph: Highland filter: layer %d beyond the %d layers of geometry %q", g.Layers[0], n, h.st.Geometry().Name)
	}
	if err := h.geo.Check(g.Meta.Geometry, h.st.Geometry().Name); err != nil {
		return fmt.Errorf("graph: Highland filter: frame %d: %w", g.Meta.Frame, err)
	}
	be, water := g.Meta.BeamEnergy, g.Meta.PhantomThickness
	if h.opt.IgnoreBeam || !(be > 0) || math.IsInf(be, 1) {
		be, water = 0, 0
	}
	if !(water >= 0) || math.IsInf(water, 1) {
		return fmt.Errorf("graph: Highland filter: frame %d: phantom thickness %g mm", g.Meta.Frame, water)
	}
	if h.keyOK && h.key == [2]float64{be, water} {
		return nil
	}
	h.key, h.keyOK = [2]float64{be, water}, true
	if be == 0 {
		copy(h.cut, h.consCut)
		return nil
	}
	if k := h.opt.StragglingSigmas; k > 0 {
		w := physics.Water
		r := w.Range(be)
		be = w.EnergyFromRange(max(r-k*physics.BortfeldRangeStraggling(r), 0))
	}
	for l := range n {
		var eb float64
		if l >= 1 {
			eb = h.st.BeamEnergyAt(l-1, be, water)
		}
		h.cut[l] = h.opt.NSigma * h.sigma(l, eb)
	}
	return nil
}

// KeepPair implements PairFilter: angle <= Cut(layer of the shared hit).
func (h *Highland) KeepPair(g *HitGraph, in, _ int32, angle float32) bool {
	l := g.Hits[g.Dst[in]].Layer
	return float64(angle) <= h.cut[l]
}
