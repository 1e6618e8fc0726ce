package scratch

import "testing"

func TestGrow(t *testing.T) {
	s := make([]int, 3, 8)
	s[0] = 7
	g := Grow(s, 5)
	if len(g) != 5 || &g[0] != &s[0] || g[0] != 7 {
		t.Errorf("Grow within capacity: len %d, reused %v, g[0] %d", len(g), &g[0] == &s[0], g[0])
	}
	if g := Grow(s, 9); len(g) != 9 || cap(g) < 9 || &g[0] == &s[0] {
		t.Errorf("Grow beyond capacity: len %d cap %d", len(g), cap(g))
	}
	z := Zeroed(s, 4)
	for i, v := range z {
		if v != 0 {
			t.Errorf("Zeroed[%d] = %d", i, v)
		}
	}
	if n := testing.AllocsPerRun(100, func() { s = Grow(s, 8) }); n != 0 {
		t.Errorf("Grow within capacity allocates %v times", n)
	}
}
