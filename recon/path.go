package recon

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/enum"
	"github.com/pcttrack/pcttrack/physics"
)

// PathKind selects the path estimate inside the hull.
type PathKind int

// Path kinds. The zero value is the most-likely path.
const (
	// MLP is the Schulte most-likely path (Schulte et al. 2008), in the
	// form of Krah et al. 2018 that admits an uncertain entry state: with
	// PathOptions.Prior set it uses the beam spot as a single-sided prior,
	// as a detector without a front tracker must.
	MLP PathKind = iota
	// Spline is the cubic Hermite spline between the hull entry and exit
	// with the direction weights of the Bergen DTC toolkit (Collins-Fekete
	// et al. 2015, Fig. 4): Λ0 = 1.01 + 0.43 w², Λ1 = 0.99 − 0.46 w², with
	// w the proton's WEPL over the water range of the beam energy.
	Spline
	// Straight is the straight line from the hull entry to the hull exit.
	Straight
)

var pathNames = [...]string{"mlp", "spline", "straight"}

// String returns "mlp", "spline" or "straight".
func (k PathKind) String() string { return enum.Name(pathNames[:], int(k), "PathKind") }

// ParsePathKind parses the String form, in any case; "" is MLP.
func ParsePathKind(s string) (PathKind, error) {
	if v, ok := enum.Index(pathNames[:], s); ok {
		return PathKind(v), nil
	}
	return 0, fmt.Errorf("recon: unknown path %q (mlp, spline, straight)", s)
}

// PathOptions configure the path estimate. The zero value is the MLP for
// 230 MeV protons with exactly known entry and exit states inside the
// circle inscribed in the grid.
type PathOptions struct {
	Kind PathKind
	// Energy is the proton energy at the object's entrance, MeV; 0 means
	// 230 (the Bergen design).
	Energy float64
	// Hull is the radius in mm of a cylindrical object hull around the
	// rotation axis: outside it the path is straight (along the entry or
	// exit direction), inside it is curved. 0 means the circle inscribed
	// in the grid.
	Hull float64
	// Prior is the covariance of the entry state (In) on its plane, per
	// transverse axis. Zero means In is exact (a front tracker). For a
	// detector without one, In is the nominal spot and Prior the beam's
	// phase-space covariance there (BeamCov). Only the MLP uses it.
	Prior Cov2
	// ExitCov is the covariance of the exit state (Out) on its plane;
	// zero means exact. Only the MLP uses it.
	ExitCov Cov2
	// Step is the sampling step of the curved part along z, mm; 0 means
	// two pixels. The path between samples is straight; the MLP and the
	// spline bend so little (about 1 mm over 200 mm) that even 2 mm
	// steps move a chord by well under 1 µm (see the tests).
	Step float64
}

// DefaultEnergy is the default beam energy of PathOptions, MeV.
const DefaultEnergy = 230.0

// Point is a point of a path in the beam frame's x–z plane, mm.
type Point struct{ X, Z float64 }

// Paths estimates proton paths; it holds the MLP tables for one energy and
// is safe for concurrent use.
type Paths struct {
	opt    PathOptions
	tab    *mlpTable
	range0 float64 // water range at the entry energy, mm
	rfov   float64 // paths are kept within this radius (circumscribing the grid)
}

// NewPaths checks the options for the grid and builds the path model.
func NewPaths(g Grid, opt *PathOptions) (*Paths, error) {
	g, err := g.resolved()
	if err != nil {
		return nil, err
	}
	var o PathOptions
	if opt != nil {
		o = *opt
	}
	if o.Kind < MLP || o.Kind > Straight {
		return nil, fmt.Errorf("recon: path kind %d", int(o.Kind))
	}
	if o.Energy == 0 {
		o.Energy = DefaultEnergy
	}
	for _, v := range [...]float64{o.Energy, o.Hull, o.Step, o.Prior.TT, o.Prior.TA, o.Prior.AA, o.ExitCov.TT, o.ExitCov.TA, o.ExitCov.AA} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("recon: path option %v is not finite", v)
		}
	}
	if !(o.Energy > 0) || o.Energy > physics.MaxEnergy {
		return nil, fmt.Errorf("recon: path energy %g MeV out of (0, %g]", o.Energy, physics.MaxEnergy)
	}
	for _, c := range [...]Cov2{o.Prior, o.ExitCov} {
		if c.TT < 0 || c.AA < 0 || c.TA*c.TA > c.TT*c.AA*(1+1e-9) {
			return nil, fmt.Errorf("recon: covariance %+v is not positive semi-definite", c)
		}
	}
	if o.Hull < 0 || o.Step < 0 {
		return nil, fmt.Errorf("recon: hull radius %g mm and path step %g mm must not be negative", o.Hull, o.Step)
	}
	if o.Hull == 0 {
		o.Hull = g.Radius()
	}
	if o.Step == 0 {
		o.Step = 2 * g.Pixel
	}
	p := &Paths{opt: o, range0: physics.Water.Range(o.Energy)}
	if o.Kind == MLP {
		p.tab = newMLPTable(o.Energy)
		if 2*o.Hull > p.tab.lmax {
			return nil, fmt.Errorf("recon: hull diameter %g mm exceeds the water range of %g MeV protons", 2*o.Hull, o.Energy)
		}
	}
	return p, nil
}

// Options returns the options with defaults filled in.
func (p *Paths) Options() PathOptions { return p.opt }

// clipCircle returns the parameters [t0, t1] ⊂ [0, 1] of the part of the
// segment a→b inside the circle of radius r about the origin, and whether
// there is one.
func clipCircle(a, b Point, r float64) (t0, t1 float64, ok bool) {
	dx, dz := b.X-a.X, b.Z-a.Z
	qa := dx*dx + dz*dz
	qb := a.X*dx + a.Z*dz
	qc := a.X*a.X + a.Z*a.Z - r*r
	if qa == 0 {
		return 0, 1, qc < 0
	}
	disc := qb*qb - qa*qc
	if disc <= 0 {
		return 0, 0, false
	}
	s := math.Sqrt(disc)
	t0 = max(0, (-qb-s)/qa)
	t1 = min(1, (-qb+s)/qa)
	return t0, t1, t0 < t1
}

// hullCrossing returns the depths at which the line of s meets the hull
// circle x² + z² = R², and whether it does.
func hullCrossing(x, z, tx, r float64) (z0, z1 float64, ok bool) {
	// x(ζ) = x + tx (ζ − z): (1 + tx²) ζ² + 2 tx c ζ + c² − r² = 0, c = x − tx z
	c := x - tx*z
	a := 1 + tx*tx
	bh := tx * c
	disc := bh*bh - a*(c*c-r*r)
	if disc <= 0 {
		return 0, 0, false
	}
	s := math.Sqrt(disc)
	return (-bh - s) / a, (-bh + s) / a, true
}

// span returns the depths [u0, u2] of the curved part of p's path and
// whether there is one (both the entry and the exit line cross the hull).
func (p *Paths) span(pr *dataset.Proton) (u0, u2 float64, ok bool) {
	r := p.opt.Hull
	e0, _, ok0 := hullCrossing(pr.In.X, pr.In.Z, pr.In.TX, r)
	_, e1, ok1 := hullCrossing(pr.Out.X, pr.Out.Z, pr.Out.TX, r)
	if !ok0 || !ok1 {
		return 0, 0, false
	}
	u0 = max(e0, pr.In.Z)
	u2 = min(e1, pr.Out.Z)
	if !(u2-u0 > 1e-6) {
		return 0, 0, false
	}
	return u0, u2, true
}

// Path appends to dst[:0] the path of pr in the beam frame's x–z plane as
// a polyline between the depths at which its entry line and its exit line
// meet the hull, and returns it. It returns an empty path if the entry or
// the exit line misses the hull: such a proton crossed no object. The
// polyline may leave the hull where the entry is uncertain; System uses
// only its parts inside (outside the hull the image is air, RSP 0).
func (p *Paths) Path(dst []Point, pr *dataset.Proton) []Point {
	dst = dst[:0]
	u0, u2, ok := p.span(pr)
	if !ok {
		return dst
	}
	in := pr.In.At(u0)
	out := pr.Out.At(u2)
	l := u2 - u0
	n := max(1, int(math.Ceil(l/p.opt.Step-1e-9)))
	switch p.opt.Kind {
	case Straight:
		dst = append(dst, Point{in.X, u0})
	case Spline:
		dst = append(dst, Point{in.X, u0})
		sp := p.spline(pr, in, out)
		for j := 1; j < n; j++ {
			x, z := sp.at(float64(j) / float64(n))
			dst = append(dst, Point{x, z})
		}
	case MLP:
		// from u = 0: with an uncertain entry (Prior) the path does not
		// start at the nominal entry but where the exit says it did
		var m mlpAxis
		p.initAxis(&m, pr, u0, u2, in.X, in.TX, out.X, out.TX)
		for j := 0; j < n; j++ {
			u := l * float64(j) / float64(n)
			x, _, _ := m.eval(p.tab, u)
			dst = append(dst, Point{x, u0 + u})
		}
	}
	return append(dst, Point{out.X, u2})
}

// initAxis sets up the MLP of one plane between hull depths u0 and u2 from
// the entry and exit positions and tangents there.
func (p *Paths) initAxis(m *mlpAxis, pr *dataset.Proton, u0, u2, t0, tx0, t2, tx2 float64) {
	m.init(p.tab, u2-u0)
	// the state's "angle" is the tangent, so that a straight pair gives
	// exactly its straight line (the model is small-angle either way)
	m.t0, m.a0 = t0, tx0
	m.t2, m.a2 = t2, tx2
	m.cin = p.opt.Prior.Drift(u0 - pr.In.Z)
	m.cout = p.opt.ExitCov.Drift(u2 - pr.Out.Z)
}

// YAtAxis returns the estimated y of pr's path at the beam-frame depth
// z = 0 (used to select the protons of a slice).
func (p *Paths) YAtAxis(pr *dataset.Proton) float64 {
	u0, u2, ok := p.span(pr)
	if !ok || u0 >= 0 {
		if ok && u0 >= 0 {
			return pr.In.At(0).Y
		}
		return pr.Out.At(0).Y
	}
	if u2 <= 0 {
		return pr.Out.At(0).Y
	}
	in, out := pr.In.At(u0), pr.Out.At(u2)
	switch p.opt.Kind {
	case Straight:
		f := -u0 / (u2 - u0)
		return in.Y + f*(out.Y-in.Y)
	case Spline:
		// the spline's y at the parameter where its z is closest to 0
		sp := p.splineY(pr, in, out)
		return sp.yAtZ(0)
	default:
		var m mlpAxis
		p.initAxis(&m, pr, u0, u2, in.Y, in.TY, out.Y, out.TY)
		y, _, _ := m.eval(p.tab, -u0)
		return y
	}
}

// MLPError returns the posterior rms position error of the MLP of pr in
// the x–z plane at depth z (beam frame), mm: how well the path is known
// there. It is 0 outside the hull and for the other path kinds.
func (p *Paths) MLPError(pr *dataset.Proton, z float64) float64 {
	if p.opt.Kind != MLP {
		return 0
	}
	u0, u2, ok := p.span(pr)
	if !ok || z <= u0 || z >= u2 {
		return 0
	}
	in, out := pr.In.At(u0), pr.Out.At(u2)
	var m mlpAxis
	p.initAxis(&m, pr, u0, u2, in.X, in.TX, out.X, out.TX)
	_, _, v := m.eval(p.tab, z-u0)
	return math.Sqrt(max(0, v))
}

// hermite is a cubic Hermite curve in a 2-D plane (lateral t, depth z).
type hermite struct {
	p0t, p0z, m0t, m0z, p1t, p1z, m1t, m1z float64
}

func (h *hermite) at(s float64) (t, z float64) {
	s2, s3 := s*s, s*s*s
	h00 := 2*s3 - 3*s2 + 1
	h10 := s3 - 2*s2 + s
	h01 := -2*s3 + 3*s2
	h11 := s3 - s2
	return h00*h.p0t + h10*h.m0t + h01*h.p1t + h11*h.m1t, h00*h.p0z + h10*h.m0z + h01*h.p1z + h11*h.m1z
}

// yAtZ returns t where the curve's z equals z0 (bisection; z is monotonic
// for any forward-going proton).
func (h *hermite) yAtZ(z0 float64) float64 {
	lo, hi := 0.0, 1.0
	for range 50 {
		m := 0.5 * (lo + hi)
		if _, z := h.at(m); z < z0 {
			lo = m
		} else {
			hi = m
		}
	}
	t, _ := h.at(0.5 * (lo + hi))
	return t
}

// lambdas returns the Bergen spline weights for pr.
func (p *Paths) lambdas(pr *dataset.Proton) (l0, l1 float64) {
	w := math.Max(0, math.Min(1, pr.WEPL/p.range0))
	return 1.01 + 0.43*w*w, 0.99 - 0.46*w*w
}

// spline returns the Hermite spline from in to out in the x–z plane; the
// tangents are the 3-D unit directions times Λ·|X2 − X0|.
func (p *Paths) spline(pr *dataset.Proton, in, out dataset.PlaneState) hermite {
	return p.hermite(pr, in, out, false)
}

func (p *Paths) splineY(pr *dataset.Proton, in, out dataset.PlaneState) hermite {
	return p.hermite(pr, in, out, true)
}

// hermite returns the spline's projection on the x–z plane, or on the y–z
// plane if yPlane.
func (p *Paths) hermite(pr *dataset.Proton, in, out dataset.PlaneState, yPlane bool) hermite {
	l0, l1 := p.lambdas(pr)
	d := math.Sqrt((out.X-in.X)*(out.X-in.X) + (out.Y-in.Y)*(out.Y-in.Y) + (out.Z-in.Z)*(out.Z-in.Z))
	n0 := 1 / math.Sqrt(1+in.TX*in.TX+in.TY*in.TY)
	n1 := 1 / math.Sqrt(1+out.TX*out.TX+out.TY*out.TY)
	t0, t1, dt0, dt1 := in.X, out.X, in.TX, out.TX
	if yPlane {
		t0, t1, dt0, dt1 = in.Y, out.Y, in.TY, out.TY
	}
	return hermite{
		p0t: t0, p0z: in.Z, m0t: l0 * d * dt0 * n0, m0z: l0 * d * n0,
		p1t: t1, p1z: out.Z, m1t: l1 * d * dt1 * n1, m1z: l1 * d * n1,
	}
}
