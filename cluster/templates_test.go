package cluster

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pcttrack/pcttrack/pipeline"
)

var (
	binDir  string
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// pcttrack builds the command once per test binary and returns its path.
func pcttrack(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			binErr = fmt.Errorf("no go tool to build pcttrack: %w", err)
			return
		}
		if binDir, binErr = os.MkdirTemp("", "pcttrack-cluster-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "pcttrack")
		cmd := exec.Command(goTool, "build", "-o", binPath, "github.com/pcttrack/pcttrack/cmd/pcttrack")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// run runs a program in dir with extra environment variables and returns
// its standard output; the error includes the standard error.
func run(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// sbatchOptions returns the #SBATCH options of a script (before its first
// command) as a map from option to value ("" for a flag).
func sbatchOptions(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#!") {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			break // sbatch ignores #SBATCH lines after the first command
		}
		rest, ok := strings.CutPrefix(line, "#SBATCH ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimSpace(rest), "=")
		if _, dup := opts[k]; dup {
			t.Errorf("%s: %s given twice", path, k)
		}
		opts[k] = v
	}
	return opts
}

var timeLimit = regexp.MustCompile(`^(\d+-)?\d{1,2}:\d{2}:\d{2}$`)

func TestSbatchHeaders(t *testing.T) {
	scripts, _ := filepath.Glob("slurm/*.sbatch")
	if len(scripts) != 5 {
		t.Fatalf("templates %v, want simulate, track, eval, train and merge", scripts)
	}
	for _, s := range scripts {
		name := strings.TrimSuffix(filepath.Base(s), ".sbatch")
		t.Run(name, func(t *testing.T) {
			o := sbatchOptions(t, s)
			for _, k := range []string{"--job-name", "--cpus-per-task", "--mem", "--time", "--output"} {
				if o[k] == "" {
					t.Errorf("no %s line", k)
				}
			}
			if !regexp.MustCompile(`^[1-9]\d*$`).MatchString(o["--cpus-per-task"]) || !regexp.MustCompile(`^\d+[MG]$`).MatchString(o["--mem"]) ||
				!timeLimit.MatchString(o["--time"]) {
				t.Errorf("resources %q %q %q", o["--cpus-per-task"], o["--mem"], o["--time"])
			}
			_, requeue := o["--requeue"]
			if name == "merge" {
				if _, ok := o["--array"]; ok || requeue {
					t.Error("the merge job is not an array")
				}
			} else if !regexp.MustCompile(`^0-\d+$`).MatchString(o["--array"]) || !requeue || o["--open-mode"] != "append" {
				t.Errorf("array %q, requeue %v, open mode %q: want a contiguous array from 0, --requeue and the logs of requeued runs appended",
					o["--array"], requeue, o["--open-mode"])
			}
			if name == "train" && !regexp.MustCompile(`^B:USR1@\d+$`).MatchString(o["--signal"]) {
				t.Errorf("train: --signal %q, want B:USR1@SECONDS (requeue before the time limit)", o["--signal"])
			}
			if _, err := run(".", nil, "bash", "-n", s); err != nil {
				t.Error(err)
			}
		})
	}
}

// arrayEnv is the environment Slurm gives task k of an array 0..n-1.
func arrayEnv(k, n int, bin string) []string {
	return []string{fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", k), "SLURM_ARRAY_TASK_MIN=0", fmt.Sprintf("SLURM_ARRAY_TASK_MAX=%d", n-1),
		fmt.Sprintf("SLURM_ARRAY_TASK_COUNT=%d", n), "SLURM_ARRAY_TASK_STEP=1", "SLURM_CPUS_PER_TASK=1", "SLURM_JOB_ID=1",
		"PCTTRACK=" + bin}
}

// evalWithoutTimings decodes an `eval --json` document and clears what
// depends on the machine and the split (pipeline.Report.ClearTimings).
func evalWithoutTimings(t *testing.T, doc []byte) *pipeline.Evaluation {
	t.Helper()
	var d struct{ Evaluation *pipeline.Evaluation }
	if err := json.Unmarshal(doc, &d); err != nil || d.Evaluation == nil || d.Evaluation.Report == nil {
		t.Fatalf("%v in %q", err, doc)
	}
	d.Evaluation.Report.ClearTimings()
	return d.Evaluation
}

func sameFiles(t *testing.T, got, want string) {
	t.Helper()
	a, err1 := os.ReadFile(got)
	b, err2 := os.ReadFile(want)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || !bytes.Equal(a, b) {
		t.Errorf("%s (%d bytes) differs from the one-process %s (%d bytes)", got, len(a), want, len(b))
	}
}

// TestSbatchTemplatesRun runs each template as the tasks of a 3-task array
// would (Slurm's variables set by hand), then merge.sbatch, and compares
// with one process.
func TestSbatchTemplatesRun(t *testing.T) {
	bin := pcttrack(t)
	dir := t.TempDir()
	abs, _ := filepath.Abs("slurm")
	out := filepath.Join(dir, "out")
	simArgs := []string{"--phantom", "water:100", "--protons-per-frame", "30", "--frames", "11", "--seed", "4"}
	one := filepath.Join(dir, "one.parquet")
	if _, err := run(dir, nil, bin, append([]string{"simulate", "--out", one}, simArgs...)...); err != nil {
		t.Fatal(err)
	}
	oneTracks := filepath.Join(dir, "one-tracks.parquet")
	if _, err := run(dir, nil, bin, "track", one, "--method", "physics", "--out", oneTracks); err != nil {
		t.Fatal(err)
	}
	oneEval, err := run(dir, nil, bin, "eval", one, "--method", "follower,truth", "--json")
	if err != nil {
		t.Fatal(err)
	}
	const K = 3
	steps := []struct {
		kind   string
		args   []string
		merged string
	}{
		{"simulate", simArgs, "simulate.parquet"},
		{"track", []string{one, "--method", "physics"}, "tracks.parquet"},
		{"eval", []string{one, "--method", "follower,truth"}, "eval.json"},
	}
	for _, st := range steps {
		for k := range K {
			if _, err := run(dir, arrayEnv(k, K, bin), "bash", append([]string{filepath.Join(abs, st.kind+".sbatch"), out}, st.args...)...); err != nil {
				t.Fatalf("%s task %d: %v", st.kind, k, err)
			}
		}
		merged := filepath.Join(out, st.merged)
		text, err := run(dir, []string{"PCTTRACK=" + bin}, "bash", filepath.Join(abs, "merge.sbatch"), merged, filepath.Join(out, st.kind+"-parts"))
		if err != nil {
			t.Fatalf("merge %s: %v", st.kind, err)
		}
		switch st.kind {
		case "simulate":
			sameFiles(t, merged, one)
		case "track":
			sameFiles(t, merged, oneTracks)
		case "eval":
			js, err := run(dir, nil, bin, "merge", merged, "--json")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(evalWithoutTimings(t, []byte(js)), evalWithoutTimings(t, []byte(oneEval))) {
				t.Errorf("merged evaluation\n%s\nwant\n%s", js, oneEval)
			}
			if !strings.Contains(text, "purity / efficiency %") {
				t.Errorf("merge.sbatch of eval shards printed %q", text)
			}
		}
	}
	// A requeued task whose shard is complete keeps it.
	part := filepath.Join(out, "simulate-parts", "part-1.parquet")
	before, _ := os.Stat(part)
	again, err := run(dir, arrayEnv(1, K, bin), "bash", append([]string{filepath.Join(abs, "simulate.sbatch"), out}, simArgs...)...)
	if after, _ := os.Stat(part); err != nil || !strings.HasPrefix(again, "kept ") || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("requeued task: %q, %v", again, err)
	}
	// train: task 1 of a 2-task array trains the second seed only.
	runs := filepath.Join(dir, "runs")
	cfg := tinyTrainConfig(t, dir, 3)
	if _, err := run(dir, arrayEnv(1, 2, bin), "bash", filepath.Join(abs, "train.sbatch"), runs, "3..4", "--config", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(runs, "seed-4", "last.ckpt")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(runs, "seed-3")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("task 1 of 2 trained seed 3: %v", err)
	}
}

// tinyTrainConfig writes a training config of steps steps on 8 frames of
// 20 protons (about 30 steps a second on one core).
func tinyTrainConfig(t *testing.T, dir string, steps int) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("tiny-ptt-%d.yaml", steps))
	cfg := fmt.Sprintf("method: ptt\nmodel:\n  kind: linegraph\nbatch: 2\nsteps: %d\nval_every: 50\nseed: 0\n", steps) +
		"data:\n  simulate:\n    phantoms: [water:100]\n    protons_per_frame: 20\n    frames: 8\n    val_frames: 2\n    seed: 1\n"
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// manifest is the part of a Kubernetes Job (or PVC) the test reads.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Image     string   `yaml:"image"`
					Args      []string `yaml:"args"`
					Resources struct {
						Requests map[string]string `yaml:"requests"`
						Limits   map[string]string `yaml:"limits"`
					} `yaml:"resources"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name string `yaml:"name"`
					PVC  struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readManifests(t *testing.T, path string) []manifest {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var ms []manifest
	for {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return ms
		}
		if err != nil && !strings.Contains(err.Error(), "not found in type") {
			t.Fatalf("%s: %v", path, err)
		}
		ms = append(ms, m)
	}
}

// TestK8sManifests checks the Indexed Jobs (completions, parallelism and
// the K of --shard k8s/K agree; the output names the completion index;
// resources; the shared volume) and validates every pcttrack command line
// against the real binary's flags.
func TestK8sManifests(t *testing.T) {
	bin := pcttrack(t)
	files, _ := filepath.Glob("k8s/*.yaml")
	var claim string
	for _, m := range readManifests(t, "k8s/storage.yaml") {
		if m.Kind == "PersistentVolumeClaim" {
			claim = m.Metadata.Name
		}
	}
	if claim == "" {
		t.Fatal("k8s/storage.yaml has no PersistentVolumeClaim")
	}
	seen := map[string]bool{}
	for _, f := range files {
		for _, m := range readManifests(t, f) {
			if m.Kind != "Job" {
				continue
			}
			name := m.Metadata.Name
			t.Run(name, func(t *testing.T) {
				if m.APIVersion != "batch/v1" {
					t.Errorf("apiVersion %q", m.APIVersion)
				}
				ps := &m.Spec.Template.Spec
				if ps.RestartPolicy != "Never" || len(ps.Containers) != 1 || len(ps.Volumes) != 1 || ps.Volumes[0].PVC.ClaimName != claim {
					t.Fatalf("pod spec %+v", ps)
				}
				c := ps.Containers[0]
				for _, r := range []map[string]string{c.Resources.Requests, c.Resources.Limits} {
					if r["cpu"] == "" || r["memory"] == "" {
						t.Errorf("resources %+v: want cpu and memory requests and limits", c.Resources)
					}
				}
				if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != ps.Volumes[0].Name || c.VolumeMounts[0].MountPath != "/data" {
					t.Errorf("volume mounts %+v", c.VolumeMounts)
				}
				args := c.Args
				if len(args) == 0 {
					t.Fatal("no args")
				}
				seen[args[0]] = true
				shard := ""
				if i := slices.Index(args, "--shard"); i >= 0 && i+1 < len(args) {
					shard = args[i+1]
				}
				if m.Spec.CompletionMode == "Indexed" {
					n := m.Spec.Completions
					if n < 1 || m.Spec.Parallelism != n || shard != fmt.Sprintf("k8s/%d", n) || !slices.Contains(args, "--resume") {
						t.Errorf("completions %d, parallelism %d, --shard %q: want equal counts, --shard k8s/%d and --resume", n, m.Spec.Parallelism, shard, n)
					}
					if i := slices.Index(args, "--out"); args[0] != "train" && (i < 0 || !strings.Contains(args[i+1], "$(JOB_COMPLETION_INDEX)")) {
						t.Errorf("--out must name the completion index: %q", args)
					}
				} else if args[0] != "merge" || shard != "" {
					t.Errorf("a plain Job should merge: %q", args)
				}
				// The flags must be those of the real command: --help parses
				// them (an unknown flag or a bad value is an error) and exits.
				check := make([]string, len(args))
				for i, a := range args {
					check[i] = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", "0")
				}
				if _, err := run(t.TempDir(), []string{"JOB_COMPLETION_INDEX=0"}, bin, append(check, "--help")...); err != nil {
					t.Errorf("pcttrack rejects the manifest's command line: %v", err)
				}
			})
		}
	}
	for _, k := range []string{"simulate", "track", "eval", "train", "merge"} {
		if !seen[k] {
			t.Errorf("no Job runs pcttrack %s", k)
		}
	}
}
