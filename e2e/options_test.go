package e2e

import (
	"encoding/json"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestParseVariant(t *testing.T) {
	cases := []struct {
		in      string
		want    Variant
		wantErr bool
	}{
		{"blackbox", Blackbox, false},
		{"", Unscaled, false},
		{"Unscaled", Unscaled, false},
		{" identity ", Identity, false},
		{"straight-through", 0, true},
		{"blackbox2", 0, true},
	}
	for _, tc := range cases {
		got, err := ParseVariant(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseVariant(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
	for v := Unscaled; v <= Identity; v++ {
		if got, err := ParseVariant(v.String()); err != nil || got != v {
			t.Errorf("ParseVariant(%q) = %v, %v", v.String(), got, err)
		}
	}
	if s := Variant(9).String(); s != "Variant(9)" {
		t.Errorf("Variant(9).String() = %q", s)
	}
}

func TestOptionsDecode(t *testing.T) {
	var o Options
	src := "lambda: 25\nvariant: unscaled\nmargin: 0.1\nno_clamp: true\nworkers: 2\n"
	if err := yaml.Unmarshal([]byte(src), &o); err != nil {
		t.Fatal(err)
	}
	if o.Lambda != 25 || o.Variant != Unscaled || o.Margin != 0.1 || !o.NoClamp || o.Workers != 2 {
		t.Errorf("decoded %+v", o)
	}
	if err := yaml.Unmarshal([]byte("variant: soft\n"), &o); err == nil {
		t.Errorf("unknown variant decoded without error")
	}
	b, err := json.Marshal(Options{Variant: Identity})
	if err != nil {
		t.Fatal(err)
	}
	var back Options
	if err := json.Unmarshal(b, &back); err != nil || back.Variant != Identity {
		t.Errorf("JSON round trip: %s -> %+v, %v", b, back, err)
	}
}

func TestOptionsDefaults(t *testing.T) {
	var o Options
	if err := o.Check(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
	if o.FrameLambda() != DefaultLambda || o.Variant != Unscaled || o.workers() < 1 || o.workers() > DefaultWorkers {
		t.Errorf("defaults: lambda %v, variant %v, workers %d", o.FrameLambda(), o.Variant, o.workers())
	}
	// The paper's λ = 50 over its 32 frames per step perturbs each frame
	// with 50/32.
	if got := (&Options{Lambda: 50, Batch: 32}).FrameLambda(); got != 1.5625 {
		t.Errorf("FrameLambda(λ 50, batch 32) = %v, want 1.5625", got)
	}
}
