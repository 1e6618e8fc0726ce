package cluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvSlurmTest enables TestSlurmCluster: it starts a real Slurm (munged,
// slurmctld, slurmd) on 127.0.0.1, which needs root and Debian's packages
// (cluster/slurm-local.sh install). EnvSlurmDir, if set, is the cluster's
// state directory (it must exist), so that a caller can stop the daemons
// even if the test binary dies (.ci/run does).
const (
	EnvSlurmTest = "PCTTRACK_SLURM"
	EnvSlurmDir  = "PCTTRACK_SLURM_DIR"
)

// slurm is a running single-node cluster started by slurm-local.sh.
type slurm struct {
	script, dir string
	env         []string // SLURM_LOCAL_*, SLURM_CONF, PCTTRACK
	pids        []int
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSlurm starts a cluster in a fresh state directory on free ports and
// registers its stop, which also checks that every daemon is gone.
func startSlurm(t *testing.T, bin string) *slurm {
	t.Helper()
	script, err := filepath.Abs("slurm-local.sh")
	if err != nil {
		t.Fatal(err)
	}
	// munged wants o+x on every directory above its socket: not a t.TempDir.
	dir := os.Getenv(EnvSlurmDir)
	if dir == "" {
		if dir, err = os.MkdirTemp("", "pcttrack-slurm-test-"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &slurm{script: script, dir: dir}
	s.env = []string{"SLURM_LOCAL_DIR=" + dir, fmt.Sprintf("SLURM_LOCAL_CTLD_PORT=%d", freePort(t)),
		fmt.Sprintf("SLURM_LOCAL_SLURMD_PORT=%d", freePort(t)), "SLURM_CONF=" + filepath.Join(dir, "etc", "slurm.conf"), "PCTTRACK=" + bin}
	t0 := time.Now()
	_, err = run(dir, s.env, "bash", script, "start")
	t.Cleanup(func() { s.stop(t) })
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"munged", "slurmctld", "slurmd"} {
		b, err := os.ReadFile(filepath.Join(dir, "run", d+".pid"))
		pid, err2 := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || err2 != nil {
			t.Fatalf("no pid for %s: %v %v", d, err, err2)
		}
		s.pids = append(s.pids, pid)
	}
	t.Logf("Slurm up in %.1f s (pids %v)", time.Since(t0).Seconds(), s.pids)
	return s
}

// alive reports whether pid runs (zombies do not count).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if st, ok := strings.CutPrefix(l, "State:"); ok {
			st = strings.TrimSpace(st)
			return !strings.HasPrefix(st, "Z") && !strings.HasPrefix(st, "X")
		}
	}
	return false
}

func (s *slurm) stop(t *testing.T) {
	out, err := run(s.dir, s.env, "bash", s.script, "stop")
	if err != nil {
		t.Errorf("stop: %v %s", err, out)
	}
	for _, p := range s.pids {
		if alive(p) {
			t.Errorf("daemon %d still runs after stop", p)
		}
	}
	if !t.Failed() {
		if os.Getenv(EnvSlurmDir) == "" {
			os.RemoveAll(s.dir)
		}
	} else {
		t.Logf("logs kept in %s/log", s.dir)
	}
}

// slurmCmd runs a Slurm client (sbatch, squeue, scontrol, ...) against the cluster.
func (s *slurm) cmd(dir, name string, args ...string) (string, error) {
	return run(dir, s.env, name, args...)
}

// wait waits for job id (all its tasks) and returns the highest exit code.
func (s *slurm) wait(t *testing.T, id string) int {
	t.Helper()
	_, err := run(s.dir, s.env, "bash", s.script, "wait", id, "300")
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.ExitCode() == 124 {
			t.Fatalf("job %s did not finish: %v", id, err)
		}
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// submit runs cluster/slurm/submit.sh in dir and returns the job ids.
func (s *slurm) submit(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	abs, _ := filepath.Abs("slurm/submit.sh")
	out, err := run(dir, s.env, "bash", append([]string{abs}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(out)
}

// taskState returns the state of an array task from squeue ("" once done).
func (s *slurm) taskState(job string, task int) string {
	out, _ := s.cmd(s.dir, "squeue", "-h", "-r", "-j", job, "-o", "%K %T")
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == strconv.Itoa(task) {
			return f[1]
		}
	}
	return ""
}

// requeue runs array task job_task again, alone.
func (s *slurm) requeue(t *testing.T, job string, task int) {
	t.Helper()
	id := fmt.Sprintf("%s_%d", job, task)
	if out, err := s.cmd(s.dir, "scontrol", "requeue", id); err != nil {
		t.Fatalf("requeue %s: %v %s", id, err, out)
	}
	s.startNow(t, id)
}

// startNow makes a requeued job eligible now instead of in two minutes
// (Slurm's delay after a requeue). It waits a second first: slurmd
// refuses a job whose credential was made in the second its earlier run
// was revoked ("Job credential revoked").
func (s *slurm) startNow(t *testing.T, id string) {
	t.Helper()
	time.Sleep(1100 * time.Millisecond)
	if out, err := s.cmd(s.dir, "scontrol", "update", "JobId="+id, "StartTime=now"); err != nil {
		t.Fatalf("update %s: %v %s", id, err, out)
	}
}

// TestSlurmCluster submits the job templates to a real single-node Slurm:
// simulate, track and eval in 4 array tasks, merged, equal the one-process
// outputs; a failing task fails the job with its exit code and the merge
// does not run; a killed task re-run alone completes the job; a stepped
// array is refused by every task.
func TestSlurmCluster(t *testing.T) {
	if os.Getenv(EnvSlurmTest) == "" {
		t.Skipf("set %s=1 to run pcttrack under a real single-node Slurm (root, cluster/slurm-local.sh install)", EnvSlurmTest)
	}
	if os.Geteuid() != 0 {
		t.Skip("the Slurm test needs root (slurmd launches the jobs)")
	}
	for _, p := range []string{"slurmctld", "slurmd", "sbatch", "munged"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed: run cluster/slurm-local.sh install", p)
		}
	}
	bin := pcttrack(t)
	s := startSlurm(t, bin)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)

	// One process.
	simArgs := []string{"--phantom", "water:100", "--protons-per-frame", "40", "--frames", "30", "--seed", "3"}
	one := filepath.Join(dir, "one.parquet")
	oneTracks := filepath.Join(dir, "one-tracks.parquet")
	if _, err := run(dir, nil, bin, append([]string{"simulate", "--out", one}, simArgs...)...); err != nil {
		t.Fatal(err)
	}
	if _, err := run(dir, nil, bin, "track", one, "--method", "physics", "--out", oneTracks); err != nil {
		t.Fatal(err)
	}
	evalArgs := []string{"--method", "follower,physics,truth"}
	oneEval, err := run(dir, nil, bin, append([]string{"eval", one, "--json"}, evalArgs...)...)
	if err != nil {
		t.Fatal(err)
	}

	// simulate → merge, track → merge, eval → merge: 4 tasks each.
	out := filepath.Join(dir, "out")
	t0 := time.Now()
	ids := s.submit(t, dir, append([]string{"simulate", "4", out}, simArgs...)...)
	if len(ids) != 2 || s.wait(t, ids[0]) != 0 || s.wait(t, ids[1]) != 0 {
		t.Fatalf("simulate jobs %v failed", ids)
	}
	sameFiles(t, filepath.Join(out, "simulate.parquet"), one)
	ids = s.submit(t, dir, "track", "4", out, one, "--method", "physics")
	if len(ids) != 2 || s.wait(t, ids[0]) != 0 || s.wait(t, ids[1]) != 0 {
		t.Fatalf("track jobs %v failed", ids)
	}
	sameFiles(t, filepath.Join(out, "tracks.parquet"), oneTracks)
	ids = s.submit(t, dir, append([]string{"eval", "4", out, one}, evalArgs...)...)
	if len(ids) != 2 || s.wait(t, ids[0]) != 0 || s.wait(t, ids[1]) != 0 {
		t.Fatalf("eval jobs %v failed", ids)
	}
	js, err := run(dir, nil, bin, "merge", filepath.Join(out, "eval.json"), "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(evalWithoutTimings(t, []byte(js)), evalWithoutTimings(t, []byte(oneEval))) {
		t.Errorf("the evaluation merged from 4 Slurm tasks\n%s\ndiffers from one process\n%s", js, oneEval)
	}
	text, err := os.ReadFile(filepath.Join(dir, "pcttrack-merge-"+ids[1]+".out"))
	if err != nil || !strings.Contains(string(text), "purity / efficiency %") {
		t.Errorf("merge job output %q, %v", text, err)
	}
	t.Logf("simulate, track and eval: 3 × (4 tasks + merge) in %.1f s", time.Since(t0).Seconds())

	// A failing task and a killed one: a larger run, so that task 2 is
	// still running when it is cancelled. Task 1 cannot write its shard
	// (a directory is in the way).
	t0 = time.Now()
	big := []string{"--phantom", "water:100", "--protons-per-frame", "100", "--frames", "300", "--seed", "5"}
	out2 := filepath.Join(dir, "out2")
	blocked := filepath.Join(out2, "simulate-parts", "part-1.parquet")
	if err := os.MkdirAll(blocked, 0o755); err != nil {
		t.Fatal(err)
	}
	ids = s.submit(t, dir, append([]string{"simulate", "4", out2}, big...)...)
	killed := false
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st := s.taskState(ids[0], 2); st == "RUNNING" {
			if out, err := s.cmd(dir, "scancel", ids[0]+"_2"); err != nil {
				t.Fatalf("scancel: %v %s", err, out)
			}
			killed = true
			break
		} else if st == "" && s.taskState(ids[0], 3) == "" {
			break
		}
	}
	if !killed {
		t.Fatal("array task 2 finished before it could be killed")
	}
	if rc := s.wait(t, ids[0]); rc != 1 {
		t.Errorf("array job with a failing and a killed task: exit code %d, want 1 (pcttrack's)", rc)
	}
	if rc := s.wait(t, ids[1]); rc == 0 {
		t.Error("the merge job ran although tasks failed")
	}
	if _, err := os.Stat(filepath.Join(out2, "simulate.parquet")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a merged output exists after failed tasks: %v", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("pcttrack-simulate-%s_1.out", ids[0])))
	if !strings.Contains(string(log), "part-1.parquet") || strings.Count(strings.TrimSpace(string(log)), "\n") > 2 {
		t.Errorf("task 1 should fail with one error line naming its output, said %q", log)
	}
	if _, err := run(dir, nil, bin, "merge", filepath.Join(out2, "simulate-parts"), "--out", filepath.Join(out2, "x.parquet")); err == nil ||
		!strings.Contains(err.Error(), "shard 1/4 is missing") {
		t.Errorf("merge with tasks 1 and 2 missing: %v", err)
	}
	// Re-run the two tasks alone: the others are not run again.
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	kept := map[string]time.Time{}
	for _, k := range []string{"0", "3"} {
		st, err := os.Stat(filepath.Join(out2, "simulate-parts", "part-"+k+".parquet"))
		if err != nil {
			t.Fatal(err)
		}
		kept[k] = st.ModTime()
	}
	s.requeue(t, ids[0], 1)
	s.requeue(t, ids[0], 2)
	if rc := s.wait(t, ids[0]); rc != 0 {
		t.Fatalf("re-run tasks: exit code %d", rc)
	}
	for k, mt := range kept {
		if st, _ := os.Stat(filepath.Join(out2, "simulate-parts", "part-"+k+".parquet")); !st.ModTime().Equal(mt) {
			t.Errorf("task %s ran again", k)
		}
	}
	oneBig := filepath.Join(dir, "one-big.parquet")
	if _, err := run(dir, nil, bin, append([]string{"simulate", "--out", oneBig}, big...)...); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(out2, "simulate.parquet")
	if _, err := run(dir, nil, bin, "merge", filepath.Join(out2, "simulate-parts"), "--out", merged); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, merged, oneBig)
	t.Logf("failing and killed tasks, re-run alone: %.1f s", time.Since(t0).Seconds())

	// Requeue that resumes: the signal train.sbatch gets before the time
	// limit (--signal=B:USR1@...) makes the task save, requeue itself and
	// continue from last.ckpt; the result equals an uninterrupted run.
	t0 = time.Now()
	cfg := tinyTrainConfig(t, dir, 250)
	ref := make(chan error, 1)
	go func() {
		_, err := run(dir, []string{"GOMAXPROCS=1"}, bin, "train", "--config", cfg, "--out", filepath.Join(dir, "ref"))
		ref <- err
	}()
	trainAbs, _ := filepath.Abs("slurm/train.sbatch")
	id, err := s.cmd(dir, "sbatch", "--parsable", "--array=0", "--cpus-per-task=1", trainAbs, filepath.Join(dir, "runs"), "0", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(id)
	metrics := filepath.Join(dir, "runs", "seed-0", "metrics.jsonl")
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if b, _ := os.ReadFile(metrics); strings.Count(string(b), `"kind":"step"`) >= 30 {
			break
		}
		if time.Now().After(deadline) || s.taskState(id, 0) == "" {
			t.Fatal("training did not get going")
		}
	}
	if out, err := s.cmd(dir, "scancel", "--batch", "--signal=USR1", id+"_0"); err != nil {
		t.Fatalf("USR1: %v %s", err, out)
	}
	for deadline := time.Now().Add(time.Minute); s.taskState(id, 0) != "PENDING"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the train task did not requeue itself")
		}
	}
	s.startNow(t, id+"_0")
	rc := s.wait(t, id)
	log, _ = os.ReadFile(filepath.Join(dir, fmt.Sprintf("pcttrack-train-%s_0.out", id)))
	if rc != 0 {
		t.Fatalf("requeued train task: exit code %d:\n%s", rc, log)
	}
	if err := <-ref; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "saving and requeueing") || !strings.Contains(string(log), "resumed at") {
		t.Errorf("train task log lacks the requeue and the resume:\n%s", log)
	}
	for _, f := range []string{"last.ckpt", "best.ckpt"} {
		sameFiles(t, filepath.Join(dir, "runs", "seed-0", f), filepath.Join(dir, "ref", "seed-0", f))
	}
	t.Logf("train requeued at the time-limit signal and resumed: %.1f s", time.Since(t0).Seconds())

	// A stepped array: every task refuses it with one error line.
	abs, _ := filepath.Abs("slurm/simulate.sbatch")
	id, err = s.cmd(dir, "sbatch", "--parsable", "--array=0-6:2", abs, filepath.Join(dir, "out3"), "--frames", "4")
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(id)
	if rc := s.wait(t, id); rc != 1 {
		t.Errorf("stepped array: exit code %d, want 1", rc)
	}
	log, _ = os.ReadFile(filepath.Join(dir, fmt.Sprintf("pcttrack-simulate-%s_2.out", id)))
	if !strings.Contains(string(log), "the job array has step 2") {
		t.Errorf("stepped array task 2 said %q", log)
	}
}
