package kern

// Column-wise kernels on n×w row-major matrices with one parameter per
// column; the float32 assembly handles widths that are multiples of 8.

func colsAsm[T Float](w int) bool { return useAsm && is32[T]() && w%8 == 0 && w > 0 }

// AffineCols sets dst[r][c] = x[r][c]·a[c] + b[c] (dst may alias x).
func AffineCols[T Float](dst, x, a, b []T, n, w int) {
	if n == 0 {
		return
	}
	need(len(dst) >= n*w && len(x) >= n*w && len(a) >= w && len(b) >= w)
	if colsAsm[T](w) {
		affineCols(&f32(dst)[0], &f32(x)[0], &f32(a)[0], &f32(b)[0], n, w)
		return
	}
	a, b = a[:w], b[:w]
	for r := 0; r < n; r++ {
		d, xr := dst[r*w:(r+1)*w], x[r*w:(r+1)*w]
		for c := range d {
			d[c] = xr[c]*a[c] + b[c]
		}
	}
}

// ColSums adds the column sums of x to s1 and of x² to s2 (s2 may be
// nil), accumulating in float64 (as PyTorch's CPU batch norm does).
func ColSums[T Float](s1, s2 []float64, x []T, n, w int) {
	if n == 0 {
		return
	}
	need(len(x) >= n*w && len(s1) >= w && (s2 == nil || len(s2) >= w))
	if colsAsm[T](w) {
		var p2 *float64
		if s2 != nil {
			p2 = &s2[0]
		}
		colSums(&s1[0], p2, &f32(x)[0], n, w)
		return
	}
	s1 = s1[:w]
	for r := 0; r < n; r++ {
		for c, v := range x[r*w : (r+1)*w] {
			s1[c] += float64(v)
			if s2 != nil {
				s2[c] += float64(v) * float64(v)
			}
		}
	}
}

// ColDot adds the column sums of x⊙y to s, in float64.
func ColDot[T Float](s []float64, x, y []T, n, w int) {
	if n == 0 {
		return
	}
	need(len(x) >= n*w && len(y) >= n*w && len(s) >= w)
	if colsAsm[T](w) {
		colDot(&s[0], &f32(x)[0], &f32(y)[0], n, w)
		return
	}
	s = s[:w]
	for r := 0; r < n; r++ {
		yr := y[r*w : (r+1)*w]
		for c, v := range x[r*w : (r+1)*w] {
			s[c] += float64(v) * float64(yr[c])
		}
	}
}

// Affine2Acc adds dy[r][c]·a[c] + x[r][c]·b[c] + c0[c] to dst[r][c].
func Affine2Acc[T Float](dst, dy, x, a, b, c0 []T, n, w int) {
	if n == 0 {
		return
	}
	need(len(dst) >= n*w && len(dy) >= n*w && len(x) >= n*w && len(a) >= w && len(b) >= w && len(c0) >= w)
	if colsAsm[T](w) {
		affine2Acc(&f32(dst)[0], &f32(dy)[0], &f32(x)[0], &f32(a)[0], &f32(b)[0], &f32(c0)[0], n, w)
		return
	}
	a, b, c0 = a[:w], b[:w], c0[:w]
	for r := 0; r < n; r++ {
		d, dr, xr := dst[r*w:(r+1)*w], dy[r*w:(r+1)*w], x[r*w:(r+1)*w]
		for c := range d {
			d[c] += (c0[c] + dr[c]*a[c]) + xr[c]*b[c]
		}
	}
}

// LeakyReLUBackAcc adds dy[i] (where x[i] > 0) or slope·dy[i] (elsewhere)
// to dx[i]: the backward pass of LeakyReLU.
func LeakyReLUBackAcc[T Float](dx, dy, x []T, slope T) {
	need(len(dx) >= len(x) && len(dy) >= len(x))
	i := 0
	if useAsm && is32[T]() && len(x) >= 8 {
		i = len(x) &^ 7
		lreluBackAcc(&f32(dx)[0], &f32(dy)[0], &f32(x)[0], float32(slope), i)
	}
	for ; i < len(x); i++ {
		if x[i] > 0 {
			dx[i] += dy[i]
		} else {
			dx[i] += slope * dy[i]
		}
	}
}
