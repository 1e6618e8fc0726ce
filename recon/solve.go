package recon

import (
	"context"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/internal/enum"
)

// Method is a block-iterative projection method.
type Method int

// Methods. The zero value is DROP.
const (
	// DROP is diagonally relaxed orthogonal projections (Censor et al.
	// 2008, as in the Loma Linda/Baylor code): each row's ART correction
	// (b_i − a_i·x)/‖a_i‖² a_i is summed over the block and pixel j is
	// moved by λ/h_j times that sum, h_j the number of the block's rows
	// crossing it.
	DROP Method = iota
	// SART is the simultaneous algebraic reconstruction technique
	// (Andersen & Kak 1984) per block: residuals are normalised by the
	// row sums Σ_j a_ij and the corrections by the column sums Σ_i a_ij.
	SART
)

var methodNames = [...]string{"drop", "sart"}

// String returns "drop" or "sart".
func (m Method) String() string { return enum.Name(methodNames[:], int(m), "Method") }

// ParseMethod parses the String form, in any case; "" is DROP.
func ParseMethod(s string) (Method, error) {
	if v, ok := enum.Index(methodNames[:], s); ok {
		return Method(v), nil
	}
	return 0, fmt.Errorf("recon: unknown method %q (drop, sart)", s)
}

// Options configure Solve. The zero value is 10 DROP iterations over
// DefaultBlocks blocks with relaxation DefaultRelaxation from a water
// image, without superiorization.
type Options struct {
	Method     Method
	Iterations int // passes over all rows; 0 means 10
	// Blocks is the number of blocks each pass is split into; row i is in
	// block i mod Blocks, so each block samples every projection when the
	// rows come in projection order. 0 means DefaultBlocks.
	Blocks int
	// Relaxation is λ; 0 means DefaultRelaxation. It must be below 2.
	Relaxation float64
	// Initial is the RSP every pixel starts from; 0 means 1 (water),
	// negative means 0. Ignored with Start.
	Initial float64
	// Start is the image to start from (e.g. an earlier run's result);
	// nil means a uniform Initial. Its grid must match.
	Start *Image
	// TV adds total-variation superiorization between iterations.
	TV TVOptions
	// Negative lets pixels go below 0. By default they are clamped at 0,
	// which is physical but biases a noisy air region upwards (by about
	// 0.4 of its noise).
	Negative bool
	// Workers is the number of goroutines; 0 means GOMAXPROCS. The result
	// does not depend on it.
	Workers int
	// Progress, if not nil, is called after each iteration with its
	// number (1-based) and the current image, which it must not keep.
	Progress func(iter int, im *Image)
}

// TVOptions configure total-variation superiorization (Penfold et al.
// 2010; the Loma Linda/Baylor code's TVS without the TV-decrease check,
// which Schultze et al. 2020 found not to hurt for 3–6 perturbations):
// before each iteration, Perturbations steps x ← x − β v move the image
// against the TV gradient v, normalised to an rms of 1 per pixel, with
// β = Step·Kernel^ℓ and ℓ counting the steps so far.
type TVOptions struct {
	Perturbations int     // steps per iteration; 0 means no superiorization
	Kernel        float64 // α in (0, 1); 0 means DefaultTVKernel
	Step          float64 // β0, rms RSP change per pixel of the first step; 0 means DefaultTVStep
}

// Defaults of TVOptions.
const (
	DefaultTVKernel = 0.95
	DefaultTVStep   = 0.01
)

// Defaults of Options.
const (
	DefaultBlocks     = 20
	DefaultRelaxation = 0.5
)

// Solve reconstructs the RSP image of sys. It returns the image after the
// last complete iteration and ctx.Err() if ctx is cancelled. Pixel values
// are kept non-negative unless Options.Negative.
func Solve(ctx context.Context, sys *System, opt *Options) (*Image, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	if o.Method < DROP || o.Method > SART {
		return nil, fmt.Errorf("recon: method %d", int(o.Method))
	}
	if o.Iterations == 0 {
		o.Iterations = 10
	}
	if o.Blocks == 0 {
		o.Blocks = DefaultBlocks
	}
	if o.Relaxation == 0 {
		o.Relaxation = DefaultRelaxation
	}
	if o.Iterations < 0 || o.Blocks < 0 {
		return nil, fmt.Errorf("recon: %d iterations and %d blocks must be positive", o.Iterations, o.Blocks)
	}
	if !(o.Relaxation > 0 && o.Relaxation < 2) {
		return nil, fmt.Errorf("recon: relaxation %g out of (0, 2)", o.Relaxation)
	}
	if math.IsNaN(o.Initial) || math.IsInf(o.Initial, 0) {
		return nil, fmt.Errorf("recon: initial RSP %g is not finite", o.Initial)
	}
	tv := o.TV
	if tv.Perturbations < 0 {
		return nil, fmt.Errorf("recon: %d TV perturbations is negative", tv.Perturbations)
	}
	if tv.Kernel == 0 {
		tv.Kernel = DefaultTVKernel
	}
	if tv.Step == 0 {
		tv.Step = DefaultTVStep
	}
	if !(tv.Kernel > 0 && tv.Kernel < 1) || !(tv.Step > 0) || math.IsInf(tv.Step, 0) {
		return nil, fmt.Errorf("recon: TV kernel %g must be in (0, 1) and step %g positive", tv.Kernel, tv.Step)
	}
	if sys.rows == 0 {
		return nil, fmt.Errorf("recon: no protons to reconstruct from")
	}
	// Blocks beyond one row each are empty: they would cost a pass over the
	// image and change nothing.
	o.Blocks = min(o.Blocks, sys.rows)
	g := sys.grid
	init := float32(1)
	switch {
	case o.Initial > 0:
		init = float32(o.Initial)
	case o.Initial < 0:
		init = 0
	}
	im := NewImage(g, init)
	if o.Start != nil {
		if o.Start.Grid != g || len(o.Start.RSP) != len(im.RSP) {
			return nil, fmt.Errorf("recon: start image grid %+v does not match %+v", o.Start.Grid, g)
		}
		copy(im.RSP, o.Start.RSP)
	}
	s := newSolver(sys, &o, im)
	var ell int // TV steps so far
	for it := 1; it <= o.Iterations; it++ {
		for range tv.Perturbations {
			s.tvStep(tv.Step * math.Pow(tv.Kernel, float64(ell)))
			ell++
		}
		for b := 0; b < o.Blocks; b++ {
			if err := ctx.Err(); err != nil {
				return s.image(), err
			}
			s.block(b)
		}
		if o.Progress != nil {
			o.Progress(it, s.image())
		}
	}
	return s.image(), nil
}

type solver struct {
	sys       *System
	o         *Options
	x         []float64
	im        *Image
	res       []float64 // normalised residual of each row of the current block
	d, w      []float64 // block sums per pixel
	bandStart [bands + 1]int
	groups    []int  // back-projection task t covers bands groups[t] to groups[t+1]-1
	crossed   []bool // pixel crossed by some path; the others stay 0
	workers   int
	grad      []float64
	floor     float64 // 0, or −Inf with Options.Negative
}

func newSolver(sys *System, o *Options, im *Image) *solver {
	n := len(im.RSP)
	s := &solver{sys: sys, o: o, x: make([]float64, n), im: im, workers: o.Workers,
		res: make([]float64, sys.rows), d: make([]float64, n), w: make([]float64, n)}
	if s.workers <= 0 {
		s.workers = gomaxprocs()
	}
	if o.Negative {
		s.floor = math.Inf(-1)
	}
	g := &sys.grid
	for q := range bands + 1 {
		k := 0
		for k < g.NZ && bandOf(k, g.NZ) < q {
			k++
		}
		s.bandStart[q] = k * g.NX
	}
	// pixels no path crosses stay air (RSP 0): outside the hull
	s.crossed = make([]bool, n)
	var per [bands]int64
	for c := range sys.chunks {
		ch := &sys.chunks[c]
		for e := range ch.entries() {
			j := ch.pixel(int32(e))
			s.crossed[j] = true
			per[bandOf(j/g.NX, g.NZ)]++
		}
	}
	// split the bands into contiguous groups of about equal work, one per
	// worker (any split gives the same sums: each pixel adds its rows in
	// row order)
	var total int64
	for _, v := range per {
		total += v
	}
	s.groups = []int{0}
	var acc int64
	for q := range bands {
		acc += per[q]
		t := len(s.groups)
		if t < s.workers && q < bands-1 && acc*int64(s.workers) >= total*int64(t) {
			s.groups = append(s.groups, q+1)
		}
	}
	s.groups = append(s.groups, bands)
	for j, v := range im.RSP {
		if s.crossed[j] {
			s.x[j] = float64(v)
		}
	}
	return s
}

func (s *solver) image() *Image {
	for j, v := range s.x {
		s.im.RSP[j] = float32(v)
	}
	return s.im
}

// block applies the update of block b: the residuals of its rows in
// parallel over chunks, then the back-projection and update in parallel
// over image bands.
func (s *solver) block(b int) {
	nb := s.o.Blocks
	sart := s.o.Method == SART
	chunks := s.sys.chunks
	unit := s.sys.unit
	first := func(ch *chunk) int { return ((b-ch.first)%nb + nb) % nb }
	s.run(len(chunks), func(c int) {
		ch := &chunks[c]
		for r := first(ch); r < len(ch.b); r += nb {
			e0, e1 := ch.off[r], ch.off[r+1]
			var ax float64
			if ch.idx16 != nil {
				ax = forward(ch.idx16[e0:e1], ch.len[e0:e1], s.x)
			} else {
				ax = forward(ch.idx32[e0:e1], ch.len[e0:e1], s.x)
			}
			ax *= unit
			// the residual, times unit so that back-projection multiplies by
			// the stored length
			if sart {
				s.res[ch.first+r] = unit * (float64(ch.b[r]) - ax) / float64(ch.sum[r])
			} else {
				s.res[ch.first+r] = unit * (float64(ch.b[r]) - ax) / float64(ch.norm[r])
			}
		}
	})
	lam := s.o.Relaxation
	s.run(len(s.groups)-1, func(t int) {
		q0, q1 := s.groups[t], s.groups[t+1]
		d, w := s.d, s.w
		wunit := 1.0 // DROP counts rows
		if sart {
			wunit = unit // SART sums lengths
		}
		for c := range chunks {
			ch := &chunks[c]
			for r := first(ch); r < len(ch.b); r += nb {
				e0 := ch.off[r]
				lo, hi := e0, e0+int32(ch.bend[r*bands+q1-1])
				if q0 > 0 {
					lo += int32(ch.bend[r*bands+q0-1])
				}
				res := s.res[ch.first+r]
				if ch.idx16 != nil {
					backward(ch.idx16[lo:hi], ch.len[lo:hi], res, d, w, sart, wunit)
				} else {
					backward(ch.idx32[lo:hi], ch.len[lo:hi], res, d, w, sart, wunit)
				}
			}
		}
		for j := s.bandStart[q0]; j < s.bandStart[q1]; j++ {
			if w[j] > 0 {
				s.x[j] = max(s.floor, s.x[j]+lam*d[j]/w[j])
				d[j], w[j] = 0, 0
			}
		}
	})
}

// forward returns Σ a_e x[idx_e] in length units.
func forward[I uint16 | int32](idx []I, a []uint16, x []float64) float64 {
	var ax float64
	a = a[:len(idx)]
	for e, j := range idx {
		ax += float64(a[e]) * x[j]
	}
	return ax
}

// backward adds a_e·res to d and the weight (1, or a_e·wunit for SART)
// to w.
func backward[I uint16 | int32](idx []I, a []uint16, res float64, d, w []float64, sart bool, wunit float64) {
	a = a[:len(idx)]
	if sart {
		for e, j := range idx {
			ae := float64(a[e])
			d[j] += ae * res
			w[j] += ae * wunit
		}
		return
	}
	for e, j := range idx {
		d[j] += float64(a[e]) * res
		w[j]++
	}
}

// run calls f(0..n-1) on s.workers goroutines.
func (s *solver) run(n int, f func(int)) {
	parallel(context.Background(), n, s.workers, f)
}

// tvStep moves x by beta against the normalised gradient of its total
// variation (smoothed by ε = 1e-8 so that flat regions have a gradient).
func (s *solver) tvStep(beta float64) {
	g := &s.sys.grid
	nx, nz := g.NX, g.NZ
	if s.grad == nil {
		s.grad = make([]float64, len(s.x))
	}
	TVGradient(s.grad, s.x, nx, nz)
	var n2 float64
	for _, v := range s.grad {
		n2 += v * v
	}
	if n2 == 0 {
		return
	}
	f := beta * math.Sqrt(float64(len(s.x))/n2)
	for j, v := range s.grad {
		if s.crossed[j] {
			s.x[j] = max(s.floor, s.x[j]-f*v)
		}
	}
}

const tvEps = 1e-8

// TV returns the isotropic total variation of the nx × nz image x (with
// forward differences, zero across the border).
func TV(x []float64, nx, nz int) float64 {
	var tv float64
	for k := range nz {
		for i := range nx {
			dx, dz := forwardDiff(x, nx, nz, i, k)
			tv += math.Sqrt(dx*dx + dz*dz + tvEps)
		}
	}
	return tv
}

// forwardDiff returns the forward differences of the nx × nz image x at
// pixel (i, k) along x and z, zero across the border.
func forwardDiff(x []float64, nx, nz, i, k int) (dx, dz float64) {
	j := k*nx + i
	if i+1 < nx {
		dx = x[j+1] - x[j]
	}
	if k+1 < nz {
		dz = x[j+nx] - x[j]
	}
	return dx, dz
}

// TVGradient writes the gradient of TV(x) into dst and returns it
// (allocating dst if nil). It panics if the lengths do not match nx·nz.
func TVGradient(dst, x []float64, nx, nz int) []float64 {
	if len(x) != nx*nz {
		panic("recon: TVGradient image size does not match")
	}
	if dst == nil {
		dst = make([]float64, len(x))
	}
	if len(dst) != len(x) {
		panic("recon: TVGradient dst length does not match")
	}
	clear(dst)
	for k := range nz {
		for i := range nx {
			j := k*nx + i
			dx, dz := forwardDiff(x, nx, nz, i, k)
			n := math.Sqrt(dx*dx + dz*dz + tvEps)
			dst[j] -= (dx + dz) / n
			if i+1 < nx {
				dst[j+1] += dx / n
			}
			if k+1 < nz {
				dst[j+nx] += dz / n
			}
		}
	}
	return dst
}
