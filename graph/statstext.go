package graph

import (
	"fmt"
	"io"
)

// StatsTable writes per-frame statistics as a fixed-width text table, one
// line per frame, with the header before the first line. Write errors are
// sticky and returned by Err.
type StatsTable struct {
	w      io.Writer
	header bool
	err    error
}

// NewStatsTable returns a table writing to w.
func NewStatsTable(w io.Writer) *StatsTable { return &StatsTable{w: w} }

func (t *StatsTable) printf(format string, a ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, a...)
	}
}

func (t *StatsTable) head() {
	if !t.header {
		t.header = true
		t.printf("%7s %6s %6s %9s %8s %8s %10s %10s %7s %7s %7s\n", "frame", "hits", "layers",
			"cand", "segments", "true", "lg_edges", "lg_true", "allowed", "seg_eff", "pair_eff")
	}
}

// Row writes the line of one frame.
func (t *StatsTable) Row(st *FrameStats) {
	t.head()
	t.printf("%7d %6d %6d %9d %8d %8d %10d %10d %7.4f %7.4f %7.4f\n", st.Frame, st.Hits, st.Layers,
		st.CandidatePairs, st.Segments, st.TrueSegments, st.LineEdges, st.TrueLineEdges,
		st.Allowed, st.SegmentEfficiency, st.PairEfficiency)
}

// Skip writes the line of a frame that was skipped because of err.
func (t *StatsTable) Skip(frame int64, err error) {
	t.head()
	t.printf("%7d skipped: %v\n", frame, err)
}

// Err returns the first write error.
func (t *StatsTable) Err() error { return t.err }

// WriteText writes the summary as text: mean ± sd per frame of each
// quantity, next to the paper's mean when known, then the per-layer-pair
// matrix sizes (deepest pair first).
func (s *Summary) WriteText(w io.Writer) error {
	t := &StatsTable{w: w}
	t.printf("frames\t%d (skipped: %d empty, %d with one layer)\n", s.Frames, s.EmptyFrames, s.TooFewLayers)
	if s.Phantom != "" {
		t.printf("phantom\t%s, %d p+/frame\n", s.Phantom, s.ProtonsPerFrame)
	}
	t.printf("%-22s %12s %10s %10s %7s\n", "per frame", "mean", "sd", "paper", "ratio")
	row := func(name string, v MeanSD, paper int) {
		if paper > 0 {
			t.printf("%-22s %12.1f %10.1f %10d %7.3f\n", name, v.Mean, v.SD, paper, v.Mean/float64(paper))
		} else {
			t.printf("%-22s %12.1f %10.1f\n", name, v.Mean, v.SD)
		}
	}
	frac := func(name string, v MeanSD) { t.printf("%-22s %12.4f %10.4f\n", name, v.Mean, v.SD) }
	var p PaperSizes
	if s.Paper != nil {
		p = *s.Paper
	}
	row("hits (G_H nodes)", s.Hits, p.Hits)
	row("layers", s.Layers, 0)
	if s.DroppedOutside.Mean > 0 {
		row("dropped outside", s.DroppedOutside, 0)
	}
	if s.DroppedDisconnected.Mean > 0 {
		row("dropped disconnected", s.DroppedDisconnected, 0)
	}
	row("candidate pairs", s.CandidatePairs, 0)
	row("segments (G_L nodes)", s.Segments, p.Segments)
	row("true segments", s.TrueSegments, 0)
	row("G_L edges (2 dirs)", s.LineEdges, p.LineEdges)
	row("true G_L edges", s.TrueLineEdges, 0)
	frac("allowed fraction", s.Allowed)
	frac("primary segments kept", s.SegmentEfficiency)
	frac("primary pairs kept", s.PairEfficiency)
	if c := &s.Cuts; c.PrimarySegments > 0 {
		l := c.Lost()
		t.printf("\n%-28s %10s %10s\n", "true primary lost to", "segments", "pairs")
		t.printf("%-28s %9.3f%% %9.3f%%\n", "cones", 100*l.SegCone, 100*l.PairCone)
		if c.TrackerCut > 0 {
			t.printf("%-28s %9.3f%% %9.3f%%\n", fmt.Sprintf("tracker cut (%g σ)", c.TrackerCut), 100*l.SegTracker, 100*l.PairTracker)
		}
		if l.PairLine > 0 || c.PhysicsCut > 0 {
			name := "line-graph filter"
			if c.PhysicsCut > 0 {
				name = fmt.Sprintf("physics cut (%g σ)", c.PhysicsCut)
			}
			t.printf("%-28s %10s %9.3f%%\n", name, "", 100*l.PairLine)
		}
		if c.DropIsolated {
			t.printf("%-28s %9.3f%%\n", "isolated segments dropped", 100*l.SegIsolated)
		}
		t.printf("%-28s %9.3f%% %9.3f%%\n", "kept", 100*l.SegKept, 100*l.PairKept)
		t.printf("size per frame: %.0f → %.0f segments (×%.2f fewer), %.0f → %.0f line-graph edges (×%.1f fewer)\n",
			c.ConeSegments.Mean, s.Segments.Mean, c.ConeSegments.Mean/max(s.Segments.Mean, 1),
			c.ConeLineEdges.Mean, s.LineEdges.Mean, c.ConeLineEdges.Mean/max(s.LineEdges.Mean, 1))
	}
	if len(s.LayerPairs) > 0 {
		t.printf("\n%-6s %6s %8s %8s %9s %8s\n", "layer", "frames", "rows", "cols", "segments", "allowed")
		for _, l := range s.LayerPairs {
			t.printf("%2d→%-3d %6d %8.1f %8.1f %9.1f %8.4f\n", l.Layer, l.Layer-1, l.Frames,
				l.Rows.Mean, l.Cols.Mean, l.Segments.Mean, l.Allowed)
		}
	}
	return t.err
}
