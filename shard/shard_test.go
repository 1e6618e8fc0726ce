package shard

import (
	"strings"
	"testing"
)

// env is a fake environment for ParseEnv.
type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

func TestParseEnv(t *testing.T) {
	// Variables as Slurm 22.05 sets them for --array=0-3 (task 2) and
	// --array=4-7 (task 6).
	slurm03 := env{EnvSlurmTaskID: "2", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "3", EnvSlurmTaskCount: "4", EnvSlurmTaskStep: "1"}
	slurm47 := env{EnvSlurmTaskID: "6", EnvSlurmTaskMin: "4", EnvSlurmTaskMax: "7", EnvSlurmTaskCount: "4", EnvSlurmTaskStep: "1"}
	// --array=0-6:2, task 4; --array=0,1,5, task 5; --array=3 alone.
	stepped := env{EnvSlurmTaskID: "4", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "6", EnvSlurmTaskCount: "4", EnvSlurmTaskStep: "2"}
	list := env{EnvSlurmTaskID: "5", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "5", EnvSlurmTaskCount: "3"}
	alone := env{EnvSlurmTaskID: "3", EnvSlurmTaskMin: "3", EnvSlurmTaskMax: "3", EnvSlurmTaskCount: "1", EnvSlurmTaskStep: "1"}
	k8s := env{EnvK8sIndex: "5"}
	tests := []struct {
		in      string
		env     env
		want    Shard
		wantErr string
	}{
		{"", nil, Shard{0, 1}, ""},
		{"0/1", nil, Shard{0, 1}, ""},
		{"2/4", nil, Shard{2, 4}, ""},
		{" 3 / 8 ", nil, Shard{3, 8}, ""},
		{"4/4", nil, Shard{}, "shard 4 is out of range [0, 4)"},
		{"-1/4", nil, Shard{}, "out of range"},
		{"1/0", nil, Shard{}, "not a positive integer"},
		{"x", nil, Shard{}, "is not k/K"},
		{"1/a", nil, Shard{}, "not a positive integer"},
		{"a/4", nil, Shard{}, "is not k/K"},
		{"slurm", slurm03, Shard{2, 4}, ""},
		{"slurm", slurm47, Shard{2, 4}, ""},
		{"slurm", stepped, Shard{}, "step 2"},
		{"slurm", list, Shard{}, "ids with gaps"},
		{"slurm", nil, Shard{}, "SLURM_ARRAY_TASK_ID is not set"},
		{"slurm", env{EnvSlurmTaskID: "x", EnvSlurmTaskMin: "0", EnvSlurmTaskCount: "4"}, Shard{}, `SLURM_ARRAY_TASK_ID="x" is not an integer`},
		{"slurm", alone, Shard{0, 1}, ""},
		{"slurm/4", alone, Shard{3, 4}, ""},
		{"slurm/4", slurm47, Shard{}, "shard 6 is out of range [0, 4)"},
		{"slurm/4", nil, Shard{}, "not running as a Slurm array task"},
		{"k8s/8", k8s, Shard{5, 8}, ""},
		{"k8s/4", k8s, Shard{}, "shard 5 is out of range [0, 4)"},
		{"k8s/4", nil, Shard{}, "JOB_COMPLETION_INDEX is not set"},
	}
	for _, tc := range tests {
		got, err := ParseEnv(tc.in, tc.env.lookup)
		if tc.wantErr == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseEnv(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "shard: ") {
			t.Errorf("ParseEnv(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.wantErr)
		}
	}
}

func TestOwnsPartitions(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for K := 1; K <= 9; K++ {
			seen := make([]int, n)
			for k := 0; k < K; k++ {
				s := Shard{k, K}
				owned := 0
				for i := 0; i < n; i++ {
					if s.Owns(i) {
						seen[i]++
						owned++
					}
				}
				if got := s.Len(n); got != owned {
					t.Fatalf("%v.Len(%d) = %d, owns %d", s, n, got, owned)
				}
			}
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("n=%d K=%d: index %d owned %d times", n, K, i, c)
				}
			}
		}
	}
	var zero Shard
	if !zero.All() || zero.String() != "0/1" || zero.Len(5) != 5 || !zero.Owns(3) {
		t.Errorf("zero value: All %v, %q, Len %d", zero.All(), zero.String(), zero.Len(5))
	}
}

func TestComplete(t *testing.T) {
	p := func(k, n int, name string) Part { return Part{Shard{k, n}, name} }
	tests := []struct {
		parts   []Part
		want    int
		wantErr string
	}{
		{[]Part{p(0, 1, "a")}, 1, ""},
		{[]Part{{Name: "a"}}, 1, ""}, // the zero value is 0/1
		{[]Part{p(2, 3, "c"), p(0, 3, "a"), p(1, 3, "b")}, 3, ""},
		{[]Part{p(0, 3, "a"), p(2, 3, "c")}, 0, "shard 1/3 is missing (2 of 3 shards given)"},
		{[]Part{p(0, 2, "a"), p(1, 2, "b"), p(1, 2, "b2")}, 0, "shard 1/2 is given twice (b and b2)"},
		{[]Part{p(0, 2, "a"), p(1, 3, "x")}, 0, "x is shard 1/3 but a is shard 0/2"},
		{[]Part{p(0, 1, "a"), p(0, 1, "b")}, 0, "shard 0/1 is given twice"},
		{nil, 0, "no shards"},
	}
	for _, tc := range tests {
		got, err := Complete(tc.parts)
		if tc.wantErr == "" {
			if err != nil || got != tc.want {
				t.Errorf("Complete(%v) = %d, %v; want %d", tc.parts, got, err, tc.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Complete(%v) = %d, %v; want error %q", tc.parts, got, err, tc.wantErr)
		}
	}
}

func TestParseFixed(t *testing.T) {
	for in, want := range map[string]Shard{"": {0, 1}, "0/1": {0, 1}, "3/8": {3, 8}} {
		if got, err := ParseFixed(in); err != nil || got != want {
			t.Errorf("ParseFixed(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"slurm", "slurm/4", "k8s/4", "4/4", "x"} {
		if got, err := ParseFixed(in); err == nil {
			t.Errorf("ParseFixed(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseMerge(t *testing.T) {
	for _, tc := range []struct {
		specs []string
		want  string // error, "" for none
	}{
		{[]string{"0/2", "1/2"}, ""},
		{[]string{"1/2", "0/2"}, ""},
		{[]string{"0/1"}, ""},
		{nil, "no grids"},
		{[]string{"0/3", "1/3"}, "2 grids for 3 shards"},
		{[]string{"0/2", "x"}, "x"},
		{[]string{"bad", "1/2"}, "bad"},
	} {
		shs, err := ParseMerge(tc.specs, func(s string) string { return s }, "grid")
		if tc.want == "" {
			if err != nil || len(shs) != len(tc.specs) {
				t.Errorf("%q: %v, %v", tc.specs, shs, err)
				continue
			}
			for i, s := range shs {
				if s.String() != tc.specs[i] {
					t.Errorf("%q: shard %d is %s", tc.specs, i, s)
				}
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.specs, err, tc.want)
		}
	}
}
