// Package atomicfile writes a file so that readers only ever see the old
// content or the complete new content: data goes to a temporary file in the
// same directory, which Commit syncs and renames over the target. Close
// without Commit removes the temporary file, so an error or an interrupt
// never leaves a half-written output behind.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is an output file under construction.
type File struct {
	*os.File
	path      string
	committed bool
	closed    bool
}

// Create opens a temporary file next to path.
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	return &File{File: tmp, path: path}, nil
}

// Path returns the final path.
func (f *File) Path() string { return f.path }

// Commit flushes the data to disk and renames the temporary file to the
// final path. After Commit, Close is a no-op.
func (f *File) Commit() error {
	if f.closed {
		return errors.New("atomicfile: commit after close")
	}
	f.closed = true
	name := f.File.Name()
	if err := f.File.Sync(); err != nil {
		f.File.Close()
		os.Remove(name)
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := f.File.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := os.Chmod(name, 0o644); err != nil {
		os.Remove(name)
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := os.Rename(name, f.path); err != nil {
		os.Remove(name)
		return fmt.Errorf("atomicfile: %w", err)
	}
	f.committed = true
	return nil
}

// Close discards the temporary file unless Commit succeeded. It can be
// called more than once and is safe to defer.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	name := f.File.Name()
	f.File.Close()
	return os.Remove(name)
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return f.Commit()
}
