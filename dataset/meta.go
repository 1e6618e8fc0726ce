package dataset

import (
	"errors"
	"fmt"
	"math"
)

// FormatVersion is the version of the on-disk layout written by Create. A
// reader refuses files with a newer version.
const FormatVersion = 1

// Footer key-value metadata keys (documented in SCHEMA.md).
const (
	KeyFormat = "pcttrack.format" // decimal FormatVersion
	KeyMeta   = "pcttrack.meta"   // JSON object: the dataset Meta
	KeyFrames = "pcttrack.frames" // JSON object of equal-length arrays: one entry per frame
)

// Meta is the dataset-level metadata, stored in the Parquet footer.
type Meta struct {
	Source   string `json:"source"`   // "simulate", "import gate", "import npz", ...
	Geometry string `json:"geometry"` // detector geometry name
	Seed     uint64 `json:"seed"`     // run seed (0 for imports)
	Config   string `json:"config"`   // free text, e.g. the run config as YAML; may be empty
	// Frames is the number of frames of the whole run, over all shards;
	// 0 means unknown. Merge uses it to report missing frames.
	Frames int64 `json:"frames"`
	// Shard is "k/K" when the file holds only shard k of K of a run, and
	// empty for a complete dataset. Create stores "0/1" as empty, so that a
	// merged dataset is byte-identical to a one-machine run.
	Shard string `json:"shard"`
	// SimPhysics is the physics version of the simulator that made the
	// frames (sim.PhysicsVersion); 0 for imported data and for files
	// written before it was recorded.
	SimPhysics int `json:"sim_physics,omitempty"`
	// Version is the FormatVersion of a file that was read; Create ignores it.
	Version int `json:"-"`
}

// FormatError reports a malformed input file: a dataset, ROOT or npz file.
// Entry is the tree entry, array row or frame index the problem was found
// at, or -1; Unit names it ("" means "entry").
type FormatError struct {
	File  string
	Entry int64
	Unit  string
	Err   error
}

// Error returns "dataset: \"file\": entry N: cause".
func (e *FormatError) Error() string {
	if e.Entry >= 0 {
		u := e.Unit
		if u == "" {
			u = "entry"
		}
		return fmt.Sprintf("dataset: %q: %s %d: %v", e.File, u, e.Entry, e.Err)
	}
	return fmt.Sprintf("dataset: %q: %v", e.File, e.Err)
}

// Unwrap returns the underlying error.
func (e *FormatError) Unwrap() error { return e.Err }

// ErrNotDataset is wrapped by Open's error for a Parquet file that was not
// written by this package.
var ErrNotDataset = errors.New("not a pcttrack dataset")

// frameTable is the per-frame metadata as stored under KeyFrames: columns
// of equal length, so that pandas.DataFrame(json.loads(...)) gives a table.
type frameTable struct {
	rowIndex
	SpotX            []float64 `json:"spot_x"`
	SpotY            []float64 `json:"spot_y"`
	Phantom          []string  `json:"phantom"`
	PhantomThickness []float64 `json:"phantom_thickness"`
	BeamEnergy       []float64 `json:"beam_energy"`
	ProtonsPerFrame  []int     `json:"protons_per_frame"`
	Seed             []uint64  `json:"seed"`
	Geometry         []string  `json:"geometry"`
	// Angle is the projection angle of each frame (degrees), present only
	// when some frame has a non-zero angle (a scan), so that other
	// datasets keep their bytes; absent means 0 for every frame.
	Angle []float64 `json:"angle,omitempty"`
}

func newFrameTable() frameTable {
	return frameTable{rowIndex: newRowIndex(), SpotX: []float64{}, SpotY: []float64{}, Phantom: []string{},
		PhantomThickness: []float64{}, BeamEnergy: []float64{}, ProtonsPerFrame: []int{}, Seed: []uint64{},
		Geometry: []string{}}
}

func (t *frameTable) add(m *FrameMeta, firstRow, n int64) {
	if t.Angle == nil && m.Angle != 0 {
		t.Angle = make([]float64, len(t.Frame), len(t.Frame)+1)
	}
	if t.Angle != nil {
		t.Angle = append(t.Angle, m.Angle)
	}
	t.rowIndex.add(m.Frame, firstRow, n)
	t.SpotX = append(t.SpotX, m.SpotX)
	t.SpotY = append(t.SpotY, m.SpotY)
	t.Phantom = append(t.Phantom, m.Phantom)
	t.PhantomThickness = append(t.PhantomThickness, m.PhantomThickness)
	t.BeamEnergy = append(t.BeamEnergy, m.BeamEnergy)
	t.ProtonsPerFrame = append(t.ProtonsPerFrame, m.ProtonsPerFrame)
	t.Seed = append(t.Seed, m.Seed)
	t.Geometry = append(t.Geometry, m.Geometry)
}

func (t *frameTable) rows() *rowIndex { return &t.rowIndex }

// check returns the number of frames; the columns must agree in length
// and every frame's metadata must pass checkFrameMeta.
func (t *frameTable) check() (int, error) {
	n := len(t.Frame)
	if t.Angle != nil && len(t.Angle) != n {
		return 0, fmt.Errorf("footer key %q: columns of different lengths", KeyFrames)
	}
	for _, m := range []int{len(t.FirstRow), len(t.NumHits), len(t.SpotX), len(t.SpotY),
		len(t.Phantom), len(t.PhantomThickness), len(t.BeamEnergy), len(t.ProtonsPerFrame),
		len(t.Seed), len(t.Geometry)} {
		if m != n {
			return 0, fmt.Errorf("footer key %q: columns of different lengths", KeyFrames)
		}
	}
	for i := range n {
		m := t.meta(i)
		if err := checkFrameMeta(&m); err != nil {
			return 0, fmt.Errorf("frame %d: %w", m.Frame, err)
		}
	}
	return n, nil
}

func (t *frameTable) meta(i int) FrameMeta {
	return FrameMeta{
		Frame:            t.Frame[i],
		SpotX:            t.SpotX[i],
		SpotY:            t.SpotY[i],
		Phantom:          t.Phantom[i],
		PhantomThickness: t.PhantomThickness[i],
		BeamEnergy:       t.BeamEnergy[i],
		ProtonsPerFrame:  t.ProtonsPerFrame[i],
		Seed:             t.Seed[i],
		Geometry:         t.Geometry[i],
		Angle:            t.angle(i),
	}
}

func (t *frameTable) angle(i int) float64 {
	if t.Angle == nil {
		return 0
	}
	return t.Angle[i]
}

// checkFrameMeta rejects metadata that JSON cannot hold or that makes no sense.
func checkFrameMeta(m *FrameMeta) error {
	for _, v := range []struct {
		name string
		x    float64
	}{{"spot x", m.SpotX}, {"spot y", m.SpotY}, {"phantom thickness", m.PhantomThickness}, {"beam energy", m.BeamEnergy}, {"angle", m.Angle}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("%s is %v", v.name, v.x)
		}
	}
	if m.Frame < 0 {
		return fmt.Errorf("negative frame index %d", m.Frame)
	}
	if m.ProtonsPerFrame < 0 {
		return fmt.Errorf("negative protons per frame %d", m.ProtonsPerFrame)
	}
	if m.PhantomThickness < 0 {
		return fmt.Errorf("negative phantom thickness %v", m.PhantomThickness)
	}
	return nil
}
