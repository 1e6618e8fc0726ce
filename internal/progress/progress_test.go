package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
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

func TestETA(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, 100, "train")
	b.done = 25
	b.logLine(b.start.Add(50 * time.Second)) // 0.5/s, 75 left: 2m30s
	if got := buf.String(); !strings.Contains(got, "eta 2m30s") {
		t.Errorf("line %q, want eta 2m30s", got)
	}
}
