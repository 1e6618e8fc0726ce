package train

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pcttrack/pcttrack/configs"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/sim"
	"github.com/pcttrack/pcttrack/track"
)

// Training methods.
const (
	MethodPTT = "ptt" // pre-tracker training: split BCE of the segment scores
	MethodPAT = "pat" // post-tracker training: split Hamming loss through the solver
)

// Defaults of Config (the paper's training set-up).
const (
	DefaultBatch    = 32
	DefaultSteps    = 10000
	DefaultValEvery = 100
	DefaultCacheMB  = 4096
)

// Config is one training run. The zero value of every field means the
// paper's setting as its code runs (constant learning rate, validation
// with batch statistics, unscaled PAT gradient), except Assign, whose zero
// value is the tool's default assignment (set paper: true for the paper's
// solver), so a config file only lists what differs; Resolved
// fills the defaults in and checks the values. It decodes from YAML
// strictly (ParseConfig): unknown keys are errors.
type Config struct {
	// Method is MethodPTT (default) or MethodPAT.
	Method string `yaml:"method"`
	// Model is the network (model.Config: zero = the paper's line-graph
	// model; kind: hitgraph for the ablation).
	Model model.Config `yaml:"model"`
	// PAT configures the solver layer of MethodPAT (e2e.Options). Its
	// Lambda is the paper's λ (e.g. 50), for the mean loss of a step's
	// Batch frames; its Batch is filled in from Batch (leave it 0). The zero
	// value is the paper's: the unscaled gradient with λ = 50. Must be
	// empty for PTT.
	PAT e2e.Options `yaml:"pat,omitempty"`
	// Optimizer is the optimiser; zero = RMSprop, lr 1e-3 (the paper's).
	// Its steps must be 0 (resuming restores them from the checkpoint).
	Optimizer nn.OptimizerSettings `yaml:"optimizer"`
	// Schedule is the step-decay schedule; zero = a constant rate, as the
	// paper's code runs (it builds StepLR(1000, 0.5) but never steps it).
	// Its base rate is Optimizer.LR and may not be set separately.
	Schedule nn.StepLR `yaml:"schedule"`
	// Batch is the number of frames per optimiser step, drawn with
	// replacement (gradients accumulated and averaged); 0 means 32.
	Batch int `yaml:"batch"`
	// Steps is the number of optimiser steps; 0 means 10000.
	Steps int `yaml:"steps"`
	// ValEvery is the validation interval in steps (the model is also
	// validated before the first and after the last step); 0 means 100.
	ValEvery int `yaml:"val_every"`
	// ValBatchNorm selects the batch-norm statistics of validation, which
	// picks best.ckpt: nil means model.BNBatch, the paper's (its loop
	// leaves the network in train mode for validation), "running" the
	// running statistics that tracking uses.
	ValBatchNorm *model.BNMode `yaml:"val_batchnorm,omitempty"`
	// CheckpointEvery is the interval in steps at which last.ckpt is
	// written (also at the end and on interruption); 0 means ValEvery.
	CheckpointEvery int `yaml:"checkpoint_every"`
	// Seed seeds the model initialisation and the batch stream; the
	// data's own seed is Data.Simulate.Seed.
	Seed uint64 `yaml:"seed"`
	// Assign is the per-layer-pair assignment used for validation and by
	// the PAT solver layer (zero = track's default; paper: true for the
	// paper's maximum-cardinality solver).
	Assign track.Options `yaml:"assign"`
	// Filter is the track filter of validation (zero = the paper's).
	Filter track.Filter `yaml:"filter"`
	// Graph configures the graphs (zero = the paper's: its cones and the
	// full line graph). Sparse graphs set tracker_cut (prune the
	// tracker-cone segments) and physics_cut (the Highland cut of the
	// line graph), both in σ; the checkpoints record these options and
	// trackers use them.
	Graph graph.Options `yaml:"graph"`
	// Data says where the frames come from.
	Data Data `yaml:"data"`
}

// Data selects the training and validation frames: dataset files (Train
// and Val) or an inline simulation (Simulate), not both.
type Data struct {
	// Train and Val are dataset files (package dataset). Relative paths
	// are relative to the config file's directory.
	Train []string `yaml:"train,omitempty"`
	Val   []string `yaml:"val,omitempty"`
	// TrainFrames and ValFrames cap the frames used (the first ones, file
	// after file); 0 means all.
	TrainFrames int `yaml:"train_frames,omitempty"`
	ValFrames   int `yaml:"val_frames,omitempty"`
	// Simulate makes the frames with package sim instead, in memory.
	Simulate *Simulate `yaml:"simulate,omitempty"`
	// CacheMB is the memory budget in MB for prepared training frames
	// (hit graph and model input, ~10 MB for a 100-proton frame behind
	// 100 mm of water on the paper's graphs, ~0.35 MB on sparse ones:
	// all 3060 frames of a paper-scale sparse run take 1.1 GB); frames
	// beyond it are prepared again whenever they are drawn. Validation
	// frames are always kept. 0 means 4096; a negative value keeps none.
	// It does not change results.
	CacheMB int `yaml:"cache_mb,omitempty"`
}

// Simulate is an inline data set: for every phantom, Frames training and
// ValFrames validation frames of ProtonsPerFrame primaries, simulated with
// a seed derived from (Seed, phantom index), so the config alone fixes
// the data on any machine.
type Simulate struct {
	// Phantoms lists the phantoms ("water:100", see sim.ParsePhantom).
	Phantoms []string `yaml:"phantoms"`
	// ProtonsPerFrame is the number of primaries per frame; 0 means 100.
	ProtonsPerFrame int `yaml:"protons_per_frame,omitempty"`
	// Frames and ValFrames are per phantom; both must be at least 1.
	Frames    int `yaml:"frames"`
	ValFrames int `yaml:"val_frames"`
	// Seed is the data seed (independent of Config.Seed, so that model
	// seeds share their data).
	Seed uint64 `yaml:"seed"`
	// Geometry is the detector (preset name, file or inline; nil means
	// the default DTC) and Beam the pencil beam (zero = sim's defaults).
	Geometry *detector.Geometry `yaml:"geometry,omitempty"`
	Beam     sim.Beam           `yaml:"beam,omitempty"`
	// Physics is the simulator's physics (zero: sim's default model of
	// sim.PhysicsVersion, which resolving a config writes into
	// physics.version; version: 2 simulates the frames of that version).
	Physics sim.Physics `yaml:"physics,omitempty"`
}

// ParseConfig decodes a YAML config strictly: unknown keys, a second
// document and malformed values are errors. It does not resolve
// defaults (see Config.Resolved).
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("train: config is empty")
		}
		return Config{}, &oneLineError{prefix: "train: config: ", err: err}
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("train: config holds more than one YAML document")
	}
	return c, nil
}

// oneLineError prints a multi-line error (yaml's "unmarshal errors:\n
// line 2: ...") on one line, for the CLI's one-line messages.
type oneLineError struct {
	prefix string
	err    error
}

func (e *oneLineError) Error() string {
	msg := strings.ReplaceAll(e.err.Error(), ":\n", ": ")
	return e.prefix + strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", "; ")), " ")
}

func (e *oneLineError) Unwrap() error { return e.err }

// LoadConfig reads a config: spec is a file path, or the name of an
// embedded config (configs.Names, e.g. "small-pat") when it has no path
// separator, no .yaml/.yml suffix and no such file exists. Relative data
// paths of a file are made relative to its directory. The config is
// resolved (defaults filled in, values checked).
func LoadConfig(spec string) (Config, error) {
	data, dir, err := readSpec(spec)
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, spec)
	}
	if dir != "" {
		c.Data.Train = relTo(dir, c.Data.Train)
		c.Data.Val = relTo(dir, c.Data.Val)
	}
	r, err := c.Resolved()
	if err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, spec)
	}
	return r, nil
}

func readSpec(spec string) (data []byte, dir string, err error) {
	isPath := strings.ContainsRune(spec, os.PathSeparator) || strings.ContainsRune(spec, '/') ||
		strings.HasSuffix(spec, ".yaml") || strings.HasSuffix(spec, ".yml")
	if !isPath {
		// a run directory named like its config (train --config x --out x)
		// does not hide the embedded config
		if st, statErr := os.Stat(spec); statErr != nil || st.IsDir() {
			d, err := configs.Get(spec)
			if err != nil {
				return nil, "", fmt.Errorf("train: config %q is neither a file nor an embedded config (%s)", spec, strings.Join(configs.Names(), ", "))
			}
			return d, "", nil
		}
	}
	data, err = os.ReadFile(spec)
	if err != nil {
		return nil, "", fmt.Errorf("train: config: %w", err)
	}
	return data, filepath.Dir(spec), nil
}

func relTo(dir string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out[i] = p
	}
	return out
}

// Resolved returns c with every default filled in, or an error naming
// the first invalid field.
func (c Config) Resolved() (Config, error) {
	r := c
	var err error
	switch strings.ToLower(strings.TrimSpace(r.Method)) {
	case "", MethodPTT:
		r.Method = MethodPTT
	case MethodPAT:
		r.Method = MethodPAT
	default:
		return c, fmt.Errorf("train: method %q: want ptt or pat", c.Method)
	}
	if r.Model, err = r.Model.Resolved(); err != nil {
		return c, fmt.Errorf("train: model: %w", err)
	}
	if r.Method == MethodPTT {
		if r.PAT != (e2e.Options{}) {
			return c, fmt.Errorf("train: pat options are set but the method is ptt")
		}
	} else {
		if err := r.PAT.Check(); err != nil {
			return c, fmt.Errorf("train: pat: %w", err)
		}
		r.PAT.Lambda = cmp.Or(r.PAT.Lambda, e2e.DefaultLambda)
	}
	if err := r.resolveOptimizer(); err != nil {
		return c, err
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{{"batch", &r.Batch, DefaultBatch}, {"steps", &r.Steps, DefaultSteps}, {"val_every", &r.ValEvery, DefaultValEvery}} {
		if *f.v < 0 {
			return c, fmt.Errorf("train: %s %d must not be negative", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if r.Method == MethodPAT {
		if r.PAT.Batch != 0 && r.PAT.Batch != r.Batch {
			return c, fmt.Errorf("train: pat.batch %d: leave it 0, it is the step's batch (%d)", r.PAT.Batch, r.Batch)
		}
		r.PAT.Batch = r.Batch
	}
	if r.ValBatchNorm == nil {
		b := model.BNBatch
		r.ValBatchNorm = &b
	} else {
		b := *r.ValBatchNorm
		r.ValBatchNorm = &b
	}
	if r.CheckpointEvery < 0 {
		return c, fmt.Errorf("train: checkpoint_every %d must not be negative", r.CheckpointEvery)
	}
	r.CheckpointEvery = cmp.Or(r.CheckpointEvery, r.ValEvery)
	if err := r.Assign.Check(); err != nil {
		return c, fmt.Errorf("train: assign: %w", err)
	}
	if f := r.Filter.MinDeepestEdep; math.IsNaN(f) || math.IsInf(f, 0) {
		return c, fmt.Errorf("train: filter: deepest deposit cut %g is not finite", f)
	}
	b, err := graph.NewBuilder(&r.Graph)
	if err != nil {
		return c, fmt.Errorf("train: graph: %w", err)
	}
	r.Graph = b.Options()
	if r.Data, err = r.Data.resolved(); err != nil {
		return c, err
	}
	return r, nil
}

func (r *Config) resolveOptimizer() error {
	o := &r.Optimizer
	if o.Steps != 0 {
		return fmt.Errorf("train: optimizer: steps %d: leave it 0 (resuming restores it)", o.Steps)
	}
	o.Kind = strings.ToLower(strings.TrimSpace(o.Kind))
	o.Kind = cmp.Or(o.Kind, "rmsprop")
	o.LR = cmp.Or(o.LR, 1e-3)
	// NewOptimizer checks the values; its defaults are filled in by
	// Settings, so the resolved config shows them.
	opt, err := nn.NewOptimizer[float32](nil, *o)
	if err != nil {
		return fmt.Errorf("train: optimizer: %w", err)
	}
	*o = opt.Settings()
	s := &r.Schedule
	if s.Base != 0 && s.Base != o.LR {
		return fmt.Errorf("train: schedule: base %g: set the learning rate in optimizer.lr only", s.Base)
	}
	s.Base = o.LR
	switch {
	case s.StepSize < 0:
		return fmt.Errorf("train: schedule: step_size %d must not be negative", s.StepSize)
	case s.StepSize == 0 && s.Gamma != 0 && s.Gamma != 1:
		return fmt.Errorf("train: schedule: gamma %g without step_size: give both, or neither for a constant rate", s.Gamma)
	case s.StepSize == 0:
		s.Gamma = 1
	case s.Gamma == 0:
		s.Gamma = 0.5
	}
	if !(s.Gamma > 0 && s.Gamma <= 1) {
		return fmt.Errorf("train: schedule: gamma %g outside (0, 1]", s.Gamma)
	}
	return nil
}

func (d Data) resolved() (Data, error) {
	hasFiles := len(d.Train) > 0 || len(d.Val) > 0
	switch {
	case hasFiles && d.Simulate != nil:
		return d, fmt.Errorf("train: data: give dataset files (train, val) or simulate, not both")
	case !hasFiles && d.Simulate == nil:
		return d, fmt.Errorf("train: data: no frames: give dataset files (train, val) or a simulate block")
	case hasFiles && (len(d.Train) == 0 || len(d.Val) == 0):
		return d, fmt.Errorf("train: data: need both train and val dataset files")
	}
	if d.TrainFrames < 0 || d.ValFrames < 0 {
		return d, fmt.Errorf("train: data: train_frames %d and val_frames %d must not be negative", d.TrainFrames, d.ValFrames)
	}
	d.CacheMB = cmp.Or(d.CacheMB, DefaultCacheMB)
	if d.Simulate == nil {
		return d, nil
	}
	s := *d.Simulate
	if len(s.Phantoms) == 0 {
		return d, fmt.Errorf("train: data.simulate: no phantoms")
	}
	for i, p := range s.Phantoms {
		ph, err := sim.ParsePhantom(p)
		if err != nil {
			return d, fmt.Errorf("train: data.simulate: phantom %d: %w", i, err)
		}
		s.Phantoms[i] = ph.String()
	}
	if s.ProtonsPerFrame < 0 {
		return d, fmt.Errorf("train: data.simulate: protons_per_frame %d is negative", s.ProtonsPerFrame)
	}
	s.ProtonsPerFrame = cmp.Or(s.ProtonsPerFrame, 100)
	// a resolved config names its physics version, so that its run can be
	// simulated again after the default has moved on
	s.Physics.Version = cmp.Or(s.Physics.Version, sim.PhysicsVersion)
	if s.Frames < 1 || s.ValFrames < 1 {
		return d, fmt.Errorf("train: data.simulate: frames %d and val_frames %d must be at least 1 (per phantom)", s.Frames, s.ValFrames)
	}
	if d.TrainFrames != 0 || d.ValFrames != 0 {
		return d, fmt.Errorf("train: data: train_frames and val_frames apply to dataset files; set simulate.frames and simulate.val_frames")
	}
	// check the simulation config now rather than after data loading
	for i := range s.Phantoms {
		if _, err := s.simConfig(i); err != nil {
			return d, fmt.Errorf("train: data.simulate: %w", err)
		}
	}
	s.Phantoms = append([]string(nil), s.Phantoms...)
	d.Simulate = &s
	return d, nil
}

// simConfig is the simulation of phantom i (training frames first, then
// the validation frames).
func (s *Simulate) simConfig(i int) (sim.Config, error) {
	ph, err := sim.ParsePhantom(s.Phantoms[i])
	if err != nil {
		return sim.Config{}, err
	}
	c := sim.Config{
		Geometry: s.Geometry, Phantom: ph, Beam: s.Beam, Physics: s.Physics, ProtonsPerFrame: s.ProtonsPerFrame,
		Frames: s.Frames + s.ValFrames, Seed: mix(s.Seed, uint64(i)),
	}
	if _, err := sim.MarshalConfig(c); err != nil { // validates
		return sim.Config{}, err
	}
	return c, nil
}

// Marshal returns c as YAML.
func (c Config) Marshal() ([]byte, error) {
	out, err := yaml.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("train: config: %w", err)
	}
	return out, nil
}

// sameRun reports whether a and b (both resolved) describe the same run
// apart from the number of steps, which a resumed run may extend.
func sameRun(a, b Config) bool {
	a.Steps, b.Steps = 0, 0
	a.PAT.Workers, b.PAT.Workers = 0, 0
	a.Data.CacheMB, b.Data.CacheMB = 0, 0
	ya, err1 := a.Marshal()
	yb, err2 := b.Marshal()
	return err1 == nil && err2 == nil && bytes.Equal(ya, yb) && reflect.DeepEqual(a.Model, b.Model)
}

// mix derives a 64-bit seed from (seed, i) (SplitMix64 finaliser), so
// streams of different i are unrelated.
func mix(seed, i uint64) uint64 {
	z := seed + 0x9e3779b97f4a7c15*(i+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
