package baseline_test

import (
	"fmt"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/track"
)

// twoProtons returns a frame of two protons crossing layers 0-6, one
// straight at x = 0, one drifting from x = 4 mm by 0.02 rad; both stop
// in layer 6 with a Bragg-peak deposit.
func twoProtons() *dataset.Frame {
	f := &dataset.Frame{Meta: dataset.FrameMeta{Phantom: "none", BeamEnergy: 230, ProtonsPerFrame: 2}}
	for ev := range int64(2) {
		for l := 6; l >= 0; l-- {
			z := testframes.LayerZ(l)
			x := 4 * float64(ev) * (1 + 0.005*(z-testframes.LayerZ(0)))
			e := float32(0.03)
			if l == 6 {
				e = 0.12
			}
			f.Hits = append(f.Hits, dataset.Hit{Layer: int32(l), X: float32(x), Z: float32(z), Edep: e, EventID: ev, Primary: true})
		}
	}
	return f
}

func printTracks(g *graph.HitGraph, res *track.Result) {
	for i := 0; i < res.Tracks.Len(); i++ {
		fmt.Print("track:")
		for _, h := range res.Tracks.Track(i) {
			fmt.Printf(" L%d/e%d", g.Hits[h].Layer, g.Hits[h].EventID)
		}
		fmt.Println()
	}
}

func ExampleFollower() {
	g, err := graph.Build(twoProtons(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var f baseline.Follower // the toolkit's settings and the paper's filter
	var res track.Result
	if err := f.Track(&res, g); err != nil {
		fmt.Println(err)
		return
	}
	printTracks(g, &res)
	// Output:
	// track: L6/e0 L5/e0 L4/e0 L3/e0 L2/e0 L1/e0 L0/e0
	// track: L6/e1 L5/e1 L4/e1 L3/e1 L2/e1 L1/e1 L0/e1
}

func ExamplePhysics() {
	g, err := graph.Build(twoProtons(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := baseline.NewPhysics(nil, nil) // default DTC geometry and costs
	if err != nil {
		fmt.Println(err)
		return
	}
	var res track.Result
	if err := p.Track(&res, g); err != nil {
		fmt.Println(err)
		return
	}
	printTracks(g, &res)
	fmt.Printf("%d layer pairs solved, %d segments chosen\n", res.Stats.Pairs, res.Stats.Selected)
	// Output:
	// track: L6/e0 L5/e0 L4/e0 L3/e0 L2/e0 L1/e0 L0/e0
	// track: L6/e1 L5/e1 L4/e1 L3/e1 L2/e1 L1/e1 L0/e1
	// 6 layer pairs solved, 12 segments chosen
}
