package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/track"
)

// Method is one tracker that Run applies to every frame.
type Method struct {
	// Name labels the method's results (metrics.Key.Method), e.g.
	// "physics" or "model".
	Name string
	// Seed tells apart runs of one learned method (metrics.Key.Seed),
	// e.g. the training seed of a checkpoint; 0 for a single run.
	Seed uint64
	// Config describes the tracker in free text (a checkpoint path), for
	// output metadata.
	Config string
	// New returns a tracker for one worker: Run calls it once per worker,
	// sequentially, so the trackers it returns must not share mutable
	// state.
	New func() (track.Tracker, error)
}

// Label returns Name, or "Name seed N" when Seed is set: the stage name
// under which Run reports the method's time.
func (m Method) Label() string {
	if m.Seed != 0 {
		return m.Name + " seed " + strconv.FormatUint(m.Seed, 10)
	}
	return m.Name
}

// Names of the built-in methods.
const (
	MethodTruth    = "truth"
	MethodFollower = "follower"
	MethodPhysics  = "physics"
)

// builtins maps the built-in method names to their tracker constructors.
var builtins = map[string]func() (track.Tracker, error){
	MethodTruth:    func() (track.Tracker, error) { return NewTruthTracker(), nil },
	MethodFollower: func() (track.Tracker, error) { return new(baseline.Follower), nil },
	MethodPhysics:  newPhysicsTracker,
}

// physicsTracker is baseline.Physics for the geometry each frame records:
// one tracker per preset, made on first use; frames that record no preset
// (imports, custom geometries) use the default geometry.
type physicsTracker struct {
	byName   map[string]*baseline.Physics // by recorded name
	byPreset map[string]*baseline.Physics // by preset name, "" = default
}

func newPhysicsTracker() (track.Tracker, error) {
	p, err := baseline.NewPhysics(nil, nil)
	if err != nil {
		return nil, err
	}
	return &physicsTracker{byName: map[string]*baseline.Physics{}, byPreset: map[string]*baseline.Physics{"": p}}, nil
}

// Track implements track.Tracker.
func (p *physicsTracker) Track(dst *track.Result, g *graph.HitGraph) error {
	t := p.byName[g.Meta.Geometry]
	if t == nil {
		// detector.Preset copies the geometry: resolve each name once.
		key := ""
		geom, err := detector.Preset(g.Meta.Geometry)
		if err == nil {
			key = geom.Name
		}
		if t = p.byPreset[key]; t == nil {
			if t, err = baseline.NewPhysics(geom, nil); err != nil {
				return err
			}
			p.byPreset[key] = t
		}
		p.byName[g.Meta.Geometry] = t
	}
	return t.Track(dst, g)
}

// BuiltinNames returns the names accepted by Builtin, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Builtin returns the built-in method of that name: "truth" (see
// NewTruthTracker), "follower" (baseline.Follower with the DTC toolkit's
// settings and the paper's track filter) or "physics" (baseline.Physics
// with its defaults, for the preset geometry each frame records, the
// default geometry if none). An unknown name is an error listing the
// known ones.
func Builtin(name string) (Method, error) {
	nf, ok := builtins[name]
	if !ok {
		return Method{}, fmt.Errorf("pipeline: unknown method %q (known: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	return Method{Name: name, New: nf}, nil
}

// ParseMethods parses a comma-separated list of built-in method names
// ("follower,physics,truth"). Empty items are ignored; an unknown or
// repeated name is an error.
func ParseMethods(list string) ([]Method, error) {
	var ms []Method
	seen := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if seen[n] {
			return nil, fmt.Errorf("pipeline: method %q given twice", n)
		}
		seen[n] = true
		m, err := Builtin(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// NewTruthTracker returns the truth tracker, an upper bound for the
// assignment trackers on the same graph: segment costs 0 within one
// particle (same EventID and TrackID), 0.25 between particles of one
// history (so a primary is followed rather than its secondary) and +Inf
// across histories, so it never links two histories; then the default
// per-layer assignment (unmatched cost 0.5 per hit), chaining and the
// paper's filter. Its costs are those of `pcttrack plot event --method
// truth`.
func NewTruthTracker() *track.CostTracker {
	return &track.CostTracker{Costs: truthCosts}
}

func truthCosts(dst []float64, g *graph.HitGraph) ([]float64, error) {
	if cap(dst) < len(g.Src) {
		dst = make([]float64, len(g.Src))
	}
	dst = dst[:len(g.Src)]
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

// ModelMethods loads the checkpoints at paths (see model.Load) as methods
// named name, one per checkpoint, so that their results can be averaged
// over seeds (metrics.OverSeeds). Each method's Seed is the checkpoint's
// training seed (metadata "seed") when the checkpoints have distinct
// positive seeds, else its 1-based position in paths. opt configures the
// trackers (nil means the paper's set-up). The first tracker of a method
// uses the loaded model; the others get copies (ModelTracker.Clone). A
// missing or corrupt checkpoint is an error naming the file.
func ModelMethods(name string, paths []string, opt *track.ModelOptions) ([]Method, error) {
	if name == "" {
		name = "model"
	}
	nets := make([]model.Net, len(paths))
	seeds := make([]uint64, len(paths))
	distinct := map[uint64]bool{}
	for i, p := range paths {
		net, ck, err := model.Load(p)
		if err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		nets[i] = net
		if s, err := strconv.ParseUint(ck.Meta["seed"], 10, 64); err == nil && s > 0 {
			seeds[i] = s
			distinct[s] = true
		}
	}
	if len(distinct) != len(paths) {
		for i := range seeds {
			seeds[i] = uint64(i + 1)
		}
	}
	if len(paths) == 1 {
		seeds[0] = 0
	}
	ms := make([]Method, len(paths))
	for i, p := range paths {
		var o track.ModelOptions
		if opt != nil {
			o = *opt
		}
		first := track.NewModelTracker(nets[i], &o)
		used := false
		ms[i] = Method{Name: name, Seed: seeds[i], Config: p, New: func() (track.Tracker, error) {
			if !used {
				used = true
				return first, nil
			}
			return first.Clone(), nil
		}}
	}
	return ms, nil
}

// ParseModelFlag splits a --model value "NAME=PATH" into its name and
// path; without "=" the name is "model". Names may not contain "," or
// spaces.
func ParseModelFlag(v string) (name, path string, err error) {
	name, path, ok := strings.Cut(v, "=")
	if !ok {
		return "model", v, nil
	}
	if name == "" || path == "" || strings.ContainsAny(name, ", \t") {
		return "", "", fmt.Errorf("pipeline: bad --model %q (want PATH or NAME=PATH)", v)
	}
	return name, path, nil
}
