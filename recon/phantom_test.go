package recon

import (
	"math"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/dataset"
)

// disk is a disk of the analytic test phantom (object frame, mm); RSP is
// its absolute value, drawn over the disks listed before it.
type disk struct {
	X, Z, R, RSP float64
}

// diskPhantom is a list of disks; later ones override earlier ones where
// they overlap (each disk must lie inside the disk it overrides, the
// first being the body).
type diskPhantom []disk

// ctp404 is a CTP404-like analytic phantom: an epoxy-like body of R 75 mm
// with eight 6.1 mm inserts at 58.5 mm.
func ctp404() diskPhantom {
	p := diskPhantom{{0, 0, 75, 1.14}}
	rsp := []float64{0.001, 1.03, 0.98, 0.88, 0.001, 1.83, 1.36, 1.16}
	for k, deg := range []float64{0, 30, 90, 150, 180, 210, 270, 330} {
		s, c := math.Sincos(deg * math.Pi / 180)
		p = append(p, disk{58.5 * c, 58.5 * s, 6.1, rsp[k]})
	}
	return p
}

// rspAt returns the phantom's RSP at (X, Z) (0 outside).
func (p diskPhantom) rspAt(X, Z float64) float64 {
	v := 0.0
	for _, d := range p {
		if math.Hypot(X-d.X, Z-d.Z) < d.R {
			v = d.RSP
		}
	}
	return v
}

// parent returns the RSP a disk overrides.
func (p diskPhantom) parent(k int) float64 {
	for j := k - 1; j >= 0; j-- {
		d, e := p[j], p[k]
		if math.Hypot(d.X-e.X, d.Z-e.Z)+e.R <= d.R {
			return d.RSP
		}
	}
	return 0
}

// lineIntegral returns the exact ∫ RSP dl along the beam-frame line through
// (x, 0) with tangent tx at projection angle deg.
func (p diskPhantom) lineIntegral(deg, x, tx float64) float64 {
	px, pz := dataset.BeamToObject(deg, x, 0)
	n := math.Hypot(tx, 1)
	dx, dz := dataset.BeamToObject(deg, tx/n, 1/n)
	var w float64
	for k, d := range p {
		cx, cz := d.X-px, d.Z-pz
		dist := math.Abs(cx*dz - cz*dx)
		if dist < d.R {
			w += 2 * math.Sqrt(d.R*d.R-dist*dist) * (d.RSP - p.parent(k))
		}
	}
	return w
}

// straightProtons returns n protons on straight lines over angles
// projection angles evenly in [0, 360), with uniform lateral positions in
// [-half, half], small random tangents (rms tilt) and exact WEPL.
func straightProtons(p diskPhantom, n, angles int, half, tilt float64, seed uint64) []dataset.Proton {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]dataset.Proton, n)
	for i := range out {
		a := 360 * float64(i*angles/n) / float64(angles)
		x := half * (2*r.Float64() - 1)
		tx := tilt * r.NormFloat64()
		s := dataset.PlaneState{X: x, TX: tx}
		out[i] = dataset.Proton{Frame: -1, EventID: int64(i), Angle: a, In: s.At(-200), Out: s.At(200),
			WEPL: p.lineIntegral(a, x, tx)}
	}
	return out
}
