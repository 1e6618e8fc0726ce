// Package jsonfile reads and writes JSON files: the result and state files
// of the analyses (compare, landscape), indented with one space, a final
// newline, written atomically, and the tests' golden files; errors are
// prefixed with the calling package's name, so every such file of the
// project looks and fails the same way.
package jsonfile

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
)

// Read decodes the JSON file path into a new T. A read error is wrapped
// as "pkg: err", a decode error as "pkg: path: err".
func Read[T any](pkg, path string) (*T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkg, err)
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", pkg, path, err)
	}
	return v, nil
}

// Write encodes v, indented with one space and newline-terminated, to path
// atomically. An encode error is wrapped as "pkg: err"; a write error is
// returned as atomicfile gives it.
func Write(pkg, path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("%s: %w", pkg, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}
