package plot

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/plot/vg"
)

func TestFormatOf(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Format
		ok   bool
	}{
		{"a.png", PNG, true},
		{"dir.x/B.PNG", PNG, true},
		{"c.svg", SVG, true},
		{"c.Svg", SVG, true},
		{"d.pdf", 0, false},
		{"png", 0, false},
		{"", 0, false},
	} {
		got, err := FormatOf(tc.path)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("FormatOf(%q) = %v, %v", tc.path, got, err)
		}
	}
	if PNG.String() != "png" || SVG.String() != "svg" || Format(9).String() != "Format(9)" {
		t.Errorf("Format strings %v %v %v", PNG, SVG, Format(9))
	}
}

// testFigures returns one small figure of every kind.
func testFigures(t *testing.T) map[string]*Figure {
	t.Helper()
	g, idx := caseGraph(t, "three-protons-secondary")
	res := resultOf(g, selectPairs(t, g, idx, threeTrue))
	ev, _, err := NewEvent(g, res, &EventOptions{Method: "truth", Scores: &Scores{1, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := NewCurves([]Series{
		{Name: "a", Panel: "loss", X: []float64{0, 1, 2}, Y: []float64{1, 0.5, 0.2}, Smooth: 0.5},
		{Name: "b", Panel: "loss", X: []float64{0, 1, 2}, Y: []float64{2, 0.4, 0.1}},
		{Name: "a", Panel: "purity", X: []float64{0, 2}, Y: []float64{0.5, 0.9}},
	}, &CurvesOptions{LogY: []string{"loss"}, Title: "curves"})
	if err != nil {
		t.Fatal(err)
	}
	vp, err := NewVersusProtons([]Point{
		{"PTT", 50, 0.949, 0.004, 0.838, 0.003},
		{"PTT", 100, 0.874, 0.004, 0.752, 0.003},
		{"follower", 100, 0.83, 0, 0.746, 0},
	}, &VersusOptions{Dashed: []string{"follower"}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewStability([]Bar{{Label: "PTT", Value: 0.012, SD: 0.002}, {Label: "PAT λ=50", Value: 0.003}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*Figure{"event": ev, "curves": cu, "versus": vp, "stability": st}
}

func TestSaveSizesAndFormats(t *testing.T) {
	dir := t.TempDir()
	for name, fig := range testFigures(t) {
		t.Run(name, func(t *testing.T) {
			fig.Size = Size{Width: 5 * vg.Inch, Height: 3 * vg.Inch, DPI: 60}
			img, err := png.Decode(bytes.NewReader(saved(t, fig, filepath.Join(dir, name+".png"))))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 300 || b.Dy() != 180 {
				t.Errorf("PNG is %d×%d pixels, want 300×180", b.Dx(), b.Dy())
			}

			root, n := parseXML(t, saved(t, fig, filepath.Join(dir, name+".svg")))
			if root.Name.Local != "svg" || n < 20 {
				t.Errorf("SVG root <%s> with %d elements, want <svg> with many", root.Name.Local, n)
			}
			var width string
			for _, a := range root.Attr {
				if a.Name.Local == "width" {
					width = a.Value
				}
			}
			if width != "360pt" {
				t.Errorf("SVG width %q, want 360pt", width)
			}
		})
	}
}

// saved saves fig to path and returns the file's bytes.
func saved(t *testing.T, fig *Figure, path string) []byte {
	t.Helper()
	if err := fig.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseXML checks that data is well-formed XML and returns its root
// element and the number of elements.
func parseXML(t *testing.T, data []byte) (xml.StartElement, int) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var root xml.StartElement
	n := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if n == 0 {
				root = se
			}
			n++
		}
	}
	return root, n
}

func TestSaveErrorsLeaveNoFile(t *testing.T) {
	dir := t.TempDir()
	fig := testFigures(t)["stability"]
	for _, tc := range []struct {
		name string
		path string
		size Size
	}{
		{"unknown extension", filepath.Join(dir, "a.jpg"), fig.Size},
		{"missing directory", filepath.Join(dir, "no", "a.png"), fig.Size},
		{"bad size", filepath.Join(dir, "a.png"), Size{Width: -3, Height: 100}},
		{"too many pixels", filepath.Join(dir, "a.png"), Size{Width: 200 * vg.Inch, Height: 100, DPI: 150}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := testFigures(t)["stability"]
			f.Size = tc.size
			if err := f.Save(tc.path); err == nil {
				t.Fatal("no error")
			}
			assertOnlyFiles(t, dir)
		})
	}
	if err := fig.Encode(io.Discard, Format(0)); err == nil {
		t.Error("Encode with format 0: no error")
	}
	if err := fig.Encode(failWriter{}, PNG); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Encode to a failing writer: err = %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeDeterministicAndConcurrent(t *testing.T) {
	fig := testFigures(t)["event"]
	fig.Size = Size{Width: 4 * vg.Inch, Height: 2 * vg.Inch, DPI: 40}
	var wg sync.WaitGroup
	out := make([]bytes.Buffer, 4)
	for i := range out {
		format := PNG
		if i%2 == 1 {
			format = SVG
		}
		wg.Go(func() {
			if err := fig.Encode(&out[i], format); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if !bytes.Equal(out[0].Bytes(), out[2].Bytes()) || !bytes.Equal(out[1].Bytes(), out[3].Bytes()) {
		t.Error("the same figure encoded twice gives different bytes")
	}
}

func TestFigureSizeZeroFields(t *testing.T) {
	fig, err := NewStability([]Bar{{Label: "PTT", Value: 0.01}}, &StabilityOptions{Size: Size{Width: 4 * vg.Inch, Height: 2 * vg.Inch}})
	if err != nil {
		t.Fatal(err)
	}
	fig.Size = Size{DPI: 50} // keep the chosen 4 × 2 inch
	var b bytes.Buffer
	if err := fig.Encode(&b, PNG); err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&b)
	if err != nil || cfg.Width != 200 || cfg.Height != 100 {
		t.Errorf("PNG %d×%d, %v; want 200×100", cfg.Width, cfg.Height, err)
	}
}

func TestSizeResolve(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Size
		want Size
		ok   bool
	}{
		{"defaults", Size{}, Size{Width: 100, Height: 50, DPI: DefaultDPI}, true},
		{"given", Size{Width: 10, Height: 20, DPI: 72}, Size{Width: 10, Height: 20, DPI: 72}, true},
		{"negative width", Size{Width: -1}, Size{}, false},
		{"negative dpi", Size{DPI: -1}, Size{}, false},
		{"too large", Size{Width: 30 * vg.Inch, DPI: 1000}, Size{}, false},
	} {
		got, err := tc.in.resolve(100, 50)
		if (err == nil) != tc.ok || tc.ok && got != tc.want {
			t.Errorf("%s: resolve = %+v, %v", tc.name, got, err)
		}
		if err := tc.in.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v", tc.name, err)
		}
	}
}
