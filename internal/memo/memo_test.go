package memo

import (
	"errors"
	"sync"
	"testing"
)

func TestGet(t *testing.T) {
	var c Map[string, int]
	builds := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			v, err := c.Get("a", func() (int, error) { builds++; return 7, nil })
			if err != nil || v != 7 {
				t.Errorf("Get = %d, %v", v, err)
			}
		})
	}
	wg.Wait()
	if builds != 1 {
		t.Errorf("built %d times, want once", builds)
	}
	boom := errors.New("boom")
	if _, err := c.Get("b", func() (int, error) { return 0, boom }); err != boom {
		t.Errorf("build error: %v", err)
	}
	if v, err := c.Get("b", func() (int, error) { return 3, nil }); err != nil || v != 3 {
		t.Errorf("after a failed build: %d, %v", v, err)
	}
}
