package progress

import (
	"bytes"
	"strings"
	"testing"
)

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	old := Interval
	Interval = 0
	defer func() { Interval = old }()
	b := New(&buf, 4, "sim")
	b.Status("loss 1")
	for i := 0; i < 4; i++ {
		b.Add(1)
	}
	b.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines: %q", len(lines), buf.String())
	}
	if !strings.HasPrefix(lines[3], "sim: 4/4 (100%)") || !strings.HasSuffix(lines[3], "loss 1") {
		t.Fatalf("last line %q", lines[3])
	}
	var nb *Bar
	nb.Add(1) // nil is a no-op
}
