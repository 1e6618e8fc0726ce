// Package nntest checks reverse-mode gradients of package nn against
// finite differences, for the tests of nn and of the models built on it
// (the pattern of gonum's optimize/functions and fd.Gradient). Everything
// runs in float64.
package nntest

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/nn"
)

// Options tunes CheckGrads. The zero value checks every element.
type Options struct {
	// MaxPerVar, if positive, checks only that many elements of each
	// variable, chosen with Rand (required then).
	MaxPerVar int
	Rand      *rand.Rand
	// Floor sets the scale below which gradient entries are compared in
	// absolute terms: errors are divided by max(|analytic|, |numeric|,
	// Floor·max|analytic|). 0 means 1e-4, so entries above 1e-4 of the
	// largest gradient are held to a true relative error and smaller ones
	// (where the differences' rounding noise, ~1e-11·|L|, dominates) to an
	// absolute error of tol·1e-4·max|∇|.
	Floor float64
}

// Result summarises a gradient check.
type Result struct {
	MaxRelErr float64 // largest relative error found
	Worst     string  // "name[i]: analytic a, numeric n" of the largest error
	Checked   int     // elements compared
	MaxGrad   float64 // largest |analytic| entry
}

// String formats the result for test logs.
func (r Result) String() string {
	return fmt.Sprintf("max rel err %.3g over %d entries (max |grad| %.3g); worst %s", r.MaxRelErr, r.Checked, r.MaxGrad, r.Worst)
}

// CheckGrads compares dL/dv for every v in vars, computed by Backward on
// the loss built by f, with fourth-order central differences
// (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h))/12h at h = 1e-4·max(1,|x|).
// Piecewise-linear ops (LeakyReLU, max) have kinks; when an element's error
// exceeds 1e-7 the difference is retried with h/10 and h/100, and the
// closest estimate is kept, so a kink crossed by the large step does not
// mask a correct gradient (a wrong gradient is wrong at every step). f
// must build the same computation on every call on the tape it is given
// (training or eval mode as f sets it; f is called on NoGrad tapes for the
// differences). Every v must have a gradient buffer.
func CheckGrads(f func(t *nn.Tape[float64]) *nn.Var[float64], vars []*nn.Var[float64], opt Options) Result {
	floor := opt.Floor
	floor = cmp.Or(floor, 1e-4)
	nn.ZeroGrads(vars)
	t := nn.NewTape[float64]()
	t.Backward(f(t))
	analytic := make([][]float64, len(vars))
	var res Result
	for i, v := range vars {
		if v.Grad == nil {
			panic("nntest: variable without gradient")
		}
		analytic[i] = append([]float64(nil), v.Grad...)
		for _, g := range v.Grad {
			res.MaxGrad = math.Max(res.MaxGrad, math.Abs(g))
		}
	}
	ft := nn.NewTape[float64]()
	ft.NoGrad = true
	eval := func() float64 {
		ft.Reset()
		ft.Eval = false
		return f(ft).Value.Data[0]
	}
	numeric := func(x *float64, h float64) float64 {
		x0 := *x
		*x = x0 + 2*h
		f2 := eval()
		*x = x0 + h
		f1 := eval()
		*x = x0 - h
		m1 := eval()
		*x = x0 - 2*h
		m2 := eval()
		*x = x0
		return (-f2 + 8*f1 - 8*m1 + m2) / (12 * h)
	}
	scale := floor * res.MaxGrad
	relErr := func(a, n float64) float64 {
		return math.Abs(a-n) / math.Max(math.Max(math.Abs(a), math.Abs(n)), scale)
	}
	for i, v := range vars {
		idx := make([]int, len(v.Value.Data))
		for k := range idx {
			idx[k] = k
		}
		if opt.MaxPerVar > 0 && len(idx) > opt.MaxPerVar {
			opt.Rand.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
			idx = idx[:opt.MaxPerVar]
		}
		for _, k := range idx {
			x := &v.Value.Data[k]
			h := 1e-4 * math.Max(1, math.Abs(*x))
			a := analytic[i][k]
			n := numeric(x, h)
			e := relErr(a, n)
			for try := 0; try < 2 && e > 1e-7; try++ {
				h /= 10
				if n2 := numeric(x, h); relErr(a, n2) < e {
					n, e = n2, relErr(a, n2)
				}
			}
			res.Checked++
			if e > res.MaxRelErr || math.IsNaN(e) {
				res.MaxRelErr = e
				res.Worst = fmt.Sprintf("%s[%d]: analytic %.10g, numeric %.10g", v.Name, k, a, n)
			}
		}
	}
	// Leave the analytic gradients in place for the caller.
	for i, v := range vars {
		copy(v.Grad, analytic[i])
	}
	return res
}

// RandVar returns a named rows×cols variable with N(0,1) values drawn from
// rng, with a gradient buffer when grad holds.
func RandVar(name string, rows, cols int, grad bool, rng *rand.Rand) *nn.Var[float64] {
	var v *nn.Var[float64]
	if grad {
		v = nn.NewParam[float64](name, rows, cols)
	} else {
		v = nn.NewBuffer[float64](name, rows, cols)
	}
	for i := range v.Value.Data {
		v.Value.Data[i] = rng.NormFloat64()
	}
	return v
}
