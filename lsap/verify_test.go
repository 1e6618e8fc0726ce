package lsap_test

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/lsap"
)

// mirrored checks the matches m of one side (named side) against the other
// side's back (named other, n entries, field backName): each match is in
// range and mirrored, and a node is unmatched only where the unmatched
// cost allows it. It returns the first violation found, or "".
func mirrored(m, back []int32, n int, unmatchedCost float64, side, other, backName string) string {
	for i, j := range m {
		if j == lsap.Unmatched {
			if unmatchedCost == math.Inf(1) {
				return fmt.Sprintf("%s %d unmatched but %ss must be matched", side, i, side)
			}
			continue
		}
		if j < 0 || int(j) >= n || back[j] != int32(i) {
			return fmt.Sprintf("%s %d → %s %d is not mirrored by %s", side, i, other, j, backName)
		}
	}
	return ""
}

// dualBound checks the duals y (named name) of one side (named side,
// matches m): finite, at most the unmatched cost, and equal to it (within
// tol) at an unmatched node. It returns the first violation found, or "".
func dualBound(y []float64, m []int32, unmatchedCost, tol float64, name, side string) string {
	for i, yi := range y {
		if math.IsNaN(yi) || math.IsInf(yi, 0) {
			return fmt.Sprintf("%s[%d] = %v", name, i, yi)
		}
		if yi > unmatchedCost+tol {
			return fmt.Sprintf("%s[%d] = %v > unmatched %s cost %v", name, i, yi, side, unmatchedCost)
		}
		if m[i] == lsap.Unmatched && math.Abs(yi-unmatchedCost) > tol {
			return fmt.Sprintf("unmatched %s %d has %s = %v ≠ %v", side, i, name, yi, unmatchedCost)
		}
	}
	return ""
}

// verify checks that res is a valid matching of the dense rows×cols problem
// c (+Inf = forbidden) and that the duals u, v prove it optimal: dual
// feasibility and complementary slackness of the LP in the package comment.
// It returns the first violation found, or "".
func verify(c []float64, rows, cols int, res lsap.Result, u, v []float64) string {
	if len(res.RowToCol) != rows || len(res.ColToRow) != cols {
		return fmt.Sprintf("result lengths %d, %d for a %d×%d problem", len(res.RowToCol), len(res.ColToRow), rows, cols)
	}
	a, b := res.RowUnmatchedCost, res.ColUnmatchedCost
	if msg := mirrored(res.RowToCol, res.ColToRow, cols, a, "row", "column", "ColToRow"); msg != "" {
		return msg
	}
	if msg := mirrored(res.ColToRow, res.RowToCol, rows, b, "column", "row", "RowToCol"); msg != "" {
		return msg
	}
	matched, sum := 0, 0.0
	for i, j := range res.RowToCol {
		if j == lsap.Unmatched {
			continue
		}
		if math.IsInf(c[i*cols+int(j)], 1) {
			return fmt.Sprintf("row %d is matched to forbidden column %d", i, j)
		}
		matched++
		sum += c[i*cols+int(j)]
	}
	if matched != res.Matched {
		return fmt.Sprintf("Matched = %d, counted %d", res.Matched, matched)
	}
	if sum != res.Cost {
		return fmt.Sprintf("Cost = %v, sum of matched costs %v", res.Cost, sum)
	}

	if len(u) != rows || len(v) != cols {
		return fmt.Sprintf("dual lengths %d, %d", len(u), len(v))
	}
	scale := 1.0
	for _, x := range append(c[:len(c):len(c)], a, b) {
		if !math.IsInf(x, 0) {
			scale = math.Max(scale, math.Abs(x))
		}
	}
	tol := 1e-9 * scale
	if msg := dualBound(u, res.RowToCol, a, tol, "u", "row"); msg != "" {
		return msg
	}
	if msg := dualBound(v, res.ColToRow, b, tol, "v", "column"); msg != "" {
		return msg
	}
	for i := range rows {
		for j := range cols {
			cij := c[i*cols+j]
			if math.IsInf(cij, 1) {
				continue
			}
			slack := cij - u[i] - v[j]
			if slack < -tol {
				return fmt.Sprintf("dual infeasible at (%d,%d): c − u − v = %g", i, j, slack)
			}
			if res.RowToCol[i] == int32(j) && math.Abs(slack) > tol {
				return fmt.Sprintf("matched pair (%d,%d) has slack %g", i, j, slack)
			}
		}
	}
	return ""
}

// objective returns the cost of res including the unmatched costs.
func objective(res lsap.Result, rows, cols int) float64 {
	obj := res.Cost
	if n := rows - res.Matched; n > 0 {
		obj += float64(n) * res.RowUnmatchedCost
	}
	if n := cols - res.Matched; n > 0 {
		obj += float64(n) * res.ColUnmatchedCost
	}
	return obj
}

// bruteForce enumerates every matching of the rows×cols problem c and
// returns the least objective c(M) + a·(unmatched rows) + b·(unmatched
// columns), where an infinite a or b forbids unmatched rows or columns; with
// maxCard it returns the cheapest cost among the largest matchings instead.
// ok is false when no matching is allowed.
func bruteForce(c []float64, rows, cols int, a, b float64, maxCard bool) (obj float64, card int, ok bool) {
	if maxCard {
		a, b = 0, 0
	}
	used := make([]bool, cols)
	obj, card = math.Inf(1), -1
	var rec func(i, m int, sum float64)
	rec = func(i, m int, sum float64) {
		if i == rows {
			if (a == math.Inf(1) && m < rows) || (b == math.Inf(1) && m < cols) {
				return
			}
			total := sum
			if m < rows {
				total += float64(rows-m) * a
			}
			if m < cols {
				total += float64(cols-m) * b
			}
			better := total < obj
			if maxCard {
				better = m > card || (m == card && total < obj)
			}
			if better || !ok {
				obj, card, ok = total, m, true
			}
			return
		}
		for j := range cols {
			if !used[j] && !math.IsInf(c[i*cols+j], 1) {
				used[j] = true
				rec(i+1, m+1, sum+c[i*cols+j])
				used[j] = false
			}
		}
		if a < math.Inf(1) {
			rec(i+1, m, sum)
		}
	}
	rec(0, 0, 0)
	return obj, card, ok
}
