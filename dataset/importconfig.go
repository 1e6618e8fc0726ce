package dataset

import (
	"fmt"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// ImportConfig returns the YAML that records an import in Meta.Config: the
// importer kind ("gate", "npz"), the input files' base names and the
// options.
func ImportConfig(kind string, files []string, o ImportOptions) (string, error) {
	doc := struct {
		Import  string        `yaml:"import"`
		Files   []string      `yaml:"files"`
		Options ImportOptions `yaml:"options"`
	}{Import: kind, Options: o}
	for _, f := range files {
		doc.Files = append(doc.Files, filepath.Base(f))
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		return "", fmt.Errorf("dataset: import config: %w", err)
	}
	return string(b), nil
}
