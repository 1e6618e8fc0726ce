package model

import (
	"math"
	"sync"

	"github.com/pcttrack/pcttrack/nn"
)

// encTable holds the angle encoding of every √θ bin: row b is the encoding
// of b·width, computed in float64 and rounded to float32 (the model's
// input feature; the float64 models of the gradient tests read the same
// float32 values).
type encTable struct {
	dim   int
	width float64
	data  []float32 // nbins × dim
}

func (e *encTable) row(b int32) []float32 { return e.data[int(b)*e.dim : int(b+1)*e.dim] }

func (e *encTable) bins() int { return len(e.data) / e.dim }

type encKey struct {
	dim            int
	scaling, width float64
}

var encTables struct {
	mu sync.Mutex
	m  map[encKey]*encTableOnce
}

type encTableOnce struct {
	once sync.Once
	t    *encTable
}

// encodingTable returns the process-wide table for (dim, scaling, width),
// computing it on first use (15 MB and ~2M sincos for the defaults).
func encodingTable(dim int, scaling, width float64) *encTable {
	k := encKey{dim, scaling, width}
	encTables.mu.Lock()
	if encTables.m == nil {
		encTables.m = map[encKey]*encTableOnce{}
	}
	o := encTables.m[k]
	if o == nil {
		o = &encTableOnce{}
		encTables.m[k] = o
	}
	encTables.mu.Unlock()
	o.once.Do(func() {
		nb := int(math.Sqrt(math.Pi)/width) + 2
		f := nn.EncodingFrequencies(dim, scaling)
		t := &encTable{dim: dim, width: width, data: make([]float32, nb*dim)}
		for b := 0; b < nb; b++ {
			nn.Encode(t.data[b*dim:(b+1)*dim], float64(b)*width, f)
		}
		o.t = t
	})
	return o.t
}

// angleBin returns the bin of θ (rad): round(√θ / width).
func angleBin(theta float32, width float64) int32 {
	return int32(math.Round(math.Sqrt(float64(theta)) / width))
}
