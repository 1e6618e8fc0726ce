package xslices

import (
	"errors"
	"slices"
	"strconv"
	"testing"
)

func TestMap(t *testing.T) {
	got, err := Map([]string{"1", "22", "333"}, strconv.Atoi)
	if err != nil || !slices.Equal(got, []int{1, 22, 333}) {
		t.Fatalf("Map = %v, %v", got, err)
	}
	calls := 0
	boom := errors.New("boom")
	_, err = Map([]int{1, 2, 3}, func(x int) (int, error) {
		calls++
		if x == 2 {
			return 0, boom
		}
		return x, nil
	})
	if err != boom || calls != 2 {
		t.Fatalf("error %v after %d calls, want boom after 2", err, calls)
	}
	if got, err := Map(nil, strconv.Atoi); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
}
