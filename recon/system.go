package recon

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/pcttrack/pcttrack/dataset"
)

// minRowPixels is the shortest path inside the hull, in pixels, that
// makes a row: a proton that only skims the hull carries almost no
// information, and its ART correction b/‖a‖² would be huge (the Loma
// Linda code drops paths shorter than 30 voxels for the same reason).
const minRowPixels = 5

// chunkRows is the number of protons per work unit when building a
// System; chunks are built in parallel and kept in input order.
const chunkRows = 4096

// System is the system matrix of a reconstruction: one row per proton,
// a_ij the length in mm of proton i's path in pixel j, b_i its WEPL. Rows
// are stored per chunk of consecutive protons.
type System struct {
	grid   Grid
	chunks []chunk
	rows   int
	unit   float64 // mm per unit of chunk.len
	// Skipped counts the protons dropped: outside the slice, or with a
	// path that misses the grid.
	Skipped int
}

// bands is the number of horizontal bands of the image that a row's
// entries are grouped by: a block's back-projection runs band by band in
// parallel, each pixel summed in row order whatever the number of workers.
const bands = 16

// bandOf returns the band of image row k of nz.
func bandOf(k, nz int) int { return k * bands / nz }

// A chunk stores its entries compactly: the pixel index as a uint16 when
// the grid has at most 65536 pixels (idx16, else idx32), and the length as
// a uint16 in units of System.unit (4 pixels / 65535: rounding moves a
// chord by at most 3·10⁻⁵ pixel), 4 bytes per entry on a 256 × 256 grid.
type chunk struct {
	first int     // index of its first row in the System
	off   []int32 // row r is entries off[r] to off[r+1]−1
	// bend[r·bands + q] is the end of band q's entries in row r, relative
	// to off[r]; band q starts where band q−1 ends (band 0 at 0)
	bend  []uint16
	idx16 []uint16
	idx32 []int32
	len   []uint16  // a_ij / unit
	b     []float32 // WEPL
	norm  []float32 // Σ_j a_ij², mm²
	sum   []float32 // Σ_j a_ij, mm
}

// pixel returns the pixel index of entry e.
func (c *chunk) pixel(e int32) int {
	if c.idx16 != nil {
		return int(c.idx16[e])
	}
	return int(c.idx32[e])
}

// entries returns the number of entries.
func (c *chunk) entries() int { return len(c.len) }

// Rows returns the number of rows.
func (s *System) Rows() int { return s.rows }

// Entries returns the number of non-zero elements.
func (s *System) Entries() int64 {
	var n int64
	for c := range s.chunks {
		n += int64(s.chunks[c].entries())
	}
	return n
}

// Grid returns the grid (with defaults filled in).
func (s *System) Grid() Grid { return s.grid }

// Row calls f for each non-zero a_ij of row i in order along the path and
// returns b_i. It panics if i is out of range.
func (s *System) Row(i int, f func(j int, a float64)) (b float64) {
	if i < 0 || i >= s.rows {
		panic("recon: System.Row index out of range")
	}
	q := sort.Search(len(s.chunks), func(q int) bool { return s.chunks[q].first > i }) - 1
	c := &s.chunks[q]
	r := i - c.first
	for e := c.off[r]; e < c.off[r+1]; e++ {
		f(c.pixel(e), float64(c.len[e])*s.unit)
	}
	return float64(c.b[r])
}

// NewSystem estimates the path of every proton (opt) and builds the system
// matrix on grid g. Protons outside the slice (Grid.Thickness) or whose
// path crosses less than 5 pixels of the hull on the grid are skipped. A proton with a non-finite field is an
// error naming it (a slightly negative WEPL, as a noisy estimate may give,
// is not). Work is spread over workers
// goroutines (0 means one per chunk up to GOMAXPROCS); the result does not
// depend on it.
func NewSystem(ctx context.Context, protons []dataset.Proton, g Grid, opt *PathOptions, workers int) (*System, error) {
	g, err := g.resolved()
	if err != nil {
		return nil, err
	}
	for i := range protons {
		if err := protons[i].Check(); err != nil {
			return nil, fmt.Errorf("recon: proton %d: %w", i, err)
		}
	}
	paths, err := NewPaths(g, opt)
	if err != nil {
		return nil, err
	}
	n := (len(protons) + chunkRows - 1) / chunkRows
	built := make([]chunk, n)
	skipped := make([]int, n)
	s := &System{grid: g, unit: 4 * g.Pixel / math.MaxUint16}
	err = parallel(ctx, n, workers, func(c int) {
		lo := c * chunkRows
		hi := min(lo+chunkRows, len(protons))
		built[c], skipped[c] = s.buildChunk(protons[lo:hi], paths)
	})
	if err != nil {
		return nil, err
	}
	for c := range built {
		s.Skipped += skipped[c]
		if len(built[c].b) == 0 {
			continue
		}
		built[c].first = s.rows
		s.rows += len(built[c].b)
		s.chunks = append(s.chunks, built[c])
	}
	return s, nil
}

// buildChunk builds the rows of protons.
func (s *System) buildChunk(protons []dataset.Proton, paths *Paths) (chunk, int) {
	g := &s.grid
	var c chunk
	wide := g.Len() > math.MaxUint16+1
	c.off = append(c.off, 0)
	var pts []Point
	tr := newTracer(g)
	skipped := 0
	for i := range protons {
		pr := &protons[i]
		if g.Thickness > 0 {
			if y := paths.YAtAxis(pr); math.Abs(y-g.Y) > g.Thickness/2 {
				skipped++
				continue
			}
		}
		pts = paths.Path(pts, pr)
		tr.reset(pr.Angle)
		tr.polyline(pts, paths.opt.Hull)
		if len(tr.idx) == 0 || len(tr.idx) > math.MaxUint16 {
			skipped++
			continue
		}
		var total float64
		for _, l := range tr.len {
			total += float64(l)
		}
		if total < minRowPixels*g.Pixel {
			skipped++ // skims the hull: too little path to learn from, too much weight per mm
			continue
		}
		tr.sortBands(&c.bend)
		var n2, s1 float64
		for e, l := range tr.len {
			q := min(math.MaxUint16, math.Round(float64(l)/s.unit))
			c.len = append(c.len, uint16(q))
			a := q * s.unit
			n2 += a * a
			s1 += a
			if wide {
				c.idx32 = append(c.idx32, tr.idx[e])
			} else {
				c.idx16 = append(c.idx16, uint16(tr.idx[e]))
			}
		}
		c.off = append(c.off, int32(len(c.len)))
		c.b = append(c.b, float32(pr.WEPL))
		c.norm = append(c.norm, float32(n2))
		c.sum = append(c.sum, float32(s1))
		if len(c.b) == 32 && len(protons) > 64 {
			// size the chunk from its first rows: growing by append
			// would copy it and make garbage for the collector
			est := len(c.len)*len(protons)/32*9/8 - len(c.len)
			c.len = slices.Grow(c.len, est)
			if wide {
				c.idx32 = slices.Grow(c.idx32, est)
			} else {
				c.idx16 = slices.Grow(c.idx16, est)
			}
			n := len(protons) - 32
			c.b = slices.Grow(c.b, n)
			c.norm = slices.Grow(c.norm, n)
			c.sum = slices.Grow(c.sum, n)
			c.off = slices.Grow(c.off, n)
			c.bend = slices.Grow(c.bend, n*bands)
		}
	}
	return c, skipped
}

// tracer accumulates the chord lengths of a polyline through the grid
// (Amanatides–Woo traversal of each segment; consecutive visits of the
// same pixel are merged).
type tracer struct {
	g      *Grid
	x0, z0 float64 // object coordinates of the grid's lower corner
	rot    dataset.Rotation
	idx    []int32
	len    []float32
	sidx   []int32 // scratch of sortBands
	slen   []float32
	uv     []Point // scratch of polyline: points in grid units
}

func newTracer(g *Grid) *tracer {
	hx, hz := g.HalfWidths()
	return &tracer{g: g, x0: -hx, z0: -hz}
}

// sortBands orders the row's entries by band (stably) and appends the
// band ends to bend.
func (t *tracer) sortBands(bend *[]uint16) {
	var cnt [bands + 1]int
	nx, nz := t.g.NX, t.g.NZ
	up, down := true, true
	last := -1
	for e, j := range t.idx {
		q := bandOf(int(j)/nx, nz)
		cnt[q+1]++
		if e > 0 {
			up = up && q >= last
			down = down && q <= last
		}
		last = q
	}
	for q := 1; q <= bands; q++ {
		cnt[q] += cnt[q-1]
	}
	for q := 1; q <= bands; q++ {
		*bend = append(*bend, uint16(cnt[q]))
	}
	// a path crosses the bands in order, one way or the other, unless it
	// runs along them
	if up {
		return
	}
	if down {
		slices.Reverse(t.idx)
		slices.Reverse(t.len)
		return
	}
	t.sidx = append(t.sidx[:0], t.idx...)
	t.slen = append(t.slen[:0], t.len...)
	for e, j := range t.sidx {
		q := bandOf(int(j)/nx, nz)
		t.idx[cnt[q]] = j
		t.len[cnt[q]] = t.slen[e]
		cnt[q]++
	}
}

func (t *tracer) reset(angle float64) {
	t.rot = dataset.NewRotation(angle)
	t.idx = t.idx[:0]
	t.len = t.len[:0]
}

func (t *tracer) add(j int32, l float64) {
	if l <= 0 {
		return
	}
	if n := len(t.idx); n > 0 && t.idx[n-1] == j {
		t.len[n-1] += float32(l)
		return
	}
	t.idx = append(t.idx, j)
	t.len = append(t.len, float32(l))
}

// polyline adds the parts inside the circle of radius hull of the
// beam-frame polyline pts (hull 0: all of it).
func (t *tracer) polyline(pts []Point, hull float64) {
	p := t.g.Pixel
	t.uv = t.uv[:0]
	for _, q := range pts {
		X, Z := t.rot.ToObject(q.X, q.Z)
		t.uv = append(t.uv, Point{(X - t.x0) / p, (Z - t.z0) / p})
	}
	for k := 1; k < len(t.uv); k++ {
		a, b := t.uv[k-1], t.uv[k]
		if hull > 0 {
			// the hull is a circle about the axis in either frame
			t0, t1, ok := clipCircle(pts[k-1], pts[k], hull)
			if !ok {
				continue
			}
			if t0 > 0 || t1 < 1 {
				a, b = Point{a.X + t0*(b.X-a.X), a.Z + t0*(b.Z-a.Z)}, Point{a.X + t1*(b.X-a.X), a.Z + t1*(b.Z-a.Z)}
			}
		}
		t.segment(a, b)
	}
}

// segment adds the segment a→b given in grid units.
func (t *tracer) segment(a, b Point) {
	ua, va, ub, vb := a.X, a.Z, b.X, b.Z
	du, dv := ub-ua, vb-va
	length := math.Sqrt(du*du+dv*dv) * t.g.Pixel
	if length == 0 {
		return
	}
	nx, nz := t.g.NX, t.g.NZ
	fx, fz := float64(nx), float64(nz)
	// fast path: both ends in the same pixel of the grid
	if ua >= 0 && va >= 0 && ua < fx && va < fz {
		i, k := int(ua), int(va)
		if ub >= 0 && vb >= 0 && int(ub) == i && int(vb) == k {
			t.add(int32(k*nx+i), length)
			return
		}
	}
	// clip to [0, NX] × [0, NZ] (Liang–Barsky)
	t0, t1 := clipSlab(0, 1, ua, du, fx)
	t0, t1 = clipSlab(t0, t1, va, dv, fz)
	if !(t0 < t1) {
		return
	}
	// the pixel at the clipped start, nudged along the direction so that
	// a start on a pixel edge counts in the pixel the segment enters
	us, vs := ua+t0*du, va+t0*dv
	i := min(nx-1, max(0, int(math.Floor(us+1e-9*sign(du)))))
	k := min(nz-1, max(0, int(math.Floor(vs+1e-9*sign(dv)))))
	stepI, tMaxI, tDI := ddaAxis(i, ua, du)
	stepK, tMaxK, tDK := ddaAxis(k, va, dv)
	tc := t0
	for tc < t1 {
		tn := min(tMaxI, tMaxK, t1)
		t.add(int32(k*nx+i), (tn-tc)*length)
		tc = tn
		if tc >= t1 {
			break
		}
		if tMaxI <= tMaxK {
			i += stepI
			tMaxI += tDI
		} else {
			k += stepK
			tMaxK += tDK
		}
		if i < 0 || i >= nx || k < 0 || k >= nz {
			break
		}
	}
}

// ddaAxis starts the grid walk along one axis for the segment q + t·d
// from pixel i: the pixel step, the t of the first pixel edge crossed and
// the t between edges (infinite when the segment runs parallel to them).
func ddaAxis(i int, q, d float64) (step int, tMax, tDelta float64) {
	switch {
	case d > 0:
		return 1, (float64(i+1) - q) / d, 1 / d
	case d < 0:
		return -1, (float64(i) - q) / d, -1 / d
	}
	return 0, math.Inf(1), math.Inf(1)
}

// clipSlab narrows [t0, t1] to the parameters at which q + t·d lies in
// [0, hi]; the result is empty (t0 ≥ t1) if none does.
func clipSlab(t0, t1, q, d, hi float64) (float64, float64) {
	if d == 0 {
		if q < 0 || q > hi {
			return 1, 0
		}
		return t0, t1
	}
	ta, tb := -q/d, (hi-q)/d
	if ta > tb {
		ta, tb = tb, ta
	}
	return max(t0, ta), min(t1, tb)
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// parallel runs f(0..n-1) on up to workers goroutines (0 means
// GOMAXPROCS) and returns ctx.Err() if ctx was cancelled before all ran.
func parallel(ctx context.Context, n, workers int, f func(int)) error {
	if workers <= 0 {
		workers = gomaxprocs()
	}
	workers = min(workers, n)
	if workers <= 1 {
		for c := 0; c < n; c++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			f(c)
		}
		return ctx.Err()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				f(c)
			}
		}()
	}
	var err error
	for c := 0; c < n; c++ {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- c
	}
	close(next)
	wg.Wait()
	if err != nil {
		return err
	}
	return ctx.Err()
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
