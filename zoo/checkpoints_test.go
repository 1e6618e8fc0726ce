package zoo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestCheckpoints(t *testing.T) {
	saves := 0
	var folded []int
	save := func() error { saves++; return nil }
	c := NewCheckpoints(nil, func(done int) { folded = append(folded, done) }, time.Hour, save)
	for i := 1; i <= 3; i++ {
		if err := c.Folded(i); err != nil {
			t.Fatal(err)
		}
	}
	if saves != 0 || len(folded) != 3 || folded[2] != 3 {
		t.Fatalf("within the period: %d saves, hook saw %v", saves, folded)
	}
	c = NewCheckpoints(nil, nil, 0, save)
	if err := c.Folded(1); err != nil || saves != 1 {
		t.Fatalf("period 0: %d saves, %v", saves, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	boom := errors.New("boom")
	if err := c.Stop(ctx, boom); err != boom || saves != 1 {
		t.Fatalf("error without interrupt: %v, %d saves", err, saves)
	}
	if err := c.Stop(ctx, nil); err != nil || saves != 1 {
		t.Fatalf("clean end: %v, %d saves", err, saves)
	}
	cancel()
	if err := c.Stop(ctx, ctx.Err()); !errors.Is(err, context.Canceled) || saves != 2 {
		t.Fatalf("interrupt: %v, %d saves", err, saves)
	}
	failed := errors.New("disk full")
	c = NewCheckpoints(nil, nil, time.Hour, func() error { return failed })
	if err := c.Stop(ctx, ctx.Err()); err != failed {
		t.Fatalf("interrupt with a failing save: %v", err)
	}
}

func TestReadState(t *testing.T) {
	calls := 0
	read := func(p string) (*int, error) {
		calls++
		switch p {
		case "missing":
			return nil, fmt.Errorf("x: %w", os.ErrNotExist)
		case "bad":
			return nil, errors.New("corrupt")
		}
		v := 5
		return &v, nil
	}
	if s, err := ReadState(false, "good", read); s != nil || err != nil || calls != 0 {
		t.Errorf("no resume: %v, %v, %d reads", s, err, calls)
	}
	if s, err := ReadState(true, "", read); s != nil || err != nil || calls != 0 {
		t.Errorf("no state file: %v, %v, %d reads", s, err, calls)
	}
	if s, err := ReadState(true, "missing", read); s != nil || err != nil {
		t.Errorf("missing file: %v, %v", s, err)
	}
	if _, err := ReadState(true, "bad", read); err == nil {
		t.Error("corrupt file accepted")
	}
	if s, err := ReadState(true, "good", read); err != nil || s == nil || *s != 5 {
		t.Errorf("good file: %v, %v", s, err)
	}
}
