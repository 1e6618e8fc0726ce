package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/landscape"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/zoo"
)

func newLandscapeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "landscape line|plane|merge",
		Short: "Loss landscapes of trained models: linear paths and 2-D slices",
	}
	cmd.AddCommand(newLandscapeLineCmd(), newLandscapePlaneCmd(), newLandscapeMergeCmd())
	return cmd
}

func pointOf(m *zoo.Member) landscape.Point {
	return landscape.Point{Params: landscape.Of(m.Net.Params()), Buffers: landscape.Of(m.Net.Buffers())}
}

// prepareOut creates the output directory.
func prepareOut(cmd, dir string) error {
	if dir == "" {
		return fmt.Errorf("%s: --out is required", cmd)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}

func newLandscapeLineCmd() *cobra.Command {
	var zf zooFlags
	var ef pathEvalFlags
	var out string
	var points int
	var resume bool
	cmd := &cobra.Command{
		Use:   "line A.ckpt B.ckpt --out DIR",
		Short: "Evaluate the linear interpolation between two models",
		Long: "Evaluates the models (1−t)·A + t·B at --points values of t in [0, 1] (51, the paper's) on --frames frames of\n" +
			"the models' training data (100, spread evenly, the authors' subset): split Hamming loss of the per-layer\n" +
			"LSAP selection (printed ×10⁻³), split BCE, TPR and FPR (per frame and pooled), purity and efficiency, each\n" +
			"averaged over frames as `pcttrack eval` does — at t = 0 and 1 they equal eval of A and B in the same\n" +
			"batch-norm mode. Writes DIR/line.json, line.csv and line.png. Ctrl-C keeps the finished frames; --resume\n" +
			"continues.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dopt, eopt, err := analysisOptions("landscape line", &zf, &ef)
			if err != nil {
				return err
			}
			if err := checkBounds("landscape line", atLeast("points", points, 2)); err != nil {
				return err
			}
			ms, err := zoo.Load(args, 2, len(dopt.Files) == 0)
			if err != nil {
				return err
			}
			if err := prepareOut("landscape line", out); err != nil {
				return err
			}
			d, err := zoo.LoadData(cmd.Context(), ms, dopt, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			a, b := byPath(ms, args[0]), byPath(ms, args[1])
			ts := landscape.Ts(points)
			eopt.Workers, eopt.Progress, eopt.State, eopt.Resume = zf.workers, cmd.ErrOrStderr(), filepath.Join(out, ".line.state.json"), resume
			eopt.Desc = "line " + a.Name + "→" + b.Name
			res, err := landscape.EvalPath(cmd.Context(), a.Net, landscape.Linear(pointOf(a), pointOf(b), ts), ts, d, eopt)
			if err != nil {
				if cmd.Context().Err() != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "pcttrack: landscape line interrupted; --resume continues")
				}
				return err
			}
			c := &landscape.Connection{Ends: [2]landscape.Endpoint{endpoint(a), endpoint(b)}, Frames: d.Source, BN: eopt.BN, Linear: res}
			files, err := writePaths(out, "line", c)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "linear path %s → %s on %d frames (of %s), batch norm %s\n", a.Name, b.Name, d.Len(), d.Source, eopt.BN)
			if err := writePathTable(w, res); err != nil {
				return err
			}
			return printWrote(w, files)
		},
	}
	fl := cmd.Flags()
	zf.add(fl, 100, "evaluated")
	ef.add(fl)
	fl.StringVar(&out, "out", "", "output directory (required)")
	fl.IntVar(&points, "points", 51, "values of t in [0, 1]")
	fl.BoolVar(&resume, "resume", false, "continue an interrupted evaluation in DIR")
	cmd.MarkFlagRequired("out")
	return cmd
}

// byPath returns the member loaded from path (zoo.Load sorts members).
func byPath(ms []*zoo.Member, path string) *zoo.Member {
	for _, m := range ms {
		if m.Path == path {
			return m
		}
	}
	return ms[0]
}

func endpoint(m *zoo.Member) landscape.Endpoint {
	return landscape.Endpoint{Name: m.Name, Group: m.Group, Path: m.Path, Fingerprint: m.Fingerprint}
}

func writePathTable(w io.Writer, ms []landscape.Metrics) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "t\tHamming ×10⁻³\tBCE\tTPR %\tFPR %\tpurity %\tefficiency %\t")
	for _, m := range ms {
		fmt.Fprintf(tw, "%.2f\t%.2f\t%.4f\t%.2f\t%.3f\t%.2f\t%.2f\t\n", m.T, 1e3*m.Hamming, m.BCE, 100*m.PooledTPR, 100*m.PooledFPR, 100*m.Purity, 100*m.Efficiency)
	}
	return tw.Flush()
}

// writePaths writes DIR/name.json, name.csv and name.png (loss along t).
func writePaths(dir, name string, c *landscape.Connection) ([]string, error) {
	js := filepath.Join(dir, name+".json")
	if err := c.WriteJSON(js); err != nil {
		return nil, err
	}
	names, pts := c.Paths()
	var buf bytes.Buffer
	if err := landscape.WriteMetricsCSV(&buf, names, pts); err != nil {
		return nil, err
	}
	cs := filepath.Join(dir, name+".csv")
	if err := atomicfile.WriteFile(cs, buf.Bytes()); err != nil {
		return nil, err
	}
	var series []plot.Series
	for i, n := range names {
		var t, h, tpr, bce []float64
		for _, m := range pts[i] {
			t, h, tpr, bce = append(t, m.T), append(h, 1e3*m.Hamming), append(tpr, 100*m.PooledTPR), append(bce, m.BCE)
		}
		series = append(series, plot.Series{Name: n, Panel: "split Hamming (×10⁻³)", X: t, Y: h},
			plot.Series{Name: n, Panel: "split BCE", X: t, Y: bce},
			plot.Series{Name: n, Panel: "TPR (%)", X: t, Y: tpr})
	}
	png := filepath.Join(dir, name+".png")
	title := c.Ends[0].Name + " → " + c.Ends[1].Name
	if err := plot.Curves(png, series, &plot.CurvesOptions{Title: title, XLabel: "t", LogY: []string{"split Hamming (×10⁻³)", "split BCE"}}); err != nil {
		return nil, err
	}
	return []string{js, cs, png}, nil
}

func newLandscapePlaneCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "plane M.ckpt --out DIR",
		Short: "Evaluate a 2-D slice of the loss surface around one model",
		Long: "Finds two directions and evaluates the model θ + α·d0 + β·d1 on a --grid × --grid grid over [−r, r]² (50 × 50\n" +
			"on [−0.5, 0.5]², the paper's) on --frames frames (the first 10 training frames by default).\n\n" +
			"--directions hessian (default): the top-2 eigenvectors (largest |λ|) of the Hessian of the loss on the first\n" +
			"--hessian-frames training frames, networks in evaluation mode, each frame weighted 1, by power iteration with\n" +
			"deflation (--max-iter 100, --tol 1e-3, seed 0, as PyHessian and the authors' copy), or with --lanczos by\n" +
			"the Lanczos method (one Krylov space of at most --max-iter products for both vectors, stopped when both Ritz\n" +
			"residuals are below --tol relative; converges where power iteration cannot, e.g. on ±λ of an indefinite\n" +
			"PAT surrogate); Hessian-vector products\n" +
			"exact (--hvp exact, nn's R-operator; autograd's Hessian of the local linear piece) or by central differences of\n" +
			"gradients (--hvp diff, a curvature smoothed over the step). PTT models use the split BCE; PAT models the\n" +
			"blackbox surrogate gᵀσ(z) at the model's λ with the solver's gradient g = y − y′ held fixed, as the authors'\n" +
			"autograd does. Each direction is then rescaled per tensor to the model's norm (the authors' normalisation).\n" +
			"--directions random: Gaussian directions, filter-normalised (Li et al.; biases and batch-norm parameters zero).\n\n" +
			"Prints the eigenvalues; writes DIR/directions.json (reused by later runs and shards), DIR/plane.json and the\n" +
			"heatmaps hamming.png and bce.png (25 log-spaced contour levels, the model at the red star). --shard k/K\n" +
			"evaluates only the grid points i with i mod K = k into DIR/plane-shard-k-of-K.json; `pcttrack landscape\n" +
			"merge` joins them. Ctrl-C keeps the finished points; --resume continues.",
		Args: cobra.ExactArgs(1),
	}, (*planeFlags).bind, runPlane, "out")
}

// planeFlags are the flags of `landscape plane`.
type planeFlags struct {
	zoo              zooFlags
	eval             pathEvalFlags
	out, dirs, hvp   string
	shard            string
	hessianFrames    int
	grid, maxIter    int
	rng, tol, lambda float64
	seed             uint64
	resume, lanczos  bool
}

// bind registers the flags on fl.
func (f *planeFlags) bind(fl *pflag.FlagSet) {
	f.zoo.add(fl, 10, "the grid is evaluated on")
	f.eval.add(fl)
	fl.StringVar(&f.out, "out", "", "output directory (required)")
	fl.StringVar(&f.dirs, "directions", "hessian", "slice directions: hessian (top-2 eigenvectors) or random (filter-normalised)")
	fl.StringVar(&f.hvp, "hvp", "exact", "Hessian-vector products: exact or diff (central differences)")
	fl.IntVar(&f.hessianFrames, "hessian-frames", 10, "first training frames the Hessian is taken on")
	fl.IntVar(&f.grid, "grid", landscape.DefaultGrid, "grid points per axis")
	fl.Float64Var(&f.rng, "range", landscape.DefaultRange, "the axes span [−range, range]")
	fl.IntVar(&f.maxIter, "max-iter", 100, "power iterations per eigenvector (lanczos: products in all) at most")
	fl.BoolVar(&f.lanczos, "lanczos", false, "find the eigenvectors by the Lanczos method instead of power iteration")
	fl.Float64Var(&f.tol, "tol", 1e-3, "relative tolerance of the eigenvalue")
	fl.Float64Var(&f.lambda, "lambda", 0, "λ of a PAT model's surrogate (0: the model's, from its run config)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the start vectors or random directions")
	fl.StringVar(&f.shard, "shard", "", "evaluate only shard k/K of the grid points")
	fl.BoolVar(&f.resume, "resume", false, "continue an interrupted grid in DIR")
	fl.Lookup("first").DefValue = "true"
	f.zoo.first = true
}

func runPlane(cmd *cobra.Command, args []string, f *planeFlags) error {
	ckpt := args[0]
	dopt, eopt, err := analysisOptions("landscape plane", &f.zoo, &f.eval)
	if err != nil {
		return err
	}
	sh, err := shard.Parse(f.shard)
	if err != nil {
		return fmt.Errorf("landscape plane: --shard: %w", err)
	}
	if err := checkBounds("landscape plane", atLeast("grid", f.grid, 2), positive("range", f.rng), positive("tol", f.tol),
		atLeast("hessian-frames", f.hessianFrames, 1), atLeast("max-iter", f.maxIter, 1), atLeast("lambda", f.lambda, 0)); err != nil {
		return err
	}
	if n := f.grid * f.grid; sh.Count > n {
		return fmt.Errorf("landscape plane: %d grid points cannot be split over %d shards", n, sh.Count)
	}
	kind, err := landscape.ParseDirections(f.dirs)
	if err != nil {
		return err
	}
	method, err := landscape.ParseHVPMethod(f.hvp)
	if err != nil {
		return err
	}
	ms, err := zoo.Load([]string{ckpt}, 1, false)
	if err != nil {
		return err
	}
	m := ms[0]
	if err := prepareOut("landscape plane", f.out); err != nil {
		return err
	}
	dopt.CacheMB = -1 // every grid point reuses the frames
	d, err := zoo.LoadData(cmd.Context(), ms, dopt, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	dirOpt := landscape.DirectionOptions{Kind: kind, Method: method, Seed: f.seed, Lambda: f.lambda,
		Eigen: landscape.EigenOptions{MaxIter: f.maxIter, Tol: f.tol, Seed: f.seed, Lanczos: f.lanczos}, Assign: eopt.Assign, Progress: cmd.ErrOrStderr()}
	var hd *zoo.Data
	if kind == landscape.DirHessian {
		hopt := dopt
		hopt.Frames, hopt.First, hopt.CacheMB = f.hessianFrames, true, -1
		if hd, err = zoo.LoadData(cmd.Context(), ms, hopt, nil); err != nil {
			return err
		}
	}
	dirPath := filepath.Join(f.out, "directions.json")
	t0 := time.Now()
	dirs, err := landscape.LoadOrFindDirections(cmd.Context(), dirPath, m, hd, dirOpt)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if kind == landscape.DirHessian {
		fmt.Fprintf(w, "top Hessian eigenvalues of %s (%s, %s HVPs, %d frames): λ0 = %.6g, λ1 = %.6g (%s: %d and %d iterations, %s)\n",
			m.Name, dirs.Loss, method, hd.Len(), dirs.Eigenvalues[0], dirs.Eigenvalues[1], eigenMethod(f.lanczos), dirs.Iterations[0], dirs.Iterations[1], time.Since(t0).Round(time.Millisecond))
	}
	xs := landscape.Axis(f.grid, f.rng)
	eopt.Workers, eopt.Progress, eopt.State, eopt.Resume = f.zoo.workers, cmd.ErrOrStderr(), stateFile(f.out, "plane", sh), f.resume
	eopt.Desc = "plane " + m.Name
	t1 := time.Now()
	g, err := landscape.EvalGrid(cmd.Context(), m.Net, pointOf(m), dirs.D0, dirs.D1, xs, xs, d, landscape.GridOptions{EvalOptions: eopt, Shard: sh})
	if err != nil {
		if cmd.Context().Err() != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "pcttrack: landscape plane interrupted with %d points done; --resume continues\n", len(g.Points))
		}
		return err
	}
	if sh.Count > 1 {
		p := shardFile(f.out, "plane", sh)
		if err := g.WriteJSON(p); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "shard %s: %d grid points -> %s\n", sh, len(g.Points), p)
		return err
	}
	fmt.Fprintf(w, "grid evaluated in %s\n", time.Since(t1).Round(time.Millisecond))
	return writePlane(w, f.out, m.Name, g)
}

func writePlane(w io.Writer, dir, name string, g *landscape.Grid) error {
	p := filepath.Join(dir, "plane.json")
	if err := g.WriteJSON(p); err != nil {
		return err
	}
	files := []string{p}
	for _, q := range []struct {
		file, label string
		f           func(m *landscape.Metrics) float64
	}{
		{"hamming.png", "split Hamming", func(m *landscape.Metrics) float64 { return m.Hamming }},
		{"bce.png", "split BCE", func(m *landscape.Metrics) float64 { return m.BCE }},
	} {
		fp := filepath.Join(dir, q.file)
		err := plot.Surface(fp, g.X, g.Y, g.Surface(q.f), &plot.SurfaceOptions{Title: q.label + " around " + name,
			XLabel: "α (direction 0)", YLabel: "β (direction 1)", ColorLabel: q.label})
		if err != nil {
			return err
		}
		files = append(files, fp)
	}
	c := g.Points[0]
	for _, p := range g.Points {
		x, y := g.X[p.Index%len(g.X)], g.Y[p.Index/len(g.X)]
		cx, cy := g.X[c.Index%len(g.X)], g.Y[c.Index/len(g.X)]
		if math.Abs(x)+math.Abs(y) < math.Abs(cx)+math.Abs(cy) {
			c = p
		}
	}
	_, err := fmt.Fprintf(w, "%d × %d grid; nearest the model split Hamming %.4g ×10⁻³, BCE %.4g; wrote %s\n", len(g.X), len(g.Y), 1e3*c.Hamming, c.BCE, strings.Join(files, ", "))
	return err
}

func newLandscapeMergeCmd() *cobra.Command {
	var out, name string
	cmd := &cobra.Command{
		Use:   "merge SHARD.json... --out DIR",
		Short: "Join the shards of a landscape plane",
		Long:  "Joins the plane-shard-k-of-K.json files of all K shards of one grid into DIR/plane.json and its heatmaps.",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := mergeShardFiles("landscape merge", out, args, landscape.ReadGrid, landscape.MergeGrids)
			if err != nil {
				return err
			}
			return writePlane(cmd.OutOrStdout(), out, name, g)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output directory (required)")
	cmd.Flags().StringVar(&name, "name", "the model", "model name for the figure titles")
	return cmd
}

func init() {
	rootCmd.AddCommand(newLandscapeCmd())
}

func eigenMethod(lanczos bool) string {
	if lanczos {
		return "lanczos"
	}
	return "power"
}
