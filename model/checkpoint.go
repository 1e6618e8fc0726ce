package model

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/nn"
)

// Checkpoint file layout (version 2; see CHECKPOINT.md):
//
//	magic    8 bytes  "PCTCKPT\x00"
//	version  uint32   little-endian, 2 (1: no graph options)
//	hdrlen   uint32   length of the JSON header
//	header   hdrlen bytes of JSON (checkpointHeader)
//	data     the tensors' float32 values, little-endian, in header order
//	crc      uint32   CRC-32 (IEEE) of every preceding byte
const (
	checkpointMagic   = "PCTCKPT\x00"
	CheckpointVersion = 2
	maxHeaderBytes    = 16 << 20
)

// Tensor roles in a checkpoint.
const (
	RoleParam  = "param"  // trained parameter
	RoleBuffer = "buffer" // batch-norm running statistic
	RoleOptim  = "optim"  // optimiser state
)

// Checkpoint is the decoded content of a checkpoint file.
type Checkpoint struct {
	Version int
	Config  Config // resolved model configuration
	// Graph holds the graph options the model was trained with (resolved,
	// Validate cleared); nil means the paper's graphs (graph.Options{}),
	// as in every version-1 file.
	Graph     *graph.Options
	Meta      map[string]string     // training metadata (step, seed, metrics, ...)
	Optimizer *nn.OptimizerSettings // nil when no optimiser state was saved
	Tensors   []Tensor              // parameters, buffers and optimiser state
}

// Tensor is one named float32 array of a checkpoint. Shape follows
// PyTorch's state_dict: [out, in] for weights, [n] for vectors.
type Tensor struct {
	Name  string    `json:"name"`
	Role  string    `json:"role"`
	Shape []int     `json:"shape"`
	Data  []float32 `json:"-"`
}

type checkpointHeader struct {
	Format    string                `json:"format"`
	Config    Config                `json:"config"`
	Graph     *graph.Options        `json:"graph,omitempty"`
	NumParams int                   `json:"num_params"`
	Meta      map[string]string     `json:"meta,omitempty"`
	Optimizer *nn.OptimizerSettings `json:"optimizer,omitempty"`
	Tensors   []Tensor              `json:"tensors"`
}

func shapeOf(v *nn.Var[float32]) []int {
	if v.Value.Rows == 1 {
		return []int{v.Value.Cols}
	}
	return []int{v.Value.Rows, v.Value.Cols}
}

// NewCheckpoint collects net's parameters and buffers, opt's state (opt
// may be nil) and meta into a Checkpoint. The tensors share memory with
// net and opt.
func NewCheckpoint(net Net, opt nn.Optimizer[float32], meta map[string]string) *Checkpoint {
	c := &Checkpoint{Version: CheckpointVersion, Config: net.Config(), Meta: meta}
	add := func(vs []*nn.Var[float32], role string) {
		for _, v := range vs {
			c.Tensors = append(c.Tensors, Tensor{Name: v.Name, Role: role, Shape: shapeOf(v), Data: v.Value.Data})
		}
	}
	add(net.Params(), RoleParam)
	add(net.Buffers(), RoleBuffer)
	if opt != nil {
		s := opt.Settings()
		c.Optimizer = &s
		add(opt.State(), RoleOptim)
	}
	return c
}

// Encode writes c in the checkpoint format.
func (c *Checkpoint) Encode(w io.Writer) error {
	hdr := checkpointHeader{Format: "pcttrack-checkpoint", Config: c.Config, Graph: c.Graph, Meta: c.Meta, Optimizer: c.Optimizer, Tensors: c.Tensors}
	if c.Graph != nil {
		g, err := c.Graph.Resolved()
		if err != nil {
			return fmt.Errorf("model: checkpoint graph options: %w", err)
		}
		g.Validate = false
		hdr.Graph = &g
	}
	for _, t := range c.Tensors {
		if t.Role == RoleParam {
			hdr.NumParams += len(t.Data)
		}
		if n := numel(t.Shape); n != len(t.Data) {
			return fmt.Errorf("model: checkpoint tensor %q has %d values for shape %v", t.Name, len(t.Data), t.Shape)
		}
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("model: checkpoint header: %w", err)
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriter(io.MultiWriter(w, crc))
	var u32 [4]byte
	bw.WriteString(checkpointMagic)
	binary.LittleEndian.PutUint32(u32[:], CheckpointVersion)
	bw.Write(u32[:])
	binary.LittleEndian.PutUint32(u32[:], uint32(len(js)))
	bw.Write(u32[:])
	bw.Write(js)
	for _, t := range c.Tensors {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(u32[:], math.Float32bits(v))
			bw.Write(u32[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("model: writing checkpoint: %w", err)
	}
	binary.LittleEndian.PutUint32(u32[:], crc.Sum32())
	if _, err := w.Write(u32[:]); err != nil {
		return fmt.Errorf("model: writing checkpoint: %w", err)
	}
	return nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Save writes net, the optimiser state (opt may be nil) and meta to path
// atomically: readers see the old file or the complete new one. The
// checkpoint records no graph options (the paper's graphs); see
// Checkpoint.Save.
func Save(path string, net Net, opt nn.Optimizer[float32], meta map[string]string) error {
	return NewCheckpoint(net, opt, meta).Save(path)
}

// GraphOptions returns the graph options the model was trained with: Graph,
// or the zero value (the paper's graphs) when it is nil.
func (c *Checkpoint) GraphOptions() graph.Options {
	if c.Graph == nil {
		return graph.Options{}
	}
	return *c.Graph
}

// Save writes c to path atomically (see Encode).
func (c *Checkpoint) Save(path string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("model: saving %q: %w", path, err)
	}
	defer f.Close()
	if err := c.Encode(f); err != nil {
		return fmt.Errorf("model: saving %q: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("model: saving %q: %w", path, err)
	}
	return nil
}

// ErrCorrupt is wrapped by the errors of Decode for files that are not
// intact checkpoints (bad magic, truncation, checksum mismatch, malformed
// header or values).
var ErrCorrupt = errors.New("corrupt checkpoint")

// Decode parses a checkpoint. It returns an error wrapping ErrCorrupt for a
// damaged file and a plain error for a well-formed checkpoint it cannot
// use (unsupported version, invalid configuration).
func Decode(data []byte) (*Checkpoint, error) {
	c, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return c, nil
}

// decode is Decode with errors that do not start with "model: ", for
// callers that add their own context.
func decode(data []byte) (*Checkpoint, error) {
	const fixed = len(checkpointMagic) + 4 + 4
	if len(data) < fixed+4 {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrCorrupt, len(data))
	}
	if string(data[:len(checkpointMagic)]) != checkpointMagic {
		return nil, fmt.Errorf("%w: not a pcttrack checkpoint (bad magic)", ErrCorrupt)
	}
	body, tail := data[:len(data)-4], data[len(data)-4:]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(tail) {
		return nil, fmt.Errorf("%w: checksum mismatch (truncated or modified)", ErrCorrupt)
	}
	version := binary.LittleEndian.Uint32(data[8:])
	if version < 1 || version > CheckpointVersion {
		return nil, fmt.Errorf("format version %d is not supported (this build reads 1 to %d)", version, CheckpointVersion)
	}
	hlen := int(binary.LittleEndian.Uint32(data[12:]))
	if hlen > maxHeaderBytes || hlen > len(body)-fixed {
		return nil, fmt.Errorf("%w: header length %d exceeds the file", ErrCorrupt, hlen)
	}
	var hdr checkpointHeader
	dec := json.NewDecoder(bytes.NewReader(body[fixed : fixed+hlen]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if hdr.Format != "pcttrack-checkpoint" {
		return nil, fmt.Errorf("%w: header format %q", ErrCorrupt, hdr.Format)
	}
	cfg, err := hdr.Config.Resolved()
	if err != nil {
		return nil, fmt.Errorf("configuration: %s", strings.TrimPrefix(err.Error(), "model: "))
	}
	if hdr.Graph != nil {
		if version < 2 {
			return nil, fmt.Errorf("%w: a version-%d header with graph options", ErrCorrupt, version)
		}
		g, err := hdr.Graph.Resolved()
		if err != nil {
			return nil, fmt.Errorf("graph options: %s", strings.TrimPrefix(err.Error(), "graph: "))
		}
		hdr.Graph = &g
	}
	payload := body[fixed+hlen:]
	c := &Checkpoint{Version: int(version), Config: cfg, Graph: hdr.Graph, Meta: hdr.Meta, Optimizer: hdr.Optimizer, Tensors: hdr.Tensors}
	off := 0
	seen := map[string]bool{}
	for i := range c.Tensors {
		t := &c.Tensors[i]
		if seen[t.Name] {
			return nil, fmt.Errorf("%w: tensor %q appears twice", ErrCorrupt, t.Name)
		}
		seen[t.Name] = true
		if t.Role != RoleParam && t.Role != RoleBuffer && t.Role != RoleOptim {
			return nil, fmt.Errorf("%w: tensor %q has role %q", ErrCorrupt, t.Name, t.Role)
		}
		n := 1
		if len(t.Shape) < 1 || len(t.Shape) > 2 {
			return nil, fmt.Errorf("%w: tensor %q has %d dimensions", ErrCorrupt, t.Name, len(t.Shape))
		}
		for _, d := range t.Shape {
			if d < 1 || d > len(payload)/4 {
				return nil, fmt.Errorf("%w: tensor %q has shape %v", ErrCorrupt, t.Name, t.Shape)
			}
			n *= d
		}
		if n > (len(payload)-off)/4 {
			return nil, fmt.Errorf("%w: tensor %q runs past the end of the data", ErrCorrupt, t.Name)
		}
		t.Data = make([]float32, n)
		for k := range t.Data {
			v := math.Float32frombits(binary.LittleEndian.Uint32(payload[off+4*k:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%w: tensor %q holds a non-finite value at %d", ErrCorrupt, t.Name, k)
			}
			t.Data[k] = v
		}
		off += 4 * n
	}
	if off != len(payload) {
		return nil, fmt.Errorf("%w: %d bytes of data after the last tensor", ErrCorrupt, len(payload)-off)
	}
	// The configuration must describe exactly the parameters stored, so a
	// damaged header can never make a model larger than the file.
	got := 0
	for _, t := range c.Tensors {
		if t.Role == RoleParam {
			got += len(t.Data)
		}
	}
	if want := ParamCount(cfg); got != want || hdr.NumParams != want {
		return nil, fmt.Errorf("%w: the %s configuration has %d parameters, the file holds %d (header says %d)", ErrCorrupt, cfg.Kind, want, got, hdr.NumParams)
	}
	return c, nil
}

// ParamCount returns the number of trainable parameters of a model with
// configuration cfg (resolved first; 0 for an invalid one) without building
// it: 4,961 for the paper's line-graph model, 39,839 for its hit-graph model.
func ParamCount(cfg Config) int {
	cfg, err := cfg.Resolved()
	if err != nil {
		return 0
	}
	rel := func(in, h, out int) int { return 2*in + in*h + h + 2*h + h*h + h + 2*h + h*out + out }
	obj := func(in, h int) int { return 2*in + in*h + h + 3*2*h + 2*(h*h+h) }
	h := cfg.Hidden
	if cfg.Kind == KindHitGraph {
		return rel(2*hgNodeFeatures+hgEdgeFeatures, h, h) + obj(hgNodeFeatures+h, h) + rel(3*h, h, 1)
	}
	return rel(2*lgNodeFeatures+cfg.EncodingDim, h, h) + obj(lgNodeFeatures+h, h) + rel(h, h, 1)
}

// Load reads the checkpoint at path and returns the model it holds (in its
// own architecture) and the checkpoint (metadata and optimiser state).
// Errors name the file; see Decode.
func Load(path string) (Net, *Checkpoint, error) {
	c, err := readCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	net, err := New(c.Config, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("model: checkpoint %q: %w", path, err)
	}
	if err := c.restore(net); err != nil {
		return nil, nil, fmt.Errorf("model: checkpoint %q: %w", path, err)
	}
	return net, c, nil
}

// LoadInto reads the checkpoint at path into net, which must have the
// checkpoint's architecture; a checkpoint of another model kind or size is
// an error that says so.
func LoadInto(path string, net Net) (*Checkpoint, error) {
	c, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if !sameArchitecture(c.Config, net.Config()) {
		a, b := c.Config, net.Config()
		return nil, fmt.Errorf("model: checkpoint %q holds a %s model (hidden %d, encoding %d), not the %s model (hidden %d, encoding %d) it is loaded into",
			path, a.Kind, a.Hidden, a.EncodingDim, b.Kind, b.Hidden, b.EncodingDim)
	}
	if err := c.restore(net); err != nil {
		return nil, fmt.Errorf("model: checkpoint %q: %w", path, err)
	}
	return c, nil
}

func readCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: reading checkpoint: %w", err)
	}
	c, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("model: checkpoint %q: %w", path, err)
	}
	return c, nil
}

func sameArchitecture(a, b Config) bool {
	a.BNMomentum, b.BNMomentum = 0, 0 // training settings, not architecture
	return reflect.DeepEqual(a, b)
}

// restore copies the checkpoint's parameters and buffers into net; every
// tensor of net must be present with its shape, and every parameter or
// buffer of the checkpoint must belong to net.
func (c *Checkpoint) restore(net Net) error {
	byName := map[string]*Tensor{}
	for i := range c.Tensors {
		byName[c.Tensors[i].Name] = &c.Tensors[i]
	}
	want := map[string]bool{}
	for _, group := range [][]*nn.Var[float32]{net.Params(), net.Buffers()} {
		for _, v := range group {
			want[v.Name] = true
			t := byName[v.Name]
			if t == nil || t.Role == RoleOptim {
				return fmt.Errorf("tensor %q missing (saved from another architecture?)", v.Name)
			}
			if !reflect.DeepEqual(t.Shape, shapeOf(v)) {
				return fmt.Errorf("tensor %q has shape %v, the model needs %v", v.Name, t.Shape, shapeOf(v))
			}
		}
	}
	for _, t := range c.Tensors {
		if t.Role != RoleOptim && !want[t.Name] {
			return fmt.Errorf("tensor %q does not belong to a %s model", t.Name, net.Config().Kind)
		}
	}
	for _, group := range [][]*nn.Var[float32]{net.Params(), net.Buffers()} {
		for _, v := range group {
			copy(v.Value.Data, byName[v.Name].Data)
		}
	}
	return nil
}

// Net returns a new model holding the checkpoint's parameters and buffers.
func (c *Checkpoint) Net() (Net, error) {
	net, err := New(c.Config, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	if err := c.restore(net); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return net, nil
}

// RestoreOptimizer builds the saved optimiser over net's parameters with
// its saved state, for resuming training bit-identically. It returns an
// error when the checkpoint holds no optimiser state or the state does not
// match the parameters.
func (c *Checkpoint) RestoreOptimizer(net Net) (nn.Optimizer[float32], error) {
	if c.Optimizer == nil {
		return nil, errors.New("model: checkpoint holds no optimizer state")
	}
	opt, err := nn.NewOptimizer(net.Params(), *c.Optimizer)
	if err != nil {
		return nil, fmt.Errorf("model: checkpoint optimizer: %w", err)
	}
	saved := map[string]nn.Tensor[float32]{}
	for _, t := range c.Tensors {
		if t.Role == RoleOptim {
			r, cols := 1, t.Shape[0]
			if len(t.Shape) == 2 {
				r, cols = t.Shape[0], t.Shape[1]
			}
			saved[t.Name] = nn.Tensor[float32]{Rows: r, Cols: cols, Data: t.Data}
		}
	}
	if err := nn.RestoreState(opt, saved); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return opt, nil
}
