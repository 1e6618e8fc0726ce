package shard

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Shard
		wantErr bool
	}{
		{"", Shard{0, 1}, false},
		{"0/1", Shard{0, 1}, false},
		{"2/4", Shard{2, 4}, false},
		{"4/4", Shard{}, true},
		{"-1/4", Shard{}, true},
		{"1/0", Shard{}, true},
		{"x", Shard{}, true},
		{"1/a", Shard{}, true},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, err=%v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestOwnsPartitions(t *testing.T) {
	const n = 103
	for K := 1; K <= 5; K++ {
		seen := make([]int, n)
		for k := 0; k < K; k++ {
			s := Shard{k, K}
			for i := 0; i < n; i++ {
				if s.Owns(i) {
					seen[i]++
				}
			}
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("K=%d: index %d owned %d times", K, i, c)
			}
		}
	}
}
