package recon

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"
	"time"
)

func TestScratchTune(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	ph := ctp404()
	n := 200000
	pr := straightProtons(ph, n, 180, 80, 0, 1)
	g := Grid{NX: 256, NZ: 256, Pixel: 1}
	t0 := time.Now()
	sys, err := NewSystem(context.Background(), pr, g, &PathOptions{Kind: Straight, Hull: 80}, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("build", time.Since(t0), sys.Rows(), sys.Entries())
	var rois []ROI
	for k, d := range ph {
		rois = append(rois, ROI{Name: fmt.Sprint(k), X: d.X, Z: d.Z, R: min(d.R-2, 20), Truth: d.RSP})
	}
	for _, blocks := range []int{20, 100, 200} {
		for _, lam := range []float64{0.3, 1, 1.9} {
			t0 := time.Now()
			im, err := Solve(context.Background(), sys, &Options{Blocks: blocks, Relaxation: lam})
			if err != nil {
				t.Fatal(err)
			}
			st := Measure(im, rois)
			worst := 0.0
			for _, s := range st {
				worst = math.Max(worst, math.Abs(s.Diff))
			}
			fmt.Printf("blocks %d lam %.1f: %v worst |d| %.4f body %.4f±%.4f teflon %.3f air %.3f\n", blocks, lam, time.Since(t0), worst, st[0].Mean, st[0].Std, st[6].Mean, st[1].Mean)
		}
	}
}

func TestScratchTV(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	for _, st := range []float64{0.003, 0.01, 0.03} {
		for _, k := range []float64{0.8, 0.9, 0.97} {
			tvStep, tvKernel = st, k
			fmt.Println(st, k)
			t.Run("x", TestSuperiorizationReducesNoise)
		}
	}
}
