// Package lsap solves linear sum assignment problems exactly: given a
// rows×cols cost matrix, dense and row-major (Solve, Solver.Dense) or sparse
// in CSR form (Solver.Sparse), it finds a minimum-cost matching of rows to
// columns with the semantics of scipy.optimize.linear_sum_assignment
// (min(rows, cols) pairs, +Inf forbids a pair, NaN and -Inf are errors, an
// infeasible problem returns ErrInfeasible), and optionally lets rows and
// columns stay unmatched at a cost or reproduces the paper's lapsolver
// (Options). Costs are dimensionless float64 of any sign (the track builder
// uses 1 − p), indices are int32 and Unmatched (-1) marks a row or column
// without a partner. The method is shortest augmenting paths with dual
// potentials (Jonker–Volgenant; Crouse 2016, as in scipy), and Solver.Duals
// returns the duals that certify optimality. A Solver owns its workspace and
// the slices of each Result it returns, which stay valid until its next
// call; once grown to the largest problem it allocates nothing, and it is
// not safe for concurrent use (give each goroutine its own).
package lsap
