package pretrained

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
)

// DefaultName is the name of the model Default returns.
const DefaultName = "ptt-default"

//go:embed models
var files embed.FS

// File names inside the models directory: NAME.ckpt and NAME.card.json.
const (
	ckptSuffix = ".ckpt"
	cardSuffix = ".card.json"
)

// Names returns the names of the embedded models, sorted.
func Names() []string {
	ents, err := files.ReadDir("models")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), cardSuffix); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Cards returns the cards of every embedded model, in Names order.
func Cards() ([]Card, error) {
	var cs []Card
	for _, n := range Names() {
		c, err := ReadCard(n)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// ReadCard returns the card of the embedded model name.
func ReadCard(name string) (Card, error) {
	var c Card
	data, err := files.ReadFile(path.Join("models", name+cardSuffix))
	if err != nil {
		return c, fmt.Errorf("pretrained: no model %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("pretrained: card of %q: %w", name, err)
	}
	return c, nil
}

// Checkpoint returns the checkpoint and card of the embedded model name,
// after checking the checkpoint against the card's SHA-256.
func Checkpoint(name string) (*model.Checkpoint, Card, error) {
	c, err := ReadCard(name)
	if err != nil {
		return nil, c, err
	}
	data, err := files.ReadFile(path.Join("models", name+ckptSuffix))
	if err != nil {
		return nil, c, fmt.Errorf("pretrained: model %q has a card but no checkpoint", name)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != c.SHA256 {
		return nil, c, fmt.Errorf("pretrained: checkpoint of %q does not match its card's SHA-256", name)
	}
	ck, err := model.Decode(data)
	if err != nil {
		return nil, c, fmt.Errorf("pretrained: %q: %w", name, err)
	}
	return ck, c, nil
}

// Load returns the network of the embedded model name and its card.
func Load(name string) (model.Net, Card, error) {
	_, net, c, err := load(name)
	return net, c, err
}

// load returns the checkpoint of the embedded model name, its network and
// its card.
func load(name string) (*model.Checkpoint, model.Net, Card, error) {
	ck, c, err := Checkpoint(name)
	if err != nil {
		return nil, nil, c, err
	}
	net, err := ck.Net()
	if err != nil {
		return nil, nil, c, fmt.Errorf("pretrained: %q: %w", name, err)
	}
	return ck, net, c, nil
}

// Default returns the default embedded model (DefaultName) and its card.
// Its graphs are Tracker's; DefaultTracker tracks with it.
func Default() (model.Net, Card, error) { return Load(DefaultName) }

// Tracker returns the learned tracker of the embedded model name on the
// graphs its checkpoint records (the sparse cuts it was trained with:
// build each frame's hit graph with the tracker's Graph options), with
// options opt (nil: the tool's default assignment).
func Tracker(name string, opt *learned.Options) (*learned.Tracker, Card, error) {
	ck, net, c, err := load(name)
	if err != nil {
		return nil, c, err
	}
	tr, err := learned.NewTrained(net, ck.GraphOptions(), opt)
	if err != nil {
		return nil, c, fmt.Errorf("pretrained: %q: %w", name, err)
	}
	return tr, c, nil
}

// DefaultTracker is Tracker of the default model.
func DefaultTracker(opt *learned.Options) (*learned.Tracker, Card, error) {
	return Tracker(DefaultName, opt)
}
