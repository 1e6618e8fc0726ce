package dataset

import (
	"context"
	"fmt"
)

// WriteFile writes frames to a new dataset at path with metadata meta:
// Create, then WriteAll. An error or a cancelled ctx leaves no file.
func WriteFile(ctx context.Context, path string, meta Meta, frames []Frame) error {
	w, err := Create(path, meta)
	if err != nil {
		return err
	}
	return w.WriteAll(ctx, frames)
}

// WriteAll writes frames and commits the file (Close). On an error or when
// ctx is cancelled (checked between frames) it aborts instead: no file is
// left behind.
func (w *Writer) WriteAll(ctx context.Context, frames []Frame) error {
	defer w.Abort() // a no-op after a successful Close
	for i := range frames {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		if err := w.Write(&frames[i]); err != nil {
			return err
		}
	}
	return w.Close()
}
