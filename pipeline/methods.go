package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/pretrained"
	"github.com/pcttrack/pcttrack/track"
)

// Method is one tracker that Run applies to every frame.
type Method struct {
	// Name labels the method's results (metrics.Key.Method), e.g.
	// "physics", "model" or "learned".
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
	// Graph, when not nil, is the graph the method is built for (a
	// learned tracker's, see learned.Tracker.Graph); nil for trackers that
	// take any graph. See PreferredGraph.
	Graph *graph.Options
}

// PreferredGraph returns the graph options of methods when all of them
// name the same ones (Method.Graph): the graph to build for them when the
// user asks for none, so that learned trackers with sparse graphs get them
// built directly instead of pruning the paper's. ok is false when a method
// takes any graph or two differ.
func PreferredGraph(ms []Method) (opt graph.Options, ok bool) {
	for i, m := range ms {
		if m.Graph == nil {
			return graph.Options{}, false
		}
		g := *m.Graph
		if i > 0 && !(graph.SameHitGraph(g, opt) && g.TrackerCut == opt.TrackerCut) {
			return graph.Options{}, false
		}
		if i == 0 {
			opt = g
		}
	}
	return opt, len(ms) > 0
}

// Label returns Name, or "Name seed N" when Seed is set: the stage name
// under which Run reports the method's time.
func (m Method) Label() string {
	if m.Seed != 0 {
		return m.Name + " seed " + strconv.FormatUint(m.Seed, 10)
	}
	return m.Name
}

// DefaultModelName names the learned tracker of a checkpoint given
// without a name (--model PATH).
const DefaultModelName = "learned"

// MethodModel names the learned tracker of the embedded default model
// (pretrained.Default).
const MethodModel = "model"

// MethodNames returns the names Builtin accepts: the built-in trackers of
// package baseline and MethodModel, sorted.
func MethodNames() []string {
	return slices.Sorted(slices.Values(append(baseline.Names(), MethodModel)))
}

// Builtin returns the method of that name: a built-in tracker (see
// baseline.New: "truth", "follower" or "physics"), or "model", the learned
// tracker of the embedded default model with options opt (nil: learned's
// defaults, the tool's default assignment). An unknown name is an error
// listing the known ones.
func Builtin(name string, opt *learned.Options) (Method, error) {
	if name == MethodModel {
		return pretrainedMethod(name, pretrained.DefaultName, opt)
	}
	if !slices.Contains(baseline.Names(), name) {
		return Method{}, fmt.Errorf("pipeline: unknown method %q (known: %s)", name, strings.Join(MethodNames(), ", "))
	}
	return Method{Name: name, New: func() (track.Tracker, error) { return baseline.New(name) }}, nil
}

// pretrainedMethod is the learned tracker of embedded model model, named
// name, on the graphs its checkpoint records. The first tracker uses the
// decoded network, the others copies.
func pretrainedMethod(name, model string, opt *learned.Options) (Method, error) {
	tr, _, err := pretrained.Tracker(model, opt)
	if err != nil {
		return Method{}, fmt.Errorf("pipeline: %w", err)
	}
	return trackerMethod(name, 0, "embedded "+model, tr), nil
}

// trackerMethod returns a method whose first worker uses first and the
// others clones of it, with first's graph as its Graph.
func trackerMethod(name string, seed uint64, config string, first *learned.Tracker) Method {
	used := false
	g := first.Graph()
	return Method{Name: name, Seed: seed, Config: config, Graph: &g, New: func() (track.Tracker, error) {
		if !used {
			used = true
			return first, nil
		}
		return first.Clone(), nil
	}}
}

// ParseMethods parses a comma-separated list of method names
// ("follower,physics,truth,model"); opt configures "model" (see Builtin).
// Empty items are ignored; an unknown or repeated name is an error.
func ParseMethods(list string, opt *learned.Options) ([]Method, error) {
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
		m, err := Builtin(n, opt)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// Select resolves what a user asks for on the command line into the methods
// to run: methods is a comma-separated list of built-in trackers (or
// "none"), models are learned trackers as [NAME=]PATH (ParseModelFlag);
// checkpoints sharing a name are seeds of one method (ModelMethods), in the
// order the names first appear. opt configures the learned trackers (nil:
// learned's defaults). A model name that is also a built-in method, or
// nothing to run at all, is an error.
func Select(methods string, models []string, opt *learned.Options) ([]Method, error) {
	var ms []Method
	if methods != "none" {
		var err error
		if ms, err = ParseMethods(methods, opt); err != nil {
			return nil, err
		}
	}
	var names []string
	paths := map[string][]string{}
	for _, v := range models {
		name, path, err := ParseModelFlag(v)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(ms, func(m Method) bool { return m.Name == name }) {
			return nil, fmt.Errorf("pipeline: --model name %q is also a --method", name)
		}
		if paths[name] == nil {
			names = append(names, name)
		}
		paths[name] = append(paths[name], path)
	}
	for _, n := range names {
		mm, err := ModelMethods(n, paths[n], opt)
		if err != nil {
			return nil, err
		}
		ms = append(ms, mm...)
	}
	if len(ms) == 0 {
		return nil, errors.New("pipeline: no method to run (give --method or --model)")
	}
	return ms, nil
}

// SelectOne resolves one tracker: the built-in method or the learned
// tracker of checkpoint model ([NAME=]PATH), not both; when both are empty
// it takes the built-in method def, and if def is "" too that is an error.
func SelectOne(method, model, def string, opt *learned.Options) (Method, error) {
	switch {
	case method != "" && model != "":
		return Method{}, errors.New("pipeline: give --method or --model, not both")
	case method == "" && model == "":
		if def == "" {
			return Method{}, errors.New("pipeline: give --method or --model")
		}
		method = def
	}
	var models []string
	if model != "" {
		method, models = "none", []string{model}
	}
	ms, err := Select(method, models, opt)
	if err != nil {
		return Method{}, err
	}
	if len(ms) != 1 {
		return Method{}, fmt.Errorf("pipeline: --method %q names %d trackers, want one", method, len(ms))
	}
	return ms[0], nil
}

// ModelMethods loads the checkpoints at paths (see model.Load) as methods
// named name, one per checkpoint, so that their results can be averaged
// over seeds (metrics.OverSeeds). Each method's Seed is the checkpoint's
// training seed (metadata "seed") when the checkpoints have distinct
// positive seeds, else its 1-based position in paths. opt configures the
// trackers (nil means learned's defaults); each uses the graph options its
// checkpoint records (learned.NewTrained), also set as the method's Graph.
// The first tracker of a method uses the loaded model; the others get
// copies (learned.Tracker.Clone). A missing or corrupt checkpoint, or an
// opt.Graph the checkpoint's model rejects, is an error naming the file.
func ModelMethods(name string, paths []string, opt *learned.Options) ([]Method, error) {
	name = cmp.Or(name, DefaultModelName)
	seeds := make([]uint64, len(paths))
	distinct := map[uint64]bool{}
	trackers := make([]*learned.Tracker, len(paths))
	for i, p := range paths {
		net, ck, err := model.Load(p)
		if err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		if trackers[i], err = learned.NewTrained(net, ck.GraphOptions(), opt); err != nil {
			return nil, fmt.Errorf("pipeline: %w (checkpoint %s)", err, p)
		}
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
		ms[i] = trackerMethod(name, seeds[i], p, trackers[i])
	}
	return ms, nil
}

// ParseModelFlag splits a --model value "NAME=PATH" into its name and
// path; without "=" the name is DefaultModelName. Names may not contain "," or
// spaces.
func ParseModelFlag(v string) (name, path string, err error) {
	name, path, ok := strings.Cut(v, "=")
	if !ok {
		return DefaultModelName, v, nil
	}
	if name == "" || path == "" || strings.ContainsAny(name, ", \t") {
		return "", "", fmt.Errorf("pipeline: bad --model %q (want PATH or NAME=PATH)", v)
	}
	return name, path, nil
}
