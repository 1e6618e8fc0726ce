package plot_test

import (
	"fmt"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/track"
)

// ExampleEvent tracks a hand-made frame of three protons with a tracker
// that prefers the wrong pairs in the tracker layers and draws it.
func ExampleEvent() {
	c := testframes.Cases()[1] // three protons and a secondary
	g, err := graph.Build(&c.Frame, nil)
	if err != nil {
		log.Fatal(err)
	}
	// Cost 0 inside an event, except in the first tracker layer pair
	// (layers 1 → 0), where pairs across events are cheaper.
	tr := &track.CostTracker{Costs: func(dst []float64, g *graph.HitGraph) ([]float64, error) {
		dst = make([]float64, len(g.Src))
		for s := range dst {
			a, b := g.Hits[g.Src[s]], g.Hits[g.Dst[s]]
			same := a.EventID == b.EventID && a.TrackID == b.TrackID
			if same == (a.Layer == 1) {
				dst[s] = 0.9
			}
		}
		return dst, nil
	}}
	var res track.Result
	if err := tr.Track(&res, g); err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "plot")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sum, err := plot.Event(filepath.Join(dir, "event.png"), g, &res, &plot.EventOptions{Method: "crossed"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d hits, %d true segments: %d wrong links, %d missed\n", sum.Hits, sum.TrueSegments, sum.FalseSelected, sum.Missed)
	// Output:
	// 16 hits, 12 true segments: 2 wrong links, 2 missed
}

// ExampleCurves draws a loss curve on a log axis next to the validation
// purity of two runs.
func ExampleCurves() {
	var steps, loss1, loss2 []float64
	for s := 0; s <= 1000; s += 10 {
		steps = append(steps, float64(s))
		loss1 = append(loss1, 0.5*math.Exp(-float64(s)/300)+0.01)
		loss2 = append(loss2, 0.4*math.Exp(-float64(s)/200)+0.02)
	}
	series := []plot.Series{
		{Name: "seed 1", Panel: "loss", X: steps, Y: loss1, Smooth: 0.6},
		{Name: "seed 2", Panel: "loss", X: steps, Y: loss2, Smooth: 0.6},
		{Name: "seed 1", Panel: "validation purity", X: []float64{0, 500, 1000}, Y: []float64{0.5, 0.85, 0.9}},
		{Name: "seed 2", Panel: "validation purity", X: []float64{0, 500, 1000}, Y: []float64{0.45, 0.8, 0.91}},
	}
	fig, err := plot.NewCurves(series, &plot.CurvesOptions{Title: "training", LogY: []string{"loss"}})
	if err != nil {
		log.Fatal(err)
	}
	fig.Size.DPI = 100
	dir, err := os.MkdirTemp("", "plot")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "curves.png")
	if err := fig.Save(path); err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d × %d pixels\n", cfg.Width, cfg.Height)
	// Output:
	// 900 × 410 pixels
}

// ExampleVersusProtons draws the paper's PTT results against a baseline
// (values from dtc-reference.md §9.3–9.4, water 100 mm).
func ExampleVersusProtons() {
	rows := []plot.Point{
		{Method: "PTT", ProtonsPerFrame: 50, Purity: 0.949, PuritySD: 0.004, Efficiency: 0.838, EfficiencySD: 0.004},
		{Method: "PTT", ProtonsPerFrame: 100, Purity: 0.874, PuritySD: 0.004, Efficiency: 0.752, EfficiencySD: 0.004},
		{Method: "PTT", ProtonsPerFrame: 150, Purity: 0.775, PuritySD: 0.004, Efficiency: 0.650, EfficiencySD: 0.004},
		{Method: "track follower", ProtonsPerFrame: 50, Purity: 0.881, Efficiency: 0.796},
		{Method: "track follower", ProtonsPerFrame: 100, Purity: 0.830, Efficiency: 0.746},
		{Method: "track follower", ProtonsPerFrame: 150, Purity: 0.791, Efficiency: 0.709},
	}
	dir, err := os.MkdirTemp("", "plot")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	err = plot.VersusProtons(filepath.Join(dir, "versus.svg"), rows, &plot.VersusOptions{Title: "water 100 mm", Dashed: []string{"track follower"}})
	fmt.Println(err)
	// Output:
	// <nil>
}

// ExampleStability draws the fraction of test edges whose assignment
// changes with the training seed.
func ExampleStability() {
	bars := []plot.Bar{
		{Label: "PTT", Value: 0.012, SD: 0.002},
		{Label: "PAT λ=25", Value: 0.004, SD: 0.001},
		{Label: "PAT λ=50", Value: 0.0035},
	}
	fig, err := plot.NewStability(bars, &plot.StabilityOptions{Title: "seed stability"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.1f × %.1f inch\n", fig.Size.Width/72, fig.Size.Height/72)
	// Output:
	// 5.0 × 4.2 inch
}
