package zoo

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pcttrack/pcttrack/internal/xslices"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/train"
)

// Member is one trained model of a zoo.
type Member struct {
	// Path is the checkpoint file.
	Path string
	// Net is the model (float32).
	Net model.Net
	// Config is the run's resolved training config, read from the
	// config.yaml beside the checkpoint; nil when there is none.
	Config *train.Config
	// Method is train.MethodPTT or train.MethodPAT ("" when unknown),
	// Lambda the paper's λ of a PAT model (0 otherwise or unknown) and
	// Seed the training seed (from the config, else the checkpoint's
	// metadata; -1 when unknown).
	Method string
	Lambda float64
	Seed   int64
	// SimPhysics is the simulator physics of the training data as the
	// checkpoint records it (train.MetaSimPhysics; "" in checkpoints
	// older than that record).
	SimPhysics string
	// Fingerprint is a hash of the checkpoint file's content.
	Fingerprint string
	// Name is short and unique within the zoo, e.g. "L50s3" or "PTTs0"
	// (the paper's figure labels), Group the method, e.g. "PAT λ=50".
	Name, Group string
}

// Load reads the checkpoints at paths with their run configs and returns
// the members sorted as the paper's figures are (PAT by increasing λ, then
// PTT, then other models; by seed within a group). It returns one error
// naming the file for a missing or corrupt checkpoint (model.Load rejects
// NaN and infinite values), an unreadable config.yaml, fewer than min
// checkpoints, or models that cannot be compared: another architecture
// (model kind, hidden size, encoding, normalisation), other hit-graph
// options, or other training data than the first model's (data are
// compared only when Data will take the training frames, i.e. sameData,
// and then a model whose frames this build would simulate with other
// physics than recorded in its checkpoint is refused too).
func Load(paths []string, min int, sameData bool) ([]*Member, error) {
	if len(paths) < min {
		return nil, fmt.Errorf("zoo: %d checkpoints given, need at least %d", len(paths), min)
	}
	ms, err := xslices.Map(paths, loadMember)
	if err != nil {
		return nil, err
	}
	if sameData {
		for _, m := range ms {
			if err := m.checkSimPhysics(); err != nil {
				return nil, err
			}
		}
	}
	first := ms[0]
	for _, m := range ms[1:] {
		if !sameArchitecture(m.Net.Config(), first.Net.Config()) {
			a, b := m.Net.Config(), first.Net.Config()
			return nil, fmt.Errorf("zoo: %s holds a %s model (hidden %d, encoding %d), %s a %s model (hidden %d, encoding %d): cannot compare different architectures",
				m.Path, a.Kind, a.Hidden, a.EncodingDim, first.Path, b.Kind, b.Hidden, b.EncodingDim)
		}
		if (m.Config == nil) != (first.Config == nil) {
			return nil, fmt.Errorf("zoo: %s and %s: only one has a run config (%s) beside it", m.Path, first.Path, train.FileConfig)
		}
		if m.Config == nil {
			continue
		}
		if !reflect.DeepEqual(m.Config.Graph, first.Config.Graph) {
			return nil, fmt.Errorf("zoo: %s and %s were trained with different hit-graph options (%+v vs %+v)", m.Path, first.Path, m.Config.Graph, first.Config.Graph)
		}
		if sameData && !sameTrainingData(*m.Config, *first.Config) {
			return nil, fmt.Errorf("zoo: %s and %s were trained on different data; give the frames explicitly (--data)", m.Path, first.Path)
		}
	}
	slices.SortStableFunc(ms, compareMembers)
	names := map[string]string{}
	for _, m := range ms {
		if p, dup := names[m.Name]; dup {
			if p == m.Path {
				return nil, fmt.Errorf("zoo: %s given twice", m.Path)
			}
			m.Name = uniqueName(m.Name, names)
		}
		names[m.Name] = m.Path
	}
	return ms, nil
}

func loadMember(path string) (*Member, error) {
	net, ck, err := model.Load(path)
	if err != nil {
		return nil, fmt.Errorf("zoo: %w", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("zoo: %w", err)
	}
	sum := sha256.Sum256(raw)
	m := &Member{Path: path, Net: net, Seed: -1, Method: ck.Meta["method"], SimPhysics: ck.Meta[train.MetaSimPhysics], Fingerprint: hex.EncodeToString(sum[:8])}
	if s, err := strconv.ParseInt(ck.Meta["seed"], 10, 64); err == nil {
		m.Seed = s
	}
	cfgPath := filepath.Join(filepath.Dir(path), train.FileConfig)
	c, err := train.ReadRunConfig(filepath.Dir(path))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("zoo: %w", err)
	default:
		if !sameArchitecture(c.Model, net.Config()) {
			return nil, fmt.Errorf("zoo: %s describes another model than the checkpoint %s", cfgPath, path)
		}
		m.Config = &c
		m.Method, m.Seed = c.Method, int64(c.Seed)
		if c.Method == train.MethodPAT {
			m.Lambda = c.PAT.Lambda
		}
	}
	m.Group, m.Name = label(m)
	return m, nil
}

// label returns the group and the paper-style short name.
func label(m *Member) (group, name string) {
	seed := "?"
	if m.Seed >= 0 {
		seed = strconv.FormatInt(m.Seed, 10)
	}
	switch {
	case m.Method == train.MethodPTT:
		return "PTT", "PTTs" + seed
	case m.Method == train.MethodPAT && m.Lambda > 0:
		l := strconv.FormatFloat(m.Lambda, 'g', -1, 64)
		return "PAT λ=" + l, "L" + l + "s" + seed
	case m.Method == train.MethodPAT:
		return "PAT", "PATs" + seed
	}
	base := strings.TrimSuffix(filepath.Base(m.Path), filepath.Ext(m.Path))
	return "model", base
}

func uniqueName(n string, used map[string]string) string {
	for k := 2; ; k++ {
		c := n + "-" + strconv.Itoa(k)
		if _, ok := used[c]; !ok {
			return c
		}
	}
}

// groupRank orders groups as the paper's figures: PAT by λ, then PTT.
func groupRank(m *Member) (int, float64) {
	switch m.Method {
	case train.MethodPAT:
		return 0, m.Lambda
	case train.MethodPTT:
		return 1, 0
	}
	return 2, 0
}

func compareMembers(a, b *Member) int {
	ra, la := groupRank(a)
	rb, lb := groupRank(b)
	return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(la, lb), cmp.Compare(a.Seed, b.Seed), strings.Compare(a.Path, b.Path))
}

// checkSimPhysics reports whether the frames m's config simulates would
// come from other physics than m was trained on.
func (m *Member) checkSimPhysics() error {
	if m.Config == nil || m.Config.Data.Simulate == nil || m.SimPhysics == "" {
		return nil
	}
	now, err := m.Config.SimPhysics()
	if err != nil {
		return fmt.Errorf("zoo: %s: %w", m.Path, err)
	}
	if now != m.SimPhysics {
		return fmt.Errorf("zoo: %s was trained on simulator physics %s, this build simulates its frames with %s; give the frames explicitly (--data)", m.Path, m.SimPhysics, now)
	}
	return nil
}

func sameArchitecture(a, b model.Config) bool {
	a.BNMomentum, b.BNMomentum = 0, 0 // a training setting
	return reflect.DeepEqual(a, b)
}

func sameTrainingData(a, b train.Config) bool {
	a.Data.CacheMB, b.Data.CacheMB = 0, 0
	return reflect.DeepEqual(a.Data, b.Data)
}

// Groups returns the distinct groups of ms in member order.
func Groups(ms []*Member) []string {
	var out []string
	for _, m := range ms {
		if !slices.Contains(out, m.Group) {
			out = append(out, m.Group)
		}
	}
	return out
}
