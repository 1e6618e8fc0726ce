package pretrained_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/pretrained"
	"github.com/pcttrack/pcttrack/track"
)

// TestEmbeddedModels: every card belongs to its checkpoint (checksum,
// configuration, parameter count), the default model exists and every
// card has results for both solvers.
func TestEmbeddedModels(t *testing.T) {
	names := pretrained.Names()
	if len(names) == 0 {
		t.Fatal("no embedded model")
	}
	if _, _, err := pretrained.Default(); err != nil {
		t.Fatalf("default model: %v", err)
	}
	for _, n := range names {
		ck, c, err := pretrained.Checkpoint(n)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != n || c.Parameters != model.ParamCount(ck.Config) || c.Model.Kind != ck.Config.Kind {
			t.Errorf("%s: card name %q, %d parameters (checkpoint %d), kind %s (%s)", n, c.Name, c.Parameters,
				model.ParamCount(ck.Config), c.Model.Kind, ck.Config.Kind)
		}
		for _, solver := range []string{pretrained.SolverDefault, pretrained.SolverPaper} {
			if _, ok := c.Result("water:100", 100, solver); !ok {
				t.Errorf("%s: no result at 100 mm, 100 p/frame with the %s solver", n, solver)
			}
		}
		var b bytes.Buffer
		if err := c.WriteText(&b); err != nil || !strings.Contains(b.String(), c.SHA256) {
			t.Errorf("%s: WriteText: %v", n, err)
		}
	}
	if _, _, err := pretrained.Load("no-such-model"); err == nil || !strings.Contains(err.Error(), pretrained.DefaultName) {
		t.Errorf("unknown model: %v", err)
	}
}

// TestDefaultModelTracksAsItsCard tracks fresh frames with the default
// model and compares the purity with the card's: a model that does not
// match its card (another checkpoint, broken loading, a changed tracker)
// fails. 6 frames give a mean within a few points of the card's.
func TestDefaultModelTracksAsItsCard(t *testing.T) {
	tr, card, err := pretrained.DefaultTracker(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, ok := card.Result("water:100", 100, pretrained.SolverDefault)
	if !ok {
		t.Fatal("card has no 100 mm / 100 p result")
	}
	frames := simframes.Must(t, 100, 6, 424242)
	gopt := tr.Graph()
	var res track.Result
	var purity float64
	for i := range frames {
		g, err := graph.Build(&frames[i], &gopt)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Track(&res, g); err != nil {
			t.Fatal(err)
		}
		purity += metrics.Evaluate(g, res.Selected, &res.Tracks).Purity
	}
	purity /= float64(len(frames))
	if d := purity - want.Purity.Mean; d < -0.04 || d > 0.04 {
		t.Errorf("purity %.3f on 6 fresh frames, card %.3f ± %.3f", purity, want.Purity.Mean, want.Purity.SD)
	}
}

// TestREADMEHasCards: the README shows every embedded model's card as
// `pcttrack models --markdown` prints it, so a newly shipped model cannot
// leave a stale card there.
func TestREADMEHasCards(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	cards, err := pretrained.Cards()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cards {
		var b bytes.Buffer
		if err := c.WriteMarkdown(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(readme, b.Bytes()) {
			t.Errorf("README.md lacks the card of %s as `pcttrack models --markdown` prints it:\n%s", c.Name, b.String())
		}
	}
}
