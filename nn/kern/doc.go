// Package kern holds the dense inner loops of package nn and of the fused
// message-passing passes in package model: small row-major matrix
// products, gathers, scatters, segment maxima and the element-wise pieces
// of LeakyReLU and batch-norm backward passes.
//
// Every kernel is generic over nn's element types (float32, float64). On
// amd64 with AVX2 and FMA the float32 instantiations of the hot kernels run
// hand-written assembly for row widths of 8 and 16; everything else runs
// the portable Go code in this package, which is also the reference the
// assembly is tested against. Build with the tag purego to disable the
// assembly. The assembly fuses multiply-adds, so float32 results of the two
// paths agree to rounding, not bit for bit; each path on its own is
// deterministic.
//
// Matrices are dense and row-major with the row strides given in the
// signatures. Kernels never allocate, never retain their arguments and
// write only to the slice named dst or c. They panic (with a "kern: ..."
// message) when a slice is too short for the shape passed, which is a
// programmer error.
package kern
