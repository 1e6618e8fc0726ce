package zoo

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/sim"
	"github.com/pcttrack/pcttrack/train"
)

// TestLoadRefusesOtherSimPhysics: a member whose checkpoint records other
// simulator physics than this build would re-simulate its training frames
// with is refused when the zoo takes those frames, and loads otherwise.
func TestLoadRefusesOtherSimPhysics(t *testing.T) {
	src := filepath.Join("..", "results", "zoo", "models", "fast-ptt", "seed-0")
	if _, err := os.Stat(filepath.Join(src, "best.ckpt")); err != nil {
		t.Skipf("committed zoo absent: %v", err)
	}
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join(src, train.FileConfig))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, train.FileConfig), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	_, ck, err := model.Load(filepath.Join(src, "best.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "best.ckpt")
	for _, tc := range []struct {
		recorded string
		refused  bool
	}{
		{"", false},
		{"2", false}, // the committed zoo's config pins physics version 2
		{"1", true},
		{strconv.Itoa(sim.PhysicsVersion), true},
		{"2 no_electron_hits=true", true},
	} {
		ck.Meta[train.MetaSimPhysics] = tc.recorded
		if err := ck.Save(path); err != nil {
			t.Fatal(err)
		}
		ms, err := Load([]string{path}, 1, true)
		if refused := err != nil && strings.Contains(err.Error(), "simulator physics "+tc.recorded); refused != tc.refused {
			t.Errorf("recorded %q: err %v, want refused %v", tc.recorded, err, tc.refused)
		}
		if err == nil && ms[0].SimPhysics != tc.recorded {
			t.Errorf("recorded %q: Member.SimPhysics %q", tc.recorded, ms[0].SimPhysics)
		}
		if _, err := Load([]string{path}, 1, false); err != nil {
			t.Errorf("recorded %q, frames given: %v", tc.recorded, err)
		}
	}
}
