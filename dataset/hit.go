package dataset

import "fmt"

// PDG codes used in datasets.
const (
	PDGProton   = 2212
	PDGNeutron  = 2112
	PDGElectron = 11
	PDGGamma    = 22
)

// MaxLayer is the largest layer index a dataset or tracks file holds. The
// DTC designs have a few dozen layers; a far larger index is damaged data,
// and code that keeps something per layer would allocate for every index
// up to it.
const MaxLayer = 4095

// checkLayer refuses a layer index outside [0, MaxLayer].
func checkLayer(l int32) error {
	if l < 0 || l > MaxLayer {
		return fmt.Errorf("layer %d not in [0, %d]", l, MaxLayer)
	}
	return nil
}

// Hit is one reconstructed cluster in one sensor layer: the charge a
// particle left in the sensitive slab of a layer, merged per (event, track,
// layer) as the paper's pipeline does. Positions are global and in mm, the
// beam runs along +z, and Layer 0 is the first (most upstream) sensor.
type Hit struct {
	Layer       int32   // sensor layer index, 0 = most upstream, at most MaxLayer
	X, Y, Z     float32 // global position, mm
	Edep        float32 // energy deposited in the sensitive slab, MeV
	ClusterSize int32   // pixels fired (ALPIDE cluster-size model)
	EventID     int64   // primary history; secondaries keep their primary's id
	TrackID     int32   // track id within the history; 1 = the primary
	ParentID    int32   // 0 for the primary
	PDG         int32   // PDG code of the particle that made the hit
	Primary     bool    // hit of the primary proton itself
}

// FrameMeta describes one readout frame.
type FrameMeta struct {
	Frame            int64   // frame index within the dataset, 0-based
	SpotX, SpotY     float64 // pencil-beam spot position at the phantom, mm
	Phantom          string  // phantom spec, e.g. "water:100" or "none"
	PhantomThickness float64 // water-equivalent thickness, mm (0 without phantom; a bound on every beam line's for a solid)
	BeamEnergy       float64 // MeV
	ProtonsPerFrame  int     // primaries generated in this frame
	Seed             uint64  // run seed the frame was simulated with (0 for imports)
	Geometry         string  // detector geometry name
	Angle            float64 // projection angle of a scan, degrees (dataset.Rotation); 0 otherwise
}

// Frame is one readout frame: the hits of ProtonsPerFrame primaries.
type Frame struct {
	Meta FrameMeta
	Hits []Hit
	// Primaries is the Monte-Carlo truth of the histories with hits,
	// sorted by EventID (FindPrimary). Simulated frames have it, a Reader
	// fills it after Reader.SetTruth(true); imports leave it empty.
	Primaries []PrimaryTruth
}
