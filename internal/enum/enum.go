// Package enum gives the small integer enumerations of the packages
// (gradient variants, batch-norm modes) their names from one table: the
// String form, parsing and the range check of the text encoding, so each
// such type writes only its table and its error messages.
package enum

import (
	"fmt"
	"strings"
)

// Name returns names[v], or typ(v), e.g. "Variant(7)", for a value outside
// the table.
func Name(names []string, v int, typ string) string {
	if Valid(names, v) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// Valid reports whether v has a name.
func Valid(names []string, v int) bool { return v >= 0 && v < len(names) }

// Text returns the name of v for encoding.TextMarshaler, or the error
// "invalid v" (invalid names the package and type, e.g. "e2e: invalid
// gradient variant") for a value outside the table.
func Text(names []string, v int, invalid string) ([]byte, error) {
	if !Valid(names, v) {
		return nil, fmt.Errorf("%s %d", invalid, v)
	}
	return []byte(names[v]), nil
}

// Index returns the value named s, ignoring surrounding spaces and case;
// an empty s is the zero value. ok is false for an unknown name.
func Index(names []string, s string) (v int, ok bool) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, true
	}
	for i, n := range names {
		if strings.EqualFold(t, n) {
			return i, true
		}
	}
	return 0, false
}

// Unmarshal sets *dst to parse(text) when that succeeds (an
// encoding.TextUnmarshaler); on an error *dst is left as it was.
func Unmarshal[E any](dst *E, text []byte, parse func(string) (E, error)) error {
	v, err := parse(string(text))
	if err != nil {
		return err
	}
	*dst = v
	return nil
}
