package configs

import (
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	names := Names()
	if len(names) < 8 {
		t.Fatalf("only %d embedded configs: %v", len(names), names)
	}
	for _, n := range []string{"small-pat", "small-pat.yaml"} {
		b, err := Get(n)
		if err != nil || !strings.Contains(string(b), "method: pat") {
			t.Errorf("Get(%q): %v", n, err)
		}
	}
	for _, n := range []string{"", "nope", "../configs/small-pat", "small-pat/"} {
		if _, err := Get(n); err == nil || !strings.Contains(err.Error(), "small-ptt") {
			t.Errorf("Get(%q): error %v should list the configs", n, err)
		}
	}
}
