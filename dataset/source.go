package dataset

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// source gives typed access to the named columns of the current entry of a
// GATE hits table (a ROOT tree or an npz structured array). Getters read
// the entry the source is positioned at; nil means the column is absent.
type source interface {
	has(name string) bool
	intCol(name string) func() int64
	floatCol(name string) func() float64
}

// hitReader builds rawHits from a source for one layer scheme.
type hitReader struct {
	event, track, parent, pdg, ka, kb func() int64
	edep, x, y, z, sx, sy             func() float64
}

// newHitReader resolves scheme (SchemeAuto) from the columns of src and
// returns a reader of its raw hits.
func newHitReader(src source, scheme LayerScheme) (LayerScheme, *hitReader, error) {
	scheme, err := detectScheme(scheme, src.has)
	if err != nil {
		return "", nil, err
	}
	h := &hitReader{}
	var missing []string
	ints := map[string]*func() int64{"eventID": &h.event, "trackID": &h.track, "parentID": &h.parent}
	for name, dst := range ints {
		if *dst = src.intCol(name); *dst == nil {
			missing = append(missing, name)
		}
	}
	floats := map[string]*func() float64{"edep": &h.edep, "posX": &h.x, "posY": &h.y, "posZ": &h.z}
	for name, dst := range floats {
		if *dst = src.floatCol(name); *dst == nil {
			missing = append(missing, name)
		}
	}
	a, b := rawKeyColumns(scheme)
	if h.ka = src.intCol(a); h.ka == nil {
		missing = append(missing, a)
	}
	if h.kb = src.intCol(b); h.kb == nil {
		missing = append(missing, b)
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return "", nil, fmt.Errorf("missing or non-numeric columns %s", strings.Join(missing, ", "))
	}
	h.pdg = src.intCol("PDGEncoding")
	h.sx = src.floatCol("spotX")
	h.sy = src.floatCol("spotY")
	return scheme, h, nil
}

func (h *hitReader) read(entry int64) rawHit {
	r := rawHit{
		entry: entry, event: h.event(), track: int32(h.track()), parent: int32(h.parent()),
		key:  [2]int32{int32(h.ka()), int32(h.kb())},
		edep: h.edep(), x: h.x(), y: h.y(), z: h.z(),
	}
	if h.pdg != nil {
		r.pdg = int32(h.pdg())
	}
	if h.sx != nil && h.sy != nil {
		r.spotX, r.spotY = h.sx(), h.sy()
	}
	return r
}

// splitIndex splits "volumeID[2]" into ("volumeID", 2).
func splitIndex(name string) (string, int, bool) {
	base, rest, ok := strings.Cut(name, "[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return name, 0, false
	}
	d, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	if err != nil || d < 0 {
		return name, 0, false
	}
	return base, d, true
}

func intGetter(p any) func() int64     { return numGetter[int64](p) }
func floatGetter(p any) func() float64 { return numGetter[float64](p) }

// numGetter reads a scalar through a pointer to a numeric value, converted
// to T; nil for other types. The types GATE writes take a typed path,
// others go through reflect.
func numGetter[T int64 | float64](p any) func() T {
	switch v := p.(type) {
	case *int32:
		return get[T](v)
	case *int64:
		return get[T](v)
	case *float32:
		return get[T](v)
	case *float64:
		return get[T](v)
	}
	rv := reflect.ValueOf(p)
	if rv.Kind() != reflect.Pointer {
		return nil
	}
	return reflectNum[T](rv.Elem())
}

func get[T int64 | float64, V int32 | int64 | float32 | float64](p *V) func() T {
	return func() T { return T(*p) }
}

// reflectNum reads a numeric value converted to T; nil for other kinds.
func reflectNum[T int64 | float64](e reflect.Value) func() T {
	switch {
	case e.CanInt():
		return func() T { return T(e.Int()) }
	case e.CanUint():
		return func() T { return T(e.Uint()) }
	case e.CanFloat():
		return func() T { return T(e.Float()) }
	}
	return nil
}

// elemIntGetter reads element d of a pointer to a numeric array.
func elemIntGetter(p any, d int) func() int64 {
	if v, ok := p.(*[10]int32); ok && d < 10 {
		return func() int64 { return int64(v[d]) }
	}
	rv := reflect.ValueOf(p)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Array || d >= rv.Elem().Len() {
		return nil
	}
	return reflectNum[int64](rv.Elem().Index(d))
}
