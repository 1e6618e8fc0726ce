package track

import (
	"github.com/pcttrack/pcttrack/graph"
)

// Result is the reconstruction of one frame. Its slices are reused when
// the same Result is passed to Tracker.Track again.
type Result struct {
	// Selected marks the hit-graph segments the tracker joined
	// (len(g.Src)); for trackers that may skip a layer, only consecutive
	// hits of a track in adjacent layers appear here.
	Selected []bool
	// All holds every chained track, before the filter.
	All Tracks
	// Tracks holds the tracks that pass the filter.
	Tracks Tracks
	// Stats counts what the per-layer assignments did (zero for trackers
	// without assignment problems).
	Stats Stats
}

// Tracker reconstructs the tracks of one frame's hit graph into dst.
// Implementations reuse their workspace and are not safe for concurrent
// use unless they say so.
type Tracker interface {
	Track(dst *Result, g *graph.HitGraph) error
}

// CostFunc writes one cost per segment of g into dst (grown if too short)
// and returns it; +Inf forbids a segment.
type CostFunc func(dst []float64, g *graph.HitGraph) ([]float64, error)

// CostTracker is the generic assignment tracker: costs from Costs, one LSAP
// per layer pair (Options), chaining and Filter. The learned tracker is a
// CostTracker whose costs are 1 − p from a network.
type CostTracker struct {
	Costs   CostFunc
	Options Options
	Filter  Filter

	a    Assigner
	cost []float64
}

// Track implements Tracker.
func (c *CostTracker) Track(dst *Result, g *graph.HitGraph) error {
	var err error
	if c.cost, err = c.Costs(c.cost, g); err != nil {
		return err
	}
	if dst.Selected, dst.Stats, err = c.a.Assign(dst.Selected, g, c.cost, &c.Options); err != nil {
		return err
	}
	Chain(&dst.All, g, dst.Selected)
	c.Filter.Apply(&dst.Tracks, &dst.All, g)
	return nil
}
