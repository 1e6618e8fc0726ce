package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/pretrained"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/train"
)

// Files of the report, in Options.Out.
const (
	FileReport = "REPORT.md"
	FileCurves = "curves.png"         // training curves of the models
	FileVersus = "versus_protons.png" // purity and efficiency vs protons per frame
	FileEvent  = "event.png"          // one reconstructed frame
	FileEval   = "eval.txt"           // the evaluation as printed
	FileJSON   = "eval.json"          // the evaluation as JSON
	eventData  = "water100-p100"      // dataset of the event display
	paperLabel = "paper (10k frames)" // suffix of the published values
)

// Paper are the published purity and efficiency (fractions) behind 100 mm
// of water at 50, 100 and 150 protons per frame (Kortus et al. 2025,
// tables of the line-graph models, mean of 5 seeds; the DTC toolkit's
// track follower from the RL tracker's comparison table), drawn dashed next
// to the demo's results.
var Paper = []plot.Point{
	{Method: "follower " + paperLabel, ProtonsPerFrame: 50, Purity: 0.881, Efficiency: 0.796},
	{Method: "follower " + paperLabel, ProtonsPerFrame: 100, Purity: 0.830, Efficiency: 0.746},
	{Method: "follower " + paperLabel, ProtonsPerFrame: 150, Purity: 0.791, Efficiency: 0.709},
	{Method: "PTT " + paperLabel, ProtonsPerFrame: 50, Purity: 0.949, Efficiency: 0.838},
	{Method: "PTT " + paperLabel, ProtonsPerFrame: 100, Purity: 0.874, Efficiency: 0.752},
	{Method: "PTT " + paperLabel, ProtonsPerFrame: 150, Purity: 0.775, Efficiency: 0.650},
	{Method: "PAT λ=50 " + paperLabel, ProtonsPerFrame: 50, Purity: 0.950, Efficiency: 0.839},
	{Method: "PAT λ=50 " + paperLabel, ProtonsPerFrame: 100, Purity: 0.874, Efficiency: 0.751},
	{Method: "PAT λ=50 " + paperLabel, ProtonsPerFrame: 150, Purity: 0.768, Efficiency: 0.644},
}

// WriteReport is the last stage: it draws the training curves
// (FileCurves), purity and efficiency against protons per frame with the
// published values (FileVersus) and one event reconstructed by the last
// model (or the physics tracker without models; FileEvent), and writes
// FileReport, a Markdown summary of the whole demo that links them.
func WriteReport(ctx context.Context, s *State) error {
	if s.Evaluation == nil {
		return fmt.Errorf("no evaluation (run the evaluate stage first)")
	}
	out := s.Options.Out
	var figs []string
	if len(s.Models) > 0 {
		if err := plot.Curves(filepath.Join(out, FileCurves), curveSeries(s.Models), &plot.CurvesOptions{Columns: 2}); err != nil {
			return err
		}
		figs = append(figs, FileCurves)
	}
	pts := append(points(s.Evaluation.Table), Paper...)
	var dashed []string
	for _, p := range Paper {
		dashed = append(dashed, p.Method)
	}
	if err := plot.VersusProtons(filepath.Join(out, FileVersus), pts,
		&plot.VersusOptions{Title: "100 mm of water", Dashed: dashed}); err != nil {
		return err
	}
	figs = append(figs, FileVersus)
	ev, err := drawEvent(ctx, s)
	if err != nil {
		return err
	}
	if ev != "" {
		figs = append(figs, FileEvent)
	}
	if s.CT != nil {
		figs = append(figs, FileCTImage+".png", FileCTImage+"-profile.png")
	}
	md := report(s, ev)
	path := filepath.Join(out, FileReport)
	if err := atomicfile.WriteFile(path, []byte(md)); err != nil {
		return err
	}
	s.Report = path
	fmt.Fprintf(s.W, "wrote %s with %s\n", path, strings.Join(figs, ", "))
	return nil
}

// curveSeries turns the models' histories into training-curve series:
// one loss panel per model (PTT's BCE and PAT's Hamming loss are not
// comparable) and shared validation panels.
func curveSeries(models []Model) []plot.Series {
	runs := make([]plot.TrainingRun, len(models))
	for i, m := range models {
		h := train.History{Steps: m.Steps, Validations: m.Validations}
		r := plot.TrainingRun{Name: m.Name, Loss: train.LossName(m.Config.Method)}
		r.Step, r.Value, r.ValStep, r.Purity, r.Efficiency = h.Columns()
		runs[i] = r
	}
	return plot.TrainingSeries(runs)
}

// points returns the groups as plot points (one per method and protons per
// frame).
func points(groups []metrics.Group) []plot.Point {
	pts := make([]plot.Point, len(groups))
	for i, g := range groups {
		pts[i] = plot.PointOf(g)
	}
	return pts
}

// drawEvent reconstructs frame 0 of the 100-proton dataset with the last
// model (the physics tracker if none) and draws it; it returns a Markdown
// caption, or "" when there is no such dataset.
func drawEvent(ctx context.Context, s *State) (string, error) {
	var d *Dataset
	for i := range s.Datasets {
		if s.Datasets[i].Name == eventData && len(s.Datasets[i].Frames) > 0 {
			d = &s.Datasets[i]
		}
	}
	if d == nil {
		return "", nil
	}
	var m pipeline.Method
	var err error
	if n := len(s.Models); n > 0 {
		if m, err = s.Models[n-1].Method(); err != nil {
			return "", err
		}
	} else if m, err = pipeline.Builtin(baseline.NamePhysics, nil); err != nil {
		return "", err
	}
	tr, err := m.New()
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	f := &d.Frames[0]
	g, err := graph.Build(f, nil)
	if err != nil {
		return "", fmt.Errorf("%s frame %d: %w", d.Name, f.Meta.Frame, err)
	}
	var res track.Result
	if err := tr.Track(&res, g); err != nil {
		return "", fmt.Errorf("%s frame %d: %s: %w", d.Name, f.Meta.Frame, m.Name, err)
	}
	fm := metrics.Evaluate(g, res.Selected, &res.Tracks)
	sum, err := plot.Event(filepath.Join(s.Options.Out, FileEvent), g, &res,
		&plot.EventOptions{Method: m.Name, Scores: &plot.Scores{Purity: fm.Purity, Efficiency: fm.Efficiency}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Frame %d of %s reconstructed by **%s**: purity %.1f %%, efficiency %.1f %%; "+
		"%d hits (%d of secondaries), %d tracks kept, %d links between different protons (red), "+
		"%d of %d true segments missed (dashed orange).",
		f.Meta.Frame, d.Name, m.Name, 100*fm.Purity, 100*fm.Efficiency, sum.Hits, sum.SecondaryHits,
		sum.Tracks, sum.FalseSelected, sum.Missed, sum.TrueSegments), nil
}

// report writes the Markdown report.
func report(s *State, event string) string {
	var b strings.Builder
	o := s.Options
	mode := "the full demo"
	if o.Quick {
		mode = "--quick, a smoke test with too few frames and steps for meaningful figures"
	}
	fmt.Fprintf(&b, "# pcttrack demo\n\n")
	fmt.Fprintf(&b, "Written %s by `pcttrack demo` (%s; seed %d, %d CPU cores, Go %s); all paths are relative to this folder.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), mode, o.Seed, runtime.GOMAXPROCS(0), runtime.Version())

	b.WriteString("## Test data\n\n")
	b.WriteString("Simulated Bergen DTC (2 tracking + calorimeter layers, 3.5 mm Al absorbers), 230 MeV pencil beam, 100 mm of water.\n\n")
	b.WriteString("| dataset | protons/frame | frames | hits | file |\n|---|---:|---:|---:|---|\n")
	for _, d := range s.Datasets {
		hits := 0
		for _, f := range d.Frames {
			hits += len(f.Hits)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s |\n", d.Name, d.ProtonsPerFrame, len(d.Frames), hits, rel(o.Out, d.Path))
	}

	if len(s.Models) > 0 {
		b.WriteString("\n## Training\n\n")
		b.WriteString("The paper's line-graph interaction network, trained on its own simulated frames (independent of the test data).\n\n")
		b.WriteString("| model | config | how | time | ms/step | best validation purity / efficiency (step) | checkpoint |\n|---|---|---|---:|---:|---|---|\n")
		for _, m := range s.Models {
			sum := m.Summary
			ms := 0.0
			if sum.Steps > 0 {
				ms = 1e3 * sum.Elapsed.Seconds() / float64(sum.Steps)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.1f s | %.0f | %.1f %% / %.1f %% (%d) | %s |\n", m.Name, m.Spec, describe(m.Config),
				sum.Elapsed.Seconds(), ms, 100*sum.Best.Purity, 100*sum.Best.Efficiency, sum.Best.Step, rel(o.Out, m.Checkpoint))
		}
		b.WriteString("\n![training curves](" + FileCurves + ")\n")
	}

	b.WriteString("\n## Results\n\n")
	if slices.Contains(o.Methods, pipeline.MethodModel) {
		b.WriteString("`model` is the model that ships in the binary (`" + pretrained.DefaultName + "`, see `pcttrack models`), not trained by this demo")
		if len(s.Models) > 0 {
			b.WriteString("; ")
			for i, m := range s.Models {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("`" + m.Name + "`")
			}
			b.WriteString(" were trained above")
		}
		b.WriteString(".\n\n")
	}
	b.WriteString("Purity / efficiency in % (the paper's definitions), mean ± sd over frames:\n\n```\n")
	pipeline.WritePaperTable(&b, s.Evaluation.Table)
	b.WriteString("```\n\nPublished at 100 mm of water (10k test frames; follower = the DTC toolkit's track follower):\n\n")
	b.WriteString("| protons/frame | follower | PTT | PAT λ=50 |\n|---:|---|---|---|\n")
	for _, n := range []int{50, 100, 150} {
		fmt.Fprintf(&b, "| %d |", n)
		for _, p := range Paper {
			if p.ProtonsPerFrame == n {
				fmt.Fprintf(&b, " %.1f / %.1f |", 100*p.Purity, 100*p.Efficiency)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n`truth` is the assignment tracker on Monte-Carlo truth costs: the ceiling of any assignment tracker with the paper's graph and track filter.\n")
	b.WriteString("\n![purity and efficiency versus protons per frame](" + FileVersus + ")\n\n")
	b.WriteString("All metrics (segment TPR/FPR after the assignment, TrackML double-majority efficiency, fake rate):\n\n```\n")
	metrics.WriteTable(&b, s.Evaluation.Table)
	b.WriteString("```\n")

	if event != "" {
		b.WriteString("\n## One event\n\n" + event + "\n\n![event display](" + FileEvent + ")\n")
	}

	b.WriteString(ctReport(s))

	b.WriteString("\n## Throughput\n\n```\n")
	s.Evaluation.Report.WriteText(&b)
	for _, t := range s.Times {
		fmt.Fprintf(&b, "stage %-9s %6.1f s\n", t.Stage, t.Time.Seconds())
	}
	fmt.Fprintf(&b, "demo so far %.1f s\n```\n", time.Since(s.start).Seconds())

	b.WriteString("\n## Reproduce\n\n```\n")
	for _, m := range s.Models {
		fmt.Fprintf(&b, "pcttrack train --config %s --out runs/%s\n", m.Spec, m.Name)
	}
	b.WriteString("pcttrack eval")
	for _, d := range s.Datasets {
		b.WriteString(" " + rel(o.Out, d.Path))
	}
	b.WriteString(" --method " + strings.Join(o.Methods, ","))
	for _, m := range s.Models {
		fmt.Fprintf(&b, " --model %s=%s", m.Name, filepath.Join(train.SeedDir(filepath.Join("runs", m.Name), m.Config.Seed), train.FileBest))
	}
	b.WriteString("\n```\n")
	if o.Quick {
		b.WriteString("\n(The quick demo shortens the training runs; the commands above train the full configs.)\n")
	}
	return b.String()
}

// rel returns path relative to dir when it is inside it.
func rel(dir, path string) string {
	if path == "" {
		return "(in memory)"
	}
	if r, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
