package wepl

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
)

// ResolutionConfig is a WEPL resolution study (Resolution): simulated
// frames behind each water phantom at each number of protons per frame,
// tracked by every method and measured by one estimator. Zero values mean
// the defaults given.
type ResolutionConfig struct {
	// Phantoms are water thicknesses in mm; nil means 100, 150, 200.
	Phantoms []float64
	// ProtonsPerFrame are the pile-ups; nil means 50, 100, 150.
	ProtonsPerFrame []int
	// Protons simulated per cell (phantom × protons per frame); 0 means
	// 10000.
	Protons int
	// Methods are the trackers (pipeline.Select); at least one.
	Methods []pipeline.Method
	// Estimator configures the WEPL measurement; its Calibration (nil:
	// Default) fixes geometry and beam energy.
	Estimator Options
	// Geometry of the detector; nil means detector.Default().
	Geometry *detector.Geometry
	// Seed: the cell of phantom T mm and N protons per frame is simulated
	// with seed Seed + 10⁶ + 1000·round(10·T) + N, whatever the other
	// cells (and apart from the calibration's seeds Seed + k).
	Seed uint64
	// Workers for simulation and tracking; 0 means GOMAXPROCS. The result
	// does not depend on it.
	Workers int
	// Progress, if not nil, is called after each cell with the number
	// done and the total.
	Progress func(done, total int)
}

// Histogram bins of δWEPL (estimated − true), mm.
const (
	HistMin   = -80.0
	HistMax   = 80.0
	HistWidth = 2.0
	histBins  = int((HistMax - HistMin) / HistWidth)
)

// Hist counts δWEPL values in bins of HistWidth from HistMin to HistMax, with
// the values below and above the range in Under and Over.
type Hist struct {
	Counts      []int
	Under, Over int
}

// Add counts d.
func (h *Hist) Add(d float64) {
	if h.Counts == nil {
		h.Counts = make([]int, histBins)
	}
	switch k := int(math.Floor((d - HistMin) / HistWidth)); {
	case k < 0:
		h.Under++
	case k >= histBins:
		h.Over++
	default:
		h.Counts[k]++
	}
}

// TypeResult is what one error type contributes to a cell.
type TypeResult struct {
	N    int     // measured tracks of this type (passing the cuts)
	Mean float64 // mean δWEPL, mm (NaN for none, and for NoTruth)
	// Tail counts the tracks beyond 3σ of the cell's core.
	Tail int
	Hist Hist
}

// Cell is the result of one tracker behind one phantom at one pile-up.
type Cell struct {
	Phantom         float64 // water, mm
	ProtonsPerFrame int
	Method          string // pipeline.Method.Label
	// Tracks is the number of tracks the tracker kept (after the paper's
	// filter); Cut those the estimator's cuts removed (Cuts flags);
	// Primaries the primaries simulated.
	Tracks, Cut, Primaries int
	// Core is δWEPL = estimated − true WEPL over the measured tracks with
	// a true WEPL (all types but NoTruth).
	Core  Core
	Types [numTypes]TypeResult
	// AngleSD is the core standard deviation of the exit direction error
	// in x (atan of the tangent, estimated − true at layer 0), mrad.
	AngleSD float64
}

// Used returns the number of tracks with a true WEPL that pass the cuts.
func (c *Cell) Used() int { return c.Core.N }

// ResolutionReport is the result of Resolution.
type ResolutionReport struct {
	Estimator string // Estimator.String
	Geometry  string
	Energy    float64
	// Straggling is the range straggling of our simulation, mm: the
	// spread of the last-layer estimator over the calibration scan with
	// the layer quantisation removed (Calibration.Straggling).
	Straggling float64
	Cells      []Cell
}

// Resolution runs the study cfg: for each phantom and pile-up it simulates
// the frames, runs every method, measures each kept track and compares its
// WEPL with the truth of its history (Truth.Classify). The result depends
// only on cfg, not on Workers. A bad configuration, an unusable calibration
// or a cancelled ctx is an error.
func Resolution(ctx context.Context, cfg ResolutionConfig) (*ResolutionReport, error) {
	c := cfg
	if c.Phantoms == nil {
		c.Phantoms = []float64{100, 150, 200}
	}
	if c.ProtonsPerFrame == nil {
		c.ProtonsPerFrame = []int{50, 100, 150}
	}
	if c.Protons == 0 {
		c.Protons = 10000
	}
	if c.Geometry == nil {
		c.Geometry = detector.Default()
	}
	if len(c.Methods) == 0 {
		return nil, errors.New("wepl: resolution study without a tracker")
	}
	if c.Protons < 0 || c.Workers < 0 {
		return nil, fmt.Errorf("wepl: negative protons (%d) or workers (%d)", c.Protons, c.Workers)
	}
	for _, t := range c.Phantoms {
		if !(t > 0) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("wepl: phantom thickness %v mm is not positive", t)
		}
	}
	for _, n := range c.ProtonsPerFrame {
		if n <= 0 {
			return nil, fmt.Errorf("wepl: %d protons per frame", n)
		}
	}
	est, err := New(c.Geometry, 0, &c.Estimator)
	if err != nil {
		return nil, err
	}
	cal := est.cal
	st, err := detector.NewStack(c.Geometry)
	if err != nil {
		return nil, fmt.Errorf("wepl: %w", err)
	}
	rep := &ResolutionReport{Estimator: est.String(), Geometry: c.Geometry.Name, Energy: cal.Energy,
		Straggling: cal.Straggling(st)}
	total := len(c.Phantoms) * len(c.ProtonsPerFrame)
	for i, t := range c.Phantoms {
		for j, n := range c.ProtonsPerFrame {
			cell := i*len(c.ProtonsPerFrame) + j
			scfg := sim.Config{Geometry: c.Geometry, Phantom: sim.Phantom{Material: "water", Thickness: t},
				Beam: sim.Beam{Energy: cal.Energy}, ProtonsPerFrame: n, Frames: (c.Protons + n - 1) / n,
				Seed: cellSeed(c.Seed, t, n), Workers: c.Workers}
			cells, err := resolutionCell(ctx, scfg, &c, est)
			if err != nil {
				return nil, fmt.Errorf("wepl: resolution at %g mm, %d protons per frame: %w", t, n, err)
			}
			rep.Cells = append(rep.Cells, cells...)
			if c.Progress != nil {
				c.Progress(cell+1, total)
			}
		}
	}
	return rep, nil
}

// cellSeed is the simulation seed of the cell of phantom t mm and n
// protons per frame (ResolutionConfig.Seed).
func cellSeed(seed uint64, t float64, n int) uint64 {
	return seed + 1_000_000 + 1000*uint64(math.Round(10*t)) + uint64(n)
}

// sample is one measured track of a cell.
type sample struct {
	d, dAngle float64
	typ       ErrorType
}

func resolutionCell(ctx context.Context, scfg sim.Config, c *ResolutionConfig, est *Estimator) ([]Cell, error) {
	cells := make([]Cell, len(c.Methods))
	samples := make([][]sample, len(c.Methods))
	for m := range cells {
		cells[m] = Cell{Phantom: scfg.Phantom.Thickness, ProtonsPerFrame: scfg.ProtonsPerFrame, Method: c.Methods[m].Label(),
			Primaries: scfg.Frames * scfg.ProtonsPerFrame}
	}
	var truth Truth
	var tracks []Track
	trackers := c.Geometry.TrackerLayers
	var starts []int32
	err := simTrack(ctx, scfg, c.Methods, c.Workers, func(m int, out *pipeline.Output, ft *dataset.FrameTracks) error {
		if m == 0 { // a new frame
			truth.Reset(out.Frame, trackers)
		}
		var err error
		if tracks, err = est.Frame(tracks, ft); err != nil {
			return err
		}
		cell := &cells[m]
		starts = ft.Starts(starts)
		for k := range tracks {
			tr := &tracks[k]
			cell.Tracks++
			if !tr.OK() {
				cell.Cut++
				continue
			}
			typ, pt := truth.Classify(ft.Hits[starts[k]:starts[k+1]])
			s := sample{typ: typ, d: math.NaN(), dAngle: math.NaN()}
			if typ != NoTruth {
				s.d = tr.WEPL - float64(pt.WEPL)
				if pt.Layer0.Reached() {
					s.dAngle = 1e3 * (math.Atan(tr.Exit.TX) - math.Atan(float64(pt.Layer0.TX)))
				}
			}
			samples[m] = append(samples[m], s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for m := range cells {
		cell := &cells[m]
		var d, a []float64
		for _, s := range samples[m] {
			if s.typ != NoTruth {
				d = append(d, s.d)
				a = append(a, s.dAngle)
			}
		}
		cell.Core = CoreOf(d)
		cell.AngleSD = CoreOf(a).SD
		sums := [numTypes]float64{}
		for _, s := range samples[m] {
			tr := &cell.Types[s.typ]
			tr.N++
			if s.typ == NoTruth {
				continue
			}
			sums[s.typ] += s.d
			tr.Hist.Add(s.d)
			if math.Abs(s.d-cell.Core.Mean) > 3*cell.Core.SD {
				tr.Tail++
			}
		}
		for t := range cell.Types {
			tr := &cell.Types[t]
			tr.Mean = math.NaN()
			if tr.N > 0 && ErrorType(t) != NoTruth {
				tr.Mean = sums[t] / float64(tr.N)
			}
		}
	}
	return cells, nil
}

// Straggling returns the range straggling of the simulation behind c, mm:
// √(⟨SD²⟩ − h²/12) of the last-layer estimator's spread SD over the scan
// points, h the mean water-equivalent thickness of a calorimeter layer of
// st: the last-layer estimate is the end of range quantised to layers,
// which adds h²/12 to its variance (Sheppard's correction; exact to about
// 1 % for a spread above h/2). The total range, WEPL plus residual range,
// is nearly the same for every point, and so is its straggling.
func (c *Calibration) Straggling(st *detector.Stack) float64 {
	var s2 float64
	for _, p := range c.Points {
		s2 += p.SD[MethodLastLayer] * p.SD[MethodLastLayer]
	}
	s2 /= float64(len(c.Points))
	n := st.NumLayers()
	first := st.Geometry().TrackerLayers + 1 // the first calorimeter step includes the tracker gap
	var h float64
	for l := first; l < n; l++ {
		h += st.WET(l)
	}
	h /= float64(n - first)
	return math.Sqrt(max(0, s2-h*h/12))
}
