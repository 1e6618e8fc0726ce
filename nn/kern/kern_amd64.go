//go:build amd64 && !purego

package kern

import "golang.org/x/sys/cpu"

var (
	hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	useAsm = hasAsm
)

// The assembly below takes raw pointers; the exported wrappers check every
// length and index range first.

//go:noescape
func gemm16(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, bias *float32, n, k int, acc bool)

//go:noescape
func gemm8(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, bias *float32, n, k int, acc bool)

//go:noescape
func gemmTA16(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, n, k int)

//go:noescape
func gemmTA8(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, n, k int)

//go:noescape
func gatherAdd3x16(dst, p, q, r, c *float32, ip, iq, ir *int32, n int)

//go:noescape
func lrelu8(dst, src *float32, slope float32, n int)

//go:noescape
func lreluSums16(dst, src *float32, slope float32, sum, sumsq *float64, n int)

//go:noescape
func segMax16(agg *float32, arg *int32, m *float32, seg *int32, base int32, n int)

//go:noescape
func affineLReLUBack16(dst, dy, z, k0, k1 *float32, slope float32, n int)

//go:noescape
func scatterAdd16(dst, src *float32, idx *int32, n int)

//go:noescape
func affineCols(dst, x, a, b *float32, n, w int)

//go:noescape
func colSums(s1, s2 *float64, x *float32, n, w int)

//go:noescape
func colDot(s *float64, x, y *float32, n, w int)

//go:noescape
func affine2Acc(dst, dy, x, a, b, c *float32, n, w int)

//go:noescape
func lreluBackAcc(dx, dy, x *float32, slope float32, n int)
