package recon

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/pcttrack/pcttrack/dataset"
)

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

type chunk struct {
	first int     // index of its first row in the System
	off   []int32 // row r is idx/len[off[r]:off[r+1]]
	// bend[r·bands + q] is the end of band q's entries in row r, relative
	// to off[r]; band q starts where band q−1 ends (band 0 at 0)
	bend []uint16
	idx  []int32
	len  []float32
	b    []float32 // WEPL
	norm []float32 // Σ_j a_ij²
	sum  []float32 // Σ_j a_ij
}

// Rows returns the number of rows.
func (s *System) Rows() int { return s.rows }

// Entries returns the number of non-zero elements.
func (s *System) Entries() int64 {
	var n int64
	for c := range s.chunks {
		n += int64(len(s.chunks[c].idx))
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
	c := &s.chunks[i/chunkRows]
	r := i - c.first
	for e := c.off[r]; e < c.off[r+1]; e++ {
		f(int(c.idx[e]), float64(c.len[e]))
	}
	return float64(c.b[r])
}

// NewSystem estimates the path of every proton (opt) and builds the system
// matrix on grid g. Protons outside the slice (Grid.Thickness) or whose
// path misses the grid are skipped. A proton with a non-finite field is an
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
	err = parallel(ctx, n, workers, func(c int) {
		lo := c * chunkRows
		hi := min(lo+chunkRows, len(protons))
		built[c], skipped[c] = buildChunk(protons[lo:hi], &g, paths)
	})
	if err != nil {
		return nil, err
	}
	s := &System{grid: g}
	for c := range built {
		s.Skipped += skipped[c]
		if len(built[c].b) == 0 {
			continue
		}
		built[c].first = s.rows
		s.rows += len(built[c].b)
		s.chunks = append(s.chunks, built[c])
	}
	// Row addresses chunks by i/chunkRows: repack if a chunk lost rows.
	s.repack()
	return s, nil
}

// repack moves rows so that every chunk but the last holds exactly
// chunkRows rows (protons skipped in a chunk leave it short).
func (s *System) repack() {
	full := true
	for c := range s.chunks[:max(0, len(s.chunks)-1)] {
		if len(s.chunks[c].b) != chunkRows {
			full = false
			break
		}
	}
	if full {
		return
	}
	var out []chunk
	var cur chunk
	flush := func() {
		if len(cur.b) > 0 {
			cur.first = len(out) * chunkRows
			out = append(out, cur)
		}
		cur = chunk{}
	}
	for c := range s.chunks {
		ch := &s.chunks[c]
		for r := range ch.b {
			if cur.off == nil {
				cur.off = append(cur.off, 0)
			}
			e0, e1 := ch.off[r], ch.off[r+1]
			cur.bend = append(cur.bend, ch.bend[r*bands:(r+1)*bands]...)
			cur.idx = append(cur.idx, ch.idx[e0:e1]...)
			cur.len = append(cur.len, ch.len[e0:e1]...)
			cur.off = append(cur.off, int32(len(cur.idx)))
			cur.b = append(cur.b, ch.b[r])
			cur.norm = append(cur.norm, ch.norm[r])
			cur.sum = append(cur.sum, ch.sum[r])
			if len(cur.b) == chunkRows {
				flush()
			}
		}
		s.chunks[c] = chunk{} // free as we go
	}
	flush()
	s.chunks = out
}

// buildChunk builds the rows of protons.
func buildChunk(protons []dataset.Proton, g *Grid, paths *Paths) (chunk, int) {
	var c chunk
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
		for k := 1; k < len(pts); k++ {
			tr.segment(pts[k-1], pts[k])
		}
		if len(tr.idx) == 0 || len(tr.idx) > math.MaxUint16 {
			skipped++
			continue
		}
		tr.sortBands(&c.bend)
		var n2, s1 float64
		for _, a := range tr.len {
			n2 += float64(a) * float64(a)
			s1 += float64(a)
		}
		c.idx = append(c.idx, tr.idx...)
		c.len = append(c.len, tr.len...)
		c.off = append(c.off, int32(len(c.idx)))
		c.b = append(c.b, float32(pr.WEPL))
		c.norm = append(c.norm, float32(n2))
		c.sum = append(c.sum, float32(s1))
	}
	return c, skipped
}

// tracer accumulates the chord lengths of a polyline through the grid
// (Amanatides–Woo traversal of each segment; consecutive visits of the
// same pixel are merged).
type tracer struct {
	g      *Grid
	x0, z0 float64 // object coordinates of the grid's lower corner
	sin    float64
	cos    float64
	idx    []int32
	len    []float32
	sidx   []int32 // scratch of sortBands
	slen   []float32
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
	for _, j := range t.idx {
		cnt[bandOf(int(j)/nx, nz)+1]++
	}
	for q := 1; q <= bands; q++ {
		cnt[q] += cnt[q-1]
	}
	for q := 1; q <= bands; q++ {
		*bend = append(*bend, uint16(cnt[q]))
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
	t.sin, t.cos = math.Sincos(angle * math.Pi / 180)
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

// segment adds the beam-frame segment a→b.
func (t *tracer) segment(a, b Point) {
	// to object frame (dataset.BeamToObject), then to grid units
	p := t.g.Pixel
	ua := (a.X*t.cos - a.Z*t.sin - t.x0) / p
	va := (a.X*t.sin + a.Z*t.cos - t.z0) / p
	ub := (b.X*t.cos - b.Z*t.sin - t.x0) / p
	vb := (b.X*t.sin + b.Z*t.cos - t.z0) / p
	du, dv := ub-ua, vb-va
	length := math.Hypot(du, dv) * p
	if length == 0 {
		return
	}
	// clip to [0, NX] × [0, NZ] (Liang–Barsky)
	t0, t1 := 0.0, 1.0
	clip := func(q, d, lo, hi float64) bool {
		if d == 0 {
			return q >= lo && q <= hi
		}
		ta, tb := (lo-q)/d, (hi-q)/d
		if ta > tb {
			ta, tb = tb, ta
		}
		t0 = max(t0, ta)
		t1 = min(t1, tb)
		return t0 < t1
	}
	nx, nz := t.g.NX, t.g.NZ
	if !clip(ua, du, 0, float64(nx)) || !clip(va, dv, 0, float64(nz)) {
		return
	}
	// the pixel at the clipped start, nudged along the direction so that
	// a start on a pixel edge counts in the pixel the segment enters
	us, vs := ua+t0*du, va+t0*dv
	i := min(nx-1, max(0, int(math.Floor(us+1e-9*sign(du)))))
	k := min(nz-1, max(0, int(math.Floor(vs+1e-9*sign(dv)))))
	stepI, stepK := 0, 0
	tMaxI, tMaxK := math.Inf(1), math.Inf(1)
	tDI, tDK := math.Inf(1), math.Inf(1)
	if du > 0 {
		stepI, tDI = 1, 1/du
		tMaxI = (float64(i+1) - ua) / du
	} else if du < 0 {
		stepI, tDI = -1, -1/du
		tMaxI = (float64(i) - ua) / du
	}
	if dv > 0 {
		stepK, tDK = 1, 1/dv
		tMaxK = (float64(k+1) - va) / dv
	} else if dv < 0 {
		stepK, tDK = -1, -1/dv
		tMaxK = (float64(k) - va) / dv
	}
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
