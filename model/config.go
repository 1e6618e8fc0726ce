package model

import (
	"cmp"
	"fmt"
	"math"
)

// Model kinds.
const (
	KindLineGraph = "linegraph"
	KindHitGraph  = "hitgraph"
)

// DefaultAngleBinWidth is the default quantisation step of √θ (in √rad):
// 2⁻¹⁴, i.e. at most 29,041 bins over θ ∈ [0, π]. Rounding to the nearest
// bin moves √θ by at most 2⁻¹⁵, a phase error of at most 0.03 rad at the
// highest encoding frequency (≈ 900) and proportionally less at the
// others.
const DefaultAngleBinWidth = 1.0 / (1 << 14)

// Config describes a model. Zero values mean the paper's settings, so the
// zero Config is the paper's line-graph model. It decodes from YAML or
// JSON; Resolved fills in the defaults and checks the values.
type Config struct {
	// Kind is "linegraph" (default) or "hitgraph".
	Kind string `json:"kind" yaml:"kind"`
	// Hidden is the width of every hidden layer; 0 means 16 for the line
	// graph and 64 for the hit graph. The line-graph model's per-edge
	// assembly kernels are specialised for 16 (other widths run the
	// portable Go kernels, correct but several times slower).
	Hidden int `json:"hidden" yaml:"hidden"`
	// EncodingDim is the length of the angle encoding (line graph only,
	// even); 0 means 128.
	EncodingDim int `json:"encoding_dim" yaml:"encoding_dim"`
	// EncodingScaling sets the frequencies f_k = scaling^(−2k/dim); 0
	// means 1e-3 (frequencies 1 … 1000^(126/128)).
	EncodingScaling float64 `json:"encoding_scaling" yaml:"encoding_scaling"`
	// AngleBinWidth is the quantisation step of √θ in √rad (line graph
	// only); 0 means DefaultAngleBinWidth.
	AngleBinWidth float64 `json:"angle_bin_width" yaml:"angle_bin_width"`
	// LeakySlope is the negative slope of every LeakyReLU; 0 means 0.01.
	LeakySlope float64 `json:"leaky_slope" yaml:"leaky_slope"`
	// BNMomentum and BNEps are the batch-norm momentum (0 means 0.1) and
	// epsilon (0 means 1e-5).
	BNMomentum float64 `json:"bn_momentum" yaml:"bn_momentum"`
	BNEps      float64 `json:"bn_eps" yaml:"bn_eps"`
	// HitNorm normalises the hit-graph node features; nil means the
	// paper's (see HitNorm). Ignored by the line-graph model.
	HitNorm *HitNorm `json:"hit_norm,omitempty" yaml:"hit_norm,omitempty"`
}

// HitNorm maps a hit to the hit-graph model's node features
//
//	[cs/ClusterScale, (x−X0)/XYScale, (y−Y0)/XYScale, (z−Z0)/ZScale]
//
// with cs the cluster size (pixels) and x, y, z in mm, x and y relative to
// the frame's beam spot (dataset.FrameMeta.SpotX, SpotY). The paper's values
// (PaperHitNorm) subtract the pixel address of the beam-spot centre,
// 4608 and 3072, from positions in mm: a quirk of the original code, kept
// because the trained models expect it. All fields are used as given; the
// scales must be non-zero.
type HitNorm struct {
	ClusterScale float64 `json:"cluster_scale" yaml:"cluster_scale"`
	X0           float64 `json:"x0" yaml:"x0"`
	Y0           float64 `json:"y0" yaml:"y0"`
	XYScale      float64 `json:"xy_scale" yaml:"xy_scale"`
	Z0           float64 `json:"z0" yaml:"z0"`
	ZScale       float64 `json:"z_scale" yaml:"z_scale"`
}

// PaperHitNorm returns the paper's hit-feature normalisation (E2E
// normalize.py): cluster size over 7.97, the size of a 0.06 MeV cluster;
// x and y minus the spot-(0, 0) pixel address 4608 and 3072, over 1000;
// z in raw mm. It is the one definition of the hit-graph features.
func PaperHitNorm() HitNorm {
	return HitNorm{ClusterScale: 7.97, X0: 4608, Y0: 3072, XYScale: 1000, Z0: 0, ZScale: 1}
}

// Resolved returns c with every default filled in, or an error naming the
// first invalid field.
func (c Config) Resolved() (Config, error) {
	c.Kind = cmp.Or(c.Kind, KindLineGraph)
	switch c.Kind {
	case KindLineGraph:
		c.Hidden = cmp.Or(c.Hidden, 16)
		c.EncodingDim = cmp.Or(c.EncodingDim, 128)
		c.EncodingScaling = cmp.Or(c.EncodingScaling, 1e-3)
		c.AngleBinWidth = cmp.Or(c.AngleBinWidth, DefaultAngleBinWidth)
		c.HitNorm = nil
	case KindHitGraph:
		c.Hidden = cmp.Or(c.Hidden, 64)
		c.EncodingDim, c.EncodingScaling, c.AngleBinWidth = 0, 0, 0
		if c.HitNorm == nil {
			n := PaperHitNorm()
			c.HitNorm = &n
		} else {
			n := *c.HitNorm
			c.HitNorm = &n
		}
	default:
		return c, fmt.Errorf("model: unknown kind %q (want %q or %q)", c.Kind, KindLineGraph, KindHitGraph)
	}
	c.LeakySlope = cmp.Or(c.LeakySlope, 0.01)
	c.BNMomentum = cmp.Or(c.BNMomentum, 0.1)
	c.BNEps = cmp.Or(c.BNEps, 1e-5)
	switch {
	case c.Hidden < 1 || c.Hidden > 4096:
		return c, fmt.Errorf("model: hidden size %d out of range [1, 4096]", c.Hidden)
	case !(c.LeakySlope > 0 && c.LeakySlope < 1):
		return c, fmt.Errorf("model: leaky slope %g outside (0, 1)", c.LeakySlope)
	case !(c.BNMomentum > 0 && c.BNMomentum <= 1):
		return c, fmt.Errorf("model: batch-norm momentum %g outside (0, 1]", c.BNMomentum)
	case !(c.BNEps > 0 && c.BNEps < 1):
		return c, fmt.Errorf("model: batch-norm eps %g outside (0, 1)", c.BNEps)
	}
	if c.Kind == KindLineGraph {
		switch {
		case c.EncodingDim < 2 || c.EncodingDim%2 != 0 || c.EncodingDim > 4096:
			return c, fmt.Errorf("model: encoding dim %d must be even and in [2, 4096]", c.EncodingDim)
		case !(c.EncodingScaling > 0 && c.EncodingScaling < 1):
			return c, fmt.Errorf("model: encoding scaling %g outside (0, 1)", c.EncodingScaling)
		case !(c.AngleBinWidth >= 1e-6 && c.AngleBinWidth <= 0.1):
			return c, fmt.Errorf("model: angle bin width %g outside [1e-6, 0.1] √rad", c.AngleBinWidth)
		}
	} else {
		n := c.HitNorm
		for _, v := range []float64{n.ClusterScale, n.X0, n.Y0, n.XYScale, n.Z0, n.ZScale} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return c, fmt.Errorf("model: hit normalisation %+v is not finite", *n)
			}
		}
		if n.ClusterScale == 0 || n.XYScale == 0 || n.ZScale == 0 {
			return c, fmt.Errorf("model: hit normalisation %+v has a zero scale", *n)
		}
	}
	return c, nil
}
