package enum

import (
	"errors"
	"testing"
)

var names = []string{"batch", "running", "recompute"}

func TestNameAndIndex(t *testing.T) {
	for v, n := range names {
		if got := Name(names, v, "Mode"); got != n {
			t.Errorf("Name(%d) = %q", v, got)
		}
	}
	if got := Name(names, 3, "Mode"); got != "Mode(3)" {
		t.Errorf("Name(3) = %q", got)
	}
	if got := Name(names, -1, "Mode"); got != "Mode(-1)" {
		t.Errorf("Name(-1) = %q", got)
	}
	for _, tc := range []struct {
		s  string
		v  int
		ok bool
	}{{"", 0, true}, {"  ", 0, true}, {"running", 1, true}, {" ReCompute ", 2, true}, {"runnin", 0, false}, {"batch2", 0, false}} {
		if v, ok := Index(names, tc.s); v != tc.v || ok != tc.ok {
			t.Errorf("Index(%q) = %d, %v, want %d, %v", tc.s, v, ok, tc.v, tc.ok)
		}
	}
}

func TestText(t *testing.T) {
	if b, err := Text(names, 2, "x: invalid mode"); err != nil || string(b) != "recompute" {
		t.Errorf("Text(2) = %q, %v", b, err)
	}
	if _, err := Text(names, 3, "x: invalid mode"); err == nil || err.Error() != "x: invalid mode 3" {
		t.Errorf("Text(3): %v", err)
	}
}

func TestUnmarshal(t *testing.T) {
	parse := func(s string) (int, error) {
		if v, ok := Index(names, s); ok {
			return v, nil
		}
		return 0, errors.New("unknown")
	}
	v := 1
	if err := Unmarshal(&v, []byte("recompute"), parse); err != nil || v != 2 {
		t.Fatalf("recompute: %d, %v", v, err)
	}
	if err := Unmarshal(&v, []byte("sometimes"), parse); err == nil || v != 2 {
		t.Fatalf("bad name: %d, %v (value must stay)", v, err)
	}
}
