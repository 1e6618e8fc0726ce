package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/wepl"
)

// weplEstFlags choose the estimator (shared with `pcttrack track --wepl`).
type weplEstFlags struct {
	method, calibration string
	minRange            float64
}

func (f *weplEstFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.method, "wepl-method", "fit", "range estimator: fit (Bragg–Kleeman fit of the deposits), fit-cluster (of the cluster sizes) or last-layer")
	fl.StringVar(&f.calibration, "calibration", "", "range → WEPL calibration table (pcttrack wepl --calibrate); default: the embedded one (dtc, 230 MeV)")
	fl.Float64Var(&f.minRange, "min-residual-range", 0, "cut tracks with a residual range below this, mm water-equivalent (0 = 25, negative = no cut)")
}

func (f *weplEstFlags) options() (wepl.Options, error) {
	m, err := wepl.ParseMethod(f.method)
	if err != nil {
		return wepl.Options{}, err
	}
	o := wepl.Options{Method: m, MinResidualRange: f.minRange}
	if f.calibration != "" {
		data, err := os.ReadFile(f.calibration)
		if err != nil {
			return o, fmt.Errorf("wepl: %w", err)
		}
		if o.Calibration, err = wepl.ParseCalibration(bytes.NewReader(data)); err != nil {
			return o, fmt.Errorf("%w (in %s)", err, f.calibration)
		}
	}
	return o, nil
}

// estimator makes the estimator for the tracks of a dataset.
func (f *weplEstFlags) estimator(m dataset.Meta) (*wepl.Estimator, error) {
	opt, err := f.options()
	if err != nil {
		return nil, err
	}
	return wepl.NewFor(m, &opt)
}
