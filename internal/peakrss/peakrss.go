// Package peakrss reads the peak resident set of the process, which the
// memory benchmarks report beside their timings (b.ReportMetric(MB(),
// "MB-peak")).
package peakrss

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// MB returns the process's peak resident set (VmHWM of /proc/self/status)
// in MiB, or 0 where that file does not exist (not Linux).
func MB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
