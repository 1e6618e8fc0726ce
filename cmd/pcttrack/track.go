package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/wepl"
)

func newTrackCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "track D.parquet --method model|follower|physics|truth [--model CKPT] --out T.parquet",
		Short: "Reconstruct the tracks of a dataset and write them to a tracks file",
		Long: "Builds the hit graph of every frame (the paper's cuts, or the graph flags' ones), reconstructs its\n" +
			"tracks with --method (or the learned tracker of checkpoint --model) and writes the tracks that\n" +
			"pass the paper's filter " +
			"(more than 4 hits, deepest deposit above 0.0625 MeV) to a Parquet tracks file: one row per track\n" +
			"hit with the frame, track, order (0 = deepest), the hit's index in its input frame, layer,\n" +
			"position, deposit and truth event id (see dataset/SCHEMA.md). Frames without hits or with one\n" +
			"layer are kept in the file as skipped, with the reason. The output is written atomically: an\n" +
			"error or an interrupt leaves no file.\n\n" +
			"--shard k/K tracks only the frames at positions i with i mod K = k (of the first --frames), so K\n" +
			"jobs (--shard slurm in a Slurm array, --shard k8s/K in a Kubernetes Indexed Job) split the work;\n" +
			"`pcttrack merge` joins their files into the one a single process writes.",
		Args: cobra.ExactArgs(1),
	}, (*trackFlags).bind, runTrack, "out")
}

// trackFlags are the flags of `pcttrack track`.
type trackFlags struct {
	trackingFlags
	method, model, out, shard string
	resume, wepl              bool
	est                       weplEstFlags
}

// bind registers the flags on fl.
func (f *trackFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.method, "method", "", "tracker: "+strings.Join(pipeline.MethodNames(), ", ")+" (model: the embedded default model; see pcttrack models)")
	fl.StringVar(&f.model, "model", "", "checkpoint of the learned tracker, [NAME=]PATH")
	fl.StringVar(&f.out, "out", "", "output tracks file (.parquet), required")
	f.trackingFlags.add(fl, "track only the first N frames (0 = all)")
	fl.StringVar(&f.shard, "shard", "", "track only shard k/K of the frames (or slurm, slurm/K, k8s/K)")
	fl.BoolVar(&f.resume, "resume", false, "keep --out if it already holds this run's shard (a requeued array task); another run there is an error")
	fl.BoolVar(&f.wepl, "wepl", false, "also measure each track's WEPL and exit (the columns of pcttrack wepl)")
	f.est.add(fl)
}

func runTrack(cmd *cobra.Command, args []string, f *trackFlags) error {
	in := args[0]
	gopt, aopt, mopt, err := f.trackingFlags.options("track")
	if err != nil {
		return err
	}
	m, err := pipeline.SelectOne(f.method, f.model, "", mopt)
	if err != nil {
		return fmt.Errorf("track: %w", err)
	}
	if gopt, err = f.graph.forModels("track", []pipeline.Method{m}); err != nil {
		return err
	}
	sh, err := shard.Parse(f.shard)
	if err != nil {
		return fmt.Errorf("track: --shard: %w", err)
	}
	opts, err := runOptions(gopt, aopt)
	if err != nil {
		return err
	}
	r, err := dataset.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	src := pipeline.Concat{r}
	pos := src.SelectShard(f.frames, sh)
	meta := dataset.TracksMeta{Method: m.Name, Config: m.Config, Source: in, Dataset: r.Meta(), Options: opts,
		Frames: int64(src.Counts(f.frames)[0]), Shard: sh.String()}
	var edit func(*dataset.FrameTracks, *pipeline.Output) error
	if f.wepl {
		est, err := f.est.estimator(r.Meta())
		if err != nil {
			return err
		}
		meta.WEPL = est.String()
		edit = wepl.EditTracks(est)
	}
	if f.resume {
		done, err := dataset.HoldsTracks(f.out, meta)
		if err != nil {
			return fmt.Errorf("track: --resume: %w", err)
		}
		if done {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "kept %s: shard %s of this run is complete\n", f.out, sh)
			return err
		}
	}
	bar := progress.New(cmd.ErrOrStderr(), int64(len(pos)), "track")
	opt := &pipeline.Options{Graph: &gopt, Methods: []pipeline.Method{m}, Workers: f.workers, Frames: pos, Progress: func() { bar.Add(1) },
		EditTracks: edit}
	sum, rep, err := pipeline.WriteTracks(cmd.Context(), r, f.out, meta, opt)
	bar.Finish()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s, %d frames (%d skipped), %d tracks, %d track hits in %.2f s: %.1f frames/s\n",
		f.out, m.Name, sum.Frames, len(rep.Skipped), sum.Tracks, sum.Hits, rep.Wall.Seconds(), rep.Rate())
	return err
}

func init() {
	rootCmd.AddCommand(newTrackCmd())
}
