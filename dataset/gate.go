package dataset

import (
	"cmp"
	"errors"
	"fmt"
	"os"

	"go-hep.org/x/hep/groot"
	"go-hep.org/x/hep/groot/rtree"
)

// GATEOptions control ReadGATE. A nil pointer means all defaults.
type GATEOptions struct {
	ImportOptions
	// Tree is the name of the hits tree; "" means "Hits". Only its highest
	// cycle is read (GATE may leave a lower backup cycle in the file).
	Tree string
}

// ReadGATE reads GATE hits trees from ROOT files and returns their frames,
// numbered from opt.FirstFrame on: see ImportGATE.
func ReadGATE(paths []string, opt *GATEOptions) ([]Frame, error) {
	frames, _, err := ImportGATE(paths, opt)
	return frames, err
}

// ImportGATE reads GATE hits trees from ROOT files with the paper's
// pipeline: layer numbering (opt.LayerScheme), merge per (event, track,
// layer) summing edep and averaging positions, cluster size, cut of
// cs < 2, and frames of N consecutive events per spot (leftover events
// are dropped). Each file is processed on its own, as the paper does;
// frame indexes continue across files. A missing, truncated or corrupt file
// or an import that gives no frame is an error naming the file.
func ImportGATE(paths []string, opt *GATEOptions) ([]Frame, *ImportReport, error) {
	o := cmp.Or(opt, &GATEOptions{})
	tree := cmp.Or(o.Tree, "Hits")
	return importFiles(paths, &o.ImportOptions, func(path string, b *builder) (LayerScheme, int64, error) {
		return readGATEFile(path, tree, b)
	})
}

// readGATEFile feeds the hits of one ROOT file to b.
func readGATEFile(path, tree string, b *builder) (scheme LayerScheme, entries int64, err error) {
	bad := func(entry int64, err error) error { return &FormatError{File: path, Entry: entry, Err: err} }
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("dataset: %w", err)
	}
	err = checkROOT(f)
	f.Close()
	if err != nil {
		return "", 0, bad(-1, fmt.Errorf("not a readable ROOT file: %w", err))
	}
	defer func() {
		if p := recover(); p != nil {
			scheme, entries, err = "", 0, bad(-1, fmt.Errorf("corrupt ROOT file: %v", p))
		}
	}()
	rf, err := groot.Open(path)
	if err != nil {
		return "", 0, bad(-1, fmt.Errorf("not a readable ROOT file: %w", err))
	}
	defer rf.Close()
	cycle := -1
	for _, k := range rf.Keys() {
		if k.Name() == tree && k.Cycle() > cycle {
			cycle = k.Cycle()
		}
	}
	if cycle < 0 {
		return "", 0, bad(-1, fmt.Errorf("no tree %q", tree))
	}
	obj, err := rf.Get(fmt.Sprintf("%s;%d", tree, cycle))
	if err != nil {
		return "", 0, bad(-1, fmt.Errorf("tree %q: %w", tree, err))
	}
	t, ok := obj.(rtree.Tree)
	if !ok {
		return "", 0, bad(-1, fmt.Errorf("%q is a %s, not a TTree", tree, obj.Class()))
	}
	src := &rootSource{vars: map[string]rtree.ReadVar{}}
	for _, rv := range rtree.NewReadVars(t) {
		src.vars[rv.Name] = rv
	}
	scheme, hr, err := newHitReader(src, b.opt.LayerScheme)
	if err != nil {
		return "", 0, bad(-1, err)
	}
	used := make([]rtree.ReadVar, 0, len(src.used))
	for _, name := range src.used {
		used = append(used, src.vars[name])
	}
	r, err := rtree.NewReader(t, used)
	if err != nil {
		return "", 0, bad(-1, err)
	}
	defer r.Close()
	var last int64 = -1
	err = r.Read(func(ctx rtree.RCtx) error {
		last = ctx.Entry
		return b.add(hr.read(ctx.Entry))
	})
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return "", 0, fe // not rtree's wrapping of it
		}
		return "", 0, bad(last+1, fmt.Errorf("reading tree %q: %w", tree, err))
	}
	return scheme, t.Entries(), nil
}

// rootSource serves columns of a ROOT tree; it records which branches the
// getters use, so that only those are read.
type rootSource struct {
	vars map[string]rtree.ReadVar
	used []string
}

func (s *rootSource) lookup(name string) (rtree.ReadVar, int, bool) {
	if rv, ok := s.vars[name]; ok {
		return rv, -1, true
	}
	base, d, ok := splitIndex(name)
	if !ok {
		return rtree.ReadVar{}, 0, false
	}
	rv, ok := s.vars[base]
	return rv, d, ok
}

func (s *rootSource) has(name string) bool {
	if name == "volumeID" {
		_, _, ok := s.lookup("volumeID[0]")
		return ok
	}
	_, _, ok := s.lookup(name)
	return ok
}

func (s *rootSource) use(name string) {
	for _, u := range s.used {
		if u == name {
			return
		}
	}
	s.used = append(s.used, name)
}

func (s *rootSource) intCol(name string) func() int64 {
	rv, d, ok := s.lookup(name)
	if !ok {
		return nil
	}
	var g func() int64
	if d < 0 {
		g = intGetter(rv.Value)
	} else {
		g = elemIntGetter(rv.Value, d)
	}
	if g != nil {
		s.use(rv.Name)
	}
	return g
}

func (s *rootSource) floatCol(name string) func() float64 {
	rv, d, ok := s.lookup(name)
	if !ok || d >= 0 {
		return nil
	}
	g := floatGetter(rv.Value)
	if g != nil {
		s.use(rv.Name)
	}
	return g
}
