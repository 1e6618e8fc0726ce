// Package pipeline is the frame loop shared by `pcttrack eval`, `track` and
// `demo`: read a frame (Source), build its hit graph (graph.Builder), run one
// or more trackers on it (Method, track.Tracker), score them against the
// truth (metrics.Evaluator) and hand the result to a visitor, on several
// workers but always in selection order, so outputs do not depend on the
// number of workers. Frames whose graph cannot be built from their data
// (empty, one layer, NaN: *graph.FrameError) are skipped and reported, never
// fatal. Run times each stage (read, graph, each tracker, metrics), summed over
// workers, so throughput per core can be reported next to the wall-clock rate.
// Evaluate aggregates the metrics by method, phantom, protons per frame and
// model seed; WriteTracks writes tracks files. Units are those of the packages
// it wires (mm, MeV, rad; rates as fractions). Everything Run hands to the
// visitor (frame, graph, results) belongs to Run and is reused after the call.
package pipeline
