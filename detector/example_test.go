package detector_test

import (
	"fmt"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/physics"
)

// The range helpers of a compiled geometry: where a 230 MeV proton ends up
// behind 100 mm of water, and the energy it has left at a given layer.
func ExampleNewStack() {
	st, err := detector.NewStack(detector.Default())
	if err != nil {
		panic(err)
	}
	e := physics.Water.EnergyAfter(230, 100) // MeV at the detector
	fmt.Printf("%d layers, WET per calorimeter layer %.2f mm\n", st.NumLayers(), st.WET(10))
	fmt.Printf("entering with %.1f MeV: last layer reached %d, %.1f MeV at layer 20\n",
		e, st.LayersReached(-1, e), st.EnergyAt(-1, 20, e))
	fmt.Printf("energy needed at layer 20 to reach layer 25: %.1f MeV\n", st.MinEnergy(20, 25))
	// Output:
	// 50 layers, WET per calorimeter layer 8.13 mm
	// entering with 186.2 MeV: last layer reached 29, 96.8 MeV at layer 20
	// energy needed at layer 20 to reach layer 25: 69.0 MeV
}
