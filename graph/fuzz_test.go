package graph

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/testframes"
)

// fuzzFrame decodes 6 bytes per hit: layer (0–7), x and y (int8 / 4 mm),
// a z jitter, the event and primary flag, with 0xff bytes turned into NaN
// or out-of-range values to reach the error paths.
func fuzzFrame(data []byte) dataset.Frame {
	var f dataset.Frame
	for ; len(data) >= 6; data = data[6:] {
		h := dataset.Hit{
			Layer:   int32(data[0] % 8),
			X:       float32(int8(data[1])) / 4,
			Y:       float32(int8(data[2])) / 4,
			EventID: int64(data[4] % 4),
			Primary: data[4]&0x80 != 0,
		}
		h.Z = float32(testframes.LayerZ(int(h.Layer))) + float32(int8(data[3]))/1000
		switch {
		case data[0] == 0xff:
			h.Layer = -3
		case data[1] == 0xff:
			h.X = float32(math.NaN())
		case data[2] == 0xff:
			h.Y = 500 // outside the aperture
		case data[3] == 0xff:
			h.Z = 0
		}
		f.Hits = append(f.Hits, h)
	}
	return f
}

func FuzzBuild(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 1, 0x80, 1, 4, 0, 0, 1, 0x80, 2, 8, 0, 0, 1, 0x80})
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 0xff, 0, 0, 1, 0, 2, 3, 0xff, 0, 2, 0})
	f.Add([]byte{3, 1, 2, 3, 4, 5, 3, 9, 8, 7, 6, 5, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := fuzzFrame(data)
		for _, opt := range []Options{{Validate: true}, {Validate: true, RemoveDisconnected: true, DisconnectedOffByOne: true, Outside: RejectOutside}} {
			g, err := Build(&fr, &opt)
			if err != nil {
				var fe *FrameError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is not a *FrameError", err)
				}
				continue
			}
			if opt.Outside == DropOutside && !opt.RemoveDisconnected && g.DroppedOutside == 0 {
				if got, want := frameSegments(g), naiveSegments(&fr, 0.2, 0.4, 3); len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
					t.Fatalf("segments %v, naive %v", got, want)
				}
			}
			lg := mustLineGraph(t, g, &LineOptions{Validate: true, Filter: MaxAngle(0.3)})
			checkAgainstNaive(t, g, lg, func(a float64) bool { return float32(a) < 0.3 })
		}
	})
}
