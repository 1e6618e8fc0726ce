package model

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestConfigFromYAML(t *testing.T) {
	src := `
kind: hitgraph
hidden: 32
bn_momentum: 0.05
hit_norm: {cluster_scale: 8, x0: 0, y0: 0, xy_scale: 100, z0: 0, z_scale: 10}
`
	var c Config
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	r, err := c.Resolved()
	if err != nil {
		t.Fatal(err)
	}
	want := HitNorm{ClusterScale: 8, XYScale: 100, ZScale: 10}
	if r.Kind != KindHitGraph || r.Hidden != 32 || r.BNMomentum != 0.05 || r.BNEps != 1e-5 || *r.HitNorm != want {
		t.Fatalf("decoded %+v (norm %+v)", r, *r.HitNorm)
	}
	if ParamCount(r) == 0 {
		t.Fatal("no parameters")
	}
}
