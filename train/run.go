package train

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/internal/progress"
)

// Files of a run directory.
const (
	FileConfig  = "config.yaml"   // the resolved config
	FileMetrics = "metrics.jsonl" // one JSON object per step and per validation
	FileBest    = "best.ckpt"     // model with the best validation purity (no optimiser state)
	FileLast    = "last.ckpt"     // latest state, with optimiser, for --resume
)

// RunOptions configures Run. The zero value starts a fresh run without
// progress output.
type RunOptions struct {
	// Resume continues the run in the directory from its last.ckpt (a
	// directory without one starts fresh, so a requeued job can always
	// pass it). The config must equal the saved one except for Steps.
	Resume bool
	// Steps, when > 0, overrides Config.Steps (to extend a resumed run
	// or to shorten a test).
	Steps int
	// Data are frames prepared by LoadData for this config (shared by the
	// seeds of one config); nil loads them.
	Data *Prepared
	// Progress receives progress bars or lines (nil: none).
	Progress io.Writer
	// Recorder, when not nil, also receives the loop's events, after the
	// run directory's own recorder.
	Recorder Recorder
}

// Summary describes a finished (or interrupted) run.
type Summary struct {
	Dir     string
	Seed    uint64
	Steps   int  // steps done
	Resumed bool // continued from last.ckpt
	// ResumedAt is the step the run resumed from (0 for a fresh run).
	ResumedAt int
	// Best is the validation with the best purity (saved as best.ckpt);
	// Last the last validation.
	Best, Last  Validation
	FinalLoss   float64 // mean loss of the last step run (0 if none)
	TrainFrames int
	ValFrames   int
	Elapsed     time.Duration
}

// Run trains the model of cfg in dir (created if needed): it writes
// config.yaml, appends to metrics.jsonl, writes best.ckpt at each new
// best validation purity, and last.ckpt every Config.CheckpointEvery steps
// and at the end (see the File constants; all written atomically). A directory that already holds a
// run (last.ckpt) is an error unless opt.Resume is set. On cancellation it
// saves last.ckpt and returns an *InterruptedError with the summary so
// far.
func Run(ctx context.Context, cfg Config, dir string, opt RunOptions) (Summary, error) {
	start := time.Now()
	cfg, err := cfg.Resolved()
	if err != nil {
		return Summary{}, err
	}
	if opt.Steps < 0 {
		return Summary{}, fmt.Errorf("train: %d steps", opt.Steps)
	}
	if opt.Steps > 0 {
		cfg.Steps = opt.Steps
	}
	sum := Summary{Dir: dir, Seed: cfg.Seed}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sum, fmt.Errorf("train: %w", err)
	}
	last := filepath.Join(dir, FileLast)
	_, statErr := os.Stat(last)
	resume := statErr == nil
	switch {
	case resume && !opt.Resume:
		return sum, fmt.Errorf("train: %s already holds a run (%s); pass --resume to continue it or choose another directory", dir, FileLast)
	case resume:
		if err := checkSavedConfig(dir, cfg); err != nil {
			return sum, err
		}
	}
	y, err := cfg.Marshal()
	if err != nil {
		return sum, err
	}
	header := "# pcttrack train: resolved configuration of this run (every default filled in)\n"
	if err := atomicfile.WriteFile(filepath.Join(dir, FileConfig), append([]byte(header), y...)); err != nil {
		return sum, fmt.Errorf("train: %w", err)
	}

	data := opt.Data
	if data == nil {
		if data, err = LoadData(ctx, cfg, opt.Progress); err != nil {
			if ctx.Err() != nil {
				return sum, fmt.Errorf("train: interrupted while preparing the data: %w", err)
			}
			return sum, err
		}
	}
	sum.TrainFrames, sum.ValFrames = data.TrainFrames(), data.ValFrames()
	tr, err := NewTrainer(cfg, data)
	if err != nil {
		return sum, err
	}
	var hist History
	if resume {
		if err := tr.Resume(last); err != nil {
			return sum, err
		}
		sum.Resumed, sum.ResumedAt = true, tr.Steps()
	}
	log, err := openLog(filepath.Join(dir, FileMetrics), tr.Steps(), resume, &hist)
	if err != nil {
		return sum, err
	}
	for _, v := range hist.Validations {
		if sum.Best.Frames == 0 || v.Purity > sum.Best.Purity {
			sum.Best = v
		}
		sum.Last = v
	}
	defer log.f.Close()

	phys, err := cfg.SimPhysics()
	if err != nil {
		return sum, err
	}
	rec := &dirRecorder{dir: dir, log: log, sum: &sum, steps: cfg.Steps, meta: map[string]string{MetaSimPhysics: phys}}
	if opt.Progress != nil {
		rec.bar = progress.New(opt.Progress, int64(cfg.Steps), fmt.Sprintf("train %s seed %d", cfg.Method, cfg.Seed))
		rec.bar.Add(min(tr.Steps(), cfg.Steps))
		defer rec.bar.Finish()
	}
	var r Recorder = rec
	if opt.Recorder != nil {
		r = Recorders{rec, opt.Recorder}
	}
	err = Loop(ctx, tr, cfg.Steps, r)
	sum.Steps = tr.Steps()
	sum.Elapsed = time.Since(start)
	if cerr := log.close(); cerr != nil && err == nil {
		err = cerr
	}
	return sum, err
}

// ReadRunConfig reads the resolved config of run directory dir (its
// config.yaml). A config with an inline simulation but no physics version
// was written before configs recorded one, when the simulator was at
// version 2 or older: it reads as version 2, not as today's default.
// Errors wrap the file's (os.ErrNotExist when there is none).
func ReadRunConfig(dir string) (Config, error) {
	path := filepath.Join(dir, FileConfig)
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("train: %w", err)
	}
	c, err := ParseConfig(data)
	if err == nil {
		if s := c.Data.Simulate; s != nil && s.Physics.Version == 0 {
			s.Physics.Version = 2
		}
		c, err = c.Resolved()
	}
	if err != nil {
		return Config{}, fmt.Errorf("train: %s: %w", path, err)
	}
	return c, nil
}

// checkSavedConfig compares cfg with the run directory's config.yaml.
func checkSavedConfig(dir string, cfg Config) error {
	path := filepath.Join(dir, FileConfig)
	saved, err := ReadRunConfig(dir)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if a, b := saved.Data.Simulate, cfg.Data.Simulate; a != nil && b != nil && a.Physics.Version != b.Physics.Version {
		return fmt.Errorf("train: resume: the run in %s simulated physics version %d, this config %d: set data.simulate.physics.version: %d to resume it",
			dir, a.Physics.Version, b.Physics.Version, a.Physics.Version)
	}
	if !sameRun(saved, cfg) {
		return fmt.Errorf("train: resume: the config differs from the run's %s (only steps may change); use another directory for a new run", path)
	}
	return nil
}

// dirRecorder is Run's recorder: metrics log, checkpoints, progress.
type dirRecorder struct {
	dir   string
	log   *metricsLog
	sum   *Summary
	bar   *progress.Bar
	steps int
	loss  float64           // last step's loss, for the status line
	meta  map[string]string // extra checkpoint metadata
}

func (r *dirRecorder) Step(t *Trainer, s StepResult) error {
	r.sum.FinalLoss = s.Loss
	r.loss = s.Loss
	r.bar.Add(1)
	r.status(t)
	return r.log.write(`{"kind":"step",`, s)
}

func (r *dirRecorder) Validation(t *Trainer, v Validation, best bool) error {
	r.sum.Last = v
	if best {
		r.sum.Best = v
		if err := t.SaveModel(filepath.Join(r.dir, FileBest), r.meta); err != nil {
			return err
		}
	}
	r.status(t)
	prefix := `{"kind":"val",`
	if best {
		prefix = `{"kind":"val","best":true,`
	}
	if err := r.log.write(prefix, v); err != nil {
		return err
	}
	// flushed, so that a recorder after this one can read the log
	return r.log.flush()
}

func (r *dirRecorder) Checkpoint(t *Trainer, final bool) error {
	if err := r.log.flush(); err != nil {
		return err
	}
	return t.Save(filepath.Join(r.dir, FileLast), r.meta)
}

func (r *dirRecorder) status(t *Trainer) {
	if r.bar == nil {
		return
	}
	s := fmt.Sprintf("loss %.4f", r.loss)
	if v := r.sum.Last; v.Frames > 0 {
		s += fmt.Sprintf(" val purity %.1f%% eff %.1f%%", 100*v.Purity, 100*v.Efficiency)
	}
	if b, step := t.Best(); b >= 0 {
		s += fmt.Sprintf(" best %.1f%%@%d", 100*b, step)
	}
	r.bar.Status(s)
}

// metricsLog appends JSON lines to metrics.jsonl.
type metricsLog struct {
	f *os.File
	w *bufio.Writer
}

// openLog opens the metrics log of a run at step (fresh: truncated; on
// resume: the lines after step, written after the last checkpoint, are
// dropped) and loads the kept lines into hist.
func openLog(path string, step int, resume bool, hist *History) (*metricsLog, error) {
	var keep []byte
	if resume {
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("train: %w", err)
		}
		for line := range strings.Lines(string(old)) {
			var l struct {
				Kind string `json:"kind"`
				Step int    `json:"step"`
			}
			if json.Unmarshal([]byte(line), &l) != nil || l.Step > step {
				continue // a torn last line or lines past the checkpoint
			}
			keep = append(keep, line...)
			hist.load([]byte(line), l.Kind)
		}
		if err := atomicfile.WriteFile(path, keep); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if resume {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &metricsLog{f: f, w: bufio.NewWriter(f)}, nil
}

// write writes v as one JSON object line whose first fields are prefix
// (an opening brace and fields, ending in a comma).
func (l *metricsLog) write(prefix string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("train: metrics log: %w", err)
	}
	l.w.WriteString(prefix)
	l.w.Write(b[1:])
	if err := l.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("train: metrics log: %w", err)
	}
	return nil
}

func (l *metricsLog) flush() error {
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("train: metrics log: %w", err)
	}
	return nil
}

func (l *metricsLog) close() error {
	err := l.flush()
	if cerr := l.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("train: metrics log: %w", cerr)
	}
	return err
}

// History is the record of a run as its metrics.jsonl holds it: every
// step and every validation, in order.
type History struct {
	Steps       []StepResult
	Validations []Validation
}

// LossName returns the name of the loss a training method minimises:
// "BCE" for PTT, "Hamming" for PAT.
func LossName(method string) string {
	if method == MethodPAT {
		return "Hamming"
	}
	return "BCE"
}

// Columns returns the history as columns: step and loss of every step,
// step, purity and efficiency of every validation.
func (h *History) Columns() (step, loss, valStep, purity, efficiency []float64) {
	for _, s := range h.Steps {
		step, loss = append(step, float64(s.Step)), append(loss, s.Loss)
	}
	for _, v := range h.Validations {
		valStep = append(valStep, float64(v.Step))
		purity, efficiency = append(purity, v.Purity), append(efficiency, v.Efficiency)
	}
	return step, loss, valStep, purity, efficiency
}

func (h *History) load(line []byte, kind string) {
	switch kind {
	case "step":
		var s StepResult
		if json.Unmarshal(line, &s) == nil {
			h.Steps = append(h.Steps, s)
		}
	case "val":
		var v Validation
		if json.Unmarshal(line, &v) == nil {
			h.Validations = append(h.Validations, v)
		}
	}
}

// ReadHistory reads the metrics.jsonl of the run directory dir. A torn
// last line (a run killed while writing) is skipped; a missing file is an
// error.
func ReadHistory(dir string) (History, error) {
	var h History
	data, err := os.ReadFile(filepath.Join(dir, FileMetrics))
	if err != nil {
		return h, fmt.Errorf("train: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		var l struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal([]byte(line), &l) == nil {
			h.load([]byte(line), l.Kind)
		}
	}
	return h, nil
}

// String returns a one-line description of s.
func (s Summary) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "seed %d: %d steps", s.Seed, s.Steps)
	if s.Resumed {
		fmt.Fprintf(&b, " (resumed at %d)", s.ResumedAt)
	}
	fmt.Fprintf(&b, " in %s", s.Elapsed.Round(time.Second))
	if s.Best.Frames > 0 {
		fmt.Fprintf(&b, ", best validation purity %.1f%% efficiency %.1f%% at step %d", 100*s.Best.Purity, 100*s.Best.Efficiency, s.Best.Step)
	}
	fmt.Fprintf(&b, "; %s", s.Dir)
	return b.String()
}
