package jsonfile

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type rec struct {
	A int     `json:"a"`
	B []int   `json:"b"`
	C float64 `json:"c"`
}

func TestRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.json")
	if err := Write("x", p, &rec{A: 3, B: []int{1, 2}, C: 0.5}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n \"a\": 3,\n \"b\": [\n  1,\n  2\n ],\n \"c\": 0.5\n}\n"; string(b) != want {
		t.Fatalf("file %q, want %q", b, want)
	}
	r, err := Read[rec]("x", p)
	if err != nil {
		t.Fatal(err)
	}
	if r.A != 3 || len(r.B) != 2 || r.B[1] != 2 || r.C != 0.5 {
		t.Fatalf("read %+v", r)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read[rec]("x", filepath.Join(dir, "missing.json")); err == nil || !strings.HasPrefix(err.Error(), "x: ") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read[rec]("x", bad); err == nil || !strings.HasPrefix(err.Error(), "x: "+bad+": ") {
		t.Errorf("corrupt file: %v", err)
	}
	p := filepath.Join(dir, "nan.json")
	if err := Write("x", p, map[string]float64{"v": math.NaN()}); err == nil || !strings.HasPrefix(err.Error(), "x: ") {
		t.Errorf("NaN value: %v", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("output written after an encode error: %v", err)
	}
}
