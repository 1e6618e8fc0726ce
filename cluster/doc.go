// Package cluster holds no library code: it is the home of pcttrack's job
// templates (slurm/*.sbatch and submit.sh for Slurm job arrays, k8s/*.yaml
// for Kubernetes Indexed Jobs), of slurm-local.sh, which installs and runs a
// real single-node Slurm on 127.0.0.1, and of their tests. The template tests
// run in every `go test ./...`: they check the resource and requeue lines,
// run each sbatch script as the tasks of an array would (with Slurm's
// variables set by hand) and validate every pcttrack command line of the
// manifests against the real binary. The cluster test (PCTTRACK_SLURM=1, as
// root, with Slurm installed) submits the templates to a real slurmctld and
// slurmd and checks that the merged outputs are the one-process outputs,
// that a failing task fails the job and that a killed task re-run alone
// completes it.
package cluster
