package recon

import (
	"fmt"
	"math"
)

// Grid is the pixel grid of a 2-D slice in the object's (X, Z) plane,
// centred on the rotation axis. Zero values mean the defaults below.
type Grid struct {
	NX, NZ int     // pixels along X and Z; 0 means 256
	Pixel  float64 // pixel size, mm; 0 means 1
	// Y is the slice position along the rotation axis, mm.
	Y float64
	// Thickness selects the protons of the slice: those whose estimated
	// path crosses the beam-frame plane z = 0 (the rotation axis) within
	// ±Thickness/2 of Y. 0 means every proton, which is right for an
	// object that does not change along y over the beam's height or for a
	// single row of spots.
	Thickness float64
}

// Defaults of Grid.
const (
	DefaultGridSize = 256
	DefaultPixel    = 1.0
)

func (g Grid) resolved() (Grid, error) {
	if g.NX == 0 {
		g.NX = DefaultGridSize
	}
	if g.NZ == 0 {
		g.NZ = DefaultGridSize
	}
	if g.Pixel == 0 {
		g.Pixel = DefaultPixel
	}
	if g.NX < 1 || g.NZ < 1 || int64(g.NX)*int64(g.NZ) > math.MaxInt32 {
		return g, fmt.Errorf("recon: grid of %d × %d pixels", g.NX, g.NZ)
	}
	for _, v := range [...]float64{g.Pixel, g.Y, g.Thickness} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return g, fmt.Errorf("recon: grid pixel %g mm, slice y %g mm, thickness %g mm: not finite", g.Pixel, g.Y, g.Thickness)
		}
	}
	if !(g.Pixel > 0) || g.Thickness < 0 {
		return g, fmt.Errorf("recon: grid pixel %g mm and slice thickness %g mm must be positive", g.Pixel, g.Thickness)
	}
	return g, nil
}

// Len returns the number of pixels.
func (g *Grid) Len() int { return g.NX * g.NZ }

// Origin returns the object coordinates of the centre of pixel (0, 0).
func (g *Grid) Origin() (X, Z float64) {
	return -0.5 * float64(g.NX-1) * g.Pixel, -0.5 * float64(g.NZ-1) * g.Pixel
}

// Center returns the object coordinates of the centre of pixel (i, k).
func (g *Grid) Center(i, k int) (X, Z float64) {
	x0, z0 := g.Origin()
	return x0 + float64(i)*g.Pixel, z0 + float64(k)*g.Pixel
}

// Pixel returns the pixel (i, k) containing the object point (X, Z) and
// whether it lies on the grid.
func (g *Grid) PixelOf(X, Z float64) (i, k int, ok bool) {
	fi := X/g.Pixel + 0.5*float64(g.NX)
	fk := Z/g.Pixel + 0.5*float64(g.NZ)
	if !(fi >= 0 && fk >= 0 && fi < float64(g.NX) && fk < float64(g.NZ)) {
		return 0, 0, false
	}
	return int(fi), int(fk), true
}

// HalfWidths returns half the grid's extent along X and Z, mm.
func (g *Grid) HalfWidths() (hx, hz float64) {
	return 0.5 * float64(g.NX) * g.Pixel, 0.5 * float64(g.NZ) * g.Pixel
}

// Radius returns the radius of the circle around the axis that every
// projection sees in full: the circle inscribed in the grid.
func (g *Grid) Radius() float64 {
	hx, hz := g.HalfWidths()
	return min(hx, hz)
}

// Image is an RSP image on a grid: RSP[k·NX + i] is pixel (i, k).
type Image struct {
	Grid Grid
	RSP  []float32
}

// NewImage returns an image of g (defaults filled in) with every pixel v.
// It panics if g is invalid.
func NewImage(g Grid, v float32) *Image {
	r, err := g.resolved()
	if err != nil {
		panic(err.Error())
	}
	im := &Image{Grid: r, RSP: make([]float32, r.Len())}
	for j := range im.RSP {
		im.RSP[j] = v
	}
	return im
}

// At returns the value of the pixel containing (X, Z), and false outside
// the grid.
func (im *Image) At(X, Z float64) (float64, bool) {
	i, k, ok := im.Grid.PixelOf(X, Z)
	if !ok {
		return 0, false
	}
	return float64(im.RSP[k*im.Grid.NX+i]), true
}

// Bilinear returns the bilinear interpolation of the pixel centres at
// (X, Z), clamped at the grid's border.
func (im *Image) Bilinear(X, Z float64) float64 {
	g := &im.Grid
	x0, z0 := g.Origin()
	fi := (X - x0) / g.Pixel
	fk := (Z - z0) / g.Pixel
	fi = math.Max(0, math.Min(float64(g.NX-1), fi))
	fk = math.Max(0, math.Min(float64(g.NZ-1), fk))
	i, k := int(fi), int(fk)
	i = min(i, g.NX-2)
	k = min(k, g.NZ-2)
	if g.NX == 1 {
		i = 0
	}
	if g.NZ == 1 {
		k = 0
	}
	di, dk := fi-float64(i), fk-float64(k)
	v := func(a, b int) float64 {
		a = min(a, g.NX-1)
		b = min(b, g.NZ-1)
		return float64(im.RSP[b*g.NX+a])
	}
	return (1-di)*(1-dk)*v(i, k) + di*(1-dk)*v(i+1, k) + (1-di)*dk*v(i, k+1) + di*dk*v(i+1, k+1)
}
