package imaging

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/recon"
	"github.com/pcttrack/pcttrack/sim"
)

// DiffOptions configure Diff.
type DiffOptions struct {
	A, B string // MetaImages written by Reconstruct (or recon.WriteImage)
	Out  string // output prefix: Out.mhd/.raw/.json and Out.png
	// Phantom names the phantom whose disc (radius, ROIs) the statistics
	// are taken over; "" means the phantom in A's JSON provenance (A with
	// ".json" for ".mhd"), and none there means the whole image.
	Phantom string
	// Radius, if positive, replaces the phantom's radius, mm.
	Radius float64
	// Limit of the PNG's colour scale, ±RSP; 0 means the 99th percentile
	// of |Δ| inside the disc (the phantom's rim would take the scale).
	Limit float64
}

// DiffResult is what Diff measured; it is also the JSON written beside
// the difference image.
type DiffResult struct {
	Commit  string  `json:"commit"`
	A       string  `json:"a"`
	B       string  `json:"b"`
	Phantom string  `json:"phantom"`
	Radius  float64 `json:"radius_mm"` // of the disc; 0 = the whole image
	// Inside are the statistics of A − B over the pixels inside the disc.
	Inside struct {
		Pixels  int    `json:"pixels"`
		Mean    Number `json:"mean"`
		RMS     Number `json:"rms"`
		MeanAbs Number `json:"mean_abs"`
		MaxAbs  Number `json:"max_abs"`
		P99Abs  Number `json:"p99_abs"`
	} `json:"inside"`
	// ROIs are the mean and standard deviation of A − B per ROI of the
	// phantom (Mean is the mean difference; Truth 0, Diff and RelErr NaN).
	ROIs []ROIResult `json:"rois"`
}

// Diff reads images A and B of the same grid, writes A − B (the bias map
// of A against the reference B, or the difference of two seeds' images)
// as a MetaImage with JSON and a PNG on a diverging scale, and returns
// its statistics inside the phantom. Unreadable images, different grids
// and an unknown phantom are errors, and then nothing is written.
func Diff(o DiffOptions) (*DiffResult, error) {
	if o.A == "" || o.B == "" || o.Out == "" {
		return nil, errors.New("imaging: diff needs two images and an output prefix")
	}
	if o.Radius < 0 || math.IsNaN(o.Radius) || math.IsInf(o.Radius, 0) || o.Limit < 0 || math.IsNaN(o.Limit) || math.IsInf(o.Limit, 0) {
		return nil, fmt.Errorf("imaging: diff radius %g mm and scale limit %g must be finite and not negative", o.Radius, o.Limit)
	}
	a, err := recon.ReadImage(o.A)
	if err != nil {
		return nil, err
	}
	b, err := recon.ReadImage(o.B)
	if err != nil {
		return nil, err
	}
	d, err := recon.Subtract(nil, a, b)
	if err != nil {
		return nil, fmt.Errorf("imaging: %s − %s: %w", o.A, o.B, err)
	}
	res := &DiffResult{Commit: recon.Commit(), A: o.A, B: o.B, Phantom: o.Phantom}
	if res.Phantom == "" {
		if res.Phantom, err = phantomOf(o.A); err != nil {
			return nil, err
		}
	}
	var rois []recon.ROI
	if res.Phantom != "" {
		solid, err := sim.SolidByName(res.Phantom)
		if err != nil {
			return nil, fmt.Errorf("imaging: %w", err)
		}
		res.Radius, _, _ = solid.Radius()
		for _, r := range solid.ROIs {
			rois = append(rois, recon.ROI{Name: r.Name, X: r.X, Z: r.Z, R: r.R, Truth: math.NaN()})
		}
	}
	res.Radius = cmp.Or(o.Radius, res.Radius)
	st := recon.SummarizeDiff(d, 0, 0, res.Radius)
	in := &res.Inside
	in.Pixels, in.Mean, in.RMS, in.MeanAbs, in.MaxAbs, in.P99Abs = st.N, Number(st.Mean), Number(st.RMS), Number(st.MeanAbs), Number(st.MaxAbs), Number(st.P99Abs)
	for _, s := range recon.Measure(d, rois) {
		res.ROIs = append(res.ROIs, ROIResult{Name: s.Name, Mean: Number(s.Mean), Std: Number(s.Std), Pixels: s.N,
			Diff: Number(math.NaN()), RelErr: Number(math.NaN())})
	}
	lim := o.Limit
	if lim == 0 && st.N > 0 {
		lim = st.P99Abs
	}
	fig, err := plot.NewDiffImage(d, &plot.DiffImageOptions{Limit: lim, ROIs: rois,
		Title: fmt.Sprintf("%s − %s: mean %+.4f, RMS %.4f, mean |Δ| %.4f inside", baseName(o.A), baseName(o.B), st.Mean, st.RMS, st.MeanAbs)})
	if err != nil {
		return nil, err
	}
	var png bytes.Buffer
	if err := fig.Encode(&png, plot.PNG); err != nil {
		return nil, err
	}
	if err := recon.WriteImage(o.Out+".mhd", d, res); err != nil {
		return nil, err
	}
	return res, atomicfile.WriteFile(o.Out+".png", png.Bytes())
}

// phantomOf returns the phantom named in the JSON provenance beside the
// image path, or "" if there is none.
func phantomOf(path string) (string, error) {
	js := strings.TrimSuffix(path, ".mhd") + ".json"
	data, err := os.ReadFile(js)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("imaging: %w", err)
	}
	var meta struct {
		Phantom string `json:"phantom"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return "", fmt.Errorf("imaging: %s: %w", js, err)
	}
	return meta.Phantom, nil
}

func baseName(p string) string {
	p = strings.TrimSuffix(p, ".mhd")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
