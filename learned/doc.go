// Package learned is the learned tracker: it scores a frame's hit-graph
// segments with a trained interaction network (package model) and turns the
// scores into tracks with package track's per-layer assignment, chaining
// and filter, on the graphs the network was trained on (the graph options
// a checkpoint records: the paper's full graphs or sparse ones). It sits
// above track so that the trackers, metrics and plots
// that know nothing of networks do not depend on the neural engine. A
// Tracker owns its workspace and is not safe for concurrent use; Clone
// gives each goroutine its own.
package learned
