package wepl

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/physics"
)

// Method selects the range estimator.
type Method int

const (
	// MethodFit is the Bragg–Kleeman fit of the hits' deposits per unit
	// path (dataset.Hit.Edep over the sensitive thickness).
	MethodFit Method = iota
	// MethodFitCluster is the same fit of the dE/dx that the hits'
	// cluster sizes stand for (the centre of the dE/dx interval that
	// physics.ClusterSize maps to that size): what the real detector sees.
	MethodFitCluster
	// MethodLastLayer puts the end of range half way (in water-equivalent
	// thickness) between the deepest hit's plane and the next one.
	MethodLastLayer
	numMethods
)

var methodNames = [numMethods]string{"fit", "fit-cluster", "last-layer"}

// String returns "fit", "fit-cluster" or "last-layer".
func (m Method) String() string {
	if m < 0 || m >= numMethods {
		return fmt.Sprintf("Method(%d)", int(m))
	}
	return methodNames[m]
}

// ParseMethod parses a Method name.
func ParseMethod(s string) (Method, error) {
	for m, n := range methodNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Method(m), nil
		}
	}
	return 0, fmt.Errorf("wepl: unknown method %q (known: %s)", s, strings.Join(methodNames[:], ", "))
}

// signal tells which per-hit signal a method fits; -1 for none.
func (m Method) signal() int {
	switch m {
	case MethodFit:
		return sigDeposit
	case MethodFitCluster:
		return sigCluster
	}
	return -1
}

// Per-hit signals.
const (
	sigDeposit = iota
	sigCluster
	numSignals
)

var signalNames = [numSignals]string{"deposit", "cluster"}

// DefaultMinResidualRange is the residual range in mm (water-equivalent)
// below which a track is cut: the toolkit's fit is biased by up to 11 mm
// there (downstream-reference §1.6).
const DefaultMinResidualRange = 25.0

// Options configures an Estimator. The zero value fits deposits, cuts
// tracks with less than 25 mm of residual range and uses the embedded
// calibration.
type Options struct {
	// Method is the range estimator; the zero value is MethodFit.
	Method Method
	// MinResidualRange is the residual range (mm water-equivalent) below
	// which a track gets FlagShortRange; 0 means DefaultMinResidualRange,
	// negative means no cut.
	MinResidualRange float64
	// Calibration maps residual range to WEPL; nil means Default().
	Calibration *Calibration
}

// Flag marks a property of a measured track.
type Flag int32

const (
	// FlagShortRange: the residual range is below Options.MinResidualRange
	// (the beam-range edge, where the fit is biased). A cut.
	FlagShortRange Flag = 1 << iota
	// FlagLastPlane: the track reaches the last layer, so the proton may
	// have left the back of the detector and the range is only a lower
	// bound. A cut.
	FlagLastPlane
	// FlagNoDirection: fewer than two hits, so no exit direction (and no
	// WEPL). A cut.
	FlagNoDirection
	// FlagExtrapolated: the track has no hit in layer 0; the exit is
	// extrapolated from its two shallowest hits.
	FlagExtrapolated
	// FlagAtBound: the fit ended at its upper bound, the next sensor
	// plane (a hit beyond the deepest one may be missing).
	FlagAtBound
	// FlagOutside: the residual range lies outside the calibrated span;
	// the WEPL is extrapolated linearly.
	FlagOutside
)

// Cuts are the flags that make a track unusable (Track.OK).
const Cuts = FlagShortRange | FlagLastPlane | FlagNoDirection

var flagNames = []string{"short-range", "last-plane", "no-direction", "extrapolated", "at-bound", "outside"}

// String lists the flags, e.g. "short-range|at-bound", or "" for none.
func (f Flag) String() string {
	var s []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			s = append(s, n)
		}
	}
	return strings.Join(s, "|")
}

// Exit is where a track leaves the patient as the tracker sees it: its
// position at the first tracker plane (mm) and its direction tangents
// dx/dz, dy/dz from the two shallowest hits.
type Exit struct {
	X, Y, Z float64
	TX, TY  float64
}

// Track is the measurement of one track, the per-proton record that image
// reconstruction takes: WEPL, exit position and direction, and how much to
// trust them.
type Track struct {
	// WEPL is the calibrated water-equivalent path length through the
	// patient, mm; NaN if the track could not be measured (FlagNoDirection).
	WEPL float64
	// Range is the residual range R₀ in the detector: the water-equivalent
	// depth from its front face at which the proton stopped, mm.
	Range float64
	// Chi2 is the fit quality: Σ((yᵢ − fᵢ)/(k·fᵢ))²/(n − 1) of the
	// per-layer signals yᵢ against the fitted curve fᵢ, with the relative
	// spread k of the calibration tracks (so its median there is about 1);
	// NaN for MethodLastLayer or fewer than two hits.
	Chi2 float64
	// Hits is the number of hits; LastLayer the deepest hit's layer.
	Hits      int
	LastLayer int
	Exit      Exit
	Flags     Flag
}

// OK reports whether the track passes the cuts (no flag of Cuts) and has a WEPL.
func (t *Track) OK() bool { return t.Flags&Cuts == 0 && !math.IsNaN(t.WEPL) }

// Record returns t as stored in a tracks file.
func (t *Track) Record() dataset.TrackWEPL {
	return dataset.TrackWEPL{WEPL: float32(t.WEPL), Range: float32(t.Range), Chi2: float32(t.Chi2), Flags: int32(t.Flags),
		ExitX: float32(t.Exit.X), ExitY: float32(t.Exit.Y), ExitZ: float32(t.Exit.Z),
		ExitTX: float32(t.Exit.TX), ExitTY: float32(t.Exit.TY)}
}

// layout is what the estimator needs of the detector: per layer the
// water-equivalent depth of its sensor plane, the WET up to the next plane,
// the sensitive thickness and the plane z.
type layout struct {
	geometry string
	depth    []float64 // WETTo(l)
	next     []float64 // WET from plane l to plane l+1 (the last layer's own WET for the last)
	thick    []float64 // sensitive thickness, mm
	planeZ   []float64
}

func newLayout(g *detector.Geometry) (*layout, error) {
	st, err := detector.NewStack(g)
	if err != nil {
		return nil, fmt.Errorf("wepl: %w", err)
	}
	n := st.NumLayers()
	if n < 2 {
		return nil, fmt.Errorf("wepl: geometry %q has %d layer(s); a range needs at least 2", g.Name, n)
	}
	lo := &layout{geometry: g.Name, depth: make([]float64, n), next: make([]float64, n),
		thick: make([]float64, n), planeZ: make([]float64, n)}
	for l := 0; l < n; l++ {
		lo.depth[l] = st.WETTo(l)
		lo.thick[l] = st.Slabs()[st.SensitiveSlab(l)].Thickness()
		lo.planeZ[l] = st.PlaneZ(l)
	}
	for l := 0; l < n-1; l++ {
		lo.next[l] = st.WET(l + 1)
	}
	lo.next[n-1] = st.WET(n - 1)
	return lo, nil
}

// Estimator measures tracks of one detector geometry at one beam energy.
// It keeps a workspace: not safe for concurrent use (Clone gives another).
type Estimator struct {
	lo     *layout
	method Method
	minR   float64
	cal    *Calibration
	m      curve // the calibration of this method
	desc   string
	work   prepared
}

// ErrCalibration is wrapped by New's error when the calibration is for
// another geometry or beam energy, or lacks the method.
var ErrCalibration = errors.New("no calibration")

// New returns an Estimator for tracks of geometry g (nil means
// detector.Default()) with a beam of beamEnergy MeV (0 means the
// calibration's). A calibration for another geometry name or energy, a bad
// option or geometry is an error.
func New(g *detector.Geometry, beamEnergy float64, opt *Options) (*Estimator, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	if g == nil {
		g = detector.Default()
	}
	if o.Method < 0 || o.Method >= numMethods {
		return nil, fmt.Errorf("wepl: unknown method %d", int(o.Method))
	}
	if math.IsNaN(o.MinResidualRange) || math.IsInf(o.MinResidualRange, 0) {
		return nil, fmt.Errorf("wepl: minimum residual range %v is not finite", o.MinResidualRange)
	}
	if o.MinResidualRange == 0 {
		o.MinResidualRange = DefaultMinResidualRange
	}
	cal := o.Calibration
	if cal == nil {
		var err error
		if cal, err = Default(); err != nil {
			return nil, err
		}
	}
	if cal.Geometry != g.Name {
		return nil, fmt.Errorf("wepl: %w for geometry %q (the calibration is for %q; make one with pcttrack wepl --calibrate --geometry %s)",
			ErrCalibration, g.Name, cal.Geometry, g.Name)
	}
	if beamEnergy == 0 {
		beamEnergy = cal.Energy
	}
	if !(beamEnergy > 0) || math.IsInf(beamEnergy, 0) {
		return nil, fmt.Errorf("wepl: beam energy %g MeV is not a finite positive number", beamEnergy)
	}
	if math.Abs(beamEnergy-cal.Energy) > 1e-6*cal.Energy {
		return nil, fmt.Errorf("wepl: %w for %g MeV (the calibration is for %g MeV; make one with pcttrack wepl --calibrate --energy %g)",
			ErrCalibration, beamEnergy, cal.Energy, beamEnergy)
	}
	lo, err := newLayout(g)
	if err != nil {
		return nil, err
	}
	c, err := cal.curve(o.Method)
	if err != nil {
		return nil, err
	}
	e := &Estimator{lo: lo, method: o.Method, minR: o.MinResidualRange, cal: cal, m: c}
	e.desc = fmt.Sprintf("%s, min residual range %g mm, calibration %s %g MeV (%s)", o.Method, o.MinResidualRange, cal.Geometry, cal.Energy, cal.Source)
	return e, nil
}

// Clone returns an Estimator with the same settings and its own workspace.
func (e *Estimator) Clone() *Estimator {
	c := *e
	c.work = prepared{}
	return &c
}

// String describes the estimator and its calibration (for file metadata).
func (e *Estimator) String() string { return e.desc }

// Method returns the estimator's method.
func (e *Estimator) Method() Method { return e.method }

// Frame measures every track of ft into dst (grown as needed) and returns
// it: dst[t] is track t. Hits in a layer the geometry does not have, or a
// non-finite or negative deposit, are an error naming the frame and track;
// so is MethodFitCluster on hits without a cluster size (a file written
// before the column existed reads as 0).
func (e *Estimator) Frame(dst []Track, ft *dataset.FrameTracks) ([]Track, error) {
	dst = dst[:0]
	h := ft.Hits
	for t, a := 0, 0; a < len(h); t++ {
		b := a + 1
		for b < len(h) && h[b].Track == h[a].Track {
			b++
		}
		tr, err := e.Track(h[a:b])
		if err != nil {
			return dst, fmt.Errorf("wepl: frame %d track %d: %w", ft.Frame, t, err)
		}
		dst = append(dst, tr)
		a = b
	}
	return dst, nil
}

// Track measures one track from its hits, deepest first (the order of a
// tracks file). See Frame for the errors.
func (e *Estimator) Track(hits []dataset.TrackHit) (Track, error) {
	p := &e.work
	if err := p.prepare(e.lo, hits, e.method.signal() == sigCluster); err != nil {
		return Track{}, err
	}
	t := Track{Hits: len(hits), WEPL: math.NaN(), Range: math.NaN(), Chi2: math.NaN()}
	t.LastLayer = int(hits[0].Layer)
	t.Exit, t.Flags = exitOf(e.lo, hits)
	if len(hits) < 2 {
		t.Flags |= FlagNoDirection
		return t, nil
	}
	if t.LastLayer == len(e.lo.depth)-1 {
		t.Flags |= FlagLastPlane
	}
	switch s := e.method.signal(); s {
	case -1:
		t.Range = p.lastLayer()
	default:
		r := p.fit(s, e.cal.P, e.cal.Scale[s])
		t.Range = r.R
		if r.atBound {
			t.Flags |= FlagAtBound
		}
		if k := e.cal.Spread[s]; k > 0 {
			t.Chi2 = r.rel2 / (k * k)
		}
	}
	var outside bool
	t.WEPL, outside = e.m.wepl(t.Range)
	if outside {
		t.Flags |= FlagOutside
	}
	if t.Range < e.minR {
		t.Flags |= FlagShortRange
	}
	return t, nil
}

// exitOf returns the exit of a track (hits deepest first) and
// FlagExtrapolated or FlagNoDirection when it applies.
func exitOf(lo *layout, hits []dataset.TrackHit) (Exit, Flag) {
	n := len(hits)
	z0 := lo.planeZ[0]
	a := &hits[n-1]
	if n < 2 {
		return Exit{X: math.NaN(), Y: math.NaN(), Z: z0, TX: math.NaN(), TY: math.NaN()}, FlagNoDirection
	}
	b := &hits[n-2]
	dz := float64(b.Z - a.Z)
	tx, ty := float64(b.X-a.X)/dz, float64(b.Y-a.Y)/dz
	ex := Exit{Z: z0, TX: tx, TY: ty}
	d := z0 - float64(a.Z)
	ex.X, ex.Y = float64(a.X)+tx*d, float64(a.Y)+ty*d
	var f Flag
	if a.Layer != 0 {
		f = FlagExtrapolated
	}
	return ex, f
}

// prepared is a track reduced to what the range estimators need: the
// depths and signals of its hits, deepest first.
type prepared struct {
	z     []float64 // water-equivalent depth of each hit's plane
	y     [numSignals][]float64
	zLast float64
	wNext float64 // WET to the next plane after the deepest hit
}

// prepare fills p from hits (deepest first). withCluster demands cluster
// sizes.
func (p *prepared) prepare(lo *layout, hits []dataset.TrackHit, withCluster bool) error {
	if len(hits) == 0 {
		return errors.New("track without hits")
	}
	p.z = p.z[:0]
	for s := range p.y {
		p.y[s] = p.y[s][:0]
	}
	n := len(hits)
	for i := range hits {
		h := &hits[i]
		if h.Layer < 0 || int(h.Layer) >= len(lo.depth) {
			return fmt.Errorf("hit %d in layer %d; geometry %q has layers 0–%d", i, h.Layer, lo.geometry, len(lo.depth)-1)
		}
		e := float64(h.Edep)
		if !(e >= 0) || math.IsInf(e, 0) || !finite(h.X) || !finite(h.Y) || !finite(h.Z) {
			return fmt.Errorf("hit %d: deposit %v MeV at (%v, %v, %v) is not a finite non-negative number", i, h.Edep, h.X, h.Y, h.Z)
		}
		if e > physics.MaxEnergy {
			return fmt.Errorf("hit %d: deposit %v MeV is more than any proton here carries (%g MeV)", i, h.Edep, physics.MaxEnergy)
		}
		if withCluster && h.ClusterSize <= 0 {
			return fmt.Errorf("hit %d: no cluster size (%d): the fit-cluster method needs the cluster_size column", i, h.ClusterSize)
		}
		// path length per sensitive thickness from the local direction
		a, b := max(i-1, 0), min(i+1, n-1)
		sec := 1.0
		if dz := float64(hits[a].Z - hits[b].Z); a != b && dz != 0 {
			tx, ty := float64(hits[a].X-hits[b].X)/dz, float64(hits[a].Y-hits[b].Y)/dz
			sec = math.Sqrt(1 + tx*tx + ty*ty)
		}
		l := int(h.Layer)
		t := lo.thick[l]
		p.z = append(p.z, lo.depth[l])
		p.y[sigDeposit] = append(p.y[sigDeposit], e/(t*sec)) // MeV/mm = keV/µm
		p.y[sigCluster] = append(p.y[sigCluster], clusterDEDX(int(h.ClusterSize))/sec)
	}
	l := int(hits[0].Layer)
	p.zLast, p.wNext = lo.depth[l], lo.next[l]
	return nil
}

// clusterDEDX returns the dE/dx in keV/µm that cluster size cs stands for:
// the centre of the interval physics.ClusterSize maps to cs (it does not
// depend on the thickness); 0 for cs <= 0.
func clusterDEDX(cs int) float64 {
	if cs <= 0 {
		return 0
	}
	if cs < len(clusterTable) {
		return clusterTable[cs]
	}
	return 0.5 * (physics.EdepForClusterSize(cs, 1) + physics.EdepForClusterSize(cs+1, 1))
}

var clusterTable = func() []float64 {
	t := make([]float64, 256)
	for cs := 1; cs < len(t); cs++ {
		t[cs] = 0.5 * (physics.EdepForClusterSize(cs, 1) + physics.EdepForClusterSize(cs+1, 1))
	}
	return t
}()

func finite(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// lastLayer is the baseline: half way to the next plane.
func (p *prepared) lastLayer() float64 { return p.zLast + 0.5*p.wNext }
