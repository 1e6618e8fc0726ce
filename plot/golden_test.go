package plot

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestEventGolden pins the drawing of a hand-made event (layout, styles,
// marks) as SVG text: regenerate with go test ./plot -update and look at
// the picture before committing it.
func TestEventGolden(t *testing.T) {
	g, idx := caseGraph(t, "three-protons-secondary")
	res := resultOf(g, selectPairs(t, g, idx, replace([][2]int{{1, 0}, {13, 12}}, [][2]int{{1, 12}, {13, 0}})))
	fig, _, err := NewEvent(g, res, &EventOptions{
		Method: "crossed", Scores: &Scores{Purity: 0.5, Efficiency: 1.0 / 3},
		Size: Size{Width: 9 * vg.Inch, Height: 4 * vg.Inch},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := fig.Encode(&got, SVG); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "event_golden.svg")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		gotPath := filepath.Join("testdata", "event_golden.got.svg")
		os.WriteFile(gotPath, got.Bytes(), 0o644)
		t.Errorf("event SVG differs from %s; wrote %s (diff them, or -update if the change is intended)", path, gotPath)
	}
}
