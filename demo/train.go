package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/train"
)

// Model is a learned tracker trained by the train stage.
type Model struct {
	// Name labels the model's results: the training method ("ptt",
	// "pat"), or the config's name when two configs share a method.
	Name string
	// Spec is the config as given (Options.Train) and Config the
	// resolved config it was trained with (quick mode shortens it).
	Spec   string
	Config train.Config
	// Dir is the run directory and Checkpoint its best.ckpt.
	Dir, Checkpoint string
	Summary         train.Summary
	// Steps and Validations are the run's curves.
	Steps       []train.StepResult
	Validations []train.Validation
}

// Train is the second stage: it trains one model per config of
// Options.Train (train.Run, the config's first seed) into
// OUT/train/NAME/ and prints a summary line per run. Quick mode cuts each
// run to 30 steps on at most 16 training and 4 validation frames per
// phantom.
func Train(ctx context.Context, s *State) error {
	if s.Options.Out == "" {
		return fmt.Errorf("no output directory")
	}
	var models []Model
	methods := map[string]int{}
	for _, spec := range s.Options.Train {
		cfg, err := train.LoadConfig(spec)
		if err != nil {
			return err
		}
		if s.Options.Quick {
			quick(&cfg)
		}
		models = append(models, Model{Name: cfg.Method, Spec: spec, Config: cfg})
		methods[cfg.Method]++
	}
	for i := range models {
		m := &models[i]
		if methods[m.Name] > 1 {
			m.Name = strings.TrimSuffix(filepath.Base(m.Spec), filepath.Ext(m.Spec))
		}
		m.Dir = filepath.Join(s.Options.Out, "train", m.Name)
		m.Checkpoint = filepath.Join(m.Dir, train.FileBest)
		sum, err := train.Run(ctx, m.Config, m.Dir, train.RunOptions{Progress: s.Options.Progress, Recorder: curves{m}})
		if err != nil {
			return fmt.Errorf("%s: %w", m.Spec, err)
		}
		m.Summary = sum
		if sum.Best.Frames == 0 {
			return fmt.Errorf("%s: no validation", m.Spec)
		}
		fmt.Fprintf(s.W, "%s (%s, %s): %s\n", m.Name, m.Spec, describe(m.Config), sum)
		s.Models = append(s.Models, *m)
	}
	return nil
}

// Method loads the model's best checkpoint as a pipeline method that
// solves and filters as the model's validation did.
func (m *Model) Method() (pipeline.Method, error) {
	ms, err := pipeline.ModelMethods(m.Name, []string{m.Checkpoint},
		&learned.Options{Assign: m.Config.Assign, Filter: m.Config.Filter})
	if err != nil {
		return pipeline.Method{}, err
	}
	return ms[0], nil
}

// quick shortens a training config for the quick demo.
func quick(cfg *train.Config) {
	cfg.Steps = min(cfg.Steps, 30)
	cfg.ValEvery = min(cfg.ValEvery, 15)
	cfg.CheckpointEvery = min(cfg.CheckpointEvery, cfg.ValEvery)
	if d := cfg.Data.Simulate; d != nil {
		c := *d
		c.Frames = min(c.Frames, 16)
		c.ValFrames = min(c.ValFrames, 4)
		cfg.Data.Simulate = &c
	} else {
		if cfg.Data.TrainFrames == 0 || cfg.Data.TrainFrames > 16 {
			cfg.Data.TrainFrames = 16
		}
		if cfg.Data.ValFrames == 0 || cfg.Data.ValFrames > 4 {
			cfg.Data.ValFrames = 4
		}
	}
}

// describe says in a few words how a config trains.
func describe(c train.Config) string {
	var b strings.Builder
	switch c.Method {
	case train.MethodPAT:
		fmt.Fprintf(&b, "PAT, the paper's λ %g (λ/%d per frame of a step)", c.PAT.Lambda, c.Batch)
	default:
		b.WriteString("PTT")
	}
	fmt.Fprintf(&b, ", %s model, %d steps of %d frames", c.Model.Kind, c.Steps, c.Batch)
	return b.String()
}

// curves records a run's steps and validations into its Model.
type curves struct{ m *Model }

func (c curves) Step(_ *train.Trainer, s train.StepResult) error {
	c.m.Steps = append(c.m.Steps, s)
	return nil
}

func (c curves) Validation(_ *train.Trainer, v train.Validation, _ bool) error {
	c.m.Validations = append(c.m.Validations, v)
	return nil
}

func (c curves) Checkpoint(*train.Trainer, bool) error { return nil }
