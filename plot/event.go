package plot

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/track"
)

// Scores are the frame's figures of merit, fractions in [0, 1].
type Scores struct {
	Purity, Efficiency float64
}

// Window restricts the event display to a box, in mm. A range whose Min
// and Max are both 0 is chosen automatically (see EventOptions.Aperture);
// otherwise Min < Max is required.
type Window struct {
	XMin, XMax float64
	YMin, YMax float64
	ZMin, ZMax float64
}

// Extent is the region an event display shows by default.
type Extent int

// Extents of the event display.
const (
	// ExtentCore zooms in x and in y to the median ± 4 robust standard
	// deviations (1.4826 × the median absolute deviation) of the hits,
	// widened to hold at least 95 % of them and clipped to their bounding
	// box, so that a few far-scattered secondaries do not squeeze the beam
	// spot into a thin band.
	ExtentCore Extent = iota
	// ExtentHits zooms to the bounding box of all hits.
	ExtentHits
	// ExtentAperture shows the whole sensitive area,
	// graph.DefaultApertureX × graph.DefaultApertureY centred on the axis.
	ExtentAperture
)

// ParseExtent returns the extent named "core", "hits" or "aperture".
func ParseExtent(s string) (Extent, error) {
	switch s {
	case "core":
		return ExtentCore, nil
	case "hits":
		return ExtentHits, nil
	case "aperture":
		return ExtentAperture, nil
	}
	return 0, fmt.Errorf("plot: unknown extent %q (want core, hits or aperture)", s)
}

// EventOptions configures NewEvent. The zero value draws a 14 × 5.5 inch
// figure zoomed to the core of the frame's hits (ExtentCore), with a legend and
// no method name or scores in the title.
type EventOptions struct {
	// Size of the figure; zero fields mean 14 × 5.5 inch at DefaultDPI.
	Size Size
	// Method names the tracker in the title; "" leaves it out.
	Method string
	// Scores, when not nil, are printed in the title (e.g. the
	// metrics.Evaluate figures of this frame).
	Scores *Scores
	// Extent chooses the automatic x and y ranges; the zero value is
	// ExtentCore. z always spans all hits.
	Extent Extent
	// Window overrides the automatic ranges axis by axis.
	Window Window
	// NoLegend leaves out the legend strip.
	NoLegend bool
}

// EventSummary counts what the event display shows, over the whole frame
// (independent of the Window). A "link" is a pair of hits in consecutive
// positions of a reconstructed track, or a selected segment.
type EventSummary struct {
	// Hits and SecondaryHits count the graph's hits and those that are
	// not of a primary proton.
	Hits, SecondaryHits int
	// Particles counts the true tracks drawn: hits of one particle
	// (EventID, TrackID), at least two.
	Particles int
	// Tracks is the number of reconstructed tracks kept by the filter
	// (res.Tracks), Rejected the number of chained tracks it dropped.
	Tracks, Rejected int
	// TrueSegments counts the graph segments that join consecutive hits
	// of one particle: the segments a perfect tracker links.
	TrueSegments int
	// Links counts the distinct links of the reconstruction.
	Links int
	// FalseSelected counts links between hits of different events (the
	// paper's wrong edges), drawn as red lines.
	FalseSelected int
	// Missed counts true segments that are not links, drawn as dashed
	// orange lines.
	Missed int
}

// ErrEmptyGraph is returned by NewEvent for a nil graph or one without hits.
var ErrEmptyGraph = errors.New("plot: empty hit graph")

// Event draws the event display of g and its reconstruction res (see
// NewEvent) and saves it to path (see Figure.Save).
func Event(path string, g *graph.HitGraph, res *track.Result, opt *EventOptions) (EventSummary, error) {
	fig, sum, err := NewEvent(g, res, opt)
	if err != nil {
		return sum, fmt.Errorf("%w (for %q)", err, path)
	}
	return sum, fig.Save(path)
}

// NewEvent draws one frame: an x–z and a y–z panel side by side (z on the
// horizontal axis, occupied layers as faint vertical lines), hits as dots
// (open triangles for secondaries), the true particle tracks as thin grey
// lines, the reconstructed tracks of res.Tracks in colour and the chained
// tracks dropped by the filter as dotted grey lines; links between hits of
// different events are marked in red and true segments that were not linked
// in dashed orange. A nil res draws the truth only (Links, FalseSelected
// and Missed are then 0). The title names the frame, phantom,
// protons per frame, beam energy, opt.Method and opt.Scores.
//
// An empty graph is ErrEmptyGraph; a res whose Selected or tracks do not fit
// g, a non-finite hit position or a bad Window or Size is an error. Cost is
// O(hits + segments) plus drawing.
func NewEvent(g *graph.HitGraph, res *track.Result, opt *EventOptions) (*Figure, EventSummary, error) {
	o := optionsOf(opt)
	var sum EventSummary
	if g == nil || len(g.Hits) == 0 {
		return nil, sum, ErrEmptyGraph
	}
	size, err := o.Size.resolve(14*vg.Inch, 5.5*vg.Inch)
	if err != nil {
		return nil, sum, err
	}
	for i, h := range g.Hits {
		if !finite(float64(h.X)) || !finite(float64(h.Y)) || !finite(float64(h.Z)) {
			return nil, sum, fmt.Errorf("plot: frame %d: hit %d has a non-finite position (%g, %g, %g)", g.Meta.Frame, i, h.X, h.Y, h.Z)
		}
	}
	if err := checkResult(g, res); err != nil {
		return nil, sum, err
	}
	box, err := eventBox(g, &o)
	if err != nil {
		return nil, sum, err
	}

	ev := newEventData(g, res, &sum)
	xz := newPlot("z (mm)", "x (mm)")
	yz := newPlot("z (mm)", "y (mm)")
	for i, p := range []*gplot.Plot{xz, yz} {
		p.X.Min, p.X.Max = box.ZMin, box.ZMax
		// About 1.6 labels per inch of panel.
		p.X.Tick.Marker = niceTicks{max(4, int(0.8*size.Width/vg.Inch))}
		p.Y.Tick.Marker = niceTicks{max(4, int(1.4*size.Height/vg.Inch))}
		if i == 0 {
			p.Y.Min, p.Y.Max = box.XMin, box.XMax
		} else {
			p.Y.Min, p.Y.Max = box.YMin, box.YMax
		}
		p.Add(ev.plotters(i)...)
	}
	l := &layout{
		title:    eventTitle(g, o.Method),
		subtitle: eventSubtitle(&sum, o.Scores, res != nil),
		grid:     [][]*gplot.Plot{{xz, yz}},
	}
	if !o.NoLegend {
		l.legend = ev.legend(res != nil)
	}
	return newFigure(size, l.draw), sum, nil
}

// checkResult reports a reconstruction that does not belong to g.
func checkResult(g *graph.HitGraph, res *track.Result) error {
	if res == nil {
		return nil
	}
	if len(res.Selected) != 0 && len(res.Selected) != len(g.Src) {
		return fmt.Errorf("plot: frame %d: result has %d selection flags for %d segments", g.Meta.Frame, len(res.Selected), len(g.Src))
	}
	for _, t := range []*track.Tracks{&res.All, &res.Tracks} {
		for i, st := range t.Start {
			if st < 0 || int(st) > len(t.Hits) || i > 0 && st < t.Start[i-1] {
				return fmt.Errorf("plot: frame %d: corrupt track list (start %d of track %d, %d hits)", g.Meta.Frame, st, i, len(t.Hits))
			}
		}
		for _, h := range t.Hits {
			if h < 0 || int(h) >= len(g.Hits) {
				return fmt.Errorf("plot: frame %d: track hit %d outside the graph's %d hits", g.Meta.Frame, h, len(g.Hits))
			}
		}
	}
	return nil
}

// eventBox returns the ranges drawn: those of o.Extent padded by 4 %, then
// the explicit window.
func eventBox(g *graph.HitGraph, o *EventOptions) (Window, error) {
	n := len(g.Hits)
	xs, ys := make([]float64, n), make([]float64, n)
	b := Window{ZMin: math.Inf(1), ZMax: math.Inf(-1)}
	for i, h := range g.Hits {
		xs[i], ys[i] = float64(h.X), float64(h.Y)
		b.ZMin, b.ZMax = min(b.ZMin, float64(h.Z)), max(b.ZMax, float64(h.Z))
	}
	b.XMin, b.XMax = spread(xs, o.Extent == ExtentCore)
	b.YMin, b.YMax = spread(ys, o.Extent == ExtentCore)
	pad := func(lo, hi *float64, least float64) {
		d := max(0.04*(*hi-*lo), least)
		*lo -= d
		*hi += d
	}
	pad(&b.XMin, &b.XMax, 1)
	pad(&b.YMin, &b.YMax, 1)
	pad(&b.ZMin, &b.ZMax, 2)
	switch o.Extent {
	case ExtentCore, ExtentHits:
	case ExtentAperture:
		b.XMin, b.XMax = -graph.DefaultApertureX/2, graph.DefaultApertureX/2
		b.YMin, b.YMax = -graph.DefaultApertureY/2, graph.DefaultApertureY/2
	default:
		return b, fmt.Errorf("plot: unknown event extent %d", o.Extent)
	}
	w := o.Window
	for _, r := range []struct {
		name         string
		lo, hi       float64
		dstLo, dstHi *float64
	}{
		{"x", w.XMin, w.XMax, &b.XMin, &b.XMax},
		{"y", w.YMin, w.YMax, &b.YMin, &b.YMax},
		{"z", w.ZMin, w.ZMax, &b.ZMin, &b.ZMax},
	} {
		if r.lo == 0 && r.hi == 0 {
			continue
		}
		if !finite(r.lo) || !finite(r.hi) || !(r.lo < r.hi) {
			return b, fmt.Errorf("plot: bad %s window [%g, %g] mm", r.name, r.lo, r.hi)
		}
		*r.dstLo, *r.dstHi = r.lo, r.hi
	}
	return b, nil
}

// coreSigmas is the half-width of ExtentCore in robust standard deviations.
const coreSigmas = 4

// spread returns the range of the non-empty v (sorted in place), or with
// core the part of it within coreSigmas robust standard deviations
// (1.4826 × the median absolute deviation) of the median, widened to hold
// at least 95 % of the values.
func spread(v []float64, core bool) (lo, hi float64) {
	slices.Sort(v)
	lo, hi = v[0], v[len(v)-1]
	if !core {
		return lo, hi
	}
	med := v[len(v)/2]
	dev := make([]float64, len(v))
	for i, x := range v {
		dev[i] = math.Abs(x - med)
	}
	slices.Sort(dev)
	// The 95 % point guards against a zero MAD (more than half of the
	// hits at one position, as in hand-made frames).
	r := max(coreSigmas*1.4826*dev[len(dev)/2], dev[len(dev)*95/100])
	return max(lo, med-r), min(hi, med+r)
}

// eventData holds the lines and points of both panels in data coordinates
// (panel 0: (z, x), panel 1: (z, y)).
type eventData struct {
	layers              [2]*vlines
	truth, rejected     [2]*polylines
	tracks, wrong, miss [2]*polylines
	primary, secondary  [2]*glyphs
}

type link struct{ deep, shallow int32 }

type particle struct {
	event int64
	track int32
}

func newEventData(g *graph.HitGraph, res *track.Result, sum *EventSummary) *eventData {
	ev := &eventData{}
	coord := func(panel int, h int32) xy {
		hit := &g.Hits[h]
		if panel == 0 {
			return xy{float64(hit.Z), float64(hit.X)}
		}
		return xy{float64(hit.Z), float64(hit.Y)}
	}
	// line turns hit index lists into panel polylines.
	lines := func(panel int, hl [][]int32) [][]xy {
		out := make([][]xy, len(hl))
		for i, l := range hl {
			out[i] = make([]xy, len(l))
			for j, h := range l {
				out[i][j] = coord(panel, h)
			}
		}
		return out
	}

	// True tracks: hits of one particle in graph order (deepest first).
	byParticle := map[particle][]int32{}
	var order []particle
	var prim, sec []int32
	sum.Hits = len(g.Hits)
	for i := range g.Hits {
		h := &g.Hits[i]
		k := particle{h.EventID, h.TrackID}
		if _, ok := byParticle[k]; !ok {
			order = append(order, k)
		}
		byParticle[k] = append(byParticle[k], int32(i))
		if h.Primary {
			prim = append(prim, int32(i))
		} else {
			sec = append(sec, int32(i))
		}
	}
	sum.SecondaryHits = len(sec)
	var truth [][]int32
	for _, k := range order {
		if l := byParticle[k]; len(l) >= 2 {
			truth = append(truth, l)
		}
	}
	sum.Particles = len(truth)

	// Links of the reconstruction: selected segments and consecutive
	// hits of every chained track (trackers may skip a layer).
	links := map[link]bool{}
	var kept, rejected [][]int32
	if res != nil {
		for s, ok := range res.Selected {
			if ok {
				links[link{g.Src[s], g.Dst[s]}] = true
			}
		}
		// Filtered tracks are tracks of All; tracks do not share hits, so
		// the deepest hit and the length identify one.
		keptSet := map[[2]int]bool{}
		for i := 0; i < res.Tracks.Len(); i++ {
			t := res.Tracks.Track(i)
			if len(t) == 0 {
				continue
			}
			kept = append(kept, t)
			keptSet[[2]int{int(t[0]), len(t)}] = true
			addLinks(links, t)
		}
		for i := 0; i < res.All.Len(); i++ {
			t := res.All.Track(i)
			addLinks(links, t)
			if len(t) > 0 && !keptSet[[2]int{int(t[0]), len(t)}] {
				rejected = append(rejected, t)
			}
		}
	}
	sum.Tracks, sum.Rejected, sum.Links = len(kept), len(rejected), len(links)

	var wrongL, missed [][]int32
	for l := range links {
		if g.Hits[l.deep].EventID != g.Hits[l.shallow].EventID {
			wrongL = append(wrongL, []int32{l.deep, l.shallow})
		}
	}
	sortPairs(wrongL)
	for s := range g.Src {
		a, b := &g.Hits[g.Src[s]], &g.Hits[g.Dst[s]]
		if a.EventID != b.EventID || a.TrackID != b.TrackID {
			continue
		}
		sum.TrueSegments++
		if !links[link{g.Src[s], g.Dst[s]}] {
			missed = append(missed, []int32{g.Src[s], g.Dst[s]})
		}
	}
	if res == nil {
		missed = nil // nothing was reconstructed, so nothing was missed
	}
	sum.FalseSelected, sum.Missed = len(wrongL), len(missed)

	// Layer planes at the mean z of their hits.
	zs := make([]float64, len(g.Layers))
	for k := range g.Layers {
		a, b := g.LayerStart[k], g.LayerStart[k+1]
		for h := a; h < b; h++ {
			zs[k] += float64(g.Hits[h].Z)
		}
		zs[k] /= float64(max(b-a, 1))
	}

	// Thinner marks when errors abound (an untrained model), so that the
	// tracks underneath stay visible.
	wrongW, missW := vg.Length(1.8), vg.Length(1.6)
	if len(wrongL)+len(missed) > 300 {
		wrongW, missW = 1.1, 1.1
	}
	for p := range 2 {
		ev.layers[p] = &vlines{x: zs, style: draw.LineStyle{Color: colLayer, Width: 0.6}}
		ev.truth[p] = &polylines{lines: lines(p, truth), style: draw.LineStyle{Color: colTruth, Width: 0.7}}
		ev.rejected[p] = &polylines{lines: lines(p, rejected), style: draw.LineStyle{Color: colRejects, Width: 0.9, Dashes: []vg.Length{1.2, 1.6}}}
		ev.tracks[p] = &polylines{lines: lines(p, kept), style: draw.LineStyle{Width: 1.1}, colors: palette}
		ev.miss[p] = &polylines{lines: lines(p, missed), style: draw.LineStyle{Color: colMissed, Width: missW, Dashes: []vg.Length{3, 2}}}
		ev.wrong[p] = &polylines{lines: lines(p, wrongL), style: draw.LineStyle{Color: colFalse, Width: wrongW}}
		ev.primary[p] = &glyphs{pts: lines(p, [][]int32{prim})[0], style: draw.GlyphStyle{Color: colHit, Radius: 0.8, Shape: draw.CircleGlyph{}}}
		ev.secondary[p] = &glyphs{pts: lines(p, [][]int32{sec})[0], style: draw.GlyphStyle{Color: colHit, Radius: 1.8, Shape: draw.TriangleGlyph{}}}
	}
	return ev
}

func addLinks(links map[link]bool, t []int32) {
	for i := 1; i < len(t); i++ {
		links[link{t[i-1], t[i]}] = true
	}
}

// sortPairs orders the two-hit lines built from map iteration, so that
// output files are reproducible.
func sortPairs(p [][]int32) {
	slices.SortFunc(p, func(a, b []int32) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
}

// plotters returns the drawing order of panel p: layers and truth
// underneath, errors on top.
func (ev *eventData) plotters(p int) []gplot.Plotter {
	return []gplot.Plotter{ev.layers[p], ev.truth[p], ev.rejected[p], ev.tracks[p], ev.primary[p], ev.secondary[p], ev.miss[p], ev.wrong[p]}
}

func (ev *eventData) legend(withRes bool) []legendItem {
	items := []legendItem{
		{"primary hit", ev.primary[0]},
		{"secondary hit", ev.secondary[0]},
		{"true track", ev.truth[0]},
	}
	if withRes {
		items = append(items,
			legendItem{"reconstructed track", ev.tracks[0]},
			legendItem{"dropped by track filter", ev.rejected[0]},
			legendItem{"wrong link (different events)", ev.wrong[0]},
			legendItem{"missed true segment", ev.miss[0]},
		)
	}
	return items
}

func eventTitle(g *graph.HitGraph, method string) string {
	m := &g.Meta
	parts := []string{fmt.Sprintf("Frame %d", m.Frame)}
	if m.Phantom != "" {
		parts = append(parts, "phantom "+m.Phantom)
	}
	if m.ProtonsPerFrame > 0 {
		parts = append(parts, fmt.Sprintf("%d p+/frame", m.ProtonsPerFrame))
	}
	if m.BeamEnergy > 0 {
		parts = append(parts, fmt.Sprintf("%g MeV", m.BeamEnergy))
	}
	if method != "" {
		parts = append(parts, "method "+method)
	}
	return strings.Join(parts, " · ")
}

func eventSubtitle(s *EventSummary, sc *Scores, withRes bool) string {
	var parts []string
	if sc != nil {
		parts = append(parts, fmt.Sprintf("purity %.1f %%, efficiency %.1f %%", 100*sc.Purity, 100*sc.Efficiency))
	}
	parts = append(parts, fmt.Sprintf("%d hits (%d secondary), %d true tracks", s.Hits, s.SecondaryHits, s.Particles))
	if withRes {
		parts = append(parts,
			fmt.Sprintf("%d tracks kept, %d dropped", s.Tracks, s.Rejected),
			fmt.Sprintf("%d wrong links, %d of %d true segments missed", s.FalseSelected, s.Missed, s.TrueSegments))
	}
	return strings.Join(parts, " · ")
}
