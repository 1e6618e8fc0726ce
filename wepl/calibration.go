package wepl

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Calibration maps the residual range R₀ a method measures to WEPL. It is
// made by Calibrate from a degrader scan in our own simulation: for each
// water thickness, the mean true WEPL of the truth-tracked protons and the
// core mean (and spread) of each method's R₀. Between scan points the WEPL
// is interpolated linearly in R₀. The fit constants (exponent, scales,
// relative spreads) are part of it, so that a table fully defines the
// estimator.
type Calibration struct {
	Geometry string  // detector geometry name
	Energy   float64 // beam energy, MeV
	// Source says how the table was made (command, seed, statistics).
	Source string
	// P is the Bragg–Kleeman exponent of water (WaterExponent).
	P float64
	// Scale is the fixed S of the fit per signal (deposit, cluster), in
	// keV/µm·mm^(1 − 1/p): the median over the calibration tracks of S
	// fitted freely.
	Scale [numSignals]float64
	// Spread is the relative spread k of the signals about the fitted
	// curve per signal: the square root of the median over the calibration
	// tracks of Σ((yᵢ − fᵢ)/fᵢ)²/(n − 1).
	Spread [numSignals]float64
	Points []CalPoint
}

// CalPoint is one degrader thickness of a calibration.
type CalPoint struct {
	Thickness float64 // water degrader, mm
	WEPL      float64 // mean true WEPL of the protons, mm
	N         int     // tracks
	// Range and SD are the core mean and standard deviation (Core) of R₀
	// per Method.
	Range, SD [numMethods]float64
}

// curve is a piecewise-linear R₀ → WEPL map.
type curve struct{ r, w []float64 }

// wepl returns the WEPL at range r and whether r lies outside the table
// (then the end segment is extended).
func (c *curve) wepl(r float64) (float64, bool) {
	n := len(c.r)
	if math.IsNaN(r) {
		return math.NaN(), false
	}
	k := sort.SearchFloat64s(c.r, r) // first c.r[k] >= r
	outside := r < c.r[0] || r > c.r[n-1]
	k = min(max(k, 1), n-1)
	f := (r - c.r[k-1]) / (c.r[k] - c.r[k-1])
	return c.w[k-1] + f*(c.w[k]-c.w[k-1]), outside
}

// curve returns the map of method m, checking that the range falls
// strictly as the WEPL grows.
func (c *Calibration) curve(m Method) (curve, error) {
	if len(c.Points) < 2 {
		return curve{}, fmt.Errorf("wepl: calibration %s %g MeV has %d points; need 2", c.Geometry, c.Energy, len(c.Points))
	}
	var cv curve
	for i := len(c.Points) - 1; i >= 0; i-- {
		p := &c.Points[i]
		cv.r = append(cv.r, p.Range[m])
		cv.w = append(cv.w, p.WEPL)
	}
	for i := 1; i < len(cv.r); i++ {
		if !(cv.r[i] > cv.r[i-1]) || !(cv.w[i] < cv.w[i-1]) {
			return curve{}, fmt.Errorf("wepl: calibration %s %g MeV, method %s: range %g mm at WEPL %g mm does not fall below %g mm at %g mm",
				c.Geometry, c.Energy, m, cv.r[i-1], cv.w[i-1], cv.r[i], cv.w[i])
		}
	}
	return cv, nil
}

// WEPL returns the calibrated WEPL of residual range r measured with m,
// and whether r lies outside the calibrated span (extrapolated).
func (c *Calibration) WEPL(m Method, r float64) (float64, bool, error) {
	cv, err := c.curve(m)
	if err != nil {
		return 0, false, err
	}
	w, out := cv.wepl(r)
	return w, out, nil
}

// Write writes c as the text table ParseCalibration reads: "# key: value"
// header lines, then CSV with a header row. The same calibration always
// gives the same bytes.
func (c *Calibration) Write(w io.Writer) error {
	var b bytes.Buffer
	g := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	fmt.Fprintf(&b, "# pcttrack WEPL calibration (package wepl): residual range R0 (mm water-equivalent from the detector front) against WEPL (mm)\n")
	fmt.Fprintf(&b, "# geometry: %s\n", c.Geometry)
	fmt.Fprintf(&b, "# energy: %s\n", strconv.FormatFloat(c.Energy, 'g', -1, 64))
	fmt.Fprintf(&b, "# source: %s\n", strings.ReplaceAll(c.Source, "\n", " "))
	fmt.Fprintf(&b, "# p: %s\n", strconv.FormatFloat(c.P, 'f', 6, 64))
	fmt.Fprintf(&b, "# scale: deposit=%s cluster=%s\n", strconv.FormatFloat(c.Scale[0], 'f', 6, 64), strconv.FormatFloat(c.Scale[1], 'f', 6, 64))
	fmt.Fprintf(&b, "# spread: deposit=%s cluster=%s\n", strconv.FormatFloat(c.Spread[0], 'f', 6, 64), strconv.FormatFloat(c.Spread[1], 'f', 6, 64))
	b.WriteString("thickness,wepl,n")
	for _, n := range methodNames {
		fmt.Fprintf(&b, ",range_%s,sd_%s", strings.ReplaceAll(n, "-", "_"), strings.ReplaceAll(n, "-", "_"))
	}
	b.WriteByte('\n')
	for _, p := range c.Points {
		fmt.Fprintf(&b, "%s,%s,%d", strconv.FormatFloat(p.Thickness, 'g', -1, 64), g(p.WEPL), p.N)
		for m := range numMethods {
			fmt.Fprintf(&b, ",%s,%s", g(p.Range[m]), g(p.SD[m]))
		}
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ParseCalibration reads a table written by Calibration.Write. A missing
// key, a malformed number, a row of the wrong width or a table whose range
// does not fall with WEPL is an error naming the line.
func ParseCalibration(r io.Reader) (*Calibration, error) {
	c := new(Calibration)
	sc := bufio.NewScanner(r)
	line := 0
	bad := func(format string, a ...any) error {
		return fmt.Errorf("wepl: calibration line %d: %s", line, fmt.Sprintf(format, a...))
	}
	keys := map[string]bool{}
	header := false
	cols := 3 + 2*int(numMethods)
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if strings.HasPrefix(s, "#") {
			k, v, ok := strings.Cut(strings.TrimSpace(s[1:]), ":")
			if !ok || header {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			var err error
			switch k {
			case "geometry":
				c.Geometry = v
			case "energy":
				c.Energy, err = strconv.ParseFloat(v, 64)
			case "source":
				c.Source = v
			case "p":
				c.P, err = strconv.ParseFloat(v, 64)
			case "scale", "spread":
				dst := &c.Scale
				if k == "spread" {
					dst = &c.Spread
				}
				err = parsePairs(v, dst)
			default:
				continue
			}
			if err != nil {
				return nil, bad("%s: %v", k, err)
			}
			keys[k] = true
			continue
		}
		f := strings.Split(s, ",")
		if !header {
			if len(f) != cols || f[0] != "thickness" {
				return nil, bad("header %q: want %d columns starting with thickness", s, cols)
			}
			header = true
			continue
		}
		if len(f) != cols {
			return nil, bad("%d fields, want %d", len(f), cols)
		}
		var p CalPoint
		v := make([]float64, cols)
		for i, x := range f {
			var err error
			if v[i], err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil || math.IsNaN(v[i]) || math.IsInf(v[i], 0) {
				return nil, bad("field %d %q is not a finite number", i+1, x)
			}
		}
		p.Thickness, p.WEPL, p.N = v[0], v[1], int(v[2])
		for m := range numMethods {
			p.Range[m], p.SD[m] = v[3+2*m], v[4+2*m]
		}
		c.Points = append(c.Points, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wepl: calibration: %w", err)
	}
	for _, k := range []string{"geometry", "energy", "p", "scale", "spread"} {
		if !keys[k] {
			return nil, fmt.Errorf("wepl: calibration: no %q header line", "# "+k+":")
		}
	}
	if !(c.P > 1) || !(c.Energy > 0) {
		return nil, fmt.Errorf("wepl: calibration: exponent p %g or energy %g out of range", c.P, c.Energy)
	}
	for m := range numMethods {
		if _, err := c.curve(m); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parsePairs(v string, dst *[numSignals]float64) error {
	seen := 0
	for _, kv := range strings.Fields(v) {
		k, x, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q is not name=value", kv)
		}
		i := -1
		for s, n := range signalNames {
			if n == k {
				i = s
			}
		}
		if i < 0 {
			return fmt.Errorf("unknown signal %q", k)
		}
		f, err := strconv.ParseFloat(x, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return fmt.Errorf("%s = %q is not a positive number", k, x)
		}
		dst[i] = f
		seen++
	}
	if seen != numSignals {
		return fmt.Errorf("want %s", strings.Join(signalNames[:], " and "))
	}
	return nil
}

// defaultTable is the calibration of the default geometry at 230 MeV,
// made by DefaultCalibrationConfig (TestDefaultCalibration regenerates it).
//
//go:embed calibration/dtc-230.csv
var defaultTable []byte

var defaultCal = sync.OnceValues(func() (*Calibration, error) {
	return ParseCalibration(bytes.NewReader(defaultTable))
})

// Default returns the embedded calibration of the default geometry
// (detector.PresetDTC) at 230 MeV. The caller must not modify it.
func Default() (*Calibration, error) { return defaultCal() }
