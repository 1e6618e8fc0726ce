//go:build amd64 && !purego

#include "textflag.h"

// Per-edge kernels on rows of 16 floats (two YMM registers).

// func gatherAdd3x16(dst, p, q, r, c *float32, ip, iq, ir *int32, n int)
// dst[e] = ((p[ip[e]] + q[iq[e]]) + r[ir[e]]) + c
TEXT ·gatherAdd3x16(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ q+16(FP), DX
	MOVQ r+24(FP), R8
	MOVQ c+32(FP), AX
	VMOVUPS (AX), Y12
	VMOVUPS 32(AX), Y13
	MOVQ ip+40(FP), R9
	MOVQ iq+48(FP), R10
	MOVQ ir+56(FP), R11
	MOVQ n+64(FP), CX
	TESTQ CX, CX
	JZ    ga3done

ga3loop:
	MOVLQSX (R9), AX
	SHLQ    $6, AX
	MOVLQSX (R10), BX
	SHLQ    $6, BX
	MOVLQSX (R11), R12
	SHLQ    $6, R12
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS 32(SI)(AX*1), Y1
	VADDPS  (DX)(BX*1), Y0, Y0
	VADDPS  32(DX)(BX*1), Y1, Y1
	VADDPS  (R8)(R12*1), Y0, Y0
	VADDPS  32(R8)(R12*1), Y1, Y1
	VADDPS  Y12, Y0, Y0
	VADDPS  Y13, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, DI
	ADDQ $4, R9
	ADDQ $4, R10
	ADDQ $4, R11
	DECQ CX
	JNZ  ga3loop

ga3done:
	VZEROUPPER
	RET

// func lrelu8(dst, src *float32, slope float32, n int)
// n is a multiple of 8. max(x, slope*x) equals LeakyReLU for slope in [0,1],
// including x = 0 and NaN (the second operand is returned).
TEXT ·lrelu8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	VBROADCASTSS slope+16(FP), Y7
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	TESTQ CX, CX
	JZ   lr8done

lr8loop:
	VMOVUPS (SI), Y0
	VMULPS  Y7, Y0, Y1
	VMAXPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  lr8loop

lr8done:
	VZEROUPPER
	RET

// func lreluSums16(dst, src *float32, slope float32, sum, sumsq *float64, n int)
// dst = lrelu(src); sum += dst, sumsq += dst*dst per column, in float64.
TEXT ·lreluSums16(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	VBROADCASTSS slope+16(FP), Y7
	MOVQ sum+24(FP), R8
	MOVQ sumsq+32(FP), R9
	MOVQ n+40(FP), CX
	VMOVUPD (R8), Y8
	VMOVUPD 32(R8), Y9
	VMOVUPD 64(R8), Y10
	VMOVUPD 96(R8), Y11
	VMOVUPD (R9), Y12
	VMOVUPD 32(R9), Y13
	VMOVUPD 64(R9), Y14
	VMOVUPD 96(R9), Y3
	TESTQ CX, CX
	JZ    lrsstore

lrsloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMULPS  Y7, Y0, Y2
	VMAXPS  Y2, Y0, Y0
	VMULPS  Y7, Y1, Y2
	VMAXPS  Y2, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VCVTPS2PD    X0, Y4
	VEXTRACTF128 $1, Y0, X5
	VCVTPS2PD    X5, Y5
	VCVTPS2PD    X1, Y6
	VEXTRACTF128 $1, Y1, X2
	VCVTPS2PD    X2, Y2
	VADDPD       Y4, Y8, Y8
	VFMADD231PD  Y4, Y4, Y12
	VADDPD       Y5, Y9, Y9
	VFMADD231PD  Y5, Y5, Y13
	VADDPD       Y6, Y10, Y10
	VFMADD231PD  Y6, Y6, Y14
	VADDPD       Y2, Y11, Y11
	VFMADD231PD  Y2, Y2, Y3
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  lrsloop

lrsstore:
	VMOVUPD Y8, (R8)
	VMOVUPD Y9, 32(R8)
	VMOVUPD Y10, 64(R8)
	VMOVUPD Y11, 96(R8)
	VMOVUPD Y12, (R9)
	VMOVUPD Y13, 32(R9)
	VMOVUPD Y14, 64(R9)
	VMOVUPD Y3, 96(R9)
	VZEROUPPER
	RET

// func segMax16(agg *float32, arg *int32, m *float32, seg *int32, base int32, n int)
// for each row e: s = seg[e]; where m[e] > agg[s]: agg[s] = m[e], arg[s] = base+e.
// The running maximum of the current segment stays in registers while
// consecutive rows share it (rows sorted by segment are the common case).
TEXT ·segMax16(SB), NOSPLIT, $0-48
	MOVQ agg+0(FP), DI
	MOVQ arg+8(FP), DX
	MOVQ m+16(FP), SI
	MOVQ seg+24(FP), R8
	MOVL base+32(FP), AX
	MOVQ AX, X6
	VPBROADCASTD X6, Y6
	MOVQ n+40(FP), CX
	MOVL $1, AX
	MOVQ AX, X7
	VPBROADCASTD X7, Y7
	MOVQ $-1, R11
	TESTQ CX, CX
	JZ    smdone

smloop:
	MOVLQSX (R8), AX
	SHLQ    $6, AX
	CMPQ    AX, R11
	JEQ     smsame
	TESTQ   R11, R11
	JS      smload
	VMOVUPS Y2, (DI)(R11*1)
	VMOVUPS Y3, 32(DI)(R11*1)
	VMOVUPS Y8, (DX)(R11*1)
	VMOVUPS Y9, 32(DX)(R11*1)

smload:
	MOVQ    AX, R11
	VMOVUPS (DI)(AX*1), Y2
	VMOVUPS 32(DI)(AX*1), Y3
	VMOVUPS (DX)(AX*1), Y8
	VMOVUPS 32(DX)(AX*1), Y9

smsame:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VCMPPS  $0x1e, Y2, Y0, Y4
	VCMPPS  $0x1e, Y3, Y1, Y5
	VBLENDVPS Y4, Y0, Y2, Y2
	VBLENDVPS Y5, Y1, Y3, Y3
	VBLENDVPS Y4, Y6, Y8, Y8
	VBLENDVPS Y5, Y6, Y9, Y9
	VPADDD  Y7, Y6, Y6
	ADDQ $64, SI
	ADDQ $4, R8
	DECQ CX
	JNZ  smloop
	VMOVUPS Y2, (DI)(R11*1)
	VMOVUPS Y3, 32(DI)(R11*1)
	VMOVUPS Y8, (DX)(R11*1)
	VMOVUPS Y9, 32(DX)(R11*1)

smdone:
	VZEROUPPER
	RET

// func affineLReLUBack16(dst, dy, z, k0, k1 *float32, slope float32, n int)
// a = lrelu(z); d = (dy + k0) + k1*a; dst = z > 0 ? d : slope*d
TEXT ·affineLReLUBack16(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ dy+8(FP), DX
	MOVQ z+16(FP), SI
	MOVQ k0+24(FP), AX
	VMOVUPS (AX), Y10
	VMOVUPS 32(AX), Y11
	MOVQ k1+32(FP), AX
	VMOVUPS (AX), Y12
	VMOVUPS 32(AX), Y13
	VBROADCASTSS slope+40(FP), Y14
	VXORPS Y9, Y9, Y9
	MOVQ n+48(FP), CX
	TESTQ CX, CX
	JZ    albdone

albloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMULPS  Y14, Y0, Y2
	VMULPS  Y14, Y1, Y3
	VMAXPS  Y2, Y0, Y2
	VMAXPS  Y3, Y1, Y3
	VMOVAPS Y10, Y4
	VMOVAPS Y11, Y5
	TESTQ   DX, DX
	JZ      albnody
	VADDPS  (DX), Y4, Y4
	VADDPS  32(DX), Y5, Y5
	ADDQ    $64, DX

albnody:
	VFMADD231PS Y2, Y12, Y4
	VFMADD231PS Y3, Y13, Y5
	VCMPPS  $0x1e, Y9, Y0, Y6
	VCMPPS  $0x1e, Y9, Y1, Y7
	VMULPS  Y14, Y4, Y2
	VMULPS  Y14, Y5, Y3
	VBLENDVPS Y6, Y4, Y2, Y4
	VBLENDVPS Y7, Y5, Y3, Y5
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  albloop

albdone:
	VZEROUPPER
	RET

// func scatterAdd16(dst, src *float32, idx *int32, n int)
TEXT ·scatterAdd16(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ idx+16(FP), R8
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ    sadone

saloop:
	MOVLQSX (R8), AX
	SHLQ    $6, AX
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS 32(DI)(AX*1), Y1
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	ADDQ $64, SI
	ADDQ $4, R8
	DECQ CX
	JNZ  saloop

sadone:
	VZEROUPPER
	RET
