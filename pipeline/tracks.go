package pipeline

import (
	"cmp"
	"context"
	"fmt"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/track"
)

// FrameTracks writes the tracks tr of hit graph g into dst (its Hits
// reused) as a row set of a tracks file: hits in track order, deepest
// first, with their index in the input frame (g.HitIndex), position,
// deposit, cluster size and truth EventID, and no WEPL. It returns dst,
// allocated if nil.
func FrameTracks(dst *dataset.FrameTracks, g *graph.HitGraph, tr *track.Tracks) *dataset.FrameTracks {
	if dst == nil {
		dst = new(dataset.FrameTracks)
	}
	dst.Frame, dst.Skip = g.Meta.Frame, ""
	dst.Hits = dst.Hits[:0]
	dst.WEPL = nil
	for t := 0; t < tr.Len(); t++ {
		for o, h := range tr.Track(t) {
			hit := &g.Hits[h]
			dst.Hits = append(dst.Hits, dataset.TrackHit{Track: int32(t), Order: int32(o), Hit: g.HitIndex[h],
				Layer: hit.Layer, X: hit.X, Y: hit.Y, Z: hit.Z, Edep: hit.Edep, EventID: hit.EventID,
				ClusterSize: hit.ClusterSize})
		}
	}
	return dst
}

// TrackSummary counts what WriteTracks wrote.
type TrackSummary struct {
	Frames int   // frames written (tracked and skipped)
	Tracks int64 // tracks after the filter
	Hits   int64 // track hits (rows)
}

// WriteTracks runs the single method of opt on the frames of src and
// writes the filtered tracks (track.Result.Tracks) of every frame to a
// tracks file at path (dataset.CreateTracks), skipped frames included with
// their reason. meta.Method and meta.Config default to the method's name
// and Config. The metrics stage is skipped (opt.NoMetrics is forced).
// The selection (opt.Frames) must be in increasing frame order. The file
// appears only if every frame was tracked and written: after any error or
// a cancellation nothing is left at path.
func WriteTracks(ctx context.Context, src Source, path string, meta dataset.TracksMeta, opt *Options) (TrackSummary, *Report, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	var sum TrackSummary
	if len(o.Methods) != 1 {
		return sum, nil, fmt.Errorf("pipeline: WriteTracks needs exactly one method, got %d", len(o.Methods))
	}
	meta.Method = cmp.Or(meta.Method, o.Methods[0].Name)
	meta.Config = cmp.Or(meta.Config, o.Methods[0].Config)
	o.NoMetrics = true
	w, err := dataset.CreateTracks(path, meta)
	if err != nil {
		return sum, nil, err
	}
	defer w.Abort()
	var ft dataset.FrameTracks
	o.OnSkip = chainSkip(o.OnSkip, func(s Skip) error {
		sum.Frames++
		return w.Write(&dataset.FrameTracks{Frame: s.Frame, Skip: s.Reason})
	})
	rep, err := Run(ctx, src, &o, func(out *Output) error {
		FrameTracks(&ft, out.Graph, &out.Results[0].Tracks)
		if o.EditTracks != nil {
			if err := o.EditTracks(&ft, out); err != nil {
				return err
			}
		}
		sum.Frames++
		sum.Tracks += int64(out.Results[0].Tracks.Len())
		sum.Hits += int64(len(ft.Hits))
		return w.Write(&ft)
	})
	if err != nil {
		return sum, rep, err
	}
	return sum, rep, w.Close()
}

func chainSkip(a, b func(Skip) error) func(Skip) error {
	if a == nil {
		return b
	}
	return func(s Skip) error {
		if err := a(s); err != nil {
			return err
		}
		return b(s)
	}
}
