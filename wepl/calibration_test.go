package wepl

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/detector"
)

// The embedded table is what `pcttrack wepl --calibrate` makes with the
// defaults. After a change of the simulation's physics, regenerate it:
//
//	go run ./cmd/pcttrack wepl --calibrate --out wepl/calibration/dtc-230.csv
func TestDefaultCalibration(t *testing.T) {
	got, err := Calibrate(context.Background(), DefaultCalibrationConfig())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := got.Write(&b); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b.Bytes(), defaultTable) {
		return
	}
	// Another architecture may fuse multiply-adds and so shift a few
	// protons; the table must still agree to well within its statistics.
	want, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("regenerated table differs in its bytes:\n%s", b.String())
	if len(got.Points) != len(want.Points) || got.Geometry != want.Geometry || got.Energy != want.Energy || got.Source != want.Source {
		t.Fatalf("regenerated calibration has %d points for %s %g MeV (%s), embedded %d for %s %g MeV (%s): regenerate it",
			len(got.Points), got.Geometry, got.Energy, got.Source, len(want.Points), want.Geometry, want.Energy, want.Source)
	}
	near := func(what string, a, b, tol float64) {
		if math.Abs(a-b) > tol {
			t.Errorf("%s: regenerated %v, embedded %v (regenerate the table)", what, a, b)
		}
	}
	near("p", got.P, want.P, 1e-6)
	for s := range numSignals {
		near("scale", got.Scale[s], want.Scale[s], 0.01)
		near("spread", got.Spread[s], want.Spread[s], 0.01)
	}
	for i, p := range got.Points {
		w := want.Points[i]
		near("wepl", p.WEPL, w.WEPL, 0.01)
		for m := range numMethods {
			near(m.String()+" range", p.Range[m], w.Range[m], 0.05)
		}
	}
}

func TestCalibrationTable(t *testing.T) {
	cal, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if cal.Geometry != detector.PresetDTC || cal.Energy != 230 || len(cal.Points) != 30 {
		t.Fatalf("embedded calibration: %s %g MeV, %d points", cal.Geometry, cal.Energy, len(cal.Points))
	}
	// Write and ParseCalibration are inverse
	var b bytes.Buffer
	if err := cal.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), defaultTable) {
		t.Fatal("writing the parsed embedded table does not give its bytes")
	}
	// The map interpolates linearly between the scan points and extends
	// the end segments outside.
	for m := range numMethods {
		for _, p := range cal.Points {
			if w, out, _ := cal.WEPL(m, p.Range[m]); math.Abs(w-p.WEPL) > 1e-9 || out {
				t.Errorf("%s at the point of %g mm: %v (outside %v)", m, p.Thickness, w, out)
			}
		}
		a, c := cal.Points[3], cal.Points[4]
		mid := 0.5 * (a.Range[m] + c.Range[m])
		if w, _, _ := cal.WEPL(m, mid); math.Abs(w-0.5*(a.WEPL+c.WEPL)) > 1e-9 {
			t.Errorf("%s between points: %v", m, w)
		}
		if _, out, _ := cal.WEPL(m, cal.Points[0].Range[m]+1); !out {
			t.Errorf("%s: a range beyond the table is not outside", m)
		}
	}
	// The sum of WEPL and residual range is about the beam's water range.
	for _, p := range cal.Points {
		if s := p.WEPL + p.Range[MethodFit]; s < 320 || s > 335 {
			t.Errorf("%g mm: WEPL + range = %v", p.Thickness, s)
		}
	}
	st, _ := detector.NewStack(detector.Default())
	if s := cal.Straggling(st); s < 3 || s > 4.5 {
		t.Errorf("straggling %v mm", s)
	}
}

func TestParseCalibrationErrors(t *testing.T) {
	good := string(defaultTable)
	lines := strings.Split(good, "\n")
	row := lines[9]
	for name, tc := range map[string]struct{ text, want string }{
		"no geometry":  {strings.Replace(good, "# geometry: dtc\n", "", 1), `no "# geometry:" header`},
		"bad energy":   {strings.Replace(good, "# energy: 230", "# energy: hot", 1), "line 3: energy"},
		"bad scale":    {strings.Replace(good, "deposit=", "deposit=-", 1), "not a positive number"},
		"short row":    {strings.Replace(good, row, row[:strings.LastIndex(row, ",")], 1), "fields, want 9"},
		"nan":          {strings.Replace(good, row, field(row, 3, "NaN"), 1), "field 4 \"NaN\" is not a finite number"},
		"not monotone": {strings.Replace(good, row, field(row, 3, "999"), 1), "does not fall below"},
		"empty":        {"", "no \"# geometry:\""},
	} {
		_, err := ParseCalibration(strings.NewReader(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

// field returns the CSV row with field i replaced by v.
func field(row string, i int, v string) string {
	f := strings.Split(row, ",")
	f[i] = v
	return strings.Join(f, ",")
}

func TestCore(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var x []float64
	for range 20000 {
		x = append(x, 2+3*rng.NormFloat64())
	}
	for range 1000 { // a 5 % tail far out
		x = append(x, 40+10*rng.Float64())
	}
	x = append(x, math.NaN())
	c := CoreOf(x)
	if c.N != 21000 || math.Abs(c.Mean-2) > 0.06 || math.Abs(c.SD-3) > 0.06 {
		t.Errorf("core %+v, want mean 2, sd 3 of 21000", c)
	}
	if math.Abs(c.Tail-(1000+0.0027*20000)/21000) > 0.004 {
		t.Errorf("tail %v", c.Tail)
	}
	if c := CoreOf([]float64{5, 5, 5}); c.Mean != 5 || c.SD != 0 || c.Tail != 0 {
		t.Errorf("constant sample: %+v", c)
	}
	if c := CoreOf(nil); !math.IsNaN(c.Mean) || c.N != 0 {
		t.Errorf("empty sample: %+v", c)
	}
}
