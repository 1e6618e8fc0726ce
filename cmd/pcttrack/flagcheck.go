package main

import (
	"fmt"
	"math"
)

// A bound is a condition on one numeric flag. Commands check their bounds
// with checkBounds, so that an error names the flag at fault and its value
// rather than listing every rule.
type bound struct {
	flag string // without the dashes
	val  any
	ok   bool
	want string // what the value must be, e.g. ">= 2"
}

// atLeast is the bound v >= lo (NaN fails).
func atLeast[T int | float64](flag string, v, lo T) bound {
	return bound{flag, v, v >= lo, fmt.Sprintf(">= %v", lo)}
}

// positive is the bound 0 < v < +Inf (NaN fails).
func positive(flag string, v float64) bound {
	return bound{flag, v, v > 0 && !math.IsInf(v, 1), "a positive number"}
}

// checkBounds returns an error of command cmd naming the first bound of bs
// that fails, or nil.
func checkBounds(cmd string, bs ...bound) error {
	for _, b := range bs {
		if !b.ok {
			return fmt.Errorf("%s: --%s must be %s, not %v", cmd, b.flag, b.want, b.val)
		}
	}
	return nil
}
