package recon

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
)

// ExportPairs writes protons in RTK-PCT's list-mode "pairs" format (the
// legacy layout, which every RTK-PCT version reads): one MetaImage per
// projection angle, dir/pairsNNNN.mhd and .raw, a 2-D image of 5 × N
// float 3-vectors with, per proton, the position at the upstream plane
// (u, v, w) = (x, y, z), the position at the downstream plane, the two
// unit directions, and (0, WEPL, event id): an entry energy of 0 makes
// RTK-PCT read the second value as the WEPL. Files are numbered in
// increasing angle, and dir/angles.txt lists "index angle_deg count" per
// file (in this package's convention: the object rotated by the angle
// about +y). It returns the number of files. All files are written or none.
func ExportPairs(dir string, protons []dataset.Proton) (int, error) {
	for i := range protons {
		if err := protons[i].Check(); err != nil {
			return 0, fmt.Errorf("recon: proton %d: %w", i, err)
		}
	}
	var angles []float64
	for i := range protons {
		angles = append(angles, protons[i].Angle)
	}
	slices.Sort(angles)
	angles = slices.Compact(angles)
	byAngle := make(map[float64][]int, len(angles))
	for i := range protons {
		a := protons[i].Angle
		byAngle[a] = append(byAngle[a], i)
	}
	type file = struct {
		path string
		data []byte
	}
	var files []file
	var list bytes.Buffer
	for k, a := range angles {
		idx := byAngle[a]
		name := fmt.Sprintf("pairs%04d", k)
		raw := make([]byte, 0, len(idx)*15*4)
		put := func(v float64) { raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v))) }
		for _, i := range idx {
			p := &protons[i]
			put(p.In.X)
			put(p.In.Y)
			put(p.In.Z)
			put(p.Out.X)
			put(p.Out.Y)
			put(p.Out.Z)
			for _, s := range []dataset.PlaneState{p.In, p.Out} {
				n := math.Sqrt(1 + s.TX*s.TX + s.TY*s.TY)
				put(s.TX / n)
				put(s.TY / n)
				put(1 / n)
			}
			put(0)
			put(p.WEPL)
			put(float64(p.EventID))
		}
		var hdr bytes.Buffer
		fmt.Fprintf(&hdr, "ObjectType = Image\nNDims = 2\nBinaryData = True\nBinaryDataByteOrderMSB = False\nCompressedData = False\n")
		fmt.Fprintf(&hdr, "TransformMatrix = 1 0 0 1\nOffset = 0 0\nCenterOfRotation = 0 0\nElementSpacing = 1 1\n")
		fmt.Fprintf(&hdr, "DimSize = 5 %d\nElementNumberOfChannels = 3\nElementType = MET_FLOAT\nElementDataFile = %s.raw\n", len(idx), name)
		files = append(files, file{filepath.Join(dir, name+".raw"), raw}, file{filepath.Join(dir, name+".mhd"), hdr.Bytes()})
		fmt.Fprintf(&list, "%d %s %d\n", k, ftoa(a), len(idx))
	}
	files = append(files, file{filepath.Join(dir, "angles.txt"), list.Bytes()})
	if err := writeAll(files); err != nil {
		return 0, err
	}
	return len(angles), nil
}
