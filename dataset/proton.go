package dataset

import (
	"fmt"
	"math"
)

// PlaneState is a proton's position (mm) and direction on a plane of
// constant z in the beam frame of its projection: x lateral, y along the
// rotation axis, z along the beam; TX and TY are the direction tangents
// dx/dz and dy/dz.
type PlaneState struct {
	X, Y, Z float64
	TX, TY  float64
}

// At returns the state moved along a straight line to the plane z.
func (s PlaneState) At(z float64) PlaneState {
	d := z - s.Z
	return PlaneState{X: s.X + s.TX*d, Y: s.Y + s.TY*d, Z: z, TX: s.TX, TY: s.TY}
}

// Proton is one proton history in list mode: what an image reconstruction
// needs of it. Coordinates are in the beam frame of its projection (see
// BeamToObject). For the Bergen DTC, which has no front tracker, In is the
// nominal pencil-beam spot (position and direction of the spot axis) and
// Out comes from the two tracker layers.
type Proton struct {
	Frame   int64   // frame of the source dataset, -1 if none
	EventID int64   // Monte-Carlo history, -1 if unknown
	Angle   float64 // projection angle, degrees: the object is rotated by Angle about +y
	In, Out PlaneState
	WEPL    float64 // water-equivalent path length through the object, mm
	// Class and TrueWEPL carry what the Monte-Carlo truth says of the
	// measurement through the cuts, for scoring; reconstruction ignores
	// them. Class is the producer's label (imaging: the wepl.ErrorType of
	// the proton's track, 0 = correct, as for truth pairing); TrueWEPL is
	// the WEPL of the history's primary, mm, NaN if unknown. They mean
	// something only where the producer sets them (recon.AppendTruth,
	// imaging's tracks).
	Class    int32
	TrueWEPL float64
}

// Check returns an error if a field is not finite or In does not lie
// upstream of Out.
func (p *Proton) Check() error {
	v := [...]float64{p.Angle, p.In.X, p.In.Y, p.In.Z, p.In.TX, p.In.TY, p.Out.X, p.Out.Y, p.Out.Z, p.Out.TX, p.Out.TY}
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("non-finite position, direction or angle (%v)", x)
		}
	}
	if math.IsNaN(p.WEPL) || math.IsInf(p.WEPL, 0) {
		return fmt.Errorf("WEPL is %v", p.WEPL)
	}
	if !(p.In.Z < p.Out.Z) {
		return fmt.Errorf("entry plane z = %g mm is not upstream of the exit plane z = %g mm", p.In.Z, p.Out.Z)
	}
	return nil
}

// Rotation is the rotation of a projection at one angle (the object
// rotated by the angle about +y, right-handed, so +z turns towards +x):
// the object point (X, Z) appears at x = X cos + Z sin, z = −X sin + Z cos
// in the beam frame. The y coordinate is the same in both frames and the
// rotation axis is x = z = 0.
type Rotation struct{ Sin, Cos float64 }

// NewRotation returns the rotation of a projection at deg degrees.
func NewRotation(deg float64) Rotation {
	s, c := math.Sincos(deg * math.Pi / 180)
	return Rotation{s, c}
}

// ToObject returns the object coordinates of the beam-frame point (x, z).
func (r Rotation) ToObject(x, z float64) (X, Z float64) {
	return x*r.Cos - z*r.Sin, x*r.Sin + z*r.Cos
}

// ToBeam returns the beam-frame coordinates of the object point (X, Z).
func (r Rotation) ToBeam(X, Z float64) (x, z float64) {
	return X*r.Cos + Z*r.Sin, -X*r.Sin + Z*r.Cos
}

// BeamToObject returns the object coordinates (X, Z) of the beam-frame
// point (x, z) of a projection at angle deg (see Rotation).
func BeamToObject(deg, x, z float64) (X, Z float64) { return NewRotation(deg).ToObject(x, z) }

// ObjectToBeam is the inverse of BeamToObject.
func ObjectToBeam(deg, X, Z float64) (x, z float64) { return NewRotation(deg).ToBeam(X, Z) }
