// Package zoo loads a set of trained models for the analyses of the
// paper's second half (package compare, package landscape): each
// checkpoint with the run configuration beside it (train.FileConfig), its
// method, λ and seed, a name and a group ("PAT λ=50", "PTT"), and checks
// that the models can be compared — one architecture, one hit-graph
// configuration, and the same training data. Data gives the frames the
// analyses run on: the models' training frames (the paper's choice) or
// dataset files, selected evenly or from the start, prepared on demand
// with an optional memory budget. λ is the paper's (e2e.Options.Lambda);
// frames are prepared exactly as training prepares them.
package zoo
