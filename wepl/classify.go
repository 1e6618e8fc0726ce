package wepl

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
)

// ErrorType says what went wrong with a reconstructed track, judged by the
// Monte-Carlo truth of its hits. The track belongs to the history of its
// shallowest hit (the one the exit position and direction come from): the
// WEPL is compared with that primary's.
type ErrorType int

const (
	// Correct: every hit is the primary's of the one history, and the
	// track ends in the layer of its deepest hit. (A primary that ends in
	// an inelastic interaction without visible secondaries is correct
	// tracking with a wrong range.)
	Correct ErrorType = iota
	// Nuclear: every hit is of the one history, but some are of its
	// secondaries: the primary interacted in the detector and the track
	// follows a secondary, whose range is not the primary's. Not a tracking
	// error (the paper's purity counts it as correct).
	Nuclear
	// WrongStop: every hit is the primary's of the one history, but the
	// track ends in another layer than its deepest hit (it lost its end).
	WrongStop
	// Merged: the calorimeter hits (behind the tracker layers) belong to
	// more than one history: the end of range is another proton's.
	Merged
	// WrongTracker: the calorimeter hits are of one history, but a
	// tracker hit is of another: the WEPL lands on another proton's exit
	// position and direction.
	WrongTracker
	// NoTruth: the primary of the shallowest hit's history did not leave
	// the phantom (it interacted there; the hits are its secondaries'), so
	// it has no true WEPL.
	NoTruth
	numTypes
)

var typeNames = [numTypes]string{"correct", "nuclear", "wrong-stop", "merged", "wrong-tracker", "no-truth"}

// String returns "correct", "nuclear", "wrong-stop", "merged",
// "wrong-tracker" or "no-truth".
func (t ErrorType) String() string {
	if t < 0 || t >= numTypes {
		return fmt.Sprintf("ErrorType(%d)", int(t))
	}
	return typeNames[t]
}

// Mistracked reports whether t is a tracking error: a wrong stop, a merged
// track or a wrong tracker hit. Correct and Nuclear tracks are the
// primary's (the paper's purity counts both as correct), and NoTruth is
// not judged.
func (t ErrorType) Mistracked() bool { return t == WrongStop || t == Merged || t == WrongTracker }

// ErrorTypes returns all error types in order.
func ErrorTypes() []ErrorType {
	t := make([]ErrorType, numTypes)
	for i := range t {
		t[i] = ErrorType(i)
	}
	return t
}

// Truth judges the tracks of one frame against its Monte-Carlo truth.
type Truth struct {
	frame    *dataset.Frame
	trackers int32
	stop     []eventLayer // deepest primary hit per history, sorted by event
}

type eventLayer struct {
	event int64
	layer int32
}

// Reset prepares t for frame f (whose Primaries must be set: a simulated
// frame, or one read from a file with truth columns) of a detector with
// trackers tracker layers. f is used until the next Reset.
func (t *Truth) Reset(f *dataset.Frame, trackers int) {
	t.frame, t.trackers = f, int32(trackers)
	t.stop = t.stop[:0]
	for _, h := range f.Hits {
		if h.Primary {
			t.stop = append(t.stop, eventLayer{h.EventID, h.Layer})
		}
	}
	slices.SortFunc(t.stop, func(a, b eventLayer) int {
		return cmp.Or(cmp.Compare(a.event, b.event), cmp.Compare(b.layer, a.layer)) // deepest first
	})
	t.stop = slices.CompactFunc(t.stop, func(a, b eventLayer) bool { return a.event == b.event })
}

// Classify returns the error type of a track (hits deepest first, their
// Hit indexing the frame's hits) and the truth of the history it belongs
// to (nil for NoTruth without a record).
func (t *Truth) Classify(hits []dataset.TrackHit) (ErrorType, *dataset.PrimaryTruth) {
	ref := hits[len(hits)-1].EventID
	pt, ok := t.frame.FindPrimary(ref)
	if !ok || math.IsNaN(float64(pt.WEPL)) {
		return NoTruth, pt
	}
	calo, pure, secondary := int64(-1), true, false
	trackerOther := false
	for i := range hits {
		h := &hits[i]
		if k := int(h.Hit); k >= 0 && k < len(t.frame.Hits) && !t.frame.Hits[k].Primary {
			secondary = true
		}
		if h.Layer >= t.trackers {
			if calo < 0 {
				calo = h.EventID
			} else if h.EventID != calo {
				return Merged, pt
			}
		}
		if h.EventID != ref {
			pure = false
		}
	}
	for i := range hits {
		if h := &hits[i]; h.Layer < t.trackers && calo >= 0 && h.EventID != calo {
			trackerOther = true
		}
	}
	switch {
	case trackerOther:
		return WrongTracker, pt
	case !pure:
		return Merged, pt // no calorimeter hits, trackers disagree
	case secondary:
		return Nuclear, pt
	}
	k, found := slices.BinarySearchFunc(t.stop, ref, func(a eventLayer, e int64) int {
		switch {
		case a.event < e:
			return -1
		case a.event > e:
			return 1
		}
		return 0
	})
	if found && t.stop[k].layer == hits[0].Layer {
		return Correct, pt
	}
	return WrongStop, pt
}
