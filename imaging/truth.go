package imaging

import (
	"math"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/wepl"
)

// ClassUnknown is the dataset.Proton Class of a measured track that could
// not be judged (a scan without Monte-Carlo truth).
const ClassUnknown = -1

// Tracking is what the Monte-Carlo truth says of the protons an image was
// made from: per error type of package wepl (wepl.Truth.Classify, the
// same classification as `pcttrack wepl --resolution`) how many the cuts
// kept, and the δWEPL = measured − true WEPL of the history's primary.
type Tracking struct {
	// Judged is false when some protons have no class (ClassUnknown);
	// the counts then cover the judged ones only.
	Judged bool `json:"judged"`
	// In and Kept count the judged protons before and after the cuts.
	In, Kept int
	// Mistracked counts the protons of a tracking error type
	// (wepl.ErrorType.Mistracked) before the cuts, MistrackedKept those the
	// cuts kept.
	Mistracked     int `json:"mistracked"`
	MistrackedKept int `json:"mistracked_kept"`
	// SurvivorShare is the mis-tracked share of the kept protons; CutShare
	// of the protons the cuts removed; Survival the share of the
	// mis-tracked protons that the cuts kept. NaN (null) for none.
	SurvivorShare Number `json:"mistracked_share_of_kept"`
	CutShare      Number `json:"mistracked_share_of_cut"`
	Survival      Number `json:"mistracked_survival"`
	Types         []TypeScore
}

// TypeScore is one error type's part of a Tracking.
type TypeScore struct {
	Type string `json:"type"`
	In   int    `json:"in"`   // protons of this type before the cuts
	Kept int    `json:"kept"` // after the cuts
	// MeanIn is the mean δWEPL before the cuts, mm; Mean, RMS and Core
	// are of the kept protons: mean, root mean square and the Gaussian
	// core (wepl.CoreOf: mean, σ). NaN (null) for none, and for NoTruth.
	MeanIn   Number    `json:"mean_dwepl_in_mm"`
	Mean     Number    `json:"mean_dwepl_mm"`
	RMS      Number    `json:"rms_dwepl_mm"`
	CoreMean Number    `json:"core_mean_mm"`
	CoreSD   Number    `json:"core_sd_mm"`
	Hist     wepl.Hist `json:"hist"` // δWEPL of the kept protons (bins of wepl.HistWidth from wepl.HistMin)
}

// ScoreTracking scores the protons in (their Class a wepl.ErrorType or
// ClassUnknown, TrueWEPL the primary's WEPL) against kept, the protons of
// in that the cuts kept (recon.Cut keeps a subsequence, so counting by
// class is enough).
func ScoreTracking(in, kept []dataset.Proton) Tracking {
	types := wepl.ErrorTypes()
	tr := Tracking{Judged: true, Types: make([]TypeScore, len(types))}
	sumIn := make([]float64, len(types))
	dKept := make([][]float64, len(types))
	valid := func(c int32) bool { return c >= 0 && int(c) < len(types) }
	for i := range in {
		p := &in[i]
		if !valid(p.Class) {
			tr.Judged = false
			continue
		}
		tr.In++
		ts := &tr.Types[p.Class]
		ts.In++
		sumIn[p.Class] += p.WEPL - p.TrueWEPL
		if wepl.ErrorType(p.Class).Mistracked() {
			tr.Mistracked++
		}
	}
	for i := range kept {
		p := &kept[i]
		if !valid(p.Class) {
			continue
		}
		tr.Kept++
		tr.Types[p.Class].Kept++
		if wepl.ErrorType(p.Class).Mistracked() {
			tr.MistrackedKept++
		}
		if wepl.ErrorType(p.Class) != wepl.NoTruth {
			dKept[p.Class] = append(dKept[p.Class], p.WEPL-p.TrueWEPL)
		}
	}
	nan := Number(math.NaN())
	share := func(n, of int) Number {
		if of == 0 {
			return nan
		}
		return Number(float64(n) / float64(of))
	}
	tr.SurvivorShare = share(tr.MistrackedKept, tr.Kept)
	tr.CutShare = share(tr.Mistracked-tr.MistrackedKept, tr.In-tr.Kept)
	tr.Survival = share(tr.MistrackedKept, tr.Mistracked)
	for k, t := range types {
		ts := &tr.Types[k]
		ts.Type = t.String()
		ts.MeanIn, ts.Mean, ts.RMS, ts.CoreMean, ts.CoreSD = nan, nan, nan, nan, nan
		if t == wepl.NoTruth {
			continue
		}
		if ts.In > 0 {
			ts.MeanIn = Number(sumIn[k] / float64(ts.In))
		}
		d := dKept[k]
		if len(d) == 0 {
			continue
		}
		var s, s2 float64
		for _, v := range d {
			s += v
			s2 += v * v
			ts.Hist.Add(v)
		}
		ts.Mean, ts.RMS = Number(s/float64(len(d))), Number(math.Sqrt(s2/float64(len(d))))
		c := wepl.CoreOf(d)
		ts.CoreMean, ts.CoreSD = Number(c.Mean), Number(c.SD)
	}
	return tr
}

// MeanAbsRelErr returns the mean |relative RSP error| over the ROIs that
// are not air (RelErr not NaN), NaN if there are none.
func MeanAbsRelErr(rois []ROIResult) Number {
	var s float64
	n := 0
	for _, r := range rois {
		if v := float64(r.RelErr); !math.IsNaN(v) {
			s += math.Abs(v)
			n++
		}
	}
	if n == 0 {
		return Number(math.NaN())
	}
	return Number(s / float64(n))
}
