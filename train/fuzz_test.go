package train

import (
	"testing"

	"github.com/pcttrack/pcttrack/configs"
)

// FuzzConfigRoundtrip: any input parses to a config or an error (never a
// panic), and a config that resolves survives Marshal → ParseConfig →
// Resolved unchanged, as config.yaml must for --resume.
func FuzzConfigRoundtrip(f *testing.F) {
	for _, n := range configs.Names() {
		b, _ := configs.Get(n)
		f.Add(b)
	}
	f.Add([]byte(minimalData))
	f.Add([]byte("method: pat\npat: {lambda: 2, variant: identity, margin: 0.1}\n" + minimalData))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		r, err := c.Resolved()
		if err != nil {
			return
		}
		y, err := r.Marshal()
		if err != nil {
			t.Fatalf("resolved config does not marshal: %v", err)
		}
		back, err := ParseConfig(y)
		if err != nil {
			t.Fatalf("marshalled config does not parse: %v\n%s", err, y)
		}
		back, err = back.Resolved()
		if err != nil {
			t.Fatalf("marshalled config does not resolve: %v\n%s", err, y)
		}
		if !sameRun(back, r) || back.Steps != r.Steps {
			t.Fatalf("round trip changed the config:\n%s", y)
		}
	})
}
