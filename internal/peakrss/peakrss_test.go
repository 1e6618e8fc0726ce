package peakrss

import (
	"os"
	"testing"
)

// TestMB: on Linux the peak resident set of a Go test binary is a few MiB
// to a few GiB; elsewhere 0.
func TestMB(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		if MB() != 0 {
			t.Fatalf("MB() = %g without /proc", MB())
		}
		t.Skip("no /proc/self/status")
	}
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	if mb := MB(); mb < 64 || mb > 1<<16 {
		t.Fatalf("MB() = %g after touching 64 MiB", mb)
	}
	_ = buf[len(buf)-1]
}
