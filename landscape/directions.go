package landscape

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/internal/enum"
	"github.com/pcttrack/pcttrack/internal/jsonfile"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/train"
	"github.com/pcttrack/pcttrack/zoo"
)

// DirKind selects the directions of a plane.
type DirKind int

const (
	// DirHessian: the top-2 Hessian eigenvectors, rescaled per tensor (the
	// authors' slices).
	DirHessian DirKind = iota
	// DirRandom: random filter-normalised directions (Li et al. 2018).
	DirRandom
)

var dirNames = []string{DirHessian: "hessian", DirRandom: "random"}

// ParseDirections parses "hessian" (or "") and "random".
func ParseDirections(s string) (DirKind, error) {
	if k, ok := enum.Index(dirNames, s); ok {
		return DirKind(k), nil
	}
	return 0, fmt.Errorf("landscape: unknown directions %q (want hessian or random)", s)
}

func (k DirKind) String() string { return enum.Name(dirNames, int(k), "DirKind") }

// DirectionOptions configures FindDirections. The zero value is the
// authors' Hessian slice with exact Hessian-vector products.
type DirectionOptions struct {
	Kind   DirKind
	Method HVPMethod
	Step   float64 // HVPDiff's relative step (0: DefaultDiffStep)
	Eigen  EigenOptions
	// Seed seeds random directions (the eigenvector start vectors use
	// Eigen.Seed).
	Seed uint64
	// Lambda overrides the λ of a PAT model's surrogate (0: the model's).
	Lambda float64
	// Assign is the solver's assignment for the surrogate (nil: the
	// paper's maximum-cardinality solver).
	Assign *track.Options
	// Progress receives progress lines (nil: none).
	Progress io.Writer
}

// Directions are the two axes of a plane.
type Directions struct {
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// Eigenvalues, Iterations and V0, V1 (unit eigenvectors) are set for
	// Hessian directions.
	Eigenvalues []float64 `json:"eigenvalues,omitempty"`
	Iterations  []int     `json:"iterations,omitempty"`
	V0          Vec       `json:"v0,omitempty"`
	V1          Vec       `json:"v1,omitempty"`
	// D0 and D1 are the axes of the plane (rescaled per tensor, or
	// filter-normalised).
	D0 Vec `json:"d0"`
	D1 Vec `json:"d1"`
	// Loss names what the Hessian is of.
	Loss string `json:"loss,omitempty"`
}

func directionKey(m *zoo.Member, hd *zoo.Data, opt DirectionOptions) string {
	k := fmt.Sprintf("model %s, %s", m.Fingerprint, opt.Kind)
	if opt.Kind == DirRandom {
		return k + fmt.Sprintf(", seed %d", opt.Seed)
	}
	// The eigen options are printed in their form before Method existed,
	// so that directions found by power iteration stay valid.
	e := opt.Eigen
	k += fmt.Sprintf(", %s step %g, λ %g, {MaxIter:%d Tol:%g Seed:%d Progress:<nil>}, %d frames of %s, %+v", opt.Method, opt.Step, opt.Lambda, e.MaxIter, e.Tol, e.Seed, hd.Len(), hd.Source, opt.Assign)
	if e.Lanczos {
		k += ", lanczos"
	}
	return k
}

// FindDirections returns the axes of m's plane: for DirHessian the top-2
// eigenvectors of the Hessian of m's loss on the frames hd (split BCE for
// PTT; for PAT the surrogate at λ with the solver gradient fixed), each
// rescaled per tensor to ‖θ_k‖; for DirRandom two filter-normalised random
// directions. Errors: a PAT model without λ, a surrogate that vanishes on
// every frame, a failing solve.
func FindDirections(ctx context.Context, m *zoo.Member, hd *zoo.Data, opt DirectionOptions) (*Directions, error) {
	theta := Of(m.Net.Params())
	out := &Directions{Kind: opt.Kind.String()}
	if opt.Kind == DirRandom {
		rows := make([]int, len(m.Net.Params()))
		for i, p := range m.Net.Params() {
			rows[i] = p.Value.Rows
		}
		rng := rand.New(rand.NewPCG(opt.Seed, 0x646972))
		out.D0, out.D1 = FilterNormalized(theta, rows, rng), FilterNormalized(theta, rows, rng)
		out.Key = directionKey(m, hd, opt)
		return out, nil
	}
	if hd == nil || hd.Len() == 0 {
		return nil, errors.New("landscape: Hessian directions need frames")
	}
	asg := track.Options{Paper: true}
	if opt.Assign != nil {
		asg = *opt.Assign
	}
	lambda := opt.Lambda
	if lambda == 0 {
		lambda = m.Lambda
	}
	pat := m.Method == train.MethodPAT
	if pat && lambda == 0 {
		return nil, fmt.Errorf("landscape: %s is a PAT model of unknown λ: give it (--lambda)", m.Path)
	}
	out.Loss = "split BCE"
	if pat {
		out.Loss = fmt.Sprintf("blackbox surrogate gᵀσ(z) at λ = %g", lambda)
	}
	var frames []HessianFrame
	moving := 0
	for i := 0; i < hd.Len(); i++ {
		g, in, err := hd.Frame(i)
		if err != nil {
			return nil, err
		}
		hf := HessianFrame{Graph: g, Input: in}
		if pat {
			if hf.G, err = SolverGradient(m.Net, g, in, e2e.Options{Lambda: lambda, Batch: 1}, asg); err != nil {
				return nil, fmt.Errorf("landscape: %w", err)
			}
			if (Vec{hf.G}).Norm() > 0 {
				moving++
			}
		}
		frames = append(frames, hf)
	}
	if pat && moving == 0 {
		return nil, fmt.Errorf("landscape: the solver gradient y − y′ is zero on all %d frames at λ = %g (the perturbation changes no assignment), so the surrogate's Hessian vanishes; try a larger --lambda", hd.Len(), lambda)
	}
	h, err := NewHessian(m.Net, frames, opt.Method)
	if err != nil {
		return nil, err
	}
	h.Step = opt.Step
	eig := opt.Eigen
	iters := make([]int, 2)
	var bar *progress.Bar
	if opt.Progress != nil {
		total := 2 * cmp.Or(eig.MaxIter, 100)
		if eig.Lanczos {
			total /= 2
		}
		bar = progress.New(opt.Progress, int64(total), "Hessian eigenvectors")
		defer bar.Finish()
	}
	eig.Progress = func(k, it int, l float64) {
		iters[k] = it + 1
		if eig.Lanczos { // one Krylov space for both
			iters[1] = it + 1
		}
		bar.Add(1)
		bar.Status(fmt.Sprintf("λ%d ≈ %.4g", k, l))
	}
	vals, vecs, err := TopEigen(ctx, h, theta, 2, eig)
	if err != nil {
		return nil, err
	}
	out.Eigenvalues, out.Iterations, out.V0, out.V1 = vals, iters, vecs[0], vecs[1]
	out.D0 = RescaleTensors(vecs[0].Clone(), theta)
	out.D1 = RescaleTensors(vecs[1].Clone(), theta)
	out.Key = directionKey(m, hd, opt)
	return out, nil
}

// LoadOrFindDirections returns the directions saved at path when they were
// made for the same model, frames and options, and otherwise finds them
// and saves them there (atomically), so the shards of a plane share one
// set.
func LoadOrFindDirections(ctx context.Context, path string, m *zoo.Member, hd *zoo.Data, opt DirectionOptions) (*Directions, error) {
	key := directionKey(m, hd, opt)
	if d, err := jsonfile.Read[Directions]("landscape", path); err == nil && d.Key == key {
		return d, nil
	}
	d, err := FindDirections(ctx, m, hd, opt)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("landscape: %w", err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return nil, err
	}
	return d, nil
}
