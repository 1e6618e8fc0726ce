//go:build !amd64 || purego

package kern

const hasAsm = false

var useAsm = false

func gemm16(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, bias *float32, n, k int, acc bool) {
	panic("kern: no assembly on this platform")
}

func gemm8(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, bias *float32, n, k int, acc bool) {
	panic("kern: no assembly on this platform")
}

func gemmTA16(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, n, k int) {
	panic("kern: no assembly on this platform")
}

func gemmTA8(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, n, k int) {
	panic("kern: no assembly on this platform")
}

func gatherAdd3x16(dst, p, q, r, c *float32, ip, iq, ir *int32, n int) {
	panic("kern: no assembly on this platform")
}

func lrelu8(dst, src *float32, slope float32, n int) { panic("kern: no assembly on this platform") }

func lreluSums16(dst, src *float32, slope float32, sum, sumsq *float64, n int) {
	panic("kern: no assembly on this platform")
}

func segMax16(agg *float32, arg *int32, m *float32, seg *int32, base int32, n int) {
	panic("kern: no assembly on this platform")
}

func affineLReLUBack16(dst, dy, z, k0, k1 *float32, slope float32, n int) {
	panic("kern: no assembly on this platform")
}

func scatterAdd16(dst, src *float32, idx *int32, n int) { panic("kern: no assembly on this platform") }

func affineCols(dst, x, a, b *float32, n, w int) { panic("kern: no assembly on this platform") }

func colSums(s1, s2 *float64, x *float32, n, w int) { panic("kern: no assembly on this platform") }

func colDot(s *float64, x, y *float32, n, w int) { panic("kern: no assembly on this platform") }

func affine2Acc(dst, dy, x, a, b, c *float32, n, w int) { panic("kern: no assembly on this platform") }

func lreluBackAcc(dx, dy, x *float32, slope float32, n int) {
	panic("kern: no assembly on this platform")
}
