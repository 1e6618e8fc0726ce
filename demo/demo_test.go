package demo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/demo"
)

func TestRunQuick(t *testing.T) {
	var out strings.Builder
	extra := demo.Stage{Name: "count", Run: func(_ context.Context, s *demo.State) error {
		n := 0
		for _, d := range s.Datasets {
			n += len(d.Frames)
		}
		if n != 22 {
			return errors.New("wrong number of frames")
		}
		_, err := fmt.Fprintln(s.W, "frames:", n)
		return err
	}}
	stages := append(demo.DefaultStages(), extra)
	s, err := demo.Run(context.Background(), &out, &demo.Options{Quick: true, Workers: 2, Methods: []string{"truth"}}, stages)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Datasets) != 3 || s.Datasets[2].ProtonsPerFrame != 150 || s.Datasets[0].Path != "" {
		t.Fatalf("datasets %+v", s.Datasets)
	}
	for _, d := range s.Datasets {
		for _, f := range d.Frames {
			if f.Meta.ProtonsPerFrame != d.ProtonsPerFrame || f.Meta.Phantom != "water:100" {
				t.Fatalf("%s: frame meta %+v", d.Name, f.Meta)
			}
		}
	}
	g := s.Evaluation.Groups
	if len(g) != 3 || g[0].Key.ProtonsPerFrame != 50 || g[0].Frames != 12 || g[2].Frames != 4 {
		t.Errorf("groups %+v", g)
	}
	// the truth upper bound is perfectly pure
	for _, gr := range g {
		if gr.Purity.Mean != 1 || gr.Counts.SelectedFalse != 0 {
			t.Errorf("%+v: truth purity %v with %d false segments", gr.Key, gr.Purity.Mean, gr.Counts.SelectedFalse)
		}
	}
	for _, want := range []string{"== simulate", "== evaluate", "== count", "frames: 22", "water100-p100: 6 frames of 100 protons"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunErrors(t *testing.T) {
	fail := demo.Stage{Name: "train", Run: func(context.Context, *demo.State) error { return errors.New("no data") }}
	cases := []struct {
		name   string
		opt    demo.Options
		stages []demo.Stage
		want   string
	}{
		{"stage-error", demo.Options{Quick: true}, []demo.Stage{fail}, "demo: train: no data"},
		{"evaluate-without-data", demo.Options{Quick: true}, []demo.Stage{{"evaluate", demo.Evaluate}}, "demo: evaluate: no datasets"},
		{"negative-workers", demo.Options{Workers: -1}, nil, "demo: negative number of workers -1"},
		{"unknown-method", demo.Options{Quick: true, Methods: []string{"magic"}}, nil, `demo: evaluate: pipeline: unknown method "magic"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			_, err := demo.Run(context.Background(), &out, &tc.opt, tc.stages)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := demo.Run(ctx, &strings.Builder{}, &demo.Options{Quick: true}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled demo: %v", err)
	}
}
