package lsap

// jv solves the square n×n problem c in which every row and column must be
// matched: Jonker–Volgenant column reduction, reduction transfer and two
// rounds of augmenting row reduction assign most rows cheaply, then
// shortest augmenting paths (denseRow) assign the rest. Throughout, every
// assigned row's column minimises its reduced cost c_ij − v_j, so setting
// u_i to that minimum keeps the duals feasible and tight.
func (s *Solver) jv(c []float64, n int) error {
	if n == 0 {
		return nil
	}
	v, x, y := s.v[:n], s.x[:n], s.y[:n]
	uniq := s.pred[:n] // 1 if the row is the argmin of exactly one column

	// Column reduction: v_j = min_i c_ij, y_j = first argmin.
	for j := range v {
		v[j] = inf
	}
	for i := 0; i < n; i++ {
		row := c[i*n : i*n+n : i*n+n]
		v := v[:len(row)]
		y := y[:len(row)]
		for j, cij := range row {
			if cij < v[j] {
				v[j], y[j] = cij, int32(i)
			}
		}
	}
	for j := range v {
		if v[j] == inf {
			return errorf(ErrInfeasible, "column %d cannot be matched: all its costs are +Inf", j)
		}
	}
	for i := range uniq {
		uniq[i] = 0
	}
	for j := range y {
		i := y[j]
		if x[i] < 0 {
			x[i], uniq[i] = int32(j), 1
		} else {
			uniq[i] = 0
			y[j] = Unmatched
		}
	}

	// Reduction transfer: a row that is the minimum of only its own column
	// passes its slack to that column's potential.
	free := s.free[:0]
	for i := 0; i < n; i++ {
		j := int(x[i])
		if j < 0 {
			free = append(free, int32(i))
			continue
		}
		if uniq[i] == 0 {
			continue
		}
		row := c[i*n : i*n+n : i*n+n]
		mu := inf
		for j2, cij := range row[:j] {
			if r := cij - v[j2]; r < mu {
				mu = r
			}
		}
		for j2 := j + 1; j2 < len(row); j2++ {
			if r := row[j2] - v[j2]; r < mu {
				mu = r
			}
		}
		if mu < inf {
			v[j] -= mu
		}
	}

	// The auction is cheap at first but slows to tiny price steps; after
	// arrBudget·n row scans the shortest path phase is faster (measured on
	// uniform costs, n = 500…2000: budgets of 2…4 are best, scipy-like pure
	// augmentation is 1.5× slower, unbounded JV auction 3×).
	budget := arrBudget * n
	for range 2 {
		var fail int
		if free, fail = s.arr(c, n, free, &budget); fail >= 0 {
			return s.infeasibleRow(fail)
		}
	}
	s.free = free

	u := s.u[:n]
	for i := range u {
		if j := x[i]; j >= 0 {
			u[i] = c[i*n+int(j)] - v[j]
		}
	}
	for _, i := range free {
		if !s.denseRow(c, n, inf, int(i)) {
			return s.infeasibleRow(int(i))
		}
	}
	return nil
}

// arrBudget bounds the row scans of augmenting row reduction, per row.
const arrBudget = 3

// arr is one round of augmenting row reduction (an auction): each free row
// takes its cheapest column j1 and lowers v_j1 until j1 ties with its second
// cheapest, evicting j1's previous row, which is processed again at once if
// the price moved and kept for later otherwise. Each row scan spends one
// unit of *budget; when it runs out the remaining rows stay free. It
// returns the rows still free, reusing the storage of free, and the first
// row found with no allowed column (−1 if none).
func (s *Solver) arr(c []float64, n int, free []int32, budget *int) ([]int32, int) {
	v, x, y := s.v[:n], s.x[:n], s.y[:n]
	cur, nfree, nnew := 0, len(free), 0
	for count := 0; cur < nfree; {
		if *budget <= 0 {
			nnew += copy(free[nnew:], free[cur:nfree])
			break
		}
		*budget--
		count++
		i := free[cur]
		cur++
		row := c[int(i)*n : int(i)*n+n : int(i)*n+n]
		v := v[:len(row)]
		// The two smallest reduced costs; among ties for the smallest
		// prefer a free column, so that a constant matrix ends as the
		// identity.
		v1, v2 := inf, inf
		j1, j2 := int32(-1), int32(-1)
		for j, cij := range row {
			h := cij - v[j]
			if h > v2 {
				continue // almost always: one compare per entry
			}
			switch {
			case h < v1:
				v2, j2 = v1, j1
				v1, j1 = h, int32(j)
			case h == v1 && j1 >= 0 && y[j] < 0 && y[j1] >= 0:
				if h < v2 {
					v2, j2 = v1, j1
				}
				j1 = int32(j)
			case h < v2:
				v2, j2 = h, int32(j)
			}
		}
		if v1 == inf {
			return free[:nnew], int(i)
		}
		i0 := y[j1]
		if v2 == inf {
			// Only one allowed column: take it if free, else leave the row
			// to the augmentation phase (there is no price to bid).
			if i0 < 0 {
				x[i], y[j1] = j1, i
			} else {
				free[nnew] = i
				nnew++
			}
			continue
		}
		v1new := v[j1] - (v2 - v1)
		lowers := v1new < v[j1]
		if count < cur*n {
			if lowers {
				v[j1] = v1new
			} else if i0 >= 0 && j2 >= 0 {
				j1, i0 = j2, y[j2]
			}
			if i0 >= 0 {
				if lowers {
					cur--
					free[cur] = i0
				} else {
					free[nnew] = i0
					nnew++
				}
			}
		} else if i0 >= 0 {
			free[nnew] = i0
			nnew++
		}
		if i0 >= 0 {
			x[i0] = Unmatched
		}
		x[i], y[j1] = j1, i
	}
	return free[:nnew], -1
}
