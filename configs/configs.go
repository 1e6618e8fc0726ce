// Package configs embeds the training configurations shipped with pcttrack
// (YAML files in this directory, decoded by package train), so that the
// binary can run them on a fresh machine: `pcttrack train --config
// small-pat`. The paper's set-ups (Kortus, Keidel & Gauger, TMLR 2025)
// simulate their data inline; their sizes are documented in each file.
// Get returns a copy the caller owns.
package configs

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names returns the names of the embedded configs (file names without
// .yaml), sorted.
func Names() []string {
	ents, err := files.ReadDir(".")
	if err != nil {
		panic("configs: embedded directory unreadable")
	}
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Get returns the YAML of the embedded config name (with or without the
// .yaml suffix), or an error listing the names that exist.
func Get(name string) ([]byte, error) {
	n := strings.TrimSuffix(name, ".yaml")
	if n == "" || strings.ContainsAny(n, "/\\") || n != path.Clean(n) {
		return nil, fmt.Errorf("configs: no embedded config %q (have %s)", name, strings.Join(Names(), ", "))
	}
	b, err := files.ReadFile(n + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("configs: no embedded config %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}
