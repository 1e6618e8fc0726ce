// Package shard splits indexed work (frames, seeds) over K independent
// workers, as a Slurm job array or a Kubernetes Indexed Job does. Worker k
// of K owns the indices i with i mod K == k; since every result depends
// only on the run seed and its own index, the union of the K shards equals
// one run. Parse reads "k/K" or takes k and K from the scheduler's
// environment ("slurm", "slurm/K", "k8s/K"); Complete checks, before a
// merge, that the shards given are exactly 0/K … K−1/K.
package shard
