package imaging

import (
	"context"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/recon"
	"github.com/pcttrack/pcttrack/wepl"
)

// TrackStats count what became of the tracks of tracks files.
type TrackStats struct {
	Tracks int // tracks read
	Kept   int
	Cut    int // flagged by the WEPL estimator (wepl.Cuts): short residual range, last plane, no direction
}

// appendTracks appends the list-mode protons of one frame's measured
// tracks: exit state and WEPL as package wepl measured them, entry from the
// frame's spot, the frame's angle; EventID is the truth of the track's
// deepest hit. With judge (reset to the frame) each proton gets its
// track's error type as Class and its primary's WEPL as TrueWEPL; without,
// ClassUnknown and NaN. A track without a cut flag whose WEPL or exit is
// not finite is an error.
func appendTracks(dst []dataset.Proton, ft *dataset.FrameTracks, m *dataset.FrameMeta, b recon.Beam, st *TrackStats, starts []int32, judge *wepl.Truth) ([]dataset.Proton, []int32, error) {
	starts = ft.Starts(starts)
	in := b.Entry(m.SpotX, m.SpotY)
	for t, w := range ft.WEPL {
		st.Tracks++
		if wepl.Flag(w.Flags)&wepl.Cuts != 0 {
			st.Cut++
			continue
		}
		for _, v := range [...]float32{w.WEPL, w.ExitX, w.ExitY, w.ExitZ, w.ExitTX, w.ExitTY} {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return dst, starts, fmt.Errorf("frame %d track %d: WEPL %v and exit (%v, %v, %v) not finite, but no cut flag",
					ft.Frame, t, w.WEPL, w.ExitX, w.ExitY, w.ExitZ)
			}
		}
		ev := int64(-1)
		if t+1 < len(starts) && starts[t] < starts[t+1] {
			ev = ft.Hits[starts[t]].EventID
		}
		class, truth := int32(ClassUnknown), math.NaN()
		if judge != nil && t+1 < len(starts) && starts[t] < starts[t+1] {
			typ, pt := judge.Classify(ft.Hits[starts[t]:starts[t+1]])
			class = int32(typ)
			if typ != wepl.NoTruth {
				truth = float64(pt.WEPL)
			}
		}
		out := dataset.PlaneState{X: float64(w.ExitX), Y: float64(w.ExitY), Z: float64(w.ExitZ), TX: float64(w.ExitTX), TY: float64(w.ExitTY)}
		dst = append(dst, dataset.Proton{Frame: ft.Frame, EventID: ev, Angle: m.Angle, In: in, Out: out, WEPL: float64(w.WEPL),
			Class: class, TrueWEPL: truth})
		st.Kept++
	}
	return dst, starts, nil
}

// readTracks reads the measured tracks of tracks file path, made from the
// scan dataset r (its frames' angles and spots) of a detector with
// trackers tracker layers. If r has the Monte-Carlo truth, every track is
// judged against it (appendTracks).
func readTracks(ctx context.Context, path string, r *dataset.Reader, b recon.Beam, trackers int, protons []dataset.Proton, st *TrackStats) ([]dataset.Proton, error) {
	tr, err := dataset.OpenTracks(path)
	if err != nil {
		return protons, err
	}
	defer tr.Close()
	tm := tr.Meta()
	if !tr.HasWEPL() || tm.WEPL == "" {
		return protons, fmt.Errorf("imaging: %s has no WEPL columns or no WEPL measured in them (make it with pcttrack track --wepl or pcttrack wepl)", path)
	}
	if dm := r.Meta(); tm.Dataset.Config != dm.Config || tm.Dataset.Shard != dm.Shard || tm.Dataset.Seed != dm.Seed {
		return protons, fmt.Errorf("imaging: %s was not made from %s (another simulation configuration)", path, r.Path())
	}
	byFrame := make(map[int64]int, r.NumFrames())
	metas := r.FrameMetas()
	for i := range metas {
		byFrame[metas[i].Frame] = i
	}
	var judge *wepl.Truth
	var f dataset.Frame
	if r.HasTruth() {
		if err := r.SetTruth(true); err != nil {
			return protons, err
		}
		judge = new(wepl.Truth)
	}
	var ft dataset.FrameTracks
	var starts []int32
	for i := range tr.NumFrames() {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return protons, err
			}
		}
		if err := tr.ReadFrameInto(&ft, i); err != nil {
			return protons, err
		}
		pos, ok := byFrame[ft.Frame]
		if !ok {
			return protons, fmt.Errorf("imaging: %s: frame %d is not in %s", path, ft.Frame, r.Path())
		}
		if judge != nil && len(ft.Hits) > 0 {
			if err := r.ReadFrameInto(&f, pos); err != nil {
				return protons, err
			}
			judge.Reset(&f, trackers)
		}
		if protons, starts, err = appendTracks(protons, &ft, &metas[pos], b, st, starts, judge); err != nil {
			return protons, fmt.Errorf("imaging: %s: %w", path, err)
		}
	}
	return protons, nil
}
