package dataset

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Summary describes a dataset, as `pcttrack info` prints it.
type Summary struct {
	Frames       int   `json:"frames"`
	Hits         int64 `json:"hits"`
	HitsPerFrame Stats `json:"hits_per_frame"`
	// Primaries counts the distinct events of each frame with at least one
	// primary hit; PrimariesGenerated sums FrameMeta.ProtonsPerFrame.
	Primaries          int64 `json:"primaries"`
	PrimariesGenerated int64 `json:"primaries_generated"`
	// HitsPerPrimary is Hits / PrimariesGenerated, the paper's figure
	// (26.8 at 100 mm water); HitsPerSeenPrimary divides by Primaries.
	HitsPerPrimary     float64 `json:"hits_per_primary"`
	HitsPerSeenPrimary float64 `json:"hits_per_seen_primary"`
	// DeepestLayer is the distribution over primaries of the deepest layer
	// with a hit of the primary itself.
	DeepestLayer LayerStats `json:"deepest_layer"`
	// SecondaryFraction is the fraction of hits with Primary == false.
	SecondaryFraction float64 `json:"secondary_fraction"`
	// Groups breaks the figures down by (phantom, protons per frame) when
	// the dataset mixes them; otherwise it is empty.
	Groups []GroupSummary `json:"groups,omitempty"`
}

// GroupSummary is the Summary of the frames of one phantom and number of
// protons per frame.
type GroupSummary struct {
	Phantom         string  `json:"phantom"`
	ProtonsPerFrame int     `json:"protons_per_frame"`
	Summary         Summary `json:"summary"`
}

// Stats are the mean, sample standard deviation (n − 1), minimum and
// maximum of a count.
type Stats struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	Min  int64   `json:"min"`
	Max  int64   `json:"max"`
}

// LayerStats summarise a layer index over primaries. Histogram[z] counts
// primaries whose deepest layer is z.
type LayerStats struct {
	Mean      float64 `json:"mean"`
	Median    float64 `json:"median"`
	Histogram []int64 `json:"histogram"`
}

// Summarizer accumulates a Summary frame by frame, so that a large dataset
// is summarised without holding it in memory. The zero value is ready.
type Summarizer struct {
	all    acc
	groups map[groupKey]*acc
	deep   map[int64]int32 // scratch: event -> deepest primary layer
}

type groupKey struct {
	phantom string
	ppf     int
}

type acc struct {
	frames         int
	hits, sumSq    int64
	min, max       int64
	primaries, gen int64
	secondaries    int64
	hist           []int64
}

// Add accumulates frame f. It allocates only when a new group or a deeper
// layer appears.
func (s *Summarizer) Add(f *Frame) {
	if s.deep == nil {
		s.deep = map[int64]int32{}
		s.groups = map[groupKey]*acc{}
	}
	clear(s.deep)
	var sec int64
	for i := range f.Hits {
		h := &f.Hits[i]
		if !h.Primary {
			sec++
			continue
		}
		if z, ok := s.deep[h.EventID]; !ok || h.Layer > z {
			s.deep[h.EventID] = h.Layer
		}
	}
	k := groupKey{f.Meta.Phantom, f.Meta.ProtonsPerFrame}
	g := s.groups[k]
	if g == nil {
		g = &acc{}
		s.groups[k] = g
	}
	for _, a := range [2]*acc{&s.all, g} {
		a.add(f, sec, s.deep)
	}
}

func (a *acc) add(f *Frame, sec int64, deep map[int64]int32) {
	n := int64(len(f.Hits))
	if a.frames == 0 || n < a.min {
		a.min = n
	}
	if a.frames == 0 || n > a.max {
		a.max = n
	}
	a.frames++
	a.hits += n
	a.sumSq += n * n
	a.gen += int64(f.Meta.ProtonsPerFrame)
	a.secondaries += sec
	a.primaries += int64(len(deep))
	for _, z := range deep {
		if z < 0 {
			continue
		}
		for int(z) >= len(a.hist) {
			a.hist = append(a.hist, 0)
		}
		a.hist[z]++
	}
}

func (a *acc) summary() Summary {
	s := Summary{Frames: a.frames, Hits: a.hits, Primaries: a.primaries, PrimariesGenerated: a.gen,
		DeepestLayer: LayerStats{Histogram: slices.Clone(a.hist)}}
	if s.DeepestLayer.Histogram == nil {
		s.DeepestLayer.Histogram = []int64{}
	}
	if a.frames > 0 {
		n := float64(a.frames)
		mean := float64(a.hits) / n
		v := float64(a.sumSq)/n - mean*mean
		s.HitsPerFrame = Stats{Mean: mean, SD: math.Sqrt(max(v, 0) * n / max(n-1, 1)), Min: a.min, Max: a.max}
	}
	if a.gen > 0 {
		s.HitsPerPrimary = float64(a.hits) / float64(a.gen)
	}
	if a.primaries > 0 {
		s.HitsPerSeenPrimary = float64(a.hits) / float64(a.primaries)
	}
	if a.hits > 0 {
		s.SecondaryFraction = float64(a.secondaries) / float64(a.hits)
	}
	var tot, sum int64
	for z, c := range a.hist {
		tot += c
		sum += int64(z) * c
	}
	if tot > 0 {
		s.DeepestLayer.Mean = float64(sum) / float64(tot)
		s.DeepestLayer.Median = (histQuantile(a.hist, (tot-1)/2) + histQuantile(a.hist, tot/2)) / 2
	}
	return s
}

// histQuantile returns the layer of the k-th (0-based) primary in layer order.
func histQuantile(hist []int64, k int64) float64 {
	for z, c := range hist {
		if k < c {
			return float64(z)
		}
		k -= c
	}
	return float64(len(hist) - 1)
}

// Summary returns the figures accumulated so far.
func (s *Summarizer) Summary() Summary {
	out := s.all.summary()
	if len(s.groups) > 1 {
		keys := make([]groupKey, 0, len(s.groups))
		for k := range s.groups {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b groupKey) int {
			if c := strings.Compare(a.phantom, b.phantom); c != 0 {
				return c
			}
			return a.ppf - b.ppf
		})
		for _, k := range keys {
			out.Groups = append(out.Groups, GroupSummary{Phantom: k.phantom, ProtonsPerFrame: k.ppf, Summary: s.groups[k].summary()})
		}
	}
	return out
}

// Summarize returns the Summary of frames.
func Summarize(frames []Frame) Summary {
	var s Summarizer
	for i := range frames {
		s.Add(&frames[i])
	}
	return s.Summary()
}

// SummarizeFile summarises a dataset file: see SummarizeReader.
func SummarizeFile(path string, progress func()) (Meta, Summary, error) {
	r, err := Open(path)
	if err != nil {
		return Meta{}, Summary{}, err
	}
	defer r.Close()
	s, err := SummarizeReader(context.Background(), r, progress)
	return r.Meta(), s, err
}

// SummarizeReader streams a dataset frame by frame, holding one frame in
// memory; progress, if not nil, is called after each frame. It stops with
// ctx's error when ctx is cancelled.
func SummarizeReader(ctx context.Context, r *Reader, progress func()) (Summary, error) {
	var s Summarizer
	var f Frame
	for i := range r.NumFrames() {
		if err := ctx.Err(); err != nil {
			return Summary{}, fmt.Errorf("dataset: %w", err)
		}
		if err := r.ReadFrameInto(&f, i); err != nil {
			return Summary{}, err
		}
		s.Add(&f)
		if progress != nil {
			progress()
		}
	}
	return s.Summary(), nil
}

// WriteText prints the summary as an aligned table.
func (s Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	s.writeRows(tw, "")
	for _, g := range s.Groups {
		fmt.Fprintf(tw, "\nphantom %q, %d protons per frame:\t\n", g.Phantom, g.ProtonsPerFrame)
		g.Summary.writeRows(tw, "  ")
	}
	return tw.Flush()
}

func (s Summary) writeRows(w io.Writer, in string) {
	hp := s.HitsPerFrame
	fmt.Fprintf(w, "%sframes\t%d\n", in, s.Frames)
	fmt.Fprintf(w, "%shits\t%d\n", in, s.Hits)
	fmt.Fprintf(w, "%shits per frame\tmean %.1f  sd %.1f  min %d  max %d\n", in, hp.Mean, hp.SD, hp.Min, hp.Max)
	fmt.Fprintf(w, "%sprimaries generated\t%d\n", in, s.PrimariesGenerated)
	fmt.Fprintf(w, "%sprimaries with hits\t%d\n", in, s.Primaries)
	fmt.Fprintf(w, "%shits per primary\t%.2f (per primary with hits %.2f)\n", in, s.HitsPerPrimary, s.HitsPerSeenPrimary)
	fmt.Fprintf(w, "%sdeepest primary layer\tmean %.2f  median %.1f\n", in, s.DeepestLayer.Mean, s.DeepestLayer.Median)
	fmt.Fprintf(w, "%ssecondary hits\t%.2f%%\n", in, 100*s.SecondaryFraction)
	var peak int64
	for _, c := range s.DeepestLayer.Histogram {
		peak = max(peak, c)
	}
	for z, c := range s.DeepestLayer.Histogram {
		if c == 0 {
			continue
		}
		bar := strings.Repeat("#", int((40*c+peak-1)/peak))
		fmt.Fprintf(w, "%s  layer %d\t%d %s\n", in, z, c, bar)
	}
}
