package plot_test

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/plot"
)

func TestMatrixAndSurface(t *testing.T) {
	dir := t.TempDir()
	labels := []string{"L25s0", "L25s1", "PTTs0", "PTTs1"}
	v := [][]float64{{0, 0.14, 0.2, 0.21}, {0.14, 0, 0.19, 0.2}, {0.2, 0.19, 0, 0.15}, {0.21, 0.2, 0.15, 0}}
	if err := plot.Matrix(filepath.Join(dir, "m.png"), labels, v, &plot.MatrixOptions{Title: "disagreement"}); err != nil {
		t.Fatal(err)
	}
	x := []float64{-0.5, -0.25, 0, 0.25, 0.5}
	z := make([][]float64, len(x))
	for j, b := range x {
		z[j] = make([]float64, len(x))
		for i, a := range x {
			z[j][i] = 0.007 + a*a + 2*b*b
		}
	}
	fig, err := plot.NewSurface(x, x, z, &plot.SurfaceOptions{Title: "Hamming", XLabel: "v0", YLabel: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := fig.Encode(&buf, plot.SVG); err != nil || buf.Len() == 0 {
		t.Fatalf("SVG: %v (%d bytes)", err, buf.Len())
	}
	bad := []struct {
		name string
		err  func() error
		want string
	}{
		{"ragged matrix", func() error { _, err := plot.NewMatrix(labels, v[:3], nil); return err }, "labels"},
		{"NaN in matrix", func() error {
			w := [][]float64{{0, math.NaN()}, {math.NaN(), 0}}
			_, err := plot.NewMatrix(labels[:2], w, nil)
			return err
		}, "not finite"},
		{"surface rows", func() error { _, err := plot.NewSurface(x, x, z[:2], nil); return err }, "rows"},
	}
	for _, b := range bad {
		if err := b.err(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v, want one containing %q", b.name, err, b.want)
		}
	}
}

func TestLevels(t *testing.T) {
	l := plot.Levels(0.01, 1, 3, true)
	if math.Abs(l[1]-0.1) > 1e-12 || l[0] != 0.01 || l[2] != 1 {
		t.Fatalf("log levels %v, want 0.01 0.1 1", l)
	}
	if l := plot.Levels(-1, 1, 3, true); l[1] != 0 {
		t.Fatalf("levels through zero %v, want linear", l)
	}
}
