package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// hitBytes is the in-memory size of a hit's stored fields, for b.SetBytes.
const hitBytes = 41

var benchData = struct {
	once   sync.Once
	frames []Frame
}{}

// benchFrames returns 64 seeded frames of 2700 hits (a 100-proton frame at
// 100 mm water).
func benchFrames() []Frame {
	benchData.once.Do(func() {
		for i := range 64 {
			f := testFrames(uint64(i), 2, 2*2700)[1] // 2701 hits
			f.Meta.Frame = int64(i)
			f.Hits = f.Hits[:2700]
			benchData.frames = append(benchData.frames, f)
		}
	})
	return benchData.frames
}

func BenchmarkWrite(b *testing.B) {
	frames := benchFrames()
	var hits int64
	for _, f := range frames {
		hits += int64(len(f.Hits))
	}
	dir := b.TempDir()
	b.SetBytes(hits * hitBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		w, err := Create(filepath.Join(dir, fmt.Sprintf("w%d.parquet", i%2)), Meta{Source: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		for j := range frames {
			if err := w.Write(&frames[j]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(hits)*float64(b.N)/b.Elapsed().Seconds(), "hits/s")
}

func BenchmarkReadFrame(b *testing.B) {
	frames := benchFrames()
	p := filepath.Join(b.TempDir(), "r.parquet")
	writeFrames(b, p, Meta{Source: "bench"}, frames)
	if st, err := os.Stat(p); err == nil {
		b.ReportMetric(float64(st.Size())/float64(len(frames)*2700), "file-bytes/hit")
	}
	r, err := Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, par := range []int{1, 2} {
		b.Run(fmt.Sprintf("goroutines=%d", par), func(b *testing.B) {
			b.SetBytes(2700 * hitBytes)
			b.ReportAllocs()
			b.ResetTimer()
			if par == 1 {
				var f Frame
				for i := 0; b.Loop(); i++ {
					if err := r.ReadFrameInto(&f, (i*37)%r.NumFrames()); err != nil || len(f.Hits) != 2700 {
						b.Fatal(err, len(f.Hits))
					}
				}
			} else {
				b.SetParallelism(par)
				b.RunParallel(func(pb *testing.PB) {
					var f Frame
					for i := 0; pb.Next(); i++ {
						if err := r.ReadFrameInto(&f, (i*37)%r.NumFrames()); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(2700*float64(b.N)/b.Elapsed().Seconds(), "hits/s")
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	frames := benchFrames()
	p := filepath.Join(b.TempDir(), "o.parquet")
	writeFrames(b, p, Meta{Source: "bench"}, frames)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Open(p)
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
