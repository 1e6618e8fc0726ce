package recon

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

var benchSys struct {
	once sync.Once
	sys  map[string]*System
}

func benchSystem(b *testing.B, kind PathKind, n int) *System {
	benchSys.once.Do(func() { benchSys.sys = map[string]*System{} })
	key := fmt.Sprint(kind, n)
	if s, ok := benchSys.sys[key]; ok {
		return s
	}
	pr := straightProtons(ctp404(), n, 180, 80, 0.002, 1)
	s, err := NewSystem(context.Background(), pr, Grid{}, &PathOptions{Kind: kind, Hull: 80}, 0)
	if err != nil {
		b.Fatal(err)
	}
	benchSys.sys[key] = s
	return s
}

func BenchmarkSolve(b *testing.B) {
	for _, blocks := range []int{20, 100} {
		b.Run(fmt.Sprintf("blocks=%d", blocks), func(b *testing.B) {
			sys := benchSystem(b, Straight, 100000)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := Solve(context.Background(), sys, &Options{Blocks: blocks, Iterations: 2}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
