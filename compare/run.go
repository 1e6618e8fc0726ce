package compare

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/jsonfile"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/zoo"
)

// Defaults of Options.
const (
	DefaultCKARows  = 4096 // rows sampled per frame and module
	DefaultCKABatch = 1024 // the authors' minibatch
)

// Options configures Run. The zero value compares the disagreement of the
// paper's solver assignments on every frame in one process, without CKA.
type Options struct {
	// Assign is the per-layer-pair assignment of both variants; nil means
	// the paper's maximum-cardinality solver (track.Options{Paper: true}),
	// which the authors' similarity code uses.
	Assign *track.Options `json:"assign,omitempty"`
	// CKA adds linear CKA per matching leaf layer; CKAFull computes the
	// full cross-layer matrix of each module instead (about 9× the cost),
	// whose mean is the authors' module score.
	CKA     bool `json:"cka"`
	CKAFull bool `json:"cka_full"`
	// CKARows is the number of rows sampled per frame and module (without
	// replacement, seeded by Seed and the frame); 0 means DefaultCKARows.
	// CKABatch is the minibatch size; 0 means DefaultCKABatch. Frames with
	// fewer rows use what they have in one minibatch (at least 4 rows).
	CKARows  int    `json:"cka_rows"`
	CKABatch int    `json:"cka_batch"`
	Seed     uint64 `json:"seed"`
	// Shard selects the pairs of this run: pair i (in the order of
	// Pairs) when i mod Count = Index. The zero value is all pairs.
	Shard shard.Shard `json:"-"`
	// Workers is the number of frames processed in parallel; 0 means
	// GOMAXPROCS. Results do not depend on it.
	Workers int `json:"-"`
	// Progress receives a progress bar or log lines (nil: none).
	Progress io.Writer `json:"-"`
	// Resumable keeps the partial result (the state file is removed when
	// the run ends).
	zoo.Resumable

	onFold func(done int) // test hook, called after each folded frame
}

func (o *Options) assign() track.Options {
	if o.Assign == nil {
		return track.Options{Paper: true}
	}
	return *o.Assign
}

// MemberInfo describes one compared model.
type MemberInfo struct {
	Name   string  `json:"name"`
	Group  string  `json:"group"`
	Path   string  `json:"path"`
	Method string  `json:"method,omitempty"`
	Lambda float64 `json:"lambda,omitempty"`
	Seed   int64   `json:"seed"`
	// Fingerprint identifies the checkpoint's content (resume and merge
	// check it).
	Fingerprint string `json:"fingerprint"`
}

// Result is the outcome of Run for the pairs of one shard, or of all pairs
// (after Merge).
type Result struct {
	Members []MemberInfo `json:"members"`
	// Data describes the frames; Frames is their number and Done the
	// number processed (Done < Frames for a saved partial result).
	Data    string  `json:"data"`
	Frames  int     `json:"frames"`
	Done    int     `json:"frames_done"`
	Options Options `json:"options"`
	// Shard is "k/K" ("0/1" for all pairs).
	Shard string `json:"shard"`
	// Pairs holds this shard's pairs in pair order.
	Pairs []Pair `json:"pairs"`
	// CKALayers names the leaf layers of each module (Modules order).
	CKALayers [3][]string `json:"cka_layers,omitempty"`
	// Self holds per member (Members order) and module the sums of
	// HSIC₁(K, K) per layer (nil for members this shard does not use).
	Self [][3][]float64 `json:"cka_self,omitempty"`
}

// Pair is the comparison of members A < B.
type Pair struct {
	A int `json:"a"`
	B int `json:"b"`
	// Counts and Disagreement are per Variant (VariantLogit, VariantProb).
	Counts       [numVariants]Counts  `json:"counts"`
	Disagreement [numVariants]float64 `json:"disagreement"`
	CKA          *PairCKA             `json:"cka,omitempty"`
}

// PairCKA is the CKA of one pair, per module (Modules order).
type PairCKA struct {
	// KL holds the sums of HSIC₁(K_a, K_b): per matching layer (L
	// entries), or the L×L cross-layer matrix (row = A's layer) with
	// Options.CKAFull.
	KL [3][]float64 `json:"kl"`
	// Value holds the CKA values in the layout of KL and Module their mean
	// (over the matching layers, or over the whole matrix with CKAFull,
	// the authors' module score).
	Value  [3][]float64 `json:"value"`
	Module [3]float64   `json:"module"`
}

// Pairs returns all pairs (i, j), i < j, of n members in pair order.
func Pairs(n int) [][2]int {
	var out [][2]int
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			out = append(out, [2]int{i, j})
		}
	}
	return out
}

// checkShard returns an error when sh leaves a shard without pairs.
func checkShard(sh shard.Shard, pairs int) error {
	if sh.Count > pairs {
		return fmt.Errorf("compare: %d pairs cannot be split over %d shards (shard %s would have none)", pairs, sh.Count, shard.Shard{Index: pairs, Count: sh.Count})
	}
	return nil
}

// Run compares every pair of members owned by opt.Shard on every frame of
// d and returns the result (complete for one shard; see Merge). Errors:
// fewer than two members, a shard without pairs, unknown options, a NaN
// logit, a failing solve; cancellation saves the state (if any) and
// returns the partial result with ctx.Err().
func Run(ctx context.Context, ms []*zoo.Member, d *zoo.Data, opt Options) (*Result, error) {
	if len(ms) < 2 {
		return nil, errors.New("compare: need at least two models")
	}
	if opt.CKAFull {
		opt.CKA = true
	}
	if opt.CKARows < 0 || opt.CKABatch < 0 || (opt.CKABatch > 0 && opt.CKABatch < 4) {
		return nil, fmt.Errorf("compare: CKA rows %d / batch %d: want a batch of at least 4 rows", opt.CKARows, opt.CKABatch)
	}
	opt.CKARows = cmp.Or(opt.CKARows, DefaultCKARows)
	opt.CKABatch = cmp.Or(opt.CKABatch, DefaultCKABatch)
	if opt.Shard.Count == 0 {
		opt.Shard = shard.Shard{Index: 0, Count: 1}
	}
	if err := opt.assignCheck(); err != nil {
		return nil, err
	}
	all := Pairs(len(ms))
	if err := checkShard(opt.Shard, len(all)); err != nil {
		return nil, err
	}
	res := newResult(ms, d, opt)
	for k, p := range all {
		if opt.Shard.Owns(k) {
			res.Pairs = append(res.Pairs, Pair{A: p[0], B: p[1]})
		}
	}
	used := make([]bool, len(ms))
	for _, p := range res.Pairs {
		used[p.A], used[p.B] = true, true
	}
	saved, err := zoo.ReadState(opt.Resume, opt.State, ReadResult)
	if err != nil {
		return nil, err
	}
	if saved != nil {
		if err := sameRun(saved, res); err != nil {
			return nil, fmt.Errorf("compare: resume: %s: %w", opt.State, err)
		}
		res = saved
	}
	if opt.CKA && res.Self == nil {
		res.Self = make([][3][]float64, len(ms))
	}
	frames := make([]int, 0, d.Len()-res.Done)
	for i := res.Done; i < d.Len(); i++ {
		frames = append(frames, i)
	}
	var bar *progress.Bar
	if opt.Progress != nil {
		bar = progress.New(opt.Progress, int64(d.Len()), fmt.Sprintf("compare %d pairs", len(res.Pairs)))
		bar.Add(res.Done)
		defer bar.Finish()
	}
	ck := zoo.NewCheckpoints(bar, opt.onFold, opt.Every(), func() error {
		if opt.State == "" {
			return nil
		}
		return res.write(opt.State)
	})
	err = zoo.Each(ctx, d, frames, opt.Workers,
		func() (*worker, error) { return newWorker(ms, used, opt), nil },
		func(w *worker, i int, g *graph.HitGraph, in *model.Input) (*frameResult, error) {
			return w.frame(i, g, in, res.Pairs)
		},
		func(i int, fr *frameResult) error {
			res.fold(fr)
			res.Done = i + 1
			return ck.Folded(res.Done)
		})
	if err := ck.Stop(ctx, err); err != nil {
		return res, err
	}
	res.finish()
	opt.Finished()
	return res, nil
}

func (o *Options) assignCheck() error {
	a := o.assign()
	if err := a.Check(); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	return nil
}

func newResult(ms []*zoo.Member, d *zoo.Data, opt Options) *Result {
	a := opt.assign()
	opt.Assign = &a
	r := &Result{Data: d.Source, Frames: d.Len(), Options: opt, Shard: opt.Shard.String()}
	for _, m := range ms {
		r.Members = append(r.Members, MemberInfo{Name: m.Name, Group: m.Group, Path: m.Path, Method: m.Method,
			Lambda: m.Lambda, Seed: m.Seed, Fingerprint: m.Fingerprint})
	}
	return r
}

// sameRun reports why saved cannot be continued as fresh.
func sameRun(saved, fresh *Result) error {
	switch {
	case !reflect.DeepEqual(saved.Members, fresh.Members):
		return errors.New("the saved state is of other models")
	case saved.Data != fresh.Data || saved.Frames != fresh.Frames:
		return fmt.Errorf("the saved state is of other frames (%s)", saved.Data)
	case saved.Shard != fresh.Shard:
		return fmt.Errorf("the saved state is of shard %s, not %s", saved.Shard, fresh.Shard)
	case !sameOptions(saved.Options, fresh.Options):
		return errors.New("the saved state was made with other options")
	case len(saved.Pairs) != len(fresh.Pairs) || saved.Done > saved.Frames:
		return errors.New("the saved state is inconsistent")
	}
	return nil
}

// sameOptions compares the options that shape a result (those saved in
// it).
func sameOptions(a, b Options) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// ReadResult reads a result or state file written by Run or Merge.
func ReadResult(path string) (*Result, error) { return jsonfile.Read[Result]("compare", path) }

// write saves r to path atomically.
func (r *Result) write(path string) error { return jsonfile.Write("compare", path, r) }

// WriteJSON writes r to path atomically.
func (r *Result) WriteJSON(path string) error { return r.write(path) }

// frameResult holds one frame's contributions.
type frameResult struct {
	counts [][numVariants]Counts // per pair
	kl     [][3][]float64        // per pair, like PairCKA.KL
	self   [][3][]float64        // per member
	layers [3][]string
}

func (r *Result) fold(fr *frameResult) {
	for k := range r.Pairs {
		p := &r.Pairs[k]
		for v := range p.Counts {
			p.Counts[v].Add(fr.counts[k][v])
		}
		if fr.kl != nil {
			if p.CKA == nil {
				p.CKA = &PairCKA{}
			}
			for m := range p.CKA.KL {
				p.CKA.KL[m] = addTo(p.CKA.KL[m], fr.kl[k][m])
			}
		}
	}
	if fr.self != nil {
		for a, s := range fr.self {
			if s[0] == nil {
				continue
			}
			for m := range s {
				r.Self[a][m] = addTo(r.Self[a][m], s[m])
			}
		}
		if r.CKALayers[0] == nil {
			r.CKALayers = fr.layers
		}
	}
}

func addTo(dst, src []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(src))
	}
	for i, v := range src {
		dst[i] += v
	}
	return dst
}

// finish derives the disagreement and CKA values from the counts and sums.
func (r *Result) finish() {
	for k := range r.Pairs {
		p := &r.Pairs[k]
		for v := range p.Counts {
			p.Disagreement[v] = p.Counts[v].MinMax()
		}
		if p.CKA == nil {
			continue
		}
		for m := range p.CKA.KL {
			kl := p.CKA.KL[m]
			sa, sb := r.Self[p.A][m], r.Self[p.B][m]
			l := len(sa)
			val := make([]float64, len(kl))
			var sum float64
			for i, v := range kl {
				la, lb := i, i
				if len(kl) == l*l {
					la, lb = i/l, i%l
				}
				val[i] = ckaOf(v, sa[la], sb[lb])
				sum += val[i]
			}
			p.CKA.Value[m] = val
			if len(val) > 0 {
				p.CKA.Module[m] = sum / float64(len(val))
			}
		}
	}
}

// worker is the per-goroutine state of Run: model clones and workspaces.
type worker struct {
	ms    []*zoo.Member
	nets  []model.Net // nil for members this shard does not use
	tape  *nn.Tape[float32]
	as    assigner
	asg   [][numVariants][]bool
	opt   Options
	cka   *ckaWork
	label []bool
}

func newWorker(ms []*zoo.Member, used []bool, opt Options) *worker {
	w := &worker{ms: ms, nets: make([]model.Net, len(ms)), tape: nn.NewTape[float32](), opt: opt,
		asg: make([][numVariants][]bool, len(ms))}
	w.tape.Eval, w.tape.NoGrad = true, true
	w.as.opt = opt.assign()
	for i, m := range ms {
		if used[i] {
			w.nets[i] = m.Net.Clone()
		}
	}
	if opt.CKA {
		w.cka = &ckaWork{}
	}
	return w
}

// frame computes both variants' assignments of every used model on frame
// i, then the pair counts and (with CKA) the HSIC sums.
func (w *worker) frame(i int, g *graph.HitGraph, in *model.Input, pairs []Pair) (*frameResult, error) {
	for a, net := range w.nets {
		if net == nil {
			continue
		}
		w.tape.Reset()
		logits := net.Forward(w.tape, in).Value.Data
		for _, v := range Variants {
			var err error
			if w.asg[a][v], err = w.as.assign(w.asg[a][v], g, logits, v); err != nil {
				return nil, fmt.Errorf("%w (model %s)", err, w.ms[a].Name)
			}
		}
	}
	fr := &frameResult{counts: make([][numVariants]Counts, len(pairs))}
	n := int64(len(g.Src))
	for k, p := range pairs {
		for _, v := range Variants {
			a, b := w.asg[p.A][v], w.asg[p.B][v]
			fr.counts[k][v] = Counts{Edges: n, ErrA: errorsOf(a, g.Label), ErrB: errorsOf(b, g.Label), Differ: differ(a, b)}
		}
	}
	if w.cka != nil {
		rng := rand.New(rand.NewPCG(w.opt.Seed, uint64(i)))
		if err := w.cka.frame(fr, w.nets, in, pairs, w.opt, rng); err != nil {
			return nil, err
		}
	}
	return fr, nil
}
