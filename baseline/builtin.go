package baseline

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/track"
)

// Names of the built-in trackers (New).
const (
	NameTruth    = "truth"
	NameFollower = "follower"
	NamePhysics  = "physics"
)

var builtins = map[string]func() (track.Tracker, error){
	NameTruth:    func() (track.Tracker, error) { return NewTruth(), nil },
	NameFollower: func() (track.Tracker, error) { return new(Follower), nil },
	NamePhysics:  func() (track.Tracker, error) { return NewPhysicsByGeometry(nil), nil },
}

// Names returns the names New accepts, sorted.
func Names() []string { return slices.Sorted(maps.Keys(builtins)) }

// New returns a new built-in tracker: "truth" (NewTruth), "follower" (the
// DTC toolkit's Follower with the paper's track filter) or "physics"
// (NewPhysicsByGeometry with the default options). An unknown name is an
// error listing the known ones.
func New(name string) (track.Tracker, error) {
	nf, ok := builtins[name]
	if !ok {
		return nil, fmt.Errorf("baseline: unknown tracker %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return nf()
}

// NewTruth returns the truth tracker, an upper bound for the assignment
// trackers on the same graph: segment costs TruthCosts, then the default
// per-layer assignment (unmatched cost 0.5 per hit), chaining and the
// paper's filter.
func NewTruth() *track.CostTracker {
	return &track.CostTracker{Costs: TruthCosts}
}

// TruthCosts is the truth tracker's track.CostFunc: 0 within one particle
// (same EventID and TrackID), 0.25 between particles of one history (so a
// primary is followed rather than its secondary) and +Inf across
// histories, so that two histories are never linked.
func TruthCosts(dst []float64, g *graph.HitGraph) ([]float64, error) {
	dst = scratch.Grow(dst, len(g.Src))
	for s := range dst {
		a, b := &g.Hits[g.Src[s]], &g.Hits[g.Dst[s]]
		switch {
		case a.EventID != b.EventID:
			dst[s] = math.Inf(1)
		case a.TrackID != b.TrackID:
			dst[s] = 0.25
		default:
			dst[s] = 0
		}
	}
	return dst, nil
}

// PhysicsByGeometry is the Physics tracker for the geometry each frame
// records (FrameMeta.Geometry): one Physics per preset, made on first use;
// frames that record no preset (imports, custom geometries) use the
// default geometry. Not safe for concurrent use.
type PhysicsByGeometry struct {
	opt      *PhysicsOptions
	byName   map[string]*Physics // by recorded name
	byPreset map[string]*Physics // by preset name, "" = default
}

var _ track.Tracker = (*PhysicsByGeometry)(nil)

// NewPhysicsByGeometry returns a per-geometry physics tracker with options
// opt (nil means the defaults) for every geometry.
func NewPhysicsByGeometry(opt *PhysicsOptions) *PhysicsByGeometry {
	return &PhysicsByGeometry{opt: opt, byName: map[string]*Physics{}, byPreset: map[string]*Physics{}}
}

// Track implements track.Tracker. A geometry or options NewPhysics rejects
// is an error.
func (p *PhysicsByGeometry) Track(dst *track.Result, g *graph.HitGraph) error {
	t := p.byName[g.Meta.Geometry]
	if t == nil {
		// detector.Preset copies the geometry: resolve each name once.
		key := ""
		geom, err := detector.Preset(g.Meta.Geometry)
		if err == nil {
			key = geom.Name
		}
		if t = p.byPreset[key]; t == nil {
			if t, err = NewPhysics(geom, p.opt); err != nil {
				return err
			}
			p.byPreset[key] = t
		}
		p.byName[g.Meta.Geometry] = t
	}
	return t.Track(dst, g)
}
