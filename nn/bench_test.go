package nn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
)

// BenchmarkMLPStep times forward and backward of BN-Lin-LReLU-BN-Lin-LReLU-Lin
// and a BCE loss on node-sized inputs (the line-graph model's O and R2 run
// on 14.8k rows of width 16–24 per 100-proton frame).
func BenchmarkMLPStep(b *testing.B) {
	for _, n := range []int{4311, 14837} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			l1, l2 := nn.NewLinear[float32]("l1", 24, 16, rng), nn.NewLinear[float32]("l2", 16, 16, rng)
			bn1, bn2 := nn.NewBatchNorm[float32]("bn1", 24), nn.NewBatchNorm[float32]("bn2", 16)
			lout := nn.NewLinear[float32]("out", 16, 1, rng)
			x := make([]float32, n*24)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			y := make([]float32, n)
			tp := nn.NewTape[float32]()
			step := func() {
				tp.Reset()
				h := tp.LeakyReLU(tp.Linear(tp.BatchNorm(tp.Const(x, n, 24), bn1), l1), 0.01)
				h = tp.Linear(tp.BatchNorm(h, bn2), l2)
				h = tp.Linear(tp.LeakyReLU(h, 0.01), lout)
				tp.Backward(tp.BCEWithLogits(h, y, nil))
			}
			step()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
		})
	}
}
