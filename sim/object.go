package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pcttrack/pcttrack/physics"
)

// Vec3 is a point or direction in the object frame (X, Y, Z), mm; Y is
// the rotation axis.
type Vec3 struct{ X, Y, Z float64 }

func (a Vec3) add(b Vec3) Vec3       { return Vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }
func (a Vec3) sub(b Vec3) Vec3       { return Vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }
func (a Vec3) scale(f float64) Vec3  { return Vec3{a.X * f, a.Y * f, a.Z * f} }
func (a Vec3) mul(b Vec3) Vec3       { return Vec3{a.X * b.X, a.Y * b.Y, a.Z * b.Z} }
func (a Vec3) dot(b Vec3) float64    { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }
func (a Vec3) div(b Vec3) Vec3       { return Vec3{a.X / b.X, a.Y / b.Y, a.Z / b.Z} }
func lerp(a, b Vec3, t float64) Vec3 { return a.add(b.sub(a).scale(t)) }
func sq(x float64) float64           { return x * x }
func finite3(v Vec3) bool            { return finite(v.X) && finite(v.Y) && finite(v.Z) }
func finite(x float64) bool          { return !math.IsNaN(x) && !math.IsInf(x, 0) }
func (a Vec3) String() string        { return fmt.Sprintf("(%g, %g, %g)", a.X, a.Y, a.Z) }
func (a Vec3) inBox(lo, hi Vec3) bool {
	return a.X >= lo.X && a.X <= hi.X && a.Y >= lo.Y && a.Y <= hi.Y && a.Z >= lo.Z && a.Z <= hi.Z
}
func vmin(a, b Vec3) Vec3 { return Vec3{min(a.X, b.X), min(a.Y, b.Y), min(a.Z, b.Z)} }
func vmax(a, b Vec3) Vec3 { return Vec3{max(a.X, b.X), max(a.Y, b.Y), max(a.Z, b.Z)} }
func boxesOverlap(a0, a1, b0, b1 Vec3) bool {
	return a0.X <= b1.X && b0.X <= a1.X && a0.Y <= b1.Y && b0.Y <= a1.Y && a0.Z <= b1.Z && b0.Z <= a1.Z
}

// Shape is a convex volume of a Solid.
type Shape interface {
	// Contains reports whether p is inside.
	Contains(p Vec3) bool
	// Crossings appends to dst the parameters t in (0, 1) at which the
	// segment a + t·d crosses the surface, and returns it.
	Crossings(dst []float64, a, d Vec3) []float64
	// Bounds returns an axis-aligned box containing the shape.
	Bounds() (lo, hi Vec3)
	// Reach returns a bound on the distance of the shape's points from
	// the Y axis.
	Reach() float64
}

// Cylinder is a circular cylinder along Y: centre (X, Z) in the X–Z plane,
// radius R, from Y0 to Y1.
type Cylinder struct {
	X, Z, R float64
	Y0, Y1  float64
}

// Contains implements Shape.
func (c Cylinder) Contains(p Vec3) bool {
	return sq(p.X-c.X)+sq(p.Z-c.Z) < c.R*c.R && p.Y > c.Y0 && p.Y < c.Y1
}

// Crossings implements Shape.
func (c Cylinder) Crossings(dst []float64, a, d Vec3) []float64 {
	// side: |(a + t d − c)_XZ|² = R²
	ox, oz := a.X-c.X, a.Z-c.Z
	qa := d.X*d.X + d.Z*d.Z
	if qa > 0 {
		qb := ox*d.X + oz*d.Z
		qc := ox*ox + oz*oz - c.R*c.R
		if disc := qb*qb - qa*qc; disc > 0 {
			s := math.Sqrt(disc)
			for _, t := range [2]float64{(-qb - s) / qa, (-qb + s) / qa} {
				if y := a.Y + t*d.Y; t > 0 && t < 1 && y > c.Y0 && y < c.Y1 {
					dst = append(dst, t)
				}
			}
		}
	}
	// caps
	if d.Y != 0 {
		for _, y := range [2]float64{c.Y0, c.Y1} {
			t := (y - a.Y) / d.Y
			if t > 0 && t < 1 && sq(ox+t*d.X)+sq(oz+t*d.Z) < c.R*c.R {
				dst = append(dst, t)
			}
		}
	}
	return dst
}

// Bounds implements Shape.
func (c Cylinder) Bounds() (lo, hi Vec3) {
	return Vec3{c.X - c.R, c.Y0, c.Z - c.R}, Vec3{c.X + c.R, c.Y1, c.Z + c.R}
}

// Reach implements Shape.
func (c Cylinder) Reach() float64 { return math.Hypot(c.X, c.Z) + c.R }

// Ellipsoid is an axis-aligned ellipsoid: centre C, semi-axes A.
type Ellipsoid struct {
	C, A Vec3
}

// Contains implements Shape.
func (e Ellipsoid) Contains(p Vec3) bool {
	q := p.sub(e.C).div(e.A)
	return q.dot(q) < 1
}

// Crossings implements Shape.
func (e Ellipsoid) Crossings(dst []float64, a, d Vec3) []float64 {
	o := a.sub(e.C).div(e.A)
	v := d.div(e.A)
	qa := v.dot(v)
	if qa == 0 {
		return dst
	}
	qb := o.dot(v)
	qc := o.dot(o) - 1
	disc := qb*qb - qa*qc
	if disc <= 0 {
		return dst
	}
	s := math.Sqrt(disc)
	for _, t := range [2]float64{(-qb - s) / qa, (-qb + s) / qa} {
		if t > 0 && t < 1 {
			dst = append(dst, t)
		}
	}
	return dst
}

// Bounds implements Shape.
func (e Ellipsoid) Bounds() (lo, hi Vec3) { return e.C.sub(e.A), e.C.add(e.A) }

// Reach implements Shape: exact for a centred ellipsoid, a bound
// otherwise.
func (e Ellipsoid) Reach() float64 {
	if e.C.X == 0 && e.C.Z == 0 {
		return max(e.A.X, e.A.Z)
	}
	return math.Hypot(e.C.X, e.C.Z) + max(e.A.X, e.A.Z)
}

// Part is one shape of a Solid and its material.
type Part struct {
	Name     string // e.g. the insert's name; "" for unnamed parts
	Shape    Shape
	Material *physics.Material
}

// Solid is a phantom with structure: parts in painter's order (a part
// overrides the parts before it where they overlap) in a surrounding
// medium. The object frame's Y axis is the rotation axis of a scan; the
// beam-frame point (x, y, z) of a projection at angle θ is the object
// point (dataset.BeamToObject(θ, x, z), y), so the object sits at the
// isocentre z = 0 of the beam line.
type Solid struct {
	Name   string
	Medium *physics.Material // outside every part; nil means air
	Parts  []Part
	// ROIs are the regions a reconstruction is scored on (sensitometry
	// inserts, tissues), in the object's X–Z plane.
	ROIs []ROI

	lo, hi []Vec3 // bounds per part
}

// ROI is a circular region of interest of a Solid in the object's X–Z
// plane (at Y = 0) filled with one material.
type ROI struct {
	Name     string
	X, Z, R  float64
	Material *physics.Material
}

// Crossing is one material along a traced segment and the fraction of
// the segment in it.
type Crossing struct {
	Material *physics.Material
	Frac     float64
}

// Check validates the solid and caches its bounds.
func (s *Solid) Check() error {
	if s.Name == "" {
		return fmt.Errorf("sim: solid without a name")
	}
	if len(s.Parts) == 0 {
		return fmt.Errorf("sim: solid %s has no parts", s.Name)
	}
	s.lo, s.hi = make([]Vec3, len(s.Parts)), make([]Vec3, len(s.Parts))
	for i, p := range s.Parts {
		if p.Shape == nil || p.Material == nil {
			return fmt.Errorf("sim: solid %s part %d (%s) has no shape or material", s.Name, i, p.Name)
		}
		s.lo[i], s.hi[i] = p.Shape.Bounds()
		if !finite3(s.lo[i]) || !finite3(s.hi[i]) {
			return fmt.Errorf("sim: solid %s part %d (%s) is not finite", s.Name, i, p.Name)
		}
	}
	return nil
}

func (s *Solid) medium() *physics.Material {
	if s.Medium != nil {
		return s.Medium
	}
	return airMaterial
}

var airMaterial = physics.MustMaterial("air")

// Radius returns the radius of the smallest cylinder about the Y axis
// that contains every part, and the part's Y range.
func (s *Solid) Radius() (r, y0, y1 float64) {
	y0, y1 = math.Inf(1), math.Inf(-1)
	for i := range s.Parts {
		lo, hi := s.Parts[i].Shape.Bounds()
		r = max(r, s.Parts[i].Shape.Reach())
		y0, y1 = min(y0, lo.Y), max(y1, hi.Y)
	}
	return r, y0, y1
}

// MaterialAt returns the material at p.
func (s *Solid) MaterialAt(p Vec3) *physics.Material {
	for i := len(s.Parts) - 1; i >= 0; i-- {
		if p.inBox(s.lo[i], s.hi[i]) && s.Parts[i].Shape.Contains(p) {
			return s.Parts[i].Material
		}
	}
	return s.medium()
}

// Trace appends to dst the materials along the segment a→b in order, with
// the fraction of the segment in each (consecutive equal materials
// merged), and returns it; tbuf is scratch space, returned grown. Check
// must have been called.
func (s *Solid) Trace(dst []Crossing, tbuf []float64, a, b Vec3) ([]Crossing, []float64) {
	d := b.sub(a)
	lo, hi := vmin(a, b), vmax(a, b)
	ts := append(tbuf[:0], 0)
	for i := range s.Parts {
		if boxesOverlap(lo, hi, s.lo[i], s.hi[i]) {
			ts = s.Parts[i].Shape.Crossings(ts, a, d)
		}
	}
	ts = append(ts, 1)
	if len(ts) > 3 {
		slices.Sort(ts)
	} else if len(ts) == 3 && ts[1] < 0 {
		ts[1] = 0
	}
	for k := 1; k < len(ts); k++ {
		f := ts[k] - ts[k-1]
		if f <= 0 {
			continue
		}
		m := s.MaterialAt(lerp(a, b, 0.5*(ts[k]+ts[k-1])))
		if n := len(dst); n > 0 && dst[n-1].Material == m {
			dst[n-1].Frac += f
			continue
		}
		dst = append(dst, Crossing{m, f})
	}
	return dst, ts
}

// Built-in solids.
var solids = map[string]func() *Solid{
	"ctp404": CTP404,
	"head":   Head,
}

// SolidNames returns the names of the built-in solids, sorted.
func SolidNames() []string {
	var n []string
	for k := range solids {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// SolidByName returns a new copy of a built-in solid ("ctp404", "head").
func SolidByName(name string) (*Solid, error) {
	f, ok := solids[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, fmt.Errorf("sim: unknown phantom %q (built in: %s)", name, strings.Join(SolidNames(), ", "))
	}
	s := f()
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

// UnmarshalYAML reads a built-in solid by name.
func (s *Solid) UnmarshalYAML(n *yaml.Node) error {
	var name string
	if err := n.Decode(&name); err != nil {
		return fmt.Errorf("sim: object: want the name of a built-in phantom (%s)", strings.Join(SolidNames(), ", "))
	}
	v, err := SolidByName(name)
	if err != nil {
		return err
	}
	*s = *v
	return nil
}

// MarshalYAML writes the solid's name.
func (s *Solid) MarshalYAML() (any, error) { return s.Name, nil }
