package shard

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard is worker Index of Count. The zero value is the single worker 0/1.
type Shard struct {
	Index, Count int
}

// Environment variables read by Parse.
const (
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	EnvSlurmTaskMax   = "SLURM_ARRAY_TASK_MAX"
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	EnvSlurmTaskStep  = "SLURM_ARRAY_TASK_STEP"
	EnvK8sIndex       = "JOB_COMPLETION_INDEX"
)

// Parse reads a shard specification, taking the scheduler's variables
// from the process environment (see ParseEnv).
func Parse(s string) (Shard, error) { return ParseEnv(s, os.LookupEnv) }

// ParseEnv reads a shard specification:
//
//   - "" is 0/1, the whole run;
//   - "k/K" is worker k of K, 0 <= k < K;
//   - "slurm" is the task of a Slurm job array: k = SLURM_ARRAY_TASK_ID −
//     SLURM_ARRAY_TASK_MIN and K = SLURM_ARRAY_TASK_COUNT. The array must
//     be a contiguous range (--array=0-7 or 1-8, a throttle %N is fine); a
//     stepped array (0-14:2) or a list (0,3,5) is an error, since its task
//     ids do not map onto 0..K−1;
//   - "slurm/K" is task SLURM_ARRAY_TASK_ID of K, for ids 0..K−1: unlike
//     "slurm" it does not depend on the array's size, so one task can be
//     submitted again alone (sbatch --array=3) and still be shard 3/K;
//   - "k8s/K" is the pod of a Kubernetes Indexed Job with K completions:
//     k = JOB_COMPLETION_INDEX.
//
// lookup returns an environment variable (os.LookupEnv). Errors name the
// specification and the variable at fault.
func ParseEnv(s string, lookup func(string) (string, bool)) (Shard, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Shard{0, 1}, nil
	case s == "slurm":
		return slurmArray(lookup)
	}
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard: %q is not k/K, slurm, slurm/K or k8s/K", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(b))
	if err != nil || n < 1 {
		return Shard{}, fmt.Errorf("shard: %q: the shard count %q is not a positive integer", s, b)
	}
	var k int
	switch strings.TrimSpace(a) {
	case "slurm":
		if k, err = envInt(lookup, EnvSlurmTaskID, "a Slurm array task"); err != nil {
			return Shard{}, fmt.Errorf("shard: %q: %w", s, err)
		}
	case "k8s":
		if k, err = envInt(lookup, EnvK8sIndex, "a Kubernetes Indexed Job"); err != nil {
			return Shard{}, fmt.Errorf("shard: %q: %w", s, err)
		}
	default:
		if k, err = strconv.Atoi(strings.TrimSpace(a)); err != nil {
			return Shard{}, fmt.Errorf("shard: %q is not k/K, slurm, slurm/K or k8s/K", s)
		}
	}
	if k < 0 || k >= n {
		return Shard{}, fmt.Errorf("shard: %q: shard %d is out of range [0, %d)", s, k, n)
	}
	return Shard{k, n}, nil
}

// ParseFixed reads only "" (0/1) and "k/K", the forms stored in file
// metadata; it never looks at the environment.
func ParseFixed(s string) (Shard, error) {
	t := strings.TrimSpace(s)
	if a, _, ok := strings.Cut(t, "/"); t == "slurm" || ok && (strings.TrimSpace(a) == "slurm" || strings.TrimSpace(a) == "k8s") {
		return Shard{}, fmt.Errorf("shard: %q is not of the form k/K", s)
	}
	return ParseEnv(s, func(string) (string, bool) { return "", false })
}

// slurmArray derives the shard from a Slurm array task's variables.
func slurmArray(lookup func(string) (string, bool)) (Shard, error) {
	const what = "a Slurm array task"
	bad := func(err error) (Shard, error) { return Shard{}, fmt.Errorf("shard: \"slurm\": %w", err) }
	id, err := envInt(lookup, EnvSlurmTaskID, what)
	if err != nil {
		return bad(err)
	}
	lo, err := envInt(lookup, EnvSlurmTaskMin, what)
	if err != nil {
		return bad(err)
	}
	n, err := envInt(lookup, EnvSlurmTaskCount, what)
	if err != nil {
		return bad(err)
	}
	if v, ok := lookup(EnvSlurmTaskStep); ok && strings.TrimSpace(v) != "1" {
		return bad(fmt.Errorf("the job array has step %s (%s); give a contiguous array such as --array=0-%d",
			v, EnvSlurmTaskStep, max(n-1, 0)))
	}
	if v, ok := lookup(EnvSlurmTaskMax); ok {
		hi, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return bad(fmt.Errorf("%s=%q is not an integer", EnvSlurmTaskMax, v))
		}
		if hi-lo+1 != n {
			return bad(fmt.Errorf("the job array %d-%d has %d tasks, not %d: ids with gaps (a list or a step) do not map onto shards; give a contiguous array such as --array=0-%d",
				lo, hi, n, hi-lo+1, max(n-1, 0)))
		}
	}
	k := id - lo
	if n < 1 || k < 0 || k >= n {
		return bad(fmt.Errorf("task %d of an array starting at %d with %d tasks is out of range", id, lo, n))
	}
	return Shard{k, n}, nil
}

func envInt(lookup func(string) (string, bool), name, what string) (int, error) {
	v, ok := lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return 0, fmt.Errorf("%s is not set: not running as %s", name, what)
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not an integer", name, v)
	}
	return i, nil
}

// Owns reports whether index i belongs to this shard.
func (s Shard) Owns(i int) bool {
	n := s.Count
	if n <= 1 {
		return true
	}
	return i%n == s.Index
}

// Len returns the number of indices in [0, n) that the shard owns.
func (s Shard) Len(n int) int {
	c := max(s.Count, 1)
	if n <= s.Index {
		return 0
	}
	return (n-s.Index-1)/c + 1
}

// All reports whether the shard is the whole run (0/1 or the zero value).
func (s Shard) All() bool { return s.Count <= 1 }

// String returns "k/K".
func (s Shard) String() string {
	return fmt.Sprintf("%d/%d", s.Index, max(s.Count, 1))
}

// Part is one shard's output given to a merge: the shard and a name for
// messages (a file path).
type Part struct {
	Shard Shard
	Name  string
}

// Complete checks that parts are the K shards 0/K … K−1/K of one run,
// each exactly once, and returns K. The error names the shard at fault:
// shards of different counts, a shard given twice, or the first missing
// shard.
func Complete(parts []Part) (int, error) {
	if len(parts) == 0 {
		return 0, fmt.Errorf("shard: no shards")
	}
	n := max(parts[0].Shard.Count, 1)
	seen := make([]string, n)
	for _, p := range parts {
		c := max(p.Shard.Count, 1)
		if c != n {
			return 0, fmt.Errorf("shard: %s is shard %s but %s is shard %s: shards of different splits",
				p.Name, p.Shard, parts[0].Name, parts[0].Shard)
		}
		k := p.Shard.Index
		if k < 0 || k >= n {
			return 0, fmt.Errorf("shard: %s: shard %s is out of range", p.Name, p.Shard)
		}
		if seen[k] != "" {
			return 0, fmt.Errorf("shard: shard %s is given twice (%s and %s)", p.Shard, seen[k], p.Name)
		}
		seen[k] = p.Name
	}
	for k, name := range seen {
		if name == "" {
			return 0, fmt.Errorf("shard: shard %d/%d is missing (%d of %d shards given)", k, n, len(parts), n)
		}
	}
	return n, nil
}

// ParseMerge parses the shard strings (spec) of the parts of one merge
// (of results called nouns in messages) and checks that there are as many
// parts as the first one's shard count. Which shards they are is left to
// the caller.
func ParseMerge[P any](parts []P, spec func(P) string, noun string) ([]Shard, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no %ss", noun)
	}
	out := make([]Shard, len(parts))
	for i, p := range parts {
		sh, err := Parse(spec(p))
		if err != nil {
			return nil, err
		}
		out[i] = sh
		if i == 0 && len(parts) != sh.Count {
			return nil, fmt.Errorf("%d %ss for %d shards", len(parts), noun, sh.Count)
		}
	}
	return out, nil
}
