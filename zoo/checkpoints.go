package zoo

import (
	"cmp"
	"context"
	"errors"
	"os"
	"time"

	"github.com/pcttrack/pcttrack/internal/progress"
)

// DefaultSaveEvery is the interval at which a resumable run saves its
// state.
const DefaultSaveEvery = 30 * time.Second

// Resumable are the options of a run that keeps its progress in a file,
// so that an interruption (Ctrl-C, a batch system's time limit) loses
// only what was done since the last save.
type Resumable struct {
	// State, when not empty, is the file the run saves its progress to
	// every SaveEvery (0: DefaultSaveEvery) and when interrupted; Resume
	// continues from it.
	State     string        `json:"-"`
	Resume    bool          `json:"-"`
	SaveEvery time.Duration `json:"-"`
}

// Finished removes the state file of a run that has ended.
func (r Resumable) Finished() {
	if r.State != "" {
		os.Remove(r.State)
	}
}

// Every returns the interval between saves.
func (r Resumable) Every() time.Duration { return cmp.Or(r.SaveEvery, DefaultSaveEvery) }

// Checkpoints is the bookkeeping of a resumable run over frames (an Each
// loop whose state is kept in a file): after each folded frame, Folded
// advances the bar, calls the hook and saves the state when every has
// passed since the last save; Stop saves it when the run was interrupted.
type Checkpoints struct {
	bar    *progress.Bar
	onFold func(done int)
	every  time.Duration
	save   func() error
	last   time.Time
}

// NewCheckpoints starts the clock of the periodic saves. bar and onFold
// may be nil.
func NewCheckpoints(bar *progress.Bar, onFold func(done int), every time.Duration, save func() error) *Checkpoints {
	return &Checkpoints{bar: bar, onFold: onFold, every: every, save: save, last: time.Now()}
}

// Folded records that the first done frames are folded.
func (c *Checkpoints) Folded(done int) error {
	c.bar.Add(1)
	if c.onFold != nil {
		c.onFold(done)
	}
	if time.Since(c.last) >= c.every {
		c.last = time.Now()
		return c.save()
	}
	return nil
}

// Stop returns err, the error of the Each loop, after saving the state if
// ctx was cancelled (an error of that save is returned instead).
func (c *Checkpoints) Stop(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		if serr := c.save(); serr != nil {
			return serr
		}
	}
	return err
}

// ReadState reads the state file path of a resumable run with read when
// resume is set and path is not empty. No such file (or no resume) is
// (nil, nil): the run starts afresh.
func ReadState[T any](resume bool, path string, read func(string) (*T, error)) (*T, error) {
	if !resume || path == "" {
		return nil, nil
	}
	s, err := read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return s, err
}
