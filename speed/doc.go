// Package speed measures what the trackers cost against protons per frame:
// for each number of protons it simulates (or reuses) a test dataset and
// runs the whole evaluation frame loop (package pipeline: read, hit graph,
// tracker, metrics) once per tracker, full and sparse graphs, interleaving
// the trackers so that the load of a shared machine affects them alike. It
// reports frames per second of wall time, ms per frame and per proton, the
// process's CPU time and each tracker's throughput relative to a
// reference tracker measured in the same round, as a table (Markdown,
// JSON) and a figure; pcttrack speed wires it.
package speed
