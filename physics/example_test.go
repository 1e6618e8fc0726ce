package physics_test

import (
	"fmt"

	"github.com/pcttrack/pcttrack/physics"
)

func ExampleMaterial_Range() {
	w := physics.MustMaterial("water")
	al := physics.MustMaterial("aluminium")
	fmt.Printf("CSDA range of 230 MeV protons: %.1f mm water, %.1f mm aluminium\n", w.Range(230), al.Range(230))
	fmt.Printf("after 100 mm of water: %.1f MeV\n", w.EnergyAfter(230, 100))
	fmt.Printf("Highland θ0 in 3.5 mm Al at 150 MeV: %.2f mrad\n", 1e3*physics.HighlandTheta0(150, 3.5, al))
	// Output:
	// CSDA range of 230 MeV protons: 329.6 mm water, 156.3 mm aluminium
	// after 100 mm of water: 186.2 MeV
	// Highland θ0 in 3.5 mm Al at 150 MeV: 8.97 mrad
}
