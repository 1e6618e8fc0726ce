package kern

import "unsafe"

// Float is the set of element types the kernels accept.
type Float interface{ ~float32 | ~float64 }

// is32 reports whether T is a 4-byte float, so that the float32 assembly
// applies.
func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// f32 reinterprets a []T with a 4-byte element type as []float32. It must
// only be called when is32[T]() holds.
func f32[T Float](s []T) []float32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// UseAsm reports whether the float32 assembly kernels are in use.
func UseAsm() bool { return useAsm }

// SetAsm switches the assembly kernels on or off (when available) and
// returns the previous setting. It exists for tests and benchmarks that
// compare the two paths; it is not safe to call while kernels run.
func SetAsm(on bool) (was bool) {
	was = useAsm
	useAsm = on && hasAsm
	return was
}

// Index is an index slice whose entries are known to lie in [0, Bound),
// so kernels can check it against a table in O(1). Build it once with
// NewIndex and take sub-ranges with Slice.
type Index struct {
	idx   []int32
	bound int
}

// NewIndex validates idx against [0, bound) in O(len(idx)) and wraps it
// without copying; it panics if an entry is out of range. idx must not be
// modified afterwards.
func NewIndex(idx []int32, bound int) Index {
	checkIdx(idx, bound)
	return Index{idx: idx, bound: bound}
}

// Slice returns the entries [lo, hi).
func (x Index) Slice(lo, hi int) Index { return Index{idx: x.idx[lo:hi], bound: x.bound} }

// Len returns the number of entries.
func (x Index) Len() int { return len(x.idx) }

// Ints returns the underlying entries (not to be modified).
func (x Index) Ints() []int32 { return x.idx }

// checkIdx panics unless every index lies in [0, rows). The assembly
// trusts its indices, so the wrappers pay this O(n) scan.
func checkIdx(idx []int32, rows int) {
	var bad int32
	r := int32(min(rows, 1<<31-1))
	for _, v := range idx {
		// v < 0 or v >= r sets the sign bit of one of the two terms.
		bad |= v | (r - 1 - v)
	}
	if bad < 0 {
		panic("kern: index out of range")
	}
}

func need(ok bool) {
	if !ok {
		panic("kern: slice too short for the given shape")
	}
}

// MatMul computes c = a·b + bias, or c += a·b when acc is true (bias is
// then ignored). a is n×k with row stride lda, b is k×m with row stride
// ldb, c is n×m with row stride ldc; bias has m entries or is nil (zero).
// Cost O(n·k·m); it does not allocate.
func MatMul[T Float](c []T, ldc int, a []T, lda int, b []T, ldb int, bias []T, n, k, m int, acc bool) {
	if n == 0 || m == 0 {
		return
	}
	need(len(c) >= (n-1)*ldc+m && (k == 0 || len(a) >= (n-1)*lda+k) && (k == 0 || len(b) >= (k-1)*ldb+m))
	need(bias == nil || len(bias) >= m)
	j := 0
	if useAsm && is32[T]() && k > 0 {
		c32, a32, b32, bias32 := f32(c), f32(a), f32(b), f32(bias)
		for ; j+16 <= m; j += 16 {
			var bp *float32
			if bias32 != nil && !acc {
				bp = &bias32[j]
			}
			gemm16(&c32[j], ldc, &a32[0], lda, &b32[j], ldb, bp, n, k, acc)
		}
		if j+8 <= m {
			var bp *float32
			if bias32 != nil && !acc {
				bp = &bias32[j]
			}
			gemm8(&c32[j], ldc, &a32[0], lda, &b32[j], ldb, bp, n, k, acc)
			j += 8
		}
	}
	if j < m {
		matMulGo(c, ldc, a, lda, b, ldb, bias, n, k, m, acc, j)
	}
}

// matMulGo handles columns [j0, m).
func matMulGo[T Float](c []T, ldc int, a []T, lda int, b []T, ldb int, bias []T, n, k, m int, acc bool, j0 int) {
	if m-j0 == 1 {
		// One column (a layer with one output): a dot product per row,
		// the same operations in the same order as the general loop,
		// without its per-element slicing.
		for i := 0; i < n; i++ {
			var s T
			switch {
			case acc:
				s = c[i*ldc+j0]
			case bias != nil:
				s = bias[j0]
			}
			for p, av := range a[i*lda : i*lda+k] {
				s += av * b[p*ldb+j0]
			}
			c[i*ldc+j0] = s
		}
		return
	}
	for i := 0; i < n; i++ {
		ci := c[i*ldc+j0 : i*ldc+m]
		if !acc {
			if bias != nil {
				copy(ci, bias[j0:m])
			} else {
				clear(ci)
			}
		}
		ai := a[i*lda : i*lda+k]
		for p, av := range ai {
			bp := b[p*ldb+j0 : p*ldb+m]
			for j := range ci {
				ci[j] += av * bp[j]
			}
		}
	}
}

// MatMulTA accumulates c += aᵀ·b: a is n×k (stride lda), b is n×m (stride
// ldb) and c is k×m (stride ldc). It is the weight-gradient product of a
// linear layer. Cost O(n·k·m); it does not allocate.
func MatMulTA[T Float](c []T, ldc int, a []T, lda int, b []T, ldb int, n, k, m int) {
	if n == 0 || m == 0 || k == 0 {
		return
	}
	need(len(c) >= (k-1)*ldc+m && len(a) >= (n-1)*lda+k && len(b) >= (n-1)*ldb+m)
	j := 0
	if useAsm && is32[T]() {
		c32, a32, b32 := f32(c), f32(a), f32(b)
		for ; j+16 <= m; j += 16 {
			gemmTA16(&c32[j], ldc, &a32[0], lda, &b32[j], ldb, n, k)
		}
		if j+8 <= m {
			gemmTA8(&c32[j], ldc, &a32[0], lda, &b32[j], ldb, n, k)
			j += 8
		}
	}
	if j < m {
		matMulTAGo(c, ldc, a, lda, b, ldb, n, k, m, j)
	}
}

func matMulTAGo[T Float](c []T, ldc int, a []T, lda int, b []T, ldb int, n, k, m, j0 int) {
	for i := 0; i < n; i++ {
		ai := a[i*lda : i*lda+k]
		bi := b[i*ldb+j0 : i*ldb+m]
		for p, av := range ai {
			cp := c[p*ldc+j0 : p*ldc+m]
			for j := range cp {
				cp[j] += av * bi[j]
			}
		}
	}
}

// GatherAdd3 sets dst[e] = p[ip[e]] + q[iq[e]] + r[ir[e]] + c for the n
// rows e of width w (all row-major with stride w; c has w entries). The
// additions happen in that order. It does not allocate.
func GatherAdd3[T Float](dst, p, q, r, c []T, ipx, iqx, irx Index, n, w int) {
	if n == 0 {
		return
	}
	ip, iq, ir := ipx.idx, iqx.idx, irx.idx
	need(len(dst) >= n*w && len(ip) >= n && len(iq) >= n && len(ir) >= n && len(c) >= w)
	need(ipx.bound*w <= len(p) && iqx.bound*w <= len(q) && irx.bound*w <= len(r))
	if w == 16 && useAsm && is32[T]() {
		gatherAdd3x16(&f32(dst)[0], &f32(p)[0], &f32(q)[0], &f32(r)[0], &f32(c)[0], &ip[0], &iq[0], &ir[0], n)
		return
	}
	for e := 0; e < n; e++ {
		d := dst[e*w : e*w+w]
		pr := p[int(ip[e])*w : int(ip[e])*w+w]
		qr := q[int(iq[e])*w : int(iq[e])*w+w]
		rr := r[int(ir[e])*w : int(ir[e])*w+w]
		for j := range d {
			d[j] = pr[j] + qr[j] + rr[j] + c[j]
		}
	}
}

// LeakyReLU sets dst[i] = src[i] if src[i] > 0, else slope·src[i]. dst and
// src may be the same slice. slope must lie in [0, 1].
func LeakyReLU[T Float](dst, src []T, slope T) {
	need(len(dst) >= len(src))
	i := 0
	if useAsm && is32[T]() && len(src) >= 8 {
		i = len(src) &^ 7
		lrelu8(&f32(dst)[0], &f32(src)[0], float32(slope), i)
	}
	for ; i < len(src); i++ {
		v := src[i]
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = slope * v
		}
	}
}

// LeakyReLUSums sets dst = LeakyReLU(src) for n rows of width w and adds
// the column sums of dst to sum and of dst² to sumsq (w entries each),
// accumulated in float64. dst and src may be the same slice.
func LeakyReLUSums[T Float](dst, src []T, slope T, sum, sumsq []float64, n, w int) {
	if n == 0 {
		return
	}
	need(len(dst) >= n*w && len(src) >= n*w && len(sum) >= w && len(sumsq) >= w)
	if w == 16 && useAsm && is32[T]() {
		lreluSums16(&f32(dst)[0], &f32(src)[0], float32(slope), &sum[0], &sumsq[0], n)
		return
	}
	for e := 0; e < n; e++ {
		d := dst[e*w : e*w+w]
		s := src[e*w : e*w+w]
		for j := range d {
			v := s[j]
			if !(v > 0) {
				v *= slope
			}
			d[j] = v
			sum[j] += float64(v)
			sumsq[j] += float64(v) * float64(v)
		}
	}
}

// SegMax updates running maxima: for each of the n rows e of m (width w),
// with s = seg[e], every column j with m[e][j] > agg[s][j] sets agg[s][j]
// and arg[s][j] = base+e. Ties keep the earlier row, so scanning rows in
// order yields the first maximum. agg must be initialised (e.g. to -Inf).
func SegMax[T Float](agg []T, arg []int32, m []T, segx Index, base int32, n, w int) {
	if n == 0 {
		return
	}
	seg := segx.idx
	need(len(m) >= n*w && len(seg) >= n && segx.bound*w <= min(len(agg), len(arg)))
	if w == 16 && useAsm && is32[T]() {
		segMax16(&f32(agg)[0], &arg[0], &f32(m)[0], &seg[0], base, n)
		return
	}
	for e := 0; e < n; e++ {
		s := int(seg[e])
		a := agg[s*w : s*w+w]
		ar := arg[s*w : s*w+w]
		row := m[e*w : e*w+w]
		for j, v := range row {
			if v > a[j] {
				a[j] = v
				ar[j] = base + int32(e)
			}
		}
	}
}

// AffineLReLUBack computes, for n rows of width w,
//
//	d = dy + k0 + k1·LeakyReLU(z)   (dy nil means 0)
//	dst = d if z > 0 else slope·d
//
// the gradient through LeakyReLU of an expression that is affine in the
// activation (the batch-norm backward in folded form). dst may alias dy.
func AffineLReLUBack[T Float](dst, dy, z, k0, k1 []T, slope T, n, w int) {
	if n == 0 {
		return
	}
	need(len(dst) >= n*w && len(z) >= n*w && len(k0) >= w && len(k1) >= w && (dy == nil || len(dy) >= n*w))
	if w == 16 && useAsm && is32[T]() {
		var dyp *float32
		if dy != nil {
			dyp = &f32(dy)[0]
		}
		affineLReLUBack16(&f32(dst)[0], dyp, &f32(z)[0], &f32(k0)[0], &f32(k1)[0], float32(slope), n)
		return
	}
	for e := 0; e < n; e++ {
		zr := z[e*w : e*w+w]
		d := dst[e*w : e*w+w]
		for j, zv := range zr {
			a := zv
			if !(zv > 0) {
				a = slope * zv
			}
			v := k0[j]
			if dy != nil {
				v = dy[e*w+j] + v
			}
			v += k1[j] * a
			if zv > 0 {
				d[j] = v
			} else {
				d[j] = slope * v
			}
		}
	}
}

// ScatterAdd adds row e of src to row idx[e] of dst for the n rows of width
// w, in row order.
func ScatterAdd[T Float](dst, src []T, idxx Index, n, w int) {
	if n == 0 {
		return
	}
	idx := idxx.idx
	need(len(src) >= n*w && len(idx) >= n && idxx.bound*w <= len(dst))
	if w == 16 && useAsm && is32[T]() {
		scatterAdd16(&f32(dst)[0], &f32(src)[0], &idx[0], n)
		return
	}
	for e := 0; e < n; e++ {
		s := src[e*w : e*w+w]
		d := dst[int(idx[e])*w : int(idx[e])*w+w]
		for j := range d {
			d[j] += s[j]
		}
	}
}
