package sim

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
)

// Scan is a proton CT acquisition of a solid in the Bergen manner: the
// object is rotated over Projections angles evenly spread over Arc, and at
// each angle a raster of pencil-beam spots is delivered, every spot the
// same number of frames. Zero values mean the defaults below, which follow
// the DTC toolkit's phantom runs (gate/DTC/Phantom: 7 mm spot pitch, 50
// protons per frame).
type Scan struct {
	Object      *Solid
	Projections int     // projection angles, at least 1 (90–360 for a CT)
	Arc         float64 // degrees covered by the angles; 0 means 360
	// Pitch is the spot spacing in mm; 0 means 7.
	Pitch float64
	// X0, X1 is the spot field along x, mm; both 0 means the object's
	// diameter plus one pitch on each side.
	X0, X1 float64
	// Y0, Y1 is the spot field along y (the rotation axis), mm; both 0
	// means one row at y = 0, the field of a 2-D slice.
	Y0, Y1 float64
	// Protons is the number of primaries of the whole scan (at least one
	// frame per spot and angle); frames per spot are rounded up so that
	// every spot of every angle gets the same number.
	Protons int
	// ProtonsPerFrame is the number of primaries per readout frame; 0
	// means 50.
	ProtonsPerFrame int
}

// Defaults of Scan.
const (
	DefaultScanPitch           = 7.0
	DefaultScanProtonsPerFrame = 50
)

// BergenBeam is the pencil beam of the DTC toolkit's phantom scans
// (Main_phantom.mac, runCT.sh): 230 MeV, σ 2 mm and 2.5 mrad with an
// emittance of 3 mm·mrad at the source (DefaultSourceZ, −500 mm), spots tilted as from
// scanning magnets 6600 mm upstream.
var BergenBeam = Beam{Energy: 230, SpotSigma: 2, Divergence: 0.0025, Emittance: 3, VirtualSource: 6600}

// Apply sets the object, angles, spots, frames and protons per frame of c
// for the scan. Missing angles or spots, a spot field that does not cover
// the object (its diameter along x, some of its height along y) and
// non-finite values are errors.
func (s *Scan) Apply(c *Config) error {
	if s.Object == nil {
		return fmt.Errorf("sim: scan without an object")
	}
	if err := s.Object.Check(); err != nil {
		return err
	}
	if s.Projections < 1 {
		return fmt.Errorf("sim: scan of %s with %d projection angles; want at least 1", s.Object.Name, s.Projections)
	}
	for _, v := range [...]float64{s.Arc, s.Pitch, s.X0, s.X1, s.Y0, s.Y1} {
		if !finite(v) {
			return fmt.Errorf("sim: scan of %s: %v is not a finite number", s.Object.Name, v)
		}
	}
	arc := s.Arc
	if arc == 0 {
		arc = 360
	}
	if !(arc > 0) || arc > 360 {
		return fmt.Errorf("sim: scan arc %g° out of (0, 360]", arc)
	}
	pitch := s.Pitch
	if pitch == 0 {
		pitch = DefaultScanPitch
	}
	if !(pitch > 0) {
		return fmt.Errorf("sim: spot pitch %g mm must be positive", pitch)
	}
	r, oy0, oy1 := s.Object.Radius()
	geom := c.Geometry
	if geom == nil {
		geom = detector.Default()
	}
	ax, ay := geom.ApertureX/2, geom.ApertureY/2
	x0, x1, y0, y1 := s.X0, s.X1, s.Y0, s.Y1
	if x0 == 0 && x1 == 0 {
		// one spot beyond the object's edge, as the DTC toolkit's plans,
		// if the detector is wide enough
		n := math.Ceil(r/pitch) + 1
		if n*pitch > ax {
			n--
		}
		x0, x1 = -n*pitch, n*pitch
	}
	spots := GridSpots(x0, x1, y0, y1, pitch)
	if len(spots) == 0 {
		return fmt.Errorf("sim: scan of %s: no spots in x %g…%g, y %g…%g mm at a %g mm pitch", s.Object.Name, x0, x1, y0, y1, pitch)
	}
	// the field must cover the object at every angle: its whole diameter
	// along x (to half a pitch beyond the outer spots) and some of its
	// height
	lo, hi := spots[0].X-pitch/2, spots[len(spots)-1].X+pitch/2
	if lo > -r || hi < r {
		return fmt.Errorf("sim: spot field x %g…%g mm does not cover %s (%g mm across, x %g…%g mm)", lo, hi, s.Object.Name, 2*r, -r, r)
	}
	if spots[0].X < -ax || spots[len(spots)-1].X > ax || spots[0].Y < -ay || spots[len(spots)-1].Y > ay {
		return fmt.Errorf("sim: spot field x %g…%g, y %g…%g mm reaches beyond the detector's %g × %g mm aperture",
			spots[0].X, spots[len(spots)-1].X, spots[0].Y, spots[len(spots)-1].Y, 2*ax, 2*ay)
	}
	if spots[len(spots)-1].Y < oy0 || spots[0].Y > oy1 {
		return fmt.Errorf("sim: spot field y %g…%g mm misses %s (y %g…%g mm)", spots[0].Y, spots[len(spots)-1].Y, s.Object.Name, oy0, oy1)
	}
	ppf := s.ProtonsPerFrame
	if ppf == 0 {
		ppf = DefaultScanProtonsPerFrame
	}
	if ppf < 1 || s.Protons < 1 {
		return fmt.Errorf("sim: scan of %d protons in frames of %d; both must be positive", s.Protons, ppf)
	}
	per := int64(s.Projections) * int64(len(spots)) * int64(ppf)
	rep := (int64(s.Protons) + per - 1) / per
	frames := rep * int64(s.Projections) * int64(len(spots))
	if frames > math.MaxInt32 {
		return fmt.Errorf("sim: scan of %d frames is too long", frames)
	}
	c.Object = s.Object
	c.Phantom = Phantom{}
	c.Angles = make([]float64, s.Projections)
	for k := range c.Angles {
		c.Angles[k] = arc * float64(k) / float64(s.Projections)
	}
	c.Beam.Spots = spots
	c.Frames = int(frames)
	c.ProtonsPerFrame = ppf
	return nil
}

// frameAngle returns the angle index of frame i: frames are grouped by
// angle, Frames/len(Angles) consecutive frames each.
func (c *Config) frameAngle(i int) int {
	return i / (c.Frames / len(c.Angles))
}

// SpotAxis returns the nominal axis of the beam's spot (x, y): its
// position at z = 0 and its direction tangents (the tilt of
// VirtualSource), as the simulation aims it.
func (b Beam) SpotAxis(x, y float64) (tx, ty float64) {
	if b.VirtualSource > 0 {
		return x / b.VirtualSource, y / b.VirtualSource
	}
	return 0, 0
}

// PhaseSpace returns the beam's rms size (mm) and divergence (rad) per
// axis at the source plane and their correlation coefficient, defaults
// resolved.
func (b Beam) PhaseSpace() (sigma, sigmaTheta, rho float64) {
	r := b.resolved()
	rho, _ = r.correlation()
	return r.SpotSigma, r.Divergence, rho
}

// correlation returns the position–angle correlation coefficient of a
// resolved beam and √(1 − ρ²) (GATE PencilBeam: covariance
// ±√(σx²σθ² − ε²), ε the ellipse area over π).
func (b *Beam) correlation() (rho, rest float64) {
	if b.Emittance <= 0 || b.SpotSigma <= 0 || b.Divergence <= 0 {
		return 0, 1
	}
	eps := b.Emittance * 1e-3 / math.Pi // mm·rad
	s := b.SpotSigma * b.Divergence
	rho = math.Sqrt(max(0, 1-eps*eps/(s*s)))
	if b.Converging {
		rho = -rho
	}
	return rho, math.Sqrt(1 - rho*rho)
}

// WritePerAngle runs simulation c (see Run) into one dataset per
// projection angle, dir/angle_NNN.parquet with NNN the angle's index
// (dir/angle_NNN.shard-k-of-K.parquet for a shard). Each file holds its
// angle's frames with their run-wide indices, and its Meta.Frames is 0
// (the run's frames are spread over the files). Like Write it writes each
// file atomically; an error or a cancelled ctx leaves only the files of
// the angles completed before.
func WritePerAngle(ctx context.Context, c Config, dir string, progress func()) (WriteStats, error) {
	var st WriteStats
	if len(c.Angles) == 0 {
		return st, fmt.Errorf("sim: one dataset per angle without angles")
	}
	meta, err := Meta(c)
	if err != nil {
		return st, err
	}
	meta.Frames = 0
	var w *dataset.Writer
	cur := -1
	defer func() {
		if w != nil {
			w.Abort()
		}
	}()
	start := time.Now()
	err = runWriting(ctx, c, &st, progress, "the files of the angles before kept", func(fr *dataset.Frame) (*dataset.Writer, error) {
		if a := c.frameAngle(int(fr.Meta.Frame)); a != cur {
			if w != nil {
				if err := w.Close(); err != nil {
					return nil, err
				}
			}
			name := fmt.Sprintf("angle_%03d.parquet", a)
			if c.Shard.Count > 1 {
				name = fmt.Sprintf("angle_%03d.shard-%d-of-%d.parquet", a, c.Shard.Index, c.Shard.Count)
			}
			var err error
			if w, err = dataset.Create(filepath.Join(dir, name), meta); err != nil {
				w = nil
				return nil, err
			}
			cur = a
		}
		return w, nil
	})
	if err != nil {
		return st, err
	}
	if w != nil {
		err := w.Close()
		w = nil
		if err != nil {
			return st, err
		}
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// add counts a written frame and reports progress.
func (st *WriteStats) add(fr *dataset.Frame, progress func()) {
	st.Frames++
	st.Primaries += fr.Meta.ProtonsPerFrame
	st.Hits += len(fr.Hits)
	if progress != nil {
		progress()
	}
}
