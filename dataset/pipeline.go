package dataset

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/physics"
)

// ImportOptions control the paper's pipeline shared by ReadGATE and
// ReadNPZ. The zero value gives the defaults.
type ImportOptions struct {
	// ProtonsPerFrame is the number N of consecutive events per frame;
	// 0 means 100.
	ProtonsPerFrame int `yaml:"protons_per_frame"`
	// LayerScheme selects the layer numbering; "" means SchemeAuto.
	LayerScheme LayerScheme `yaml:"layer_scheme"`
	// EpiThickness is the sensitive slab thickness in mm used for the
	// cluster size; 0 means 0.025 (ALPIDE epitaxial layer).
	EpiThickness float64 `yaml:"epi_thickness_mm"`
	// KeepSmallClusters keeps hits with cluster size < 2 (dropped by default,
	// as the paper does).
	KeepSmallClusters bool `yaml:"keep_small_clusters"`
	// RemoveDisconnected drops every layer after the first layer without
	// hits (the intent of the paper's remove_disconnected). Off by default:
	// gaps are only reported.
	RemoveDisconnected bool `yaml:"remove_disconnected"`
	// PaperQuirks implies RemoveDisconnected with the paper's off-by-one,
	// which also drops the last layer before the gap. Use it only to match
	// the paper's numbers.
	PaperQuirks bool `yaml:"paper_quirks"`
	// TKPhantom adds 2 to SchemeTK layers, as the toolkit does with kPhantom.
	TKPhantom bool `yaml:"tk_phantom,omitempty"`
	// WorldK0 is scanner_1's daughter index in the world for
	// SchemeV92World; 0 means the smallest volumeID[1] in the file.
	WorldK0 int `yaml:"world_k0,omitempty"`
	// Frame metadata of the imported frames (unknown: empty or 0).
	Phantom          string  `yaml:"phantom,omitempty"`
	PhantomThickness float64 `yaml:"phantom_wet_mm,omitempty"`  // mm water
	BeamEnergy       float64 `yaml:"beam_energy_mev,omitempty"` // MeV
	Geometry         string  `yaml:"geometry,omitempty"`
	// FirstFrame is the index of the first frame.
	FirstFrame int64 `yaml:"first_frame,omitempty"`
}

func (o *ImportOptions) defaults() (ImportOptions, error) {
	var c ImportOptions
	if o != nil {
		c = *o
	}
	if c.ProtonsPerFrame < 0 {
		return c, fmt.Errorf("dataset: negative protons per frame %d", c.ProtonsPerFrame)
	}
	if c.ProtonsPerFrame == 0 {
		c.ProtonsPerFrame = 100
	}
	if c.EpiThickness < 0 || math.IsNaN(c.EpiThickness) || math.IsInf(c.EpiThickness, 0) {
		return c, fmt.Errorf("dataset: bad epitaxial thickness %v mm", c.EpiThickness)
	}
	if c.EpiThickness == 0 {
		c.EpiThickness = 0.025
	}
	if c.FirstFrame < 0 {
		return c, fmt.Errorf("dataset: negative first frame %d", c.FirstFrame)
	}
	if c.PaperQuirks {
		c.RemoveDisconnected = true
	}
	s, err := ParseLayerScheme(string(c.LayerScheme))
	if err != nil {
		return c, err
	}
	c.LayerScheme = s
	fm := FrameMeta{Phantom: c.Phantom, PhantomThickness: c.PhantomThickness, BeamEnergy: c.BeamEnergy}
	if err := checkFrameMeta(&fm); err != nil {
		return c, fmt.Errorf("dataset: %w", err)
	}
	return c, nil
}

// ImportReport tells what an import did, summed over its files.
type ImportReport struct {
	Files          []FileReport
	Entries        int64 // raw hits read
	MergedHits     int64 // after merging per (event, track, layer)
	Disconnected   int64 // merged hits dropped by remove_disconnected
	SmallClusters  int64 // hits of framed events dropped for cluster size < 2
	Hits           int64 // hits written to frames
	Events         int64 // events with at least one merged hit
	LeftoverEvents int64 // events after the last full frame of a spot
	Frames         int
}

// FileReport is the part of an ImportReport for one input file.
type FileReport struct {
	Path           string
	Scheme         LayerScheme // resolved scheme
	Entries        int64
	Layers         int     // highest layer + 1
	MissingLayers  []int32 // layers without hits below the highest layer
	Events         int64
	LeftoverEvents int64
	Frames         int
}

// importFiles runs the pipeline on each file in turn, as the paper does:
// read feeds the file's raw hits to b and returns the resolved layer
// scheme and the number of entries read. Frame indexes continue across
// files; no frame at all is an error.
func importFiles(paths []string, opt *ImportOptions, read func(path string, b *builder) (LayerScheme, int64, error)) ([]Frame, *ImportReport, error) {
	iopt, err := opt.defaults()
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, errors.New("dataset: no input files")
	}
	rep := &ImportReport{}
	var frames []Frame
	for _, p := range paths {
		b := &builder{file: p, opt: &iopt}
		scheme, entries, err := read(p, b)
		if err != nil {
			return nil, nil, err
		}
		fr := FileReport{Path: p, Scheme: scheme, Entries: entries}
		fs, err := b.finish(scheme, iopt.FirstFrame+int64(len(frames)), &fr, rep)
		if err != nil {
			return nil, nil, err
		}
		rep.Files = append(rep.Files, fr)
		rep.Entries += fr.Entries
		frames = append(frames, fs...)
	}
	if len(frames) == 0 {
		return nil, nil, fmt.Errorf("dataset: no frames: %d events with hits, fewer than %d protons per frame", rep.Events, iopt.ProtonsPerFrame)
	}
	return frames, rep, nil
}

// rawHit is one entry of a GATE hits table.
type rawHit struct {
	entry              int64
	event              int64
	track, parent, pdg int32
	key                [2]int32
	edep, x, y, z      float64
	spotX, spotY       float64
}

// partial accumulates the raw hits of one (event, track, key); after the
// layer numbering, of one (event, track, layer).
type partial struct {
	event        int64
	track        int32
	key          [2]int32
	layer        int32
	first        int64 // entry of the first raw hit: "first" values come from it
	parent, pdg  int32
	spotX, spotY float64
	e, x, y, z   float64 // sums
	n            int32
}

// builder runs the pipeline for one input file.
type builder struct {
	file  string
	opt   *ImportOptions
	buf   []rawHit // the current event's raw hits
	parts []partial
}

func (b *builder) add(h rawHit) error {
	for _, v := range [...]float64{h.edep, h.x, h.y, h.z, h.spotX, h.spotY} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &FormatError{File: b.file, Entry: h.entry, Err: errors.New("NaN or infinite energy, position or spot")}
		}
	}
	if h.edep < 0 {
		return &FormatError{File: b.file, Entry: h.entry, Err: fmt.Errorf("negative edep %v MeV", h.edep)}
	}
	if len(b.buf) > 0 && b.buf[0].event != h.event {
		b.flushEvent()
	}
	b.buf = append(b.buf, h)
	return nil
}

// flushEvent pre-merges the buffered event per (track, key); an event that
// reappears later in the file is merged again in finish.
func (b *builder) flushEvent() {
	slices.SortStableFunc(b.buf, func(p, q rawHit) int {
		return cmp.Or(cmp.Compare(p.track, q.track), cmpKey(p.key, q.key))
	})
	for i, h := range b.buf {
		if i == 0 || h.track != b.buf[i-1].track || h.key != b.buf[i-1].key {
			b.parts = append(b.parts, partial{event: h.event, track: h.track, key: h.key, first: h.entry,
				parent: h.parent, pdg: h.pdg, spotX: h.spotX, spotY: h.spotY})
		}
		p := &b.parts[len(b.parts)-1]
		p.e += h.edep
		p.x += h.x
		p.y += h.y
		p.z += h.z
		p.n++
	}
	b.buf = b.buf[:0]
}

// finish numbers layers, merges, applies remove_disconnected, cuts frames
// and computes cluster sizes. Frame indexes start at firstFrame.
func (b *builder) finish(scheme LayerScheme, firstFrame int64, rep *FileReport, tot *ImportReport) ([]Frame, error) {
	b.flushEvent()
	opt := b.opt
	keys := make([][2]int32, len(b.parts))
	for i := range b.parts {
		keys[i] = b.parts[i].key
	}
	slices.SortFunc(keys, cmpKey)
	keys = slices.Compact(keys)
	num := newNumbering(scheme, keys, opt.TKPhantom, opt.WorldK0)
	layerOf := make(map[[2]int32]int32, len(keys))
	for _, k := range keys {
		z, err := num.layer(k)
		if err != nil {
			return nil, &FormatError{File: b.file, Entry: -1, Err: err}
		}
		layerOf[k] = z
	}
	for i := range b.parts {
		b.parts[i].layer = layerOf[b.parts[i].key]
	}
	// Merge per (event, track, layer) in pandas groupby order; "first"
	// values come from the earliest entry.
	slices.SortFunc(b.parts, func(p, q partial) int {
		return cmp.Or(cmp.Compare(p.event, q.event), cmp.Compare(p.track, q.track),
			cmp.Compare(p.layer, q.layer), cmp.Compare(p.first, q.first))
	})
	merged := b.parts[:0]
	for _, p := range b.parts {
		if k := len(merged) - 1; k >= 0 && merged[k].event == p.event && merged[k].track == p.track && merged[k].layer == p.layer {
			m := &merged[k]
			m.e += p.e
			m.x += p.x
			m.y += p.y
			m.z += p.z
			m.n += p.n
			continue
		}
		merged = append(merged, p)
	}
	tot.MergedHits += int64(len(merged))
	if len(merged) == 0 {
		return nil, &FormatError{File: b.file, Entry: -1, Err: errors.New("no hits")}
	}

	var layers []int32
	for _, z := range layerOf {
		layers = append(layers, z)
	}
	slices.Sort(layers)
	layers = slices.Compact(layers)
	if layers[0] != 0 {
		return nil, &FormatError{File: b.file, Entry: -1, Err: fmt.Errorf("%s layer numbering starts at %d, not 0; wrong layer scheme?", scheme, layers[0])}
	}
	if top := layers[len(layers)-1]; top > MaxLayer {
		return nil, &FormatError{File: b.file, Entry: -1, Err: fmt.Errorf("%s layer numbering reaches layer %d, beyond MaxLayer %d; corrupt file or wrong layer scheme?", scheme, top, MaxLayer)}
	}
	rep.Layers = int(layers[len(layers)-1]) + 1
	rep.MissingLayers = missingLayers(layers)
	if opt.RemoveDisconnected {
		cut := DisconnectedCut(layers, opt.PaperQuirks)
		kept := merged[:0]
		for _, m := range merged {
			if m.layer < cut {
				kept = append(kept, m)
			}
		}
		tot.Disconnected += int64(len(merged) - len(kept))
		merged = kept
	}

	// Events (with at least one merged hit) per spot, in eventID order.
	type span struct {
		event  int64
		lo, hi int
	}
	type spot struct{ x, y float64 }
	bySpot := map[spot][]span{}
	for lo := 0; lo < len(merged); {
		hi, first := lo, lo
		for hi < len(merged) && merged[hi].event == merged[lo].event {
			if merged[hi].first < merged[first].first {
				first = hi
			}
			hi++
		}
		s := spot{merged[first].spotX, merged[first].spotY}
		bySpot[s] = append(bySpot[s], span{merged[lo].event, lo, hi})
		lo = hi
	}
	spots := make([]spot, 0, len(bySpot))
	for s := range bySpot {
		spots = append(spots, s)
	}
	slices.SortFunc(spots, func(p, q spot) int {
		return cmp.Or(cmp.Compare(p.x, q.x), cmp.Compare(p.y, q.y)) // no NaN: add rejects it
	})
	n := opt.ProtonsPerFrame
	var frames []Frame
	for _, s := range spots {
		evs := bySpot[s]
		rep.Events += int64(len(evs))
		full := len(evs) / n * n
		rep.LeftoverEvents += int64(len(evs) - full)
		for k := 0; k < full; k += n {
			f := Frame{Meta: FrameMeta{
				Frame: firstFrame + int64(len(frames)), SpotX: s.x, SpotY: s.y,
				Phantom: opt.Phantom, PhantomThickness: opt.PhantomThickness, BeamEnergy: opt.BeamEnergy,
				ProtonsPerFrame: n, Geometry: opt.Geometry,
			}}
			for _, ev := range evs[k : k+n] {
				for _, m := range merged[ev.lo:ev.hi] {
					cs := physics.ClusterSize(m.e, opt.EpiThickness)
					if cs < physics.ClusterThreshold && !opt.KeepSmallClusters {
						tot.SmallClusters++
						continue
					}
					fn := float64(m.n) // sum / n, as pandas mean computes it
					f.Hits = append(f.Hits, Hit{
						Layer: m.layer, X: float32(m.x / fn), Y: float32(m.y / fn), Z: float32(m.z / fn),
						Edep: float32(m.e), ClusterSize: int32(cs), EventID: m.event, TrackID: m.track,
						ParentID: m.parent, PDG: m.pdg, Primary: m.parent == 0,
					})
				}
			}
			tot.Hits += int64(len(f.Hits))
			frames = append(frames, f)
		}
	}
	rep.Frames = len(frames)
	tot.Events += rep.Events
	tot.LeftoverEvents += rep.LeftoverEvents
	tot.Frames += len(frames)
	return frames, nil
}
