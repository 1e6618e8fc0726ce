//go:build amd64 && !purego

#include "textflag.h"

// Column kernels: n rows of w floats (w a multiple of 8), per-column
// parameters re-read for every row (they stay in L1).

// func affineCols(dst, x, a, b *float32, n, w int)
// dst = x*a + b
TEXT ·affineCols(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ a+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ w+40(FP), DX
	SHLQ $2, DX
	TESTQ CX, CX
	JZ    afcdone

afcrow:
	XORQ AX, AX

afcgrp:
	VMOVUPS     (R8)(AX*1), Y1
	VMOVUPS     (SI)(AX*1), Y0
	VFMADD213PS (R9)(AX*1), Y1, Y0
	VMOVUPS     Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, DX
	JL   afcgrp
	ADDQ DX, SI
	ADDQ DX, DI
	DECQ CX
	JNZ  afcrow

afcdone:
	VZEROUPPER
	RET

// func colSums(s1, s2 *float64, x *float32, n, w int)
// s1 += sum_r x, s2 += sum_r x*x (s2 may be nil), in float64, 4 columns
// at a time.
TEXT ·colSums(SB), NOSPLIT, $0-40
	MOVQ s1+0(FP), R8
	MOVQ s2+8(FP), R9
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ w+32(FP), DX
	SHLQ $2, DX
	TESTQ CX, CX
	JZ    csdone

csrow:
	XORQ AX, AX
	XORQ BX, BX

csgrp:
	VCVTPS2PD (SI)(AX*1), Y0
	VADDPD    (R8)(BX*1), Y0, Y1
	VMOVUPD   Y1, (R8)(BX*1)
	TESTQ     R9, R9
	JZ        csnext
	VMOVUPD     (R9)(BX*1), Y2
	VFMADD231PD Y0, Y0, Y2
	VMOVUPD     Y2, (R9)(BX*1)

csnext:
	ADDQ $16, AX
	ADDQ $32, BX
	CMPQ AX, DX
	JL   csgrp
	ADDQ DX, SI
	DECQ CX
	JNZ  csrow

csdone:
	VZEROUPPER
	RET

// func colDot(s *float64, x, y *float32, n, w int)
// s += sum_r x*y in float64, 4 columns at a time.
TEXT ·colDot(SB), NOSPLIT, $0-40
	MOVQ s+0(FP), R8
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ w+32(FP), DX
	SHLQ $2, DX
	TESTQ CX, CX
	JZ    cddone

cdrow:
	XORQ AX, AX
	XORQ BX, BX

cdgrp:
	VCVTPS2PD   (SI)(AX*1), Y0
	VCVTPS2PD   (DI)(AX*1), Y1
	VMOVUPD     (R8)(BX*1), Y2
	VFMADD231PD Y0, Y1, Y2
	VMOVUPD     Y2, (R8)(BX*1)
	ADDQ $16, AX
	ADDQ $32, BX
	CMPQ AX, DX
	JL   cdgrp
	ADDQ DX, SI
	ADDQ DX, DI
	DECQ CX
	JNZ  cdrow

cddone:
	VZEROUPPER
	RET

// func affine2Acc(dst, dy, x, a, b, c *float32, n, w int)
// dst += (c + dy*a) + x*b
TEXT ·affine2Acc(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ a+24(FP), R8
	MOVQ b+32(FP), R9
	MOVQ c+40(FP), R10
	MOVQ n+48(FP), CX
	MOVQ w+56(FP), BX
	SHLQ $2, BX
	TESTQ CX, CX
	JZ    a2done

a2row:
	XORQ AX, AX

a2grp:
	VMOVUPS     (R10)(AX*1), Y0
	VMOVUPS     (SI)(AX*1), Y1
	VFMADD231PS (R8)(AX*1), Y1, Y0
	VMOVUPS     (DX)(AX*1), Y2
	VFMADD231PS (R9)(AX*1), Y2, Y0
	VADDPS      (DI)(AX*1), Y0, Y0
	VMOVUPS     Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, BX
	JL   a2grp
	ADDQ BX, SI
	ADDQ BX, DX
	ADDQ BX, DI
	DECQ CX
	JNZ  a2row

a2done:
	VZEROUPPER
	RET

// func lreluBackAcc(dx, dy, x *float32, slope float32, n int)
// dx += x > 0 ? dy : slope*dy; n is a multiple of 8.
TEXT ·lreluBackAcc(SB), NOSPLIT, $0-40
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ x+16(FP), DX
	VBROADCASTSS slope+24(FP), Y7
	VXORPS Y6, Y6, Y6
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	TESTQ CX, CX
	JZ    lbdone

lbloop:
	VMOVUPS   (DX), Y0
	VMOVUPS   (SI), Y1
	VCMPPS    $0x1e, Y6, Y0, Y2
	VMULPS    Y7, Y1, Y3
	VBLENDVPS Y2, Y1, Y3, Y3
	VADDPS    (DI), Y3, Y3
	VMOVUPS   Y3, (DI)
	ADDQ $32, DX
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  lbloop

lbdone:
	VZEROUPPER
	RET
