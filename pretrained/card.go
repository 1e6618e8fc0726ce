package pretrained

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/model"
)

// Card describes an embedded model: what it is, how it was made and how
// well it tracks.
type Card struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Method is the training method ("ptt" or "pat"), Model the network's
	// configuration and Parameters its size.
	Method     string       `json:"method"`
	Model      model.Config `json:"model"`
	Parameters int          `json:"parameters"`
	Provenance
	// BestStep is the step of the checkpoint (the best validation purity
	// ValidationPurity).
	BestStep         int     `json:"best_step"`
	ValidationPurity float64 `json:"validation_purity"`
	// SHA256 is the checksum of the embedded checkpoint file.
	SHA256 string `json:"sha256"`
	// Results are the purity and efficiency on fresh test frames.
	Results []Result `json:"results"`
}

// Provenance says how a model was trained.
type Provenance struct {
	// Config is the training config as given (an embedded name or a
	// file), TrainYAML the resolved config the run recorded.
	Config    string `json:"config"`
	TrainYAML string `json:"train_yaml"`
	// Graph describes the graph options the model was trained with.
	Graph string `json:"graph"`
	// Command is the exact command line that trained it.
	Command string `json:"command"`
	// Simulator is the physics version of the simulation that made the
	// training data, Commit the source tree that trained the model.
	Simulator string `json:"simulator"`
	Commit    string `json:"commit"`
	// Steps is the number of training steps, TrainingSeconds the wall
	// time of the run and Machine where it ran (e.g. "2 cores").
	Steps           int     `json:"steps"`
	TrainingSeconds float64 `json:"training_seconds"`
	Machine         string  `json:"machine"`
}

// Solvers of Result.Solver.
const (
	SolverDefault = "default" // the tool's default assignment (unmatched hits allowed)
	SolverPaper   = "paper"   // the paper's maximum-cardinality solver
)

// Result is the model's tracking on the test frames of one phantom and
// protons per frame, with one solver: mean ± sd over frames, in [0, 1].
type Result struct {
	Phantom         string         `json:"phantom"`
	ProtonsPerFrame int            `json:"protons_per_frame"`
	Solver          string         `json:"solver"`
	Frames          int            `json:"frames"`
	Purity          metrics.MeanSD `json:"purity"`
	Efficiency      metrics.MeanSD `json:"efficiency"`
}

// NewCard makes the card of a checkpoint file's contents: name, a one-line
// description, how it was made, and its results (see ResultsOf). It reads
// the model configuration and the training metadata (method, step, best
// validation) from the checkpoint and computes its SHA-256. A corrupt
// checkpoint is an error.
func NewCard(name, description string, ckpt []byte, prov Provenance, results []Result) (Card, error) {
	ck, err := model.Decode(ckpt)
	if err != nil {
		return Card{}, fmt.Errorf("pretrained: %w", err)
	}
	sum := sha256.Sum256(ckpt)
	c := Card{Name: name, Description: description, Method: ck.Meta["method"], Model: ck.Config,
		Parameters: model.ParamCount(ck.Config), Provenance: prov, SHA256: hex.EncodeToString(sum[:]), Results: results}
	c.BestStep, _ = strconv.Atoi(ck.Meta["step"]) // best.ckpt is saved at its step
	c.ValidationPurity, _ = strconv.ParseFloat(ck.Meta["best_val_purity"], 64)
	slices.SortFunc(c.Results, func(a, b Result) int {
		return strings.Compare(resultKey(a), resultKey(b))
	})
	return c, nil
}

func resultKey(r Result) string {
	return fmt.Sprintf("%s|%08d|%s", r.Solver, r.ProtonsPerFrame, r.Phantom)
}

// ResultsOf turns evaluation groups of one method (metrics.Aggregator or
// the eval table) into results for solver.
func ResultsOf(groups []metrics.Group, method, solver string) []Result {
	var rs []Result
	for _, g := range groups {
		if g.Key.Method != method {
			continue
		}
		rs = append(rs, Result{Phantom: g.Key.Phantom, ProtonsPerFrame: g.Key.ProtonsPerFrame, Solver: solver,
			Frames: g.Frames, Purity: g.Purity, Efficiency: g.Efficiency})
	}
	return rs
}

// Result returns the card's result for a phantom, protons per frame and
// solver.
func (c *Card) Result(phantom string, protons int, solver string) (Result, bool) {
	for _, r := range c.Results {
		if r.Phantom == phantom && r.ProtonsPerFrame == protons && r.Solver == solver {
			return r, true
		}
	}
	return Result{}, false
}

// WriteText writes the card for people: a header, the provenance and a
// table of purity / efficiency in percent per protons per frame (rows)
// and phantom (columns), one table per solver.
func (c *Card) WriteText(w io.Writer) error { return c.write(w, false) }

// WriteMarkdown writes what WriteText does as Markdown (the README's
// model card).
func (c *Card) WriteMarkdown(w io.Writer) error { return c.write(w, true) }

func (c *Card) write(w io.Writer, md bool) error {
	var b strings.Builder
	item, code := "  ", ""
	if md {
		item, code = "- ", "`"
		fmt.Fprintf(&b, "**%s** — %s\n\n", c.Name, c.Description)
	} else {
		fmt.Fprintf(&b, "%s — %s\n", c.Name, c.Description)
	}
	fmt.Fprintf(&b, "%smodel: %s, %d parameters, trained %s (%d steps, best validation purity %.1f %% at step %d)\n",
		item, c.Model.Kind, c.Parameters, strings.ToUpper(c.Method), c.Steps, 100*c.ValidationPurity, c.BestStep)
	fmt.Fprintf(&b, "%sconfig: %s%s%s; graph: %s\n", item, code, c.Config, code, c.Graph)
	fmt.Fprintf(&b, "%ssimulator: %s; commit: %s; training time: %s on %s\n", item, c.Simulator, c.Commit,
		(time.Duration(c.TrainingSeconds) * time.Second).String(), c.Machine)
	fmt.Fprintf(&b, "%scommand: %s%s%s\n", item, code, c.Command, code)
	fmt.Fprintf(&b, "%ssha256: %s%s%s\n", item, code, c.SHA256, code)
	for _, solver := range []string{SolverDefault, SolverPaper} {
		var phantoms []string
		var protons []int
		for _, r := range c.Results {
			if r.Solver != solver {
				continue
			}
			if !slices.Contains(phantoms, r.Phantom) {
				phantoms = append(phantoms, r.Phantom)
			}
			if !slices.Contains(protons, r.ProtonsPerFrame) {
				protons = append(protons, r.ProtonsPerFrame)
			}
		}
		if len(phantoms) == 0 {
			continue
		}
		slices.SortFunc(phantoms, metrics.ComparePhantoms)
		slices.Sort(protons)
		if md {
			c.markdownTable(&b, solver, phantoms, protons)
			continue
		}
		fmt.Fprintf(&b, "  purity / efficiency (%%), %s solver:\n", solver)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "    p/frame\t%s\n", strings.Join(phantoms, "\t"))
		for _, p := range protons {
			fmt.Fprintf(tw, "    %d", p)
			for _, ph := range phantoms {
				fmt.Fprint(tw, "\t"+c.cell(ph, p, solver, "-"))
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownTable writes one solver's results as a Markdown table.
func (c *Card) markdownTable(b *strings.Builder, solver string, phantoms []string, protons []int) {
	fmt.Fprintf(b, "\nPurity / efficiency (%%), %s solver, %s:\n\n| p⁺/frame |", solver, c.framesNote(solver))
	for _, ph := range phantoms {
		fmt.Fprintf(b, " %s |", ph)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(phantoms)) + "\n")
	for _, p := range protons {
		fmt.Fprintf(b, "| %d |", p)
		for _, ph := range phantoms {
			b.WriteString(" " + c.cell(ph, p, solver, "–") + " |")
		}
		b.WriteString("\n")
	}
}

// cell is the "purity / efficiency" of one result in percent, or none
// when the card has no such result.
func (c *Card) cell(phantom string, protons int, solver, none string) string {
	r, ok := c.Result(phantom, protons, solver)
	if !ok {
		return none
	}
	return fmt.Sprintf("%.1f / %.1f", 100*r.Purity.Mean, 100*r.Efficiency.Mean)
}

// framesNote says how many test frames a solver's cells hold ("100 frames
// per cell", or the range).
func (c *Card) framesNote(solver string) string {
	lo, hi := 0, 0
	for _, r := range c.Results {
		if r.Solver != solver {
			continue
		}
		if lo == 0 || r.Frames < lo {
			lo = r.Frames
		}
		hi = max(hi, r.Frames)
	}
	if lo == hi {
		return fmt.Sprintf("%d test frames per cell", lo)
	}
	return fmt.Sprintf("%d–%d test frames per cell", lo, hi)
}
