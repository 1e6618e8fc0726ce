package sim

import "github.com/pcttrack/pcttrack/dataset"

// DatasetMeta returns the dataset metadata of a run of c: source
// "simulate", the geometry name, the seed, the resolved configuration as
// YAML (MarshalConfig), the run's frame count, its shard and the physics
// version. It fails when c is not a valid configuration.
func DatasetMeta(c Config) (dataset.Meta, error) {
	text, err := MarshalConfig(c)
	if err != nil {
		return dataset.Meta{}, err
	}
	r, _ := c.resolved()
	return dataset.Meta{Source: "simulate", Geometry: r.Geometry.Name, Seed: c.Seed, Config: string(text),
		Frames: int64(c.Frames), Shard: c.Shard.String(), SimPhysics: PhysicsVersion}, nil
}
