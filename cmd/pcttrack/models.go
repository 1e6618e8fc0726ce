package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/pretrained"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/train"
)

func newModelsCmd() *cobra.Command {
	var asJSON, markdown bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List the models embedded in the binary, with their model cards",
		Long: "Prints the card of every embedded model: how it was trained (config, graph, command, simulator\n" +
			"version, commit, training time), its checksum and its purity and efficiency per phantom and protons\n" +
			"per frame with the default assignment and with the paper's solver. `--method model` in track, eval and\n" +
			"plot uses " + pretrained.DefaultName + ".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cards, err := pretrained.Cards()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(cards)
			}
			for i := range cards {
				if i > 0 {
					fmt.Fprintln(out)
				}
				write := cards[i].WriteText
				if markdown {
					write = cards[i].WriteMarkdown
				}
				if err := write(out); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the cards as JSON")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the cards as Markdown (the README's model card)")
	cmd.AddCommand(newModelsCardCmd())
	return cmd
}

func newModelsCardCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "card RUNDIR TEST.parquet... --name NAME --out pretrained/models",
		Short: "Make the model card of a training run and copy its best.ckpt beside it (for shipping a model)",
		Long: "Evaluates RUNDIR/best.ckpt on the test datasets with the default assignment and with the paper's\n" +
			"solver, reads the run's resolved config and training time, and writes NAME.ckpt and NAME.card.json\n" +
			"to --out (pretrained/models to embed the model in the next build).",
		Args: cobra.MinimumNArgs(2),
	}, (*modelsCardFlags).bind, runModelsCard, "name", "out")
}

// modelsCardFlags are the flags of `pcttrack models card`.
type modelsCardFlags struct {
	name, description, config, command, simulator, commit, out string
	workers                                                    int
}

// bind registers the flags on fl.
func (f *modelsCardFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.name, "name", "", "model name (required)")
	fl.StringVar(&f.description, "description", "", "one-line description")
	fl.StringVar(&f.config, "config", "", "the training config as given to train (default: from the run)")
	fl.StringVar(&f.command, "command", "", "the exact command that trained the model")
	fl.StringVar(&f.simulator, "simulator", "", "simulator physics version of the training data")
	fl.StringVar(&f.commit, "commit", "", "commit of the source tree that trained the model")
	fl.StringVar(&f.out, "out", "", "directory for NAME.ckpt and NAME.card.json (required)")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores)")
}

func runModelsCard(cmd *cobra.Command, args []string, f *modelsCardFlags) error {
	run, tests := args[0], args[1:]
	if strings.ContainsAny(f.name, "/\\ ,=") || f.name == "" {
		return fmt.Errorf("models card: --name %q: want a plain name", f.name)
	}
	ckpt := filepath.Join(run, train.FileBest)
	data, err := os.ReadFile(ckpt)
	if err != nil {
		return fmt.Errorf("models card: %w", err)
	}
	yaml, err := os.ReadFile(filepath.Join(run, train.FileConfig))
	if err != nil {
		return fmt.Errorf("models card: %w", err)
	}
	hist, err := train.ReadHistory(run)
	if err != nil {
		return fmt.Errorf("models card: %w", err)
	}
	cfg, err := train.ParseConfig(yaml)
	if err != nil {
		return fmt.Errorf("models card: %s: %w", filepath.Join(run, train.FileConfig), err)
	}
	prov := pretrained.Provenance{Config: f.config, TrainYAML: string(yaml), Graph: cfg.Graph.Summary(),
		Command: f.command, Simulator: f.simulator, Commit: f.commit, Machine: fmt.Sprintf("%d cores", runtime.NumCPU())}
	prov.Steps = len(hist.Steps)
	for _, s := range hist.Steps {
		prov.TrainingSeconds += s.Seconds
	}
	for _, v := range hist.Validations {
		prov.TrainingSeconds += v.Seconds
	}
	src, rs, err := openSources(tests)
	if err != nil {
		return err
	}
	defer closeAll(rs)
	var results []pretrained.Result
	for _, solver := range []string{pretrained.SolverDefault, pretrained.SolverPaper} {
		ms, err := pipeline.ModelMethods(f.name, []string{ckpt}, modelOptions(solver == pretrained.SolverPaper))
		if err != nil {
			return fmt.Errorf("models card: %w", err)
		}
		pos := src.FirstN(0)
		bar := progress.New(cmd.ErrOrStderr(), int64(len(pos)), "card "+solver)
		ev, err := pipeline.Evaluate(cmd.Context(), src, &pipeline.Options{Methods: ms, Workers: f.workers, Frames: pos,
			Progress: func() { bar.Add(1) }})
		bar.Finish()
		if err != nil {
			return err
		}
		results = append(results, pretrained.ResultsOf(ev.Groups, f.name, solver)...)
	}
	card, err := pretrained.NewCard(f.name, f.description, data, prov, results)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("models card: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(f.out, f.name+".ckpt"), data); err != nil {
		return fmt.Errorf("models card: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(f.out, f.name+".card.json"), append(js, '\n')); err != nil {
		return fmt.Errorf("models card: %w", err)
	}
	return card.WriteText(cmd.OutOrStdout())
}

// modelOptions are the learned trackers' options for the --paper flag.
func modelOptions(paper bool) *learned.Options {
	return &learned.Options{Assign: track.Options{Paper: paper}}
}

func init() {
	rootCmd.AddCommand(newModelsCmd())
}
