package sim

import (
	"math"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/physics"
)

// truthPlan says where the truth of a primary (dataset.PrimaryTruth) is
// taken: the first segment after the phantom (its exit face) and layer 0's
// sensor segment.
type truthPlan struct {
	phantom bool
	exit    int               // segment index after the last phantom step; -1 without phantom
	layer0  int               // segment index of layer 0's sensitive slab
	rsp     *physics.Material // phantom material for the stopping-power ratio; nil for water (ratio 1)
}

func newTruthPlan(segs []segment, ph Phantom) truthPlan {
	t := truthPlan{phantom: !ph.None(), exit: -1, layer0: -1}
	if t.phantom {
		if m, err := physics.MaterialByName(ph.Material); err == nil && m != physics.Water {
			t.rsp = m
		}
	}
	for i := range segs {
		if segs[i].inPhantom && i+1 < len(segs) {
			t.exit = i + 1
		}
		if segs[i].kind == kindSensor && segs[i].layer == 0 && t.layer0 < 0 {
			t.layer0 = i
		}
	}
	return t
}

// startTruth resets the truth of the primary about to be transported.
func (w *worker) startTruth() {
	nan := float32(math.NaN())
	w.truth = dataset.PrimaryTruth{EventID: w.eventID, WEPL: nan, Exit: dataset.NaNState, Layer0: dataset.NaNState}
	if !w.p.truth.phantom {
		w.truth.WEPL = 0
	}
	w.wepl = 0
}

// observe records the primary p as it enters segment i (from its upstream
// face): the WEPL of a phantom step, the state at the phantom's exit face
// and at layer 0's sensor plane. A step is counted with the direction the
// proton enters it with (scattering kinks at the step's end); a hadronic
// elastic kink inside a step changes only the rest of that step, which is
// neglected (second order in the angle, steps of 2 mm).
func (w *worker) observe(p *particle, s *segment, i int) {
	tp := &w.p.truth
	if s.inPhantom {
		path := (s.z1 - s.z0) * math.Sqrt(1+p.tx*p.tx+p.ty*p.ty)
		if m := tp.rsp; m != nil && p.e > 0 {
			water := physics.Water
			path *= m.StoppingPower(p.e) * m.Density / (water.StoppingPower(p.e) * water.Density)
		}
		w.wepl += path
		return
	}
	if i == tp.exit {
		w.truth.WEPL = float32(w.wepl)
		w.truth.Exit = state(p, 0)
	}
	if i == tp.layer0 {
		w.truth.Layer0 = state(p, (s.z1-s.z0)/2)
	}
}

// state is p's state dz downstream of its position, before any loss there.
func state(p *particle, dz float64) dataset.State {
	return dataset.State{X: float32(p.x + p.tx*dz), Y: float32(p.y + p.ty*dz),
		TX: float32(p.tx), TY: float32(p.ty), E: float32(p.e)}
}
